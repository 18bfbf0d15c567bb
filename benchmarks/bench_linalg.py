"""Linear-algebra benchmarks (issue 11), side by side with PyTorch, as ratios.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_linalg.py [--quick]

Each case is a forward and a VJP (backward of a weighted sum) on float64 matrices of 64 x 64 and
512 x 512, built the same way in both libraries; candidates run in interleaved rounds and the
medians are compared. eigh is measured where pullback has it.
"""
import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(__file__))
import pullback  # noqa: E402
from bench_core import interleaved, report, torch  # noqa: E402


def _matrix(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n)) + n ** 0.5 * np.eye(n)


def _step(m, fn, inputs, n_out_shape):
    """forward + backward of <w, fn(*inputs)> for fixed random weights w."""
    xs = [m.tensor(a, requires_grad=True) for a in inputs]
    w = m.tensor(np.random.default_rng(1).standard_normal(n_out_shape))

    def run():
        for x in xs:
            x.grad = None
        (fn(m, *xs) * w).sum().backward()
    return run


def solve(m, n):
    """linalg.solve(A, B) with 8 right-hand sides."""
    b = np.random.default_rng(2).standard_normal((n, 8))
    return _step(m, lambda m, a, b: m.linalg.solve(a, b), [_matrix(n), b], (n, 8))


def cholesky(m, n):
    a = _matrix(n)
    spd = a @ a.T
    return _step(m, lambda m, a: m.linalg.cholesky(a), [spd], (n, n))


def slogdet(m, n):
    return _step(m, lambda m, a: m.linalg.slogdet(a).logabsdet, [_matrix(n)], ())


def eigh(m, n):
    a = _matrix(n)
    return _step(m, lambda m, a: m.linalg.eigh(a).eigenvalues, [a + a.T], (n,))


def main():
    quick = "--quick" in sys.argv
    cases = [("solve", solve), ("cholesky", cholesky), ("slogdet", slogdet)]
    if hasattr(pullback.linalg, "eigh"):
        cases.append(("eigh", eigh))
    for n in (64, 512):
        for name, make in cases:
            candidates = {"pullback": make(pullback, n)}
            if torch is not None:
                candidates["torch"] = make(torch, n)
            rounds, inner = (30, 10) if n == 64 else (10, 1)
            if quick:
                rounds = max(3, rounds // 5)
            report(f"{name}, {n} x {n} float64: forward + VJP", interleaved(candidates, rounds=rounds, inner=inner))


if __name__ == "__main__":
    main()
