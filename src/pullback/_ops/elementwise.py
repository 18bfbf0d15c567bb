"""Elementwise primitives: arithmetic, math functions, comparisons.

Each rule reads like the math; ``g`` is the cotangent, ``ans`` the output. Inputs broadcast
against each other; the engine sums every cotangent back to its input's shape.
"""
import math

from .._backend import B
from .. import _dtype as D
from ._registry import primitive, zero_cotangent, broadcast_shape, ELEMENTWISE, LINEAR, ALL_BATCHED
from ._rules import is_tensor

LN2 = math.log(2.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def not_implemented(kernel, dtype):
    """PyTorch's error for a kernel with no loop for ``dtype`` (a pullback or NumPy dtype)."""
    dtype = D._FROM_NP.get(dtype, dtype)
    return NotImplementedError(f'"{kernel}" not implemented for \'{dtype._tensor_type[:-len("Tensor")]}\'')


def elementwise(name, impl, **declaration):
    """Declares an elementwise primitive (see ``Primitive``): each input's Jacobian is diagonal after
    broadcasting, so its JVP is its VJP rules applied to the tangents, and under vmap the inputs'
    batch dims go to the front and broadcasting does the rest (ELEMENTWISE for both rules)."""
    jvp = ELEMENTWISE if declaration.get("vjp") is not None else None
    return primitive(name, impl, jvp=jvp, batch=ELEMENTWISE, **declaration)


# ------------------------------------------------------------------ arithmetic
neg = elementwise("neg", B.negative, vjp=lambda g: -g)
add = elementwise("add", lambda x, y, alpha=1: B.add(x, y) if alpha == 1 else B.add(x, B.multiply(y, alpha)),
                  inputs="x y", broadcasting=True,
                  vjp=(lambda g: g,
                       lambda g, alpha: g if alpha == 1 else g * alpha))
sub = elementwise("sub", lambda x, y, alpha=1: B.subtract(x, y) if alpha == 1 else B.subtract(x, B.multiply(y, alpha)),
                  inputs="x y", broadcasting=True, grad_name=lambda p, s: "RsubBackward1" if s[0] is None else "SubBackward0",
                  vjp=(lambda g: g,
                       lambda g, alpha: -g if alpha == 1 else g * -alpha))
mul = elementwise("mul", B.multiply, inputs="x y", broadcasting=True,
                  vjp=(lambda g, y: g * y,
                       lambda g, x: g * x))
div = elementwise("div", B.true_divide, inputs="x y", broadcasting=True, out_dtype="float",
                  vjp=(lambda g, y: g / y,
                       lambda g, x, y: -g * x / (y * y)))

# What a compiled step may call instead (the same NumPy call, without the wrapper around it).
add.impl._replays_as = (B.add, lambda alpha=1: alpha == 1)
sub.impl._replays_as = (B.subtract, lambda alpha=1: alpha == 1)
mul.rules[0]._replays_as = mul.rules[1]._replays_as = (B.multiply, None)
div.rules[0]._replays_as = (B.true_divide, None)


def _check_integer_divisor(x, y, kernel):
    """PyTorch has no kernel for bool operands, and refuses integer division (and remainder) by zero,
    where NumPy gives 0 (x and y: integers or bools), after it broadcasts the operands, and where a
    zero divides something."""
    dt = B.result_type(x, y)
    if dt.kind == "b":
        raise not_implemented(kernel, dt)
    if not B.all(y):
        if all(broadcast_shape((B.shape(x), B.shape(y)))):
            raise RuntimeError("ZeroDivisionError")


def _rounding_div_impl(x, y, rounding_mode):
    if B.result_type(x, y).kind in "iub":
        _check_integer_divisor(x, y, f"div_{rounding_mode}_cpu")
        if rounding_mode == "floor":
            return B.floor_divide(x, y)
    if rounding_mode == "floor":
        # NumPy's float floor_divide is PyTorch's formula ((x - fmod(x, y)) / y, then rounded), which
        # floor(x / y) is not for near-integer quotients (1.0 // 0.1 is 9.0).
        return B.floor_divide(x, y)
    q = B.true_divide(x, y)
    return B.trunc(q) if q.dtype.kind == "f" else q


def _remainder_impl(x, y):
    """x - floor(x / y) * y with the sign of y, computed as PyTorch does: from fmod, so a zero
    remainder keeps the sign of fmod's (x's) zero where NumPy's takes y's."""
    if B.result_type(x, y).kind in "iub":
        _check_integer_divisor(x, y, "remainder_cpu")
        return B.remainder(x, y)
    mod = B.fmod(x, y)
    return B.where((mod != 0) & ((B.asarray(y) < 0) != (mod < 0)), mod + y, mod)


def _fmod_impl(x, y):
    if B.result_type(x, y).kind in "iub":
        _check_integer_divisor(x, y, "fmod_cpu")
    return B.fmod(x, y)


def _rounding_div_dtype(args, params):
    dt = D.result_type(*args)
    return dt, dt


div_rounding = elementwise("div_rounding", _rounding_div_impl, inputs="x y", broadcasting=True,
                           out_dtype=_rounding_div_dtype, grad_name="DivBackward2",
                           vjp=(zero_cotangent, zero_cotangent))
def _no_floor_divide_derivative(g):
    raise RuntimeError("derivative for aten::floor_divide is not implemented")


# floor_divide has no derivative in PyTorch (div(rounding_mode="floor") has a zero one): its backward raises.
floor_divide = elementwise("floor_divide", lambda x, y: _rounding_div_impl(x, y, "floor"),
                           inputs="x y", broadcasting=True, grad_name="NotImplemented",
                           vjp=(_no_floor_divide_derivative, _no_floor_divide_derivative))
remainder = elementwise("remainder", _remainder_impl, inputs="x y", broadcasting=True,
                        grad_name=lambda p, s: "RemainderBackward0" if s[1] is None else "RemainderBackward1",
                        vjp=(lambda g: g,
                             lambda g, x, y: -g * floor(x / y)))
fmod = elementwise("fmod", _fmod_impl, inputs="x y", broadcasting=True,
                   grad_name=lambda p, s: "FmodBackward0" if s[1] is None else "FmodBackward1",
                   vjp=(lambda g: g,
                        lambda g, x, y: -g * trunc(x / y)))


def _pow_impl(x, y):
    try:
        return B.power(x, y)
    except ValueError:  # NumPy refuses integer arrays to negative integer powers; PyTorch does not
        return _integer_pow_negative(x, y)


def _integer_pow_negative(x, y):
    # PyTorch's integer x ** y for y < 0: 1 ** y is 1, (-1) ** y is +-1 by parity, all else 0.
    x, y = B.broadcast_arrays(x, y)
    unit = B.where(x == 1, 1, B.where(x == -1, B.where(y % 2 == 0, 1, -1), 0))
    return B.where(y < 0, unit, B.power(x, B.maximum(y, 0))).astype(B.result_type(x, y), copy=False)


def _pow_dtype(args, params):
    x, y = args
    dt = D.result_type(x, y)
    if dt.category < 2:
        if dt.category == 1 and not is_tensor(y) and y < 0 and isinstance(y, int):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if dt.category == 0 and is_tensor(y):  # bool ** Python bool is PyTorch's only bool power
            raise not_implemented("pow", dt)
    return dt, dt


def _pow_grad_x(g, x, y):
    if not is_tensor(y) and not hasattr(y, "shape"):
        return g * 0 if y == 0 else g * y * x ** (y - 1)
    if y.dtype == B.bool_ or y.dtype is D.bool:  # PyTorch's formula subtracts 1 from the exponent tensor
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    # The derivative of x**0 is 0 everywhere, also at x == 0 where y * x**(y-1) is nan.
    return where(y == 0, 0.0, g * y * x ** (y - 1))


def _pow_grad_y(g, x, ans):
    # d/dy x**y = x**y log x; PyTorch takes it as 0 where x == 0 (the limit from y > 0).
    if not is_tensor(x) and not hasattr(x, "shape"):
        return g * ans * math.log(x) if x > 0 else g * ans * 0
    return where(x == 0, 0.0, g * ans * log(x))


def _pow_name(params, shapes):
    if shapes[1] is None:
        return "PowBackward0"
    if shapes[0] is None:
        return "PowBackward2"
    return "PowBackward1"


pow = elementwise("pow", _pow_impl, inputs="x y", broadcasting=True, out_dtype=_pow_dtype,  # noqa: A001
                  keeps_float_dtype=True, grad_name=_pow_name, vjp=(_pow_grad_x, _pow_grad_y))

def _atan2_grad_y(g, x, y):
    if x.dtype == B.bool_ or x.dtype is D.bool:  # PyTorch's formula negates x
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return -g * x / (x * x + y * y)


atan2 = elementwise("atan2", B.arctan2, inputs="x y", broadcasting=True, out_dtype="float",
                    vjp=(lambda g, x, y: g * y / (x * x + y * y), _atan2_grad_y))


def _tie_split(x, y):
    # Where x == y the gradient is split evenly between the two, as PyTorch does.
    return (x > y) + (x == y) * 0.5


maximum = elementwise("maximum", B.maximum, inputs="x y", broadcasting=True,
                      vjp=(lambda g, x, y: g * _tie_split(x, y),
                           lambda g, x, y: g * _tie_split(y, x)))
minimum = elementwise("minimum", B.minimum, inputs="x y", broadcasting=True,
                      vjp=(lambda g, x, y: g * _tie_split(y, x),
                           lambda g, x, y: g * _tie_split(x, y)))


def _where_dtype(args, params):
    dt = D.result_type(args[1], args[2])
    return dt, dt


def _where_impl(c, x, y):
    return B.where(c.astype(bool, copy=False) if hasattr(c, "astype") else c, x, y)


where_ = elementwise("where", _where_impl, inputs="c x y", broadcasting=True, out_dtype=_where_dtype,
                     vjp=(None,
                          lambda g, c: where(c, g, 0.0),
                          lambda g, c: where(c, 0.0, g)))


def where(condition, x=None, y=None):
    """Returns elements of ``x`` where ``condition`` is True and of ``y`` elsewhere.

    With only ``condition``, returns the indices of its nonzero elements (``nonzero(as_tuple=True)``).
    """
    if x is None and y is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    return where_(condition, x, y)


def _lerp_impl(start, end, weight):
    return start + weight * (end - start)


lerp = elementwise("lerp", _lerp_impl, inputs="start end weight", broadcasting=True,
                   grad_name=lambda p, s: "LerpBackward0" if s[2] is None else "LerpBackward1",
                   vjp=(lambda g, weight: g * (1 - weight),
                        lambda g, weight: g * weight,
                        lambda g, start, end: g * (end - start)))

# ------------------------------------------------------------- unary functions
exp = elementwise("exp", B.exp, out_dtype="float", vjp=lambda g, ans: g * ans)
expm1 = elementwise("expm1", B.expm1, out_dtype="float", vjp=lambda g, ans: g * (ans + 1))
log = elementwise("log", B.log, out_dtype="float", vjp=lambda g, x: g / x)
log1p = elementwise("log1p", B.log1p, out_dtype="float", grad_name="Log1PBackward0",
                    vjp=lambda g, x: g / (x + 1))
log2 = elementwise("log2", B.log2, out_dtype="float", vjp=lambda g, x: g / (x * LN2))
log10 = elementwise("log10", B.log10, out_dtype="float", vjp=lambda g, x: g / (x * math.log(10.0)))
sqrt = elementwise("sqrt", B.sqrt, out_dtype="float", vjp=lambda g, ans: g / (ans * 2))
rsqrt = elementwise("rsqrt", lambda x: 1 / B.sqrt(x), out_dtype="float",
                    vjp=lambda g, ans: g * ans * ans * ans * -0.5)
sin = elementwise("sin", B.sin, out_dtype="float", vjp=lambda g, x: g * cos(x))
cos = elementwise("cos", B.cos, out_dtype="float", vjp=lambda g, x: -g * sin(x))
tan = elementwise("tan", B.tan, out_dtype="float", vjp=lambda g, ans: g * (ans * ans + 1))
asin = elementwise("asin", B.arcsin, out_dtype="float", vjp=lambda g, x: g * rsqrt(1 - x * x))
acos = elementwise("acos", B.arccos, out_dtype="float", vjp=lambda g, x: -g * rsqrt(1 - x * x))
atan = elementwise("atan", B.arctan, out_dtype="float", vjp=lambda g, x: g / (x * x + 1))
sinh = elementwise("sinh", B.sinh, out_dtype="float", vjp=lambda g, x: g * cosh(x))
cosh = elementwise("cosh", B.cosh, out_dtype="float", vjp=lambda g, x: g * sinh(x))
tanh = elementwise("tanh", B.tanh, out_dtype="float", vjp=lambda g, ans: g * (1 - ans * ans))


def _sigmoid_impl(x):
    # Two branches so that neither overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    e = B.exp(-B.abs(x))
    return B.where(x >= 0, 1 / (1 + e), e / (1 + e))


sigmoid = elementwise("sigmoid", _sigmoid_impl, out_dtype="float",
                      vjp=lambda g, ans: g * ans * (1 - ans))
# 1 where lo < x < hi, 0 elsewhere: the derivative of relu, leaky_relu, hardtanh. Its own VJP is
# zero, but it keeps x in the graph, so a parameter feeding x gets a zero gradient rather than
# None in a second-order pass, exactly as PyTorch's threshold_backward does.
def _interval_mask_impl(x, lo, hi):
    if hi == math.inf:
        return x > lo
    if lo == -math.inf:
        return x < hi
    return (x > lo) & (x < hi)


interval_mask = elementwise("interval_mask", _interval_mask_impl, out_dtype="keep",
                            grad_name="ThresholdBackwardBackward0", vjp=zero_cotangent)
def _relu_vjp(g, ans):
    if type(g) is B.ndarray:  # no create_graph: the mask directly (the op table checks both paths)
        return g * (ans > 0)
    return g * interval_mask(ans, lo=0.0, hi=math.inf)


relu = elementwise("relu", lambda x: B.maximum(x, 0), out_dtype="keep", vjp=_relu_vjp)


def _erf_impl(x):
    if x.dtype == B.float32:
        return _erf32(x)
    if x.dtype == B.float16:
        return _erf32(x.astype(B.float32)).astype(B.float16)
    import scipy.special  # (lazily: `import pullback` stays fast)
    return scipy.special.erf(x)


# erf in float32 is x P(x^2) / Q(x^2), a (5, 5) rational fitted to erf(x) / x on [0, 3.9] (least
# squares on relative error, with Lawson's reweighting towards minimax, against SciPy's float64 erf):
# 2e-8 relative error before float32 rounding, within a few ulp after it (SciPy's float32 erf is a
# scalar loop in float64, ~5x slower). Beyond 3.9 float32's erf is +-1 (the clip also takes inf).
# It runs in cache-sized blocks, each step in place.
_ERF32_P = tuple(B.float32(c) for c in (1.1283791462288184, 0.19040183816708553, 0.05274812016277827,
                                        0.0037654238064912513, 0.000284879260036322, 2.0501323942739237e-06))
_ERF32_Q = tuple(B.float32(c) for c in (1.0, 0.5020719774252431, 0.11410720736961165, 0.014968825536287712,
                                        0.0011624905391914796, 3.8092005506430903e-05))
_ERF32_CLIP = B.float32(3.9)
_ERF32_BLOCK = 32768


def _erf32(x):
    flat = B.ascontiguousarray(x).reshape(-1)
    out = B.empty(flat.shape, B.float32)
    p, q = _ERF32_P, _ERF32_Q
    buffers = B.empty((4, min(_ERF32_BLOCK, flat.size)), B.float32)
    for start in range(0, flat.size, _ERF32_BLOCK):
        block = flat[start:start + _ERF32_BLOCK]
        xc, t, num, den = buffers[:, :block.size]
        B.clip(block, -_ERF32_CLIP, _ERF32_CLIP, out=xc)
        B.multiply(xc, xc, out=t)
        B.multiply(t, p[5], out=num)
        B.multiply(t, q[5], out=den)
        for k in (4, 3, 2, 1):
            num += p[k]
            num *= t
            den += q[k]
            den *= t
        num += p[0]
        den += q[0]
        num *= xc
        B.divide(num, den, out=num)
        B.clip(num, -1.0, 1.0, out=out[start:start + block.size])  # (rounding may reach 1 + 1 ulp near 3.9)
    return out.reshape(x.shape)


def _erf_slope_impl(x):
    # 2 / sqrt(pi) exp(-x^2), in place after the first step (the backward of GELU runs this).
    out = B.asarray(B.multiply(x, x))  # (an array even for a 0-dim x, so that the steps below write in place)
    B.negative(out, out=out)
    B.exp(out, out=out)
    out *= B.asarray(TWO_OVER_SQRT_PI, dtype=out.dtype)
    return out


# erf's derivative, one primitive (its own derivative is -2x times itself, for higher orders)
erf_slope = elementwise("erf_slope", _erf_slope_impl, out_dtype="float",
                        vjp=lambda g, x, ans: g * ans * x * -2.0)
erf = elementwise("erf", _erf_impl, out_dtype="float", vjp=lambda g, x: g * erf_slope(x))


def _softplus_impl(x, beta, threshold):
    bx = x * beta
    # log1p(exp(bx)) computed without overflow; linear above the threshold, as PyTorch does.
    soft = (B.maximum(bx, 0) + B.log1p(B.exp(-B.abs(bx)))) / beta
    return B.where(bx > threshold, x, soft).astype(x.dtype, copy=False)


softplus_ = elementwise("softplus", _softplus_impl, out_dtype="float",
                        vjp=lambda g, x, beta, threshold: where(x * beta > threshold, g,
                                                                g * sigmoid(x * beta)))
abs = elementwise("abs", B.abs, out_dtype="keep", vjp=lambda g, x: g * sign(x))  # noqa: A001


def _sign_impl(x):
    """NumPy's sign, except that PyTorch's sign of NaN is 0."""
    out = B.sign(x)
    if out.dtype.kind != "f":
        return out
    return B.nan_to_num(out, copy=type(out) is not B.ndarray, nan=0.0)  # a 0-dim input gives a NumPy scalar


sign = elementwise("sign", _sign_impl, out_dtype="keep", vjp=zero_cotangent)
floor = elementwise("floor", lambda x: B.floor(x) if x.dtype.kind == "f" else x.copy(),
                    out_dtype="keep", vjp=zero_cotangent)
ceil = elementwise("ceil", lambda x: B.ceil(x) if x.dtype.kind == "f" else x.copy(),
                   out_dtype="keep", vjp=zero_cotangent)
trunc = elementwise("trunc", lambda x: B.trunc(x) if x.dtype.kind == "f" else x.copy(),
                    out_dtype="keep", vjp=zero_cotangent)
round_ = elementwise("round", lambda x, decimals=0: B.round(x, decimals), out_dtype="keep",
                     vjp=zero_cotangent)
frac = elementwise("frac", lambda x: x - B.trunc(x), out_dtype="keep", vjp=lambda g: g)
reciprocal = elementwise("reciprocal", lambda x: 1 / x, out_dtype="float",
                         vjp=lambda g, ans: -g * ans * ans)


def _clamp_impl(x, min, max):
    if min is not None:
        x = B.maximum(x, min)
    if max is not None:
        x = B.minimum(x, max)
    return x


def _clamp_mask(x, min, max):
    if min is None:
        return x <= max
    if max is None:
        return x >= min
    return (x >= min) * (x <= max)


clamp_scalar = elementwise("clamp", _clamp_impl, grad_name="ClampBackward1",
                           vjp=lambda g, x, min, max: g * _clamp_mask(x, min, max))

# --------------------------------------------------------------- dtype and copies
to_dtype = primitive("to_dtype", lambda x, dtype: x.astype(dtype.np),
                     out_dtype=lambda args, params: (None, params["dtype"]),
                     grad_name="ToCopyBackward0",
                     vjp=lambda g, x_dtype: to_dtype(g, dtype=x_dtype), jvp=LINEAR, batch=ELEMENTWISE)
clone = primitive("clone", lambda x: x.copy(), out_dtype="keep", vjp=lambda g: g, jvp=LINEAR, batch=ELEMENTWISE)
# Writes `src` (broadcast) over all of x: the out-of-place form of copy_ and fill_.
overwrite = primitive("overwrite", lambda x, src: B.broadcast_to(B.asarray(src, dtype=x.dtype), x.shape).copy(),
                      inputs="x src", out_dtype="keep", grad_name="CopyBackwards",
                      vjp=(zero_cotangent, lambda g: g), jvp=LINEAR, batch=ALL_BATCHED)

# ------------------------------------------------------ comparisons and logic
eq = elementwise("eq", B.equal, inputs="x y", broadcasting=True, out_dtype="bool")
ne = elementwise("ne", B.not_equal, inputs="x y", broadcasting=True, out_dtype="bool")
lt = elementwise("lt", B.less, inputs="x y", broadcasting=True, out_dtype="bool")
le = elementwise("le", B.less_equal, inputs="x y", broadcasting=True, out_dtype="bool")
gt = elementwise("gt", B.greater, inputs="x y", broadcasting=True, out_dtype="bool")
ge = elementwise("ge", B.greater_equal, inputs="x y", broadcasting=True, out_dtype="bool")
logical_and = elementwise("logical_and", B.logical_and, inputs="x y", broadcasting=True, out_dtype="bool")
logical_or = elementwise("logical_or", B.logical_or, inputs="x y", broadcasting=True, out_dtype="bool")
logical_xor = elementwise("logical_xor", B.logical_xor, inputs="x y", broadcasting=True, out_dtype="bool")
logical_not = elementwise("logical_not", B.logical_not, out_dtype="bool")
isnan = elementwise("isnan", B.isnan, out_dtype="bool")
isinf = elementwise("isinf", B.isinf, out_dtype="bool")
isfinite = elementwise("isfinite", B.isfinite, out_dtype="bool")


def _bitwise_kernel(name, ufunc):
    """``ufunc``, refusing floating operands with PyTorch's error (NumPy raises its TypeError)."""
    def kernel(x, y):
        try:
            return ufunc(x, y)
        except TypeError:
            broadcast_shape((B.shape(x), B.shape(y)))  # torch's shape error comes first
            dtype_name = D._FROM_NP[B.result_type(x, y)]._tensor_type[:-len("Tensor")]
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{dtype_name}\'') from None
    return kernel


bitwise_and = elementwise("bitwise_and", _bitwise_kernel("bitwise_and", B.bitwise_and), inputs="x y",
                          broadcasting=True)
bitwise_or = elementwise("bitwise_or", _bitwise_kernel("bitwise_or", B.bitwise_or), inputs="x y", broadcasting=True)
bitwise_xor = elementwise("bitwise_xor", _bitwise_kernel("bitwise_xor", B.bitwise_xor), inputs="x y",
                          broadcasting=True)
bitwise_not = elementwise("bitwise_not", lambda x: B.logical_not(x) if x.dtype == bool else B.invert(x),
                          out_dtype="keep")
