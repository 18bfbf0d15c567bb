"""The selection family: selection and counting: topk, kthvalue, median, mode, quantile, unique, searchsorted,
histograms.

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
from .. import _levels
from ._registry import primitive, Joint, REDUCTION, ALONG_AXIS, refuse_batched
from . import _vmap_rules as V
from ._api import public
from ._rules import is_tensor, wrap_dim, expand_back
# values at one index along a reduced dim (max(dim)'s rules): the cotangent scattered back to it
from .reduction import _value_selecting_vjp, _value_selecting_jvp
from .functions import _return_type, lerp
from .._creation import full, tensor as _tensor
from .._out import write_out
from .._tensor import Tensor


# ----------------------------------------------------------------------------- named tuples

_NAMED = {}


def _named(name, fields=("values", "indices")):
    """A named tuple type that prints as ``pullback.return_types.<name>(...)``, as torch's do (the
    (values, indices) ones shared with sort and max)."""
    if fields == ("values", "indices"):
        return _return_type(name)
    key = (name, fields)
    if key not in _NAMED:
        base = collections.namedtuple(name, fields)

        def __repr__(self):
            inner = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
            return f"pullback.return_types.{name}(\n{inner})"
        _NAMED[key] = type(name, (base,), {"__repr__": __repr__, "__slots__": ()})
    return _NAMED[key]


def _scalar_name(dtype):
    """torch's ScalarType name of a dtype ("Float", "Long"), as its dispatch errors print it."""
    return D.SCALAR_TYPE_NAMES[dtype.name]


def _int_arg(value, fn, name, position=None):
    """An int argument, with torch's TypeError for anything else (a float, None)."""
    if isinstance(value, bool) or not isinstance(value, (int, B.integer)):
        if is_tensor(value) and value.ndim == 0 and not value.dtype.is_floating_point:
            return int(value.item())
        where = f"argument '{name}'" + (f" (position {position})" if position else "")
        raise TypeError(f"{fn}(): {where} must be int, not {type(value).__name__}")
    return int(value)


def _refuse_bool(input, message, error=NotImplementedError):
    if input.dtype is D.bool:
        raise error(message)


def _all_samples(t):
    """The values of ``t`` as an array; under vmap, of every sample (the batched tensor's own
    values), so that a check of the values holds for each sample, as torch's per-sample one does."""
    while _levels.batched(t):
        t = t._value
    return t._data


def _check_tensor(input, fn, name="input", position=1):
    if not is_tensor(input):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {type(input).__name__}")


def _write_pair(out, results, input, fn, dtypes):
    """``out=(a, b)`` for a function returning two tensors."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{fn}(): argument 'out' must be tuple of Tensors")
    for o, dt in zip(out, dtypes):
        I._check_out_dtype(o, dt)
    return tuple(write_out(o, r, fn, (input,)) for o, r in zip(out, results))


def _finish_pair(name, results, out, input, fields=("values", "indices")):
    if out is not None:  # torch's out= variants return their own type: topk_out, aminmax_out
        results = _write_pair(out, results, input, name, (input.dtype, D.int64) if fields[1] == "indices"
                              else (input.dtype, input.dtype))
        name += "_out"
    return _named(name, fields)(*results)


# ----------------------------------------------------------------------------- rules shared

def _along_vjp(g, ans, x_shape, axis):
    """values = x gathered at the indices along ``axis`` (same rank): scatter-add the cotangent back."""
    if g[0] is None:
        return (None,)
    return (I.put_along(g[0], ans[1], axis=axis, shape=tuple(x_shape)),)


def _along_jvp(primals, tangents, params, outputs):
    return (I.take_along(tangents[0], outputs[1]._data, axis=params["axis"]), None)


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
    return _sort_impl(x, axis, descending)[1]


# ----------------------------------------------------------------------------- topk

def _topk_impl(x, k, axis, largest, sorted):
    n = x.shape[axis]
    if k == 0 or k * 8 > n or x.size == 0 or x.dtype.kind not in "fiu":
        order = _stable_order(x, axis, descending=largest)
        indices = B.take(order, B.arange(k), axis=axis)
        return B.take_along_axis(x, indices, axis=axis), indices
    # k much smaller than n: partition to find the k-th value, keep what beats it and the first of
    # the elements equal to it, then sort those k stably (the same answer as the full stable sort).
    rows, moved_shape = _last(x, axis)
    kth = n - k if largest else k - 1
    threshold = B.partition(rows, kth, axis=-1)[:, kth:kth + 1]
    with B.errstate(invalid="ignore"):
        if x.dtype.kind == "f":  # NaN is above every number
            nan_rows, nan_threshold = B.isnan(rows), B.isnan(threshold)
            equal = (rows == threshold) | (nan_rows & nan_threshold)
            beats = ((rows > threshold) | (nan_rows & ~nan_threshold)) if largest else \
                ((rows < threshold) | (~nan_rows & nan_threshold))
        else:
            equal = rows == threshold
            beats = rows > threshold if largest else rows < threshold
    need = k - beats.sum(axis=-1, keepdims=True)
    chosen = beats | (equal & (B.cumsum(equal, axis=-1) <= need))
    positions = B.nonzero(chosen)[1].reshape(rows.shape[0], k)
    order = _sort_impl(B.take_along_axis(rows, positions, axis=-1), 1, largest)[1]
    indices = B.take_along_axis(positions, order, axis=-1).astype(B.int64)
    indices = _back(indices, moved_shape, axis, True)
    return B.take_along_axis(x, indices, axis=axis), indices


def _line_sparsity(prim, node, args, outputs, carriers):
    """Each selected value depends on the line of input elements along ``axis`` it was chosen from
    (which of them depends on the values: the whole line is the structural answer)."""
    from ..sparse import _dependence as SD
    (i,) = carriers
    axis = node.params["axis"]
    groups, n_groups = SD._reduced_groups(args[i]._data.shape, {axis})
    lines = SD._group_matrix(groups, n_groups)
    result = []
    for k, out in enumerate(outputs):
        if k in prim.nondiff_outputs:
            result.append({})
            continue
        out_groups, _ = SD._reduced_groups(out._data.shape, {axis})
        result.append({i: (SD._group_matrix(out_groups, n_groups).T @ lines).tocsr()})
    return result


topk_ = primitive("topk", _topk_impl, out_dtype="keep", outputs=2, nondiff_outputs=(1,),
                  grad_name="TopkBackward0", vjp=Joint(_along_vjp), jvp=_along_jvp, batch=ALONG_AXIS,
                  sparsity=_line_sparsity)


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
    k = _int_arg(k, "topk", "k", 2)
    _refuse_bool(input, "topk does not support bool dtypes on CPU", RuntimeError)
    x, d, zero_dim = _one_dim(input, _int_arg(dim, "topk", "dim", 3))
    if not 0 <= k <= x.shape[d]:
        raise RuntimeError("selected index k out of range")
    if zero_dim:  # torch gives a 0-dim tensor its own element for k = 0 too
        k = 1
    values, indices = topk_.bind((x,), {"k": k, "axis": d, "largest": bool(largest), "sorted": bool(sorted)})
    if zero_dim:
        values, indices = values.reshape(()), indices.reshape(())
    return _finish_pair("topk", (values, indices), out, input)


# ----------------------------------------------------------------------------- kthvalue, median, mode

def _stable_kth(x, kth, axis):
    """The index along ``axis`` of the element at position ``kth`` of the stable ascending order (NaN
    last), found by partition: the (kth - #smaller + 1)-th occurrence of the kth value. keepdim shape."""
    if x.dtype.kind not in "fiu" or x.size == 0:
        return B.take(_stable_order(x, axis), B.asarray([kth]), axis=axis)
    rows, moved_shape = _last(x, axis)
    value = B.partition(rows, kth, axis=-1)[:, kth:kth + 1]
    with B.errstate(invalid="ignore"):
        if x.dtype.kind == "f":  # NaN above every number
            nan_rows, nan_value = B.isnan(rows), B.isnan(value)
            equal = (rows == value) | (nan_rows & nan_value)
            smaller = (rows < value) | (~nan_rows & nan_value)
        else:
            equal, smaller = rows == value, rows < value
    need = kth + 1 - smaller.sum(axis=-1, keepdims=True)
    index = B.argmax(B.cumsum(equal, axis=-1) >= need, axis=-1)[:, None].astype(B.int64)
    return _back(index, moved_shape, axis, True)


def _kthvalue_impl(x, k, axis, keepdim):
    indices = _stable_kth(x, k - 1, axis)
    values = B.take_along_axis(x, indices, axis=axis)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return values, indices


kthvalue_ = primitive("kthvalue", _kthvalue_impl, out_dtype="keep", outputs=2, nondiff_outputs=(1,),
                      grad_name="KthvalueBackward0", vjp=Joint(_value_selecting_vjp), jvp=_value_selecting_jvp,
                      batch=REDUCTION)


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
    if x.dtype.kind in "iu" or (x.dtype.kind == "f" and not B.isnan(x).any()):
        indices = _stable_kth(x, (x.shape[axis] - 1) // 2, axis)  # no NaN: one position for every row
    else:
        position = _median_position(x, axis, ignore_nan)
        indices = B.take_along_axis(_stable_order(x, axis), position, axis=axis)
    values = B.take_along_axis(x, indices, axis=axis)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return values, indices


median_dim = primitive("median_dim", _median_dim_impl, out_dtype="keep", outputs=2, nondiff_outputs=(1,),
                       grad_name=lambda p, s: "NanmedianBackward1" if p.get("ignore_nan") else "MedianBackward1",
                       vjp=Joint(_value_selecting_vjp), jvp=_value_selecting_jvp, batch=REDUCTION)


def _median_all_impl(x, axis, keepdim, ignore_nan=False):
    if axis is None:
        flat = x.reshape(-1)
        if x.dtype.kind == "f":
            nan = B.isnan(flat)
            if nan.any():
                if not ignore_nan or nan.all():
                    return B.asarray(B.nan, dtype=x.dtype)
                flat = flat[~nan]
        middle = (flat.shape[0] - 1) // 2  # the lower of the two middles
        return B.asarray(B.partition(flat, middle)[middle])
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
                       vjp=_median_all_vjp, jvp=_median_all_jvp, batch=V.single_axis_reduction_rule,
                       sparsity=REDUCTION)


class _Whole:
    """The default of median's dim: the whole tensor (torch refuses an explicit dim=None)."""

    def __repr__(self):
        return "<the whole tensor>"


_WHOLE = _Whole()


def _median(input, dim, keepdim, out, name):
    _check_tensor(input, name)
    ignore_nan = name == "nanmedian"
    if dim is not _WHOLE:
        dim = _int_arg(dim, name, "dim")
    _refuse_bool(input, f"\"median_{'cpu' if dim is _WHOLE else 'out'}\" not implemented for 'Bool'")
    if dim is _WHOLE:
        if input.numel() == 0:  # NaN; for integers torch gives the lowest integer
            fill = float("nan") if input.dtype.is_floating_point else int(B.iinfo(input.dtype.np).min)
            return write_out(out, full((), fill, dtype=input.dtype), name, (input,))
        return write_out(out, median_all.bind((input,), {"axis": None, "keepdim": False, "ignore_nan": ignore_nan}),
                         name, (input,))
    x, d, zero_dim = _one_dim(input, dim)
    if x.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    values, indices = median_dim.bind((x,), {"axis": d, "keepdim": keepdim and not zero_dim, "ignore_nan": ignore_nan})
    return _finish_pair(name, (values, indices), out, input)


@public(method=True)
def median(input, dim=_WHOLE, keepdim=False, *, out=None):
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
def nanmedian(input, dim=_WHOLE, keepdim=False, *, out=None):
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
    if x.dtype.kind == "f" and 0 < n <= 16:
        for r in B.flatnonzero(B.isnan(rows).any(axis=-1)):
            values[r, 0], indices[r, 0] = _torch_small_mode(rows[r])
    return _back(values, moved_shape, axis, keepdim), _back(indices, moved_shape, axis, keepdim)


def _torch_insertion_sort(items, less):
    """libstdc++'s std::sort of at most 16 items: an insertion sort. With NaN, ``less`` is false
    both ways and the order is the algorithm's own, which is what torch returns there."""
    items = list(items)
    for i in range(1, len(items)):
        item = items[i]
        if less(item, items[0]):
            items[1:i + 1] = items[:i]
            items[0] = item
        else:
            j = i
            while less(item, items[j - 1]):
                items[j] = items[j - 1]
                j -= 1
            items[j] = item
    return items


def _torch_small_mode(row):
    """torch's mode of one row of at most 16 elements holding NaN: its std::sort of (value, index)
    pairs by ``<`` leaves NaN where it is; the first longest run of ``!=``-distinct values, at its
    last element, is the mode."""
    pairs = _torch_insertion_sort([(v, i) for i, v in enumerate(row.tolist())], lambda a, b: a[0] < b[0])
    best, best_count, count = pairs[0], 0, 0
    for i, (v, _) in enumerate(pairs):
        count += 1
        if i == len(pairs) - 1 or v != pairs[i + 1][0]:
            if count > best_count:
                best, best_count = pairs[i], count
            count = 0
    return best


mode_ = primitive("mode", _mode_impl, out_dtype="keep", outputs=2, nondiff_outputs=(1,),
                  grad_name="ModeBackward0", vjp=Joint(_value_selecting_vjp), jvp=_value_selecting_jvp,
                  batch=REDUCTION)


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
    x, d, zero_dim = _one_dim(input, _int_arg(dim, "mode", "dim"))
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
    k = _int_arg(k, "kthvalue", "k", 2)
    _refuse_bool(input, "\"kthvalue_cpu\" not implemented for 'Bool'")
    x, d, zero_dim = _one_dim(input, _int_arg(dim, "kthvalue", "dim", 3))
    if x.shape[d] == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= x.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if isinstance(out, (tuple, list)):  # torch's kthvalue reads its input while writing its values
        S._refuse_aliased_out(out[0], (input,))
    values, indices = kthvalue_.bind((x,), {"k": k, "axis": d, "keepdim": keepdim and not zero_dim})
    return _finish_pair("kthvalue", (values, indices), out, input)


# ----------------------------------------------------------------------------- aminmax

def _aminmax_impl(x, axis, keepdim):
    return B.amin(x, axis=axis, keepdims=keepdim), B.amax(x, axis=axis, keepdims=keepdim)


def _aminmax_vjp(g, x, ans, axis, keepdim):
    # Each cotangent shared by the elements equal to its extremum, as amin's and amax's.
    total = None
    for gk, extremum in zip(g, ans):
        if gk is not None:
            part = R._evenly_distributed(gk, x, extremum, axis, keepdim)
            total = part if total is None else total + part
    return (total,)


def _aminmax_jvp(primals, tangents, params, outputs):
    return tuple(R._extremum_jvp(primals, tangents, params, (o,))[0] for o in outputs)


aminmax_ = primitive("aminmax", _aminmax_impl, out_dtype="keep", outputs=2, grad_name="AminmaxBackward0",
                     vjp=Joint(_aminmax_vjp), jvp=_aminmax_jvp, batch=REDUCTION)


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
    results = aminmax_.bind((input,), params)
    return _finish_pair("aminmax", results, out, input, fields=("min", "max"))


# ----------------------------------------------------------------------------- cummax, cummin

def _cumulative_extremum(x, axis, accumulate):
    if x.shape[axis] == 0:
        return x.copy(), B.zeros(x.shape, dtype=B.int64)
    values = accumulate(x, axis=axis)
    hit = x == values
    if x.dtype.kind in "fc" and B.isnan(B.take(values, [-1], axis=axis)).any():
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
    values; NaN, once met, is the maximum): a named tuple ``(values, indices)``. The gradient of each
    value goes to the element it came from.

    Args:
        input (Tensor): the input tensor.
        dim (int): the dimension to run along.
        out (tuple, optional): the output tuple of (Tensor, LongTensor).

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
    values; NaN, once met, is the minimum): a named tuple ``(values, indices)``. The gradient of each
    value goes to the element it came from.

    Args:
        input (Tensor): the input tensor.
        dim (int): the dimension to run along.
        out (tuple, optional): the output tuple of (Tensor, LongTensor).

    Example::

        >>> pullback.cummin(pullback.tensor([3, 1, 2, 0]), 0)
        pullback.return_types.cummin(
        values=tensor([3, 1, 1, 0]),
        indices=tensor([0, 1, 1, 3]))
    """
    return _cumulative(input, dim, out, cummin_, "cummin")


# ----------------------------------------------------------------------------- logcumsumexp

def _logcumsumexp_impl(x, axis, reverse=False):
    if not x.shape[axis]:
        return x.copy()
    with B.errstate(invalid="ignore", over="ignore"):
        if reverse:  # log(sum_{i >= j} exp(x_i)): the VJP's own sum, from the end
            return B.flip(B.logaddexp.accumulate(B.flip(x, axis), axis=axis), axis)
        return B.logaddexp.accumulate(x, axis=axis)


def _logcumsumexp_vjp(g, x, ans, axis, reverse):
    # grad_i = sum_{j >= i} g_j exp(x_i - ans_j) (j <= i for the reverse sum): the positive and
    # negative parts of g each summed in log space by the sum in the other direction (torch's
    # formula, the lowest finite number standing for log 0).
    if x.shape[axis] == 1:  # the identity along one element
        return g
    lowest = float(B.finfo(getattr(getattr(g, "dtype", None), "np", g.dtype)).min)
    log_abs = E.log(E.abs(g))
    positive = E.where(g > 0, log_abs, lowest)
    negative = E.where(g < 0, log_abs, lowest)
    other = {"axis": axis, "reverse": not reverse}
    return (E.exp(logcumsumexp_(positive - ans, **other) + x) - E.exp(logcumsumexp_(negative - ans, **other) + x))


def _cumulative_sum(x, axis, reverse):
    total = R.cumsum_(x, axis=axis)
    if reverse:  # sum_{i >= j} x_i (a flip here would meet flip's rules under nested transforms)
        return R._sum(x, axis=(axis,), keepdim=True) - total + x
    return total


def _logcumsumexp_jvp(primals, tangents, params, outputs):
    # d ans_j = sum_{i <= j} exp(x_i) t_i / sum_{i <= j} exp(x_i), exponents shifted by the max.
    (x,), (t,), axis, reverse = primals, tangents, params["axis"], params.get("reverse", False)
    if x.shape[axis] == 0:
        return (t,)
    e = E.exp(x - R.amax_(x, axis=(axis,), keepdim=True))
    total = _cumulative_sum(e, axis, reverse)
    # Where every shifted exponential so far underflows to 0, torch's tangent is 0 (not 0 / 0).
    empty = total == 0
    return (E.where(empty, 0.0, _cumulative_sum(e * t, axis, reverse) / E.where(empty, 1.0, total)),)


logcumsumexp_ = primitive("logcumsumexp", _logcumsumexp_impl, out_dtype="keep", grad_name="LogcumsumexpBackward0",
                          vjp=_logcumsumexp_vjp, jvp=_logcumsumexp_jvp, batch=ALONG_AXIS)


@public(method=True)
def logcumsumexp(input, dim, *, out=None):
    """``log(cumsum(exp(input), dim))``, computed without overflow.

    Args:
        input (Tensor): the input tensor (floating point).
        dim (int): the dimension to run along.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.logcumsumexp(pullback.tensor([0.0, 0.0]), 0)
        tensor([0.0000, 0.6931])
    """
    _check_tensor(input, "logcumsumexp")
    x, d, zero_dim = _one_dim(input, dim)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{_scalar_name(x.dtype)}'")
    result = logcumsumexp_.bind((x,), {"axis": d, "reverse": False})
    if zero_dim:
        result = result.reshape(())
    return write_out(out, result, "logcumsumexp", (input,))


# ----------------------------------------------------------------------------- quantile, nanquantile

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, out, name):
    """torch's algorithm, in pullback's ops (so gradients reach ``input`` through sort and gather, and
    ``q`` through the interpolation weights): sort along the dim, find each quantile's rank, gather the
    values below and above it and interpolate."""
    _check_tensor(input, name)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    if not is_tensor(q):
        if isinstance(q, bool) or not isinstance(q, (int, float)):
            raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                            f"{type(q).__name__}), but expected one of:\n * (Tensor input, Tensor q, int dim = None, "
                            f"bool keepdim = False, *, str interpolation = \"linear\", Tensor out = None)\n * (Tensor "
                            f"input, float q, int dim = None, bool keepdim = False, *, str interpolation = \"linear\", "
                            f"Tensor out = None)\n")
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {float(q):g}")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if is_tensor(q) and q.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if not input.dtype.is_floating_point or input.dtype.itemsize < 4:
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if is_tensor(q) and q.dtype is not input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if is_tensor(out) and out.dtype is not input.dtype:
        raise RuntimeError("quantile() out tensor must be same dtype as the input tensor")
    if is_tensor(q):
        values = _all_samples(q)
        if values.size and not ((values >= 0) & (values <= 1)).all():
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
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

    Args:
        input (Tensor): the input tensor (float32 or float64).
        q (float or Tensor): the quantiles to compute, in [0, 1].
        dim (int, optional): the dimension to reduce. Default: all of them.
        keepdim (bool, optional): keep the reduced dims, with size one. Default: False.
        interpolation (str, optional): ``"linear"``, ``"lower"``, ``"higher"``, ``"midpoint"`` or
            ``"nearest"``. Default: ``"linear"``.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.nanquantile(pullback.tensor([0.0, float("nan"), 2.0]), 0.5)
        tensor(1.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, out, "nanquantile")


# ----------------------------------------------------------------------------- searchsorted, bucketize

def _searchsorted_impl(seq, values, right, out_int32):
    """A binary search per value, torch's: the first position whose element is not below the value
    (``right``: not at or below it), each comparison as torch's so NaN lands where torch's does."""
    values = B.asarray(values)
    n = seq.shape[-1]
    dtype = B.int32 if out_int32 else B.int64
    if values.size == 0 or n == 0:
        return B.zeros(values.shape, dtype=dtype)
    if seq.ndim == 1 and _plainly_sorted(seq) and not (values.dtype.kind == "f" and B.isnan(values).any()):
        # A sorted sequence without NaN: NumPy's search finds the same positions, faster.
        return B.searchsorted(seq, values, side="right" if right else "left").astype(dtype)
    if seq.ndim == 1:
        rows, flat = seq[None, :], values.reshape(1, -1)
    else:
        rows, flat = seq.reshape(-1, n), values.reshape(-1, values.shape[-1] if values.ndim else 1)
    lo = B.zeros(flat.shape, dtype=B.int64)
    hi = B.full(flat.shape, n, dtype=B.int64)
    with B.errstate(invalid="ignore"):
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = lo + ((hi - lo) >> 1)
            at = B.take_along_axis(rows, B.minimum(mid, n - 1), axis=1)
            right_of = ~(at > flat) if right else ~(at >= flat)
            lo = B.where(active & right_of, mid + 1, lo)
            hi = B.where(active & ~right_of, mid, hi)
    return lo.reshape(values.shape).astype(dtype)


def _plainly_sorted(seq):
    """Whether a 1-D sequence is sorted and free of NaN (where every binary search agrees)."""
    if seq.dtype.kind == "f" and B.isnan(seq).any():
        return False
    return bool((seq[1:] >= seq[:-1]).all())


def _batch_searchsorted(prim, values, bdims, params, size):
    seq, x = values
    if bdims[0] is None and seq.ndim == 1:  # every sample searches one sequence: any shape of values
        return prim.bind((seq, x), params), bdims[1]
    if V.logical_ndim(seq, bdims[0]) == 1:  # one sequence per sample: the values of each in one row
        seq = V.expand_batch(seq, bdims[0], size)
        x = V.expand_batch(x, bdims[1], size)
        shape = tuple(x.shape)
        return S._reshape(prim.bind((seq, S._reshape(x, shape=(size, -1))), params), shape=shape), 0
    # N-D sequences: the batch dim leads both, as one more matching leading dim
    return prim.bind((V.expand_batch(seq, bdims[0], size), V.expand_batch(x, bdims[1], size)), params), 0


searchsorted_ = primitive("searchsorted", _searchsorted_impl, inputs="seq values", out_dtype="keep",
                          batch=_batch_searchsorted)


def _shape_list(shape):
    return "[" + ", ".join(str(n) for n in shape) + "]"


def _search(seq, input, right, side, out_int32, out, sorter, name):
    where = "torch.searchsorted(): "
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{where}side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(f"{where}side and right can't be set to opposites, got side of left while right was "
                               "True")
        right = side == "right"
    if out is not None and is_tensor(out) and out.dtype is not (D.int32 if out_int32 else D.int64):
        raise RuntimeError(f"{where}output tensor's dtype is wrong, it can only be Int(int32) or Long(int64) depending "
                           "on whether out_int32 flag is True, but we got output tensor's dtype "
                           f"{_scalar_name(out.dtype)} and out_int32 flag is {bool(out_int32)}")
    if sorter is not None:
        if sorter.dtype is not D.int64:
            raise RuntimeError(f"{where}sorter must be a tensor of long dtype but got dtype "
                               f"{_scalar_name(sorter.dtype)}")
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError(f"{where}boundary and sorter must have the same size, but got boundary tensor "
                               f"{_shape_list(seq.shape)}and got sorter tensor {_shape_list(sorter.shape)}")
    if seq.ndim == 0:
        raise RuntimeError(f"{where}boundaries tensor should have positive dimension, but got 0 dimension")
    scalar = not is_tensor(input)
    if scalar:
        if seq.ndim != 1:
            raise RuntimeError(f"{where}input value can be a scalar only when boundaries tensor dimension is 1, but we "
                               f"got boundaries tensor dim({seq.ndim}) and input value's dim(0) numel(1)")
    elif seq.ndim != 1 and (seq.ndim != input.ndim or tuple(seq.shape[:-1]) != tuple(input.shape[:-1])):
        raise RuntimeError(f"{where}boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
                           "tensor and input value tensor must match, but we got boundaries tensor "
                           f"{_shape_list(seq.shape)} and input value tensor {_shape_list(input.shape)}")
    for t in (seq,) if scalar else (seq, input):
        if t.dtype is D.bool:
            raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
    if sorter is not None:
        values = _all_samples(sorter)
        if values.size and (values.min() < 0 or values.max() >= seq.shape[-1]):
            raise RuntimeError(f"{where}sorter index out of range")
        seq = seq.detach().gather(-1, sorter)
    if scalar:
        input = _tensor(input, dtype=seq.dtype if not isinstance(input, float) or seq.dtype.is_floating_point
                        else D.get_default_dtype())
    result = searchsorted_.bind((seq.detach(), input.detach()), {"right": bool(right), "out_int32": bool(out_int32)})
    return write_out(out, result, name, ())


@public()
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, out=None, sorter=None):
    """For each value in ``input``, the index in ``sorted_sequence`` (sorted along its last dim) where
    it would be inserted to keep it sorted: the first position holding a value not below it, or with
    ``right=True`` (``side="right"``) one above it.

    ``sorted_sequence`` is 1-D, or N-D with the first N-1 dims of ``input``: each row is searched for
    the values in the matching row of ``input``. ``sorter`` gives the indices that sort an unsorted
    ``sorted_sequence``.

    Args:
        sorted_sequence (Tensor): the sorted sequence(s).
        input (Tensor or Scalar): the values to insert.
        out_int32 (bool, optional): int32 indices instead of int64. Default: False.
        right (bool, optional): the last insertion point among equal values. Default: False.
        side (str, optional): ``"left"`` or ``"right"``, as ``right``.
        out (Tensor, optional): the output tensor.
        sorter (LongTensor, optional): the indices that sort ``sorted_sequence`` along its last dim.

    Example::

        >>> pullback.searchsorted(pullback.tensor([1, 3, 5, 7]), pullback.tensor([3, 6]))
        tensor([1, 3])
    """
    _check_tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    return _search(sorted_sequence, input, right, side, out_int32, out, sorter, "searchsorted")


@public()
def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The index of the bucket each value of ``input`` falls in, the buckets bounded by the sorted 1-D
    ``boundaries``: ``i`` with ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``:
    ``boundaries[i-1] <= x < boundaries[i]``). ``searchsorted(boundaries, input)``.

    Args:
        input (Tensor or Scalar): the values to place.
        boundaries (Tensor): the sorted 1-D bucket boundaries.
        out_int32 (bool, optional): int32 indices instead of int64. Default: False.
        right (bool, optional): which side of a boundary equal values go to. Default: False.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.bucketize(pullback.tensor([1, 5, 9]), pullback.tensor([1, 3, 5, 7]))
        tensor([0, 2, 4])
    """
    _check_tensor(boundaries, "bucketize", "boundaries", 2)
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _search(boundaries, input, right, None, out_int32, out, None, "bucketize")


# ----------------------------------------------------------------------------- counting

def _batch_per_sample(prim, values, bdims, params, size):
    """A primitive whose output shape does not depend on the values: each sample on its own, stacked."""
    args = [V.expand_batch(v, d, size) if d is not None else v for v, d in zip(values, bdims)]
    outs = [prim.bind(tuple(a[b] if d is not None else a for a, d in zip(args, bdims)), params) for b in range(size)]
    if isinstance(outs[0], tuple):
        return tuple(S.stack([o[k] for o in outs]) for k in range(len(outs[0]))), (0,) * len(outs[0])
    return S.stack(outs), 0


def _torch_linspace(start, end, steps, dtype):
    """torch's linspace in ``dtype``: from both ends toward the middle, so ``end`` is exact."""
    start, end = dtype.type(start), dtype.type(end)
    if steps == 1:
        return B.asarray([start], dtype=dtype)
    step = (end - start) / dtype.type(steps - 1)
    idx = B.arange(steps)
    half = steps // 2
    with B.errstate(invalid="ignore", over="ignore"):
        return B.where(idx < half, start + step * idx.astype(dtype), end - step * (steps - idx - 1).astype(dtype))


def _bin_positions(x, edges, search):
    """The bin of each element of ``x`` (-1: outside the edges or NaN), as torch's histogram kernel
    finds it: linear interpolation between the outer edges, corrected against the neighbouring edges
    (``search="local"``), or a binary search over all edges (``search="binary"``)."""
    n_edges = edges.shape[0]
    left, right = edges[0], edges[-1]
    with B.errstate(invalid="ignore"):
        inside = (x >= left) & (x <= right)
    xs = B.where(inside, x, left)
    if search == "binary":  # std::upper_bound's steps, which NumPy's searchsorted does not take on unsorted edges
        pos = _searchsorted_impl(edges, xs, True, False) - 1
    else:
        with B.errstate(invalid="ignore", divide="ignore", over="ignore"):
            pos = ((xs - left) * x.dtype.type(n_edges - 1) / (right - left)).astype(B.int64)
        if search == "local":
            lo = B.maximum(pos - 1, 0)
            hi = B.minimum(pos + 2, n_edges)
            found = lo.copy()
            for j in range(3):  # upper_bound among edges[lo:hi]: how many of them are <= x
                at = lo + j
                found += (at < hi) & (edges[B.minimum(at, n_edges - 1)] <= xs)
            pos = found - 1
    pos = B.where(pos == n_edges - 1, pos - 1, pos)  # the last bin holds its right edge
    return B.where(inside, pos, -1)


def _counts(x, weight, edges, search):
    x = x.reshape(-1)
    pos = _bin_positions(x, edges, search)
    keep = pos >= 0
    if weight is None:
        return B.bincount(pos[keep], minlength=edges.shape[0] - 1).astype(x.dtype)
    hist = B.zeros(edges.shape[0] - 1, dtype=x.dtype)
    B.add.at(hist, pos[keep], weight.reshape(-1)[keep])  # summed in order in x's dtype, as torch's kernel
    return hist


def _histc_impl(x, bins, min, max):
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(B.min(x)), float(B.max(x))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (B.isfinite(lo) and B.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_num(lo)}, {_num(hi)}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    return _counts(x, None, _torch_linspace(lo, hi, bins + 1, x.dtype), "linear")


def _num(v):
    """A bound as C++ streams print it: 2, 0.5, inf, -nan."""
    v = float(v)
    if v != v:
        return "-nan" if B.signbit(v) else "nan"
    if v in (INF, -INF):
        return "inf" if v > 0 else "-inf"
    return str(int(v)) if v.is_integer() else f"{v:g}"


INF = float("inf")


histc_ = primitive("histc", _histc_impl, out_dtype="keep", batch=_batch_per_sample)


def _check_histogram_input(input, kernel):
    # (histc takes float16 too; histogram takes float32 and float64 only)
    if not input.dtype.is_floating_point or (input.dtype.itemsize < 4 and kernel == "histogramdd"):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_scalar_name(input.dtype)}'")


@public(method=True)
def histc(input, bins=100, min=0, max=0, *, out=None):  # noqa: A002
    """A histogram of ``input``: ``bins`` equal-width bins between ``min`` and ``max`` (both 0: the
    smallest and largest element). Elements outside the range, and NaN, are not counted. Not
    differentiable.

    Args:
        input (Tensor): the input tensor (float32 or float64).
        bins (int, optional): the number of bins. Default: 100.
        min (Scalar, optional): the lower end of the range. Default: 0.
        max (Scalar, optional): the upper end of the range. Default: 0.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.histc(pullback.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    _check_tensor(input, "histc")
    _check_histogram_input(input, "linspace_cpu" if input.dtype is D.bool else "histogram_cpu")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    result = histc_.bind((input.detach(),), {"bins": int(bins), "min": min, "max": max})
    return write_out(out, result, "histc", (input,))


def _equal_width_edges(column, bins, bounds, dim):
    """The ``bins + 1`` edges of dimension ``dim``: over ``bounds`` (default: the column's smallest and
    largest value; 0 and 1 without values), widened by 0.5 each way when they are equal."""
    if bounds is not None:
        lo, hi = float(bounds[0]), float(bounds[1])
    elif column.size:
        lo, hi = float(B.min(column)), float(B.max(column))
    else:
        lo, hi = 0.0, 1.0
    if not (B.isfinite(lo) and B.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension {dim}'s range [{_num(lo)}, {_num(hi)}] is not finite")
    if not lo <= hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {_num(lo)} max {_num(hi)} "
                           f"for dimension {dim}")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return _torch_linspace(lo, hi, bins + 1, column.dtype)


def _histogram_impl(x, weight, bins, range, density):
    if isinstance(bins, int):
        edges, search = _equal_width_edges(x.reshape(-1), bins, range, 0), "local"
    else:
        edges, search = B.asarray(bins, dtype=x.dtype), "binary"
    hist = _counts(x, weight, edges, search)
    if density:
        with B.errstate(invalid="ignore", divide="ignore"):
            hist = hist / hist.sum() / B.diff(edges)
    return hist, edges


def _histogramdd_impl(points, weight, bins, edges, range, density):
    """points (M, D); ``bins`` D ints (equal-width bins) or ``edges`` D arrays of edges."""
    dims = points.shape[1]
    if edges is None:
        edges = [_equal_width_edges(points[:, d], bins[d], None if range is None else range[2 * d:2 * d + 2], d)
                 for d in builtins_range(dims)]
        search = "local"
    else:
        search = "binary"
    sizes = tuple(e.shape[0] - 1 for e in edges)
    positions = [_bin_positions(points[:, d], edges[d], search) for d in builtins_range(dims)]
    inside = B.ones(points.shape[0], dtype=bool)
    for pos in positions:
        inside &= pos >= 0
    if not dims:  # points of no coordinates: torch counts none of them
        return B.zeros((), dtype=points.dtype), edges
    flat = B.ravel_multi_index(tuple(pos[inside] for pos in positions), sizes)
    total = int(B.prod(sizes))
    if weight is None:
        hist = B.bincount(flat, minlength=total).astype(points.dtype)
    else:
        hist = B.zeros(total, dtype=points.dtype)
        B.add.at(hist, flat, weight.reshape(-1)[inside])  # summed in order in the input's dtype
    hist = hist.reshape(sizes)
    if density:
        with B.errstate(invalid="ignore", divide="ignore"):
            hist = hist / hist.sum()
            for d in builtins_range(dims):
                shape = [1] * dims
                shape[d] = sizes[d]
                hist = hist / B.diff(edges[d]).reshape(shape)
    return hist, edges


builtins_range = range


histogram_ = primitive("histogram", lambda x, edges, weight, bins, range, density:
                       _histogram_impl(x, weight, bins if edges is None else edges, range, density),
                       inputs="x edges weight", out_dtype="keep", outputs=2, batch=_batch_per_sample)


@public(method=True)
def histogram(input, bins, *, range=None, weight=None, density=False, out=None):  # noqa: A002
    """A histogram of ``input``: a named tuple ``(hist, bin_edges)``.

    ``bins`` is a number of equal-width bins over ``range`` (default: from the smallest to the largest
    element), or a 1-D tensor of increasing bin edges. Each bin holds its left edge, the last also its
    right edge. ``weight`` weighs each element; ``density`` divides by the total and the bin widths.
    Not differentiable (torch's result requires grad but its backward raises).

    Args:
        input (Tensor): the input tensor (float32 or float64).
        bins (int or Tensor): the number of bins, or their edges.
        range (tuple of float, optional): the lower and upper end of the bins.
        weight (Tensor, optional): a weight for each element of ``input``.
        density (bool, optional): a probability density instead of counts. Default: False.
        out (tuple, optional): the output tuple of two Tensors.

    Example::

        >>> pullback.histogram(pullback.tensor([1.0, 2.0, 1.0]), bins=4, range=(0.0, 3.0))
        pullback.return_types.histogram(
        hist=tensor([0., 2., 1., 0.]),
        bin_edges=tensor([0.0000, 0.7500, 1.5000, 2.2500, 3.0000]))
    """
    _check_tensor(input, "histogram")
    _check_histogram_input(input, "histogramdd")
    where = "torch.histogramdd: "
    if weight is not None:
        if weight.dtype is not input.dtype:
            raise RuntimeError(f"{where}if weight tensor is provided, input tensor and weight tensor should have the "
                               f"same dtype, but got input({D.CPP_TYPE_NAMES[input.dtype]}), and "
                               f"weight({D.CPP_TYPE_NAMES[weight.dtype]})")
        if tuple(weight.shape) != tuple(input.shape):
            raise RuntimeError(f"{where}if weight tensor is provided it should have the same shape as the input tensor "
                               "excluding its innermost dimension, but got input with shape "
                               f"{_shape_list((input.numel(), 1))} and weight with shape {_shape_list(weight.shape)}")
    edges = None
    if is_tensor(bins):
        if bins.ndim != 1:
            raise RuntimeError(f"{where}bins tensor should have one dimension, but got {bins.ndim} dimensions in the "
                               "bins tensor for dimension 0")
        if bins.numel() == 0:
            raise RuntimeError(f"{where}bins tensor should have at least 1 element, but got 0 elements in the bins "
                               "tensor for dimension 0")
        if bins.dtype is not input.dtype:
            raise RuntimeError(f"{where}input tensor and bins tensors should have the same dtype, but got input with "
                               f"dtype {D.CPP_TYPE_NAMES[input.dtype]} and bins for dimension 0 with dtype "
                               f"{D.CPP_TYPE_NAMES[bins.dtype]}")
        if bins.numel() == 1:
            raise RuntimeError("torch.histogram(): bins must be > 0, but got 0 for dimension 0")
        edges, params = bins.detach(), {"bins": None, "range": None, "density": bool(density)}
    else:
        if int(bins) <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
        if range is not None and len(range) != 2:
            raise RuntimeError(f"{where}for a 1-dimensional histogram range should have 2 elements, but got "
                               f"{len(range)}")
        params = {"bins": int(bins), "range": None if range is None else tuple(float(r) for r in range),
                  "density": bool(density)}
    hist, bin_edges = histogram_.bind((input.detach(), edges, None if weight is None else weight.detach()), params)
    return _finish_pair("histogram", (hist, bin_edges), out, input, fields=("hist", "bin_edges"))


@public()
def histogramdd(input, bins, *, range=None, weight=None, density=False):  # noqa: A002
    """A histogram of points: the last dimension of ``input`` (size D) holds their coordinates, the
    others are flattened. Returns a named tuple ``(hist, bin_edges)``: a D-dimensional tensor of counts
    (or summed ``weight``) and a tuple of the D tensors of edges.

    ``bins`` is one int (equal-width bins in every dimension), D ints, or D 1-D tensors of edges;
    ``range`` gives, for equal-width bins, the lower and upper end of every dimension in turn
    (default: the smallest and largest coordinate). Each bin holds its left edge, the last of each
    dimension also its right edge; points outside every bin are not counted. Not differentiable.

    Args:
        input (Tensor): the points, at least 2-D (float32 or float64).
        bins (int, sequence of int, or sequence of Tensor): the bins of each dimension.
        range (sequence of float, optional): 2 D numbers: each dimension's lower and upper end.
        weight (Tensor, optional): a weight for each point (``input``'s shape without its last dim).
        density (bool, optional): a probability density instead of counts. Default: False.

    Example::

        >>> pullback.histogramdd(pullback.tensor([[0.0, 1.0], [1.0, 1.0], [2.0, 0.0]]), bins=[2, 2])
        pullback.return_types.histogramdd(
        hist=tensor([[0., 1.],
                [1., 1.]]),
        bin_edges=(tensor([0., 1., 2.]), tensor([0.0000, 0.5000, 1.0000])))
    """
    where = "torch.histogramdd: "
    _check_tensor(input, "histogramdd")
    _check_histogram_input(input, "histogramdd")
    if input.ndim < 2:
        raise RuntimeError(f"{where}input tensor should have at least 2 dimensions")
    refuse_batched(input, "histogramdd")
    dims = input.shape[-1]
    points = input._data.reshape(int(B.prod(input.shape[:-1])), dims)
    if isinstance(bins, (int, B.integer)) and not isinstance(bins, bool):
        bins = [int(bins)] * dims
    bins = list(bins)
    given_edges = bool(bins) and all(is_tensor(b) for b in bins)
    if given_edges and len(bins) != dims:
        raise RuntimeError(f"{where}expected {dims} sequences of bin edges for a {dims}-dimensional histogram but "
                           f"got {len(bins)}")
    if not given_edges and len(bins) != dims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
    if range is not None and len(range) != 2 * dims:
        raise RuntimeError(f"{where}for a {dims}-dimensional histogram range should have {2 * dims} elements, but "
                           f"got {len(range)}")
    edges = None
    if given_edges:
        for d, b in enumerate(bins):
            if b.ndim != 1:
                raise RuntimeError(f"{where}bins tensor should have one dimension, but got {b.ndim} dimensions in the "
                                   f"bins tensor for dimension {d}")
            if b.numel() == 0:
                raise RuntimeError(f"{where}bins tensor should have at least 1 element, but got 0 elements in the bins "
                                   f"tensor for dimension {d}")
            if b.dtype is not input.dtype:
                raise RuntimeError(f"{where}input tensor and bins tensors should have the same dtype, but got input "
                                   f"with dtype {D.CPP_TYPE_NAMES[input.dtype]} and bins for dimension {d} with dtype "
                                   f"{D.CPP_TYPE_NAMES[b.dtype]}")
            if b.numel() == 1:
                raise RuntimeError(f"torch.histogram(): bins must be > 0, but got 0 for dimension {d}")
            refuse_batched(b, "histogramdd")
        edges = [b._data for b in bins]
    else:
        bins = [_int_arg(b, "histogramdd", "bins") for b in bins]
        for d, b in enumerate(bins):
            if b <= 0:
                raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {b} for dimension {d}")
    if weight is not None:
        refuse_batched(weight, "histogramdd")
        if weight.dtype is not input.dtype:
            raise RuntimeError(f"{where}if weight tensor is provided, input tensor and weight tensor should have the "
                               f"same dtype, but got input({D.CPP_TYPE_NAMES[input.dtype]}), and "
                               f"weight({D.CPP_TYPE_NAMES[weight.dtype]})")
        if tuple(weight.shape) != tuple(input.shape[:-1]):
            raise RuntimeError(f"{where}if weight tensor is provided it should have the same shape as the input tensor "
                               f"excluding its innermost dimension, but got input with shape "
                               f"{_shape_list(points.shape)} and weight with shape {_shape_list(weight.shape)}")
    hist, edges = _histogramdd_impl(points, None if weight is None else weight._data, bins, edges,
                                    None if range is None else [float(r) for r in range], bool(density))
    results = (Tensor._make(B.asarray(hist)), tuple(Tensor._make(B.array(e, dtype=points.dtype)) for e in edges))
    return _named("histogramdd", ("hist", "bin_edges"))(*results)


@public(method=True)
def bincount(input, weights=None, minlength=0):
    """How many times each non-negative integer occurs in the 1-D ``input`` (its ``weights`` summed,
    when given), for 0 to ``max(input)`` and at least ``minlength`` of them.

    Args:
        input (Tensor): a 1-D tensor of non-negative integers.
        weights (Tensor, optional): a weight for each element of ``input``.
        minlength (int, optional): the least number of bins. Default: 0.

    Example::

        >>> pullback.bincount(pullback.tensor([0, 1, 1, 3]))
        tensor([1, 2, 0, 1])
    """
    _check_tensor(input, "bincount")
    refuse_batched(input, "bincount (its output size depends on the values)")
    if input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_scalar_name(input.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    data = input._data
    if input.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return Tensor._make(B.bincount(data.astype(B.int64), minlength=minlength).astype(B.int64))
    refuse_batched(weights, "bincount")
    if weights.ndim != 1 or weights.shape[0] != data.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dtype = weights._data.dtype if weights.dtype in (D.float32, D.float64) else B.float64
    return Tensor._make(B.bincount(data.astype(B.int64), weights=weights._data.astype(B.float64),
                                   minlength=minlength).astype(out_dtype))


@public(method=True)
def argwhere(input):
    """The indices of the nonzero elements of ``input``: an (n, ndim) int64 tensor, ``nonzero(input)``.

    Args:
        input (Tensor): the input tensor.

    Example::

        >>> pullback.argwhere(pullback.tensor([[0, 1], [2, 0]]))
        tensor([[0, 1],
                [1, 0]])
    """
    _check_tensor(input, "argwhere")
    return I.nonzero(input)


# ----------------------------------------------------------------------------- unique

def _unique_results(output, inverse, counts, return_inverse, return_counts):
    results = [Tensor._make(output)]
    if return_inverse:
        results.append(Tensor._make(inverse.astype(B.int64)))
    if return_counts:
        results.append(Tensor._make(counts.astype(B.int64)))
    return results[0] if len(results) == 1 else tuple(results)


def _unique_dim_rows(data, dim):
    """``data`` with ``dim`` moved first, and its size; torch's errors for a 0-dim tensor and for
    empty slices."""
    if data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, data.ndim)
    moved = B.moveaxis(data, d, 0)
    if moved.shape[0] and moved.size == 0:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    if not moved.shape[0] and data.shape.count(0) > 1:
        raise RuntimeError("Number of zero sized dimensions is more than one, so unique cannot be applied ")
    return moved, moved.shape[0], d


def _lexicographic_less(a, b):
    """torch's unique(dim) order of two slices: the first element that is < or > decides."""
    for x, y in zip(a, b):
        if x < y:
            return True
        if x > y:
            return False
    return False


@public(method=True)
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct elements of ``input`` in ascending order (with ``dim``, its distinct slices along
    ``dim``, in lexicographic order). Each NaN is distinct.

    Returns the unique values, and when asked ``inverse_indices`` (where each element of ``input``
    went) and ``counts`` (how often each occurs), as a tuple.

    Args:
        input (Tensor): the input tensor.
        sorted (bool, optional): sort the result (it always is). Default: True.
        return_inverse (bool, optional): also return the inverse indices. Default: False.
        return_counts (bool, optional): also return the counts. Default: False.
        dim (int, optional): the dimension whose slices are compared. Default: all elements.

    Example::

        >>> pullback.unique(pullback.tensor([3, 1, 3, 2]), return_counts=True)
        (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    _check_tensor(input, "unique")
    refuse_batched(input, "unique (its output size depends on the values)")
    data = input._data
    if dim is None:
        flat = data.reshape(-1)
        output, inverse, counts = B.unique(flat, return_inverse=True, return_counts=True, equal_nan=False)
        return _unique_results(output, inverse.reshape(data.shape), counts, return_inverse, return_counts)
    moved, n, d = _unique_dim_rows(data, dim)
    if n == 0:
        return _unique_results(data.copy(), B.zeros(0), B.zeros(0), return_inverse, return_counts)
    rows = moved.reshape(n, -1)
    if n <= 16 and data.dtype.kind == "f" and B.isnan(rows).any():  # torch's own order there
        lists = rows.tolist()
        order = B.asarray(_torch_insertion_sort(range(n), lambda i, j: _lexicographic_less(lists[i], lists[j])))
    else:
        order = B.lexsort(rows.T[::-1])
    ordered = rows[order]
    new = B.ones(n, dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    group = B.cumsum(new) - 1
    inverse = B.empty(n, dtype=B.int64)
    inverse[order] = group
    counts = B.bincount(group)
    output = B.moveaxis(moved[order[new]], 0, d)
    return _unique_results(B.ascontiguousarray(output), inverse, counts, return_inverse, return_counts)


@public(method=True)
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``input`` with each run of equal consecutive elements (with ``dim``: slices along ``dim``)
    reduced to one; with ``return_inverse`` and ``return_counts``, where each element went and each
    run's length.

    Args:
        input (Tensor): the input tensor.
        return_inverse (bool, optional): also return where each element went. Default: False.
        return_counts (bool, optional): also return the length of each run. Default: False.
        dim (int, optional): the dimension whose slices are compared. Default: all elements.

    Example::

        >>> pullback.unique_consecutive(pullback.tensor([1, 1, 2, 2, 3, 1]))
        tensor([1, 2, 3, 1])
    """
    _check_tensor(input, "unique_consecutive")
    refuse_batched(input, "unique_consecutive (its output size depends on the values)")
    data = input._data
    if dim is None:
        rows, shape = data.reshape(-1, 1), data.shape
    else:
        moved, n, d = _unique_dim_rows(data, dim)
        rows, shape = moved.reshape(n, -1) if n else moved.reshape(0, 1), (n,)
    n = rows.shape[0]
    new = B.ones(n, dtype=bool)
    if n:
        new[1:] = (rows[1:] != rows[:-1]).any(axis=1) if rows.shape[1] else False
    group = B.cumsum(new) - 1
    counts = B.diff(B.append(B.flatnonzero(new), n))
    if dim is None:
        output = data.reshape(-1)[new]
    else:
        output = B.ascontiguousarray(B.moveaxis(moved[new], 0, d))
    return _unique_results(output, group.reshape(shape), counts, return_inverse, return_counts)


from .sorting import sort, _sort_impl  # noqa: E402
from . import indexing as I  # noqa: E402
from . import shape as S  # noqa: E402
from . import reduction as R  # noqa: E402
from . import elementwise as E  # noqa: E402
