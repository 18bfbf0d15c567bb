# Non-scalar outputs require v.
import pullback as torch

x = torch.randn(3, requires_grad=True)
y = torch.sin(x)  # Vector output (shape [3])

# This fails!
try:
    y.backward()
except RuntimeError as e:
    print(f"Error: {e}")

# Must provide v with same shape as y
v = torch.tensor([0.1, 1.0, 0.01])
y.backward(v)
print(f"x.grad: {x.grad}")  # v^T * J where J = diag(cos(x))
