"""Custom ``autograd.Function`` under ``vmap``: its own ``vmap`` staticmethod, or the rule
``generate_vmap_rule=True`` makes from its forward, setup_context and backward.

With a ``vmap`` staticmethod, the Function's ``vmap(info, in_dims, *args)`` runs on the
underlying values of the innermost level and says where the batch dims of its outputs are; what
it computes (usually ``apply`` on the underlying values) records its own graph.

With ``generate_vmap_rule``, forward and setup_context run on the batched values themselves, and
the backward node sits on the underlying Tensors (see Note [Batched values]): at backward time the
gradients are wrapped back at the outputs' levels, the Function's backward runs on batched values,
and each result is brought to its input's frame (``to_frame``).
"""
import collections

from .. import _levels
from .._tensor import Tensor
from .._ops import shape as S
from ._batching import BatchedTensor, wrap, batch_size
from ..autograd import function as _function  # (a module: it imports this one back)
from .._ops._rules import is_broadcastable_to, sum_to
from .vmap import _flatten, _broadcast_dims, _single_output_dims, _StructureMismatch

VmapInfo = collections.namedtuple("VmapInfo", ["batch_size", "randomness"])

_DOCS = "For more details, please see https://pytorch.org/docs/main/notes/extending.func.html"


def peel(x):
    """The plain Tensor under a (nested) BatchedTensor, and its wrappers [(level, bdim), ...],
    outermost first."""
    chain = []
    while isinstance(x, BatchedTensor):
        chain.append((x._level, x._bdim))
        x = x._value
    return x, chain


def rewrap(u, chain):
    for level, bdim in reversed(chain):
        u = wrap(u, bdim, level)
    return u


def level_sizes(values):
    """{level: batch size} over the wrappers of ``values``."""
    sizes = {}
    for x in values:
        while isinstance(x, BatchedTensor):
            sizes[x._level] = x._value.shape[x._bdim]
            x = x._value
    return sizes


def levels_active(sizes):
    """Makes the vmap levels in ``sizes`` active again (a backward pass run after the vmap that
    recorded it has returned), so batched values computed with can be taken apart."""
    return _levels.reopened(_levels.Level(_levels.VMAP, level, size=n, randomness="error")
                            for level, n in sizes.items() if _levels.find(_levels.VMAP, level) is None)


def to_frame(r, chain):
    """A gradient ``r`` (batched at any levels) as a plain Tensor shaped like the underlying
    value of an input whose wrappers are ``chain``: a level the input is not batched at is
    summed over (the input is shared by the samples), a level only the input has is broadcast."""
    chain = list(chain)
    while isinstance(r, BatchedTensor) or chain:
        top_r = r._level if isinstance(r, BatchedTensor) else 0
        top_x = chain[0][0] if chain else 0
        if top_r > top_x:
            r = r._value.sum(r._bdim)
        elif top_r == top_x:
            bdim = chain.pop(0)[1]
            r = r._value if r._bdim == bdim else S.movedim(r._value, r._bdim, bdim)
        else:
            level, bdim = chain.pop(0)
            shape = list(r.shape)
            shape.insert(bdim, batch_size(level))
            r = S.unsqueeze(r, bdim).expand(*shape)
    return r


def input_frame(r, x):
    """A gradient ``r`` computed on batched values as the gradient of the plain Tensor under
    the input ``x``: first summed to ``x``'s logical shape where it is larger (broadcasting in
    the forward), then brought to ``x``'s frame."""
    if tuple(r.shape) != tuple(x.shape) and is_broadcastable_to(tuple(x.shape), tuple(r.shape)):
        r = sum_to(r, tuple(x.shape))
    return to_frame(r, peel(x)[1])


def apply_with_vmap_staticmethod(cls, args, kwargs):
    """``cls.apply(*args)`` on batched values through ``cls.vmap(info, in_dims, *values)``."""
    if cls.generate_vmap_rule:
        raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it has both generate_vmap_rule=True and an "
                           "overridden vmap staticmethod. Please set generate_vmap_rule=False or delete the "
                           f"overridden vmap staticmethod to avoid ambiguity. {_DOCS}")
    args = _function._with_defaults(cls, args, kwargs)
    level = max(a._level for a in args if isinstance(a, BatchedTensor))
    values, in_dims = [], []
    for a in args:
        batched = isinstance(a, BatchedTensor) and a._level == level
        values.append(a._value if batched else a)
        in_dims.append(a._bdim if batched else None)
    entry = _levels.find(_levels.VMAP, level)
    info = VmapInfo(batch_size=entry.size, randomness=entry.randomness)
    # The staticmethod works on the values below this level: the vmap levels from it are hidden.
    with _levels.hidden(lambda lv: lv.kind is _levels.VMAP and lv.number >= level):
        result = cls.vmap(info, tuple(in_dims), *values)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError("Expected the vmap staticmethod to have two returns, an output and out_dims with pytree "
                           f"structure compatible with the output. Got a {type(result)} instead")
    return _wrap_outputs(result[0], result[1], level, args, values)


def _wrap_outputs(output, out_dims, level, args, values):
    leaves, rebuild = _flatten(output)
    try:
        dims = _broadcast_dims(_single_output_dims(out_dims, output), output)
    except _StructureMismatch:
        raise RuntimeError("Expected the vmap staticmethod to have two returns, an output and out_dims with pytree "
                           f"structure compatible with the output. Got out_dims={out_dims} for an output of type "
                           f"{type(output)}") from None
    wrapped = []
    for leaf, d in zip(leaves, dims):
        if d is None or not isinstance(leaf, Tensor):
            wrapped.append(leaf)
            continue
        same = [a for a, v in zip(args, values) if v is leaf and a is not leaf]
        if same and same[0]._bdim == d % leaf.ndim:      # an input modified in place and returned
            same[0]._requires_grad = leaf._requires_grad
            wrapped.append(same[0])
        else:
            wrapped.append(wrap(leaf, d % leaf.ndim, level))
    return rebuild(wrapped)


def refuse_unbatchable(cls):
    if cls.setup_context is _base_setup_context():
        raise RuntimeError("In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, "
                           "jacrev, ...), it must override the setup_context staticmethod. " + _DOCS)
    if not cls.generate_vmap_rule and "vmap" not in _overrides(cls):
        raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it does not have vmap support. Please "
                           f"override and implement the vmap staticmethod or set generate_vmap_rule=True. {_DOCS}")


def has_vmap_staticmethod(cls):
    return "vmap" in _overrides(cls)


def _overrides(cls):
    return {name for klass in cls.__mro__ if klass is not _function.Function and klass is not object for name in vars(klass)}


def _base_setup_context():
    return _function._BASE_SETUP_CONTEXT
