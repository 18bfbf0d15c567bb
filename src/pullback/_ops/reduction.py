"""Reductions: sum, mean, prod, max/min, norms, var/std, logsumexp, cumulative ops.

``axis`` is always a sorted tuple of non-negative dims or None (all dims); the public wrappers in
``functions.py`` normalise what users pass.
"""
import warnings

from .._backend import B
from .. import _dtype as D
from ._registry import primitive, Joint, LINEAR, REDUCTION, ALONG_AXIS
from . import _vmap_rules as V
from ._rules import expand_back, numel_over
from .elementwise import where, exp, sign, abs as abs_


def _sum_dtype(args, params):
    dt = params.get("dtype") or args[0].dtype
    if not dt.is_floating_point and params.get("dtype") is None:
        dt = D.int64  # PyTorch sums integers and bools in int64
    return dt, dt


def _sum_impl(x, axis, keepdim, dtype=None):
    # (the ufunc's reduce, not np.sum: the same result without NumPy's Python wrapper, so that a
    # floating-point warning is attributed to pullback and silenced as every op's is: _backend.py)
    return B.add.reduce(x, axis=axis, keepdims=keepdim)


_sum = primitive("sum", _sum_impl, out_dtype=_sum_dtype,
                 grad_name=lambda p, s: "SumBackward0" if p["axis"] is None and not p["keepdim"] else "SumBackward1",
                 vjp=lambda g, x_shape, axis, keepdim: expand_back(g, x_shape, axis, keepdim),
                 jvp=LINEAR, batch=REDUCTION)


def _mean_dtype(args, params):
    given = params.get("dtype")
    dt = given or args[0].dtype
    if not dt.is_floating_point:
        which = "Input" if given is None else "Optional"
        raise RuntimeError(f"mean(): could not infer output dtype. {which} dtype must be either a floating point or "
                           f"complex dtype. Got: {dt._tensor_type[:-6]}")
    return dt, dt


def _mean_impl(x, axis, keepdim, dtype=None):
    if x.size == 0:  # nan, as in PyTorch, without NumPy's "Mean of empty slice" warning
        with B.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return B.mean(x, axis=axis, keepdims=keepdim)
    return B.mean(x, axis=axis, keepdims=keepdim)


_mean = primitive("mean", _mean_impl,
                  out_dtype=_mean_dtype,
                  grad_name=lambda p, s: "MeanBackward0" if p["axis"] is None and not p["keepdim"] else "MeanBackward1",
                  vjp=lambda g, x_shape, axis, keepdim:
                      expand_back(g, x_shape, axis, keepdim) / numel_over(x_shape, axis),
                  jvp=LINEAR, batch=REDUCTION)


def _prod_others(x, axis):
    """prod over `axis` of every element but one, for each element: exact with zeros present."""
    if x.shape[axis] == 0:
        return x  # no elements: an empty gradient
    moved = movedim(x, axis, -1)
    ones = B.ones(moved.shape[:-1] + (1,), dtype=B.dtype(getattr(moved.dtype, "np", moved.dtype)))
    left = _cumprod(cat([ones, moved[..., :-1]], -1), axis=moved.ndim - 1)
    right = flip(_cumprod(flip(cat([moved[..., 1:], ones], -1), (-1,)), axis=moved.ndim - 1), (-1,))
    return movedim(left * right, -1, axis)


def _prod_vjp(g, x, axis, keepdim):
    if axis is None:
        flat = _reshape(x, shape=(-1,))
        others = _reshape(_prod_others(flat, 0), shape=tuple(x.shape))
        return expand_back(g, x.shape, None, keepdim) * others
    return expand_back(g, x.shape, (axis,), keepdim) * _prod_others(x, axis)


def _prod_jvp(primals, tangents, params, outputs):
    # d prod = sum(t * prod of the other elements): exact with zeros present.
    (x,), (t,) = primals, tangents
    axis = params["axis"]
    if axis is None:
        others = _reshape(_prod_others(_reshape(x, shape=(-1,)), 0), shape=tuple(x.shape))
        return (_sum(t * others, axis=None, keepdim=False),)
    return (_sum(t * _prod_others(x, axis), axis=(axis,), keepdim=params["keepdim"]),)


def _prod_impl(x, axis, keepdim, dtype=None):
    return B.multiply.reduce(x, axis=axis, keepdims=keepdim)  # (not np.prod: as _sum_impl)


_prod = primitive("prod", _prod_impl, out_dtype=_sum_dtype,
                  grad_name=lambda p, s: "ProdBackward0" if p["axis"] is None else "ProdBackward1",
                  vjp=_prod_vjp, jvp=_prod_jvp, batch=V.single_axis_reduction_rule, sparsity=REDUCTION)


def _evenly_distributed(g, x, ans, axis, keepdim):
    # Ties share the gradient equally, as PyTorch's amax/amin (and max() of a whole tensor) do.
    shape = tuple(x.shape)
    mask = (x == expand_back(ans, shape, axis, keepdim)) * 1.0
    count = _sum(mask, axis=axis, keepdim=True)
    return expand_back(g, shape, axis, keepdim) * mask / count


def _reduced(value, params):
    """``value`` summed over the dims a reduction with ``params`` reduces, with its keepdim."""
    return _sum(value, axis=params["axis"], keepdim=params["keepdim"])


def _extremum_jvp(primals, tangents, params, outputs):
    # The mean of the tangents at the tied extrema: torch's even split of the gradient, transposed.
    (x,), (t,), (ans,) = primals, tangents, outputs
    mask = (x == expand_back(ans, tuple(x.shape), params["axis"], params["keepdim"])) * 1.0
    return (_reduced(t * mask, params) / _reduced(mask, params),)


def _amax_impl(x, axis, keepdim, whole=False):  # `whole` names the node MaxBackward1
    try:
        return B.amax(x, axis=axis, keepdims=keepdim)
    except ValueError:
        raise _no_identity_error("max" if whole else "amax", x.shape, axis) from None


def _amin_impl(x, axis, keepdim, whole=False):
    try:
        return B.amin(x, axis=axis, keepdims=keepdim)
    except ValueError:
        raise _no_identity_error("min" if whole else "amin", x.shape, axis) from None


def _no_identity_error(name, shape, axis):
    """PyTorch's error for a max or min over no elements (NumPy's is "zero-size array ...")."""
    if axis is None:
        return RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                            "Specify the reduction dim with the 'dim' argument.")
    empty = next(a for a in axis if shape[a] == 0)
    return IndexError(f"{name}(): Expected reduction dim {empty} to have non-zero size.")


amax_ = primitive("amax", _amax_impl, out_dtype="keep",
                  grad_name=lambda p, s: "MaxBackward1" if p.get("whole") else "AmaxBackward0",
                  vjp=lambda g, x, ans, axis, keepdim: _evenly_distributed(g, x, ans, axis, keepdim),
                  jvp=_extremum_jvp, batch=REDUCTION)
amin_ = primitive("amin", _amin_impl, out_dtype="keep",
                  grad_name=lambda p, s: "MinBackward1" if p.get("whole") else "AminBackward0",
                  vjp=lambda g, x, ans, axis, keepdim: _evenly_distributed(g, x, ans, axis, keepdim),
                  jvp=_extremum_jvp, batch=REDUCTION)


def _arg_reduce(fn, name):
    def impl(x, axis, keepdim):
        if x.size == 0 and (axis is None or x.shape[axis] == 0):
            # PyTorch's texts are amax's, without its hint to give a dim, and always an IndexError.
            message = str(_no_identity_error(name, x.shape, None if axis is None else (axis,)))
            raise IndexError(message.split(" Specify")[0])
        if axis is None:
            r = fn(x.reshape(-1), axis=0)
            return B.asarray(r).reshape((1,) * x.ndim if keepdim else ())
        return fn(x, axis=axis, keepdims=keepdim)
    return impl


argmax_ = primitive("argmax", _arg_reduce(B.argmax, "argmax"), out_dtype="keep", batch=V.single_axis_reduction_rule)
argmin_ = primitive("argmin", _arg_reduce(B.argmin, "argmin"), out_dtype="keep", batch=V.single_axis_reduction_rule)


def _max_dim_impl(x, axis, keepdim, fn):
    idx = fn(x, axis=axis, keepdims=True)
    values = B.take_along_axis(x, idx, axis=axis)
    if not keepdim:
        values, idx = values.squeeze(axis), idx.squeeze(axis)
    return values, idx


def _value_selecting_vjp(g, ans, x_shape, axis, keepdim):
    # The gradient goes to the position each selected value came from.
    indices = ans[1]
    gv = g[0]
    if gv is None:
        return (None,)
    if not keepdim:
        gv = unsqueeze(gv, axis)
        indices = unsqueeze(indices, axis)
    return (indexing.put_along(gv, indices, axis=axis, shape=tuple(x_shape)),)


def _value_selecting_jvp(primals, tangents, params, outputs):
    # The tangent at the position each selected value came from.
    (t,), indices, axis = tangents, outputs[1]._data, params["axis"]
    if not params["keepdim"]:
        return (squeeze(indexing.take_along(t, B.expand_dims(indices, axis), axis=axis), axis), None)
    return (indexing.take_along(t, indices, axis=axis), None)


max_dim = primitive("max_dim", lambda x, axis, keepdim: _max_dim_impl(x, axis, keepdim, B.argmax),
                    out_dtype="keep", outputs=2, nondiff_outputs=(1,), grad_name="MaxBackward0",
                    vjp=Joint(_value_selecting_vjp), jvp=_value_selecting_jvp, batch=REDUCTION)
min_dim = primitive("min_dim", lambda x, axis, keepdim: _max_dim_impl(x, axis, keepdim, B.argmin),
                    out_dtype="keep", outputs=2, nondiff_outputs=(1,), grad_name="MinBackward0",
                    vjp=Joint(_value_selecting_vjp), jvp=_value_selecting_jvp, batch=REDUCTION)


def _logsumexp_impl(x, axis, keepdim):
    if x.size == 0:  # the sum of no exponentials is 0: log gives -inf, as in PyTorch
        m = B.zeros(tuple(1 if i in axis else n for i, n in enumerate(x.shape)), dtype=x.dtype)
    else:
        m = B.amax(x, axis=axis, keepdims=True)
    m = B.where(B.isfinite(m), m, 0)
    out = B.log(B.sum(B.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdim else out.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axis))


def _logsumexp_jvp(primals, tangents, params, outputs):
    # d logsumexp = sum(softmax(x) * t) over the reduced dims.
    (x,), (t,), (ans,) = primals, tangents, outputs
    weights = exp(x - expand_back(ans, tuple(x.shape), params["axis"], params["keepdim"]))
    return (_reduced(weights * t, params),)


logsumexp_ = primitive("logsumexp", _logsumexp_impl, out_dtype="float",
                       vjp=lambda g, x, ans, axis, keepdim:
                           expand_back(g, x.shape, axis, keepdim)
                           * exp(x - expand_back(ans, x.shape, axis, keepdim)),
                       jvp=_logsumexp_jvp, batch=REDUCTION)


def _var_impl(x, axis, correction, keepdim):
    return B.var(x, axis=axis, ddof=correction, keepdims=keepdim)


def _var_vjp(g, x, axis, correction, keepdim):
    n = numel_over(x.shape, axis)
    centered = x - _mean(x, axis=axis, keepdim=True)
    # With no degrees of freedom left, var is 0 / 0 = nan and so is its gradient (inf * 0), as in PyTorch.
    scale = 2.0 / (n - correction) if n != correction else float("inf")
    return expand_back(g, x.shape, axis, keepdim) * centered * scale


def _var_jvp(primals, tangents, params, outputs):
    # d var = 2 / (n - correction) * sum((x - mean) * t): the VJP rule applied to t.
    (x,), (t,) = primals, tangents
    centered = x - _mean(x, axis=params["axis"], keepdim=True)
    n = numel_over(tuple(x.shape), params["axis"])
    scale = 2.0 / (n - params["correction"]) if n != params["correction"] else float("inf")
    return (_reduced(centered * t, params) * scale,)


var_ = primitive("var", _var_impl, out_dtype="float", grad_name="VarBackward0", vjp=_var_vjp,
                 jvp=_var_jvp, batch=REDUCTION)


def _std_to_var_cotangent(g, ans):
    # d std = d var / (2 std); where std == 0 (equal elements) PyTorch's gradient is 0, not 0 / 0.
    return where(ans == 0, 0.0, g / (ans * 2))


std_ = primitive("std", lambda x, axis, correction, keepdim: B.sqrt(_var_impl(x, axis, correction, keepdim)),
                 out_dtype="float", grad_name="StdBackward0",
                 vjp=lambda g, x, ans, axis, correction, keepdim:
                     _var_vjp(_std_to_var_cotangent(g, ans), x, axis, correction, keepdim),
                 jvp=lambda primals, tangents, params, outputs:   # d std = d var / (2 std)
                     (_std_to_var_cotangent(_var_jvp(primals, tangents, params, outputs)[0], outputs[0]),),
                 batch=REDUCTION)


def _norm_impl(x, ord, axis, keepdim):
    a = B.abs(x)
    if ord == 2:
        return B.sqrt(B.sum(a * a, axis=axis, keepdims=keepdim))
    if ord in (float("inf"), -float("inf")):
        try:
            return (B.amax if ord > 0 else B.amin)(a, axis=axis, keepdims=keepdim)
        except ValueError:  # no elements to take the extremum of
            raise _no_identity_norm_error(ord, x.shape, axis) from None
    if ord == 0:
        return B.sum(a != 0, axis=axis, keepdims=keepdim).astype(x.dtype)
    if ord == 1:
        return B.sum(a, axis=axis, keepdims=keepdim)
    return B.sum(a ** ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)


def _no_identity_norm_error(ord, shape, axis):
    """PyTorch's error for an inf norm over no elements (NumPy's is "zero-size array ...")."""
    name = "inf" if ord > 0 else "-inf"
    empty = [a for a in (range(len(shape)) if axis is None else axis) if shape[a] == 0]
    if axis is None or len(axis) == len(shape):
        return RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty tensor because the "
                            "operation does not have an identity")
    return RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the dimension {empty[0]}because "
                        "this dimension is empty and the operation does not have an identity")


def _norm_vjp(g, x, ans, ord, axis, keepdim):
    shape = tuple(x.shape)
    gx = expand_back(g, shape, axis, keepdim)
    if ord == 0:
        return gx * 0
    if ord == 1:
        return gx * sign(x)
    n = expand_back(ans, shape, axis, keepdim)
    if ord == 2:
        # x / ||x||, taken as 0 where the norm is 0 (PyTorch's subgradient).
        return where(n == 0, 0.0, gx * x / n)
    if ord in (float("inf"), -float("inf")):
        mask = (abs_(x) == n) * 1.0
        count = _sum(mask, axis=axis, keepdim=True)
        return gx * sign(x) * mask / count
    zero = n == 0  # (a safe denominator there, so that the second derivative is 0, not nan)
    return where(zero, 0.0, gx * sign(x) * abs_(x) ** (ord - 1) / where(zero, 1.0, n) ** (ord - 1))


def _norm_jvp(primals, tangents, params, outputs):
    # sum(d||x|| / dx * t) over the reduced dims; the VJP rule of a cotangent of ones is d||x|| / dx.
    (x,), (t,), (ans,) = primals, tangents, outputs
    slopes = _norm_vjp(ans * 0 + 1, x, ans, params["ord"], params["axis"], params["keepdim"])
    return (_reduced(slopes * t, params),)


vector_norm = primitive("vector_norm", _norm_impl, out_dtype="float",
                        grad_name="LinalgVectorNormBackward0", vjp=_norm_vjp, jvp=_norm_jvp, batch=REDUCTION)

cumsum_ = primitive("cumsum", lambda x, axis, dtype=None: B.cumsum(x, axis=axis), out_dtype=_sum_dtype,
                    vjp=lambda g, axis: _reverse_cumsum(g, axis), jvp=LINEAR, batch=ALONG_AXIS)


def _reverse_cumsum(g, axis):
    return flip(cumsum_(flip(g, (axis,)), axis=axis), (axis,))


def _cumprod_vjp(g, x, ans, axis):
    # d ans_j / d x_i = ans_j / x_i for j >= i. Exact where x has no zeros; at a zero, the
    # products of the other elements are formed explicitly.
    if x.shape[axis] <= 1:
        return g  # along one element cumprod is the identity (and ans / x would round)
    zero = x == 0
    if not zero.any():
        return _reverse_cumsum(g * ans, axis) / x
    safe = where(zero, 1.0, x)
    return where(zero, _cumprod_grad_at_zeros(g, x, axis), _reverse_cumsum(g * ans, axis) / safe)


def _cumprod_grad_at_zeros(g, x, axis):
    # sum_{j >= i} g_j prod_{k <= j, k != i} x_k, for every i: an (n x n) computation along
    # `axis`, used only where x == 0 so that the common case stays O(n).
    xm = movedim(x, axis, -1)
    gm = movedim(g, axis, -1)
    n = xm.shape[-1]
    eye = B.eye(n, dtype=bool)
    # M[..., i, k] = x_k, with x_i replaced by 1: the factor list for the "other" products.
    factors = where(eye, 1.0, unsqueeze(xm, -2))
    partial = _cumprod(factors, axis=len(factors.shape) - 1)      # [..., i, j] = prod_{k<=j, k!=i}
    upper = B.triu(B.ones((n, n), dtype=bool))                    # keep j >= i
    contrib = where(upper, partial * unsqueeze(gm, -2), 0.0)
    return movedim(_sum(contrib, axis=(len(contrib.shape) - 1,), keepdim=False), -1, axis)


def _cumprod_jvp(primals, tangents, params, outputs):
    # d ans_j = sum_{i <= j} t_i prod_{k <= j, k != i} x_k: ans * cumsum(t / x) without zeros,
    # the products of the other elements formed explicitly where there are.
    (x,), (t,), (ans,) = primals, tangents, outputs
    axis = params["axis"]
    if x.shape[axis] <= 1:
        return (t,)
    if not (x == 0).any():
        return (ans * cumsum_(t / x, axis=axis),)
    xm, tm = movedim(x, axis, -1), movedim(t, axis, -1)
    n = xm.shape[-1]
    partial = _cumprod(where(B.eye(n, dtype=bool), 1.0, unsqueeze(xm, -2)), axis=len(xm.shape))  # [..., i, j]
    contrib = where(B.triu(B.ones((n, n), dtype=bool)), partial * unsqueeze(tm, -1), 0.0)       # keep i <= j
    return (movedim(_sum(contrib, axis=(len(xm.shape) - 1,), keepdim=False), -1, axis),)


_cumprod = primitive("cumprod", lambda x, axis, dtype=None: B.cumprod(x, axis=axis), out_dtype=_sum_dtype,
                     vjp=_cumprod_vjp, jvp=_cumprod_jvp, batch=ALONG_AXIS)

all_ = primitive("all", lambda x, axis, keepdim: B.all(x, axis=axis, keepdims=keepdim), out_dtype="keep",
                 batch=REDUCTION)
any_ = primitive("any", lambda x, axis, keepdim: B.any(x, axis=axis, keepdims=keepdim), out_dtype="keep",
                 batch=REDUCTION)

from .shape import movedim, cat, flip, unsqueeze, squeeze, _reshape  # noqa: E402
from . import indexing  # noqa: E402  (a module: indexing may still be importing this one)
