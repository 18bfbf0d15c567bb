# Why scalar loss works without arguments (the tutorial's first program).
import pullback as torch

x = torch.randn(3, requires_grad=True)
loss = (x ** 2).sum()  # Scalar output

# No argument needed - implicit v = 1
loss.backward()
print(f"x.grad: {x.grad}")
