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
from .. import _levels
from .._tensor import Tensor
from .._creation import zeros, ones, full
from .._ops._rules import as_shape
from .._ops._registry import Decompose
from .._ops._vmap_rules import RULES as SHORTHAND_RULES


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
        return self._per_sample(lambda shape: zeros(shape, dtype=dtype or self.dtype), as_shape(size))

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._per_sample(lambda shape: ones(shape, dtype=dtype or self.dtype), as_shape(size))

    new_empty = new_zeros

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
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


def batch_size(level):
    """The batch size of the open vmap ``level``."""
    return _levels.find(_levels.VMAP, level).size


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
    rule = prim.batch
    if type(rule) is Decompose:
        return rule.fn(*args, **params)
    if rule is None:
        raise RuntimeError(f"vmap: no batching rule for the primitive {prim.name!r}; pullback cannot vmap over it.")
    if type(rule) is str:
        rule = SHORTHAND_RULES[rule]
    out, out_bdims = rule(prim, values, bdims, params, batch_size(level))
    if isinstance(out, tuple):
        return tuple(o if d is None else wrap(o, d, level) for o, d in zip(out, out_bdims))
    return out if out_bdims is None else wrap(out, out_bdims, level)


_levels.register(_levels.VMAP, BatchedTensor, batch_bind)
