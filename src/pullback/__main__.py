"""``python -m pullback``: a tour of the tutorial "Vector-Jacobian Products", every result checked.

Each section runs the tutorial's program with pullback, prints what the tutorial prints, and
checks the result against an independent computation: a closed form in NumPy, or central
finite differences in float64. A check prints a mark; any failure makes the exit status 1.
"""
import sys

import numpy as np

import pullback as torch  # the tutorial's programs run with only this import changed

_results = []


def check(label, ok, detail=""):
    ok = bool(ok)
    _results.append(ok)
    mark = "\u2713" if ok else "\u2717 FAILED"
    print(f"    [{mark}] {label}" + (f"  ({detail})" if detail else ""))


def section(title):
    print(f"\n== {title} ==")


def central_jacobian(f, x, eps=1e-6):
    """The Jacobian of f: R^n -> R^m (NumPy float64 in, out) by central differences."""
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = eps
        columns.append((np.asarray(f(x + e)) - np.asarray(f(x - e))).reshape(-1) / (2 * eps))
    return np.stack(columns, axis=1)


def scalar_loss():
    section("Why a scalar loss works without arguments")
    torch.manual_seed(0)
    x = torch.randn(3, requires_grad=True)
    loss = (x ** 2).sum()
    loss.backward()
    print(f"x.grad: {x.grad}")
    check("x.grad == 2x (closed form)", np.allclose(x.grad.numpy(), 2 * x.detach().numpy()))


def non_scalar_outputs():
    section("Non-scalar outputs require v")
    torch.manual_seed(1)
    x = torch.randn(3, requires_grad=True)
    y = torch.sin(x)
    message = None
    try:
        y.backward()
    except RuntimeError as e:
        message = str(e)
        print(f"Error: {e}")
    check("backward() without v raises PyTorch's error",
          message == "grad can be implicitly created only for scalar outputs")
    v = torch.tensor([0.1, 1.0, 0.01])
    y.backward(v)
    print(f"x.grad: {x.grad}")
    x64 = x.detach().numpy().astype(np.float64)
    numeric = v.numpy() @ central_jacobian(np.sin, x64)
    check("x.grad == v^T J (float64 finite differences)", np.allclose(x.grad.numpy(), numeric, atol=1e-6))


def mathematical_verification():
    section("Mathematical verification: J = diag(cos x)")
    x = torch.tensor([0.5, 1.0, -0.5], requires_grad=True)
    y = torch.sin(x)
    v = torch.tensor([0.1, 1.0, 0.01])
    y.backward(v)
    expected = v * torch.cos(x.detach())
    print(f"x.grad: {x.grad}")
    print(f"Expected: {expected}")
    print(f"Match: {torch.allclose(x.grad, expected)}")
    closed = np.array([0.1, 1.0, 0.01]) * np.cos([0.5, 1.0, -0.5])
    check("x.grad == v * cos(x) (closed form in NumPy)", np.allclose(x.grad.numpy(), closed, atol=1e-7))


def linear_transformation():
    section("Linear transformations: x.grad = A^T v")
    A = torch.tensor([[2.0, 0.0, -1.0],
                      [0.5, 3.0, 1.0]])
    x = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    y = A @ x
    v = torch.tensor([3.0, -1.0])
    y.backward(v)
    expected = A.T @ v
    print(f"x.grad: {x.grad}")
    print(f"A^T @ v: {expected}")
    print(f"Match: {torch.allclose(x.grad, expected)}")
    check("x.grad == [5.5, -3, -4] (by hand)", np.allclose(x.grad.numpy(), [5.5, -3.0, -4.0]))


def jacobian_row_by_row():
    section("Manual construction of the Jacobian via VJPs")

    def compute_jacobian_via_vjp(f, x):
        """Build Jacobian row by row using VJPs."""
        y = f(x.detach().requires_grad_(True))
        m, n = y.numel(), x.numel()
        J = torch.zeros(m, n)
        for i in range(m):
            x_copy = x.detach().requires_grad_(True)
            y_copy = f(x_copy)
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
    check("J == [[4, 0], [3, 2], [0, 6]] (the tutorial's expected matrix)",
          np.array_equal(J.numpy(), [[4, 0], [3, 2], [0, 6]]))
    numeric = central_jacobian(lambda a: np.array([a[0] ** 2, a[0] * a[1], a[1] ** 2]), [2.0, 3.0])
    check("J matches float64 finite differences", np.allclose(J.numpy(), numeric, atol=1e-6))


def batched_linear_vjp():
    section("Batched linear VJP")
    torch.manual_seed(2)
    B, m, n = 2, 3, 2
    A = torch.randn(n, m)
    x_batch = torch.randn(B, m, requires_grad=True)
    y_batch = x_batch @ A.T
    v_batch = torch.randn(B, n)
    y_batch.backward(v_batch)
    expected = v_batch @ A
    print(f"x_batch.grad:\n{x_batch.grad}")
    print(f"Expected:\n{expected}")
    closed = v_batch.numpy().astype(np.float64) @ A.numpy().astype(np.float64)
    check("x_batch.grad[b] == v_batch[b] @ A (NumPy, float64)", np.allclose(x_batch.grad.numpy(), closed, atol=1e-6))


def gradient_penalty_section():
    section("Gradient penalty (WGAN-GP), create_graph=True")

    def gradient_penalty(critic, real, fake, device):
        """Compute gradient penalty for WGAN-GP."""
        batch_size = real.size(0)
        alpha = torch.rand(batch_size, 1, 1, 1, device=device)
        interpolated = alpha * real + (1 - alpha) * fake
        interpolated.requires_grad_(True)
        critic_output = critic(interpolated)
        gradients = torch.autograd.grad(
            outputs=critic_output,
            inputs=interpolated,
            grad_outputs=torch.ones_like(critic_output),
            create_graph=True
        )[0]
        gradients = gradients.view(batch_size, -1)
        penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
        return penalty

    # A small critic written with tensors (pullback.nn arrives with the nn issue): 2x3x3 images -> 1.
    torch.manual_seed(3)
    torch.set_default_dtype(torch.float64)
    try:
        W1 = (torch.randn(18, 16) * 0.3).requires_grad_()
        W2 = (torch.randn(16, 1) * 0.3).requires_grad_()
        untouched = torch.zeros(4, requires_grad=True)

        def critic_with(w1, w2):
            return lambda images: torch.tanh(images.reshape(images.size(0), -1) @ w1) @ w2

        real, fake = torch.randn(4, 2, 3, 3), torch.randn(4, 2, 3, 3)
        torch.manual_seed(4)
        penalty = gradient_penalty(critic_with(W1, W2), real, fake, "cpu")
        penalty.backward()
        print(f"penalty: {penalty}")
        print(f"W1.grad norm: {W1.grad.norm():.6f}, W2.grad norm: {W2.grad.norm():.6f}")
        check("a parameter the penalty does not reach keeps .grad None", untouched.grad is None)

        def penalty_at(w1_flat):
            torch.manual_seed(4)  # the same interpolation weights alpha
            w1 = torch.tensor(w1_flat.reshape(18, 16))
            return gradient_penalty(critic_with(w1, W2.detach()), real, fake, "cpu").item()

        rng = np.random.default_rng(0)
        u = rng.standard_normal(18 * 16)
        w = W1.detach().numpy().reshape(-1)
        eps = 1e-6
        numeric = (penalty_at(w + eps * u) - penalty_at(w - eps * u)) / (2 * eps)
        analytic = float(W1.grad.numpy().reshape(-1) @ u)
        check("d penalty / d W1 matches float64 finite differences",
              np.isclose(analytic, numeric, rtol=1e-6), f"{analytic:.8f} vs {numeric:.8f}")
    finally:
        torch.set_default_dtype(torch.float32)


def common_pitfalls():
    section("Common pitfalls")
    x = torch.randn(2, 2, requires_grad=True)
    y = x * 2
    try:
        y.backward(torch.ones(2))
    except RuntimeError as e:
        print(f"Shape mismatch: {e}")
        check("a mis-shaped v gives PyTorch's error", str(e).startswith("Mismatch in shape: grad_output[0]"))
    z = (x * x).sum()
    z.backward()
    try:
        z.backward()
    except RuntimeError as e:
        print(f"Graph consumption: {str(e)[:60]}...")
        check("a second backward without retain_graph is refused", "second time" in str(e))
    w = (x * x).sum()
    w.backward(retain_graph=True)
    w.backward()
    check("retain_graph=True allows a second VJP", np.allclose(x.grad.numpy(), 2 * 2 * x.detach().numpy() * 1.5))


SECTIONS = [scalar_loss, non_scalar_outputs, mathematical_verification, linear_transformation,
            jacobian_row_by_row, batched_linear_vjp, gradient_penalty_section, common_pitfalls]


def main():
    print("pullback: a tour of 'Vector-Jacobian Products', every result checked")
    for run in SECTIONS:
        run()
    passed = sum(_results)
    failed = len(_results) - passed
    print(f"\n{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
