"""Indexing primitives: ``x[index]``, ``x[index] = v``, gather/scatter and friends.

An index is normalised once, where the user wrote it (Tensors and lists become NumPy arrays),
and travels as a static parameter. The VJP of every selecting op scatters into zeros with
accumulation, so repeated indices add up, as they must.
"""
from .._backend import B
from .. import _dtype as D
from ._registry import primitive, refuse_batched
from ._rules import is_tensor, wrap_dim


# ------------------------------------------------------------- normalisation
def _index_array(x):
    if is_tensor(x):
        refuse_batched(x, "indexing with a tensor")
        d = x._data
    else:
        d = B.asarray(x)
        if d.dtype.kind == "f" and d.size == 0:
            d = d.astype(B.int64)
    if d.dtype.kind not in "iub":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return d.astype(bool) if d.dtype == B.uint8 else d


def normalize_index(index):
    """The user's index as a tuple NumPy understands, and whether it is basic (a view)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for item in index:
        if item is None or item is Ellipsis or isinstance(item, slice):
            if isinstance(item, slice):
                item = slice(*(int(v) if is_tensor(v) else v for v in (item.start, item.stop, item.step)))
                if item.step is not None and item.step <= 0:
                    raise ValueError("step must be greater than zero")
            out.append(item)
        elif isinstance(item, bool):
            out.append(B.asarray(item))
            basic = False
        elif isinstance(item, (int, B.integer)):
            out.append(int(item))
        elif is_tensor(item) and item.ndim == 0 and not item.dtype.is_floating_point and item.dtype is not D.bool:
            out.append(int(item.item()))
        elif is_tensor(item) or isinstance(item, (list, tuple, B.ndarray)):
            out.append(_index_array(item))
            basic = False
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             f"Variables are valid indices (got {type(item).__name__})")
    return tuple(out), basic


def _numpy_index_error(e):
    return IndexError(str(e).replace("axis", "dimension"))


def _getitem_impl(x, index, basic=True, name=None):
    try:
        return x[index]
    except IndexError as e:
        raise _numpy_index_error(e) from None


def _positions(shape, index):
    """The flat position in an array of `shape` that each element of `a[index]` comes from."""
    return B.arange(int(B.prod(shape)), dtype=B.int64).reshape(shape)[index]


def _index_add_zeros_impl(g, shape, index, basic=True):
    out = B.zeros(shape, dtype=g.dtype)
    if basic:
        out[index] = g
        return out
    # Advanced indices may repeat: accumulate with one bincount over flat positions.
    pos = _positions(shape, index)
    g = B.broadcast_to(g, pos.shape)
    total = B.bincount(pos.reshape(-1), weights=g.reshape(-1), minlength=out.size)
    return total.reshape(shape).astype(g.dtype, copy=False)


def _getitem_name(params, shapes):
    if params.get("name"):
        return params["name"]
    index = params["index"]
    if not params.get("basic", True):
        return "IndexBackward0"
    if all(isinstance(i, int) for i in index if i is not Ellipsis):
        return "SelectBackward0"
    if all(i is None for i in index if i is not Ellipsis):
        return "UnsqueezeBackward0"
    if any(isinstance(i, slice) for i in index):
        return "SliceBackward0"
    return "SelectBackward0"


getitem = primitive("getitem", _getitem_impl, out_dtype="keep", view=True, grad_name=_getitem_name,
                    vjp=lambda g, x_shape, index, basic:
                        index_add_zeros(g, shape=tuple(x_shape), index=index, basic=basic))
index_add_zeros = primitive("index_add_zeros", _index_add_zeros_impl, out_dtype="keep",
                            grad_name="IndexPutBackward0",
                            vjp=lambda g, index, basic: getitem(g, index=index, basic=basic))


def _index_put_impl(x, v, index, accumulate=False):
    out = x.copy()
    try:
        if accumulate:
            B.add.at(out, index, v)
        else:
            out[index] = v
    except IndexError as e:
        raise _numpy_index_error(e) from None
    except ValueError as e:
        raise RuntimeError(f"shape mismatch: {e}") from None
    return out


def _index_put_dtype(args, params):
    dt = args[0].dtype
    return dt, dt


index_put = primitive("index_put", _index_put_impl, inputs="x v", out_dtype=_index_put_dtype,
                      grad_name="IndexPutBackward0",
                      vjp=(lambda g, index, accumulate: g if accumulate else index_put(g, 0.0, index=index, accumulate=False),
                           lambda g, index: getitem(g, index=index, basic=False)))


def apply_view_chain(x, chain):
    """Replays the view ops that made a view from its base (on an array or a Tensor)."""
    for prim, params, output in chain:
        x = prim(x, **params)
        if output is not None:
            x = x[output]
    return x


def _view_scatter_impl(base, value, chain):
    out = base.copy()
    apply_view_chain(out, chain)[...] = value  # the chain gives NumPy views of `out`
    return out


view_scatter = primitive("view_scatter", _view_scatter_impl, inputs="base value", out_dtype="keep",
                         grad_name="CopySlices",
                         vjp=(lambda g, chain: view_scatter(g, 0.0, chain=chain),
                              lambda g, chain: apply_view_chain(g, chain)))


# -------------------------------------------------------- along-a-dimension ops
def _slices_to(shape):
    return tuple(slice(0, s) for s in shape)


def _take_along_impl(x, indices, axis):
    try:
        return B.take_along_axis(x[_slices_to(indices.shape[:axis]) + (slice(None),)
                                   + _slices_to(indices.shape[axis + 1:])], indices, axis=axis)
    except IndexError as e:
        raise _numpy_index_error(e) from None


def _put_along_impl(g, indices, axis, shape):
    # Scatter-add g into zeros(shape) at `indices` along `axis` (PyTorch's gather backward).
    sub = _slices_to(indices.shape[:axis]) + (slice(None),) + _slices_to(indices.shape[axis + 1:])
    pos = B.take_along_axis(B.arange(int(B.prod(shape)), dtype=B.int64).reshape(shape)[sub], indices, axis=axis)
    total = B.bincount(pos.reshape(-1), weights=B.broadcast_to(g, pos.shape).reshape(-1),
                       minlength=int(B.prod(shape)))
    return total.reshape(shape).astype(g.dtype, copy=False)


take_along = primitive("take_along", _take_along_impl, inputs="x indices", out_dtype="keep",
                       grad_name="GatherBackward0",
                       vjp=(lambda g, indices, axis, x_shape: put_along(g, indices, axis=axis, shape=tuple(x_shape)),
                            None))
put_along = primitive("put_along", _put_along_impl, inputs="g indices", out_dtype="keep",
                      grad_name="ScatterAddBackward0",
                      vjp=(lambda g, indices, axis: take_along(g, indices, axis=axis), None))


def _scatter_impl(x, indices, src, axis, add):
    out = x.copy()
    sub = _slices_to(indices.shape[:axis]) + (slice(None),) + _slices_to(indices.shape[axis + 1:])
    if not hasattr(src, "shape") or src.ndim == 0:
        src = B.broadcast_to(B.asarray(src, dtype=x.dtype), indices.shape)
    else:
        src = src[_slices_to(indices.shape)]
    if add:
        out = out + _put_along_impl(src, indices, axis, x.shape).astype(x.dtype, copy=False)
    else:
        view = out[sub]
        B.put_along_axis(view, indices, src, axis=axis)
    return out


def _src_grad(g, indices, axis, src_shape):
    r = take_along(g, indices, axis=axis)
    if tuple(r.shape) != tuple(src_shape):
        r = index_add_zeros(r, shape=tuple(src_shape), index=_slices_to(indices.shape), basic=True)
    return r


scatter_ = primitive("scatter", _scatter_impl, inputs="x indices src", out_dtype=_index_put_dtype,
                     grad_name=lambda p, s: "ScatterAddBackward0" if p["add"] else
                     ("ScatterBackward0" if s[2] else "ScatterBackward1"),
                     vjp=(lambda g, indices, axis, add: g if add else scatter_(g, indices, 0.0, axis=axis, add=False),
                          None,
                          lambda g, indices, axis, src_shape: _src_grad(g, indices, axis, src_shape)))


def _masked_fill_impl(x, mask, value):
    return B.where(mask, B.asarray(value, dtype=x.dtype), x)


masked_fill_ = primitive("masked_fill", _masked_fill_impl, inputs="x mask value",
                         out_dtype=lambda args, params: (None, args[0].dtype),
                         vjp=(lambda g, mask: where_(mask, 0.0, g), None,
                              lambda g, mask: where_(mask, g, 0.0)))


def where_(c, x, y):
    from .elementwise import where
    return where(c, x, y)


# ----------------------------------------------------------------- public API
def _check_index_tensor(index, fn):
    refuse_batched(index, f"{fn}() with a batched index")
    if not is_tensor(index):
        raise TypeError(f"{fn}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in (D.int64, D.int32, D.int16, D.int8, D.uint8):
        raise RuntimeError(f"{fn}(): Expected dtype int64 for index")
    return index._data


def gather(input, dim, index):
    """Gathers values along ``dim``: ``out[i][j] = input[index[i][j]][j]`` for ``dim=0``.

    Example::

        >>> t = pullback.tensor([[1, 2], [3, 4]])
        >>> pullback.gather(t, 1, pullback.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    idx = _check_index_tensor(index, "gather")
    d = wrap_dim(dim, input.ndim)
    if idx.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    return take_along(input, idx, axis=d)


def take_along_dim(input, indices, dim=None):
    """Selects values from ``input`` at ``indices`` along ``dim`` (the flattened input when None),
    broadcasting the other dimensions."""
    idx = _check_index_tensor(indices, "take_along_dim")
    if dim is None:
        from .shape import _reshape
        return take_along(_reshape(input, shape=(-1,)), idx.reshape(-1), axis=0)
    d = wrap_dim(dim, input.ndim)
    shape_x = list(input.shape)
    shape_i = list(idx.shape)
    shape_x[d] = shape_i[d] = 1
    common = B.broadcast_shapes(tuple(shape_x), tuple(shape_i))
    from .shape import expand
    xs = list(common)
    xs[d] = input.shape[d]
    is_ = list(common)
    is_[d] = idx.shape[d]
    if tuple(xs) != tuple(input.shape):
        input = expand(input, tuple(xs))
    return take_along(input, B.broadcast_to(idx, tuple(is_)), axis=d)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """Writes ``src`` (a Tensor, or a scalar ``value``) into a copy of ``input`` at ``index``
    along ``dim``. ``reduce='add'`` accumulates instead (``scatter_add``)."""
    if src is None:
        src = value
    idx = _check_index_tensor(index, "scatter")
    d = wrap_dim(dim, input.ndim)
    if reduce not in (None, "add"):
        raise RuntimeError(f"scatter(): reduce={reduce!r} is not supported; use None or 'add'")
    return scatter_(input, idx, src, axis=d, add=reduce == "add")


def scatter_add(input, dim, index, src):
    """Adds ``src`` into a copy of ``input`` at ``index`` along ``dim``; repeated indices add up."""
    idx = _check_index_tensor(index, "scatter_add")
    return scatter_(input, idx, src, axis=wrap_dim(dim, input.ndim), add=True)


def index_select(input, dim, index):
    """Selects the entries ``index`` (a 1-D integer Tensor) along ``dim``."""
    idx = _check_index_tensor(index, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = wrap_dim(dim, input.ndim)
    return getitem(input, index=(slice(None),) * d + (idx.reshape(-1),), basic=False,
                   name="IndexSelectBackward0")


def masked_fill(input, mask, value):
    """Fills ``input`` with ``value`` where the bool ``mask`` (broadcastable) is True."""
    if not is_tensor(mask) or mask.dtype is not D.bool:
        got = mask.dtype.name if is_tensor(mask) else type(mask).__name__
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {got}")
    if is_tensor(value) and value.ndim != 0:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s).")
    return masked_fill_(input, mask, value)


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-D Tensor."""
    refuse_batched(mask, "masked_select (its output size depends on the mask)")
    if not is_tensor(mask) or mask.dtype is not D.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    from .shape import expand
    shape = B.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    x = expand(input, shape) if tuple(input.shape) != tuple(shape) else input
    return getitem(x, index=(B.broadcast_to(mask._data, shape),), basic=False, name="MaskedSelectBackward0")


def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero elements: an (n, ndim) int64 Tensor, or a tuple of 1-D ones."""
    from .._tensor import Tensor
    refuse_batched(input, "nonzero (its output size depends on the values)")
    idx = B.nonzero(input._data) if input.ndim else B.nonzero(input._data.reshape(1))
    if as_tuple:
        return tuple(Tensor._make(i.astype(B.int64)) for i in idx)
    return Tensor._make(B.stack(idx, axis=1).astype(B.int64) if idx else B.zeros((0, 0), B.int64))
