"""Exact GELU, ``x Phi(x)``, and its backward, as two fused primitives (PyTorch's GeluBackward0 and
GeluBackwardBackward0).

The forward returns, beside ``x Phi(x)``, its slope ``Phi(x) + x phi(x)`` as a second output that
never requires grad: the backward is then one multiply, ``gelu_backward(g, x, slope) = g * slope``.
That primitive keeps ``x`` as an input its rule differentiates (the slope's own derivative is
``phi(x) (2 - x^2)``, written in ops for the orders above), and ``slope`` as one it never does.

On a large activation the passes over memory are the cost (each NumPy call is one pass; see
benchmarks/bench_special.py), so float32 has its own kernel that shares one ``exp`` between the
value and the slope: with ``a = |x|`` and ``phi(a) = exp(-a^2 / 2) / sqrt(2 pi)``, the upper tail
is ``1 - Phi(a) = phi(a) m(a)``, where Mills' ratio ``m`` is smooth on ``[0, inf)`` and close to a
(2, 3) rational in ``a`` (evaluated as a continued fraction). Then
``Phi(x) = 1/2 + sign(x) (1/2 - phi(a) m(a))``; the sign is copied from x's bit pattern (two
integer passes, cheaper than NumPy's sign or copysign).
"""
from .._backend import B
from ._registry import primitive, Joint, ELEMENTWISE
from . import _vmap_rules as V
from .elementwise import exp, elementwise, _erf_impl

_SQRT_HALF = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327

# m(a) ~ (P2 a^2 + P1 a + P0) / (a^3 + Q2 a^2 + Q1 a + Q0), fitted on [0, 6] to the absolute
# error of the tail phi(a) m(a) (linear least squares with Lawson's reweighting towards minimax,
# against SciPy's float64 erfcx; tools/fit_gelu32.py prints these constants): 6e-8 before float32
# rounding, so that Phi is within 2.2e-7 of the exact value and the slope within 2.4e-7 after it.
# It is evaluated as the continued fraction the Euclidean algorithm gives,
#     m(a) = S / (a + B + K2 / (a + D + K1 / (a + E))),
# nine passes where Horner's rule and a division take ten and a cap on a: at a = inf every level
# is inf and the tail is 0 / inf = 0 (gelu(inf) = inf, gelu(-inf) = nan and the slope at +-inf
# nan, as PyTorch's). The innermost level has a pole at a = -E, which IEEE arithmetic passes
# through (K1 / 0 = inf, then K2 / inf = 0: the rational's value there); the outer denominators
# never vanish on [0, inf).
_E, _K1, _D, _K2, _B, _S = (B.float32(c) for c in (
    -3.7590770235048403, 46.38495683070703, 9.06564647439239, -1.6539793254439585, 0.306611667116095,
    1.0174750377482251))
_LOG_INV_SQRT_2PI = B.float32(-0.9189385332046727)
_HALF = B.float32(0.5)
_SIGN_BIT = B.int32(-2 ** 31)


def _gelu32(x):
    """(x Phi(x), Phi(x) + x phi(x)) of a flat float32 array; every step after the first few in place."""
    phi = B.multiply(x, B.float32(_SQRT_HALF))
    B.square(phi, out=phi)
    B.subtract(_LOG_INV_SQRT_2PI, phi, out=phi)
    B.exp(phi, out=phi)                                  # phi(x) = exp(log(1/sqrt(2 pi)) - x^2/2)
    a = B.abs(x)
    with B.errstate(divide="ignore", invalid="ignore"):  # (the pole, and inf / inf at x = +-inf)
        tail = B.add(a, _E)
        B.divide(_K1, tail, out=tail)
        tail += a
        tail += _D
        B.divide(_K2, tail, out=tail)
        tail += a
        tail += _B
        B.divide(phi, tail, out=tail)
    tail *= _S                                           # 1 - Phi(|x|) = phi(x) m(|x|)
    cdf = B.subtract(_HALF, tail, out=tail)              # |Phi(x) - 1/2|, then with x's sign
    sign = B.bitwise_and(x.view(B.int32), _SIGN_BIT, out=a.view(B.int32))
    B.bitwise_or(cdf.view(B.int32), sign, out=cdf.view(B.int32))
    cdf += _HALF                                         # Phi(x)
    with B.errstate(invalid="ignore"):                   # +-inf * 0: nan, as PyTorch's, silently
        out = B.multiply(x, cdf, out=a)                  # (gelu(-inf) and the slope at +-inf)
        phi *= x
    phi += cdf                                           # Phi(x) + x phi(x)
    return out, phi


def _gelu64(x):
    """The same pair for float64, from SciPy's erf."""
    cdf = _erf_impl(B.multiply(x, _SQRT_HALF))
    cdf += 1.0
    cdf *= 0.5
    with B.errstate(invalid="ignore"):
        out = B.multiply(x, cdf)
    slope = B.multiply(x, x)
    slope *= -0.5
    B.exp(slope, out=slope)
    slope *= _INV_SQRT_2PI
    with B.errstate(invalid="ignore"):
        slope *= x
    slope += cdf
    return out, slope


def _gelu_impl(x):
    shape = x.shape   # (flat: the steps write in place, which a 0-dim result of NumPy cannot)
    x = x.reshape(-1)
    if x.dtype == B.float32:
        out, slope = _gelu32(x)
    elif x.dtype == B.float16:
        out, slope = (y.astype(B.float16) for y in _gelu32(x.astype(B.float32)))
    else:
        out, slope = _gelu64(x)
    return out.reshape(shape), slope.reshape(shape)


def _gelu_curvature(x):
    """The slope's derivative phi(x) (2 - x^2), in ops (for the orders above the second)."""
    return exp(x * x * -0.5) * (2.0 - x * x) * _INV_SQRT_2PI


def _batch_gelu(prim, values, bdims, params, size):
    return prim.bind((V.to_front(values[0], bdims[0]),), params), (0, 0)


gelu_backward = elementwise("gelu_backward", lambda grad, x, slope: B.multiply(grad, slope),
                            inputs="grad x slope", out_dtype="float", grad_name="GeluBackwardBackward0",
                            vjp=(lambda g, x, slope: gelu_backward(g, x, slope),
                                 lambda g, grad, x: g * grad * _gelu_curvature(x),
                                 None))
gelu_ = primitive("gelu", _gelu_impl, out_dtype="float", outputs=2, nondiff_outputs=(1,), grad_name="GeluBackward0",
                  vjp=Joint(lambda g, x, ans: (gelu_backward(g[0], x, ans[1]),)),
                  jvp=lambda primals, tangents, params, outputs: (gelu_backward(tangents[0], primals[0], outputs[1]),
                                                                  None),
                  batch=_batch_gelu, sparsity=ELEMENTWISE)


def gelu(x):
    """Exact GELU of a Tensor: ``x * Phi(x)`` (the first output of the primitive)."""
    return gelu_.bind((x,), {})[0]
