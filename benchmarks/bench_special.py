"""Special-function benchmarks: exact GELU (``F.gelu``, which is ``erf``) forward and backward on a
512x1024 float32 tensor, pullback against PyTorch, as a ratio of medians.

Run with one thread, as the developers' guide asks:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_special.py

The candidates are interleaved (one round runs each once) and medians are compared (see bench_core.py).
"""
import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from bench_core import interleaved, pullback, torch  # noqa: E402


def gelu_step(m, shape=(512, 1024)):
    x = m.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32), requires_grad=True)

    def run():
        x.grad = None
        m.nn.functional.gelu(x).sum().backward()
    return run


def erf_forward(m, shape=(512, 1024)):
    x = m.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    return lambda: m.erf(x)


def main():
    cases = {"gelu exact fwd+bwd 512x1024 f32": gelu_step, "erf fwd 512x1024 f32": erf_forward}
    for label, make in cases.items():
        candidates = {"pullback": make(pullback)}
        if torch is not None:
            candidates["torch"] = make(torch)
        t = interleaved(candidates, rounds=15, inner=3)
        line = f"{label:36s} pullback {t['pullback'] * 1e3:8.2f} ms"
        if torch is not None:
            line += f"   torch {t['torch'] * 1e3:8.2f} ms   ratio {t['pullback'] / t['torch']:5.2f}x"
        print(line)


if __name__ == "__main__":
    main()
