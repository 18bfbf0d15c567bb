"""The public functions over the primitive table: argument checking, PyTorch's signatures and
defaults, then one primitive call (or a short composition)."""
import builtins
import collections

from .._backend import B
from .. import _dtype as D
from ._rules import is_tensor, wrap_dim, wrap_dims
from . import _registry
from ._registry import refuse_batched
from . import elementwise as E
from . import reduction as R
from . import linalg as L
from . import nn as N
from .._out import write_out
from ._api import public
from .. import _creation  # (a module: it sits above the ops and imports them)
from ..autograd import grad_mode

_NUMBER = (int, float, bool, B.number, B.bool_)
_BOOL_SCALARS = (bool, B.bool_)
_BOOL_NP = D.bool.np
# What a Tensor combines with in arithmetic: numbers, and NumPy arrays (constants, as in VJP rules).
_OPERAND = _NUMBER + (B.ndarray,)


def _check_tensor(x, fn, arg="input", pos=1):
    if not is_tensor(x):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _check_operand(x, fn):
    if not (is_tensor(x) or isinstance(x, _OPERAND)):
        raise TypeError(f"{fn}(): argument 'other' (position 2) must be Tensor or Number, not "
                        f"{type(x).__name__}")


def _written(out, result, fn, inputs):
    """``write_out`` where ``out`` was given: the common path (no ``out``) pays one comparison."""
    return result if out is None else write_out(out, result, fn, inputs)


_NO_PARAMS = {}  # (shared by the nodes of parameterless unary ops: no node changes its params)


def _unary(prim, torch_name, doc):
    refused = _REFUSED_KINDS.get(torch_name)
    # (_written inline: these are the hottest public functions)
    if refused is None:
        def fn(input, *, out=None):
            if not isinstance(input, _registry._Tensor):
                _check_tensor(input, torch_name)
            result = prim.bind((input,), _NO_PARAMS)
            return result if out is None else write_out(out, result, torch_name, (input,))
    else:
        def fn(input, *, out=None):
            if not isinstance(input, _registry._Tensor):
                _check_tensor(input, torch_name)
            if input._data.dtype.kind in refused:
                raise _refusal(refused[input._data.dtype.kind], input.dtype)
            result = prim.bind((input,), _NO_PARAMS)
            return result if out is None else write_out(out, result, torch_name, (input,))
    fn.__name__ = fn.__qualname__ = torch_name
    fn.__doc__ = doc
    return fn


def _refusal(kernel, dtype):
    """The error of a PyTorch op without a kernel for ``dtype``: a kernel name (NotImplementedError),
    or the op's own RuntimeError text."""
    if " " in kernel:
        return RuntimeError(kernel)
    return E.not_implemented(kernel, dtype)


# The dtypes (NumPy kinds: b bool, i integer, f floating) whose values PyTorch's kernels refuse,
# with the kernel PyTorch's error names (or the error's text).
_REFUSED_KINDS = {
    "abs": {"b": "abs_cpu"},
    "floor": {"b": "floor_vml_cpu"}, "ceil": {"b": "ceil_vml_cpu"}, "trunc": {"b": "trunc_vml_cpu"},
    "frac": {"b": "frac_cpu", "i": "frac_cpu", "u": "frac_cpu"},
    "relu": {"b": "Boolean inputs not supported for relu"},
    "bitwise_not": {"f": "bitwise_not_cpu"},
}


_UNARY_DOCS = {
    "exp": (E.exp, "e^x"), "expm1": (E.expm1, "e^x - 1, accurate near 0"),
    "log": (E.log, "the natural logarithm"), "log1p": (E.log1p, "log(1 + x), accurate near 0"),
    "log2": (E.log2, "the base-2 logarithm"), "log10": (E.log10, "the base-10 logarithm"),
    "sqrt": (E.sqrt, "the square root"), "rsqrt": (E.rsqrt, "1 / sqrt(x)"),
    "sin": (E.sin, "the sine"), "cos": (E.cos, "the cosine"), "tan": (E.tan, "the tangent"),
    "asin": (E.asin, "the arcsine"), "acos": (E.acos, "the arccosine"), "atan": (E.atan, "the arctangent"),
    "sinh": (E.sinh, "the hyperbolic sine"), "cosh": (E.cosh, "the hyperbolic cosine"),
    "tanh": (E.tanh, "the hyperbolic tangent"), "sigmoid": (E.sigmoid, "1 / (1 + e^-x), computed without overflow"),
    "relu": (E.relu, "max(x, 0)"), "erf": (E.erf, "the error function"),
    "abs": (E.abs, "the absolute value"),
    "floor": (E.floor, "the largest integer <= x; its gradient is 0"),
    "ceil": (E.ceil, "the smallest integer >= x; its gradient is 0"),
    "trunc": (E.trunc, "x rounded towards zero; its gradient is 0"),
    "frac": (E.frac, "the fractional part x - trunc(x)"),
    "reciprocal": (E.reciprocal, "1 / x"),
    "logical_not": (E.logical_not, "logical NOT (a bool Tensor)"),
    "isnan": (E.isnan, "whether each element is NaN (a bool Tensor)"),
    "isinf": (E.isinf, "whether each element is infinite (a bool Tensor)"),
    "isfinite": (E.isfinite, "whether each element is finite (a bool Tensor)"),
    "bitwise_not": (E.bitwise_not, "bitwise NOT of an integer or bool Tensor"),
}

_UNARY_ALIASES = {"erf": ("special.erf",), "sigmoid": ("special.expit",), "expm1": ("special.expm1",),
                  "log1p": ("special.log1p",), "asin": ("arcsin",), "acos": ("arccos",), "atan": ("arctan",),
                  "abs": ("absolute",)}
_NO_INPLACE = {"isnan", "isinf", "isfinite", "maximum", "minimum"}  # (torch has no isnan_, maximum_...)

for _name, (_prim, _what) in _UNARY_DOCS.items():
    globals()[_name] = public((_name,) + _UNARY_ALIASES.get(_name, ()), method=True,
                              inplace=_name not in _NO_INPLACE)(_unary(_prim, _name, f"""Returns {_what}, elementwise.

    Args:
        input (Tensor): the input.

    Example::

        >>> pullback.{_name}(pullback.tensor([0.5, 1.0]))
    """))



@public(('neg', 'negative'), method=True, inplace=True)
def neg(input, *, out=None):
    """Returns ``-input``, elementwise.

    Args:
        input (Tensor): the input (not bool: negate a mask with ``~`` or ``logical_not``).

    Example::

        >>> pullback.neg(pullback.tensor([1.0, -2.0]))
        tensor([-1.,  2.])
    """
    if not isinstance(input, _registry._Tensor):
        _check_tensor(input, "neg")
    try:
        return _written(out, E.neg.bind((input,), {}), "neg", (input,))
    except TypeError:  # NumPy refuses to negate bools; PyTorch's error says what to use instead
        if input.dtype is D.bool:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                               "to invert a mask, use the `~` or `logical_not()` operator instead.") from None
        raise


@public(method=True, inplace=True)
def sign(input, *, out=None):
    """Returns the sign of each element (-1, 0 or 1; a bool Tensor is its own sign); its gradient is 0.

    Example::

        >>> pullback.sign(pullback.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  1.])
    """
    if not isinstance(input, _registry._Tensor):
        _check_tensor(input, "sign")
    try:
        return _written(out, E.sign.bind((input,), {}), "sign", (input,))
    except TypeError:  # NumPy has no sign for bools
        if input.dtype is D.bool:
            return _written(out, E.clone(input), "sign", (input,))
        raise




@public(method=True, inplace=True)
def square(input, *, out=None):
    """Returns ``input ** 2``, elementwise."""
    _check_tensor(input, "square")
    return _written(out, E.pow(input, 2), "square", (input,))


@public(("round", "special.round"), method=True, inplace=True)
def round(input, *, decimals=None, out=None):  # noqa: A001
    """Rounds to ``decimals`` decimal places (half to even); its gradient is 0.

    Integer inputs round to themselves without ``decimals``; with it (even 0) PyTorch takes its
    floating point kernel, which refuses them, as it refuses bools always.
    """
    _check_tensor(input, "round")
    if input._data.dtype.kind != "f":
        if input.dtype is D.bool or decimals is not None:
            raise E.not_implemented("round_cpu" if decimals else "round_vml_cpu", input.dtype)
    return _written(out, E.round_(input, decimals=decimals or 0), "round", (input,))


def _invert(self):
    """``~self``: bitwise NOT, for integer and bool Tensors only."""
    if self._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


def _invalid_combination(fn, args, signatures):
    """PyTorch's TypeError for arguments that match none of a function's overloads."""
    got = ", ".join("Tensor" if is_tensor(a) else type(a).__name__ for a in args)
    return TypeError(f"{fn}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     + "".join(f" * {s}\n" for s in signatures))


def _other_signatures(other="other"):
    return (f"(Tensor input, Tensor {other}, *, Tensor out = None)",
            f"(Tensor input, Number {other}, *, Tensor out = None)")


def _either_tensor(input, other, fn):
    """Operands of ops with a Number overload on either side (mul, remainder, the bitwise ops)."""
    if not is_tensor(input):
        _check_tensor(other, fn, "other", 2)
    _check_operand(other, fn)


def _tensor_input(input, other, fn):
    """Operands of ops whose ``input`` must be a Tensor, ``other`` a Tensor or Number (eq, fmod)."""
    if not is_tensor(input):
        raise _invalid_combination(fn, (input, other), _other_signatures())
    _check_operand(other, fn)


def _tensors(input, other, fn):
    """Operands of ops that take two Tensors only (atan2, maximum, the logical ops)."""
    if not is_tensor(input):
        _check_tensor(input, fn)
    if not is_tensor(other):
        _check_tensor(other, fn, "other", 2)


def _tensor_other(self, other, fn):
    """The operand of the Tensor method of such an op: ``other`` is its first argument."""
    if not is_tensor(other):
        _check_tensor(other, fn, "other", 1)


def _as_tensors_if_numbers(input, other):
    """Two numbers as 0-dim Tensors (torch's Scalar overloads of add, sub, mul, div and floor_divide
    take two numbers and return a 0-dim Tensor); anything else as it is."""
    if isinstance(input, _NUMBER) and isinstance(other, _NUMBER):
        return _creation.tensor(input), _creation.tensor(other)
    return input, other


def _binary(prim, torch_name, doc, check=_either_tensor):
    numbers = torch_name in ("mul", "multiply", "floor_divide")

    def fn(input, other, *, out=None):
        if numbers and not is_tensor(input):
            input, other = _as_tensors_if_numbers(input, other)
        check(input, other, torch_name)
        return write_out(out, prim.bind((input, other), {}), torch_name, (input, other))
    fn.__name__ = fn.__qualname__ = torch_name
    fn.__doc__ = doc
    return fn


def _bin_doc(what, name):
    return f"""Returns {what}, elementwise, with broadcasting and PyTorch's type promotion.

    Args:
        input (Tensor or Number): the first operand.
        other (Tensor or Number): the second operand.

    Example::

        >>> pullback.{name}(pullback.tensor([1.0, 2.0]), 2)
    """


_BINARY_ALIASES = {"mul": ("multiply",), "ne": ("not_equal",), "lt": ("less",), "le": ("less_equal",),
                   "gt": ("greater",), "ge": ("greater_equal",)}

for _name, _prim, _what, _check in [
        ("mul", E.mul, "input * other", _either_tensor),
        ("atan2", E.atan2, "atan2(input, other), the angle of (other, input)", _tensors),
        ("maximum", E.maximum, "the larger of input and other (ties share the gradient)", _tensors),
        ("minimum", E.minimum, "the smaller of input and other (ties share the gradient)", _tensors),
        ("remainder", E.remainder, "the remainder of input / other, with the sign of other", _either_tensor),
        ("fmod", E.fmod, "the remainder of input / other, with the sign of input", _tensor_input),
        ("floor_divide", E.floor_divide, "floor(input / other)", _either_tensor),
        ("eq", E.eq, "input == other (a bool Tensor)", _tensor_input),
        ("ne", E.ne, "input != other (a bool Tensor)", _tensor_input),
        ("lt", E.lt, "input < other (a bool Tensor)", _tensor_input),
        ("le", E.le, "input <= other (a bool Tensor)", _tensor_input),
        ("gt", E.gt, "input > other (a bool Tensor)", _tensor_input),
        ("ge", E.ge, "input >= other (a bool Tensor)", _tensor_input),
        ("logical_and", E.logical_and, "logical AND (a bool Tensor)", _tensors),
        ("logical_or", E.logical_or, "logical OR (a bool Tensor)", _tensors),
        ("logical_xor", E.logical_xor, "logical XOR (a bool Tensor)", _tensors),
        ("bitwise_and", E.bitwise_and, "bitwise AND", _either_tensor),
        ("bitwise_or", E.bitwise_or, "bitwise OR", _either_tensor),
        ("bitwise_xor", E.bitwise_xor, "bitwise XOR", _either_tensor)]:
    # A method of two Tensors words its errors as methods do ("other" is position 1)
    _form = _binary(_prim, _name, _bin_doc(_what, _name), _tensor_other) if _check is _tensors else None
    globals()[_name] = public((_name,) + _BINARY_ALIASES.get(_name, ()), method=True, method_form=_form,
                              inplace=_name not in _NO_INPLACE)(_binary(_prim, _name, _bin_doc(_what, _name), _check))

arctan2 = public(method=True, inplace=True,   # its own name in errors
                 method_form=_binary(E.atan2, "arctan2", _bin_doc("atan2(input, other)", "arctan2"), _tensor_other))(
    _binary(E.atan2, "arctan2", _bin_doc("atan2(input, other)", "arctan2"), _tensors))


@public(method=True, inplace=True)
def add(input, other, *, alpha=1, out=None):
    """Returns ``input + alpha * other``, with broadcasting (written into ``out`` when given).

    Example::

        >>> pullback.add(pullback.tensor([1.0, 2.0]), pullback.tensor([10.0, 20.0]), alpha=2)
        tensor([21., 42.])
    """
    if not is_tensor(input):
        input, other = _as_tensors_if_numbers(input, other)
        _check_tensor(other, "add", "other", 2)
    _check_operand(other, "add")
    _check_alpha(input, other, alpha)
    return write_out(out, E.add.bind((input, other), {"alpha": alpha}), "add", (input, other))


def _check_alpha(input, other, alpha):
    """PyTorch's checks of ``alpha`` against the result dtype: a bool alpha for bool results only,
    a float alpha for floating results only."""
    if type(alpha) is int or (type(alpha) is builtins.float and isinstance(input, _registry._Tensor)
                              and input._data.dtype.kind == "f"):
        return  # the common cases, fine without promoting
    result = D.result_type(input, other)
    if isinstance(alpha, _BOOL_SCALARS):
        if result is not D.bool:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, (builtins.float, B.floating)) and not result.is_floating_point:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")


def _is_bool(x):
    return x._data.dtype is _BOOL_NP if isinstance(x, _registry._Tensor) else isinstance(x, _BOOL_SCALARS)


@public(('sub', 'subtract'), method=True, inplace=True)
def sub(input, other, *, alpha=1, out=None):
    """Returns ``input - alpha * other``, with broadcasting (written into ``out`` when given).
    Bool operands are refused, as in PyTorch (``^`` and ``~`` say what is meant)."""
    if not is_tensor(input):
        input, other = _as_tensors_if_numbers(input, other)
        _check_tensor(other, "sub", "other", 2)
    _check_operand(other, "sub")
    if _is_bool(input) or _is_bool(other):
        if _is_bool(input) and _is_bool(other):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    _check_alpha(input, other, alpha)
    return write_out(out, E.sub.bind((input, other), {"alpha": alpha}), "sub", (input, other))




@public(method=True)
def rsub(input, other, *, alpha=1):
    """Returns ``other - alpha * input``."""
    if not is_tensor(input):
        raise _invalid_combination("rsub", (input, other), ("(Tensor input, Tensor other, *, Number alpha = 1)",
                                                            "(Tensor input, Number other, Number alpha = 1)"))
    return sub(other, input, alpha=alpha)


@public(('div', 'divide', 'true_divide'), method=True, inplace=True)
def div(input, other, *, rounding_mode=None, out=None):
    """Returns ``input / other``: true division (integers give floats), or rounded with
    ``rounding_mode='trunc'`` or ``'floor'``.

    Example::

        >>> pullback.div(pullback.tensor([5, -5]), 2, rounding_mode="floor")
        tensor([ 2, -3])
    """
    if not is_tensor(input):
        input, other = _as_tensors_if_numbers(input, other)
        _check_tensor(other, "div", "other", 2)
    _check_operand(other, "div")
    if rounding_mode is None:
        return _written(out, E.div.bind((input, other), {}), "div", (input, other))
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{rounding_mode}'")
    return _written(out, E.div_rounding.bind((input, other), {"rounding_mode": rounding_mode}), "div",
                    (input, other))


divide = true_divide = div


@public(method=True, inplace=True)
def pow(input, exponent, *, out=None):  # noqa: A001
    """Returns ``input ** exponent`` (either may be a number), elementwise."""
    if not is_tensor(input):
        _check_tensor(exponent, "pow", "exponent", 2)
    _check_operand(exponent, "pow")
    return _written(out, E.pow.bind((input, exponent), {}), "pow", (input, exponent))


@public(method=True)
def float_power(input, exponent, *, out=None):
    """``pow`` computed in float64."""
    x = input.double() if is_tensor(input) else float(input)
    e = exponent.double() if is_tensor(exponent) else exponent
    return _written(out, pow(x, e), "float_power", (input, exponent))


@public(method=True, inplace=True)
def lerp(input, end, weight, *, out=None):
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` a number or Tensor."""
    _check_tensor(input, "lerp")
    _check_tensor(end, "lerp", "end", 2)
    dt = input._data.dtype
    if end._data.dtype is not dt or dt.kind != "f" or (isinstance(weight, _registry._Tensor)
                                                       and weight._data.dtype is not dt):
        if end._data.dtype is dt and dt.kind == "f" and weight._data.ndim == 0:
            weight = weight.to(input.dtype)  # torch takes a 0-dim weight of any dtype (its gradient in that dtype)
        else:
            _check_lerp_dtypes(input, end, weight)
    return _written(out, E.lerp.bind((input, end, weight), {}), "lerp", (input, end, weight))


def _check_lerp_dtypes(input, end, weight):
    """PyTorch's lerp takes ``end`` (and a Tensor ``weight``) of the input's dtype, a floating one."""
    for name, operand in (("end", end), ("weight", weight)):
        if is_tensor(operand) and operand.dtype is not input.dtype:
            raise RuntimeError(f"expected dtype {D.CPP_TYPE_NAMES[input.dtype]} for `{name}` but got dtype "
                               f"{D.CPP_TYPE_NAMES[operand.dtype]}")
    if not input.dtype.is_floating_point:
        raise E.not_implemented("lerp_kernel_tensor" if is_tensor(weight) else "lerp_kernel_scalar", input.dtype)


@public()
def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` is True, of ``other`` elsewhere.

    Args:
        condition (Tensor): a bool Tensor, broadcastable with the others.
        input, other (Tensor or Number): the values to choose between.
    """
    if input is None and other is None:
        return E.where(condition)
    if not is_tensor(condition) or condition.dtype is not D.bool:
        got = condition.dtype.name if is_tensor(condition) else type(condition).__name__
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {got}")
    return E.where_.bind((condition, input, other), {})


@public(('clamp', 'clip'), method=True, inplace=True)
def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    """Clamps every element into ``[min, max]`` (either bound may be None, a number or a Tensor).

    Example::

        >>> pullback.clamp(pullback.tensor([-2.0, 0.5, 3.0]), min=-1, max=1)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    _check_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if not input.dtype.is_floating_point and not (is_tensor(min) or is_tensor(max)):
        input = _clamp_operand(input, min, max)
    if is_tensor(min) or is_tensor(max):
        if is_tensor(min) and is_tensor(max) and D.result_type(input, min, max) is D.bool:
            raise E.not_implemented("clamp_cpu", D.bool)
        result = input
        if min is not None:
            # a NaN bound gives NaN, as in torch (a comparison with NaN alone would keep the input)
            result = E.where_(E.logical_or(result < min, E.isnan(min)), min, result) if is_tensor(min) \
                else E.clamp_scalar(result, min=min, max=None)
        if max is not None:
            result = E.where_(E.logical_or(result > max, E.isnan(max)), max, result) if is_tensor(max) \
                else E.clamp_scalar(result, min=None, max=max)
        return _written(out, result, "clamp", (input, min, max))
    return _written(out, E.clamp_scalar.bind((input,), {"min": min, "max": max}), "clamp", (input,))




def _clamp_operand(input, min, max):
    """An integer or bool ``input`` in the dtype PyTorch clamps it in: promoted with the bounds
    (``int_tensor.clamp(0.5)`` is float), and never bool, which PyTorch's kernels refuse."""
    dt = D.result_type(input, min, max)
    if dt is D.bool:
        kernel = "clamp_scalar_cpu" if min is not None and max is not None else \
            "clamp_min_scalar_cpu" if min is not None else "clamp_max_scalar_cpu"
        raise E.not_implemented(kernel, dt)
    return input if dt is input.dtype else input.to(dt)


def _checked_inplace_clamp(method, bounds):
    """The in-place ``method`` (``clamp_``, ``clamp_min_``, ...), refusing bounds that promote an integer
    or bool ``self`` out of its dtype with PyTorch's in-place clamp error (which names the dtype in C++)."""
    def checked(self, *args, **kwargs):
        if self._data.dtype.kind != "f":
            given = dict(zip(bounds, args), **kwargs)
            lo, hi = given.get("min"), given.get("max")
            if not (is_tensor(lo) or is_tensor(hi)):
                dt = D.result_type(self, lo, hi)
                if dt.category > self.dtype.category:
                    raise RuntimeError(f"result type {dt._tensor_type[:-6]} can't be cast to the desired output "
                                       f"type {D.CPP_TYPE_NAMES[self.dtype]}")
        return method(self, *args, **kwargs)
    checked.__name__ = checked.__qualname__ = method.__name__
    checked.__doc__ = method.__doc__
    return checked


@public(method=True, inplace=True)
def clamp_min(input, min, *, out=None):  # noqa: A002
    """``clamp(input, min=min)``."""
    if not is_tensor(input):
        raise _invalid_combination("clamp_min", (input, min), _other_signatures("min"))
    return _written(out, clamp(input, min=min), "clamp_min", (input, min))


@public(method=True, inplace=True)
def clamp_max(input, max, *, out=None):  # noqa: A002
    """``clamp(input, max=max)``."""
    if not is_tensor(input):
        raise _invalid_combination("clamp_max", (input, max), _other_signatures("max"))
    return _written(out, clamp(input, max=max), "clamp_max", (input, max))


@public()
def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""
    _check_tensor(input, "softplus")
    if input._data.dtype.kind != "f":
        raise E.not_implemented("softplus_cpu", input.dtype)
    return E.softplus_.bind((input,), {"beta": beta, "threshold": threshold})


# ------------------------------------------------------------------ reductions
class _NotGiven:
    """The default of an argument whose absence PyTorch tells from its default value (``dim`` and
    ``keepdim`` of sum and mean: no overload takes ``keepdim`` without ``dim``, which may be None)."""

    def __repr__(self):
        return "<not given>"


_NOT_GIVEN = _NotGiven()


def _numpy_names(fn, names, dim, keepdim=False):
    """``dim`` and ``keepdim`` after the NumPy spellings torch also takes, ``axis=`` and
    ``keepdims=`` (``x.sum(axis=0, keepdims=True)``); any other keyword is a TypeError."""
    for name, value in names.items():
        if name == "axis" and (dim is None or dim is _NOT_GIVEN):
            dim = value
        elif name == "keepdims" and (keepdim is False or keepdim is _NOT_GIVEN):
            keepdim = value
        else:
            raise TypeError(f"{fn}() got an unexpected keyword argument '{name}'")
    return dim, keepdim


def _reduction_params(input, dim, keepdim, dtype=None, differentiable=True):
    params = {"axis": wrap_dims(dim, input.ndim), "keepdim": keepdim}
    if dtype is not None:  # the input is cast to it first, as in PyTorch
        if differentiable:  # (mean refuses integer dtypes itself, with its own error)
            _check_differentiable_dtype(input, dtype)
        params["dtype"] = dtype
    return params


def _check_differentiable_dtype(input, dtype):
    """PyTorch refuses an integer or bool result ``dtype`` for an input that requires grad."""
    if not dtype.is_floating_point and input.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError(f"Autograd not support dtype: {dtype._tensor_type[:-6]}")


def _keepdim_without_dim(fn, keyword, dtype, method):
    """PyTorch's TypeError for ``keepdim`` given without ``dim`` to sum or mean: no overload takes it
    (with ``dtype`` too, the one with a dim misses it)."""
    if dtype is not None:
        return TypeError(f'{fn}() missing 1 required positional arguments: "dim"')
    if method:
        got, signatures = f"{keyword}=bool, ", ("(*, torch.dtype dtype = None)",
                                                 "(tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None)")
    else:
        got, signatures = f"Tensor, {keyword}=bool", (
            "(Tensor input, *, torch.dtype dtype = None" + (", Tensor out = None)" if fn == "mean" else ")"),
            "(Tensor input, tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)")
    return TypeError(f"{fn}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     + "".join(f" * {s}\n" for s in signatures))


def _sum_or_mean(name, prim, doc, method=False):
    """``sum`` or ``mean`` (``method``: the Tensor method, whose argument errors PyTorch words without
    the input)."""
    is_mean = prim is R._mean

    def fn(input, dim=_NOT_GIVEN, keepdim=_NOT_GIVEN, *, dtype=None, out=None, **numpy_names):
        _check_tensor(input, name)
        if numpy_names:
            dim, keepdim = _numpy_names(name, numpy_names, dim, keepdim)
        if dim is _NOT_GIVEN:
            if keepdim is not _NOT_GIVEN:  # no overload without dim takes keepdim (dim=None does)
                raise _keepdim_without_dim(name, "keepdims" if "keepdims" in numpy_names else "keepdim", dtype,
                                           method)
            dim = None
        if keepdim is _NOT_GIVEN:
            keepdim = False
        if is_mean and input._data.dtype.kind != "f":
            R._mean_dtype((input,), {"dtype": dtype})  # PyTorch refuses integer means before it reads dim
        params = _reduction_params(input, dim, keepdim, dtype, differentiable=not is_mean)
        return write_out(out, prim.bind((input,), params), name, (input,))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


_SUM_DOC = """Sums over ``dim`` (an int, a tuple of ints, or None for all), keeping reduced dims as
    size 1 when ``keepdim``. Integer and bool inputs are summed in int64 unless ``dtype`` is given.

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints, optional): the dims to reduce (``axis`` is an alias).
        keepdim (bool): keep the reduced dims, with size 1 (``keepdims`` is an alias; it needs ``dim``,
            which may be None).
        dtype (dtype, optional): the input is cast to it before summing.
        out (Tensor, optional): the Tensor to write the result into.

    Example::

        >>> pullback.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
        tensor([4., 6.])
    """
_MEAN_DOC = """The mean over ``dim`` (all dims when None). Floating point inputs (or ``dtype``) only,
    as in PyTorch; arguments as in :func:`sum`.

    Example::

        >>> pullback.tensor([1.0, 2.0, 6.0]).mean()
        tensor(3.)
    """
sum = public(method=True, method_form=_sum_or_mean("sum", R._sum, _SUM_DOC, method=True))(  # noqa: A001
    _sum_or_mean("sum", R._sum, _SUM_DOC))
mean = public(method=True, method_form=_sum_or_mean("mean", R._mean, _MEAN_DOC, method=True))(
    _sum_or_mean("mean", R._mean, _MEAN_DOC))


@public(method=True)
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None, **numpy_names):
    """``sum`` treating NaN as zero (NaNs get a zero gradient); arguments as in :func:`sum`."""
    _check_tensor(input, "nansum")
    if numpy_names:
        dim, keepdim = _numpy_names("nansum", numpy_names, dim, keepdim)
    params = _reduction_params(input, dim, keepdim, dtype)
    x = E.where_(E.isnan(input), 0.0, input) if input.dtype.is_floating_point else input
    return write_out(out, R._sum.bind((x,), params), "nansum", (input,))


_PROD_KEEPDIM_WITHOUT_DIM = {  # PyTorch's TypeError of the function, and of the method (without the input)
    False: "prod() received an invalid combination of arguments - got (Tensor, keepdim=bool), but expected one of:\n"
           " * (Tensor input, *, torch.dtype dtype = None)\n"
           " * (Tensor input, int dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)\n",
    True: "prod() received an invalid combination of arguments - got (keepdim=bool, ), but expected one of:\n"
          " * (*, torch.dtype dtype = None)\n"
          " * (int dim, bool keepdim = False, *, torch.dtype dtype = None)\n"}


def _prod(method):
    def prod(input, dim=None, keepdim=False, *, dtype=None, out=None, **numpy_names):
        """The product of all elements, or along ``dim`` (a single int). Exact gradients with zeros.

        Example::

            >>> pullback.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)
            tensor([ 2., 12.])
        """
        _check_tensor(input, "prod")
        if numpy_names:
            dim, keepdim = _numpy_names("prod", numpy_names, dim, keepdim)
        if dim is None:
            if keepdim:  # PyTorch has no prod over all dims that keeps them: no overload matches
                raise TypeError(_PROD_KEEPDIM_WITHOUT_DIM[method])
            params = {"axis": None, "keepdim": False}
        else:
            axis = wrap_dim(dim, input.ndim)
            params = {"axis": axis if input.ndim else None, "keepdim": keepdim}  # 0-dim: its one element
        if dtype is not None:
            _check_differentiable_dtype(input, dtype)
            params["dtype"] = dtype
        return write_out(out, R._prod.bind((input,), params), "prod", (input,))
    prod.__qualname__ = "prod"
    return prod


prod = public(method=True, method_form=_prod(method=True))(_prod(method=False))


_return_types = {}


def _return_type(name):
    """A named tuple ``(values, indices)`` that prints as ``pullback.return_types.<name>(...)``."""
    if name not in _return_types:
        base = collections.namedtuple(name, ["values", "indices"])

        def __repr__(self):
            return f"pullback.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"
        _return_types[name] = type(name, (base,), {"__repr__": __repr__, "__slots__": ()})
    return _return_types[name]


def _max_min(input, dim, keepdim, other, out, which):
    _check_tensor(input, which)
    if is_tensor(dim) and other is None:
        other, dim = dim, None
    if other is not None:
        return write_out(out, (E.maximum if which == "max" else E.minimum)(input, other), which, (input, other))
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{which}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        prim = R.amax_ if which == "max" else R.amin_
        return write_out(out, prim.bind((input,), {"axis": None, "keepdim": False, "whole": True}), which, (input,))
    d = wrap_dim(dim, input.ndim)
    if not input.ndim:  # a 0-dim tensor is its own max along dim 0, at index 0
        input, keepdim = input.reshape(1), False
    elif input.shape[d] == 0:
        raise IndexError(f"{which}(): Expected reduction dim {d} to have non-zero size.")
    prim = R.max_dim if which == "max" else R.min_dim
    values, indices = prim.bind((input,), {"axis": d, "keepdim": keepdim})
    if out is not None:
        values, indices = write_out(out[0], values, which, (input,)), write_out(out[1], indices, which, (input,))
    return _return_type(which)(values, indices)


@public(method=True)
def max(input, dim=None, keepdim=False, *, other=None, out=None, **numpy_names):  # noqa: A001
    """The maximum of all elements; with ``dim``, a named tuple ``(values, indices)`` along it;
    with a Tensor second argument, the elementwise ``maximum``.

    Example::

        >>> pullback.tensor([[1, 5], [7, 2]]).max(dim=1)
        pullback.return_types.max(
        values=tensor([5, 7]),
        indices=tensor([1, 0]))
    """
    if numpy_names:
        dim, keepdim = _numpy_names("max", numpy_names, dim, keepdim)
    return _max_min(input, dim, keepdim, other, out, "max")


@public(method=True)
def min(input, dim=None, keepdim=False, *, other=None, out=None, **numpy_names):  # noqa: A001
    """The minimum of all elements; with ``dim``, ``(values, indices)`` along it; with a
    Tensor second argument, the elementwise ``minimum``."""
    if numpy_names:
        dim, keepdim = _numpy_names("min", numpy_names, dim, keepdim)
    return _max_min(input, dim, keepdim, other, out, "min")


def _extremum(prim, name, input, dim, keepdim, out):
    _check_tensor(input, name)
    if out is not None and is_tensor(out) and out.dtype is not input.dtype:
        raise RuntimeError(f"Expected the dtype for input and out to match, but got {input.dtype._tensor_type[:-6]} "
                           f"for input's dtype and {out.dtype._tensor_type[:-6]} for out's dtype.")
    try:
        result = prim.bind((input,), _reduction_params(input, dim, keepdim))
    except IndexError:  # a dim with no elements: torch names it as the user wrote it
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        empty = next(d for d in dims if input.shape[wrap_dim(d, input.ndim)] == 0)
        raise IndexError(f"{name}(): Expected reduction dim {empty} to have non-zero size.") from None
    return write_out(out, result, name, (input,))


@public(method=True)
def amax(input, dim=None, keepdim=False, *, out=None, **numpy_names):
    """The maximum over ``dim`` (all dims when None or empty); ties share the gradient evenly."""
    if numpy_names:
        dim, keepdim = _numpy_names("amax", numpy_names, dim, keepdim)
    return _extremum(R.amax_, "amax", input, dim, keepdim, out)


@public(method=True)
def amin(input, dim=None, keepdim=False, *, out=None, **numpy_names):
    """The minimum over ``dim`` (all dims when None or empty); ties share the gradient evenly."""
    if numpy_names:
        dim, keepdim = _numpy_names("amin", numpy_names, dim, keepdim)
    return _extremum(R.amin_, "amin", input, dim, keepdim, out)


def _arg_extremum(prim, name, input, dim, keepdim, out):
    _check_tensor(input, name)
    if input._data.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    axis = None if dim is None else wrap_dim(dim, input.ndim)
    if not input.ndim:
        axis = None  # the one element of a 0-dim tensor, which takes dim 0 and -1
    return write_out(out, prim.bind((input,), {"axis": axis, "keepdim": keepdim}), name, (input,))


@public(method=True)
def argmax(input, dim=None, keepdim=False, *, out=None, **numpy_names):
    """The index of the maximum (of the flattened input when ``dim`` is None)."""
    if numpy_names:
        dim, keepdim = _numpy_names("argmax", numpy_names, dim, keepdim)
    return _arg_extremum(R.argmax_, "argmax", input, dim, keepdim, out)


@public(method=True)
def argmin(input, dim=None, keepdim=False, *, out=None, **numpy_names):
    """The index of the minimum (of the flattened input when ``dim`` is None)."""
    if numpy_names:
        dim, keepdim = _numpy_names("argmin", numpy_names, dim, keepdim)
    return _arg_extremum(R.argmin_, "argmin", input, dim, keepdim, out)


@public(method=True)
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The vector p-norm over ``dim`` (all elements when None), or the nuclear norm of matrices.

    Args:
        input (Tensor): a floating point Tensor.
        p (number or str): a number, ``inf``, ``-inf``, ``'fro'`` (the 2-norm of the elements over
            ``dim``) or ``'nuc'`` (the sum of the singular values over the two dims ``dim``).
        dim (int or tuple of ints, optional): the dims to reduce.
        keepdim (bool): keep the reduced dims, with size 1.
        out (Tensor, optional): the Tensor to write the result into.
        dtype (dtype, optional): the input is cast to it first.

    Example::

        >>> pullback.tensor([3.0, 4.0]).norm()
        tensor(5.)
    """
    _check_tensor(input, "norm")
    if isinstance(p, str) and not (p == "fro" and (dim is None or not isinstance(dim, (list, tuple)) or len(dim) <= 2)):
        return write_out(out, _matrix_norm(input, p, dim, keepdim, dtype), "norm", (input,))
    if not input.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {input.dtype._tensor_type[:-6]}")
    if dtype is not None:
        input = input.to(dtype)
    ord = 2.0 if p == "fro" or p is None else builtins.float(p)
    try:
        result = R.vector_norm.bind((input,), {"ord": ord, "axis": wrap_dims(dim, input.ndim), "keepdim": keepdim})
    except RuntimeError as e:  # an inf norm over an empty dim: torch names the dim as the user wrote it
        if "on the dimension " not in str(e):
            raise
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        empty = next(d for d in dims if input.shape[wrap_dim(d, input.ndim)] == 0)
        raise RuntimeError(f"linalg.vector_norm cannot compute the {'-' if ord < 0 else ''}inf norm on the dimension "
                           f"{empty}because this dimension is empty and the operation does not have an identity") from None
    return write_out(out, result, "norm", (input,))


def _matrix_norm(input, p, dim, keepdim, dtype):
    """``norm`` with a string order over two dims: the nuclear norm (PyTorch's matrix_norm)."""
    dims = tuple(range(input.ndim)) if dim is None else tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)
    if input.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    axes = (wrap_dim(dims[0], input.ndim), wrap_dim(dims[1], input.ndim))
    if axes[0] == axes[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, {dims[1]})")
    if p != "nuc":
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    if not input.dtype.is_floating_point:
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as input. "
                           f"Got {input.dtype._tensor_type[:-6]}")
    if dtype is not None:
        input = input.to(dtype)
    from .shape import movedim, unsqueeze
    matrices = movedim(input, axes, (-2, -1))
    result = L.nuclear_norm(matrices)
    if keepdim:
        for a in sorted(axes):
            result = unsqueeze(result, a)
    return result


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _spread(prim, name, input, dim, unbiased, keepdim, correction, out, numpy_names):
    _check_tensor(input, name)
    if not input.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if numpy_names:
        dim, keepdim = _numpy_names(name, numpy_names, dim, keepdim)
    if isinstance(dim, bool):  # the legacy var(input, unbiased) overload
        dim, unbiased = None, dim
    result = prim.bind((input,), {"axis": wrap_dims(dim, input.ndim), "keepdim": keepdim,
                                  "correction": _correction(unbiased, correction)})
    return write_out(out, result, name, (input,))


@public(method=True)
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None, **numpy_names):
    """The variance over ``dim``, dividing by ``N - correction`` (default correction 1)."""
    return _spread(R.var_, "var", input, dim, unbiased, keepdim, correction, out, numpy_names)


@public(method=True)
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None, **numpy_names):
    """The standard deviation over ``dim``, dividing by ``N - correction`` (default 1)."""
    return _spread(R.std_, "std", input, dim, unbiased, keepdim, correction, out, numpy_names)


@public(("logsumexp", "special.logsumexp"), method=True)
def logsumexp(input, dim=None, keepdim=False, *, out=None, **numpy_names):
    """``log(sum(exp(input), dim))``, computed stably (``dim`` is required, as in PyTorch)."""
    _check_tensor(input, "logsumexp")
    if numpy_names:
        dim, keepdim = _numpy_names("logsumexp", numpy_names, dim, keepdim)
    if dim is None:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    axis = wrap_dims(dim, input.ndim)
    if axis is None:
        if not keepdim and input.ndim and input.numel() and isinstance(dim, (tuple, list)):
            # dim=() reduces every dim, but torch then adds the keepdim maxima back into the
            # squeezed result and fails (its path for no elements does not).
            raise RuntimeError(f"output with shape [] doesn't match the broadcast shape {[1] * input.ndim}")
        axis = tuple(range(input.ndim))
    return write_out(out, R.logsumexp_.bind((input,), {"axis": axis, "keepdim": keepdim}), "logsumexp", (input,))


def _cumulative(prim, name, input, dim, dtype, out, numpy_names):
    _check_tensor(input, name)
    if numpy_names:
        dim, _ = _numpy_names(name, numpy_names, dim, keepdim=None)  # no keepdims here
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    params = {"axis": wrap_dim(dim, input.ndim)}
    if dtype is not None:
        _check_differentiable_dtype(input, dtype)
        params["dtype"] = dtype
    if input.ndim:
        return write_out(out, prim.bind((input,), params), name, (input,))
    # A 0-dim tensor is its own cumulative sum, still 0-dim (NumPy's would be 1-dim).
    return write_out(out, prim.bind((input.reshape(1),), params).reshape(()), name, (input,))


@public(method=True)
def cumsum(input, dim=None, *, dtype=None, out=None, **numpy_names):
    """Cumulative sums along ``dim`` (integers and bools in int64 unless ``dtype`` is given)."""
    return _cumulative(R.cumsum_, "cumsum", input, dim, dtype, out, numpy_names)


@public(method=True)
def cumprod(input, dim=None, *, dtype=None, out=None, **numpy_names):
    """Cumulative products along ``dim`` (exact gradients with zeros)."""
    return _cumulative(R._cumprod, "cumprod", input, dim, dtype, out, numpy_names)


def _truth_params(input, dim, keepdim):
    """all/any's reduction params: unlike the other reductions, an empty ``dim`` reduces no dim in
    PyTorch (each element's truth, in the input's shape)."""
    if isinstance(dim, (tuple, list)) and not dim:
        return {"axis": (), "keepdim": keepdim}
    return _reduction_params(input, dim, keepdim)


@public(method=True)
def all(input, dim=None, keepdim=False, *, out=None, **numpy_names):  # noqa: A001
    """Whether all elements (along ``dim``) are nonzero: a bool Tensor."""
    _check_tensor(input, "all")
    if numpy_names:
        dim, keepdim = _numpy_names("all", numpy_names, dim, keepdim)
    return write_out(out, R.all_.bind((input,), _truth_params(input, dim, keepdim)), "all", (input,))


@public(method=True)
def any(input, dim=None, keepdim=False, *, out=None, **numpy_names):  # noqa: A001
    """Whether any element (along ``dim``) is nonzero: a bool Tensor."""
    _check_tensor(input, "any")
    if numpy_names:
        dim, keepdim = _numpy_names("any", numpy_names, dim, keepdim)
    return write_out(out, R.any_.bind((input,), _truth_params(input, dim, keepdim)), "any", (input,))


@public(method=True)
def count_nonzero(input, dim=None, **numpy_names):
    """The number of nonzero elements (along ``dim``), an int64 Tensor."""
    _check_tensor(input, "count_nonzero")
    if numpy_names:
        dim, _ = _numpy_names("count_nonzero", numpy_names, dim, keepdim=None)
    return sum(E.ne(input, 0), dim)


# --------------------------------------------------------------- linear algebra
@public(method=True)
def matmul(input, other, *, out=None):
    """Matrix product with NumPy/PyTorch semantics for every rank: 1-D x 1-D is a dot product,
    a 1-D operand is a row (left) or column (right) vector, and leading dims broadcast.

    Example::

        >>> A = pullback.ones(2, 3); x = pullback.ones(3)
        >>> (A @ x).shape
        pullback.Size([2])
    """
    _check_tensor(input, "matmul")
    _check_tensor(other, "matmul", "other", 2)
    a, b = input._data.shape, other._data.shape
    if len(a) == 2 and len(b) == 2 and a[1] == b[0] and input._data.dtype is other._data.dtype:
        result = L.matmul_.bind((input, other), {})  # the common case, checked in one line
        return result if out is None else write_out(out, result, "matmul", (input, other))
    if not a or not b:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D")
    error = L.matmul_error(input, other)
    if error is not None:
        raise error
    try:
        result = (L.vecmat_ if len(a) == 1 and len(b) > 2 else L.matmul_).bind((input, other), {})
    except ValueError:  # NumPy's error for batch dims that do not broadcast: torch's instead
        _registry.broadcast_shape((a[:-2], b[:-2]))
        raise
    return write_out(out, result, "matmul", (input, other))


@public(method=True)
def mm(input, mat2, *, out=None):
    """Matrix product of two 2-D Tensors."""
    _check_tensor(input, "mm")
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2, out=out)


@public(method=True)
def bmm(input, mat2, *, out=None):
    """Batched matrix product of two 3-D Tensors with the same batch size."""
    _check_tensor(input, "bmm")
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    error = L.bmm_error(input, mat2) or L.matmul_error(input, mat2)  # no broadcasting: batch sizes must match
    if error is not None:
        raise error
    return _written(out, L.bmm_.bind((input, mat2), {}), "bmm", (input, mat2))


@public(method=True)
def mv(input, vec, *, out=None):
    """Matrix-vector product (2-D x 1-D)."""
    _check_tensor(input, "mv")
    _check_tensor(vec, "mv", "vec", 2)
    if input.ndim != 2 or vec.ndim != 1:  # PyTorch names the dims of (result, matrix, vector)
        if input.ndim == 0:  # torch reads the matrix's rows first
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    return matmul(input, vec, out=out)


@public(method=True)
def dot(input, other, *, out=None):
    """Dot product of two 1-D Tensors of one dtype."""
    _check_tensor(input, "dot")
    _check_tensor(other, "dot", "tensor", 2)
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{input.dtype._tensor_type[:-6]} and {other.dtype._tensor_type[:-6]}")
    return matmul(input, other, out=out)


@public(method=True)
def inner(input, other, *, out=None):
    """The inner product over the last dims: ``out[i..., j...] = sum_k input[i..., k] * other[j..., k]``
    (the product when either is 0-dim).

    Example::

        >>> pullback.inner(pullback.ones(2, 3), pullback.ones(4, 3)).shape
        pullback.Size([2, 4])
    """
    _check_tensor(input, "inner")
    _check_tensor(other, "inner", "other", 2)
    if not input.ndim or not other.ndim:
        return write_out(out, E.mul(input, other), "inner", (input, other))
    if input.dtype is not other.dtype:
        raise RuntimeError("both inputs should have same dtype")
    k = input.shape[-1]
    if other.shape[-1] != k:
        raise RuntimeError("inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    if other.ndim == 1:
        return write_out(out, matmul(input, other), "inner", (input, other))
    columns = other.reshape(-1, k).mT
    result = matmul(input, columns).reshape(*input.shape[:-1], *other.shape[:-1])
    return write_out(out, result, "inner", (input, other))


@public(('outer', 'ger'), method=True)
def outer(input, vec2, *, out=None):
    """Outer product of two 1-D Tensors: ``out[i, j] = input[i] * vec2[j]``."""
    _check_tensor(input, "outer")
    _check_tensor(vec2, "outer", "vec2", 2)
    for name, operand in (("self", input), ("vec2", vec2)):
        if operand.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {operand.ndim}-D")
    from .shape import unsqueeze
    return write_out(out, E.mul(unsqueeze(input, 1), unsqueeze(vec2, 0)), "outer", (input, vec2))




@public(method=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``."""
    _check_tensor(input, "addmm")
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError("mat1 and mat2 must be matrices")
    return write_out(out, L.addmm_.bind((input, mat1, mat2), {"beta": beta, "alpha": alpha}), "addmm",
                     (input, mat1, mat2))




# --------------------------------------------------------------------- softmax
@public(("softmax", "special.softmax"), method=True)
def softmax(input, dim=None, dtype=None, _stacklevel=3):
    """``exp(x) / sum(exp(x), dim)``, computed stably, with a fused VJP."""
    _check_tensor(input, "softmax")
    if dim is None:
        raise TypeError("softmax() missing required argument 'dim' (pullback, like PyTorch's functional "
                        "API, does not guess it)")
    if dtype is not None:
        input = input.to(dtype)
    axis = wrap_dim(dim, input.ndim)
    if not input.dtype.is_floating_point:
        return _softmax_of_integers("softmax", input, axis)
    return N.softmax_.bind((input,), {"axis": axis})


def _softmax_of_integers(name, input, axis):
    """PyTorch's (log_)softmax kernels refuse integers and bools; with no elements no kernel runs, and
    the result is as empty, in the input's dtype."""
    if input.numel() == 0:
        return E.clone(input)
    last = "lastdim_" if axis == builtins.max(input.ndim - 1, 0) else ""
    raise E.not_implemented(f"{name}_{last}kernel_impl", input.dtype)


@public(("log_softmax", "special.log_softmax"), method=True)
def log_softmax(input, dim=None, dtype=None, _stacklevel=3):
    """``x - logsumexp(x, dim)``, computed stably, with a fused VJP."""
    _check_tensor(input, "log_softmax")
    if dim is None:
        raise TypeError("log_softmax() missing required argument 'dim'")
    if dtype is not None:
        input = input.to(dtype)
    axis = wrap_dim(dim, input.ndim)
    if not input.dtype.is_floating_point:
        return _softmax_of_integers("log_softmax", input, axis)
    return N.log_softmax_.bind((input,), {"axis": axis})


# -------------------------------------------------------------- comparisons
@public(method=True)
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (a bool Tensor)."""
    from .._tensor import Tensor
    a, b = _close_operands(input, other, rtol, atol, "isclose")
    return Tensor._make(B.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _close_operands(input, other, rtol, atol, fn):
    """The arrays isclose/allclose compare, after PyTorch's checks: two Tensors of one dtype that
    broadcast, and tolerances >= 0."""
    _tensors(input, other, fn)
    refuse_batched(input, "isclose/allclose")
    refuse_batched(other, "isclose/allclose")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype._tensor_type[:-6]} did not match {other.dtype._tensor_type[:-6]}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {tol}")
    _registry.broadcast_shape((input._data.shape, other._data.shape))
    return input._data, other._data


@public(method=True)
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element satisfies ``|input - other| <= atol + rtol * |other|`` (a bool)."""
    a, b = _close_operands(input, other, rtol, atol, "allclose")
    return builtins.bool(B.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@public(method=True)
def equal(input, other):
    """True if both Tensors have the same shape and elements."""
    _check_tensor(input, "equal")
    return tuple(input.shape) == tuple(other.shape) and builtins.bool(B.array_equal(input._data, other._data))


