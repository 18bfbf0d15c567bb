# deterministic: Manual construction of the Jacobian via VJPs, row by row.
import pullback as torch

def compute_jacobian_via_vjp(f, x):
    """Build Jacobian row by row using VJPs."""
    y = f(x.detach().requires_grad_(True))
    m, n = y.numel(), x.numel()
    J = torch.zeros(m, n)
    
    for i in range(m):
        x_copy = x.detach().requires_grad_(True)
        y_copy = f(x_copy)
        
        # One-hot vector selects row i
        v = torch.zeros(m)
        v[i] = 1.0
        
        y_copy.backward(v)
        J[i] = x_copy.grad
    
    return J

def f(x):
    return torch.stack([x[0]**2, x[0]*x[1], x[1]**2])

x = torch.tensor([2.0, 3.0])
J = compute_jacobian_via_vjp(f, x)
print(f"Jacobian:\n{J}")
# Expected:
# [[4, 0],    # d(x1^2)/d(x1, x2)
#  [3, 2],   # d(x1*x2)/d(x1, x2)
#  [0, 6]]   # d(x2^2)/d(x1, x2)
