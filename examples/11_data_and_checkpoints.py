# deterministic
# Mini-batches from a Dataset through a DataLoader, then a checkpoint (model and optimizer state)
# saved with torch.save's file format and loaded back into a fresh model to resume training.
import io

import pullback as torch
import pullback.nn as nn

data = torch.utils.data

# A dataset made here: y = 2 x0 - x1 + 0.5, sixteen points.
x = torch.stack([torch.linspace(-1, 1, 16), torch.linspace(1, -1, 16) ** 2], 1)
y = (x @ torch.tensor([[2.0], [-1.0]]) + 0.5)
dataset = data.TensorDataset(x, y)
loader = data.DataLoader(dataset, batch_size=5)          # in order; shuffle=True reshuffles each epoch
print(len(dataset), "samples,", len(loader), "batches of sizes", [len(xb) for xb, _ in loader])


def make_model():
    model = nn.Linear(2, 1)
    nn.init.constant_(model.weight, 0.1)
    nn.init.zeros_(model.bias)
    return model


def train(model, opt, epochs):
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = ((model(xb) - yb) ** 2).mean()
            loss.backward()
            opt.step()
    return ((model(x) - y) ** 2).mean().item()


model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
print(f"after 5 epochs: loss {train(model, opt, 5):.4f}")

checkpoint = io.BytesIO()                                # a file name works the same
torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 5}, checkpoint)
checkpoint.seek(0)
state = torch.load(checkpoint, weights_only=True)       # tensors and containers only: runs no code

resumed = make_model()
resumed.load_state_dict(state["model"])
resumed_opt = torch.optim.SGD(resumed.parameters(), lr=0.1, momentum=0.9)
resumed_opt.load_state_dict(state["optim"])
print("resumed at epoch", state["epoch"], "with weight", [round(w, 4) for w in resumed.weight.detach().flatten().tolist()])
print(f"after 5 more epochs: loss {train(resumed, resumed_opt, 5):.4f}")
print(f"the same as training on:  loss {train(model, opt, 5):.4f}")
