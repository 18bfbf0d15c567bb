"""Fused, numerically stable softmax and log_softmax.

Both are primitives (not compositions of exp and sum) because the stable forward subtracts the
max, and their VJPs have short closed forms that are themselves written in pullback ops.
"""
from .._backend import B
from ._registry import primitive
from .reduction import _sum
from .elementwise import exp


def _softmax_impl(x, axis):
    e = B.exp(x - B.amax(x, axis=axis, keepdims=True))
    return e / B.sum(e, axis=axis, keepdims=True)


def _log_softmax_impl(x, axis):
    shifted = x - B.amax(x, axis=axis, keepdims=True)
    return shifted - B.log(B.sum(B.exp(shifted), axis=axis, keepdims=True))


softmax_ = primitive("softmax", _softmax_impl, out_dtype="float",
                     vjp=lambda g, ans, axis: ans * (g - _sum(g * ans, axis=(axis,), keepdim=True)))
log_softmax_ = primitive("log_softmax", _log_softmax_impl, out_dtype="float",
                         vjp=lambda g, ans, axis: g - exp(ans) * _sum(g, axis=(axis,), keepdim=True))
