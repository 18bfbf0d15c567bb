"""Reductions: sum, mean, prod, max/min, norms, var/std, logsumexp, cumulative ops.

``axis`` is always a sorted tuple of non-negative dims or None (all dims); the public wrappers in
``functions.py`` normalise what users pass.
"""
from .._backend import B
from .. import _dtype as D
from ._registry import primitive, Joint
from ._rules import expand_back, numel_over
from .elementwise import where, exp, sign, abs as abs_


def _sum_dtype(args, params):
    dt = params.get("dtype") or args[0].dtype
    if not dt.is_floating_point and params.get("dtype") is None:
        dt = D.int64  # PyTorch sums integers and bools in int64
    return dt, dt


def _sum_impl(x, axis, keepdim, dtype=None):
    return B.sum(x, axis=axis, keepdims=keepdim)


_sum = primitive("sum", _sum_impl, out_dtype=_sum_dtype,
                 grad_name=lambda p, s: "SumBackward0" if p["axis"] is None and not p["keepdim"] else "SumBackward1",
                 vjp=lambda g, x_shape, axis, keepdim: expand_back(g, x_shape, axis, keepdim))


def _mean_dtype(args, params):
    given = params.get("dtype")
    dt = given or args[0].dtype
    if not dt.is_floating_point:
        which = "Input" if given is None else "Optional"
        raise RuntimeError(f"mean(): could not infer output dtype. {which} dtype must be either a floating point or "
                           f"complex dtype. Got: {dt._tensor_type[:-6]}")
    return dt, dt


_mean = primitive("mean", lambda x, axis, keepdim, dtype=None: B.mean(x, axis=axis, keepdims=keepdim),
                  out_dtype=_mean_dtype,
                  grad_name=lambda p, s: "MeanBackward0" if p["axis"] is None and not p["keepdim"] else "MeanBackward1",
                  vjp=lambda g, x_shape, axis, keepdim:
                      expand_back(g, x_shape, axis, keepdim) / numel_over(x_shape, axis))


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


def _prod_impl(x, axis, keepdim, dtype=None):
    return B.prod(x, axis=axis, keepdims=keepdim)


_prod = primitive("prod", _prod_impl, out_dtype=_sum_dtype,
                  grad_name=lambda p, s: "ProdBackward0" if p["axis"] is None else "ProdBackward1",
                  vjp=_prod_vjp)


def _evenly_distributed(g, x, ans, axis, keepdim):
    # Ties share the gradient equally, as PyTorch's amax/amin (and max() of a whole tensor) do.
    shape = tuple(x.shape)
    mask = (x == expand_back(ans, shape, axis, keepdim)) * 1.0
    count = _sum(mask, axis=axis, keepdim=True)
    return expand_back(g, shape, axis, keepdim) * mask / count


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
                  vjp=lambda g, x, ans, axis, keepdim: _evenly_distributed(g, x, ans, axis, keepdim))
amin_ = primitive("amin", _amin_impl, out_dtype="keep",
                  grad_name=lambda p, s: "MinBackward1" if p.get("whole") else "AminBackward0",
                  vjp=lambda g, x, ans, axis, keepdim: _evenly_distributed(g, x, ans, axis, keepdim))


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


argmax_ = primitive("argmax", _arg_reduce(B.argmax, "argmax"), out_dtype="keep")
argmin_ = primitive("argmin", _arg_reduce(B.argmin, "argmin"), out_dtype="keep")


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


max_dim = primitive("max_dim", lambda x, axis, keepdim: _max_dim_impl(x, axis, keepdim, B.argmax),
                    out_dtype="keep", outputs=2, nondiff_outputs=(1,), grad_name="MaxBackward0",
                    vjp=Joint(_value_selecting_vjp))
min_dim = primitive("min_dim", lambda x, axis, keepdim: _max_dim_impl(x, axis, keepdim, B.argmin),
                    out_dtype="keep", outputs=2, nondiff_outputs=(1,), grad_name="MinBackward0",
                    vjp=Joint(_value_selecting_vjp))


def _logsumexp_impl(x, axis, keepdim):
    if x.size == 0:  # the sum of no exponentials is 0: log gives -inf, as in PyTorch
        m = B.zeros(tuple(1 if i in axis else n for i, n in enumerate(x.shape)), dtype=x.dtype)
    else:
        m = B.amax(x, axis=axis, keepdims=True)
    m = B.where(B.isfinite(m), m, 0)
    out = B.log(B.sum(B.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdim else out.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axis))


logsumexp_ = primitive("logsumexp", _logsumexp_impl, out_dtype="float",
                       vjp=lambda g, x, ans, axis, keepdim:
                           expand_back(g, x.shape, axis, keepdim)
                           * exp(x - expand_back(ans, x.shape, axis, keepdim)))


def _var_impl(x, axis, correction, keepdim):
    return B.var(x, axis=axis, ddof=correction, keepdims=keepdim)


def _var_vjp(g, x, axis, correction, keepdim):
    n = numel_over(x.shape, axis)
    centered = x - _mean(x, axis=axis, keepdim=True)
    # With no degrees of freedom left, var is 0 / 0 = nan and so is its gradient (inf * 0), as in PyTorch.
    scale = 2.0 / (n - correction) if n != correction else float("inf")
    return expand_back(g, x.shape, axis, keepdim) * centered * scale


var_ = primitive("var", _var_impl, out_dtype="float", grad_name="VarBackward0", vjp=_var_vjp)
def _std_to_var_cotangent(g, ans):
    # d std = d var / (2 std); where std == 0 (equal elements) PyTorch's gradient is 0, not 0 / 0.
    return where(ans == 0, 0.0, g / (ans * 2))


std_ = primitive("std", lambda x, axis, correction, keepdim: B.sqrt(_var_impl(x, axis, correction, keepdim)),
                 out_dtype="float", grad_name="StdBackward0",
                 vjp=lambda g, x, ans, axis, correction, keepdim:
                     _var_vjp(_std_to_var_cotangent(g, ans), x, axis, correction, keepdim))


def _norm_impl(x, ord, axis, keepdim):
    a = B.abs(x)
    if ord == 2:
        return B.sqrt(B.sum(a * a, axis=axis, keepdims=keepdim))
    if ord == float("inf"):
        return B.amax(a, axis=axis, keepdims=keepdim)
    if ord == -float("inf"):
        return B.amin(a, axis=axis, keepdims=keepdim)
    if ord == 0:
        return B.sum(a != 0, axis=axis, keepdims=keepdim).astype(x.dtype)
    if ord == 1:
        return B.sum(a, axis=axis, keepdims=keepdim)
    return B.sum(a ** ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)


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
    return where(n == 0, 0.0, gx * sign(x) * abs_(x) ** (ord - 1) / n ** (ord - 1))


vector_norm = primitive("vector_norm", _norm_impl, out_dtype="float",
                        grad_name="LinalgVectorNormBackward0", vjp=_norm_vjp)

cumsum_ = primitive("cumsum", lambda x, axis, dtype=None: B.cumsum(x, axis=axis), out_dtype=_sum_dtype,
                    vjp=lambda g, axis: _reverse_cumsum(g, axis))


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


_cumprod = primitive("cumprod", lambda x, axis, dtype=None: B.cumprod(x, axis=axis), out_dtype=_sum_dtype,
                     vjp=_cumprod_vjp)

all_ = primitive("all", lambda x, axis, keepdim: B.all(x, axis=axis, keepdims=keepdim), out_dtype="keep")
any_ = primitive("any", lambda x, axis, keepdim: B.any(x, axis=axis, keepdims=keepdim), out_dtype="keep")

from .shape import movedim, cat, flip, unsqueeze, _reshape  # noqa: E402
from . import indexing  # noqa: E402  (a module: indexing may still be importing this one)
