"""Differential fuzzing against torch: random straight-line programs, run in both libraries.

    python tools/fuzz_torch.py --programs 5000 --seed 1 [--max-steps 8] [--exclusions] [--minutes M]

Draws programs with tests/fuzz_programs.py (without the CI test's exclusions unless --exclusions),
compares each in torch and in pullback, and prints a tally of the differences by class (op + kind:
value, requires_grad, exception, message, gradient, gradgrad) with the shortest failing program of
each class, shrunk (steps and inputs removed while the class stays the same), as Python source.
"""
import argparse
import collections
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import fuzz_programs as F  # noqa: E402


def compare_safely(program, exclusions):
    """compare(), with a crash of the comparison itself reported as a class of its own."""
    try:
        return F.compare(program, exclusions)
    except Exception as e:  # noqa: BLE001
        where = traceback.extract_tb(e.__traceback__)[-1]
        return F.Difference("fuzzer crash", type(e).__name__, -1,
                            f"{e} @ {os.path.basename(where.filename)}:{where.lineno}")


def same_class(key, exclusions):
    def keep(program):
        diff = compare_safely(program, exclusions)
        return diff is not None and diff.key == key
    return keep


def fuzz(count, seed, max_steps, exclusions, deadline):
    tally = collections.Counter()
    shortest = {}  # class -> (program, difference)
    ran = 0
    for i in range(count):
        if time.monotonic() > deadline:
            break
        program = F.generate_program(F.RandomChooser(seed * 1_000_003 + i), exclusions, max_steps)
        ran += 1
        diff = compare_safely(program, exclusions)
        if diff is None:
            continue
        tally[diff.key] += 1
        best = shortest.get(diff.key)
        if best is None or len(program) < len(best[0]):
            small = F.shrink(program, same_class(diff.key, exclusions))
            if best is None or len(small) < len(best[0]):
                shortest[diff.key] = (small, compare_safely(small, exclusions))
    return ran, tally, shortest


def report(ran, tally, shortest, seconds):
    failing = sum(tally.values())
    print(f"{ran} programs in {seconds:.0f} s; {failing} differ from torch ({len(tally)} classes)\n")
    print(f"{'count':>6}  {'op':<24} kind")
    for (op, kind), n in tally.most_common():
        print(f"{n:>6}  {op:<24} {kind}")
    by_cause = collections.Counter()
    for key, n in tally.items():
        program, diff = shortest[key]
        by_cause[(diff and F.known_class(program, diff)) or f"new: {key[0]} / {key[1]}"] += n
    print("\nby known class (the CI test's exclusions; the class of each op/kind's shortest program)")
    for cause, n in by_cause.most_common():
        print(f"{n:>6}  {cause}")
    for (op, kind), n in tally.most_common():
        program, diff = shortest[(op, kind)]
        cause = F.known_class(program, diff) or "new"
        print(f"\n# ---- {op} / {kind} ({n} programs; {cause})\n# {str(diff).replace(chr(10), chr(10) + '# ')}")
        print(program.source())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=8)
    parser.add_argument("--exclusions", action="store_true", help="skip the CI test's known difference classes")
    parser.add_argument("--minutes", type=float, default=None, help="stop drawing after this long")
    args = parser.parse_args()
    start = time.monotonic()
    deadline = start + (args.minutes * 60 if args.minutes else float("inf"))
    exclusions = F.EXCLUSIONS if args.exclusions else ()
    ran, tally, shortest = fuzz(args.programs, args.seed, args.max_steps, exclusions, deadline)
    report(ran, tally, shortest, time.monotonic() - start)


if __name__ == "__main__":
    main()
