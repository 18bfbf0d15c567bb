"""The dispatch targets of the architecture: per-op costs of tiny eager work, side by side with torch.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_dispatch.py [OLD_SRC]

Three cases, each where Python overhead is all the cost: a 100-op chain of tiny elementwise ops
(3 floats) forward + backward, a 100,000-op chain of 0-dim tensors with backward, and the
tutorial's Jacobian (``jacobian`` of a 3 -> 2 function). With OLD_SRC (the ``src`` directory of
another checkout) that version runs in the same interleaved rounds, as ``pullback_before``.
``isolated.py`` runs the same cases with each candidate in a process of its own (why: there).
"""
import os
import statistics
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

sys.path.insert(0, os.path.dirname(__file__))

def small_chain(m, ops=100):
    x = m.tensor([0.5, 1.0, -0.5], requires_grad=True)
    c = m.tensor([1.0001, 0.9999, 1.0])

    def run():
        x.grad = None
        y = x
        for _ in range(ops // 4):
            y = m.sin(y) * c + 0.001
            y = m.tanh(y)
        y.sum().backward()
    return run, ops


def scalar_chain(m, ops=100_000):
    x = m.tensor(1.0, requires_grad=True)

    def run():
        x.grad = None
        y = x
        for _ in range(ops // 2):
            y = y * 0.99999 + 0.00001
        y.backward()
    return run, ops


def tutorial_jacobian(m, ops=1):
    jacobian = (m.autograd.functional.jacobian)

    def f(x):
        return m.stack([x[0] * x[1] + x[2], m.sin(x[0]) + x[1] ** 2])
    x = m.tensor([1.0, 2.0, 3.0])
    return (lambda: jacobian(f, x)), ops


def interleaved(candidates, rounds):
    times = {name: [] for name in candidates}
    for fn, _ in candidates.values():
        fn()
    for _ in range(rounds):
        for name, (fn, ops) in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) / ops)
    return {name: statistics.median(t) for name, t in times.items()}


# (title, case, rounds); isolated.py runs the same cases with each candidate in its own process.
CASES = [("100-op chain of tiny elementwise ops, forward + backward", "small_chain", 200),
         ("100,000-op 0-dim chain, forward + backward", "scalar_chain", 15),
         ("the tutorial's jacobian (3 -> 2)", "tutorial_jacobian", 300)]


def main():
    # (imported here, not at the top: isolated.py's workers import these cases without both libraries)
    from before_after import import_before  # (puts this checkout's src first on sys.path)
    import pullback
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    modules = {"pullback": pullback}
    if len(sys.argv) > 1:
        modules["before"] = import_before(sys.argv[1])
    if torch is not None:
        modules["torch"] = torch
    for title, case, rounds in CASES:
        result = interleaved({name: globals()[case](m) for name, m in modules.items()}, rounds)
        print(f"\n{title} (us per op)")
        for name, t in result.items():
            extra = f"   {t / result['torch']:.2f}x torch" if "torch" in result else ""
            print(f"  {name:>9}: {t * 1e6:9.2f}{extra}")


if __name__ == "__main__":
    main()
