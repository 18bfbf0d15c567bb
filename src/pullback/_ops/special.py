"""The special family: special functions (torch.special and the elementwise functions of SciPy's
special module), and the elementwise math functions PyTorch has beside them.

The forwards call SciPy's ufuncs (imported inside the impl, so that ``import pullback`` stays
fast) or NumPy's; every VJP is written in pullback's own ops, so gradients of gradients come free.
Each public function checks its input, refuses the dtypes PyTorch's kernels refuse (with PyTorch's
error), and binds one primitive.
"""
import collections
import math

from .._backend import B
from .. import _dtype as D
from ._registry import primitive, zero_cotangent, Joint, ELEMENTWISE, refuse_batched
from ._rules import is_tensor
from ._api import public
from . import elementwise as E
from .elementwise import elementwise, not_implemented
from .functions import _invalid_combination, float_power, nansum, sum as sum_
from .shape import unsqueeze
from .._creation import arange, ones_like
from .._tensor import Tensor

SQRT_PI = math.sqrt(math.pi)
SQRT_2PI = math.sqrt(2.0 * math.pi)
SQRT1_2 = math.sqrt(0.5)


def _scipy(name):
    """The forward of SciPy's ufunc ``scipy.special.<name>`` (SciPy imported when it first runs)."""
    def impl(*xs):
        import scipy.special
        return getattr(scipy.special, name)(*xs)
    impl.__name__ = f"_{name}_impl"
    return impl


# ------------------------------------------------------------- error function and normal law
erfc = elementwise("erfc", _scipy("erfc"), out_dtype="float",
                   vjp=lambda g, x: g * E.exp(-x * x) * -E.TWO_OVER_SQRT_PI)
erfinv = elementwise("erfinv", _scipy("erfinv"), out_dtype="float",
                     vjp=lambda g, ans: g * E.exp(ans * ans) * (SQRT_PI / 2))
erfcx = elementwise("erfcx", _scipy("erfcx"), out_dtype="float", grad_name="SpecialErfcxBackward0",
                    vjp=lambda g, x, ans: g * (x * ans * 2 - E.TWO_OVER_SQRT_PI))
# torch's ndtr is a composite (its backward is a MulBackward1, of 0.5 * erfc(-x / sqrt 2)).
ndtr = elementwise("ndtr", _scipy("ndtr"), out_dtype="float", grad_name="MulBackward1",
                   vjp=lambda g, x: g * E.exp(x * x * -0.5) * (1 / SQRT_2PI))
ndtri = elementwise("ndtri", _scipy("ndtri"), out_dtype="float", grad_name="SpecialNdtriBackward0",
                    vjp=lambda g, ans: g * E.exp(ans * ans * 0.5) * SQRT_2PI)
log_ndtr = elementwise("log_ndtr", _scipy("log_ndtr"), out_dtype="float", grad_name="SpecialLogNdtrBackward0",
                       vjp=lambda g, x, ans: g * E.exp(x * x * -0.5 - ans) * (1 / SQRT_2PI))


# ------------------------------------------------------------------- public functions
def _check_tensor(x, fn, arg="input", pos=1):
    if not is_tensor(x):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _written(out, result, fn, inputs):
    if out is None:
        return result
    from .._out import write_out  # (_out sits above the ops: it imports Tensor)
    return write_out(out, result, fn, inputs)


def _unary(prim, torch_name, doc, refused=None, kernel=None):
    """The public function of a unary primitive: ``fn(input, *, out=None)``. ``refused``: the dtypes
    PyTorch's kernel ``kernel`` has no loop for (its NotImplementedError)."""
    error_name = torch_name.replace(".", "_")  # torch names torch.special.ndtr "special_ndtr" in errors

    def fn(input, *, out=None):
        _check_tensor(input, error_name)
        if refused and input.dtype in refused:
            raise not_implemented(kernel, input.dtype)
        return _written(out, prim.bind((input,), {}), error_name, (input,))
    fn.__name__ = fn.__qualname__ = torch_name.rpartition(".")[2]
    fn.__doc__ = doc
    return fn


def _doc(what, name, example="[0.5, 1.0]"):
    return f"""Returns {what}, elementwise (integer and bool inputs give the default float dtype).

    Args:
        input (Tensor): the input.
        out (Tensor, optional): the Tensor to write the result into.

    Example::

        >>> pullback.{name}(pullback.tensor({example}))
    """


_HALF = (D.float16,)

public(("erfc", "special.erfc"), method=True, inplace=True)(
    _unary(erfc, "erfc", _doc("the complementary error function 1 - erf(x)", "erfc")))
public(("erfinv", "special.erfinv"), method=True, inplace=True)(
    _unary(erfinv, "erfinv", _doc("the inverse error function (on [-1, 1])", "erfinv", "[0.5, -0.25]")))
public("special.erfcx")(
    _unary(erfcx, "special.erfcx", _doc("the scaled complementary error function exp(x^2) * erfc(x)",
                                        "special.erfcx"), _HALF, "erfcx_cpu"))
public("special.ndtr")(
    _unary(ndtr, "special.ndtr", _doc("the standard normal distribution function (1 + erf(x / sqrt 2)) / 2",
                                      "special.ndtr")))
public("special.ndtri")(
    _unary(ndtri, "special.ndtri", _doc("the inverse of the standard normal distribution function",
                                        "special.ndtri", "[0.5, 0.975]"), _HALF, "ndtri_cpu"))
public("special.log_ndtr")(
    _unary(log_ndtr, "special.log_ndtr", _doc("the log of the standard normal distribution function",
                                              "special.log_ndtr"), _HALF, "log_ndtr_cpu"))


# ============================================================ elementwise math functions
def _float_only(kernel):
    """An out_dtype rule for kernels PyTorch has only floating loops for: ints and bools refused
    (its NotImplementedError naming ``kernel``), floats promoted."""
    def rule(args, params):
        dt = D.result_type(*args)
        if not dt.is_floating_point:
            raise not_implemented(kernel, dt)
        return dt, dt
    return rule


def _integer_only(kernel):
    """An out_dtype rule for kernels PyTorch has only integer loops for (bools and floats refused)."""
    def rule(args, params):
        dt = D.result_type(*args)
        if dt.category != 1:
            raise not_implemented(kernel, dt)
        return dt, dt
    return rule


DEG = math.pi / 180.0
LN2 = math.log(2.0)

acosh = elementwise("acosh", B.arccosh, out_dtype="float", vjp=lambda g, x: g * E.rsqrt(x * x - 1))
asinh = elementwise("asinh", B.arcsinh, out_dtype="float", vjp=lambda g, x: g * E.rsqrt(x * x + 1))
atanh = elementwise("atanh", B.arctanh, out_dtype="float", vjp=lambda g, x: g / (1 - x * x))
deg2rad = elementwise("deg2rad", lambda x: x * B.asarray(DEG, dtype=x.dtype), out_dtype="float",
                      grad_name="Deg2RadBackward0", vjp=lambda g: g * DEG)
rad2deg = elementwise("rad2deg", lambda x: x * B.asarray(1 / DEG, dtype=x.dtype), out_dtype="float",
                      grad_name="Rad2DegBackward0", vjp=lambda g: g * (1 / DEG))
exp2 = elementwise("exp2", B.exp2, out_dtype="float", vjp=lambda g, ans: g * ans * LN2)


def _sinc_grad(g, x):
    # d/dx sin(pi x) / (pi x) = (pi x cos(pi x) - sin(pi x)) / (pi x^2); 0 at x == 0.
    px = x * math.pi
    safe = E.where_(x == 0, 1.0, x)
    d = (px * E.cos(px) - E.sin(px)) / (safe * safe * math.pi)
    # At 0 the slope is 0; written as x * sinc''(0) (= -pi^2 / 3 x) so that second order is exact there.
    return g * E.where_(x == 0, x * (-math.pi ** 2 / 3), d)


sinc = elementwise("sinc", B.sinc, out_dtype="float", vjp=_sinc_grad)


def _logit_impl(x, eps):
    if eps is not None:
        x = B.clip(x, eps, 1 - eps)
    return B.log(x / (1 - x))


def _logit_grad(g, x, eps):
    d = g / (x * (1 - x))
    if eps is None:
        return d
    return E.where_(E.logical_or(x < eps, x > 1 - eps), 0.0, d)


logit_ = elementwise("logit", _logit_impl, out_dtype="float", vjp=_logit_grad)


def _sgn_impl(x):
    if x.dtype.kind == "b":
        return x.copy()
    return E._sign_impl(x)


sgn = elementwise("sgn", _sgn_impl, out_dtype="keep", vjp=zero_cotangent)
signbit = elementwise("signbit", lambda x: B.signbit(x) if x.dtype.kind != "b" else B.zeros(x.shape, bool),
                      out_dtype="bool")
isposinf = elementwise("isposinf", lambda x: B.isposinf(x) if x.dtype.kind == "f" else B.zeros(x.shape, bool),
                       out_dtype="bool")
isneginf = elementwise("isneginf", lambda x: B.isneginf(x) if x.dtype.kind == "f" else B.zeros(x.shape, bool),
                       out_dtype="bool")


def _nan_to_num_impl(x, nan, posinf, neginf):
    if x.dtype.kind != "f":
        return x.copy()
    return B.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


nan_to_num_ = elementwise("nan_to_num", _nan_to_num_impl, out_dtype="keep",
                         vjp=lambda g, x: g * E.isfinite(x))


def _frexp_impl(x):
    mantissa, exponent = B.frexp(x)
    return mantissa, exponent.astype(B.int32)


def _frexp_dtype(args, params):
    if not args[0].dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return None, None


def _batch_frexp(prim, values, bdims, params, size):
    return prim.bind((values[0],), params), (bdims[0], bdims[0])


# The mantissa is x / 2**exponent (the exponent piecewise constant): its gradient is g / 2**exponent.
frexp_ = primitive("frexp", _frexp_impl, out_dtype=_frexp_dtype, outputs=2, nondiff_outputs=(1,),
                  vjp=Joint(lambda g, ans: (g[0] / exp2(ans[1]),)),
                  jvp=lambda primals, tangents, params, outputs: (tangents[0] / exp2(outputs[1]), None),
                  batch=_batch_frexp, sparsity=ELEMENTWISE)

# ------------------------------------------------------------------------ binary
def _copysign_grad(g, x, ans):
    # ans = |x| sign(y): d/dx is ans / x, taken as 0 at x == 0, as PyTorch does.
    safe = E.where_(x == 0, 1.0, x)
    return g * E.where_(x == 0, 0.0, ans / safe)


copysign = elementwise("copysign", B.copysign, inputs="x y", broadcasting=True, out_dtype="float",
                       grad_name=lambda p, s: "CopysignBackward0" if s[1] is not None else "CopysignBackward1",
                       vjp=(_copysign_grad, zero_cotangent))


def _xlogy_grad_x(g, x, y):
    # d/dx x log y = log y; PyTorch takes it as 0 where x == 0 and y <= 0.
    return E.where_(E.logical_and(x == 0, y <= 0), 0.0, g * E.log(y))


def _xlog1py_grad_x(g, x, y):
    return E.where_(E.logical_and(x == 0, y <= -1), 0.0, g * E.log1p(y))


def _binary_name(base):
    """The backward's name of an op with Scalar overloads: ``Backward0`` of two Tensors,
    ``Backward1`` with a number as self, ``Backward2`` with a number as other."""
    return lambda p, s: base + ("Backward1" if s[0] is None else "Backward2" if s[1] is None else "Backward0")


xlogy = elementwise("xlogy", _scipy("xlogy"), inputs="x y", broadcasting=True, out_dtype="float",
                    grad_name=_binary_name("Xlogy"),
                    vjp=(_xlogy_grad_x, lambda g, x, y: g * x / y))
xlog1py = elementwise("xlog1py", _scipy("xlog1py"), inputs="x y", broadcasting=True, out_dtype="float",
                      grad_name=_binary_name("SpecialXlog1Py"),
                      vjp=(_xlog1py_grad_x, lambda g, x, y: g * x / (y + 1)))
hypot = elementwise("hypot", B.hypot, inputs="x y", broadcasting=True, out_dtype=_float_only("hypot_cpu"),
                    vjp=(lambda g, x, ans: g * x / ans, lambda g, y, ans: g * y / ans))
logaddexp = elementwise("logaddexp", B.logaddexp, inputs="x y", broadcasting=True,
                        out_dtype=_float_only("logaddexp_cpu"),
                        vjp=(lambda g, x, y: g / (E.exp(y - x) + 1), lambda g, x, y: g / (E.exp(x - y) + 1)))
logaddexp2 = elementwise("logaddexp2", B.logaddexp2, inputs="x y", broadcasting=True,
                         out_dtype=_float_only("logaddexp2_cpu"),
                         vjp=(lambda g, x, y: g / (exp2(y - x) + 1), lambda g, x, y: g / (exp2(x - y) + 1)))


def _heaviside_impl(x, values):
    out = B.where(x == 0, values, x > 0)
    return out.astype(B.result_type(x, values), copy=False)


def _no_heaviside_derivative(g):
    raise RuntimeError("derivative for aten::heaviside is not implemented")


def _heaviside_dtype(args, params):
    if args[0].dtype is not args[1].dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return None, None


heaviside = elementwise("heaviside", _heaviside_impl, inputs="x values", broadcasting=True, out_dtype=_heaviside_dtype,
                        grad_name="NotImplemented", vjp=(_no_heaviside_derivative, _no_heaviside_derivative))
nextafter = elementwise("nextafter", B.nextafter, inputs="x y", broadcasting=True,
                        out_dtype=_float_only("nextafter_cpu"), vjp=(lambda g: g, zero_cotangent))


def _fmax_grad(first):
    # The gradient goes to x where x >= y or y is NaN (ties go to x), to y elsewhere.
    def rule(g, x, y):
        to_x = E.logical_or(x >= y, E.isnan(y))
        return E.where_(to_x, g, 0.0) if first else E.where_(to_x, 0.0, g)
    return rule


def _fmin_grad(first):
    def rule(g, x, y):
        to_x = E.logical_or(x <= y, E.isnan(y))
        return E.where_(to_x, g, 0.0) if first else E.where_(to_x, 0.0, g)
    return rule


fmax = elementwise("fmax", B.fmax, inputs="x y", broadcasting=True, vjp=(_fmax_grad(True), _fmax_grad(False)))
fmin = elementwise("fmin", B.fmin, inputs="x y", broadcasting=True, vjp=(_fmin_grad(True), _fmin_grad(False)))
gcd = elementwise("gcd", B.gcd, inputs="x y", broadcasting=True, out_dtype=_integer_only("gcd_cpu"))
lcm = elementwise("lcm", B.lcm, inputs="x y", broadcasting=True, out_dtype=_integer_only("lcm_cpu"))


def _shift_operands(x, y):
    x, y = B.asarray(x), B.asarray(y)
    dt = B.result_type(x, y)
    x, y = x.astype(dt, copy=False), y.astype(dt, copy=False)
    bits = dt.itemsize * 8
    inside = (y >= 0) & (y < bits)
    return x, B.where(inside, y, 0).astype(dt, copy=False), inside, bits


def _lshift_impl(x, y):
    # PyTorch shifts as unsigned (the bits that leave are lost) and gives 0 for shifts outside
    # [0, bits); NumPy's is undefined there.
    x, s, inside, bits = _shift_operands(x, y)
    return B.where(inside, B.left_shift(x, s), 0).astype(x.dtype, copy=False)


def _rshift_impl(x, y):
    # Outside [0, bits) PyTorch fills with the sign bit (0 for unsigned types).
    x, s, inside, bits = _shift_operands(x, y)
    fill = B.right_shift(x, bits - 1) if x.dtype.kind == "i" else B.zeros((), x.dtype)
    return B.where(inside, B.right_shift(x, s), fill).astype(x.dtype, copy=False)


bitwise_left_shift = elementwise("bitwise_left_shift", _lshift_impl, inputs="x y", broadcasting=True,
                                 out_dtype=_integer_only("lshift_cpu"))
bitwise_right_shift = elementwise("bitwise_right_shift", _rshift_impl, inputs="x y", broadcasting=True,
                                  out_dtype=_integer_only("rshift_cpu"))


# --------------------------------------------------------- public elementwise functions
for _names, _prim, _what in [
        (("acosh", "arccosh"), acosh, "the inverse hyperbolic cosine"),
        (("asinh", "arcsinh"), asinh, "the inverse hyperbolic sine"),
        (("atanh", "arctanh"), atanh, "the inverse hyperbolic tangent"),
        (("deg2rad",), deg2rad, "the angle in radians of an angle in degrees"),
        (("rad2deg",), rad2deg, "the angle in degrees of an angle in radians"),
        (("exp2", "special.exp2"), exp2, "2^x"),
        (("sinc", "special.sinc"), sinc, "the normalized sinc sin(pi x) / (pi x) (1 at 0)")]:
    # each alias names itself in its errors (torch.arccosh(1) says "arccosh()")
    for _name in _names:
        public(_name, method="." not in _name, inplace="." not in _name)(
            _unary(_prim, _name, _doc(_what, _name)))


def _logit_public(name):
    def logit(input, eps=None, *, out=None):
        _check_tensor(input, name.replace(".", "_"))
        return _written(out, logit_.bind((input,), {"eps": None if eps is None else float(eps)}),
                        name.replace(".", "_"), (input,))
    logit.__doc__ = """Returns the log-odds log(x / (1 - x)), elementwise; with ``eps``, x is first clamped
    to ``[eps, 1 - eps]`` (and the gradient is 0 outside it).

    Args:
        input (Tensor): the input.
        eps (float, optional): the clamping bound. Default: None (no clamping).
        out (Tensor, optional): the Tensor to write the result into.

    Example::

        >>> pullback.logit(pullback.tensor([0.25, 0.5]))
        tensor([-1.0986,  0.0000])
    """
    return logit


public("logit", method=True, inplace=True)(_logit_public("logit"))
public("special.logit")(_logit_public("special.logit"))


@public(method=True)
def positive(input):
    """Returns ``input`` itself (``+input``); bool tensors are refused, as in PyTorch.

    Example::

        >>> pullback.positive(pullback.tensor([-1.0, 2.0]))
        tensor([-1.,  2.])
    """
    _check_tensor(input, "positive")
    if input.dtype is D.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


public("sgn", method=True, inplace=True)(
    _unary(sgn, "sgn", """Returns the sign of each element (for real inputs, as ``sign``); its gradient is 0.

    Example::

        >>> pullback.sgn(pullback.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  1.])
    """))
for _name, _prim, _what in [("signbit", signbit, "whether the sign bit is set (-0.0 included)"),
                            ("isposinf", isposinf, "whether each element is +inf"),
                            ("isneginf", isneginf, "whether each element is -inf")]:
    public(_name, method=True)(_unary(_prim, _name, f"""Returns {_what} (a bool Tensor).

    Example::

        >>> pullback.{_name}(pullback.tensor([-0.0, float("inf"), -float("inf")]))
    """))


@public(method=True)
def isreal(input):
    """Whether each element is real (a bool Tensor): True everywhere, pullback's dtypes are real.

    Example::

        >>> pullback.isreal(pullback.tensor([1.0, 2.0]))
        tensor([True, True])
    """
    _check_tensor(input, "isreal")
    return ones_like(input, dtype=D.bool)


@public(method=True, inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replaces NaN with ``nan``, +inf with ``posinf`` and -inf with ``neginf`` (by default the
    largest and smallest finite values of the dtype); integer and bool inputs are copied.

    Example::

        >>> pullback.nan_to_num(pullback.tensor([float("nan"), 1.0]), nan=-1.0)
        tensor([-1.,  1.])
    """
    _check_tensor(input, "nan_to_num")
    params = {"nan": 0.0 if nan is None else float(nan), "posinf": None if posinf is None else float(posinf),
              "neginf": None if neginf is None else float(neginf)}
    return _written(out, nan_to_num_.bind((input,), params), "nan_to_num", (input,))


@public(method=True)
def frexp(input, *, out=None):
    """Splits each element into a mantissa in ``(-1, 1)`` and an int32 exponent:
    ``input = mantissa * 2 ** exponent``. Floating point inputs only.

    Returns a named tuple ``(mantissa, exponent)``.

    Example::

        >>> pullback.frexp(pullback.tensor([8.0, 0.3]))
        pullback.return_types.frexp(
        mantissa=tensor([0.5000, 0.6000]),
        exponent=tensor([ 4, -1], dtype=pullback.int32))
    """
    _check_tensor(input, "frexp")
    mantissa, exponent = frexp_.bind((input,), {})
    if out is not None:
        mantissa, exponent = _written(out[0], mantissa, "frexp", (input,)), _written(out[1], exponent, "frexp",
                                                                                      (input,))
    return _frexp_type()(mantissa, exponent)


def _frexp_type():
    global _FREXP_TYPE
    if _FREXP_TYPE is None:
        base = collections.namedtuple("frexp", ["mantissa", "exponent"])

        def __repr__(self):
            return f"pullback.return_types.frexp(\nmantissa={self.mantissa!r},\nexponent={self.exponent!r})"
        _FREXP_TYPE = type("frexp", (base,), {"__repr__": __repr__, "__slots__": ()})
    return _FREXP_TYPE


_FREXP_TYPE = None


_NUMBERS = (int, float, bool, B.number, B.bool_)


def _binary(prim, name, what, other="other", numbers=(False, True), example="[1.0, 2.0]), pullback.tensor([0.5, 4.0]"):
    """The public function of a binary primitive ``fn(input, other, *, out=None)``. ``numbers``:
    whether ``input`` and ``other`` may be Python numbers (PyTorch's Scalar overloads); at least one
    of them is a Tensor."""
    error_name = name.replace(".", "_")

    def fn(input, *args, out=None, **kwargs):
        if len(args) == 1 and not kwargs:
            other_ = args[0]
        elif not args and tuple(kwargs) == (other,):
            other_ = kwargs[other]
        else:
            raise TypeError(f"{error_name}() takes 2 arguments ({other!r} is the second)")
        if not is_tensor(input) and not (numbers[0] and isinstance(input, _NUMBERS) and is_tensor(other_)):
            if numbers[0] or numbers[1]:
                raise _invalid_combination(error_name, (input, other_), _signatures(other, numbers))
            _check_tensor(input, error_name)
        if not is_tensor(other_) and not (numbers[1] and isinstance(other_, _NUMBERS)):
            if numbers[1]:
                raise TypeError(f"{error_name}(): argument '{other}' (position 2) must be Tensor or Number, "
                                f"not {type(other_).__name__}")
            _check_tensor(other_, error_name, other, 2)
        return _written(out, prim.bind((input, other_), {}), error_name, (input, other_))
    fn.__name__ = fn.__qualname__ = name.rpartition(".")[2]
    fn.__doc__ = f"""Returns {what}, elementwise, with broadcasting and PyTorch's type promotion.

    Args:
        input (Tensor{' or Number' if numbers[0] else ''}): the first operand.
        {other} (Tensor{' or Number' if numbers[1] else ''}): the second operand.
        out (Tensor, optional): the Tensor to write the result into.

    Example::

        >>> pullback.{name}(pullback.tensor({example}))
    """
    return fn


def _signatures(other, numbers):
    sigs = [f"(Tensor input, Tensor {other}, *, Tensor out = None)"]
    if numbers[0]:
        sigs.append(f"(Number self, Tensor {other}, *, Tensor out = None)")
    if numbers[1]:
        sigs.append(f"(Tensor input, Number {other}, *, Tensor out = None)")
    return sigs


for _names, _prim, _what, _other, _numbers, _inplace in [
        (("copysign",), copysign, "the magnitude of input with the sign of other", "other", (False, True), True),
        (("xlogy", "special.xlogy"), xlogy, "input * log(other), 0 where input is 0 (and other is not NaN)",
         "other", (True, True), True),
        (("special.xlog1py",), xlog1py, "input * log1p(other), 0 where input is 0 (and other is not NaN)",
         "other", (True, True), False),
        (("hypot",), hypot, "sqrt(input^2 + other^2)", "other", (False, False), True),
        (("logaddexp",), logaddexp, "log(exp(input) + exp(other)), computed stably", "other", (False, False), False),
        (("logaddexp2",), logaddexp2, "log2(2^input + 2^other), computed stably", "other", (False, False), False),
        (("heaviside",), heaviside, "the Heaviside step of input (values where input is 0)", "values",
         (False, False), True),
        (("nextafter",), nextafter, "the next floating point value after input towards other", "other",
         (False, False), True),
        (("fmax",), fmax, "the larger of input and other, ignoring NaN (NaN only where both are)", "other",
         (False, False), False),
        (("fmin",), fmin, "the smaller of input and other, ignoring NaN (NaN only where both are)", "other",
         (False, False), False),
        (("gcd",), gcd, "the greatest common divisor of integer tensors", "other", (False, False), True),
        (("lcm",), lcm, "the least common multiple of integer tensors", "other", (False, False), True),
        (("bitwise_left_shift",), bitwise_left_shift, "input shifted left by other bits (integers)", "other",
         (True, True), True),
        (("bitwise_right_shift",), bitwise_right_shift, "input shifted right by other bits (integers)", "other",
         (True, True), True)]:
    for _name in _names:
        dotted = "." in _name
        public(_name, method=not dotted, inplace=_inplace and not dotted)(
            _binary(_prim, _name, _what, _other, _numbers))


@public(method=True, inplace=True)
def ldexp(input, other, *, out=None):
    """Returns ``input * 2 ** other``, elementwise (the result is floating point).

    Args:
        input (Tensor): the mantissas.
        other (Tensor): the exponents.
        out (Tensor, optional): the Tensor to write the result into.

    Example::

        >>> pullback.ldexp(pullback.tensor([1.0, 3.0]), pullback.tensor([2, -1]))
        tensor([4.0000, 1.5000])
    """
    _check_tensor(input, "ldexp")
    _check_tensor(other, "ldexp", "other", 2)
    return _written(out, E.mul(input, exp2(other)), "ldexp", (input, other))


# ------------------------------------------------------------------ reductions and sets
@public(method=True)
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """The mean over ``dim`` (all dims when None) of the elements that are not NaN (NaN where all are).
    Floating point inputs (or ``dtype``) only, as in PyTorch.

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints, optional): the dims to reduce.
        keepdim (bool): keep the reduced dims, with size 1.
        dtype (dtype, optional): the input is cast to it first.
        out (Tensor, optional): the Tensor to write the result into.

    Example::

        >>> pullback.nanmean(pullback.tensor([1.0, float("nan"), 3.0]))
        tensor(2.)
    """
    _check_tensor(input, "nanmean")
    if not input.dtype.is_floating_point and not (dtype is not None and dtype.is_floating_point):
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{input.dtype._tensor_type[:-6]}")
    if dtype is not None:
        input = input.to(dtype)
    present = sum_(E.logical_not(E.isnan(input)), dim, keepdim)
    return _written(out, E.div(nansum(input, dim, keepdim), present), "nanmean", (input,))


@public()
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements`` (a bool Tensor of the shape of
    ``elements``; the opposite with ``invert``). Either may be a number; the values are compared
    after PyTorch's type promotion.

    Example::

        >>> pullback.isin(pullback.tensor([1, 2, 3]), pullback.tensor([2, 5]))
        tensor([False,  True, False])
    """
    if not is_tensor(elements) and not is_tensor(test_elements):
        raise _invalid_combination("isin", (elements, test_elements), (
            "(Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
            "Tensor out = None)",
            "(Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
            "Tensor out = None)",
            "(Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = False, "
            "Tensor out = None)"))
    for t in (elements, test_elements):
        if is_tensor(t):
            refuse_batched(t, "isin")
    dt = D.result_type(elements, test_elements)
    a = elements._data if is_tensor(elements) else B.asarray(elements)
    b = test_elements._data if is_tensor(test_elements) else B.asarray(test_elements)
    found = B.isin(a.astype(dt.np, copy=False), b.astype(dt.np, copy=False), invert=bool(invert))
    return Tensor._make(B.asarray(found))


# ============================================================ gamma, zeta and Bessel functions
def _polygamma_impl(x, n):
    import scipy.special
    if n == 0:
        return scipy.special.psi(x)
    out = scipy.special.polygamma(n, x)
    return out.astype(x.dtype, copy=False) if hasattr(out, "astype") else out


def _lgamma_impl(x):
    import scipy.special
    out = B.asarray(scipy.special.gammaln(x))
    infinite = B.isneginf(out)  # only at x = -inf, where torch's lgamma is +inf (SciPy's -inf)
    if infinite.any():
        out = B.where(infinite, B.inf, out).astype(out.dtype, copy=False)
    return out


lgamma = elementwise("lgamma", _lgamma_impl, out_dtype="float", vjp=lambda g, x: g * digamma(x))
digamma = elementwise("digamma", _scipy("psi"), out_dtype="float",
                      vjp=lambda g, x: g * polygamma(x, n=1))
polygamma = elementwise("polygamma", _polygamma_impl, out_dtype="float",
                        vjp=lambda g, x, n: g * polygamma(x, n=n + 1))


def _i1_grad(g, x, ans):
    # d/dx I1(x) = I0(x) - I1(x) / x, which is 1/2 at 0.
    safe = E.where_(x == 0, 1.0, x)
    return g * E.where_(x == 0, 0.5, i0(x) - ans / safe)


def _i1e_grad(g, x, ans):
    # d/dx e^-|x| I1(x) = i0e(x) - i1e(x) (sign(x) + 1 / x), which is 1/2 at 0.
    safe = E.where_(x == 0, 1.0, x)
    return g * E.where_(x == 0, 0.5, i0e(x) - ans * (E.sign(x) + 1 / safe))


i0 = elementwise("i0", _scipy("i0"), out_dtype="float", vjp=lambda g, x: g * i1(x))
i0e = elementwise("i0e", _scipy("i0e"), out_dtype="float", grad_name="SpecialI0EBackward0",
                  vjp=lambda g, x, ans: g * (i1e(x) - E.sign(x) * ans))
i1 = elementwise("i1", _scipy("i1"), out_dtype="float", grad_name="SpecialI1Backward0", vjp=_i1_grad)
i1e = elementwise("i1e", _scipy("i1e"), out_dtype="float", grad_name="SpecialI1EBackward0", vjp=_i1e_grad)
entr = elementwise("entr", _scipy("entr"), out_dtype="float", grad_name="SpecialEntrBackward0",
                   vjp=lambda g, x: g * -(E.log(x) + 1))


def _no_zeta_derivative(g):
    raise NotImplementedError("the derivative for 'zeta' is not implemented.")


zeta = elementwise("zeta", _scipy("zeta"), inputs="x q", broadcasting=True, out_dtype="float",
                   grad_name=_binary_name("SpecialZeta"),
                   vjp=(_no_zeta_derivative, lambda g, x, q: g * -x * zeta(x + 1, q)))


for _names, _prim, _what in [
        (("lgamma", "special.gammaln"), lgamma, "the log of the absolute value of the gamma function"),
        (("digamma", "special.digamma", "special.psi"), digamma, "the digamma function, the derivative of lgamma"),
        (("i0", "special.i0"), i0, "the modified Bessel function of the first kind of order 0"),
        (("special.i0e",), i0e, "the exponentially scaled modified Bessel function of order 0, exp(-|x|) I0(x)"),
        (("special.i1",), i1, "the modified Bessel function of the first kind of order 1"),
        (("special.i1e",), i1e, "the exponentially scaled modified Bessel function of order 1, exp(-|x|) I1(x)"),
        (("special.entr",), entr, "the entropy term -x log(x) (0 at 0, -inf below 0)")]:
    for _name in _names:
        public(_name, method="." not in _name, inplace="." not in _name)(_unary(_prim, _name, _doc(_what, _name)))

public("special.zeta")(_binary(zeta, "special.zeta", "the Hurwitz zeta function sum_k (k + other)^-input",
                               "other", (True, True), example="[2.0, 3.0]), pullback.tensor([1.0, 2.0]"))


def _polygamma_public(name):
    def polygamma_(n, input, *, out=None):
        _check_tensor(input, name.replace(".", "_"), pos=2)
        return _polygamma(input, n, out, name.replace(".", "_"))
    polygamma_.__name__ = polygamma_.__qualname__ = "polygamma"
    polygamma_.__doc__ = """Returns the ``n``-th derivative of the digamma function, elementwise.

    Args:
        n (int): the order of the derivative (0 is digamma).
        input (Tensor): the input.
        out (Tensor, optional): the Tensor to write the result into.

    Example::

        >>> pullback.polygamma(1, pullback.tensor([1.0, 0.5]))
        tensor([1.6449, 4.9348])
    """
    return polygamma_


def _polygamma(input, n, out, name):
    if isinstance(n, bool) or not isinstance(n, (int, B.integer)):
        raise TypeError(f"{name}(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return _written(out, polygamma.bind((input,), {"n": int(n)}), name, (input,))


public("polygamma")(_polygamma_public("polygamma"))
public("special.polygamma")(_polygamma_public("special.polygamma"))


@public("polygamma", method=True, inplace=True, export=False)
def _polygamma_method(self, n):
    """``polygamma(n, self)``: the ``n``-th derivative of the digamma function."""
    return _polygamma(self, n, None, "polygamma")


def _mvlgamma_public(name):
    error_name = name.replace(".", "_")

    def mvlgamma(input, p, *, out=None):
        _check_tensor(input, error_name)
        if isinstance(p, bool) or not isinstance(p, (int, B.integer)):
            raise TypeError(f"{error_name}(): argument 'p' (position 2) must be int, not {type(p).__name__}")
        if p < 1:
            raise RuntimeError("p has to be greater than or equal to 1")
        x = input if input.dtype.is_floating_point else input.to(D.get_default_dtype())
        # log Gamma_p(x) = p (p - 1) / 4 log(pi) + sum_{j < p} lgamma(x - j / 2)
        shifts = arange(0, -p / 2, -0.5, dtype=x.dtype)[:p]
        total = sum_(lgamma(unsqueeze(x, -1) + shifts), -1) + p * (p - 1) / 4 * math.log(math.pi)
        return _written(out, total, error_name, (input,))
    mvlgamma.__doc__ = """Returns the log of the multivariate gamma function of dimension ``p``, elementwise:
    ``p (p - 1) / 4 log(pi) + sum_{j < p} lgamma(x - j / 2)``.

    Args:
        input (Tensor): the input.
        p (int): the dimension (at least 1).
        out (Tensor, optional): the Tensor to write the result into.

    Example::

        >>> pullback.mvlgamma(pullback.tensor([2.5]), 3)
        tensor([1.8810])
    """
    return mvlgamma


public("mvlgamma", method=True, inplace=True)(_mvlgamma_public("mvlgamma"))
public("special.multigammaln")(_mvlgamma_public("special.multigammaln"))


# ------------------------------------------------------------- operators and in-place forms
def _shift_operator(prim, reflected=False):
    def op(self, other):
        if not (is_tensor(other) or isinstance(other, _NUMBERS)):
            return NotImplemented
        return prim.bind((other, self) if reflected else (self, other), {})
    op.__doc__ = f"``{'other' if reflected else 'self'} {'<<' if prim is bitwise_left_shift else '>>'} " \
                 f"{'self' if reflected else 'other'}``: ``{prim.name}``."
    return op


def _inplace_shift_operator(name):
    def op(self, other):
        if not (is_tensor(other) or isinstance(other, _NUMBERS)):
            return NotImplemented
        return getattr(self, name)(other)
    op.__doc__ = f"``self.{name}(other)``."
    return op


public("__lshift__", method=True, export=False)(_shift_operator(bitwise_left_shift))
public("__rlshift__", method=True, export=False)(_shift_operator(bitwise_left_shift, reflected=True))
public("__rshift__", method=True, export=False)(_shift_operator(bitwise_right_shift))
public("__rrshift__", method=True, export=False)(_shift_operator(bitwise_right_shift, reflected=True))
public("__ilshift__", method=True, export=False)(_inplace_shift_operator("bitwise_left_shift_"))
public("__irshift__", method=True, export=False)(_inplace_shift_operator("bitwise_right_shift_"))


def _float_power_inplace(self, exponent):
    """``self.float_power_(exponent)``: ``self`` must already be float64, the dtype of the result."""
    if self.dtype is not D.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype._tensor_type[:-6]} but the "
                           "operation's result requires dtype Double")
    return float_power(self, exponent)


def _declare_float_power_inplace():
    public("float_power", method=True, inplace=True, export=False, method_form=float_power)(_float_power_inplace)


_declare_float_power_inplace()
