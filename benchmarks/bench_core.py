"""Core benchmarks: pullback side by side with PyTorch (and JAX where installed), as ratios.

Run with one thread, as the developers' guide asks:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_core.py

The candidates are interleaved (one round runs each once) and medians are compared, because on a
small shared machine identical runs differ by 1.1-2x.
"""
import os
import statistics
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
import pullback  # noqa: E402

try:
    import torch  # noqa: E402
    torch.set_num_threads(1)
except ImportError:
    torch = None


def interleaved(candidates, rounds=30, inner=5):
    """Median seconds per call for each candidate, measured in interleaved rounds."""
    times = {name: [] for name in candidates}
    for fn in candidates.values():
        fn()  # warm up
    for _ in range(rounds):
        for name, fn in candidates.items():
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - start) / inner)
    return {name: statistics.median(t) for name, t in times.items()}


def elementwise_chain(m, n):
    x0 = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    x = m.tensor(x0, requires_grad=True)

    def run():
        x.grad = None
        y = m.sin(x) * m.exp(-x * x) + m.tanh(x) ** 2
        y.sum().backward()
    return run


def mlp_step(m, batch, sizes):
    rng = np.random.default_rng(0)
    ws = [m.tensor(rng.standard_normal((a, b)).astype(np.float32) * 0.1, requires_grad=True)
          for a, b in zip(sizes[:-1], sizes[1:])]
    x = m.tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32))
    labels = rng.integers(0, sizes[-1], batch)
    target = m.tensor(np.eye(sizes[-1], dtype=np.float32)[labels])

    def run():
        for w in ws:
            w.grad = None
        h = x
        for i, w in enumerate(ws):
            h = h @ w
            if i < len(ws) - 1:
                h = m.relu(h)
        loss = -(m.log_softmax(h, 1) * target).sum() / batch
        loss.backward()
    return run


def small_op_overhead(m, length):
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)

    def run():
        x.grad = None
        y = x
        for _ in range(length):
            y = y * 1.0001 + 0.001
        y.sum().backward()
    return run


def scalar_chain(m, length):
    """A long chain of ops on one number, then backward: the engine's per-node cost dominates."""
    x = m.tensor(1.0, requires_grad=True)

    def run():
        x.grad = None
        y = x
        for _ in range(length):
            y = y * 1.0000001
        y.backward()
    return run


def tiny_jacobian(m):
    """``autograd.functional.jacobian`` of a 3 -> 3 function: one small ``autograd.grad`` per row."""
    x = m.tensor([0.5, 1.0, 1.5])

    def f(v):
        return m.sin(v) * v + v.exp()

    def run():
        m.autograd.functional.jacobian(f, x)
    return run


def numpy_mlp_by_hand(batch, sizes):
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal((a, b)).astype(np.float32) * 0.1 for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    labels = rng.integers(0, sizes[-1], batch)
    target = np.eye(sizes[-1], dtype=np.float32)[labels]

    def run():
        hs = [x]
        h = x
        for i, w in enumerate(ws):
            h = h @ w
            if i < len(ws) - 1:
                h = np.maximum(h, 0)
            hs.append(h)
        shifted = h - h.max(1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        g = (np.exp(logp) - target) / batch
        grads = []
        for i in range(len(ws) - 1, -1, -1):
            grads.append(hs[i].T @ g)
            if i:
                g = (g @ ws[i].T) * (hs[i] > 0)
        return grads
    return run


def report(title, results, base="pullback"):
    print(f"\n{title}")
    for name, t in results.items():
        ratio = t / results[base]
        print(f"  {name:>10}: {t * 1e6:10.1f} us   ({ratio:.2f}x pullback's time)")


def main():
    cases = [
        ("elementwise chain, 100k floats, forward + backward", lambda m: elementwise_chain(m, 100_000), {}),
        ("MLP 10-64-10, batch 32, forward + backward", lambda m: mlp_step(m, 32, [10, 64, 10]),
         {"numpy": numpy_mlp_by_hand(32, [10, 64, 10])}),
        ("MLP 784-1024-1024-10, batch 512, forward + backward", lambda m: mlp_step(m, 512, [784, 1024, 1024, 10]),
         {"numpy": numpy_mlp_by_hand(512, [784, 1024, 1024, 10])}),
        ("200 small ops (x*a+b) on 3 floats, forward + backward", lambda m: small_op_overhead(m, 100), {}),
    ]
    for title, make, extra in cases:
        candidates = {"pullback": make(pullback)}
        if torch is not None:
            candidates["torch"] = make(torch)
        candidates.update(extra)
        rounds = 10 if "784" in title else 30
        report(title, interleaved(candidates, rounds=rounds, inner=1 if "784" in title else 5))


if __name__ == "__main__":
    main()
