"""The selection family: selection and counting: topk, kthvalue, median, mode, quantile, unique, searchsorted, histograms.

The selecting ops (topk, kthvalue, median and nanmedian along a dim, mode, cummax, cummin) return
values taken from ``x`` and the indices they came from: their VJP scatters (adds) the cotangent
back to those indices, their JVP gathers the tangent there; the indices are never differentiable.
``median()`` and ``nanmedian()`` of a whole tensor split the gradient evenly among the elements equal
to the result, as torch's do. quantile and nanquantile are composites of sort, gather and lerp. The
counting ops (unique, bincount, histc, histogram, searchsorted, bucketize, argwhere) are not
differentiable.
"""
import collections

from .._backend import B
from .. import _dtype as D
from ._registry import primitive, Joint, REDUCTION, ALONG_AXIS, refuse_batched
from . import _vmap_rules as V
from ._api import public
from ._rules import is_tensor, wrap_dim, expand_back


# ----------------------------------------------------------------------------- named tuples

_NAMED = {}


def _named(name, fields=("values", "indices")):
    """A named tuple type that prints as ``pullback.return_types.<name>(...)``, as torch's do."""
    key = (name, fields)
    if key not in _NAMED:
        base = collections.namedtuple(name, fields)

        def __repr__(self):
            inner = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
            return f"pullback.return_types.{name}(\n{inner})"
        _NAMED[key] = type(name, (base,), {"__repr__": __repr__, "__slots__": ()})
    return _NAMED[key]


def _check_tensor(input, fn):
    if not is_tensor(input):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _write_pair(out, results, input, fn, dtypes):
    """``out=(a, b)`` for a function returning two tensors."""
    from .._out import write_out
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{fn}(): argument 'out' must be tuple of Tensors")
    for o, dt in zip(out, dtypes):
        I._check_out_dtype(o, dt)
    return tuple(write_out(o, r, fn, (input,)) for o, r in zip(out, results))


def _finish_pair(name, results, out, input, fields=("values", "indices")):
    if out is not None:
        results = _write_pair(out, results, input, name, (input.dtype, D.int64) if fields[1] == "indices"
                              else (input.dtype, input.dtype))
    return _named(name, fields)(*results)


# ----------------------------------------------------------------------------- rules shared

def _along_vjp(g, ans, x_shape, axis):
    """values = x gathered at the indices along ``axis`` (same rank): scatter-add the cotangent back."""
    if g[0] is None:
        return (None,)
    return (I.put_along(g[0], ans[1], axis=axis, shape=tuple(x_shape)),)


def _along_jvp(primals, tangents, params, outputs):
    return (I.take_along(tangents[0], outputs[1]._data, axis=params["axis"]), None)


def _reduced_vjp(g, ans, x_shape, axis, keepdim):
    """values = x at one index along ``axis`` (the dim reduced away unless keepdim)."""
    if g[0] is None:
        return (None,)
    gv, indices = g[0], ans[1]
    if not keepdim:
        gv, indices = S.unsqueeze(gv, axis), S.unsqueeze(indices, axis)
    return (I.put_along(gv, indices, axis=axis, shape=tuple(x_shape)),)


def _reduced_jvp(primals, tangents, params, outputs):
    (t,), indices, axis = tangents, outputs[1]._data, params["axis"]
    if not params["keepdim"]:
        return (S.squeeze(I.take_along(t, B.expand_dims(indices, axis), axis=axis), axis), None)
    return (I.take_along(t, indices, axis=axis), None)


def _last(x, axis):
    """``x`` with ``axis`` moved last and the other dims flattened: (rows, n), and the moved shape."""
    moved = B.moveaxis(x, axis, -1)
    return moved.reshape(-1, moved.shape[-1]) if moved.shape[-1] else moved.reshape(-1, 0), moved.shape


def _back(rows, moved_shape, axis, keepdim, n_kept=None):
    """Per-row results (rows, k) back to the input's layout; k == 1 and not keepdim drops the dim."""
    shape = tuple(moved_shape[:-1]) + (rows.shape[-1] if n_kept is None else n_kept,)
    out = B.moveaxis(rows.reshape(shape), -1, axis)
    if not keepdim:
        out = out.squeeze(axis)
    return out


def _stable_order(x, axis, descending=False):
    from .sorting import _sort_impl
    return _sort_impl(x, axis, descending)[1]


# ----------------------------------------------------------------------------- topk

def _topk_impl(x, k, axis, largest, sorted):
    order = _stable_order(x, axis, descending=largest)
    indices = B.take(order, B.arange(k), axis=axis)
    return B.take_along_axis(x, indices, axis=axis), indices


topk_ = primitive("topk", _topk_impl, out_dtype="keep", outputs=2, nondiff_outputs=(1,),
                  grad_name="TopkBackward0", vjp=Joint(_along_vjp), jvp=_along_jvp, batch=ALONG_AXIS)


def _one_dim(input, dim):
    """(the input as at least 1-D, the wrapped dim, whether it was 0-dim)."""
    d = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return input.reshape(1), 0, True
    return input, d, False


@public(method=True)
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The ``k`` largest (or with ``largest=False`` smallest) elements of ``input`` along ``dim``.

    Returns a named tuple ``(values, indices)``; the values are in sorted order (largest first when
    ``largest``). NaN counts as larger than every number. Equal elements come in their order.

    Args:
        input (Tensor): the input tensor.
        k (int): the number of elements to return.
        dim (int, optional): the dimension to select along. Default: the last.
        largest (bool, optional): the largest (True) or smallest (False) elements. Default: True.
        sorted (bool, optional): return them in sorted order (they always are). Default: True.
        out (tuple, optional): the output tuple of (Tensor, LongTensor).

    Example::

        >>> pullback.topk(pullback.tensor([1.0, 5.0, 3.0, 4.0]), 2)
        pullback.return_types.topk(
        values=tensor([5., 4.]),
        indices=tensor([1, 3]))
    """
    _check_tensor(input, "topk")
    x, d, zero_dim = _one_dim(input, dim)
    k = int(k)
    if not 0 <= k <= x.shape[d]:
        raise RuntimeError("selected index k out of range")
    values, indices = topk_.bind((x,), {"k": k, "axis": d, "largest": bool(largest), "sorted": bool(sorted)})
    if zero_dim:
        values, indices = values.reshape(()), indices.reshape(())
    return _finish_pair("topk", (values, indices), out, input)


# ----------------------------------------------------------------------------- kthvalue, median, mode

def _kthvalue_impl(x, k, axis, keepdim):
    indices = B.take(_stable_order(x, axis), B.asarray([k - 1]), axis=axis)
    values = B.take_along_axis(x, indices, axis=axis)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return values, indices


kthvalue_ = primitive("kthvalue", _kthvalue_impl, out_dtype="keep", outputs=2, nondiff_outputs=(1,),
                      grad_name="KthvalueBackward0", vjp=Joint(_reduced_vjp), jvp=_reduced_jvp, batch=REDUCTION)


def _median_position(x, axis, ignore_nan):
    """For each row along ``axis``, the position in the stable ascending order of its median: the
    lower of the two middles; with NaN present the first NaN (median) or NaN ignored (nanmedian)."""
    n = x.shape[axis]
    if x.dtype.kind not in "fc":
        return B.full(x.shape[:axis] + (1,) + x.shape[axis + 1:], (n - 1) // 2, dtype=B.int64)
    nans = B.sum(B.isnan(x), axis=axis, keepdims=True)
    if ignore_nan:
        return B.maximum((n - nans - 1) // 2, 0)
    return B.where(nans > 0, n - nans, (n - 1) // 2)


def _median_dim_impl(x, axis, keepdim, ignore_nan=False):
    position = _median_position(x, axis, ignore_nan)
    indices = B.take_along_axis(_stable_order(x, axis), position, axis=axis)
    values = B.take_along_axis(x, indices, axis=axis)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return values, indices


median_dim = primitive("median_dim", _median_dim_impl, out_dtype="keep", outputs=2, nondiff_outputs=(1,),
                       grad_name=lambda p, s: "NanmedianBackward1" if p.get("ignore_nan") else "MedianBackward1",
                       vjp=Joint(_reduced_vjp), jvp=_reduced_jvp, batch=REDUCTION)


def _median_all_impl(x, axis, keepdim, ignore_nan=False):
    if axis is None:
        x, axis = x.reshape(-1), 0
    return _median_dim_impl(x, axis, keepdim, ignore_nan)[0]


def _evenly_mask(x, ans, axis, keepdim):
    """Where ``x`` equals the result (NaN matching NaN), as 1.0 and 0.0."""
    full = expand_back(ans, tuple(x.shape), None if axis is None else (axis,), keepdim)
    if _is_float(x):
        return E.logical_or(x == full, E.logical_and(E.isnan(x), E.isnan(full))) * 1.0
    return (x == full) * 1.0


def _is_float(x):
    dt = x.dtype
    return dt.is_floating_point if isinstance(dt, D.dtype) else dt.kind in "fc"


def _median_all_vjp(g, x, ans, axis, keepdim):
    # torch's evenly_distribute_backward: the gradient shared by the elements equal to the median.
    mask = _evenly_mask(x, ans, axis, keepdim)
    count = R._sum(mask, axis=None if axis is None else (axis,), keepdim=True)
    return expand_back(g, tuple(x.shape), None if axis is None else (axis,), keepdim) * mask / count


def _median_all_jvp(primals, tangents, params, outputs):
    (x,), (t,), (ans,) = primals, tangents, outputs
    axis, keepdim = params["axis"], params["keepdim"]
    mask = _evenly_mask(x, ans, axis, keepdim)
    axes = None if axis is None else (axis,)
    return (R._sum(t * mask, axis=axes, keepdim=keepdim) / R._sum(mask, axis=axes, keepdim=keepdim),)


median_all = primitive("median_all", _median_all_impl, out_dtype="keep",
                       grad_name=lambda p, s: "NanmedianBackward0" if p.get("ignore_nan") else "MedianBackward0",
                       vjp=_median_all_vjp, jvp=_median_all_jvp, batch=V.single_axis_reduction_rule)


def _median(input, dim, keepdim, out, name):
    _check_tensor(input, name)
    ignore_nan = name == "nanmedian"
    if dim is None:
        from .._out import write_out
        if input.numel() == 0:  # NaN; for integers torch gives the lowest integer
            from .._creation import full
            fill = float("nan") if input.dtype.is_floating_point else int(B.iinfo(input.dtype.np).min)
            return write_out(out, full((), fill, dtype=input.dtype), name, (input,))
        return write_out(out, median_all.bind((input,), {"axis": None, "keepdim": False, "ignore_nan": ignore_nan}),
                         name, (input,))
    x, d, zero_dim = _one_dim(input, dim)
    if x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    values, indices = median_dim.bind((x,), {"axis": d, "keepdim": keepdim and not zero_dim, "ignore_nan": ignore_nan})
    return _finish_pair(name, (values, indices), out, input)


@public(method=True)
def median(input, dim=None, keepdim=False, *, out=None):
    """The median of the values in ``input``: the lower of the two middle values when there is an even
    number of them. NaN is the median of a tensor holding NaN.

    With ``dim``, a named tuple ``(values, indices)``: the medians along ``dim`` and an index of each.
    Without it, the gradient is shared by the elements equal to the median; with it, it goes to the
    index returned.

    Args:
        input (Tensor): the input tensor.
        dim (int, optional): the dimension to reduce.
        keepdim (bool, optional): keep ``dim``, with size one. Default: False.
        out (Tensor or tuple, optional): the output.

    Example::

        >>> pullback.median(pullback.tensor([1.0, 4.0, 2.0, 3.0]))
        tensor(2.)
    """
    return _median(input, dim, keepdim, out, "median")


@public(method=True)
def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """The median of the values in ``input`` that are not NaN (NaN where all are): ``median`` ignoring NaN.

    Args:
        input (Tensor): the input tensor.
        dim (int, optional): the dimension to reduce.
        keepdim (bool, optional): keep ``dim``, with size one. Default: False.
        out (Tensor or tuple, optional): the output.

    Example::

        >>> pullback.nanmedian(pullback.tensor([1.0, float("nan"), 3.0, 2.0]))
        tensor(2.)
    """
    return _median(input, dim, keepdim, out, "nanmedian")


def _mode_impl(x, axis, keepdim):
    rows, moved_shape = _last(x, axis)
    order = B.argsort(rows, axis=-1, kind="stable")
    s = B.take_along_axis(rows, order, axis=-1)
    n = s.shape[-1]
    positions = B.arange(n)
    starts = B.ones(s.shape, dtype=bool)
    starts[:, 1:] = s[:, 1:] != s[:, :-1]
    ends = B.ones(s.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    run_start = B.maximum.accumulate(B.where(starts, positions, 0), axis=-1)
    length = B.where(ends, positions - run_start + 1, 0)
    # The most frequent value, the smallest of those tied; the last index it occurs at, as torch's.
    best = B.argmax(length, axis=-1)[:, None]
    indices = B.take_along_axis(order, best, axis=-1).astype(B.int64)
    values = B.take_along_axis(s, best, axis=-1)
    return _back(values, moved_shape, axis, keepdim), _back(indices, moved_shape, axis, keepdim)


mode_ = primitive("mode", _mode_impl, out_dtype="keep", outputs=2, nondiff_outputs=(1,),
                  grad_name="ModeBackward0", vjp=Joint(_reduced_vjp), jvp=_reduced_jvp, batch=REDUCTION)


@public(method=True)
def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along ``dim`` (the smallest of those equally frequent) and the last
    index it occurs at: a named tuple ``(values, indices)``.

    Args:
        input (Tensor): the input tensor.
        dim (int, optional): the dimension to reduce. Default: the last.
        keepdim (bool, optional): keep ``dim``, with size one. Default: False.
        out (tuple, optional): the output tuple of (Tensor, LongTensor).

    Example::

        >>> pullback.mode(pullback.tensor([2, 1, 2, 3]))
        pullback.return_types.mode(
        values=tensor(2),
        indices=tensor(2))
    """
    _check_tensor(input, "mode")
    x, d, zero_dim = _one_dim(input, dim)
    if x.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    values, indices = mode_.bind((x,), {"axis": d, "keepdim": keepdim and not zero_dim})
    return _finish_pair("mode", (values, indices), out, input)


@public(method=True)
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The ``k``-th smallest element of ``input`` along ``dim`` (``k`` counts from 1) and an index of
    it: a named tuple ``(values, indices)``. NaN counts as larger than every number.

    Args:
        input (Tensor): the input tensor.
        k (int): which smallest element, from 1.
        dim (int, optional): the dimension to reduce. Default: the last.
        keepdim (bool, optional): keep ``dim``, with size one. Default: False.
        out (tuple, optional): the output tuple of (Tensor, LongTensor).

    Example::

        >>> pullback.kthvalue(pullback.tensor([3.0, 1.0, 2.0]), 2)
        pullback.return_types.kthvalue(
        values=tensor(2.),
        indices=tensor(2))
    """
    _check_tensor(input, "kthvalue")
    x, d, zero_dim = _one_dim(input, dim)
    k = int(k)
    if x.shape[d] == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= x.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if isinstance(out, (tuple, list)):  # torch's kthvalue reads its input while writing its values
        S._refuse_aliased_out(out[0], (input,))
    values, indices = kthvalue_.bind((x,), {"k": k, "axis": d, "keepdim": keepdim and not zero_dim})
    return _finish_pair("kthvalue", (values, indices), out, input)


# ----------------------------------------------------------------------------- aminmax

@public(method=True)
def aminmax(input, *, dim=None, keepdim=False, out=None):
    """The minimum and the maximum of ``input`` (along ``dim`` when given): a named tuple ``(min, max)``.
    The gradient of each is shared by the elements equal to it, as in ``amin`` and ``amax``.

    Args:
        input (Tensor): the input tensor.
        dim (int, optional): the dimension to reduce. Default: all of them.
        keepdim (bool, optional): keep the reduced dims, with size one. Default: False.
        out (tuple, optional): the output tuple of two Tensors.

    Example::

        >>> pullback.aminmax(pullback.tensor([1, -3, 5]))
        pullback.return_types.aminmax(
        min=tensor(-3),
        max=tensor(5))
    """
    _check_tensor(input, "aminmax")
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        axis = None
    else:
        d = wrap_dim(dim, input.ndim)
        if input.ndim and input.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
        axis = (d,) if input.ndim else None
    params = {"axis": axis, "keepdim": bool(keepdim) and input.ndim > 0}
    results = (R.amin_.bind((input,), params), R.amax_.bind((input,), params))
    return _finish_pair("aminmax", results, out, input, fields=("min", "max"))


# ----------------------------------------------------------------------------- cummax, cummin

def _cumulative_extremum(x, axis, accumulate):
    if x.shape[axis] == 0:
        return x.copy(), B.zeros(x.shape, dtype=B.int64)
    values = accumulate(x, axis=axis)
    hit = x == values
    if x.dtype.kind in "fc":
        hit |= B.isnan(x)  # a NaN is the extremum from there on, at the latest NaN's index
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    positions = B.arange(x.shape[axis], dtype=B.int64).reshape(shape)
    # Ties go to the later index, as torch's (x >= the running max, x <= the running min).
    indices = B.maximum.accumulate(B.where(hit, positions, 0), axis=axis)
    return values, indices


cummax_ = primitive("cummax", lambda x, axis: _cumulative_extremum(x, axis, B.maximum.accumulate),
                    out_dtype="keep", outputs=2, nondiff_outputs=(1,), grad_name="CummaxBackward0",
                    vjp=Joint(_along_vjp), jvp=_along_jvp, batch=ALONG_AXIS)
cummin_ = primitive("cummin", lambda x, axis: _cumulative_extremum(x, axis, B.minimum.accumulate),
                    out_dtype="keep", outputs=2, nondiff_outputs=(1,), grad_name="CumminBackward0",
                    vjp=Joint(_along_vjp), jvp=_along_jvp, batch=ALONG_AXIS)


def _cumulative(input, dim, out, prim, name):
    _check_tensor(input, name)
    x, d, zero_dim = _one_dim(input, dim)
    values, indices = prim.bind((x,), {"axis": d})
    if zero_dim:
        values, indices = values.reshape(()), indices.reshape(())
    return _finish_pair(name, (values, indices), out, input)


@public(method=True)
def cummax(input, dim, *, out=None):
    """The running maximum of ``input`` along ``dim`` and the index of each (the latest of equal
    values; NaN, once met, is the maximum): a named tuple ``(values, indices)``.

    Example::

        >>> pullback.cummax(pullback.tensor([1, 3, 2, 5]), 0)
        pullback.return_types.cummax(
        values=tensor([1, 3, 3, 5]),
        indices=tensor([0, 1, 1, 3]))
    """
    return _cumulative(input, dim, out, cummax_, "cummax")


@public(method=True)
def cummin(input, dim, *, out=None):
    """The running minimum of ``input`` along ``dim`` and the index of each (the latest of equal
    values; NaN, once met, is the minimum): a named tuple ``(values, indices)``.

    Example::

        >>> pullback.cummin(pullback.tensor([3, 1, 2, 0]), 0)
        pullback.return_types.cummin(
        values=tensor([3, 1, 1, 0]),
        indices=tensor([0, 1, 1, 3]))
    """
    return _cumulative(input, dim, out, cummin_, "cummin")


# ----------------------------------------------------------------------------- logcumsumexp

def _logcumsumexp_impl(x, axis):
    with B.errstate(invalid="ignore", over="ignore"):
        return B.logaddexp.accumulate(x, axis=axis) if x.shape[axis] else x.copy()


def _reverse_logcumsumexp(x, axis):
    return S.flip(logcumsumexp_(S.flip(x, (axis,)), axis=axis), (axis,))


def _logcumsumexp_vjp(g, x, ans, axis):
    if x.shape[axis] == 1:  # the identity along one element
        return g
    # grad_i = sum_{j >= i} g_j exp(x_i - ans_j), its positive and negative parts each summed in log
    # space (torch's formula, with the lowest finite number standing for log 0).
    lowest = float(B.finfo(getattr(getattr(g, "dtype", None), "np", g.dtype)).min)
    log_abs = E.log(E.abs(g))
    positive = E.where(g > 0, log_abs, lowest)
    negative = E.where(g < 0, log_abs, lowest)
    return (E.exp(_reverse_logcumsumexp(positive - ans, axis) + x)
            - E.exp(_reverse_logcumsumexp(negative - ans, axis) + x))


def _logcumsumexp_jvp(primals, tangents, params, outputs):
    # d ans_j = sum_{i <= j} exp(x_i) t_i / sum_{i <= j} exp(x_i), exponents shifted by the max.
    (x,), (t,), axis = primals, tangents, params["axis"]
    if x.shape[axis] == 0:
        return (t,)
    e = E.exp(x - R.amax_(x, axis=(axis,), keepdim=True))
    return (R.cumsum_(e * t, axis=axis) / R.cumsum_(e, axis=axis),)


logcumsumexp_ = primitive("logcumsumexp", _logcumsumexp_impl, out_dtype="keep", grad_name="LogcumsumexpBackward0",
                          vjp=_logcumsumexp_vjp, jvp=_logcumsumexp_jvp, batch=ALONG_AXIS)


@public(method=True)
def logcumsumexp(input, dim, *, out=None):
    """``log(cumsum(exp(input), dim))``, computed without overflow.

    Example::

        >>> pullback.logcumsumexp(pullback.tensor([0.0, 0.0]), 0)
        tensor([0.0000, 0.6931])
    """
    from .._out import write_out
    _check_tensor(input, "logcumsumexp")
    x, d, zero_dim = _one_dim(input, dim)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{D.CPP_TYPE_NAMES[x.dtype]}'")
    result = logcumsumexp_.bind((x,), {"axis": d})
    if zero_dim:
        result = result.reshape(())
    return write_out(out, result, "logcumsumexp", (input,))


# ----------------------------------------------------------------------------- quantile, nanquantile

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, out, name):
    """torch's algorithm, in pullback's ops (so gradients reach ``input`` through sort and gather, and
    ``q`` through the interpolation weights): sort along the dim, find each quantile's rank, gather the
    values below and above it and interpolate."""
    from .._out import write_out
    from .._creation import tensor as _tensor
    from .functions import lerp
    _check_tensor(input, name)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    if not is_tensor(q):
        if isinstance(q, bool) or not isinstance(q, (int, float)):
            raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                            f"{type(q).__name__}), but expected one of:\n * (Tensor input, Tensor q, int dim = None, "
                            f"bool keepdim = False, *, str interpolation = \"linear\", Tensor out = None)\n * (Tensor "
                            f"input, float q, int dim = None, bool keepdim = False, *, str interpolation = \"linear\", "
                            f"Tensor out = None)\n")
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {float(q):g}")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if is_tensor(q) and q.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if not input.dtype.is_floating_point or input.dtype.itemsize < 4:
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if is_tensor(q) and q.dtype is not input.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if is_tensor(out) and out.dtype is not input.dtype:
        raise RuntimeError(f"{name}() out tensor must be same dtype as the input tensor")
    if is_tensor(q):
        refuse_batched(q, f"{name}() (it checks the values of q)")
        if q.numel() and not bool(((q >= 0) & (q <= 1)).all()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        q_rows = q.reshape(-1)
    else:
        q_rows = _tensor([float(q)], dtype=input.dtype)
    if dim is None:
        values = input.reshape(-1)
        shape = (1,) * input.ndim if keepdim else ()
    else:
        d = wrap_dim(dim, input.ndim)
        values = S.movedim(input, d, -1) if input.ndim else input.reshape(1)
        shape = tuple(1 if i == d else n for i, n in enumerate(input.shape) if keepdim or i != d)
    ordered = sort(values, -1).values          # NaN sorts last
    n = ordered.shape[-1]
    lead = tuple(ordered.shape[:-1])
    qs = q_rows.reshape((1,) * len(lead) + (-1,))
    if name == "nanquantile":
        count = (~ordered.isnan()).sum(-1, keepdim=True)
        ranks = qs * (count - 1)
        ranks = ranks.masked_fill(ranks < 0, 0)
    else:
        ranks = qs * (n - 1)
        ranks = ranks.masked_fill(ordered[..., -1:].isnan(), n - 1)
    ranks = ranks.expand(lead + (q_rows.shape[0],))
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.detach().long()
    result = ordered.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        weights = ranks - below if interpolation == "linear" else ranks.detach() * 0 + 0.5
        result = lerp(result, ordered.gather(-1, ranks.detach().ceil().long()), weights)
    result = S.movedim(result, -1, 0).reshape((q_rows.shape[0],) + shape if is_tensor(q) and q.ndim else shape)
    return write_out(out, result, name, (input,))


@public(method=True)
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The ``q``-th quantiles of ``input`` (of all of it, or along ``dim``).

    ``q`` is a number or a 1-D tensor of numbers in [0, 1]; a 1-D ``q`` gives its quantiles along a new
    first dimension. Between two data points the quantile is interpolated as ``interpolation`` says
    (``linear``, ``lower``, ``higher``, ``midpoint`` or ``nearest``). A NaN makes its row's quantiles NaN.

    Args:
        input (Tensor): the input tensor (float32 or float64).
        q (float or Tensor): the quantiles to compute.
        dim (int, optional): the dimension to reduce. Default: all of them.
        keepdim (bool, optional): keep the reduced dims, with size one. Default: False.
        interpolation (str, optional): how to interpolate between data points. Default: ``"linear"``.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.quantile(pullback.tensor([0.0, 1.0, 2.0, 3.0]), 0.5)
        tensor(1.5000)
    """
    return _quantile(input, q, dim, keepdim, interpolation, out, "quantile")


@public(method=True)
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """``quantile`` ignoring NaN: the quantiles of the values that are not NaN (NaN where all are).

    Example::

        >>> pullback.nanquantile(pullback.tensor([0.0, float("nan"), 2.0]), 0.5)
        tensor(1.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, out, "nanquantile")


from .sorting import sort  # noqa: E402
from . import indexing as I  # noqa: E402
from . import shape as S  # noqa: E402
from . import reduction as R  # noqa: E402
from . import elementwise as E  # noqa: E402
