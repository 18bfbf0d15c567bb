"""The special family: special functions (torch.special and the elementwise functions of SciPy's
special module), and the elementwise math functions PyTorch has beside them.

The forwards call SciPy's ufuncs (imported inside the impl, so that ``import pullback`` stays
fast) or NumPy's; every VJP is written in pullback's own ops, so gradients of gradients come free.
Each public function checks its input, refuses the dtypes PyTorch's kernels refuse (with PyTorch's
error), and binds one primitive.
"""
import math

from .._backend import B
from .. import _dtype as D
from ._registry import zero_cotangent
from ._rules import is_tensor
from ._api import public
from . import elementwise as E
from .elementwise import elementwise, not_implemented

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

erfc_ = public(("erfc", "special.erfc"), method=True, inplace=True)(
    _unary(erfc, "erfc", _doc("the complementary error function 1 - erf(x)", "erfc")))
erfinv_ = public(("erfinv", "special.erfinv"), method=True, inplace=True)(
    _unary(erfinv, "erfinv", _doc("the inverse error function (on [-1, 1])", "erfinv", "[0.5, -0.25]")))
erfcx_ = public("special.erfcx")(
    _unary(erfcx, "special.erfcx", _doc("the scaled complementary error function exp(x^2) * erfc(x)",
                                        "special.erfcx"), _HALF, "erfcx_cpu"))
ndtr_ = public("special.ndtr")(
    _unary(ndtr, "special.ndtr", _doc("the standard normal distribution function (1 + erf(x / sqrt 2)) / 2",
                                      "special.ndtr")))
ndtri_ = public("special.ndtri")(
    _unary(ndtri, "special.ndtri", _doc("the inverse of the standard normal distribution function",
                                        "special.ndtri", "[0.5, 0.975]"), _HALF, "ndtri_cpu"))
log_ndtr_ = public("special.log_ndtr")(
    _unary(log_ndtr, "special.log_ndtr", _doc("the log of the standard normal distribution function",
                                              "special.log_ndtr"), _HALF, "log_ndtr_cpu"))
