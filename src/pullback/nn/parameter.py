"""``nn.Parameter``: a leaf Tensor that a Module registers as one of its parameters."""
from .._tensor import Tensor
from .._printing import tensor_repr
from .._creation import empty


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning it to a Module attribute registers it.

    Args:
        data (Tensor): the values (shared, not copied). Defaults to an empty tensor.
        requires_grad (bool): default True.

    Example::

        >>> p = pullback.nn.Parameter(pullback.zeros(2))
        >>> p
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        t = object.__new__(cls)
        t._init(data._data, version_counter=data._version_counter)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + tensor_repr(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._make(self._data.copy()), self.requires_grad)
        if self._grad is not None:
            result._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self._data.copy(), self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(Tensor._make(data), requires_grad)


class Buffer(Tensor):
    """Marks a Tensor as a buffer when assigned to a Module attribute (``persistent`` or not)."""

    def __new__(cls, data=None, *, persistent=True):
        t = object.__new__(cls)
        t._init(data._data, version_counter=data._version_counter)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass


# ------------------------------------------------------------------ uninitialized (lazy) tensors
_SHAPE_ERROR = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
                "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
                "`forward` to initialize the parameters before accessing their attributes.")


class UninitializedTensorMixin:
    """A parameter or buffer whose shape a lazy module learns at its first forward: it holds an
    empty array of its future dtype (``Module.to`` changes it) until ``materialize`` gives it
    a shape and turns it into its ``cls_to_become``."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Gives this tensor ``shape`` (uninitialized values) and its ``dtype`` (default: its own),
        and makes it a plain Parameter (Tensor for a buffer)."""
        from .._creation import empty
        self._data = empty(*tuple(shape), dtype=dtype or self.dtype)._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_ERROR)

    def _refuse(self, method):
        raise ValueError(f"Attempted to use an uninitialized parameter in <method '{method}' of 'pullback.Tensor' "
                         "objects>. This error happens when you are using a `LazyModule` or explicitly manipulating "
                         f"`pullback.nn.parameter.{type(self).__name__}` objects. When using LazyModules Call "
                         "`forward` with a dummy batch to initialize the parameters before calling pullback functions")

    # The reads PyTorch refuses on an uninitialized tensor (its shape, above, and these).
    def numel(self):
        self._refuse("numel")

    def dim(self):
        self._refuse("dim")

    def detach(self):
        self._refuse("detach")

    def clone(self, *args, **kwargs):
        self._refuse("clone")

    def to(self, *args, **kwargs):
        # A dtype change keeps the tensor uninitialized (as PyTorch's ``to`` on one does), so that a
        # module converted before its first forward materializes in the new dtype.
        converted = Tensor.to(Tensor._make(self._data), *args, **kwargs)
        twin = _uninitialized_like(self)
        twin._data = converted._data
        return twin

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = _uninitialized_like(self)
        return memo[id(self)]

    def __reduce_ex__(self, proto):
        return (_uninitialized_like_args, (type(self), self.requires_grad, self.dtype,
                                           getattr(self, "persistent", True)))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter of a lazy module whose shape is not known yet: it has a dtype (``dtype``, or
    the default) and ``requires_grad``, and no shape until ``materialize``."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return Parameter.__new__(cls, empty(0, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer of a lazy module (running statistics) whose shape is not known yet."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        t = object.__new__(cls)
        t._init(empty(0, dtype=dtype)._data)
        if requires_grad:
            t.requires_grad_(True)
        t.persistent = persistent
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass


def _uninitialized_like(t):
    return _uninitialized_like_args(type(t), t.requires_grad, t.dtype, getattr(t, "persistent", True))


def _uninitialized_like_args(cls, requires_grad, dtype, persistent):
    if cls is UninitializedBuffer:
        return cls(requires_grad, dtype=dtype, persistent=persistent)
    return cls(requires_grad, dtype=dtype)


def is_lazy(param):
    """Whether ``param`` is an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)
