"""``python -m pullback``: a tour of the tutorial "Vector-Jacobian Products", every result checked.

Each section runs the tutorial's program with pullback, prints what the tutorial prints, and
checks the result against an independent computation: a closed form in NumPy, or central
finite differences in float64. A check prints a mark; any failure makes the exit status 1.
"""
import math
import os
import sys
import time

import numpy as np

import pullback as torch  # the tutorial's programs run with only these imports changed
import pullback.nn as nn
from pullback.autograd.functional import jacobian

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


def jacobians_three_ways():
    section("The Jacobian three ways: row by row, jacrev (one batched backward), jacfwd (one batched forward)")
    from pullback import func
    torch.manual_seed(6)
    W1, W2 = torch.randn(64, 64) / 8, torch.randn(32, 64) / 8
    x = torch.randn(64)

    def f(v):
        return torch.tanh(W2 @ torch.tanh(W1 @ v))

    def row_by_row():
        rows = []
        for i in range(32):
            xc = x.detach().requires_grad_(True)
            v = torch.zeros(32)
            v[i] = 1.0
            f(xc).backward(v)
            rows.append(xc.grad)
        return torch.stack(rows)

    results = {}
    for name, run in [("row by row", row_by_row), ("jacrev", lambda: func.jacrev(f)(x)),
                      ("jacfwd", lambda: func.jacfwd(f)(x))]:
        start = time.perf_counter()
        J = run()
        results[name] = (J, time.perf_counter() - start)
        print(f"{name:>11}: shape {tuple(J.shape)}, {results[name][1] * 1e3:7.2f} ms")
    base = results["row by row"][0].numpy()
    check("jacrev and jacfwd agree with the row-by-row Jacobian",
          all(np.allclose(r[0].numpy(), base, atol=1e-6) for r in results.values()))
    h1 = np.tanh(W1.numpy().astype(np.float64) @ x.numpy())
    y = np.tanh(W2.numpy().astype(np.float64) @ h1)
    closed = (1 - y ** 2)[:, None] * W2.numpy() @ ((1 - h1 ** 2)[:, None] * W1.numpy())
    check("and the closed form diag(1-y^2) W2 diag(1-h^2) W1 (NumPy, float64)", np.allclose(base, closed, atol=1e-5))


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


def gradient_penalty(critic, real, fake, device):
    """Compute gradient penalty for WGAN-GP (the tutorial's function, unchanged)."""
    batch_size = real.size(0)
    alpha = torch.rand(batch_size, 1, 1, 1, device=device)

    interpolated = alpha * real + (1 - alpha) * fake
    interpolated.requires_grad_(True)

    critic_output = critic(interpolated)

    # Need gradients w.r.t. interpolated (not scalar loss!)
    gradients = torch.autograd.grad(
        outputs=critic_output,
        inputs=interpolated,
        grad_outputs=torch.ones_like(critic_output),
        create_graph=True
    )[0]

    gradients = gradients.view(batch_size, -1)
    penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
    return penalty


def _write_graph_picture(penalty, critic):
    """Writes the penalty's backward graph (DOT, and SVG where Graphviz is installed)."""
    from pullback.autograd.graph import to_dot, render
    params = {f"critic.{name}": p for name, p in critic.named_parameters()}
    dot_path = os.path.abspath("pullback_gradient_penalty.dot")
    render(penalty, dot_path, params=params)
    print(f"graph of the penalty ({to_dot(penalty).count(' -> ')} edges) written to {dot_path}")
    try:
        svg_path = render(penalty, os.path.abspath("pullback_gradient_penalty.svg"), params=params)
        print(f"  and drawn in {svg_path}")
    except RuntimeError as e:
        print(f"  (no picture: {e})")
    text = open(dot_path).read()
    check("the picture shows the double-backward graph (Addmm and the critic's leaves)",
          "AddmmBackward0" in text and "critic.1.weight" in text)


def gradient_penalty_section():
    section("Gradient penalty (WGAN-GP): create_graph=True, then backward into the critic")
    torch.manual_seed(3)
    torch.set_default_dtype(torch.float64)  # float64 so that finite differences can check it
    try:
        critic = nn.Sequential(nn.Flatten(), nn.Linear(2 * 3 * 3, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
        real, fake = torch.randn(4, 2, 3, 3), torch.randn(4, 2, 3, 3)
        torch.manual_seed(4)
        penalty = gradient_penalty(critic, real, fake, "cpu")
        _write_graph_picture(penalty, critic)
        penalty.backward()
        print(critic)
        print(f"penalty: {penalty.item():.6f}")
        print(f"critic[1].weight.grad norm: {critic[1].weight.grad.norm():.6f}")
        print(f"critic[3].bias.grad: {critic[3].bias.grad}")
        check("the last bias does not reach the penalty: its .grad stays None, as in PyTorch",
              critic[3].bias.grad is None)
        weight = critic[1].weight
        u = np.random.default_rng(0).standard_normal(tuple(weight.shape))
        w0 = weight.detach().numpy().copy()

        def penalty_at(w):
            with torch.no_grad():
                weight.copy_(torch.tensor(w))
            torch.manual_seed(4)  # the same interpolation weights alpha
            value = gradient_penalty(critic, real, fake, "cpu").item()
            with torch.no_grad():
                weight.copy_(torch.tensor(w0))
            return value

        eps = 1e-6
        numeric = (penalty_at(w0 + eps * u) - penalty_at(w0 - eps * u)) / (2 * eps)
        analytic = float((weight.grad.numpy() * u).sum())
        check("d penalty / d critic[1].weight matches float64 finite differences",
              np.isclose(analytic, numeric, rtol=1e-6), f"{analytic:.8f} vs {numeric:.8f}")
    finally:
        torch.set_default_dtype(torch.float32)


def jacobian_functional():
    section("Computing full Jacobians with autograd.functional")

    def f(x):
        return torch.stack([
            x[0] * x[1] + x[2],
            torch.sin(x[0]) + x[1]**2
        ])

    x = torch.tensor([1.0, 2.0, 3.0])
    J = jacobian(f, x)
    print(f"Jacobian shape: {J.shape}")
    print(f"Jacobian:\n{J}")
    closed = np.array([[2.0, 1.0, 1.0], [np.cos(1.0), 4.0, 0.0]])
    check("J == [[x1, x0, 1], [cos x0, 2 x1, 0]] (closed form)", np.allclose(J.numpy(), closed, atol=1e-6))


def intermediate_layers():
    section("Gradient of the loss w.r.t. intermediate layers (a forward hook)")
    torch.manual_seed(5)
    model = nn.Sequential(
        nn.Linear(10, 64),
        nn.ReLU(),
        nn.Linear(64, 10)
    )
    x = torch.randn(32, 10)
    y_true = torch.randint(0, 10, (32,))
    activations = []

    def hook(module, input, output):
        activations.append(output)

    model[1].register_forward_hook(hook)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y_true)
    loss.backward()
    hidden = activations[0]
    print(f"Hidden activation shape: {hidden.shape}")
    check("the hook captured the ReLU output (32 x 64, no negatives)",
          tuple(hidden.shape) == (32, 64) and hidden.min().item() >= 0)
    w2 = model[2].weight.detach().numpy().astype(np.float64)
    b2 = model[2].bias.detach().numpy().astype(np.float64)
    h = hidden.detach().numpy().astype(np.float64)
    z = h @ w2.T + b2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(32), y_true.numpy()] -= 1
    closed = p.T @ h / 32  # d cross_entropy / d W2 = (softmax - onehot)^T h / N
    check("d loss / d model[2].weight == (softmax - onehot)^T h / N (NumPy, float64)",
          np.allclose(model[2].weight.grad.numpy(), closed, atol=1e-6))


def make_spirals(n_per_class=500, noise=0.08):
    """Two interleaved 2-D spirals: points (2n, 2) and labels (2n,)."""
    t = torch.rand(n_per_class) ** 0.5 * 3 * math.pi
    arm = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / (3 * math.pi)
    points = torch.cat([arm, -arm]) + torch.randn(2 * n_per_class, 2) * noise
    labels = torch.cat([torch.zeros(n_per_class, dtype=torch.long), torch.ones(n_per_class, dtype=torch.long)])
    return points, labels


def train_spirals(compiled, report=print, epochs=40, batch_size=50):
    """The spirals MLP trained with Adam and a cosine schedule; ``compiled``: each step replayed
    by ``torch.compile``. Returns the model, the last loss and the final accuracy."""
    torch.manual_seed(0)
    points, labels = make_spirals()
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

    def step(x, y):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.detach()
    step = torch.compile(step) if compiled else step
    for epoch in range(epochs):
        order = torch.randperm(len(points))
        for first in range(0, len(points), batch_size):
            batch = order[first:first + batch_size]
            loss = step(points[batch], labels[batch])
        scheduler.step()
        with torch.no_grad():
            accuracy = (model(points).argmax(dim=1) == labels).float().mean().item()
        report(f"epoch {epoch + 1:2d}/{epochs}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")
    return model, loss, accuracy


def training():
    section("Training a small MLP on two interleaved spirals")
    start = time.perf_counter()
    model, loss, accuracy = train_spirals(compiled=False)
    seconds = time.perf_counter() - start
    print(f"final accuracy: {accuracy:.3f} ({seconds:.1f} s)")
    check("the MLP separates the spirals (accuracy >= 0.95)", accuracy >= 0.95, f"{accuracy:.3f}")
    start = time.perf_counter()
    compiled_model, compiled_loss, _ = train_spirals(compiled=True, report=lambda line: None)
    compiled_seconds = time.perf_counter() - start
    print(f"the same training with each step compiled (torch.compile): {compiled_seconds:.1f} s, "
          f"{seconds / compiled_seconds:.1f}x faster")
    same = all(torch.equal(a, b) for a, b in zip(model.parameters(), compiled_model.parameters()))
    check("compiled training ends with bitwise the same parameters and loss",
          same and torch.equal(loss, compiled_loss))


def recurrent_training():
    section("Training an LSTM: is the sum of a sequence of +-1 steps positive?")
    torch.manual_seed(0)
    steps = torch.randint(0, 2, (512, 12, 1)).float() * 2 - 1
    labels = (steps.sum(dim=(1, 2)) > 0).long()
    lstm, head = nn.LSTM(1, 16, batch_first=True), nn.Linear(16, 2)
    optimizer = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.02)
    start = time.perf_counter()
    for epoch in range(30):
        for first in range(0, len(steps), 64):
            out, (h, c) = lstm(steps[first:first + 64])
            loss = nn.functional.cross_entropy(head(h[-1]), labels[first:first + 64])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        accuracy = (head(lstm(steps)[1][0][-1]).argmax(dim=1) == labels).float().mean().item()
    print(f"final accuracy: {accuracy:.3f} ({time.perf_counter() - start:.1f} s)")
    check("the LSTM learns the sign of the sum (accuracy >= 0.95)", accuracy >= 0.95, f"{accuracy:.3f}")
    # One directional derivative of the loss in the recurrent weights, against float64 central differences.
    lstm64, head64 = lstm.double(), head.double()
    x64, weight = steps[:8].double(), lstm64.weight_hh_l0
    direction = torch.randn(weight.shape, dtype=torch.float64)

    def loss_at(w):
        with torch.no_grad():
            weight.copy_(w)
        return nn.functional.cross_entropy(head64(lstm64(x64)[1][0][-1]), labels[:8])
    w0 = weight.detach().clone()
    lstm64.zero_grad()
    loss_at(w0).backward()
    analytic = (weight.grad * direction).sum().item()
    eps = 1e-6
    numeric = (loss_at(w0 + eps * direction).item() - loss_at(w0 - eps * direction).item()) / (2 * eps)
    loss_at(w0)
    check("d loss / d weight_hh_l0 along a random direction matches float64 finite differences",
          abs(analytic - numeric) < 1e-6 * max(1.0, abs(numeric)), f"{analytic:.9f} vs {numeric:.9f}")


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
            jacobian_functional, jacobian_row_by_row, jacobians_three_ways, batched_linear_vjp, intermediate_layers,
            gradient_penalty_section, common_pitfalls, training, recurrent_training]


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
