"""Sparse Jacobians and Hessians (pullback.sparse) against dense ones, one thread.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_sparse.py [--dense]

Three problems with 10,000-20,000 unknowns: (J1) a 1-D stencil ``x[i-1] - 2 x[i] + x[i+1] +
sin(x[i]) x[i]^2``, (J2) a Gray-Scott reaction-diffusion residual on a 100 x 100 grid (two fields,
a 5-point Laplacian), (H1) the chained Rosenbrock function. For each: the first call (detection,
colouring and evaluation), a prepared call (evaluation only), the colours. ``--dense`` also times
a dense Jacobian at the same size (pullback's ``func.jacfwd`` and ``torch.func.jacfwd``, once each: a
10,000 x 10,000 float64 matrix is 800 MB) and reports the ratio.
"""
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

sys.path.insert(0, os.path.dirname(__file__))
from bench_core import interleaved, torch  # noqa: E402  (puts this checkout's src first on sys.path)
import numpy as np  # noqa: E402
import pullback  # noqa: E402
import pullback.sparse  # noqa: E402


def stencil(m, x):
    inner = x[1:-1]
    return x[:-2] - 2 * inner + x[2:] + m.sin(inner) * inner ** 2


def gray_scott(m, x, du=0.16, dv=0.08, feed=0.035, kill=0.065):
    def laplacian(w):
        p = m.nn.functional.pad(w, (1, 1, 1, 1))
        return p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4 * w
    u, v = x[0], x[1]
    uvv = u * v * v
    return m.stack([du * laplacian(u) - uvv + feed * (1 - u), dv * laplacian(v) + uvv - (feed + kill) * v])


def rosenbrock(m, x):
    return ((x[1:] - x[:-1] ** 2) ** 2).sum() * 100 + ((1 - x[:-1]) ** 2).sum()


PROBLEMS = [
    ("J1 1-D stencil, n = 10,000", "jacobian", stencil, (10_000,)),
    ("J2 Gray-Scott 2 x 100 x 100, n = 20,000", "jacobian", gray_scott, (2, 100, 100)),
    ("H1 chained Rosenbrock, n = 10,000", "hessian", rosenbrock, (10_000,)),
]


def main(dense):
    import scipy.sparse  # noqa: F401  (imported once, as a program's first call would have it)
    rng = np.random.default_rng(0)
    for title, kind, f, shape in PROBLEMS:
        x = pullback.tensor(rng.uniform(0.1, 1.0, size=shape))
        fp = (lambda v, f=f: f(pullback, v))
        prepare = pullback.sparse.prepare_jacobian if kind == "jacobian" else pullback.sparse.prepare_hessian
        start = time.perf_counter()
        prepared = prepare(fp, x)
        result = prepared(x)
        first = time.perf_counter() - start
        timing = interleaved({"prepared": lambda: prepared(x)}, rounds=15, inner=3)["prepared"]
        print(f"\n{title}: {result.shape[0]} x {result.shape[1]}, {result.nnz} nonzeros, "
              f"{prepared.n_colors} colours ({prepared.mode})")
        print(f"  first call (detect + colour + evaluate): {first * 1e3:8.1f} ms")
        print(f"  prepared call:                           {timing * 1e3:8.2f} ms")
        if dense and kind == "jacobian" and x.numel() <= 10_000:
            start = time.perf_counter()
            pullback.func.jacfwd(fp)(x)
            ours = time.perf_counter() - start
            print(f"  pullback.func.jacfwd (dense):            {ours * 1e3:8.0f} ms   {ours / timing:7.0f}x the prepared call")
            if torch is not None:
                xt = torch.tensor(x.numpy())
                start = time.perf_counter()
                torch.func.jacfwd(lambda v: f(torch, v))(xt)
                theirs = time.perf_counter() - start
                print(f"  torch.func.jacfwd (dense):               {theirs * 1e3:8.0f} ms   "
                      f"{theirs / timing:7.0f}x the prepared call")


if __name__ == "__main__":
    main("--dense" in sys.argv[1:])
