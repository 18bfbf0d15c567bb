"""``out=``: writing a function's result into a Tensor the caller passes, as PyTorch's functions do.

Every public function with an ``out`` keyword computes its result as usual and ends with
``return write_out(out, result, fn_name, inputs)``; with ``out=None`` that is the result itself, so
the common path pays one comparison.
"""
import builtins
import warnings

from ._backend import B
from .autograd import grad_mode
from ._tensor import Tensor
from . import _inplace

_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
            "single memory location. Please clone() the tensor before performing the operation.")


def write_out(out, result, fn_name, inputs=()):
    """Returns ``result``, or, when ``out`` is a Tensor, copies ``result`` into it and returns ``out``.

    As in PyTorch: ``out`` is resized (with a deprecation warning when it had elements) to the
    result's shape; the result's dtype must be castable to ``out``'s; ``out`` may be one of the
    ``inputs`` but may not partially overlap one; and out= does not record gradients, so it refuses
    inputs that require grad while grad mode is on.
    """
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{fn_name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if grad_mode.is_grad_enabled() and (out._requires_grad or result._requires_grad):
        raise RuntimeError(f"{fn_name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if builtins.any(st == 0 and n > 1 for st, n in zip(out._data.strides, out._data.shape)):  # expanded
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a single "
                           "memory location. Please clone() the tensor before performing the operation.")
    for t in inputs:
        if isinstance(t, Tensor) and _partially_overlap(t._data, out._data):
            raise RuntimeError(_OVERLAP)
    if tuple(out.shape) != tuple(result.shape):
        if out._data.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"[{', '.join(map(str, out.shape))}], which does not match the required output shape "
                          f"[{', '.join(map(str, result.shape))}]. This behavior is deprecated, and in a future "
                          "PyTorch release outputs will not be resized unless they have zero elements. You can "
                          "explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
                          "t.resize_(0).", UserWarning, stacklevel=3)
        out._data = B.empty(tuple(result.shape), dtype=out._data.dtype)
    _inplace._write(out, result)
    out._bump_version()
    return out


def _partially_overlap(a, b):
    """Whether two arrays share memory without being the same elements (``add(x, 1, out=x)`` is fine)."""
    if not B.shares_memory(a, b):
        return False
    same = (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.shape == b.shape and a.strides == b.strides)
    return not same
