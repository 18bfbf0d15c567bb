"""Fused, numerically stable softmax and log_softmax.

Both are primitives (not compositions of exp and sum) because the stable forward subtracts the
max, and their VJPs have short closed forms that are themselves written in pullback ops.
"""
import math

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


# ------------------------------------------------------------------ activations
def _where_positive(x, a, b):
    from .elementwise import where
    return where(x > 0, a, b)


def _leaky_relu_vjp(g, x, slope):
    from .elementwise import interval_mask
    return g * (interval_mask(x, lo=0.0, hi=math.inf) * (1 - slope) + slope)


leaky_relu_ = primitive("leaky_relu", lambda x, slope: B.where(x > 0, x, x * slope), out_dtype="float",
                        vjp=_leaky_relu_vjp)
elu_ = primitive("elu", lambda x, alpha: B.where(x > 0, x, alpha * B.expm1(B.minimum(x, 0))), out_dtype="float",
                 vjp=lambda g, x, ans, alpha: _where_positive(x, g, g * (ans + alpha)))
hardtanh_ = primitive("hardtanh", lambda x, lo, hi: B.clip(x, lo, hi), out_dtype="float",
                      vjp=lambda g, x, lo, hi: g * _interval(x, lo, hi))


def _interval(x, lo, hi):
    from .elementwise import interval_mask
    return interval_mask(x, lo=lo, hi=hi)


def _pad_impl(x, widths, value):
    return B.pad(x, widths, constant_values=value)


def _unpad(g, widths):
    from .indexing import getitem
    index = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(widths))
    return getitem(g, index=index, basic=True)


pad_ = primitive("constant_pad", _pad_impl, out_dtype="keep", grad_name="ConstantPadNdBackward0",
                 vjp=lambda g, widths: _unpad(g, widths))


# ------------------------------------------------------------------ nll loss
def _nll_impl(logp, target, weights, reduction, total_weight):
    # logp (N, C, ...), target (N, ...) class indices made safe, weights (N, ...): the class
    # weight of each target, 0 where ignored.
    picked = B.take_along_axis(logp, target[:, None], axis=1)[:, 0]
    loss = -picked * weights
    if reduction == "mean":
        return loss.sum() / total_weight
    if reduction == "sum":
        return loss.sum()
    return loss


def _nll_vjp(g, logp_shape, target, weights, reduction, total_weight):
    from .elementwise import mul
    from .indexing import put_along
    from .shape import unsqueeze
    scale = -weights / total_weight if reduction == "mean" else -weights
    per_element = mul(g, scale.astype(weights.dtype))
    return put_along(unsqueeze(per_element, 1), target[:, None], axis=1, shape=tuple(logp_shape))


nll_loss_ = primitive("nll_loss", _nll_impl, inputs="logp", out_dtype="keep", grad_name="NllLossBackward0",
                      vjp=lambda g, logp_shape, target, weights, reduction, total_weight:
                          _nll_vjp(g, logp_shape, target, weights, reduction, total_weight))
