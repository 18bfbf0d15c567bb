"""pullback.compile (issue 14): compiled steps beside eager pullback, eager torch and the same maths
written by hand in NumPy (the limit), as ratios to the hand-written time.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_compile.py

Candidates run in interleaved rounds and medians are compared (bench_core.interleaved). Each
compiled candidate is called a few times before timing (its first two calls record). The first
call's cost is reported as a multiple of one eager call.
"""
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(__file__))
import pullback  # noqa: E402
from bench_core import interleaved, torch  # noqa: E402
from bench_nn import gradient_penalty as penalty  # noqa: E402  (the tutorial's WGAN-GP step)

A, C = 1.0001, 0.001


# ------------------------------------------------------------------ the cases, in any library
def chain(m):
    """100 ops (50 times y * a + c) on a 3-vector, then its VJP."""
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = m.tensor([1.0, 0.5, 0.25])

    def step():
        y = x
        for _ in range(50):
            y = y * A + C
        return y.detach(), m.autograd.grad(y, x, v)[0]
    return step


def chain_by_hand():
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    v = np.array([1.0, 0.5, 0.25], dtype=np.float32)

    def step():
        y = x
        for _ in range(50):
            y = y * A + C
        g = v
        for _ in range(50):
            g = g * A
        return y, g
    return step


def seed_mlp(m, optimizer=None, batch=32):
    """The tutorial's model (Linear(10, 64), ReLU, Linear(64, 10), cross_entropy): forward +
    backward, and an optimizer step when one is named."""
    m.manual_seed(0)
    model = m.nn.Sequential(m.nn.Linear(10, 64), m.nn.ReLU(), m.nn.Linear(64, 10))
    opt = None
    if optimizer == "sgd":
        opt = m.optim.SGD(model.parameters(), lr=0.01)
    elif optimizer == "adam":
        opt = m.optim.Adam(model.parameters(), lr=1e-3)
    x = m.randn(batch, 10)
    y = m.randint(0, 10, (batch,))

    def step():
        if opt is None:
            model.zero_grad()
        else:
            opt.zero_grad()
        loss = m.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        if opt is not None:
            opt.step()
        return loss.detach()
    return step


def seed_mlp_by_hand(optimizer=None, batch=32):
    rng = np.random.default_rng(0)
    f32 = np.float32
    w1 = rng.standard_normal((64, 10)).astype(f32) * 0.3
    b1 = rng.standard_normal(64).astype(f32) * 0.3
    w2 = rng.standard_normal((10, 64)).astype(f32) * 0.1
    b2 = rng.standard_normal(10).astype(f32) * 0.1
    params = [w1, b1, w2, b2]
    x = rng.standard_normal((batch, 10)).astype(f32)
    y = rng.integers(0, 10, batch)
    rows = np.arange(batch)
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    t = [0]

    def step():
        a1 = x @ w1.T + b1
        h = np.maximum(a1, 0)
        out = h @ w2.T + b2
        e = np.exp(out - out.max(1, keepdims=True))
        s = e.sum(1)
        loss = (np.log(s) - np.log(e[rows, y])).mean()
        p = e / s[:, None]
        p[rows, y] -= 1
        p /= batch
        grads = [None, None, p.T @ h, p.sum(0)]
        da1 = (p @ w2) * (a1 > 0)
        grads[0], grads[1] = da1.T @ x, da1.sum(0)
        if optimizer == "sgd":
            for w, g in zip(params, grads):
                w -= 0.01 * g
        elif optimizer == "adam":
            t[0] += 1
            c1, c2 = 1 - 0.9 ** t[0], 1 - 0.999 ** t[0]
            for w, g, (m1, m2) in zip(params, grads, moments):
                m1 *= 0.9
                m1 += 0.1 * g
                m2 *= 0.999
                m2 += 0.001 * g * g
                w -= 1e-3 * (m1 / c1) / (np.sqrt(m2 / c2) + 1e-8)
        return loss, grads
    return step


def penalty_by_hand(batch=64):
    rng = np.random.default_rng(0)
    f32 = np.float32
    w1 = rng.standard_normal((256, 784)).astype(f32) * 0.03
    b1 = rng.standard_normal(256).astype(f32) * 0.03
    w2 = rng.standard_normal((1, 256)).astype(f32) * 0.06
    real = rng.standard_normal((batch, 784)).astype(f32)
    fake = rng.standard_normal((batch, 784)).astype(f32)

    def step():
        alpha = rng.random((batch, 1)).astype(f32)
        xi = alpha * real + (1 - alpha) * fake
        a1 = xi @ w1.T + b1
        slope = np.where(a1 > 0, f32(1), f32(0.2))
        u = slope * w2[0]                       # d out / d a1
        g = u @ w1                              # d out / d x
        n = np.sqrt((g * g).sum(1))
        p = ((n - 1) ** 2).mean()
        dg = (2 * (n - 1) / batch / n)[:, None] * g
        dw1 = u.T @ dg
        dw2 = ((dg @ w1.T) * slope).sum(0)
        return p, dw1, dw2, np.zeros_like(b1)
    return step


# ------------------------------------------------------------------ running them
def compiled(make):
    step = pullback.compile(make(pullback))
    for _ in range(3):
        step()
    return step


def first_call_ratio(make, repeats=5):
    """The first call of a compiled step over one eager call (median over fresh compiles)."""
    ratios = []
    for _ in range(repeats):
        eager = make(pullback)
        eager()
        start = time.perf_counter()
        eager()
        t_eager = time.perf_counter() - start
        step = pullback.compile(make(pullback))
        start = time.perf_counter()
        step()
        ratios.append((time.perf_counter() - start) / t_eager)
    return sorted(ratios)[len(ratios) // 2]


def report(title, results, base="by hand"):
    print(f"\n{title}")
    for name, t in results.items():
        print(f"  {name:>18}: {t * 1e6:10.1f} us   ({t / results[base]:.2f}x the hand-written time)")


def main():
    cases = [
        ("100-op chain on a 3-vector, forward + VJP", chain, chain_by_hand, 30, 20),
        ("seed MLP 10-64-10, batch 32, forward + backward", seed_mlp, seed_mlp_by_hand, 30, 10),
        ("seed MLP + SGD step", lambda m: seed_mlp(m, "sgd"), lambda: seed_mlp_by_hand("sgd"), 30, 10),
        ("seed MLP + Adam step", lambda m: seed_mlp(m, "adam"), lambda: seed_mlp_by_hand("adam"), 30, 10),
        ("WGAN-GP penalty step, 784-256-1 critic, batch 64 (double backward)", penalty, penalty_by_hand, 20, 3),
    ]
    for title, make, by_hand, rounds, inner in cases:
        candidates = {"pullback compiled": compiled(make), "pullback eager": make(pullback)}
        if torch is not None:
            candidates["torch eager"] = make(torch)
        candidates["by hand"] = by_hand()
        report(title, interleaved(candidates, rounds=rounds, inner=inner))
        print(f"  first compiled call: {first_call_ratio(make):.2f}x one eager call")


if __name__ == "__main__":
    main()
