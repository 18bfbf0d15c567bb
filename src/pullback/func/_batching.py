"""vmap's batched values and the batching rule of every primitive.

Note [Batched values]
A BatchedTensor is the value a function sees inside ``vmap``: its logical shape hides the batch
dimension. It wraps an underlying Tensor (``_value``) whose dimension ``_bdim`` is the batch, at a
vmap ``_level`` (nested vmaps wrap wrappers). Its own ``_data`` is a zero-stride placeholder of
the logical shape: shape and dtype checks in Python code see the logical shape, and every place
that reads values refuses batched tensors loudly (``refuse``).

When a primitive meets a BatchedTensor of the innermost active level, ``batch_bind`` unwraps the
arguments at that level, applies the primitive's batching rule to the underlying values (moving
batch dims where the primitive needs them), and wraps the result. Autograd never sees wrappers:
the reverse graph is recorded on the underlying Tensors, so a backward pass over batched values
is one pass over the whole batch.
"""
from .._backend import B
from .._tensor import Tensor
from .._ops._rules import as_shape
from .._ops import elementwise as E, reduction as R, shape as S, linalg as L, indexing as I, nn as N, conv as C
from .._ops import sorting as So

_state = {"depth": 0, "sizes": {}, "randomness": {}}


class BatchedTensor(Tensor):
    """A logical view of one sample of a batch, inside ``vmap`` (see Note [Batched values])."""

    def __repr__(self):
        return f"BatchedTensor(lvl={self._level}, bdim={self._bdim}, value=\n{self._value!r}\n)"

    def detach(self):
        """The batched value outside the graph (each sample's values, not the placeholder)."""
        return wrap(self._value.detach(), self._bdim, self._level)

    def _per_sample(self, make, shape):
        """A fresh Tensor of logical ``shape`` for each sample of this one's batches (as torch's
        factories on batched tensors: ``zeros_like``, ``new_zeros``...), so that writing into it
        in place with batched values works. ``make(full_shape)`` makes the plain Tensor."""
        levels, sizes, t = [], [], self
        while isinstance(t, BatchedTensor):            # outermost level first
            levels.append(t._level)
            sizes.append(t._value.shape[t._bdim])
            t = t._value
        value = make(tuple(sizes) + tuple(shape))
        for k in reversed(range(len(levels))):
            value = wrap(value, k, levels[k])
        return value

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from .._creation import zeros
        return self._per_sample(lambda shape: zeros(shape, dtype=dtype or self.dtype), as_shape(size))

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from .._creation import ones
        return self._per_sample(lambda shape: ones(shape, dtype=dtype or self.dtype), as_shape(size))

    new_empty = new_zeros

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from .._creation import full
        return self._per_sample(lambda shape: full(shape, fill_value, dtype=dtype or self.dtype), as_shape((size,)))


def wrap(value, bdim, level):
    """A BatchedTensor over ``value`` with batch dimension ``bdim`` at vmap ``level``.

    Wrappers nest with the highest level outermost: wrapping a value batched at a higher level
    puts the new wrapper inside it (``bdim`` is translated to the inner value's dimensions).
    """
    if isinstance(value, BatchedTensor) and value._level > level:
        inner_bdim = bdim if bdim < value._bdim else bdim + 1
        outer_bdim = value._bdim if value._bdim < inner_bdim else value._bdim - 1
        return wrap(wrap(value._value, inner_bdim, level), outer_bdim, value._level)
    shape = tuple(s for i, s in enumerate(value.shape) if i != bdim)
    t = BatchedTensor._make(B.broadcast_to(B.zeros((), dtype=value._data.dtype), shape))
    t._value, t._bdim, t._level = value, bdim, level
    t._requires_grad = value.requires_grad
    return t


def refuse(t, where):
    """Raises PyTorch's vmap error where a batched tensor's values would be read."""
    if isinstance(t, BatchedTensor):
        raise RuntimeError(f"vmap: {where} needs the values of a tensor that is batched by vmap, which pullback "
                           "does not support here; move this operation out of the vmapped function or pass the "
                           "tensor unbatched (in_dims=None).")


def current_level():
    return _state["depth"]


def batch_size(level):
    return _state["sizes"][level]


# ---------------------------------------------------------------- dispatch
def batch_bind(prim, args, params):
    """Runs ``prim`` on arguments some of which are BatchedTensors (see Note [Batched values])."""
    level = max(a._level for a in args if isinstance(a, BatchedTensor))
    values, bdims = [], []
    for a in args:
        if isinstance(a, BatchedTensor) and a._level == level:
            values.append(a._value)
            bdims.append(a._bdim)
        else:
            values.append(a)
            bdims.append(None)
    rule = RULES.get(prim)
    if rule is None:
        raise RuntimeError(f"vmap: no batching rule for the primitive {prim.name!r}; pullback cannot vmap over it.")
    out, out_bdims = rule(prim, values, bdims, params, level)
    if isinstance(out, tuple):
        return tuple(o if d is None else wrap(o, d, level) for o, d in zip(out, out_bdims))
    return out if out_bdims is None else wrap(out, out_bdims, level)


def to_front(x, bdim):
    """``x`` with its batch dimension moved to 0 (``x`` unchanged if unbatched)."""
    if bdim is None or bdim == 0:
        return x
    return S.movedim(x, bdim, 0)


def _logical_ndim(x, bdim):
    nd = x.ndim if hasattr(x, "ndim") else 0
    return nd - (1 if bdim is not None else 0)


def _align(x, bdim, rank):
    """A batched value moved to the front, with singleton dims so its logical rank is ``rank``."""
    x = to_front(x, bdim)
    missing = rank - (x.ndim - 1)
    if missing > 0:
        x = S._reshape(x, shape=(x.shape[0],) + (1,) * missing + tuple(x.shape[1:]))
    return x


def _expand_batch(x, bdim, level):
    """An unbatched value made batched (at the front) by broadcasting to the batch size."""
    if bdim is not None:
        return to_front(x, bdim)
    n = batch_size(level)
    if not hasattr(x, "shape"):
        x = Tensor._make(B.asarray(x))
    return S._expand(S._reshape(x, shape=(1,) + tuple(x.shape)), shape=(n,) + tuple(x.shape))


# -------------------------------------------------------------------- rules
def elementwise_rule(prim, values, bdims, params, level):
    rank = max(_logical_ndim(v, d) for v, d in zip(values, bdims))
    args = tuple(_align(v, d, rank) if d is not None else v for v, d in zip(values, bdims))
    return prim.bind(args, params), 0


def all_batched_rule(prim, values, bdims, params, level):
    args = tuple(_expand_batch(v, d, level) if hasattr(v, "shape") or d is not None else v
                 for v, d in zip(values, bdims))
    return prim.bind(args, params), 0


def _shift_axis(axis, logical_ndim):
    if axis is None:
        return tuple(range(1, logical_ndim + 1))
    if isinstance(axis, tuple):
        return tuple(a + 1 for a in axis)
    return axis + 1


def reduction_rule(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    nd = x.ndim - 1
    p = dict(params)
    if prim in (R._prod, R.argmax_, R.argmin_) and p["axis"] is None:
        # These take one axis: flatten each sample first.
        x = S._reshape(x, shape=(x.shape[0], -1))
        out = prim.bind((x,), dict(p, axis=1))
        if p.get("keepdim"):
            out = S._reshape(out, shape=(x.shape[0],) + (1,) * nd)
        return out, 0
    p["axis"] = _shift_axis(p["axis"], nd)
    out = prim.bind((x,), p)
    return out, (0 if not isinstance(out, tuple) else (0,) * len(out))


def axis_rule(prim, values, bdims, params, level):
    """Primitives with an ``axis`` over logical dims that keep every dim (softmax, cumsum...)."""
    x = to_front(values[0], bdims[0])
    out = prim.bind((x,), dict(params, axis=_shift_axis(params["axis"], x.ndim - 1)))
    return out, (0 if not isinstance(out, tuple) else (0,) * len(out))


def _rule_sort(prim, values, bdims, params, level):
    """Each sample sorts along its own axis, the batch dim in front; 0-dim samples, each its own
    sort, sort as rows of one element."""
    x = to_front(values[0], bdims[0])
    if x.ndim == 1:
        values, indices = prim.bind((S._reshape(x, shape=(x.shape[0], 1)),), dict(params, axis=1))
        return (S._reshape(values, shape=x.shape), S._reshape(indices, shape=x.shape)), (0, 0)
    return axis_rule(prim, (x,), (0,), params, level)


def shape_param_rule(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    p = dict(params)
    shape = tuple(p["shape"])
    if prim is S._expand:
        x = _align(x, 0, len(shape))
    p["shape"] = (x.shape[0],) + shape
    return (S._reshape if prim is S._view else prim).bind((x,), p), 0


def _rule_transpose(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    return prim.bind((x,), dict(params, dim0=params["dim0"] + 1, dim1=params["dim1"] + 1)), 0


def _rule_permute(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    return prim.bind((x,), dict(params, dims=(0,) + tuple(d + 1 for d in params["dims"]))), 0


def _rule_flip(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    return prim.bind((x,), dict(params, dims=tuple(d + 1 for d in params["dims"]))), 0


def _rule_roll(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    dims = params["dims"]
    if dims is None:
        flat = S._reshape(x, shape=(x.shape[0], -1))
        out = prim.bind((flat,), dict(params, dims=1))
        return S._reshape(out, shape=tuple(x.shape)), 0
    dims = dims + 1 if isinstance(dims, int) else tuple(d + 1 for d in dims)
    return prim.bind((x,), dict(params, dims=dims)), 0


def _rule_unfold(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    if x.ndim == 1:  # a 0-dim sample: its window is the element itself (size 1) or nothing (size 0)
        return I.getitem(S._reshape(x, shape=(x.shape[0], 1)), index=(slice(None), slice(0, params["size"]))), 0
    return prim.bind((x,), dict(params, dimension=params["dimension"] + 1)), 0


def _rule_unfold_backward(prim, values, bdims, params, level):
    g = to_front(values[0], bdims[0])
    if not params["shape"]:
        return R._sum(g, axis=(1,), keepdim=False), 0
    return prim.bind((g,), dict(params, dimension=params["dimension"] + 1,
                                shape=(g.shape[0],) + tuple(params["shape"]))), 0


def _rule_repeat(prim, values, bdims, params, level):
    repeats = tuple(params["repeats"])
    x = _align(values[0], bdims[0], len(repeats))
    return prim.bind((x,), dict(params, repeats=(1,) + repeats)), 0


def _rule_same_last_dims(prim, values, bdims, params, level):
    return prim.bind((to_front(values[0], bdims[0]),), params), 0


def _rule_diagonal(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    return prim.bind((x,), dict(params, dim1=params["dim1"] + 1, dim2=params["dim2"] + 1)), 0


def _rule_diag_embed(prim, values, bdims, params, level):
    g = to_front(values[0], bdims[0])
    return prim.bind((g,), dict(params, shape=(g.shape[0],) + tuple(params["shape"]), dim1=params["dim1"] + 1,
                                dim2=params["dim2"] + 1)), 0


def _rule_diag_1d(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    n = x.shape[1] + abs(params["offset"])
    return S._diag_embed(x, shape=(x.shape[0], n, n), offset=params["offset"], dim1=1, dim2=2), 0


def _rule_diag_2d(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    return E.clone(S._diagonal(x, offset=params["offset"], dim1=1, dim2=2)), 0


def _rule_split(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    out = prim.bind((x,), dict(params, axis=params["axis"] + 1))
    return out, (0,) * len(out)


def _rule_cat(prim, values, bdims, params, level):
    args = tuple(_expand_batch(v, d, level) for v, d in zip(values, bdims))
    return prim.bind(args, dict(params, axis=params["axis"] + 1)), 0


def _advanced_positions(index):
    return [i for i, item in enumerate(index) if isinstance(item, B.ndarray)]


def _batched_index(index):
    """The index with a leading slice for the batch, and where NumPy puts the batch dim."""
    full = (slice(None),) + tuple(index)
    adv = _advanced_positions(full)
    if adv and adv != list(range(adv[0], adv[-1] + 1)):   # separated advanced indices go first
        shape = B.broadcast_shapes(*[full[i].shape if full[i].dtype != bool else (int(full[i].sum()),)
                                     for i in adv])
        return full, len(shape)
    return full, 0


def _rule_getitem(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    index, out_bdim = _batched_index(params["index"])
    return prim.bind((x,), dict(params, index=index)), out_bdim


def _rule_index_add_zeros(prim, values, bdims, params, level):
    index, g_bdim = _batched_index(params["index"])
    g = values[0]
    g = S.movedim(g, bdims[0], g_bdim) if bdims[0] != g_bdim else g
    return prim.bind((g,), dict(params, index=index, shape=(g.shape[g_bdim],) + tuple(params["shape"]))), 0


def _rule_index_put(prim, values, bdims, params, level):
    index, sel_bdim = _batched_index(params["index"])
    if sel_bdim:
        raise RuntimeError("vmap: index_put with separated advanced indices is not supported under vmap")
    x = _expand_batch(values[0], bdims[0], level)
    v = values[1]
    if bdims[1] is not None:
        v = to_front(v, bdims[1])
        v = _align(v, 0, len(_selection_shape(x, index)) - 1)
    return prim.bind((x, v), dict(params, index=index)), 0


def _selection_shape(x, index):
    """The shape of ``x[index]`` (computed on a zero-stride array: no copy of x)."""
    return B.broadcast_to(B.zeros((), dtype=bool), tuple(x.shape))[index].shape


def _broadcast_indices(indices, n):
    return B.broadcast_to(indices[None], (n,) + indices.shape)


def _rule_take_along(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    indices = _broadcast_indices(values[1], x.shape[0])
    return prim.bind((x, indices), dict(params, axis=params["axis"] + 1)), 0


def _rule_put_along(prim, values, bdims, params, level):
    g = to_front(values[0], bdims[0])
    indices = _broadcast_indices(values[1], g.shape[0])
    return prim.bind((g, indices), dict(params, axis=params["axis"] + 1,
                                        shape=(g.shape[0],) + tuple(params["shape"]))), 0


def _rule_scatter(prim, values, bdims, params, level):
    x = _expand_batch(values[0], bdims[0], level)
    indices = _broadcast_indices(values[1], x.shape[0])
    src = values[2]
    if bdims[2] is not None:
        src = to_front(src, bdims[2])
    elif hasattr(src, "shape") and src.ndim:
        src = _expand_batch(src, None, level)
    return prim.bind((x, indices, src), dict(params, axis=params["axis"] + 1)), 0


def _rule_rows_gather(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])                       # (B, M, C)
    idx = B.broadcast_to(params["target"][None, :, None], (x.shape[0], x.shape[1], 1))
    return S._reshape(I.take_along(x, idx, axis=2), shape=tuple(x.shape[:2])), 0


def _rule_rows_scatter(prim, values, bdims, params, level):
    v = to_front(values[0], bdims[0])                       # (B, M)
    n, m = v.shape[0], v.shape[1]
    idx = B.broadcast_to(params["target"][None, :, None], (n, m, 1))
    return I.put_along(S._reshape(v, shape=(n, m, 1)), idx, axis=2, shape=(n,) + tuple(params["shape"])), 0


def _rule_nll(prim, values, bdims, params, level):
    logp = wrap(values[0], bdims[0], level)
    picked = N.rows_gather(logp, target=params["target"])
    return _finish_rows(-picked, params, level)


def _rule_cross_entropy(prim, values, bdims, params, level):
    x = wrap(values[0], bdims[0], level)
    logp = N.log_softmax_(x, axis=1)
    return _finish_rows(-N.rows_gather(logp, target=params["target"]), params, level)


def _finish_rows(row_loss, params, level):
    loss = row_loss if params["weights"] is None else E.mul(row_loss, params["weights"])
    if params["reduction"] == "mean":
        loss = R._sum(loss, axis=None, keepdim=False) / params["total_weight"]
    elif params["reduction"] == "sum":
        loss = R._sum(loss, axis=None, keepdim=False)
    return loss._value, loss._bdim


def _rule_matmul(prim, values, bdims, params, level):
    (x, y), (dx, dy) = values, bdims
    rx, ry = _logical_ndim(x, dx), _logical_ndim(y, dy)
    # The common cases as one GEMM each (a batched matmul of B small products is much slower).
    if dy is None and ry == 2 and rx in (1, 2):                  # batched x @ shared matrix
        x = to_front(x, dx)
        flat = S._reshape(x, shape=(-1, x.shape[-1])) if rx == 2 else x
        out = prim.bind((flat, y), params)
        return (S._reshape(out, shape=(x.shape[0], x.shape[1], y.shape[1])) if rx == 2 else out), 0
    if dx is None and rx == 2 and ry == 1:                       # shared matrix @ batched vector
        return prim.bind((to_front(y, dy), S._transpose(x, dim0=0, dim1=1)), params), 0
    if dx is None and rx == 2 and ry == 2:                       # shared matrix @ batched matrices
        y = to_front(y, dy)                                      # (B, k, n)
        nb, k, n = y.shape
        flat = S._reshape(S._transpose(y, dim0=0, dim1=1), shape=(k, nb * n))
        out = S._reshape(prim.bind((x, flat), params), shape=(x.shape[0], nb, n))
        return S._transpose(out, dim0=0, dim1=1), 0
    if dx is not None:
        x = to_front(x, dx)
        if rx == 1:
            x = S._reshape(x, shape=(x.shape[0], 1, x.shape[1]))
    elif rx == 1:
        x = S._reshape(x, shape=(1,) + tuple(x.shape))
    if dy is not None:
        y = to_front(y, dy)
        if ry == 1:
            y = S._reshape(y, shape=(y.shape[0], y.shape[1], 1))
    elif ry == 1:
        y = S._reshape(y, shape=tuple(y.shape) + (1,))
    rank = max(rx, ry, 2)
    if dx is not None:
        x = _align(x, 0, rank)
    elif dy is not None:
        x = S._reshape(x, shape=(1,) * (rank + 1 - x.ndim) + tuple(x.shape))
    if dy is not None:
        y = _align(y, 0, rank)
    elif dx is not None:
        y = S._reshape(y, shape=(1,) * (rank + 1 - y.ndim) + tuple(y.shape))
    out = prim.bind((x, y), params)
    if rx == 1 and ry == 1:
        out = S._reshape(out, shape=(out.shape[0],))
    elif rx == 1:
        out = S._reshape(out, shape=tuple(out.shape[:-2]) + (out.shape[-1],))
    elif ry == 1:
        out = S._reshape(out, shape=tuple(out.shape[:-1]))
    return out, 0


def _rule_einsum(prim, values, bdims, params, level):
    lhs, out_sub = params["equation"].split("->")
    subs = lhs.split(",")
    used = set(params["equation"])
    letter = next(c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in used)
    args, new_subs = [], []
    for v, d, s in zip(values, bdims, subs):
        if d is None:
            args.append(v)
            new_subs.append(s)
        else:
            args.append(to_front(v, d))
            new_subs.append(letter + s)
    equation = ",".join(new_subs) + "->" + letter + out_sub
    return prim.bind(tuple(args), dict(params, equation=equation)), 0


def _rule_linear(prim, values, bdims, params, level):
    x, w = wrap_or(values[0], bdims[0], level), wrap_or(values[1], bdims[1], level)
    out = L.matmul_(x, S._transpose(w, dim0=0, dim1=1))
    if len(values) > 2:
        out = E.add(out, wrap_or(values[2], bdims[2], level), alpha=1)
    return out._value, out._bdim


def _rule_addmm(prim, values, bdims, params, level):
    c, a, b = (wrap_or(v, d, level) for v, d in zip(values, bdims))
    out = E.add(E.mul(c, params["beta"]), E.mul(L.matmul_(a, b), params["alpha"]), alpha=1)
    return out._value, out._bdim


def wrap_or(v, bdim, level):
    return v if bdim is None else wrap(v, bdim, level)


def _merge_batch_into_n(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    n_b, n = x.shape[0], x.shape[1]
    merged = S._reshape(x, shape=(n_b * n,) + tuple(x.shape[2:]))
    rest = tuple(values[1:])
    if any(d is not None for d in bdims[1:]):
        raise RuntimeError(f"vmap: {prim.name} over batched weights is not supported; batch the input only.")
    out = prim.bind((merged,) + rest, params)
    return S._reshape(out, shape=(n_b, n) + tuple(out.shape[1:])), 0


def _rule_conv2d(prim, values, bdims, params, level):
    if bdims[1] is None:
        return _merge_batch_into_n(prim, values, bdims, params, level)
    # Per-sample weights: the batch becomes groups of channels, one group per sample.
    x = _expand_batch(values[0], bdims[0], level)                 # (B, N, C, H, W)
    w = to_front(values[1], bdims[1])                             # (B, O, C/g, KH, KW)
    nb, n, c = x.shape[0], x.shape[1], x.shape[2]
    x = S._reshape(S._transpose(x, dim0=0, dim1=1), shape=(n, nb * c) + tuple(x.shape[3:]))
    w = S._reshape(w, shape=(nb * w.shape[1],) + tuple(w.shape[2:]))
    out = prim.bind((x, w), dict(params, groups=params["groups"] * nb))       # (N, B*O, OH, OW)
    out = S._reshape(out, shape=(n, nb, out.shape[1] // nb) + tuple(out.shape[2:]))
    return S._transpose(out, dim0=0, dim1=1), 0


def _rule_pad(prim, values, bdims, params, level):
    x = to_front(values[0], bdims[0])
    return prim.bind((x,), dict(params, widths=((0, 0),) + tuple(params["widths"]))), 0


def _rule_identity_many(prim, values, bdims, params, level):
    out = prim.bind(tuple(values), params)
    return out, tuple(bdims)


def _not_batchable(name):
    def rule(prim, values, bdims, params, level):
        raise RuntimeError(f"vmap: no batching rule for the primitive {name!r} with batched inputs.")
    return rule


RULES = {}
for _p in [E.neg, E.add, E.sub, E.mul, E.div, E.div_rounding, E.floor_divide, E.remainder, E.fmod, E.pow, E.atan2,
           E.maximum, E.minimum, E.where_, E.lerp, E.exp, E.expm1, E.log, E.log1p, E.log2, E.log10, E.sqrt,
           E.rsqrt, E.sin, E.cos, E.tan, E.asin, E.acos, E.atan, E.sinh, E.cosh, E.tanh, E.sigmoid, E.relu,
           E.interval_mask, E.erf, E.softplus_, E.abs, E.sign, E.floor, E.ceil, E.trunc, E.round_, E.frac,
           E.reciprocal, E.clamp_scalar, E.to_dtype, E.clone, E.eq, E.ne, E.lt, E.le, E.gt, E.ge,
           E.logical_and, E.logical_or, E.logical_xor, E.logical_not, E.isnan, E.isinf, E.isfinite,
           E.bitwise_and, E.bitwise_or, E.bitwise_xor, E.bitwise_not, N.leaky_relu_, N.slope_mask, N.elu_,
           N.hardtanh_, I.masked_fill_]:
    RULES[_p] = elementwise_rule
RULES[E.overwrite] = all_batched_rule
for _p in [R._sum, R._mean, R._prod, R.amax_, R.amin_, R.argmax_, R.argmin_, R.max_dim, R.min_dim, R.logsumexp_,
           R.var_, R.std_, R.vector_norm, R.all_, R.any_]:
    RULES[_p] = reduction_rule
for _p in [R.cumsum_, R._cumprod, N.softmax_, N.log_softmax_]:
    RULES[_p] = axis_rule
RULES[So.sort_] = _rule_sort
for _p in [S._reshape, S._view, S._squeeze, S._unsqueeze, S._expand]:
    RULES[_p] = shape_param_rule
RULES.update({S._unfold: _rule_unfold, S._unfold_backward: _rule_unfold_backward, S._transpose: _rule_transpose, S._permute: _rule_permute, S._flip: _rule_flip, S._roll: _rule_roll,
              S._repeat: _rule_repeat, S._tril: _rule_same_last_dims, S._triu: _rule_same_last_dims,
              S._diagonal: _rule_diagonal, S._diag_embed: _rule_diag_embed, S._diag_1d: _rule_diag_1d,
              S._diag_2d: _rule_diag_2d, S._split: _rule_split, S._unbind: _rule_split, S._cat: _rule_cat,
              S._stack: _rule_cat, I.getitem: _rule_getitem, I.index_add_zeros: _rule_index_add_zeros,
              I.index_put: _rule_index_put, I.take_along: _rule_take_along, I.put_along: _rule_put_along,
              I.scatter_: _rule_scatter, I.scatter_reduce_: _rule_scatter, I.view_scatter: _not_batchable("view_scatter"),
              N.rows_gather: _rule_rows_gather, N.rows_scatter: _rule_rows_scatter, N.nll_loss_: _rule_nll,
              N.cross_entropy_: _rule_cross_entropy, N.pad_: _rule_pad, L.matmul_: _rule_matmul,
              L.einsum_: _rule_einsum, L.linear_: _rule_linear, L.linear_nobias_: _rule_linear,
              L.addmm_: _rule_addmm, L.vecmat_: lambda prim, *rest: _rule_matmul(L.matmul_, *rest),
              L.nuclear_norm: _rule_same_last_dims, L.polar_: _rule_same_last_dims,
              C.unfold_: _merge_batch_into_n, C.fold_: _merge_batch_into_n,
              C.conv2d_: lambda *a: _rule_conv2d(*a)})


def _install():
    from .._ops import _registry
    _registry._batching = (BatchedTensor, batch_bind, _state)


_install()


# ------------------------------------------------------------------ pooling (see _ops/pooling.py)
from .._ops import pooling as P  # noqa: E402


# Each pools the (H, W) planes of its inputs alone, whatever their leading dims: the batch dim
# goes to the front, with the other inputs' batch dims (codes and values share the input's).
def _rule_planes(prim, values, bdims, params, level):
    return prim.bind(tuple(_expand_batch(v, d, level) for v, d in zip(values, bdims)), params), 0


for _p in [P.max_pool2d_, P.max_pool2d_indices, P.max_pool2d_codes, P.max_pool2d_select, P.max_pool2d_backward_,
           P.avg_pool2d_, P.avg_pool2d_backward_, P.adaptive_avg_pool2d_, P.adaptive_avg_pool2d_backward_]:
    RULES[_p] = _rule_planes
