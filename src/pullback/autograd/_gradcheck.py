"""``gradcheck`` and ``gradgradcheck``: analytical Jacobians (from VJPs) against central finite
differences, as PyTorch's."""
import warnings

from .._backend import B
from .._tensor import Tensor
from . import grad as _grad
from .grad_mode import enable_grad
from . import forward_ad


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytical and numerical derivatives disagree."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _differentiable_outputs(outputs):
    return [o for o in _as_tuple(outputs) if isinstance(o, Tensor) and o.is_floating_point()]


def _evaluate(func, inputs):
    # Grad mode stays on: the function may itself take gradients (gradgradcheck's does).
    with enable_grad():
        return [o.detach().numpy().astype(B.float64).reshape(-1).copy()
                for o in _differentiable_outputs(func(*inputs))]


def _numerical_jacobians(func, inputs, diff, eps):
    """J[i][o]: (numel of output o, numel of input i), by central differences."""
    result = []
    for i in diff:
        x = inputs[i]
        if not x._data.flags.c_contiguous:
            x._data = x._data.copy()
        flat = x._data.reshape(-1)  # a view: perturbs x in place
        columns = []
        for j in range(flat.size):
            original = flat[j].item()
            flat[j] = original + eps
            plus = _evaluate(func, inputs)
            flat[j] = original - eps
            minus = _evaluate(func, inputs)
            flat[j] = original
            columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
        per_output = [B.stack([c[o] for c in columns], axis=1) if columns else B.zeros((0, 0))
                      for o in range(len(columns[0]) if columns else 0)]
        result.append(per_output)
    return result


def _analytical_jacobians(func, inputs, diff):
    with enable_grad():
        outputs = _differentiable_outputs(func(*inputs))
    xs = [inputs[i] for i in diff]
    result = [[B.zeros((o.numel(), x.numel())) for o in outputs] for x in xs]
    for o_index, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        flat = out.reshape(-1)
        for k in range(flat.numel()):
            grads = _grad(flat[k], xs, retain_graph=True, allow_unused=True)
            for i, g in enumerate(grads):
                if g is not None:
                    result[i][o_index][k] = g.detach().numpy().astype(B.float64).reshape(-1)
    return result, outputs


def _side_by_side(numerical, analytical):
    rows = ["numerical" + " " * 24 + "analytical"]
    for n_row, a_row in zip(B.atleast_2d(numerical), B.atleast_2d(analytical)):
        n_text = " ".join(f"{v: .4e}" for v in n_row)
        a_text = " ".join(f"{v: .4e}" for v in a_row)
        mark = "" if B.allclose(n_row, a_row) else "   <-- differs"
        rows.append(f"{n_text:<32} {a_text}{mark}")
    return "\n".join(rows)


def _fail(message, raise_exception):
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Checks the gradients of ``func`` at ``inputs`` against central finite differences.

    For every input that requires grad and every floating point output, the Jacobian built from
    VJPs must match ``(f(x + eps) - f(x - eps)) / 2 eps`` within ``atol + rtol * |numerical|``.
    On failure the error names the output and input and prints both Jacobians side by side.
    ``fast_mode`` compares one random projection ``v^T J u`` per input instead (one VJP and one
    finite difference). Inputs should be float64; a warning says so otherwise.

    Returns:
        True, or False on failure when ``raise_exception`` is False.

    Example::

        >>> x = pullback.randn(3, dtype=pullback.float64, requires_grad=True)
        >>> pullback.autograd.gradcheck(pullback.sin, (x,))
        True
    """
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point or complex. ", UserWarning, stacklevel=2)
    if check_forward_ad and not _check_forward_ad(func, inputs, diff, eps, atol, rtol, raise_exception):
        return False
    if check_batched_grad and not _check_batched_grad(func, inputs, diff, atol, rtol, raise_exception):
        return False
    if not check_backward_ad:
        return True
    if fast_mode:
        return _fast_gradcheck(func, inputs, diff, eps, atol, rtol, raise_exception)
    analytical, outputs = _analytical_jacobians(func, inputs, diff)
    numerical = _numerical_jacobians(func, inputs, diff, eps)
    for i_pos, i in enumerate(diff):
        for o in range(len(outputs)):
            a, n = analytical[i_pos][o], numerical[i_pos][o]
            if not B.allclose(a, n, rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {o} with respect to input {i},\n"
                             f"{_side_by_side(n, a)}\n", raise_exception)
    if check_undefined_grad:
        with enable_grad():
            outs = [o for o in _differentiable_outputs(func(*inputs)) if o.requires_grad]
        if outs:
            zeros = [o.detach() * 0 for o in outs]
            grads = _grad(outs, [inputs[i] for i in diff], zeros, allow_unused=True)
            for i, g in zip(diff, grads):
                if g is not None and B.any(g.detach().numpy() != 0):
                    return _fail(f"Expected backward function to handle undefined output grads. Please look at "
                                 f"\"Notes about undefined output gradients\" in \"tools/autograd/derivatives.yaml\": "
                                 f"zero output gradients gave a nonzero gradient for input {i}", raise_exception)
    return True


def _check_forward_ad(func, inputs, diff, eps, atol, rtol, raise_exception):
    """Forward mode: each column J e_j from a dual-number pass against the numerical Jacobian."""
    numerical = _numerical_jacobians(func, inputs, diff, eps)
    for i_pos, i in enumerate(diff):
        x = inputs[i]
        for j in range(x.numel()):
            basis = B.zeros(x.numel(), dtype=x.dtype.np)
            basis[j] = 1
            with forward_ad.dual_level():
                args = list(inputs)
                args[i] = forward_ad.make_dual(x, Tensor._make(basis.reshape(tuple(x.shape))))
                outs = _differentiable_outputs(func(*args))
                tangents = [forward_ad.unpack_dual(o).tangent for o in outs]
            for o, t in enumerate(tangents):
                column = B.zeros(outs[o].numel()) if t is None else t.detach().numpy().astype(B.float64).reshape(-1)
                expected = numerical[i_pos][o][:, j]
                if not B.allclose(column, expected, rtol=rtol, atol=atol):
                    return _fail(f"Jacobian computed with forward mode mismatch for output {o} with respect to input "
                                 f"{i} (column {j}),\n{_side_by_side(expected[:, None], column[:, None])}\n",
                                 raise_exception)
    return True


def _check_batched_grad(func, inputs, diff, atol, rtol, raise_exception):
    """A batch of VJPs in one pass (is_grads_batched) against the same VJPs one at a time."""
    rng = B.random.default_rng(2)
    with enable_grad():
        outputs = [o for o in _differentiable_outputs(func(*inputs)) if o.requires_grad]
    xs = [inputs[i] for i in diff]
    for o, out in enumerate(outputs):
        vs = rng.standard_normal((3,) + tuple(out.shape)).astype(out.dtype.np)
        batched = _grad(out, xs, Tensor._make(vs), retain_graph=True, allow_unused=True, is_grads_batched=True)
        for b in range(3):
            single = _grad(out, xs, Tensor._make(vs[b]), retain_graph=True, allow_unused=True)
            for i, (gb, gs) in zip(diff, zip(batched, single)):
                if gb is None or gs is None:
                    continue
                if not B.allclose(gb.detach().numpy()[b], gs.detach().numpy(), rtol=rtol, atol=atol):
                    return _fail(f"While computing batched gradients, got: batched and unbatched gradients differ "
                                 f"for output {o} with respect to input {i} (batch entry {b})", raise_exception)
    return True


def _fast_gradcheck(func, inputs, diff, eps, atol, rtol, raise_exception):
    rng = B.random.default_rng(0)
    with enable_grad():
        outputs = _differentiable_outputs(func(*inputs))
    vs = [rng.standard_normal(tuple(o.shape)) for o in outputs]
    for i in diff:
        x = inputs[i]
        u = rng.standard_normal(tuple(x.shape))
        for o, (out, v) in enumerate(zip(outputs, vs)):
            if out.requires_grad:
                (g,) = _grad(out, x, Tensor._make(v.astype(out.dtype.np)), retain_graph=True, allow_unused=True)
                analytical = 0.0 if g is None else float((g.detach().numpy() * u).sum())
            else:
                analytical = 0.0
            original = x._data.copy()
            x._data[...] = original + eps * u
            plus = _evaluate(func, inputs)[o]
            x._data[...] = original - eps * u
            minus = _evaluate(func, inputs)[o]
            x._data[...] = original
            numerical = float(((plus - minus) / (2 * eps) * v.reshape(-1)).sum())
            if abs(analytical - numerical) > atol + rtol * abs(numerical):
                return _fail(f"Jacobian mismatch for output {o} with respect to input {i},\n"
                             f"numerical:{numerical}\nanalytical:{analytical}\n\nThe above quantities relating the "
                             "numerical and analytical jacobians are computed in fast mode (v^T J u for random u "
                             "and v).", raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Checks second derivatives: ``gradcheck`` of the VJP of ``func`` (with respect to the inputs
    and the vectors ``grad_outputs``, random when not given)."""
    inputs = _as_tuple(inputs)
    with enable_grad():
        outputs = _differentiable_outputs(func(*inputs))
    if grad_outputs is None:
        rng = B.random.default_rng(1)
        grad_outputs = tuple(Tensor._make(rng.standard_normal(tuple(o.shape)).astype(o.dtype.np)).requires_grad_(True)
                             for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivatives(*args):
        xs, vs = args[:n], args[n:]
        outs = [o for o in _differentiable_outputs(func(*xs))]
        pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        grads = _grad([p[0] for p in pairs], [xs[i] for i in diff], [p[1] for p in pairs], create_graph=True,
                      allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_undefined_grad=False, fast_mode=fast_mode)
