"""Peak memory of forward + backward on a 32-layer MLP (width 1024, batch 256), with and without
activation checkpointing (``checkpoint_sequential`` in 4 segments, and a checkpoint per layer).

    python benchmarks/bench_checkpoint.py

Memory is traced with tracemalloc (NumPy reports its array allocations to it). As in a training
loop, the parameters and their .grad buffers exist before tracing starts (zero_grad with
set_to_none=False after a warm-up step), so the peaks measure what checkpointing is about: the
activations kept for backward, plus temporaries. Without that, the 128 MiB of weight gradients
(32 x 1024 x 1024 float32) dominate every peak.
"""
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
import pullback  # noqa: E402
import pullback.nn as nn  # noqa: E402
from pullback.utils.checkpoint import checkpoint_sequential  # noqa: E402


def build(width=1024, depth=32):
    pullback.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers)


def measure(model, x, run):
    model.zero_grad(set_to_none=False)
    tracemalloc.start()
    start = time.perf_counter()
    out = run(model, x)
    after_forward = tracemalloc.get_traced_memory()[0]
    out.sum().backward()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return after_forward, peak, seconds


def main():
    model = build()
    x = pullback.randn(256, 1024)
    model(x).sum().backward()  # warm-up: allocates every .grad once
    runs = {
        "no checkpointing": lambda m, t: m(t),
        "checkpoint_sequential, 4 segments": lambda m, t: checkpoint_sequential(m, 4, t),
        "checkpoint_sequential, 8 segments": lambda m, t: checkpoint_sequential(m, 8, t),
    }
    for name, run in runs.items():
        held, peak, seconds = measure(model, x, run)
        print(f"{name:>36}: held after forward {held / 2**20:7.1f} MiB, peak {peak / 2**20:7.1f} MiB, "
              f"{seconds:.2f} s")


if __name__ == "__main__":
    main()
