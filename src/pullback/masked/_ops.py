"""torch.masked's operations on strided tensors, as composites of pullback's ops.

Each one replaces the masked-out elements (``mask`` False; a mask broadcasts to the input's shape)
with the identity of its reduction (0 for a sum, 1 for a product, -inf for a maximum or a
log-sum-exp, +inf for a minimum) and runs the ordinary op: gradients (to any order), JVPs and vmap
come from the ops it is made of, and the masked-out elements' gradients are 0. ``mean``, ``var`` and
``std`` divide by the number of elements masked in. With ``mask=None`` every element counts.
"""
import builtins
import math

import pullback as _pb  # (imported last by pullback/__init__.py: every op below exists by then)
from .._backend import B
from .. import _dtype as D

_SMALL_INTEGERS = ("uint8", "bool", "int8", "int16", "int32")


def _dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative dims (None or ``()``: all), checked as torch does."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    ndim = builtins.max(ndim, 1)
    found = []
    for d in ((dim,) if isinstance(dim, int) else dim):
        if d in found:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        if d >= ndim or d < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
        found.append(d % ndim)
    return tuple(sorted(found))


def _mask(input, mask):
    """The boolean mask of ``input``'s shape."""
    if tuple(mask.shape) != tuple(input.shape):
        if mask.ndim > input.ndim:
            raise IndexError("_input_mask expected broadcastable mask (got mask dimensionality higher than of the input)")
        mask = _pb.broadcast_to(mask, tuple(input.shape))
    return mask.to(D.bool)


def _identity(kind, input):
    """The identity of the reduction ``kind`` in ``input``'s dtype (a Python number)."""
    if kind == "sum":
        return 0
    if kind == "prod":
        return 1
    if input.dtype.is_floating_point:
        return -math.inf if kind == "max" else math.inf
    limits = B.iinfo(input.dtype.np)  # (bool has no identity: torch.masked fails there too)
    return int(limits.min) if kind == "max" else int(limits.max)


def _filled(input, mask, kind):
    """``input`` with its masked-out elements replaced by ``kind``'s identity."""
    if mask is None:
        return input
    fill = _pb.full((), _identity(kind, input), dtype=input.dtype)
    return _pb.where(_mask(input, mask), input, fill)


def _sum_dtype(input, dtype):
    if dtype is not None:
        return dtype
    return D.int64 if input.dtype.name in _SMALL_INTEGERS else input.dtype


def _dtype_name(dtype):
    return f"torch.{dtype.name}"


def sum(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The sum of the elements masked in, over ``dim`` (all dims when None): ``masked.sum``.

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints, optional): the dims to reduce.
        keepdim (bool): keep the reduced dims, with size 1.
        dtype (dtype, optional): the result's dtype (default: the input's, int64 for smaller
            integers and bool).
        mask (Tensor, optional): True where an element takes part (broadcast to the input's shape).

    Example::

        >>> pullback.masked.sum(pullback.tensor([1.0, 2.0, 4.0]), mask=pullback.tensor([True, False, True]))
        tensor(5.)
    """
    dtype = _sum_dtype(input, dtype)
    return _pb.sum(_filled(input, mask, "sum"), _dims(dim, input.ndim), bool(keepdim), dtype=dtype)


def prod(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The product of the elements masked in, over ``dim`` (all dims when None): ``masked.prod``
    (arguments as ``masked.sum``).

    Example::

        >>> pullback.masked.prod(pullback.tensor([2.0, 3.0, 4.0]), mask=pullback.tensor([True, False, True]))
        tensor(8.)
    """
    dtype = _sum_dtype(input, dtype)
    result = _filled(input, mask, "prod").to(dtype)
    for d in reversed(_dims(dim, input.ndim)):
        result = _pb.prod(result, d, keepdim=bool(keepdim))
    return result


def cumsum(input, dim, *, dtype=None, mask=None):
    """The cumulative sum along ``dim``, masked-out elements counting as 0: ``masked.cumsum``.

    Example::

        >>> pullback.masked.cumsum(pullback.tensor([1.0, 2.0, 4.0]), 0, mask=pullback.tensor([True, False, True]))
        tensor([1., 1., 5.])
    """
    dtype = input.dtype if dtype is None else dtype
    return _pb.cumsum(_filled(input, mask, "sum"), _dims(dim, input.ndim)[0], dtype=dtype).to(dtype)


def cumprod(input, dim, *, dtype=None, mask=None):
    """The cumulative product along ``dim``, masked-out elements counting as 1: ``masked.cumprod``.

    Example::

        >>> pullback.masked.cumprod(pullback.tensor([2.0, 3.0, 4.0]), 0, mask=pullback.tensor([True, False, True]))
        tensor([2., 2., 8.])
    """
    dtype = input.dtype if dtype is None else dtype
    return _pb.cumprod(_filled(input, mask, "prod"), _dims(dim, input.ndim)[0], dtype=dtype).to(dtype)


def _extreme(kind, fn):
    def reduce(input, dim=None, *, keepdim=False, dtype=None, mask=None):
        dtype = input.dtype if dtype is None else dtype
        filled = _filled(input, mask, kind)
        return fn(filled, _dims(dim, filled.ndim), bool(keepdim)).to(dtype)
    return reduce


amax = _extreme("max", _pb.amax)
amax.__name__ = amax.__qualname__ = "amax"
amax.__doc__ = """The largest element masked in, over ``dim`` (all dims when None; -inf where none is):
    ``masked.amax`` (arguments as ``masked.sum``).

    Example::

        >>> pullback.masked.amax(pullback.tensor([1.0, 5.0, 4.0]), mask=pullback.tensor([True, False, True]))
        tensor(4.)
    """
amin = _extreme("min", _pb.amin)
amin.__name__ = amin.__qualname__ = "amin"
amin.__doc__ = """The smallest element masked in, over ``dim`` (all dims when None; inf where none is):
    ``masked.amin`` (arguments as ``masked.sum``).

    Example::

        >>> pullback.masked.amin(pullback.tensor([1.0, 0.0, 4.0]), mask=pullback.tensor([True, False, True]))
        tensor(1.)
    """


def _arg_extreme(kind, fn):
    def reduce(input, dim=None, *, keepdim=False, dtype=None, mask=None):
        # torch casts the indices to ``dtype``, the input's by default
        dtype = input.dtype if dtype is None else dtype
        return fn(_filled(input, mask, kind), dim, bool(keepdim)).to(dtype)
    return reduce


argmax = _arg_extreme("max", _pb.argmax)
argmax.__name__ = argmax.__qualname__ = "argmax"
argmax.__doc__ = """The index of the largest element masked in along ``dim`` (of all, flattened, when
    None), in ``dtype`` (the input's by default, as torch.masked): ``masked.argmax``.

    Example::

        >>> pullback.masked.argmax(pullback.tensor([1.0, 5.0, 4.0]), mask=pullback.tensor([True, False, True]))
        tensor(2.)
    """
argmin = _arg_extreme("min", _pb.argmin)
argmin.__name__ = argmin.__qualname__ = "argmin"
argmin.__doc__ = """The index of the smallest element masked in along ``dim`` (of all, flattened, when
    None), in ``dtype`` (the input's by default, as torch.masked): ``masked.argmin``.

    Example::

        >>> pullback.masked.argmin(pullback.tensor([1.0, 0.0, 4.0]), mask=pullback.tensor([True, False, True]))
        tensor(0.)
    """


def _count(input, mask, dims, keepdim):
    """How many elements are masked in over ``dims``, as int64."""
    if mask is None:
        return _pb.sum(_pb.ones(tuple(input.shape), dtype=D.int64), dims, keepdim)
    return _pb.sum(_mask(input, mask), dims, keepdim)


def mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The mean of the elements masked in, over ``dim`` (NaN where none is): ``masked.mean``. The
    input (or ``dtype``) must be floating point.

    Example::

        >>> pullback.masked.mean(pullback.tensor([1.0, 2.0, 4.0]), mask=pullback.tensor([True, False, True]))
        tensor(2.5000)
    """
    source = "Optional" if dtype is not None else "Input"
    dtype = input.dtype if dtype is None else dtype
    if not dtype.is_floating_point:
        raise ValueError(f"mean(): Could not infer output dtype. {source} dtype must be either a floating point or "
                         f"complex dtype. Got: {_dtype_name(dtype)}")
    dims = _dims(dim, input.ndim)
    total = sum(input, dims, keepdim=keepdim, dtype=dtype, mask=mask)
    return total / _count(input, mask, dims, bool(keepdim))


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    """The median of the elements masked in along ``dim`` (NaN where none is; an integer input
    must have some element masked in on every row): ``masked.median``.

    Example::

        >>> pullback.masked.median(pullback.tensor([1.0, 9.0, 4.0, 2.0]), mask=pullback.tensor([True, False, True, True]))
        tensor(2.)
    """
    dtype = input.dtype if dtype is None else dtype
    d = _dims(dim, input.ndim)[0]
    floating = input.dtype.is_floating_point
    x = input if floating else input.to(D.float32)
    if mask is not None:  # NaN is nanmedian's identity: it skips them
        x = _pb.where(_mask(x, mask), x, _pb.full((), math.nan, dtype=x.dtype))
    output = _pb.nanmedian(x, d, keepdim).values
    if floating:
        return output
    if _pb.isnan(output).any():
        raise ValueError("masked median expects no fully masked out rows if dtype is not floating point")
    return output.to(dtype)


def logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """``log(sum(exp(x)))`` of the elements masked in, over ``dim`` (-inf where none is):
    ``masked.logsumexp``.

    Example::

        >>> pullback.masked.logsumexp(pullback.tensor([0.0, 9.0, 0.0]), mask=pullback.tensor([True, False, True]))
        tensor(0.6931)
    """
    dtype = input.dtype if dtype is None else dtype
    return _pb.logsumexp(_filled(input, mask, "max"), _dims(dim, input.ndim), keepdim=keepdim).to(dtype)


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    """``log(exp(input) + exp(other))``, each operand's masked-out elements counting as -inf:
    ``masked.logaddexp``.

    Example::

        >>> pullback.masked.logaddexp(pullback.tensor([0.0, 1.0]), pullback.tensor([0.0, 2.0]),
        ...                           other_mask=pullback.tensor([True, False]))
        tensor([0.6931, 1.0000])
    """
    dtype = input.dtype if dtype is None else dtype
    return _pb.logaddexp(_filled(input, input_mask, "max"), _filled(other, other_mask, "max")).to(dtype)


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The vector ``ord``-norm of the elements masked in, over ``dim``: ``masked.norm``.

    Example::

        >>> pullback.masked.norm(pullback.tensor([3.0, 9.0, 4.0]), 2.0, mask=pullback.tensor([True, False, True]))
        tensor(5.)
    """
    dtype = input.dtype if dtype is None else dtype
    fill = "min" if ord == -math.inf else "sum"  # (0 for every other order)
    return _pb.linalg.vector_norm(_filled(input, mask, fill), ord, _dims(dim, input.ndim), bool(keepdim),
                                  dtype=dtype)


def _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt):
    if unbiased is not None and correction is not None:
        raise AssertionError("Only one of unbiased and correction may be given")
    correction = float(correction) if correction is not None else 1.0 if unbiased is None or unbiased else 0.0
    if dtype is None:
        dtype = input.dtype if input.dtype.is_floating_point else D.float32
    compute = dtype if dtype.is_floating_point else D.float32
    dims = _dims(dim, input.ndim)
    count = _count(input, mask, dims, True)
    centered = input - sum(input, dims, keepdim=True, dtype=dtype, mask=mask) / count
    total = sum(centered * centered, dims, keepdim=keepdim, dtype=compute, mask=mask)
    if not keepdim:
        count = count.reshape(tuple(total.shape))
    if correction != 0:
        count = _pb.clamp(count.to(compute) - correction, min=0)
    output = (total / count).to(dtype)
    return _pb.sqrt(output) if take_sqrt else output


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    """The variance of the elements masked in, over ``dim``, with ``correction`` (default 1; or
    ``unbiased``) subtracted from their number: ``masked.var``.

    Example::

        >>> pullback.masked.var(pullback.tensor([1.0, 9.0, 3.0]), mask=pullback.tensor([True, False, True]))
        tensor(2.)
    """
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt=False)


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    """The standard deviation of the elements masked in, over ``dim`` (the square root of
    ``masked.var``): ``masked.std``.

    Example::

        >>> pullback.masked.std(pullback.tensor([1.0, 9.0, 3.0]), mask=pullback.tensor([True, False, True]))
        tensor(1.4142)
    """
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt=True)


def _normalization(kind, fn, what):
    def normalization(input, dim, *, dtype=None, mask=None):
        dtype = input.dtype if dtype is None else dtype
        return fn(_filled(input, mask, kind), _dims(dim, input.ndim)[0], dtype=dtype)
    normalization.__doc__ = f"""{what} along ``dim``, the masked-out elements taking no part (and
    getting 0{' or -inf' if fn is _pb.nn.functional.log_softmax else ''}; NaN on rows with none masked in).

    Args:
        input (Tensor): the input.
        dim (int): the dim to normalize along.
        dtype (dtype, optional): the input is cast to it first.
        mask (Tensor, optional): True where an element takes part.
    """
    return normalization


softmax = _normalization("max", _pb.nn.functional.softmax, "Softmax")
softmax.__name__ = softmax.__qualname__ = "softmax"
log_softmax = _normalization("max", _pb.nn.functional.log_softmax, "Log-softmax")
log_softmax.__name__ = log_softmax.__qualname__ = "log_softmax"
softmin = _normalization("min", _pb.nn.functional.softmin, "Softmin")
softmin.__name__ = softmin.__qualname__ = "softmin"


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):
    """``input`` divided by the ``ord``-norm of its elements masked in along ``dim`` (at least
    ``eps``), the masked-out elements set to 0: ``masked.normalize``.

    Example::

        >>> pullback.masked.normalize(pullback.tensor([3.0, 9.0, 4.0]), 2.0, 0, mask=pullback.tensor([True, False, True]))
        tensor([0.6000, 0.0000, 0.8000])
    """
    dtype = input.dtype if dtype is None else dtype
    size = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    return _filled(input, mask, "sum") / _pb.maximum(size, _pb.full((), eps, dtype=size.dtype))
