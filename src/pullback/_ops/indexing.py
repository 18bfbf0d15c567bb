"""Indexing primitives: ``x[index]``, ``x[index] = v``, gather/scatter and friends.

An index is normalised once, where the user wrote it (Tensors and lists become NumPy arrays),
and travels as a static parameter. The VJP of every selecting op scatters into zeros with
accumulation, so repeated indices add up, as they must.
"""
import re
import warnings

from .._backend import B
from .. import _dtype as D
from .. import _levels, _tape
from ._registry import primitive, refuse_batched, broadcast_shape, LINEAR, ELEMENTWISE, TRANSPOSE, INDEX_MAP, SCATTER
from ._api import public
from . import _vmap_rules as V
from ._rules import is_tensor, wrap_dim


# ------------------------------------------------------------- normalisation
# Note [Indexing as PyTorch reads it]
# PyTorch applies an index in two steps: first the basic items (an int selects, a slice slices,
# None inserts a dim), then the advanced ones (integer arrays, bool masks, and a Python bool,
# which inserts a dim and indexes it with [0] or []) together on the result. NumPy treats an int
# as one more advanced index, which changes where the advanced result dims go:
# `x[0, :, [1, 2]]` is (3, 2) in PyTorch, (2, 3) in NumPy. So an index that mixes ints (or bools)
# with advanced items runs as two NumPy indexes, a basic view then an advanced copy, as PyTorch's
# own graph does (SelectBackward0 under IndexBackward0); any other index is one NumPy index,
# where NumPy and PyTorch agree.
_INDEX_DTYPES = frozenset({D.int64, D.int32, D.uint8, D.bool})
_LIST_AS_TUPLE_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch "
    "2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, "
    "x[torch.tensor(seq)], which will result either in an error or a different result")


def _warn(message):
    warnings.warn(message, UserWarning, stacklevel=4)


def _index_array(x):
    if is_tensor(x):
        refuse_batched(x, "indexing with a tensor")
        if x.dtype not in _INDEX_DTYPES:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        d = x._data
    else:
        d = B.asarray(x)
        if d.dtype.kind == "f" and not isinstance(x, B.ndarray):  # PyTorch truncates a list's floats
            d = d.astype(B.int64)
        if d.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if d.dtype == B.uint8:
        _warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.")
        return d.astype(bool)
    return d


def _index_items(index):
    """The index as a tuple of items; a short list holding a sequence, slice, None, ... or Tensor
    is read as a tuple (PyTorch's legacy rule, with its warning)."""
    if isinstance(index, tuple):
        return index
    if type(index) is list and len(index) < 32 and any(
            isinstance(i, (list, tuple, slice, B.ndarray)) or i is None or i is Ellipsis or is_tensor(i)
            for i in index):
        _warn(_LIST_AS_TUPLE_WARNING)
        return tuple(index)
    return (index,)


def _record_index(item):
    """An index tensor met while a compiled step is recorded: its array is read where it lives
    at replay; a boolean mask makes a result whose size depends on the values (a graph break)."""
    if is_tensor(item):
        _tape.ACTIVE[0].see(item)
    if item.dtype == bool or (is_tensor(item) and item.dtype is D.bool):
        _tape.graph_break("indexing with a boolean mask (its output size depends on the values)")


def _classify(item):
    """One index item as ``(kind, value)``: kind "int", "slice", "none", "ellipsis", "bool" (a
    Python or 0-dim bool: a new dim, indexed) or "array" (advanced: integers or a bool mask)."""
    t = type(item)
    if t is int:
        return "int", item
    if t is slice:
        return "slice", _slice(item)
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", Ellipsis
    if t is bool or t is B.bool_:
        return "bool", bool(item)
    if isinstance(item, B.integer):
        return "int", int(item)
    if is_tensor(item) or isinstance(item, B.ndarray):
        if item.ndim == 0:
            dt = item.dtype if is_tensor(item) else D.from_numpy_dtype(item.dtype)
            if dt is D.bool or dt is D.uint8:
                return "bool", bool(item.item())
            if not dt.is_floating_point:
                return "int", int(item.item())
        if _tape.ACTIVE[0] is not None:
            _record_index(item)
        return "array", _index_array(item)
    if isinstance(item, (list, tuple)):
        return "array", _index_array(item)
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     f"indices (got {_type_name(item)})")


def _type_name(item):
    t = type(item)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _slice(item):
    if type(item.start) in (int, _NONE_TYPE) and type(item.stop) in (int, _NONE_TYPE) and item.step is None:
        return item
    start, stop, step = (int(v) if is_tensor(v) else v for v in (item.start, item.stop, item.step))
    if step is not None:
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")
    return slice(start, stop, step)


def normalize_index(index, shape):
    """The user's index on a tensor of ``shape``, as PyTorch reads it, in NumPy's terms:
    ``(first, basic, second)``: ``x[index]`` is ``x[first]`` (a view when ``basic``), then, when
    ``second`` is not None, that result indexed by the advanced index ``second``
    (see Note [Indexing as PyTorch reads it])."""
    basic = _plain_basic(index, shape)
    if basic is not None:
        return basic, True, None
    items = _index_items(index)
    kinds, values = [], []
    try:
        for item in items:
            kind, value = _classify(item)
            kinds.append(kind)
            values.append(value)
    except (IndexError, ValueError) as e:  # torch counts the indexed dims before it reads an item
        raise basic_index_error(items, shape, type(index) is not tuple) or e from None
    if not shape and ("int" in kinds or "slice" in kinds):
        raise basic_index_error(items, shape, type(index) is not tuple)
    advanced = "array" in kinds or "bool" in kinds
    if (advanced and ("int" in kinds or "bool" in kinds)) or kinds.count("ellipsis") > 1:
        first, second = _two_stages(kinds, values, shape)
        return (first, True, second) if second else (first, True, None)
    return tuple(values), not advanced, None


_NONE_TYPE = type(None)


def _plain_basic(index, shape):
    """The common index (ints, int slices, None, one Ellipsis) as the tuple NumPy reads exactly as
    PyTorch does, or None for every other index (the general path)."""
    items = index if type(index) is tuple else (index,)
    ellipses = 0
    for i in items:
        t = type(i)
        if t is int:
            if not shape:
                return None
        elif t is slice:
            if not shape or type(i.start) not in (int, _NONE_TYPE) or type(i.stop) not in (int, _NONE_TYPE) or not (
                    i.step is None or (type(i.step) is int and i.step > 0)):
                return None
        elif i is Ellipsis:
            ellipses += 1
        elif i is not None:
            return None
    return items if ellipses <= 1 else None


def _two_stages(kinds, values, shape):
    """The basic index and the advanced index on its result that together read the classified
    items as PyTorch does."""
    items = list(zip(kinds, values))
    ndim = len(shape)
    used = sum(1 if k in ("int", "slice") else (v.ndim if v.dtype == bool else 1) if k == "array" else 0
               for k, v in items)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    rest = ndim - used
    first, second = [], []
    dim = 0  # the dim of the indexed tensor the next item reads
    for position, (kind, value) in enumerate(items):
        if kind == "ellipsis":  # later ellipses cover no dims
            first += [slice(None)] * rest
            second += [slice(None)] * rest
            dim += rest
            rest = 0
        elif kind == "int":
            if not -shape[dim] <= value < shape[dim]:  # torch names the item's position in the index
                raise IndexError(f"index {value} is out of bounds for dimension {position} with size {shape[dim]}")
            first.append(value)
            dim += 1
        elif kind in ("slice", "none"):
            first.append(value)
            second.append(slice(None))
            dim += kind == "slice"
        elif kind == "bool":
            first.append(None)
            second.append(B.arange(int(value)))  # True indexes the new dim with [0], False with []
        else:
            first += [slice(None)] * (value.ndim if value.dtype == bool else 1)
            second.append(value)
            dim += value.ndim if value.dtype == bool else 1
    first = tuple(first)
    while second and isinstance(second[-1], slice):
        second.pop()
    return first, tuple(second)


def _dims_read(item):
    """How many dims of the indexed tensor an index item reads, as torch counts them before it
    reads any item: a bool or uint8 tensor its ndim, None, ``...`` and a Python bool none,
    anything else (an int, a slice, an integer tensor or a sequence, even a float) one."""
    if item is None or item is Ellipsis or type(item) is bool or type(item) is B.bool_:
        return 0
    if is_tensor(item) and item.dtype in (D.bool, D.uint8):
        return item.ndim
    if isinstance(item, B.ndarray) and item.dtype in (B.bool_, B.uint8):
        return item.ndim
    return 1


def basic_index_error(items, shape, single=False):
    """The error torch raises for the basic items of an index (ints, slices, None, ``...``) on a
    tensor of ``shape``, read left to right after it counts the indexed dims; None when they fit.
    ``single``: the user wrote one item, not a tuple (torch selects or slices directly then).
    Called after a failure, or for an unusual index (on a 0-dim tensor)."""
    ndim = len(shape)
    if single and len(items) == 1 and not ndim:
        item = items[0]
        if type(item) is int or isinstance(item, B.integer):
            if item == 0:
                return IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                  "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            return IndexError(f"index {item} is out of bounds for dimension 0 with size 0")
        if type(item) is slice:
            try:
                _slice(item)
            except ValueError as e:
                return e
            return IndexError("slice() cannot be applied to a 0-dim tensor.")
    used = sum(_dims_read(i) for i in items)
    if used > ndim:
        return IndexError(f"too many indices for tensor of dimension {ndim}")
    dim = 0
    for position, item in enumerate(items):
        if type(item) is int or isinstance(item, B.integer) and type(item) is not B.bool_:
            if not -shape[dim] <= item < shape[dim]:  # torch names the item's position in the index
                return IndexError(f"index {item} is out of bounds for dimension {position} with size {shape[dim]}")
            dim += 1
        elif type(item) is slice:
            try:
                _slice(item)
            except ValueError as e:
                return e
            dim += 1
        elif item is Ellipsis:
            dim += ndim - used
        else:
            try:
                _classify(item)
            except IndexError as e:
                return e
            dim += _dims_read(item)
    return None


_EMPTY_DIM_ERROR = "index is out of bounds for dimension with size 0"


def empty_dim_error(shape=None, index=None):
    """torch's error for a non-empty index array into an empty dim (given ``shape`` and ``index``:
    that error where it applies, else None)."""
    if shape is None:
        return IndexError(_EMPTY_DIM_ERROR)
    error = advanced_index_error(shape, index)
    return error if error is not None and str(error) == _EMPTY_DIM_ERROR else None


def advanced_index_error(shape, index):
    """torch's error for the integer arrays of an advanced ``index`` on ``shape`` that NumPy found
    out of bounds, or None where torch has none: it refuses a non-empty index into an empty dim up
    front, and checks bounds only as it fills the result, so an empty result has no error. The dim
    it names is the array's place among the index arrays."""
    items = index if isinstance(index, tuple) else (index,)
    used = sum(_dims_read(i) for i in items)
    arrays, dim = [], 0  # (dim read, integer array)
    for item in items:
        if item is Ellipsis:
            dim += len(shape) - used
        elif isinstance(item, B.ndarray) and item.dtype != bool:
            arrays.append((dim, item))
            dim += 1
        elif isinstance(item, B.ndarray):
            arrays += [(None, None)] * item.ndim  # a mask reads as its nonzero() arrays, in bounds
            dim += item.ndim
        elif item is not None:
            dim += 1
    if any(a is not None and a.size and shape[d] == 0 for d, a in arrays):
        return empty_dim_error()
    if not int(B.prod(selection_shape(shape, in_bounds(items)))):
        return None
    checked = [(k, d, a) for k, (d, a) in enumerate(arrays) if a is not None]
    if not checked:
        return None
    bad = B.broadcast_arrays(*[(a < -shape[d]) | (a >= shape[d]) for k, d, a in checked])
    at = int(B.argmax(B.any(B.stack(bad), axis=0)))  # the first element of the result that fails
    for (k, d, a), b in zip(checked, bad):
        if b.flat[at]:
            value = B.broadcast_to(a, b.shape).flat[at]
            return IndexError(f"index {value} is out of bounds for dimension {k} with size {shape[d]}")
    return None


def _is_advanced(index):
    return any(isinstance(i, B.ndarray) for i in (index if isinstance(index, tuple) else (index,)))


def selection_shape(shape, index):
    """The shape of ``x[index]`` for ``x`` of ``shape`` (on a zero-stride array: nothing copied)."""
    try:
        return B.broadcast_to(B.zeros((), dtype=bool), tuple(shape))[index].shape
    except IndexError as e:
        raise numpy_index_error(e, shape, index) from None


def _mask_error(shape, index):
    """PyTorch's error for the first bool mask in ``index`` that does not fit the dims it covers
    of the tensor left by the basic items (None when they all fit)."""
    items = index if isinstance(index, tuple) else (index,)
    dims = [i.ndim if isinstance(i, B.ndarray) and i.dtype == bool else 1 for i in items]
    basic = []
    for item, n in zip(items, dims):
        basic += [slice(None)] * n if isinstance(item, B.ndarray) else [item]
    view_shape = list(selection_shape(shape, tuple(basic)))
    used = sum(n for item, n in zip(items, dims) if item is not None and item is not Ellipsis)
    dim = 0
    for item, n in zip(items, dims):
        if item is Ellipsis:
            dim += len(shape) - used
        elif isinstance(item, B.ndarray) and item.dtype == bool:
            for j, size in enumerate(item.shape):
                if dim + j >= len(view_shape) or size != view_shape[dim + j]:
                    return IndexError(f"The shape of the mask {list(item.shape)} at index {j} does not match the "
                                      f"shape of the indexed tensor {view_shape} at index {dim + j}")
            dim += n
        elif not isinstance(item, (int, B.integer)):
            dim += 1
    return None


def numpy_index_error(e, shape=None, index=None):
    """NumPy's IndexError in PyTorch's words (a mask's error names the mask: pass the indexed
    ``shape`` and the ``index``)."""
    text = str(e)
    if text.startswith("boolean index did not match") and shape is not None:
        return _mask_error(shape, index) or IndexError(text)
    m = re.match(r"too many indices for array: array is (\d+)-dimensional", text)
    if m:
        return IndexError(f"too many indices for tensor of dimension {m.group(1)}")
    if text.startswith("shape mismatch: indexing arrays could not be broadcast together with shapes"):
        shapes = ", ".join(f"[{', '.join(filter(None, (d.strip() for d in g.split(','))))}]"
                           for g in re.findall(r"\(([^)]*)\)", text))
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}")
    return IndexError(text.replace("axis", "dimension"))


def _getitem_impl(x, index, basic=True, name=None):
    try:
        out = x[index]
    except IndexError as e:
        if basic:
            raise basic_index_error(index, x.shape) or numpy_index_error(e, x.shape, index) from None
        if "out of bounds" not in str(e):
            raise numpy_index_error(e, x.shape, index) from None
        error = advanced_index_error(x.shape, index)
        if error is not None:
            raise error from None
        # torch gives the empty result
        return B.empty(selection_shape(x.shape, in_bounds(index)), dtype=x.dtype)
    if basic and type(out) is not type(x):
        # NumPy gives a scalar copy for a full integer index; PyTorch a 0-dim view (an Ellipsis
        # makes NumPy return a view).
        out = x[(*index, Ellipsis)]
    # PyTorch's advanced indexing returns a fresh contiguous tensor; NumPy's may be laid out
    # with the indexed dims outermost (asarray keeps a 0-dim result 0-dim: ascontiguousarray does not).
    return out if basic else B.asarray(out, order="C")


def in_bounds(index):
    """``index`` with its integer arrays replaced by zeros (an empty result's shape and no error)."""
    return tuple(B.zeros(i.shape, dtype=B.int64) if isinstance(i, B.ndarray) and i.dtype != bool else i
                 for i in (index if isinstance(index, tuple) else (index,)))


def _positions(shape, index):
    """The flat position in an array of `shape` that each element of `a[index]` comes from."""
    return B.arange(int(B.prod(shape)), dtype=B.int64).reshape(shape)[index]


def _index_add_zeros_impl(g, shape, index, basic=True):
    out = B.zeros(shape, dtype=g.dtype)
    if basic:
        out[index] = g
        return out
    # Advanced indices may repeat: accumulate with one bincount over flat positions.
    try:
        pos = _positions(shape, index)
    except IndexError:  # out-of-bounds indices that selected nothing (an empty result)
        return out
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


def _batched_index(index):
    """The index with a leading slice for the batch, and where NumPy puts the batch dim."""
    full = (slice(None),) + tuple(index)
    advanced = [i for i, item in enumerate(full) if isinstance(item, B.ndarray)]
    if advanced and advanced != list(range(advanced[0], advanced[-1] + 1)):   # separated advanced indices go first
        shape = B.broadcast_shapes(*[full[i].shape if full[i].dtype != bool else (int(full[i].sum()),)
                                     for i in advanced])
        return full, len(shape)
    return full, 0


def _batch_getitem(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    index, out_bdim = _batched_index(params["index"])
    return prim.bind((x,), dict(params, index=index)), out_bdim


def _batch_index_add_zeros(prim, values, bdims, params, size):
    index, g_bdim = _batched_index(params["index"])
    g = values[0]
    g = movedim(g, bdims[0], g_bdim) if bdims[0] != g_bdim else g
    return prim.bind((g,), dict(params, index=index, shape=(g.shape[g_bdim],) + tuple(params["shape"]))), 0


getitem = primitive("getitem", _getitem_impl, out_dtype="keep", view=True, grad_name=_getitem_name,
                    vjp=lambda g, x_shape, index, basic:
                        index_add_zeros(g, shape=tuple(x_shape), index=index, basic=basic),
                    jvp=LINEAR, batch=_batch_getitem)
index_add_zeros = primitive("index_add_zeros", _index_add_zeros_impl, out_dtype="keep",
                            grad_name="IndexPutBackward0",
                            vjp=lambda g, index, basic: getitem(g, index=index, basic=basic),
                            jvp=LINEAR, batch=_batch_index_add_zeros, sparsity=SCATTER)


def value_shape_error(value_shape, target_shape, basic, dtype=B.float32):
    """PyTorch's error for ``x[index] = value`` where ``value`` (of NumPy ``dtype``) does not
    broadcast to ``x[index]``: a copy into a view (basic) reports it as ``expand`` does."""
    value_shape, target_shape = tuple(value_shape), tuple(target_shape)
    if basic:
        from .._tensor import Tensor
        value_shape = strip_shape(value_shape)  # leading ones are dropped first
        try:
            expand(Tensor._make(B.broadcast_to(B.zeros((), dtype=dtype), value_shape)), target_shape)
        except RuntimeError as e:
            return e
    return RuntimeError(f"shape mismatch: value tensor of shape {list(value_shape)} cannot be broadcast to indexing "
                        f"result of shape {list(target_shape)}")


def _index_put_impl(x, v, index, accumulate=False):
    out = x.copy()
    try:
        if accumulate:
            B.add.at(out, index, v)
        else:
            out[index] = v
    except (IndexError, ValueError, TypeError) as e:
        return put_after_failure(out, index, v, e, add=accumulate)
    return out


def strip_shape(shape):
    """A written value's shape without its leading ones (torch drops them first)."""
    shape = tuple(shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    return shape


def broadcasts(value_shape, target):
    """Whether a value of ``value_shape`` can be written to ``target`` (its leading ones dropped)."""
    try:
        return B.broadcast_shapes(strip_shape(value_shape), tuple(target)) == tuple(target)
    except ValueError:
        return False


def _strip_leading_ones(v):
    """``v`` without its leading dims of size 1: torch drops them from a written value first."""
    shape = strip_shape(B.shape(v))
    return B.reshape(v, shape) if len(shape) < B.ndim(v) else v


def put_after_failure(out, index, v, e, add=False):
    """``out[index] = v`` (or ``+=``) after NumPy refused it with ``e``: torch's error, in torch's
    order (the index's basic items, an index into an empty dim, the value's shape, then the
    bounds of index arrays), or the write with ``v``'s leading ones dropped (NumPy keeps them)."""
    advanced = _is_advanced(index)
    if isinstance(e, IndexError) and not (advanced and "out of bounds" in str(e)):
        raise (basic_index_error(index, out.shape) if not advanced else None) or numpy_index_error(
            e, out.shape, index) from None
    error = advanced_index_error(out.shape, index) if advanced else None
    if error is not None and str(error) == _EMPTY_DIM_ERROR:
        raise error from None
    target = selection_shape(out.shape, in_bounds(index) if advanced else index)
    if not broadcasts(B.shape(v), target):
        raise value_shape_error(strip_shape(B.shape(v)) if advanced else B.shape(v), target, not advanced,
                                getattr(v, "dtype", B.float32)) from None
    if error is not None:
        raise error from None
    if error is None and isinstance(e, IndexError):
        return out  # out-of-bounds indices that select nothing: torch writes nothing
    if add:
        B.add.at(out, index, _strip_leading_ones(v))
    else:
        out[index] = _strip_leading_ones(v)
    return out


def _index_put_dtype(args, params):
    dt = args[0].dtype
    return dt, dt


def _batch_index_put(prim, values, bdims, params, size):
    index, selection_bdim = _batched_index(params["index"])
    if selection_bdim:
        raise RuntimeError("vmap: index_put with separated advanced indices is not supported under vmap")
    x = V.expand_batch(values[0], bdims[0], size)
    v = values[1]
    if bdims[1] is not None:
        v = V.align(v, bdims[1], len(selection_shape(tuple(x.shape), index)) - 1)
    return prim.bind((x, v), dict(params, index=index)), 0


def _value_grad(g, index, v_shape):
    """The cotangent of the value written at ``index``: ``g`` there, summed back to the value's shape
    where the value broadcast (a value may also carry leading 1-dims the selection lacks)."""
    r = getitem(g, index=index, basic=False)
    if v_shape is None or tuple(r.shape) == tuple(v_shape):
        return r
    extra = len(v_shape) - r.ndim
    if extra > 0:
        r = _reshape(r, shape=(1,) * extra + tuple(r.shape))
    return r  # the engine sums a broadcast cotangent back to the value's shape


index_put = primitive("index_put", _index_put_impl, inputs="x v", out_dtype=_index_put_dtype,
                      grad_name="IndexPutBackward0",
                      vjp=(lambda g, index, accumulate: g if accumulate else index_put(g, 0.0, index=index, accumulate=False),
                           _value_grad),
                      jvp=LINEAR, batch=_batch_index_put, sparsity=SCATTER)


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
                              lambda g, chain: apply_view_chain(g, chain)),
                         jvp=LINEAR, batch=V.not_batchable, sparsity=INDEX_MAP)


# -------------------------------------------------------- along-a-dimension ops
def _slices_to(shape):
    return tuple(slice(0, s) for s in shape)


def _take_along_impl(x, indices, axis):
    try:
        return B.take_along_axis(x[_slices_to(indices.shape[:axis]) + (slice(None),)
                                   + _slices_to(indices.shape[axis + 1:])], indices, axis=axis)
    except IndexError as e:
        raise numpy_index_error(e) from None


def _put_along_impl(g, indices, axis, shape):
    # Scatter-add g into zeros(shape) at `indices` along `axis` (PyTorch's gather backward).
    sub = _slices_to(indices.shape[:axis]) + (slice(None),) + _slices_to(indices.shape[axis + 1:])
    pos = B.take_along_axis(B.arange(int(B.prod(shape)), dtype=B.int64).reshape(shape)[sub], indices, axis=axis)
    total = B.bincount(pos.reshape(-1), weights=B.broadcast_to(g, pos.shape).reshape(-1),
                       minlength=int(B.prod(shape)))
    return total.reshape(shape).astype(g.dtype, copy=False)


def _batched_indices(indices, size):
    """The same indices for every sample (indices are never batched: they are arrays)."""
    return B.broadcast_to(indices[None], (size,) + indices.shape)


def _batch_take_along(prim, values, bdims, params, size):
    indices = values[1]
    if bdims[1] is not None:  # per-sample indices (gather with what argsort gave each sample)
        indices = B.moveaxis(indices._data, bdims[1], 0)
    elif is_tensor(indices):
        raise RuntimeError("vmap: gather/take_along_dim with an index batched by an outer vmap only is not "
                           "supported; batch the index at the inner level too.")
    else:
        indices = _batched_indices(indices, size)
    x = V.expand_batch(values[0], bdims[0], size)
    return prim.bind((x, indices), dict(params, axis=params["axis"] + 1)), 0


def _batch_put_along(prim, values, bdims, params, size):
    g = V.to_front(values[0], bdims[0])
    return prim.bind((g, _batched_indices(values[1], size)),
                     dict(params, axis=params["axis"] + 1, shape=(size,) + tuple(params["shape"]))), 0


take_along = primitive("take_along", _take_along_impl, inputs="x indices", out_dtype="keep",
                       grad_name="GatherBackward0",
                       vjp=(lambda g, indices, axis, x_shape: put_along(g, indices, axis=axis, shape=tuple(x_shape)),
                            None),
                       jvp=LINEAR, batch=_batch_take_along, sparsity=INDEX_MAP)
put_along = primitive("put_along", _put_along_impl, inputs="g indices", out_dtype="keep",
                      grad_name="ScatterAddBackward0",
                      vjp=(lambda g, indices, axis: take_along(g, indices, axis=axis), None),
                      jvp=LINEAR, batch=_batch_put_along, sparsity=SCATTER)


def _along_grid(indices, axis):
    """The advanced index that reaches, for every element of ``indices``, the position whose
    coordinate along ``axis`` is that element and whose other coordinates are its own."""
    grid = list(B.indices(indices.shape, sparse=True))
    grid[axis] = indices
    return tuple(grid)


def _scatter_source(src, indices, dtype):
    """The values written at ``indices``: ``src`` cut to the index's shape, or a number broadcast
    (cast to the destination's dtype first, as PyTorch does)."""
    if not hasattr(src, "shape") or src.ndim == 0:
        return B.broadcast_to(B.asarray(src, dtype=dtype), indices.shape)
    return src[_slices_to(indices.shape)]


def _scatter_impl(x, indices, src, axis, add):
    out = x.copy()
    where = _along_grid(indices, axis)
    values = _scatter_source(src, indices, x.dtype)
    if add:
        B.add.at(out, where, values)
    else:
        out[where] = values
    return out


def _src_grad(g, indices, axis, src_shape):
    r = take_along(g, indices, axis=axis)
    if tuple(r.shape) != tuple(src_shape):
        r = index_add_zeros(r, shape=tuple(src_shape), index=_slices_to(indices.shape), basic=True)
    return r


def _batch_scatter(prim, values, bdims, params, size):
    x = V.expand_batch(values[0], bdims[0], size)
    src = values[2]
    if bdims[2] is not None:
        src = V.to_front(src, bdims[2])
    elif hasattr(src, "shape") and src.ndim:
        src = V.expand_batch(src, None, size)
    return prim.bind((x, _batched_indices(values[1], size), src), dict(params, axis=params["axis"] + 1)), 0


scatter_ = primitive("scatter", _scatter_impl, inputs="x indices src", out_dtype=_index_put_dtype,
                     grad_name=lambda p, s: "ScatterAddBackward0" if p["add"] else
                     ("ScatterBackward0" if s[2] else "ScatterBackward1"),
                     vjp=(lambda g, indices, axis, add: g if add else scatter_(g, indices, 0.0, axis=axis, add=False),
                          None,
                          lambda g, indices, axis, src_shape: _src_grad(g, indices, axis, src_shape)),
                     jvp=LINEAR, batch=_batch_scatter, sparsity=SCATTER)


def _scatter_reduce_impl(x, indices, src, axis, reduce):
    out = x.copy()
    ufunc = B.add if reduce == "add" else B.multiply
    ufunc.at(out, _along_grid(indices, axis), _scatter_source(src, indices, x.dtype))
    return out


def _no_scatter_reduce_derivative(g):
    raise RuntimeError("derivative for aten::scatter is not implemented")


# scatter(..., reduce=) has no derivative in PyTorch: its backward raises.
scatter_reduce_ = primitive("scatter_reduce", _scatter_reduce_impl, inputs="x indices src",
                            out_dtype=_index_put_dtype, grad_name="NotImplemented",
                            vjp=(_no_scatter_reduce_derivative, None, _no_scatter_reduce_derivative),
                            jvp=TRANSPOSE, batch=_batch_scatter)  # (its JVP raises as its VJP does)


def _masked_fill_impl(x, mask, value):
    return B.where(mask, B.asarray(value, dtype=x.dtype), x)


masked_fill_ = primitive("masked_fill", _masked_fill_impl, inputs="x mask value",
                         out_dtype=lambda args, params: (None, args[0].dtype),
                         vjp=(lambda g, mask: where_(mask, 0.0, g), None,
                              lambda g, mask: where_(mask, g, 0.0)),
                         jvp=LINEAR, batch=ELEMENTWISE)


def where_(c, x, y):
    from .elementwise import where
    return where(c, x, y)


# ----------------------------------------------------------------- public API
_INTEGER_INDEX = (D.int64, D.int32)


def _check_index_tensor(index, fn, batched_ok=False):
    """The index array of ``index``; for an index vmap batches (where ``batched_ok``), an array of
    its per-sample shape: the caller checks shapes on it and passes ``index`` itself to the op."""
    if not batched_ok:
        refuse_batched(index, f"{fn}() with a batched index")
    if not is_tensor(index):
        raise TypeError(f"{fn}(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    if _tape.ACTIVE[0] is not None:
        _tape.ACTIVE[0].see(index)  # (its array is read at replay, and its range checked again)
    return index._data


def _check_index_dtype(idx, fn):
    """gather and scatter take int64 or int32 indices (any dtype when there are none)."""
    if idx.size and D._FROM_NP[idx.dtype] not in _INTEGER_INDEX:
        raise RuntimeError(f"{fn}(): Expected dtype int32/int64 for index")


def _sizes(shape):
    return f"[{', '.join(map(str, shape))}]"


def _size_at(shape, d):
    """A dimension's size, a 0-dim tensor counting as one of size 1 (as gather and scatter see it)."""
    return shape[d] if shape else 1


def _checkin_bounds(idx, size, dim):
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)].flat[0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _check_gather_shape(shape, idx, d):
    if max(len(shape), 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(idx.ndim):
        if k != d and idx.shape[k] > _size_at(shape, k):
            raise RuntimeError(f"Size does not match at dimension {k} expected index {_sizes(idx.shape)} to be no "
                               f"larger than self {_sizes(shape)} apart from dimension {d}")


def _check_scatter_shape(shape, idx, d, src):
    if max(len(shape), 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    src_shape = tuple(src.shape) if is_tensor(src) else None
    if src_shape is not None and max(len(src_shape), 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    too_big = any(k != d and idx.shape[k] > _size_at(shape, k) for k in range(idx.ndim))
    if src_shape is None:
        if too_big:
            raise RuntimeError(f"Expected index {_sizes(idx.shape)} to be no larger than self {_sizes(shape)} "
                               f"apart from dimension {d}")
    elif too_big or any(idx.shape[k] > _size_at(src_shape, k) for k in range(idx.ndim)):
        raise RuntimeError(f"Expected index {_sizes(idx.shape)} to be no larger than self {_sizes(shape)} apart "
                           f"from dimension {d} and to be no larger size than src {_sizes(src_shape)}")


def _at_least_1d(x):
    return x if x.ndim else _reshape(x, shape=(1,))


def _index_like(idx, ndim):
    """``idx`` with ``ndim`` dims: a 0-dim index becomes one element, an empty one all-empty."""
    if idx.ndim == ndim:
        return idx
    if idx.size == 0:
        return B.zeros((0,) * ndim, dtype=B.int64)
    return idx.reshape((1,) * ndim)


def _shaped_like(result, shape):
    return result if tuple(result.shape) == tuple(shape) else _reshape(result, shape=tuple(shape))


def _check_out_dtype(out, dtype):
    if is_tensor(out) and out.dtype is not dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {D.CPP_TYPE_NAMES[dtype]}, but got "
                           f"{D.CPP_TYPE_NAMES[out.dtype]} instead")


def _write_gathered(out, result, fn, inputs):
    """``out=`` for ops that read their inputs while writing: no overlap with them at all."""
    _refuse_aliased_out(out, inputs)
    return _write_out(out, result, fn, inputs)


def _write_out(out, result, fn, inputs):
    from .._out import write_out  # _out sits above the ops (it imports Tensor)
    return write_out(out, result, fn, inputs)


@public(method=True)
def gather(input, dim, index, *, sparse_grad=False, out=None):
    """Gathers values along ``dim``: ``out[i][j] = input[index[i][j]][j]`` for ``dim=0``. The
    result has ``index``'s shape.

    Args:
        input (Tensor): the source.
        dim (int): the dimension to index along.
        index (LongTensor): int64 or int32 indices, with ``input``'s number of dims and no larger
            than ``input`` outside ``dim``.
        out (Tensor, optional): written with the result.

    Example::

        >>> t = pullback.tensor([[1, 2], [3, 4]])
        >>> pullback.gather(t, 1, pullback.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    idx = _check_index_tensor(index, "gather", batched_ok=True)
    d = wrap_dim(dim, input.ndim)
    _check_index_dtype(idx, "gather")
    if out is not None:
        _check_out_dtype(out, input.dtype)
    shape = tuple(input.shape)
    if idx.size:
        _check_gather_shape(shape, idx, d)
        _tape.check(_checkin_bounds, idx, _size_at(shape, d), d)
    x = _at_least_1d(input)
    if _levels.batched(index) and idx.ndim == x.ndim:  # per-sample indices: the op reads them under vmap
        result = take_along(x, index, axis=d)
        return result if out is None else _write_gathered(out, result, "gather", (input, index))
    refuse_batched(index, "gather() with a batched index")
    result = _shaped_like(take_along(x, _tape.call(_index_like, idx, x.ndim), axis=d), idx.shape)
    return result if out is None else _write_gathered(out, result, "gather", (input, index))


@public(method=True)
def take_along_dim(input, indices, dim=None):
    """Selects values from ``input`` at ``indices`` along ``dim`` (the flattened input when None),
    broadcasting the other dimensions."""
    idx = _check_index_tensor(indices, "take_along_dim", batched_ok=True)
    if dim is not None and input.ndim != idx.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    if indices.dtype is not D.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{D.SCALAR_TYPE_NAMES[indices.dtype.name]}")
    if dim is None:
        refuse_batched(indices, "take_along_dim() with a batched index and no dim")
        return take_along(_reshape(input, shape=(-1,)), idx.reshape(-1), axis=0)
    d = wrap_dim(dim, input.ndim)
    if input.ndim == 0:  # torch names the wrapped dim (-1 is 0)
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    shape_x = list(input.shape)
    shape_i = list(idx.shape)
    shape_x[d] = shape_i[d] = 1
    common = broadcast_shape((shape_x, shape_i))  # every dim but d broadcasts, with torch's error
    xs = list(common)
    xs[d] = input.shape[d]
    is_ = list(common)
    is_[d] = idx.shape[d]
    if tuple(xs) != tuple(input.shape):
        input = expand(input, tuple(xs))
    if _levels.batched(indices) and tuple(is_) == tuple(idx.shape):  # per-sample indices, read under vmap
        return take_along(input, indices, axis=d)
    refuse_batched(indices, "take_along_dim() with a batched index that broadcasts")
    return take_along(input, B.broadcast_to(idx, tuple(is_)), axis=d)


def _scatter_checked(input, dim, index, src, fn):
    """The checks scatter and scatter_add share; returns the wrapped dim and the index array."""
    idx = _check_index_tensor(index, fn)
    d = wrap_dim(dim, input.ndim)
    _check_index_dtype(idx, "scatter")
    if is_tensor(src) and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if idx.size:
        _check_scatter_shape(tuple(input.shape), idx, d, src)
        _tape.check(_checkin_bounds, idx, _size_at(tuple(input.shape), d), d)
    return d, idx


def _scatter_call(prim, input, d, idx, src, **params):
    """Runs a scatter primitive on at-least-1-D operands (a 0-dim tensor is one of one element)."""
    if not idx.size:
        idx, src = B.zeros((0,) * max(input.ndim, 1), dtype=B.int64), 0
    x = _at_least_1d(input)
    if is_tensor(src):
        src = _at_least_1d(src)
    return _shaped_like(prim(x, _index_like(idx, x.ndim), src, axis=d, **params), input.shape)


@public(method=True, inplace=True)
def scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None):
    """Writes ``src`` (a Tensor, or a number ``value``) into a copy of ``input`` at ``index``
    along ``dim``: ``out[index[i][j]][j] = src[i][j]`` for ``dim=0``.

    Args:
        input (Tensor): the destination (not modified; ``scatter_`` writes in place).
        dim (int): the dimension to index along.
        index (LongTensor): int64 or int32 indices, no larger than ``src``, nor than ``input``
            outside ``dim``.
        src (Tensor or Number): the values; a Tensor must have ``input``'s dtype.
        reduce (str, optional): ``'add'`` or ``'multiply'`` combines with the values already
            there (repeated indices combine too); no gradient then, as in PyTorch.
        out (Tensor, optional): written with the result.

    Example::

        >>> pullback.zeros(3).scatter(0, pullback.tensor([2, 0]), pullback.tensor([5.0, 7.0]))
        tensor([7., 0., 5.])
    """
    if src is None:
        src = value.item() if is_tensor(value) else value
    if src is None:
        raise TypeError("scatter() received an invalid combination of arguments: it needs a Tensor `src` "
                        "or a Number `value`")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    d, idx = _scatter_checked(input, dim, index, src, "scatter")
    if reduce is None:
        result = _scatter_call(scatter_, input, d, idx, src, add=False)
    else:
        result = _scatter_call(scatter_reduce_, input, d, idx, src, reduce=reduce)
    return result if out is None else _write_out(out, result, "scatter", (input, index, src))


@public(method=True, inplace=True)
def scatter_add(input, dim, index, src, *, out=None):
    """Adds ``src`` into a copy of ``input`` at ``index`` along ``dim``; repeated indices add up.

    Example::

        >>> pullback.zeros(3).scatter_add(0, pullback.tensor([2, 2]), pullback.tensor([5.0, 7.0]))
        tensor([ 0.,  0., 12.])
    """
    if not is_tensor(src):
        raise TypeError(f"scatter_add(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    d, idx = _scatter_checked(input, dim, index, src, "scatter_add")
    result = _scatter_call(scatter_, input, d, idx, src, add=True)
    return result if out is None else _write_out(out, result, "scatter_add", (input, index, src))


@public(method=True)
def index_select(input, dim, index, *, out=None):
    """Selects the entries ``index`` (a 1-D, or 0-dim, int64 or int32 Tensor) along ``dim``.

    Example::

        >>> pullback.tensor([[1, 2], [3, 4]]).index_select(1, pullback.tensor([1, 1]))
        tensor([[2, 2],
                [4, 4]])
    """
    idx = _check_index_tensor(index, "index_select")
    if D._FROM_NP[idx.dtype] not in _INTEGER_INDEX:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = wrap_dim(dim, input.ndim)
    if out is not None and is_tensor(out) and out.dtype is not input.dtype:
        raise RuntimeError("index_select(): self and result must have the same scalar type")
    if input.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    size = _size_at(tuple(input.shape), d)
    _tape.check(_check_index_select, idx, tuple(input.shape), d, size)
    x = _at_least_1d(input)
    result = getitem(x, index=(slice(None),) * d + (_tape.call(B.reshape, idx, -1),), basic=False,
                     name="IndexSelectBackward0")
    result = _shaped_like(result, ()) if input.ndim == 0 else result
    return result if out is None else _write_gathered(out, result, "index_select", (input, index))


def _check_index_select(idx, shape, d, size):
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise _index_select_error(shape, d, idx, size)


def _index_select_error(shape, d, idx, size):
    """torch's error for out-of-range indices: its kernels for a 1-D input, and for rows of a
    non-empty tensor along dim 0, say one thing; its general kernel another."""
    if len(shape) <= 1:
        return IndexError("index out of range in self")
    if size == 0:
        return RuntimeError("index_select(): self indexing axis dim should be positive")
    if d == 0 and int(B.prod(shape[1:])):
        return IndexError("index out of range in self")
    bad = idx[(idx < 0) | (idx >= size)].flat[0]
    return RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")


@public(method=True, inplace=True)
def masked_fill(input, mask, value):
    """Fills ``input`` with ``value`` where the bool ``mask`` (broadcastable) is True."""
    if not is_tensor(mask) or mask.dtype is not D.bool:
        got = mask.dtype.name if is_tensor(mask) else type(mask).__name__
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {got}")
    if is_tensor(value) and value.ndim != 0:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s).")
    return masked_fill_(input, mask, value)


def _broadcast_shape(a, b):
    """The broadcast shape of two shapes, with PyTorch's error where they do not broadcast."""
    try:
        return B.broadcast_shapes(a, b)
    except ValueError:
        n = max(len(a), len(b))
        for k in range(1, n + 1):
            sa = a[-k] if k <= len(a) else 1
            sb = b[-k] if k <= len(b) else 1
            if sa != sb and sa != 1 and sb != 1:
                raise RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                                   f"non-singleton dimension {n - k}") from None
        raise


@public(method=True)
def masked_select(input, mask, *, out=None):
    """The elements of ``input`` where ``mask`` (a bool Tensor, broadcast with ``input``) is True,
    as a 1-D Tensor.

    Example::

        >>> x = pullback.tensor([1.0, -2.0, 3.0])
        >>> pullback.masked_select(x, x > 0)
        tensor([1., 3.])
    """
    refuse_batched(mask, "masked_select (its output size depends on the mask)")
    if not is_tensor(mask) or mask.dtype is not D.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = _broadcast_shape(tuple(mask.shape), tuple(input.shape))  # torch's error names the mask first
    if out is not None and is_tensor(out) and out.dtype is not input.dtype:
        raise RuntimeError("masked_select(): self and result must have the same scalar type")
    x = expand(input, shape) if tuple(input.shape) != tuple(shape) else input
    result = getitem(x, index=(B.broadcast_to(mask._data, shape),), basic=False, name="MaskedSelectBackward0")
    return result if out is None else _write_gathered(out, result, "masked_select", (input, mask))


@public(method=True)
def nonzero(input, *, out=None, as_tuple=False):
    """The indices of the nonzero elements: an (n, ndim) int64 Tensor, or with ``as_tuple`` a
    tuple of 1-D ones (one per dim; a 0-dim input counts as 1-D there).

    Example::

        >>> pullback.nonzero(pullback.tensor([0, 3, 0, 4]))
        tensor([[1],
                [3]])
    """
    from .._tensor import Tensor
    refuse_batched(input, "nonzero (its output size depends on the values)")
    if input.ndim == 0:
        idx = B.nonzero(input._data.reshape(1))
        if as_tuple:
            return tuple(Tensor._make(i.astype(B.int64)) for i in idx)
        result = Tensor._make(B.zeros((idx[0].size, 0), dtype=B.int64))
    else:
        idx = B.nonzero(input._data)
        if as_tuple:
            return tuple(Tensor._make(i.astype(B.int64)) for i in idx)
        result = Tensor._make(B.stack(idx, axis=1).astype(B.int64))
    if out is None:
        return result
    if is_tensor(out) and out.dtype is not D.int64:
        raise RuntimeError(f"nonzero: Expected out tensor to have scalar type Long but got scalar type"
                           f"{D.SCALAR_TYPE_NAMES[out.dtype.name]}")
    return _write_out(out, result, "nonzero", (input,))

from .shape import movedim, expand, _reshape, _refuse_aliased_out  # noqa: E402  (shape is loaded above this)


# ------------------------------------------------------------ composition family additions
def _named_index_put_impl(x, v, index, accumulate=False, name="IndexPutBackward0"):
    return _index_put_impl(x, v, index, accumulate)


# index_put under the backward name of the op it serves (index_add, index_copy, select_scatter...):
# the same forward, rules and batching as index_put.
named_index_put = primitive("named_index_put", _named_index_put_impl, inputs="x v", out_dtype=_index_put_dtype,
                            grad_name=lambda p, s: p.get("name", "IndexPutBackward0"),
                            vjp=(lambda g, index, accumulate:
                                 g if accumulate else index_put(g, 0.0, index=index, accumulate=False),
                                 _value_grad),
                            jvp=LINEAR, batch=_batch_index_put)
