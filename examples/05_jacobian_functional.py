# deterministic: Computing full Jacobians using autograd.functional.
import pullback as torch
from pullback.autograd.functional import jacobian

def f(x):
    return torch.stack([
        x[0] * x[1] + x[2],
        torch.sin(x[0]) + x[1]**2
    ])

x = torch.tensor([1.0, 2.0, 3.0])
J = jacobian(f, x)
print(f"Jacobian shape: {J.shape}")  # (2, 3)
print(f"Jacobian:\n{J}")
