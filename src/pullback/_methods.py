"""Installs the public functions as Tensor methods, operators and in-place variants.

Kept apart from ``_tensor.py`` so that Tensor's own file holds only its data and autograd
metadata, and every method is the very function users call as ``pullback.<name>``.
"""
import functools
import warnings

from ._tensor import Tensor
from . import _inplace
from . import _creation
from ._ops import functions as F
from ._ops import shape as S
from ._ops import indexing as I
from ._ops import elementwise as E
from ._ops.indexing import normalize_index, getitem
from ._ops._rules import is_tensor
from ._ops import sorting, selection, special, solve, decompositions, composition  # noqa: F401  (their @public declarations)
from ._ops._api import METHODS, INPLACE

# The methods the public functions declare (@public, see _ops/_api.py); the ones whose method
# form differs (Tensor.permute(*dims), Tensor.where(condition, other)) follow.
for _name, _fn in METHODS.items():
    setattr(Tensor, _name, _fn)


def _permute_method(self, *dims):
    return S.permute(self, *dims)


Tensor.permute = _permute_method
Tensor.flip = S.flip_method
Tensor.where = lambda self, condition, other: F.where(condition, self, other)
Tensor.where.__doc__ = "``pullback.where(condition, self, other)``."
Tensor.clone = lambda self, *, memory_format=None: E.clone(self)
Tensor.clone.__doc__ = "Returns a copy of this Tensor, recorded in the graph (CloneBackward0)."
Tensor.contiguous = lambda self, memory_format=None: self if self._data.flags.c_contiguous else E.clone(self)
Tensor.contiguous.__doc__ = "Returns this Tensor, or a contiguous copy of it."
def _reversed_dims(self):
    if self.ndim == 0:
        _warn_identity_on_0dim("Tensor.T")
    return S._permute(self, dims=tuple(reversed(range(self.ndim))))


def _matrix_transpose(self):
    if self.ndim == 0:
        _warn_identity_on_0dim("Tensor.mT")
        return self  # torch returns the tensor itself, not a view (an in-place write is the leaf's)
    if self.ndim == 1:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return S.transpose(self, -2, -1)


def _warn_identity_on_0dim(name):
    warnings.warn(f"{name} is deprecated on 0-D tensors. This function is the identity in these cases.",
                  UserWarning, stacklevel=3)


Tensor.T = property(_reversed_dims, doc="The Tensor with its dimensions reversed.")
Tensor.mT = property(_matrix_transpose, doc="The transpose of the last two dims.")


def _adjoint(self):
    if self.ndim == 0:
        _warn_identity_on_0dim("Tensor.mH")
        return self
    if self.ndim == 1:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return S.transpose(self, -2, -1)  # real tensors: the conjugate transpose is the transpose


Tensor.mH = property(_adjoint, doc="The conjugate transpose of the last two dims (for real tensors, mT).")


# -------------------------------------------------------------------- operators
def _binary_op(fn, reflected=False):
    """``self <op> other`` through the public function ``fn``; ``reflected``: the reflected
    operator, ``fn(other, self)`` (given as its name: one that refuses a non-Tensor ``self``)."""
    if isinstance(reflected, str):
        def op(self, other):
            if not isinstance(self, Tensor):
                raise _not_a_tensor(reflected, self)
            if not (is_tensor(other) or isinstance(other, F._OPERAND)):
                return NotImplemented
            return fn(other, self)
        return op

    def op(self, other):
        if not (is_tensor(other) or isinstance(other, F._OPERAND)):
            return NotImplemented
        if reflected and not isinstance(self, Tensor) and fn is not F.floor_divide and (
                fn is F.sub or not is_tensor(other)):
            # Called unbound with a number as self, torch's Python-level operators decline where the
            # op they call refuses it: rsub always, remainder and pow when neither is a Tensor.
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)
    return op


def _arithmetic(prim, params, reflected=False):
    # The operators skip the public functions' argument checks: `self` is a Tensor and `other`
    # was just checked, so they go straight to the primitive (the hottest path in user code).
    if isinstance(reflected, str):
        def op(self, other):
            if not isinstance(self, Tensor):
                raise _not_a_tensor(reflected, self)
            if not (isinstance(other, Tensor) or isinstance(other, F._OPERAND)):
                return NotImplemented
            return prim.bind((other, self), params)
        return op

    def op(self, other):
        if not (isinstance(other, Tensor) or isinstance(other, F._OPERAND)):
            return NotImplemented
        return prim.bind((other, self) if reflected else (self, other), params)
    return op


def _not_a_tensor(name, self):
    # Python calls `x.__radd__(y)` only with `x` a Tensor; an explicit `Tensor.__radd__(2, t)` is
    # refused as PyTorch's C methods refuse it, rather than computing `t + 2`.
    return TypeError(f"descriptor '{name}' for 'Tensor' objects doesn't apply to a '{type(self).__name__}' object")


Tensor.__add__ = _arithmetic(E.add, {"alpha": 1})
Tensor.__radd__ = _arithmetic(E.add, {"alpha": 1}, "__radd__")
Tensor.__sub__ = _binary_op(F.sub)   # checks bool - bool
Tensor.__rsub__ = _binary_op(F.sub, True)
Tensor.__mul__ = _arithmetic(E.mul, {})
Tensor.__rmul__ = _arithmetic(E.mul, {}, "__rmul__")
Tensor.__truediv__ = _arithmetic(E.div, {})
Tensor.__rtruediv__ = _arithmetic(E.div, {}, True)
Tensor.__floordiv__ = _binary_op(F.floor_divide)
Tensor.__rfloordiv__ = _binary_op(F.floor_divide, True)
Tensor.__mod__ = _binary_op(F.remainder)
Tensor.__rmod__ = _binary_op(F.remainder, True)
Tensor.__pow__ = _binary_op(F.pow)
Tensor.__rpow__ = _binary_op(F.pow, True)
Tensor.__matmul__ = lambda self, other: F.matmul(self, other) if is_tensor(other) else NotImplemented
Tensor.__rmatmul__ = lambda self, other: F.matmul(other, self) if is_tensor(other) else NotImplemented
Tensor.__and__ = _binary_op(F.bitwise_and)
Tensor.__rand__ = _binary_op(F.bitwise_and, "__rand__")
Tensor.__or__ = _binary_op(F.bitwise_or)
Tensor.__ror__ = _binary_op(F.bitwise_or, "__ror__")
Tensor.__xor__ = _binary_op(F.bitwise_xor)
Tensor.__rxor__ = _binary_op(F.bitwise_xor, "__rxor__")
Tensor.__eq__ = _binary_op(F.eq)
Tensor.__ne__ = _binary_op(F.ne)
Tensor.__lt__ = _binary_op(F.lt)
Tensor.__le__ = _binary_op(F.le)
Tensor.__gt__ = _binary_op(F.gt)
Tensor.__ge__ = _binary_op(F.ge)
Tensor.__neg__ = lambda self: F.neg(self)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: F.abs(self)
Tensor.__invert__ = F._invert


def _getitem(self, index):
    first, basic, second = normalize_index(index, self._data.shape)
    out = getitem(self, index=first, basic=basic)
    return out if second is None else getitem(out, index=second, basic=False)


Tensor.__getitem__ = _getitem
Tensor.__setitem__ = _inplace.setitem


# ---------------------------------------------------------------- in-place ops
def _make_inplace(fn, name):
    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        return _inplace.apply_inplace(self, fn, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    return method


for _name, _fn in INPLACE.items():
    setattr(Tensor, _name, _make_inplace(_fn, _name))


for _name, _bounds in (("clamp_", ("min", "max")), ("clip_", ("min", "max")), ("clamp_min_", ("min",)),
                       ("clamp_max_", ("max",))):
    setattr(Tensor, _name, F._checked_inplace_clamp(getattr(Tensor, _name), _bounds))


def _iop(name):
    inplace = getattr(Tensor, name)

    def op(self, other):
        if not (is_tensor(other) or isinstance(other, F._NUMBER)):
            return NotImplemented
        return inplace(self, other)
    return op


Tensor.__iadd__ = _iop("add_")
Tensor.__isub__ = _iop("sub_")
Tensor.__imul__ = _iop("mul_")
Tensor.__itruediv__ = _iop("div_")
Tensor.__ipow__ = _iop("pow_")
Tensor.__ifloordiv__ = _iop("floor_divide_")
Tensor.__imod__ = _iop("remainder_")
Tensor.zero_ = _inplace.zero_
Tensor.normal_ = _creation.normal_
for _name in ("new_zeros", "new_ones", "new_empty", "new_full", "new_tensor"):
    setattr(Tensor, _name, getattr(_creation, _name))
Tensor.fill_ = _inplace.fill_
Tensor.copy_ = _inplace.copy_
