"""Helpers shared by the primitive families: dimension handling and the shapes of reductions.

Everything here works on arrays and on Tensors alike (it calls primitives), so VJP rules that use
it stay differentiable.
"""
from .._backend import B
from . import _registry


def is_tensor(x):
    return isinstance(x, _registry._Tensor)


def wrap_dim(dim, ndim):
    """A dimension index in ``[0, ndim)``, with PyTorch's error for one out of range."""
    n = max(ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, (int, B.integer)):
        try:
            dim = dim.__index__()
        except AttributeError:
            raise TypeError(f"dim must be an int, got {type(dim).__name__}") from None
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return int(dim) % n


def wrap_dims(dim, ndim):
    """``dim`` (None, int, or a sequence) as a sorted tuple of non-negative axes, or None (all).

    A 0-dim tensor takes dim 0 and -1 (PyTorch's convention): reducing over that one "dim" is
    reducing over all (none) of its dims, so it gives None too.
    """
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(wrap_dim(d, ndim) for d in dim))
        if len(set(axes)) != len(axes):
            duplicate = next(a for a, b in zip(axes, axes[1:]) if a == b)
            raise RuntimeError(f"dim {duplicate} appears multiple times in the list of dims")
        return axes if ndim else None
    axis = wrap_dim(dim, ndim)
    return (axis,) if ndim else None


def reduced_shape(shape, axis):
    """The shape of a keepdim=True reduction of ``shape`` over ``axis`` (None: all)."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def expand_back(g, shape, axis, keepdim):
    """Broadcasts the cotangent of a reduction back to the reduced input's ``shape``."""
    if not keepdim:
        g = _shape._reshape(g, shape=reduced_shape(shape, axis))
    return _shape._expand(g, shape=tuple(shape))


def is_broadcastable_to(shape, target):
    """Whether ``shape`` broadcasts to ``target`` (both tuples)."""
    if len(shape) > len(target):
        return False
    for s, t in zip(reversed(shape), reversed(target)):
        if s != t and s != 1:
            return False
    return True


def sum_to(g, shape):
    """Sums ``g`` down to ``shape`` (which broadcasts to ``g.shape``): the adjoint of broadcasting.

    Differentiable (it calls primitives), so the engine uses it for every cotangent whose input
    was broadcast, on arrays and on Tensors alike.
    """
    from .reduction import _sum  # (here: reduction imports shape, which may still be importing this)
    lead = len(g.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1)
    if axes:
        g = _sum(g, axis=axes, keepdim=False)
    if tuple(g.shape) != tuple(shape):
        g = _shape._reshape(g, shape=tuple(shape))
    return g


def numel_over(shape, axis):
    n = 1
    for i, s in enumerate(shape):
        if axis is None or i in axis:
            n *= s
    return n


def as_shape(size):
    """Sizes given as ints, a tuple/list or a Size, as a tuple of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if is_tensor(s):
            s = s.item()
        if isinstance(s, bool) or not isinstance(s, (int, B.integer)):
            raise TypeError(f"sizes must be ints, got {type(s).__name__} ({s!r})")
        out.append(int(s))
    return tuple(out)


from . import shape as _shape  # noqa: E402  (a module: shape may still be importing this one)


def check_tensor(x, fn, arg="A", pos=1):
    """torch's TypeError for an argument ``arg`` (at ``pos``) of ``fn`` that is not a Tensor."""
    if not is_tensor(x):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")
