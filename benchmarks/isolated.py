"""Interleaved rounds with each candidate in a process of its own.

In one process, the candidates share one heap: a pullback graph is made of Python objects, which
the cyclic garbage collector walks, and with torch imported beside it each full collection also
walks torch's ~150,000 module-level objects, a cost no pullback user pays (and torch's graph,
made in C++, never triggers a collection). So the dispatch cases also run this way: one worker
process per candidate imports only its own library, and this driver asks the workers in turn to
run one round each, so machine noise still hits all of them alike.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/isolated.py [OLD_SRC]

A worker is ``python isolated.py --worker MODULE [SRC]``: it reads case names on stdin, runs the
case once per line (the first line of a case also warms it up) and answers the seconds per op.
"""
import os
import statistics
import subprocess
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")


def _worker(module_name, src):
    import importlib
    import time
    sys.path.insert(0, src or SRC)
    module = importlib.import_module(module_name)
    if module_name == "torch":
        module.set_num_threads(1)
    sys.path.insert(0, HERE)
    import bench_dispatch
    made = {}
    for line in sys.stdin:
        case = line.strip()
        if case not in made:
            made[case] = getattr(bench_dispatch, case)(module)
            made[case][0]()  # warm up
        fn, ops = made[case]
        start = time.perf_counter()
        fn()
        print((time.perf_counter() - start) / ops, flush=True)


class Worker:
    """One candidate's process."""

    def __init__(self, module_name, src=None):
        command = [sys.executable, os.path.abspath(__file__), "--worker", module_name] + ([src] if src else [])
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, case):
        self.process.stdin.write(case + "\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def interleaved(workers, case, rounds):
    """Median seconds per op of ``case`` for each worker, one round each in turn."""
    times = {name: [] for name in workers}
    for w in workers.values():
        w.run(case)  # warm up (the worker's first call of a case also makes it)
    for _ in range(rounds):
        for name, w in workers.items():
            times[name].append(w.run(case))
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    sys.path.insert(0, HERE)
    from bench_dispatch import CASES
    workers = {"pullback": Worker("pullback")}
    if len(sys.argv) > 1:
        workers["before"] = Worker("pullback", sys.argv[1])
    try:
        import torch  # noqa: F401  (only to know whether a torch worker can run)
        workers["torch"] = Worker("torch")
    except ImportError:
        pass
    try:
        for title, case, rounds in CASES:
            result = interleaved(workers, case, rounds)
            print(f"\n{title} (us per op, each candidate in its own process)")
            for name, t in result.items():
                extra = f"   {t / result['torch']:.2f}x torch" if "torch" in result else ""
                print(f"  {name:>9}: {t * 1e6:9.2f}{extra}")
    finally:
        for w in workers.values():
            w.close()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        main()
