# deterministic: Mathematical verification, J = diag(cos(x)).
import pullback as torch

x = torch.tensor([0.5, 1.0, -0.5], requires_grad=True)
y = torch.sin(x)
v = torch.tensor([0.1, 1.0, 0.01])

y.backward(v)

expected = v * torch.cos(x.detach())
print(f"x.grad: {x.grad}")
print(f"Expected: {expected}")
print(f"Match: {torch.allclose(x.grad, expected)}")
