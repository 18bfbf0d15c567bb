"""``finfo`` and ``iinfo``: the numerical limits of a dtype, as ``torch.finfo`` and ``torch.iinfo``."""
import builtins

from ._backend import B
from . import _dtype as D


_MISSING = object()


def _check_dtype(who, type):
    if not isinstance(type, D.dtype):
        raise TypeError(f"{who}(): argument 'type' (position 1) must be torch.dtype, not {builtins.type(type).__name__}")


class _Limits:
    """Read-only attributes, a printed form listing them, equality by dtype (unhashable, as PyTorch's)."""

    __slots__ = ()
    _shown = ()
    __hash__ = None

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute {name!r} of 'torch.{type(self).__name__}' objects is not writable")

    def __eq__(self, other):
        return type(other) is type(self) and other.dtype == self.dtype

    def __repr__(self):
        fields = ", ".join(f"{name}={getattr(self, name):g}" for name in self._shown)
        return f"{type(self).__name__}({fields}, dtype={self.dtype})"


class finfo(_Limits):
    r"""finfo(type=None) -> finfo

    The numerical properties of a floating point dtype (the default dtype when ``type`` is not
    given): ``bits``, ``eps`` (the difference between 1.0 and the next representable number),
    ``max``, ``min`` (the most negative finite value), ``tiny`` and ``smallest_normal`` (the
    smallest positive normal number), ``resolution`` (the approximate decimal resolution,
    ``10 ** -precision``) and ``dtype`` (its name).

    Example::

        >>> pullback.finfo(pullback.float32).eps
        1.1920928955078125e-07
    """

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")
    _shown = ("resolution", "min", "max", "eps", "smallest_normal", "tiny")

    def __init__(self, type=None):
        if type is None:
            type = D.get_default_dtype()
        _check_dtype("finfo", type)
        if not type.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'")
        info = B.finfo(type.np)
        values = dict(bits=int(info.bits), eps=float(info.eps), max=float(info.max), min=float(info.min),
                      tiny=float(info.smallest_normal), smallest_normal=float(info.smallest_normal),
                      resolution=10.0 ** -int(info.precision), dtype=type.name)
        for name, value in values.items():
            object.__setattr__(self, name, value)


class iinfo(_Limits):
    r"""iinfo(type) -> iinfo

    The numerical properties of an integer dtype: ``bits``, ``max``, ``min`` and ``dtype`` (its name).

    Example::

        >>> pullback.iinfo(pullback.int32).max
        2147483647
    """

    __slots__ = ("bits", "max", "min", "dtype")
    _shown = ("min", "max")

    def __init__(self, type=_MISSING):
        if type is _MISSING:
            raise TypeError('iinfo() missing 1 required positional arguments: "type"')
        _check_dtype("iinfo", type)
        if type is D.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        info = B.iinfo(type.np)
        for name, value in dict(bits=int(info.bits), max=int(info.max), min=int(info.min), dtype=type.name).items():
            object.__setattr__(self, name, value)
