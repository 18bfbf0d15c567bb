"""Dtypes, the default dtype, and PyTorch's type promotion rules."""
import builtins

from ._backend import B

_py_bool, _py_int, _py_float = builtins.bool, builtins.int, builtins.float


class dtype:
    """A pullback dtype: a thin, printable wrapper around a NumPy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "category", "_tensor_type")

    def __init__(self, name, np_dtype, category, tensor_type):
        self.name = name
        self.np = B.dtype(np_dtype)
        self.category = category  # 0 bool, 1 integer, 2 floating: the promotion lattice
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self._tensor_type = tensor_type

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return f"pullback.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = half = dtype("float16", "float16", 2, "HalfTensor")
float32 = float = dtype("float32", "float32", 2, "FloatTensor")
float64 = double = dtype("float64", "float64", 2, "DoubleTensor")
uint8 = dtype("uint8", "uint8", 1, "ByteTensor")
int8 = dtype("int8", "int8", 1, "CharTensor")
int16 = short = dtype("int16", "int16", 1, "ShortTensor")
int32 = int = dtype("int32", "int32", 1, "IntTensor")
int64 = long = dtype("int64", "int64", 1, "LongTensor")
bool = dtype("bool", "bool", 0, "BoolTensor")  # noqa: A001  (PyTorch's name)

ALL_DTYPES = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_FROM_NP = {d.np: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES}
# PyTorch's C++ names of the dtypes, as some of its errors print them (convolution, mm, out=, lerp, clamp_).
CPP_TYPE_NAMES = {float16: "c10::Half", float32: "float", float64: "double", uint8: "unsigned char",
                  int8: "signed char", int16: "short int", int32: "int", int64: "long int", bool: "bool"}

# PyTorch's ScalarType names (its cast and index errors say "Float", "Long"), by NumPy dtype name.
SCALAR_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
                     "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _by_name(name):
    return _BY_NAME[name]


_default_float = [float32]


def get_default_dtype():
    """Returns the default floating point dtype (initially ``pullback.float32``)."""
    return _default_float[0]


def set_default_dtype(d):
    """Sets the default floating point dtype, used for Python floats and ``randn`` et al.

    Args:
        d (pullback.dtype): ``pullback.float32`` or ``pullback.float64`` (or ``float16``).
    """
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float[0] = d


def as_dtype(d):
    """Turns a pullback dtype, a NumPy dtype, a Python type or a name into a pullback dtype."""
    if isinstance(d, dtype):
        return d
    if d is None:
        return None
    if d is _py_float:
        return get_default_dtype()
    if d is _py_int:
        return int64
    if d is _py_bool:
        return bool
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        return _FROM_NP[B.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"pullback does not support dtype {d!r}; use one of "
                        + ", ".join(repr(x) for x in ALL_DTYPES)) from None


def kernel_name(dtype):
    """The name torch's kernels give a dtype in their errors: ``Float`` for float32 (FloatTensor)."""
    return dtype._tensor_type[:-6]


def from_numpy_dtype(np_dtype):
    try:
        return _FROM_NP[B.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"can't convert a NumPy array of dtype {np_dtype} to a pullback Tensor. "
                        "The only supported types are: float64, float32, float16, int64, int32, "
                        "int16, int8, uint8, and bool.") from None


def promote_types(a, b):
    """The smallest dtype both ``a`` and ``b`` can be cast to, as ``torch.promote_types``."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == 2:
        return a if a.itemsize >= b.itemsize else b
    # Integers: NumPy's lattice matches PyTorch's (uint8 with int8 gives int16).
    return _FROM_NP[B.promote_types(a.np, b.np)]


def scalar_dtype(value):
    """The dtype PyTorch gives a Python scalar on its own (bool, int64, or the default float)."""
    if isinstance(value, (_py_bool, B.bool_)):
        return bool
    if isinstance(value, (_py_int, B.integer)):
        return int64
    return _default_float[0]


def result_type(*operands):
    """PyTorch's type promotion over Tensors and Python scalars.

    Dimensioned tensors outrank zero-dimensional ones, which outrank Python scalars, but a
    lower-ranked operand of a higher category (float over int over bool) still lifts the result
    to that category: ``int_tensor * 2.5`` is float32, ``float32_tensor * 2.0`` stays float32.
    """
    dim_result = zero_result = scalar_result = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(x, B.ndarray):  # a constant array inside a VJP rule: ranks like a tensor
            d = from_numpy_dtype(x.dtype)
        if d is not None and isinstance(d, dtype):
            if x.ndim > 0:
                dim_result = d if dim_result is None else promote_types(dim_result, d)
            else:
                zero_result = d if zero_result is None else promote_types(zero_result, d)
        elif x is not None:
            s = scalar_dtype(x)
            scalar_result = s if scalar_result is None else promote_types(scalar_result, s)
    result = dim_result
    if zero_result is not None and (result is None or zero_result.category > result.category):
        result = zero_result
    if scalar_result is not None and (result is None or scalar_result.category > result.category):
        result = scalar_result
    return result
