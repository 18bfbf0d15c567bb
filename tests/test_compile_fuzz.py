"""pullback.compile against eager pullback on random programs (tests/fuzz_programs.py): each
program becomes a function of its inputs, returning every value it made and the gradients of their
sum; the compiled function is called with fresh input values (the same shapes and dtypes) and must
return bitwise what the eager function returns, or raise the same exception type. (A graph break is
fine: the call then runs eagerly.)"""
import warnings

import pytest

import pullback

pytest.importorskip("torch")  # the program generator executes each drawn step in torch
import fuzz_programs as fz  # noqa: E402

PROGRAMS = 120


def _function(program):
    """``def f(<inputs>)``: the program's steps, then its values and the gradients of their sum."""
    names = [i.name for i in program.inputs]
    outs = [s.out for s in program.steps if s.out]
    leaves = [i.name for i in program.inputs if i.requires_grad]
    body = [s.source() for s in program.steps]
    body.append(f"outs = [{', '.join(outs)}]")
    if leaves:
        body.append("total = sum(o.float().sum() for o in outs if isinstance(o, torch.Tensor) and o.requires_grad)")
        body.append(f"grads = torch.autograd.grad(total, [{', '.join(leaves)}], allow_unused=True) "
                    "if isinstance(total, torch.Tensor) else ()")
    else:
        body.append("grads = ()")
    body.append("return [o.detach() if isinstance(o, torch.Tensor) else o for o in outs], list(grads)")
    source = f"def f({', '.join(names)}):\n" + "\n".join("    " + line for line in body)
    namespace = {"torch": pullback}
    exec(compile(source, "<fuzz function>", "exec"), namespace)  # noqa: S102
    return namespace["f"], source


def _inputs(program, k):
    """The program's inputs with values shifted by ``k`` (floats), the same otherwise."""
    namespace = {"torch": pullback}
    for i in program.inputs:
        exec(i.source(), namespace)  # noqa: S102
    values = []
    for i in program.inputs:
        t = namespace[i.name]
        if t.dtype.is_floating_point and t.numel():
            with pullback.no_grad():
                t = (t.detach() + 0.25 * k).requires_grad_(t.requires_grad)
        values.append(t)
    return values


def _run(fn, args):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args), None
    except Exception as e:  # noqa: BLE001  (an exception is a result to compare)
        return None, type(e)


def _same(a, b):
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, pullback.Tensor):
        return (isinstance(b, pullback.Tensor) and a.dtype is b.dtype and a.shape == b.shape
                and a.numpy().tobytes() == b.numpy().tobytes())
    return a is b or a == b or (a != a and b != b)


@pytest.mark.parametrize("seed", range(PROGRAMS))
def test_compiled_program_matches_eager(seed):
    program = fz.generate_program(fz.RandomChooser(seed), exclusions=fz.EXCLUSIONS)
    fn, source = _function(program)
    compiled = pullback.compile(fn)
    for k in range(4):
        eager, eager_error = _run(fn, _inputs(program, k))
        got, error = _run(compiled, _inputs(program, k))
        assert error is eager_error, f"call {k}: {error} vs eager {eager_error}\n{source}"
        if error is None:
            assert _same(got, eager), f"call {k} differs from eager\n{source}"
