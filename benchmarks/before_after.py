"""This checkout's pullback against an older one, with torch beside both, in one interleaved run.

    git worktree add --detach /tmp/pullback-before <rev>
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python benchmarks/before_after.py /tmp/pullback-before/src [WORD ...]

(with words, only the cases whose title contains one of them).

The older package is imported a second time under the name ``pullback_before`` (pullback imports
itself only relatively), so the cases of ``bench_core.py`` and ``bench_nn.py`` run on both versions
and on torch in the same rounds: machine noise hits the three alike, and the ratios compare.
"""
import importlib.util
import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

sys.path.insert(0, os.path.dirname(__file__))
import bench_core  # noqa: E402  (puts this checkout's src first on sys.path)
import bench_nn  # noqa: E402
import pullback  # noqa: E402


def import_before(src):
    """The pullback package under ``src`` (a ``src`` directory), imported as ``pullback_before``."""
    init = os.path.join(src, "pullback", "__init__.py")
    spec = importlib.util.spec_from_file_location("pullback_before", init,
                                                  submodule_search_locations=[os.path.dirname(init)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["pullback_before"] = module
    spec.loader.exec_module(module)
    return module


CASES = [
    ("elementwise chain, 100k floats, fwd + bwd", lambda m: bench_core.elementwise_chain(m, 100_000), 30, 5),
    ("MLP 10-64-10, batch 32, fwd + bwd", lambda m: bench_core.mlp_step(m, 32, [10, 64, 10]), 30, 5),
    ("MLP 784-1024-1024-10, batch 512, fwd + bwd", lambda m: bench_core.mlp_step(m, 512, [784, 1024, 1024, 10]),
     10, 1),
    ("200 small ops on 3 floats, fwd + bwd", lambda m: bench_core.small_op_overhead(m, 100), 30, 5),
    ("100,000-op scalar chain, fwd + bwd", lambda m: bench_core.scalar_chain(m, 100_000), 7, 1),
    ("tiny Jacobian (3 -> 3, autograd.functional)", bench_core.tiny_jacobian, 30, 20),
    ("seed MLP + cross_entropy, fwd + bwd", bench_nn.seed_mlp, 40, 20),
    ("MLP 784-1024-1024-10 + SGD step", bench_nn.big_mlp, 10, 1),
    ("gradient penalty, 784-256-1 critic", bench_nn.gradient_penalty, 20, 5),
    ("CNN conv3x3x16 + pool + linear, 64 x 28x28", bench_nn.small_cnn, 10, 2),
]


def main(argv):
    if not argv:
        sys.exit(__doc__)
    before = import_before(argv[0])
    only = argv[1:]  # optional words: run only the cases whose title contains one of them
    print(f"{'case':48} {'before/torch':>13} {'after/torch':>12} {'after/before':>13}")
    for title, make, rounds, inner in CASES:
        if only and not any(word in title for word in only):
            continue
        candidates = {"before": make(before), "after": make(pullback)}
        if bench_core.torch is not None:
            candidates["torch"] = make(bench_core.torch)
        t = bench_core.interleaved(candidates, rounds=rounds, inner=inner)
        torch_t = t.get("torch", float("nan"))
        print(f"{title:48} {t['before'] / torch_t:13.2f} {t['after'] / torch_t:12.2f} "
              f"{t['after'] / t['before']:13.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
