# Batched linear VJP.
import pullback as torch

B, m, n = 2, 3, 2
A = torch.randn(n, m)  # Shared weight matrix

# Batched inputs (treating as trainable)
x_batch = torch.randn(B, m, requires_grad=True)

# Batched forward: output shape (B, n)
y_batch = x_batch @ A.T

# Batched upstream gradients
v_batch = torch.randn(B, n)

# VJP
y_batch.backward(v_batch)

# Expected: grad[b] = v_batch[b] @ A
expected = v_batch @ A
print(f"x_batch.grad:\n{x_batch.grad}")
print(f"Expected:\n{expected}")
