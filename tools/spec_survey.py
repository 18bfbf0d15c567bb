"""Survey: run every torch OpInfo sample that pullback can take and tally the outcomes.

    python tools/spec_survey.py [--ops NAME,...] [--json out.json]

Prints, per op, the forward samples that differ from torch or raise, and a summary. The tests in
tests/test_spec_ops.py check the same things; this script is for looking at all of it at once.
"""
import argparse
import collections
import json
import os
import sys
import traceback
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import torch_spec as S  # noqa: E402
import torch  # noqa: E402


def survey_forward(op, fn, dtype_name, results, reference):
    try:
        cases = S.samples(op, dtype_name, reference=reference)
    except Exception as e:  # torch's own generator failing is not ours to count
        results["generator_error"].append((S.op_id(op), dtype_name, repr(e)[:200]))
        return
    for i, sample in enumerate(cases):
        key = (S.op_id(op), dtype_name, i)
        try:
            expected = S.run_torch(op, sample)
        except Exception:
            results["torch_raises"].append(key)
            continue
        try:
            actual = S.run_pullback(fn, sample)
        except S.Unsupported as e:
            results["unsupported"].append(key + (str(e),))
            continue
        except Exception as e:
            tb = traceback.extract_tb(e.__traceback__)[-1]
            results["raises"].append(key + (f"{type(e).__name__}: {str(e)[:150]} @ {os.path.basename(tb.filename)}:{tb.lineno}", repr(sample)[:300]))
            continue
        try:
            S.assert_same(actual, expected)
        except Exception as e:
            results["differs"].append(key + (str(e)[:300], repr(sample)[:300]))
            continue
        results["passes"].append(key)


def survey_gradients(op, fn, results):
    if not op.supports_autograd or torch.float64 not in op.supported_backward_dtypes("cpu"):
        return
    try:
        cases = S.samples(op, "float64", requires_grad=True)
    except Exception as e:
        results["generator_error"].append((S.op_id(op), "grad", repr(e)[:200]))
        return
    for i, sample in enumerate(cases):
        key = (S.op_id(op), "grad", i)
        second = op.supports_gradgrad
        try:
            expected = S.gradients(torch, lambda a, k: op.op(*a, **k), S.sample_args(sample), sample, second, i)
        except Exception:
            results["grad_torch_raises"].append(key)
            continue
        try:
            actual = S.gradients(S.pullback, lambda a, k: fn(*a, **k), S.to_pb(S.sample_args(sample)), sample, second, i)
        except S.Unsupported as e:
            results["unsupported"].append(key + (str(e),))
            continue
        except Exception as e:
            tb = traceback.extract_tb(e.__traceback__)[-1]
            results["grad_raises"].append(key + (f"{type(e).__name__}: {str(e)[:150]} @ {os.path.basename(tb.filename)}:{tb.lineno}", repr(sample)[:300]))
            continue
        try:
            if expected is None or actual is None:
                assert expected is None and actual is None, f"torch {expected is None} pullback {actual is None}"
            else:
                S.assert_same_gradients(actual[0], expected[0], what="grad")
                S.assert_same_gradients(actual[1], expected[1], what="gradgrad")
        except Exception as e:
            results["grad_differs"].append(key + (str(e)[:300], repr(sample)[:300]))
            continue
        results["grad_passes"].append(key)


def survey_errors(op, fn, results):
    try:
        cases = list(op.error_inputs("cpu"))
    except Exception as e:
        results["generator_error"].append((S.op_id(op), "errors", repr(e)[:200]))
        return
    for i, error_input in enumerate(cases):
        key = (S.op_id(op), "error", i)
        try:
            problem = S.check_error_input(fn, error_input)
        except S.Unsupported as e:
            results["unsupported"].append(key + (str(e),))
            continue
        if problem is None:
            results["error_passes"].append(key)
        elif problem.startswith("message"):
            results["error_message_differs"].append(key + (problem, repr(error_input.sample_input)[:300]))
        else:
            results["error_type_differs"].append(key + (problem, repr(error_input.sample_input)[:300]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops")
    parser.add_argument("--json")
    parser.add_argument("--reference", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    wanted = set(args.ops.split(",")) if args.ops else None
    results = collections.defaultdict(list)
    covered = 0
    for op in S.op_db():
        if wanted and op.name not in wanted and S.op_id(op) not in wanted:
            continue
        fn = S.pullback_op(op)
        if fn is None:
            results["missing"].append(S.op_id(op))
            continue
        covered += 1
        for dtype_name in S.sample_dtypes(op):
            survey_forward(op, fn, dtype_name, results, args.reference)
        survey_gradients(op, fn, results)
        survey_errors(op, fn, results)
    print(f"entries covered: {covered}")
    for kind in ("passes", "differs", "raises", "grad_passes", "grad_differs", "grad_raises", "grad_torch_raises",
                 "error_passes", "error_message_differs", "error_type_differs",
                 "unsupported", "torch_raises", "generator_error", "missing"):
        print(f"{kind}: {len(results[kind])}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=0, default=str)


if __name__ == "__main__":
    main()
