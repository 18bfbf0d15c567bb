"""Shape primitives: views (reshape, transpose, permute, expand, diagonal, ...) and copies
(cat, stack, flip, roll, repeat, tril, ...). Every VJP is another shape op."""
from .._backend import B
from .. import _dtype as D
from ._registry import primitive, Joint, LINEAR, INDEX_MAP, SCATTER, broadcast_shape
from ._api import public
from . import _vmap_rules as V
from ._rules import wrap_dim, wrap_dims, as_shape, is_tensor


def _shape_text(shape):
    return f"[{', '.join(str(s) for s in shape)}]"


def _infer_shape(shape, numel):
    """``shape`` with its one -1 entry (if any) replaced by the size that makes ``numel`` elements."""
    shape = list(shape)
    unknown = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if unknown is not None:
                raise RuntimeError("only one dimension can be inferred")
            unknown = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {_shape_text(shape)}")
        else:
            known *= s
    if unknown is not None:
        if known == 0:
            if numel == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {_shape_text(shape)} because "
                                   "the unspecified dimension size -1 can be any value and is ambiguous")
            raise RuntimeError(f"shape '{_shape_text(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{_shape_text(shape)}' is invalid for input of size {numel}")
        shape[unknown] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{_shape_text(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _view_impl(x, shape):
    try:
        return B.reshape(x, shape, copy=False)
    except ValueError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least "
                           "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                           "instead.") from None


def _batch_shape_param(prim, values, bdims, params, size):
    # The batch dim goes to the front of x and of the target shape (a view of a moved batch dim
    # may not exist: it is a reshape).
    x = V.to_front(values[0], bdims[0])
    shape = tuple(params["shape"])
    if prim is _expand:
        x = V.align(x, 0, len(shape))
    return (_reshape if prim is _view else prim).bind((x,), dict(params, shape=(x.shape[0],) + shape)), 0


def _reshaping(name, grad_name, impl=B.reshape):
    return primitive(name, lambda x, shape, variant=0: impl(x, shape), out_dtype="keep", view=True,
                     grad_name=grad_name, vjp=lambda g, x_shape: _reshape(g, shape=tuple(x_shape)),
                     jvp=LINEAR, batch=_batch_shape_param)


_reshape = _reshaping("reshape", "ViewBackward0")
_view = _reshaping("view", "ViewBackward0", _view_impl)
_squeeze = _reshaping("squeeze", lambda p, s: f"SqueezeBackward{p['variant']}")
_unsqueeze = _reshaping("unsqueeze", "UnsqueezeBackward0")


def _sum_to(g, x_shape):
    return sum_to(g, tuple(x_shape))


def _expand_impl(x, shape):
    shape = tuple(shape)
    if shape[len(shape) - x.ndim:] == x.shape and all(s == 1 for s in shape[:len(shape) - x.ndim]):
        # Nothing repeats: a writable view (torch allows in-place writes where no element aliases)
        return x.reshape(shape)
    return B.broadcast_to(x, shape)


_expand = primitive("expand", _expand_impl, out_dtype="keep", view=True,
                    vjp=lambda g, x_shape: _sum_to(g, x_shape), jvp=LINEAR, batch=_batch_shape_param)



def _swapaxes(x, dim0, dim1, variant=0):
    # dim0 == dim1 is the identity view, also of a 0-dim tensor (which NumPy's swapaxes refuses).
    return B.swapaxes(x, dim0, dim1) if dim0 != dim1 else x[...]


def _batch_transpose(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    return prim.bind((x,), dict(params, dim0=params["dim0"] + 1, dim1=params["dim1"] + 1)), 0


def _batch_permute(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    return prim.bind((x,), dict(params, dims=(0,) + tuple(d + 1 for d in params["dims"]))), 0


def _batch_flip(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    return prim.bind((x,), dict(params, dims=tuple(d + 1 for d in params["dims"]))), 0


_transpose = primitive("transpose", _swapaxes,
                       out_dtype="keep", view=True,
                       grad_name=lambda p, s: "TBackward0" if p.get("variant") else "TransposeBackward0",
                       vjp=lambda g, dim0, dim1: _transpose(g, dim0=dim0, dim1=dim1),
                       jvp=LINEAR, batch=_batch_transpose)
_permute = primitive("permute", lambda x, dims: B.transpose(x, dims), out_dtype="keep", view=True,
                     vjp=lambda g, dims: _permute(g, dims=tuple(B.argsort(dims))),
                     jvp=LINEAR, batch=_batch_permute)
_flip = primitive("flip", lambda x, dims: B.flip(x, axis=dims).copy(), out_dtype="keep",
                  vjp=lambda g, dims: _flip(g, dims=dims),
                  jvp=LINEAR, batch=_batch_flip, sparsity=INDEX_MAP)


def _batch_roll(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    dims = params["dims"]
    if dims is None:  # roll of the flattened sample
        flat = _reshape(x, shape=(x.shape[0], -1))
        return _reshape(prim.bind((flat,), dict(params, dims=1)), shape=tuple(x.shape)), 0
    dims = dims + 1 if isinstance(dims, int) else tuple(d + 1 for d in dims)
    return prim.bind((x,), dict(params, dims=dims)), 0


_roll = primitive("roll", lambda x, shifts, dims: B.roll(x, shifts, axis=dims), out_dtype="keep",
                  vjp=lambda g, shifts, dims: _roll(g, shifts=tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts, dims=dims),
                  jvp=LINEAR, batch=_batch_roll, sparsity=INDEX_MAP)


def _repeat_vjp(g, x_shape, repeats):
    # Output dim i has size r_i * s_i, laid out as r_i blocks of s_i: sum over the blocks.
    shape = (1,) * (len(repeats) - len(x_shape)) + tuple(x_shape)
    split = []
    for r, s in zip(repeats, shape):
        split += [r, s]
    g = _reshape(g, shape=tuple(split))
    g = _sum(g, axis=tuple(range(0, 2 * len(shape), 2)), keepdim=False)
    return _reshape(g, shape=tuple(x_shape))


def _batch_repeat(prim, values, bdims, params, size):
    repeats = tuple(params["repeats"])
    x = V.align(values[0], bdims[0], len(repeats))
    return prim.bind((x,), dict(params, repeats=(1,) + repeats)), 0


_repeat = primitive("repeat", lambda x, repeats: B.tile(x, repeats), out_dtype="keep", vjp=_repeat_vjp,
                    jvp=LINEAR, batch=_batch_repeat, sparsity=INDEX_MAP)
_tril = primitive("tril", lambda x, diagonal: B.tril(x, diagonal), out_dtype="keep",
                  vjp=lambda g, diagonal: _tril(g, diagonal=diagonal), jvp=LINEAR, batch=V.trailing_dims_rule,
                  sparsity=INDEX_MAP)
_triu = primitive("triu", lambda x, diagonal: B.triu(x, diagonal), out_dtype="keep",
                  vjp=lambda g, diagonal: _triu(g, diagonal=diagonal), jvp=LINEAR, batch=V.trailing_dims_rule,
                  sparsity=INDEX_MAP)


def _diagonal_view(x, offset, dim1, dim2):
    # A writable strided view (NumPy's own diagonal() is read-only; PyTorch's is a view).
    moved = B.moveaxis(x, (dim1, dim2), (-2, -1))
    n, m = moved.shape[-2:]
    if offset >= 0:
        length = max(0, min(n, m - offset))
        start = moved[..., :, offset:] if length else moved[..., :0, :0]
    else:
        length = max(0, min(n + offset, m))
        start = moved[..., -offset:, :] if length else moved[..., :0, :0]
    s = start.strides
    return B.lib.stride_tricks.as_strided(start, start.shape[:-2] + (length,), s[:-2] + (s[-2] + s[-1],),
                                          writeable=x.flags.writeable)


def _diag_embed_impl(g, shape, offset, dim1, dim2):
    out = B.zeros(shape, dtype=g.dtype)
    _diagonal_view(out, offset, dim1, dim2)[...] = g
    return out


def _batch_diagonal(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    return prim.bind((x,), dict(params, dim1=params["dim1"] + 1, dim2=params["dim2"] + 1)), 0


def _batch_diag_embed(prim, values, bdims, params, size):
    g = V.to_front(values[0], bdims[0])
    return prim.bind((g,), dict(params, shape=(g.shape[0],) + tuple(params["shape"]), dim1=params["dim1"] + 1,
                                dim2=params["dim2"] + 1)), 0


def _batch_diag_1d(prim, values, bdims, params, size):
    # diag of a vector is an embedding: of a batch of vectors, into a batch of matrices.
    x = V.to_front(values[0], bdims[0])
    n = x.shape[1] + abs(params["offset"])
    return _diag_embed(x, shape=(x.shape[0], n, n), offset=params["offset"], dim1=1, dim2=2), 0


def _batch_diag_2d(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    return _diagonal(x, offset=params["offset"], dim1=1, dim2=2).clone(), 0


_diagonal = primitive("diagonal", _diagonal_view, out_dtype="keep", view=True,
                      vjp=lambda g, x_shape, offset, dim1, dim2:
                          _diag_embed(g, shape=tuple(x_shape), offset=offset, dim1=dim1, dim2=dim2),
                      jvp=LINEAR, batch=_batch_diagonal)
_diag_embed = primitive("diag_embed", _diag_embed_impl, out_dtype="keep", grad_name="DiagonalScatterBackward0",
                        vjp=lambda g, offset, dim1, dim2: _diagonal(g, offset=offset, dim1=dim1, dim2=dim2),
                        jvp=LINEAR, batch=_batch_diag_embed, sparsity=INDEX_MAP)
_diag_2d = primitive("diag_2d", lambda x, offset: B.diagonal(x, offset).copy(), out_dtype="keep",
                     grad_name="DiagonalBackward0_copy",
                     vjp=lambda g, x_shape, offset: _diag_embed(g, shape=tuple(x_shape), offset=offset, dim1=0, dim2=1),
                     jvp=LINEAR, batch=_batch_diag_2d, sparsity=INDEX_MAP)
_diag_1d = primitive("diag", lambda x, offset: B.diag(x, offset), out_dtype="keep", grad_name="DiagEmbedBackward0",
                     vjp=lambda g, offset: _diagonal(g, offset=offset, dim1=0, dim2=1), jvp=LINEAR,
                     batch=_batch_diag_1d, sparsity=INDEX_MAP)


def _batch_split(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    out = prim.bind((x,), dict(params, axis=params["axis"] + 1))
    return out, (0,) * len(out)


def _split_impl(x, sizes, axis, equal=False):  # `equal` only names the backward node
    bounds = B.cumsum(sizes)[:-1]
    return tuple(B.split(x, bounds, axis=axis))


def _zeros_for(g_like, shape):
    dt = g_like.dtype
    return B.zeros(shape, dtype=dt.np if isinstance(dt, D.dtype) else dt)


def _split_vjp(g, x_shape, sizes, axis):
    some = next(x for x in g if x is not None)
    pieces = []
    for gi, size in zip(g, sizes):
        if gi is None:
            shape = list(x_shape)
            shape[axis] = size
            gi = _zeros_for(some, tuple(shape))
        pieces.append(gi)
    return (_cat(*pieces, axis=axis),)


def _unbind_vjp(g, x_shape, axis):
    some = next(x for x in g if x is not None)
    shape = tuple(s for i, s in enumerate(x_shape) if i != axis)
    return (_stack(*[gi if gi is not None else _zeros_for(some, shape) for gi in g], axis=axis),)


_split = primitive("split", _split_impl, out_dtype="keep", outputs=-1, view=True,
                   grad_name=lambda p, s: "SplitBackward0" if p.get("equal") else "SplitWithSizesBackward0",
                   vjp=Joint(lambda g, x_shape, sizes, axis: _split_vjp(g, x_shape, sizes, axis)),
                   jvp=LINEAR, batch=_batch_split)


def _unbind_impl(x, axis):
    moved = B.moveaxis(x, axis, 0)
    return tuple(moved[i, ...] for i in range(moved.shape[0]))  # `...`: 0-dim views, not scalar copies


_unbind = primitive("unbind", _unbind_impl, out_dtype="keep", outputs=-1, view=True,
                    vjp=Joint(_unbind_vjp), jvp=LINEAR, batch=_batch_split)


def _cat_dtype(args, params):
    dt = D.result_type(*[a for a in args if is_tensor(a) or isinstance(a, B.ndarray)])
    return dt, dt


def _cat_vjp(g, shapes, axis, needs):
    out = []
    start = 0
    for shape, need in zip(shapes, needs):
        size = shape[axis]
        if need:
            index = (slice(None),) * axis + (slice(start, start + size),)
            out.append(g[index])
        else:
            out.append(None)
        start += size
    return out


def _batch_join(prim, values, bdims, params, size):
    args = tuple(V.expand_batch(v, d, size) for v, d in zip(values, bdims))
    return prim.bind(args, dict(params, axis=params["axis"] + 1)), 0


def _stack_impl(*xs, axis):
    # (NumPy's stack, without its Python-level checks: stack() checked the shapes, and the arrays
    # are arrays; a NumPy scalar, from a 0-dim op, is made one by the new axis)
    new_axis = (slice(None),) * axis + (None,)
    return B.concatenate([x[new_axis] for x in xs], axis=axis)


_cat = primitive("cat", lambda *xs, axis: B.concatenate(xs, axis=axis), variadic=True,
                 out_dtype=_cat_dtype, keeps_float_dtype=True, vjp=Joint(_cat_vjp), jvp=LINEAR, batch=_batch_join,
                 sparsity=INDEX_MAP)
_stack = primitive("stack", _stack_impl, variadic=True, out_dtype=_cat_dtype, keeps_float_dtype=True,
                   vjp=Joint(lambda g, axis, needs: [g[(slice(None),) * axis + (i,)] if n else None
                                                     for i, n in enumerate(needs)]),
                   jvp=LINEAR, batch=_batch_join, sparsity=INDEX_MAP)


def _unfold_view(x, dimension, size, step):
    # A writable strided view, as PyTorch's: window i along `dimension` starts at i * step, and
    # the window's own elements form a new last dim.
    if x.ndim == 0:
        return B.lib.stride_tricks.as_strided(x, (size,), (0,), writeable=x.flags.writeable)
    n = x.shape[dimension]
    windows = (n - size) // step + 1
    shape = x.shape[:dimension] + (windows,) + x.shape[dimension + 1:] + (size,)
    st = x.strides
    strides = st[:dimension] + (st[dimension] * step,) + st[dimension + 1:] + (st[dimension],)
    return B.lib.stride_tricks.as_strided(x, shape, strides, writeable=x.flags.writeable)


def _unfold_backward_impl(g, shape, dimension, size, step):
    # The adjoint of unfold: every window adds its values back where they came from (windows
    # overlap when step < size), one strided slice per position in the window.
    out = B.zeros(shape, dtype=g.dtype)
    if not shape:
        out[...] = g.sum()
        return out
    windows = g.shape[dimension]
    for k in range(size):
        where = (slice(None),) * dimension + (slice(k, k + step * (windows - 1) + 1, step),)
        out[where] += g[..., k]
    return out


def _batch_unfold(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    if x.ndim == 1:  # a 0-dim sample: its window is the element itself (size 1) or nothing (size 0)
        return _reshape(x, shape=(x.shape[0], 1))[:, :params["size"]], 0
    return prim.bind((x,), dict(params, dimension=params["dimension"] + 1)), 0


def _batch_unfold_backward(prim, values, bdims, params, size):
    g = V.to_front(values[0], bdims[0])
    if not params["shape"]:
        return _sum(g, axis=(1,), keepdim=False), 0
    return prim.bind((g,), dict(params, dimension=params["dimension"] + 1,
                                shape=(g.shape[0],) + tuple(params["shape"]))), 0


_unfold = primitive("unfold_dim", _unfold_view, out_dtype="keep", view=True, grad_name="UnfoldBackward0",
                    vjp=lambda g, x_shape, dimension, size, step:
                        _unfold_backward(g, shape=tuple(x_shape), dimension=dimension, size=size, step=step),
                    jvp=LINEAR, batch=_batch_unfold)
_unfold_backward = primitive("unfold_backward", _unfold_backward_impl, out_dtype="keep",
                             grad_name="UnfoldBackwardBackward0",
                             vjp=lambda g, dimension, size, step: _unfold(g, dimension=dimension, size=size, step=step),
                             jvp=LINEAR, batch=_batch_unfold_backward, sparsity=SCATTER)


# ----------------------------------------------------------------- public API
def _check_tensor(x, fn):
    if not is_tensor(x):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


@public(method=True)
def reshape(input, *shape):
    """Returns a Tensor with the same data and the given shape (a view when possible).

    One dimension may be -1 and is inferred.

    Example::

        >>> pullback.arange(6).reshape(2, 3)
        tensor([[0, 1, 2],
                [3, 4, 5]])
    """
    return _reshape(input, shape=_infer_shape(as_shape(shape), input.numel()))


@public(method=True, export=False)
def view(input, *shape):
    """Returns a view with the given shape; errors where the data is not laid out for it
    (use ``reshape`` then). ``view(dtype)`` is not supported."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        raise RuntimeError("pullback does not support view(dtype); use .to(dtype) instead")
    return _view(input, shape=_infer_shape(as_shape(shape), input.numel()))


@public(method=True, export=False)
def view_as(input, other):
    """``input.view(other.shape)``."""
    return view(input, tuple(other.shape))


@public(method=True, export=False)
def reshape_as(input, other):
    """``input.reshape(other.shape)``."""
    return reshape(input, tuple(other.shape))


@public(method=True)
def flatten(input, start_dim=0, end_dim=-1):
    """Flattens dims ``start_dim`` to ``end_dim`` into one.

    Example::

        >>> pullback.zeros(2, 3, 4).flatten(1).shape
        pullback.Size([2, 12])
    """
    shape = tuple(input.shape)
    s, e = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))  # a 0-dim tensor takes 0 and -1
    if len(shape) == 0:
        return _reshape(input, shape=(1,))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return _reshape(input, shape=shape[:s] + (n,) + shape[e + 1:])


@public(method=True)
def unflatten(input, dim, sizes):
    """Expands dimension ``dim`` into the shape ``sizes`` (one entry may be -1)."""
    shape = tuple(input.shape)
    d = wrap_dim(dim, len(shape))
    if not shape:  # torch wraps the dim again, for a tensor with dims, and fails
        raise RuntimeError(f"unflatten got an unexpected error:\nDimension specified as {d} but tensor has no "
                           "dimensions")
    sizes = _infer_shape(tuple(sizes), shape[d])
    return _reshape(input, shape=shape[:d] + sizes + shape[d + 1:])


@public(method=True)
def squeeze(input, dim=None):
    """Removes dimensions of size 1 (all of them, or those in ``dim``)."""
    shape = tuple(input.shape)
    if dim is None:
        return _squeeze(input, shape=tuple(s for s in shape if s != 1), variant=0)
    variant = 2 if isinstance(dim, (tuple, list)) else 1
    axes = wrap_dims(dim, len(shape)) or ()
    return _squeeze(input, shape=tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1)),
                    variant=variant)


@public(method=True)
def unsqueeze(input, dim):
    """Inserts a dimension of size 1 at ``dim``."""
    shape = list(input.shape)
    d = wrap_dim(dim, len(shape) + 1)
    shape.insert(d, 1)
    return _unsqueeze(input, shape=tuple(shape))


@public(('transpose', 'swapaxes', 'swapdims'), method=True)
def transpose(input, dim0, dim1):
    """Swaps dimensions ``dim0`` and ``dim1`` (a view)."""
    n = input.ndim
    return _transpose(input, dim0=wrap_dim(dim0, n), dim1=wrap_dim(dim1, n))


swapaxes = swapdims = transpose


@public(method=True)
def t(input):
    """Transposes a tensor of at most 2 dims (dims 0 and 1)."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    if input.ndim < 2:
        return _transpose(input, dim0=0, dim1=0, variant=1)
    return _transpose(input, dim0=0, dim1=1, variant=1)


@public()
def permute(input, *dims):
    """Returns a view with dimensions reordered as ``dims``."""
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = as_shape(dims)
    n = input.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() = {n} "
                           f"is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permute(input, dims=dims)


def _dims_text(dims):
    return f"[{', '.join(str(d) for d in dims)}]"


@public(('movedim', 'moveaxis'), method=True)
def movedim(input, source, destination):
    """Moves dimension(s) ``source`` to position(s) ``destination``; the other dimensions keep
    their order.

    Example::

        >>> pullback.zeros(2, 3, 4).movedim(0, -1).shape
        pullback.Size([3, 4, 2])
    """
    n = input.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({_dims_text(src)} dims) should "
                           f"contain the same number of dims as destination ({_dims_text(dst)} dims)")
    wrapped_src = [wrap_dim(s, n) for s in src]
    wrapped_dst = [wrap_dim(d, n) for d in dst]
    for name, given, wrapped in (("source", src, wrapped_src), ("destination", dst, wrapped_dst)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({_dims_text(given)})")
    order = [i for i in range(n) if i not in wrapped_src]
    for d, s in sorted(zip(wrapped_dst, wrapped_src)):
        order.insert(d, s)
    order = tuple(order[:n])  # a 0-dim tensor: dims 0 and -1 name no dimension
    if is_tensor(input):
        return _permute(input, dims=order)
    return B.transpose(input, order)




@public(method=True, export=False)
def expand(input, *sizes):
    """Returns a view with singleton dimensions broadcast to ``sizes`` (-1 keeps a size)."""
    if not sizes:
        raise TypeError('expand() missing 1 required positional arguments: "size"')
    sizes = as_shape(sizes)
    shape = tuple(input.shape)
    if len(sizes) < len(shape):
        name = "CPUBoolType" if input.dtype is D.bool else input.type()  # torch's name for a bool tensor there
        raise RuntimeError(f"expand({name}{{[{', '.join(map(str, shape))}]}}, size=[{', '.join(map(str, sizes))}]): "
                           "the number of sizes provided (%d) must be greater or equal to the number of "
                           "dimensions in the tensor (%d)" % (len(sizes), len(shape)))
    lead = len(sizes) - len(shape)
    target = []
    for i in reversed(range(len(sizes))):  # torch checks the last dim first
        s = sizes[i]
        if s == -1:
            if i < lead:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            s = shape[i - lead]
        elif i >= lead and shape[i - lead] != 1 and shape[i - lead] != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size "
                               f"({shape[i - lead]}) at non-singleton dimension {i}.  Target sizes: "
                               f"[{', '.join(map(str, sizes))}].  Tensor sizes: [{', '.join(map(str, shape))}]")
        target.append(s)
    return _expand(input, shape=tuple(reversed(target)))


@public(method=True, export=False)
def expand_as(input, other):
    """``input.expand(other.shape)``."""
    return expand(input, tuple(other.shape))


@public(method=True)
def broadcast_to(input, size):
    """Broadcasts ``input`` to ``size`` (``expand``)."""
    return expand(input, tuple(size))


@public()
def broadcast_tensors(*tensors):
    """Broadcasts the given Tensors to a common shape (PyTorch's error naming the first mismatch)."""
    shape = broadcast_shape([tuple(t.shape) for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


@public(method=True, export=False)
def repeat(input, *sizes):
    """Repeats the tensor along each dimension ``sizes[i]`` times (NumPy's ``tile``)."""
    sizes = as_shape(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    return _repeat(input, repeats=sizes)


@public(method=True)
def tile(input, dims):
    """Like ``repeat``, padding ``dims`` with leading ones when it is shorter than the rank."""
    dims = as_shape((dims,))
    dims = (1,) * (input.ndim - len(dims)) + dims
    return _repeat(input, repeats=dims)


@public()
def flip(input, dims):
    """Reverses the order of elements along ``dims`` (a tuple or list of dims; the method also
    takes them as separate arguments, ``x.flip(0, 1)``).

    Example::

        >>> pullback.arange(4).reshape(2, 2).flip([0])
        tensor([[2, 3],
                [0, 1]])
    """
    if isinstance(dims, (int, B.integer)):
        raise TypeError(f"flip(): argument 'dims' (position 2) must be tuple of ints, not {type(dims).__name__}")
    n = input.ndim
    wrapped = tuple(wrap_dim(d, n) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"dim {wrapped[0]} appears multiple times in the list of dims")
    return _flip(input, dims=wrapped if n else ())


@public('flip', method=True, export=False)
def flip_method(self, *dims):
    """``Tensor.flip(*dims)``: the dims as separate ints, or as one tuple or list."""
    if len(dims) == 1 and not isinstance(dims[0], (int, B.integer)):
        dims = dims[0]
    return flip(self, tuple(dims))


def _wrap_dim_of_dimensioned(dim, ndim, name_wrapped=False):
    """``wrap_dim`` for ops that need a real dimension (roll, unbind): a 0-dim tensor has none.
    torch's error names the dim as given (roll) or, with ``name_wrapped``, wrapped (unbind: -1 is 0)."""
    d = wrap_dim(dim, ndim)
    if ndim == 0:
        raise IndexError(f"Dimension specified as {d if name_wrapped else dim} but tensor has no dimensions")
    return d


@public(method=True)
def roll(input, shifts, dims=None):
    """Rolls elements along ``dims`` by ``shifts`` (the flattened tensor when ``dims`` is None);
    elements shifted past the end come back at the start.

    Example::

        >>> pullback.roll(pullback.arange(4), 1)
        tensor([3, 0, 1, 2])
    """
    shifts = (shifts,) if isinstance(shifts, (int, B.integer)) else tuple(shifts)
    dims = () if dims is None else (dims,) if isinstance(dims, (int, B.integer)) else tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:  # roll the flattened tensor, keeping the shape
        return _roll(input, shifts=int(shifts[0]), dims=None)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    dims = tuple(_wrap_dim_of_dimensioned(d, input.ndim) for d in dims)
    return _roll(input, shifts=tuple(int(s) for s in shifts), dims=dims)


@public(method=True)
def tril(input, diagonal=0):
    """The lower triangle of a matrix (or batch), the rest zeroed."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return _tril(input, diagonal=diagonal)


@public(method=True)
def triu(input, diagonal=0):
    """The upper triangle of a matrix (or batch), the rest zeroed."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return _triu(input, diagonal=diagonal)


@public(method=True)
def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view of the diagonal of ``input`` over ``dim1`` and ``dim2``, moved to the last dim."""
    n = input.ndim
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _diagonal(input, offset=offset, dim1=d1, dim2=d2)


@public(method=True)
def diag(input, diagonal=0):
    """A 1-D input becomes a matrix with it on the ``diagonal``-th diagonal; a 2-D input gives
    that diagonal as a 1-D tensor."""
    if input.ndim == 1:
        return _diag_1d(input, offset=diagonal)
    if input.ndim == 2:
        return _diag_2d(input, offset=diagonal)
    raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{input.ndim}D")


def _narrow_start(start):
    if is_tensor(start):
        if start.ndim != 0 or start.dtype.is_floating_point or start.dtype is D.bool:
            raise RuntimeError("start must be an 0-dim integral Tensor.")
        return int(start.item())
    return start


@public(method=True, export=False)
def select(input, dim, index):
    """The slice of ``input`` at ``index`` along ``dim``, that dim removed (a view).

    Example::

        >>> pullback.arange(6).reshape(2, 3).select(1, -1)
        tensor([2, 5])
    """
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {_shape_text(input.shape)} at "
                         f"dimension {d}")
    return input[(slice(None),) * d + (int(index),)]


@public(method=True)
def narrow(input, dim, start, length):
    """A view of ``input`` along ``dim`` from ``start`` (negative counts from the end; an int or a
    0-dim integer Tensor) for ``length`` elements.

    Example::

        >>> pullback.arange(6).narrow(0, 2, 3)
        tensor([2, 3, 4])
    """
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start = _narrow_start(start)
    length = int(length.item()) if is_tensor(length) else length
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = wrap_dim(dim, input.ndim)
    size = input.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return input[(slice(None),) * d + (slice(start, start + length),)]


@public(method=True, export=False)
def unfold(input, dimension, size, step):
    """``Tensor.unfold``: a view holding every slice of ``size`` elements along ``dimension``, a
    new one every ``step`` elements, as a new last dimension.

    Example::

        >>> pullback.arange(5.0).unfold(0, 2, 2)
        tensor([[0., 1.],
                [2., 3.]])
    """
    d = wrap_dim(dimension, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return _unfold(input, dimension=d, size=size, step=step)


@public(method=True, export=False)
def sum_to_size(input, *size):
    """``input`` summed down to ``size``, which must broadcast to ``input``'s shape.

    Example::

        >>> pullback.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
    """
    size = as_shape(size)
    shape = tuple(input.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != shape[lead + i] for i, s in enumerate(size)):
        raise RuntimeError(f"size {{{_shape_text(size)}}} is not expandable to size {{{_shape_text(shape)}}}.")
    if not size:  # as in PyTorch, a full sum (bool and integers to int64) even of a 0-dim tensor
        return _sum(input, axis=None, keepdim=False)
    if size == shape:
        return input
    axes = tuple(i for i in range(len(shape)) if i < lead or (size[i - lead] == 1 and shape[i] != 1))
    out = _sum(input, axis=axes, keepdim=True)  # one SumBackward1, as in PyTorch; a view drops leading dims
    return _reshape(out, shape=size) if lead else out


@public(method=True)
def split(tensor, split_size_or_sections, dim=0):
    """Splits ``tensor`` into chunks of ``split_size_or_sections`` (an int: equal chunks, the last
    possibly smaller; a list: those sizes) along ``dim``. Returns a tuple of views."""
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
        equal = True
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                               f"size at dimension {d}), but got split_sizes=[{', '.join(map(str, sizes))}]")
        equal = False
    return _split(tensor, sizes=tuple(sizes), axis=d, equal=equal)


@public(method=True)
def chunk(input, chunks, dim=0):
    """Splits into ``chunks`` pieces of ceil(n / chunks) elements along ``dim`` (maybe fewer)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    n = input.shape[wrap_dim(dim, input.ndim)]
    if n == 0:  # torch gives `chunks` empty pieces
        return split(input, [0] * chunks, dim)
    return split(input, -(-n // chunks), dim)


@public(method=True)
def unbind(input, dim=0):
    """Removes dimension ``dim``, returning a tuple of all slices along it."""
    return _unbind(input, axis=_wrap_dim_of_dimensioned(dim, input.ndim, name_wrapped=True))


def _check_tensors(tensors, fn):
    if is_tensor(tensors):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    _check_elements(tensors)
    return tensors


def _check_elements(tensors):
    for i, t in enumerate(tensors):
        if not is_tensor(t):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")


def _check_cat_shapes(tensors, dim):
    """The dim to concatenate along, after PyTorch's checks; legacy empty 1-D tensors are skipped."""
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]
    if not kept:  # only legacy empty tensors: torch returns one without reading the dim
        return tensors, 0
    ref = kept[0]
    d = wrap_dim(dim, ref.ndim)
    for i, t in enumerate(kept):
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    return (tensors if ref.ndim == 1 else kept), d  # among 1-D tensors an empty one is an ordinary operand


@public(('cat', 'concat', 'concatenate'))
def cat(tensors, dim=0, *, out=None):
    """Concatenates Tensors along an existing dimension ``dim`` (written into ``out`` when given).

    Example::

        >>> pullback.cat([pullback.zeros(2), pullback.ones(1)])
        tensor([0., 0., 1.])
    """
    if is_tensor(tensors):
        raise TypeError("cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if tensors and all(isinstance(t, B.ndarray) for t in tensors):  # inside a VJP rule, on arrays
        return B.concatenate(tensors, axis=dim)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not (is_tensor(t) or isinstance(t, B.ndarray)):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    kept, d = _check_cat_shapes(tensors, dim)
    result = _cat(*kept, axis=d)
    if len(kept) != len(tensors) and is_tensor(result):  # skipped legacy empty tensors still promote
        dt = D.result_type(*[t for t in tensors if is_tensor(t)])
        if result.dtype is not dt:
            result = result.to(dt)
    if out is None:
        return result
    _refuse_aliased_out(out, tensors)
    if is_tensor(out) and result.dtype.category > out.dtype.category:
        raise TypeError(f"torch.cat(): input types can't be cast to the desired output type "
                        f"{D.SCALAR_TYPE_NAMES[out.dtype.name]}")
    from .._out import write_out  # _out sits above the ops (it imports Tensor)
    return write_out(out, result, "cat", tensors)


def _refuse_aliased_out(out, inputs):
    """``out=`` of a gathering op (cat, gather, index_select, ...) may not share memory with an
    input, not even all of it: the op reads inputs while it writes."""
    if not is_tensor(out):
        return
    for t in inputs:
        if is_tensor(t) and (t is out or B.shares_memory(t._data, out._data)):
            from .._out import _OVERLAP
            raise RuntimeError(_OVERLAP)


concat = concatenate = cat


@public()
def stack(tensors, dim=0):
    """Stacks Tensors of the same shape along a new dimension ``dim``.

    Example::

        >>> pullback.stack([pullback.tensor([1, 2]), pullback.tensor([3, 4])])
        tensor([[1, 2],
                [3, 4]])
    """
    tensors = _check_tensors(tensors, "stack")
    shape = tensors[0]._data.shape
    d = wrap_dim(dim, len(shape) + 1)  # torch checks the dim before the sizes
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got [{', '.join(map(str, shape))}] "
                               f"at entry 0 and [{', '.join(map(str, t.shape))}] at entry {i}")
    return _stack(*tensors, axis=d)


@public()
def hstack(tensors):
    """Stacks horizontally (``cat`` along dim 1, or 0 for 1-D tensors)."""
    tensors = [t if t.ndim else _reshape(t, shape=(1,)) for t in _check_tensors(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


@public()
def vstack(tensors):
    """Stacks vertically (``cat`` along dim 0 after making 1-D tensors rows)."""
    tensors = _check_tensors(tensors, "vstack")
    return cat([_reshape(t, shape=(1, t.numel())) if t.ndim < 2 else t for t in tensors], 0)


from ._rules import sum_to  # noqa: E402
from .reduction import _sum  # noqa: E402


# ------------------------------------------------------------ composition family additions
# A reshape torch records as _unsafe_view (kron, tensordot's results): the same op, torch's backward name.
_unsafe_view = _reshaping("unsafe_view", "UnsafeViewBackward0")
# diag_embed as torch records it (DiagEmbedBackward0): the embedding primitive under torch's name.
_diag_embed_op = primitive("diag_embed_op", _diag_embed_impl, out_dtype="keep", grad_name="DiagEmbedBackward0",
                           vjp=lambda g, offset, dim1, dim2: _diagonal(g, offset=offset, dim1=dim1, dim2=dim2),
                           jvp=LINEAR, batch=_batch_diag_embed)
