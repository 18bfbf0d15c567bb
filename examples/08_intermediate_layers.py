# deterministic: Computing gradient of loss w.r.t. intermediate layers (a forward hook).
import pullback as torch
import pullback.nn as nn

model = nn.Sequential(
    nn.Linear(10, 64),
    nn.ReLU(),
    nn.Linear(64, 10)
)

x = torch.randn(32, 10)
y_true = torch.randint(0, 10, (32,))

# Get intermediate activations
activations = []
def hook(module, input, output):
    activations.append(output)

model[1].register_forward_hook(hook)

# Forward pass
logits = model(x)
loss = nn.functional.cross_entropy(logits, y_true)

# Backward with create_graph for intermediate gradients
loss.backward()

# Activations after ReLU were captured
hidden = activations[0]
print(f"Hidden activation shape: {hidden.shape}")
