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
