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


def survey_samples(op, kind, make_cases, check, results, prefix=""):
    """Runs ``check(index, sample)`` on every case and files each under passes, differs
    (an assertion), raises (pullback's exception), torch_raises or unsupported."""
    try:
        cases = make_cases()
    except Exception as e:  # torch's own generator failing is not ours to count
        results["generator_error"].append((S.op_id(op), kind, repr(e)[:200]))
        return
    for i, sample in enumerate(cases):
        key = (S.op_id(op), kind, i)
        try:
            check(i, sample)
        except S.TorchRaises:
            results[prefix + "torch_raises"].append(key)
        except S.Unsupported as e:
            results["unsupported"].append(key + (str(e),))
        except AssertionError as e:
            results[prefix + "differs"].append(key + (str(e)[:300], repr(sample)[:300]))
        except Exception as e:
            tb = traceback.extract_tb(e.__traceback__)[-1]
            where = f"{os.path.basename(tb.filename)}:{tb.lineno}"
            results[prefix + "raises"].append(key + (f"{type(e).__name__}: {str(e)[:150]} @ {where}", repr(sample)[:300]))
        else:
            results[prefix + "passes"].append(key)


def survey_forward(op, fn, dtype_name, results, reference):
    survey_samples(op, dtype_name, lambda: S.samples(op, dtype_name, reference=reference),
                   lambda i, sample: S.check_forward(op, fn, sample), results)


def survey_gradients(op, fn, results):
    if not op.supports_autograd or torch.float64 not in op.supported_backward_dtypes("cpu") \
            or S.op_id(op) in S.UNCOMPARABLE_VALUES:
        return
    survey_samples(op, "grad", lambda: S.samples(op, "float64", requires_grad=True),
                   lambda i, sample: S.check_gradients(op, fn, i, sample), results, prefix="grad_")


def survey_errors(op, fn, results):
    if op.error_inputs_func is None:
        return
    try:
        cases = list(op.error_inputs("cpu"))
    except Exception as e:
        results["generator_error"].append((S.op_id(op), "errors", repr(e)[:200]))
        return
    for i, error_input in enumerate(cases):
        key = (S.op_id(op), "error", i)
        try:
            problem = S.check_error_input(fn, error_input, op.op)
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
