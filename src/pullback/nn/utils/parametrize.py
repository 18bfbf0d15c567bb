"""``nn.utils.parametrize``: a module's parameter or buffer computed from other tensors.

``register_parametrization(module, "weight", P())`` moves ``module.weight`` into
``module.parametrizations.weight.original`` and swaps the module's class for a generated subclass
``Parametrized<Name>`` whose property ``weight`` returns ``P()(original)``: a plain composite of
pullback ops, so gradients reach ``original`` (and, with ``right_inverse``, assigning
``module.weight = X`` stores ``P.right_inverse(X)`` in ``original``). The state dict then holds
``parametrizations.weight.original`` (or ``original0, original1, ...`` when ``right_inverse``
returns several tensors), as PyTorch's does, so the two libraries load each other's."""
import collections.abc
import contextlib
import copy

from ..._tensor import Tensor
from ...autograd import grad_mode
from ..modules.module import Module
from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized",
           "type_before_parametrizations", "cached", "transfer_parametrizations_and_params",
           "ParametrizationList"]

# The parametrized tensors computed inside `cached()`, by (id(module), name); the depth of nesting.
_cache = {}
_cache_depth = [0]


@contextlib.contextmanager
def cached():
    r"""Within this context each parametrized tensor is computed once, on first access, and the
    same Tensor is returned until the outermost ``cached()`` exits (useful when a parametrized
    weight is read many times in one forward, as in a recurrent layer).

    Example::

        >>> with parametrize.cached():
        ...     output = model(inputs)
    """
    _cache_depth[0] += 1
    try:
        yield
    finally:
        _cache_depth[0] -= 1
        if not _cache_depth[0]:
            _cache.clear()


def _register_parameter_or_buffer(module, name, value):
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _set_data(target, value):
    """``target.set_(value)``: ``target`` keeps its identity (an optimizer holding it still
    works) and takes ``value``'s array, shape included."""
    target._data = value._data
    target._bump_version()


class ParametrizationList(ModuleList):
    r"""The parametrizations of one tensor of a module, applied in order, and the unparametrized
    tensor(s) they start from: ``original`` or ``original0, original1, ...``.

    Not built directly: :func:`register_parametrization` makes one.

    Args:
        modules (sequence of Module): the parametrizations.
        original (Parameter or Tensor): the tensor being parametrized.
        unsafe (bool): skip the checks that the parametrization keeps dtype and shape.
    """

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        before = (original.dtype, original.shape)
        # `original` is stored as right_inverse(original) so that the first forward gives back
        # the tensor the user had.
        new = original
        with grad_mode.no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not isinstance(new, (Tensor, collections.abc.Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                             f"Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if original.dtype != new.dtype:
                raise ValueError("When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                                 f"original.dtype: {original.dtype}\nright_inverse(original).dtype: {new.dtype}")
            with grad_mode.no_grad():
                _set_data(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, part in enumerate(new):
                if not isinstance(part, Tensor):
                    raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                                     f"Got element {i} of the sequence with type {type(part).__name__}.")
                if isinstance(original, Parameter):
                    part = Parameter(part.detach(), original.requires_grad)
                else:
                    part = part.detach().requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", part)
        if not self.unsafe:
            z = self()
            if not isinstance(z, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
            if z.dtype != before[0]:
                raise ValueError("Registering a parametrization may not change the dtype of the tensor, unless "
                                 f"`unsafe` flag is enabled.\nunparametrized dtype: {before[0]}\n"
                                 f"parametrized dtype: {z.dtype}")
            if z.shape != before[1]:
                raise ValueError("Registering a parametrization may not change the shape of the tensor, unless "
                                 f"`unsafe` flag is enabled.\nunparametrized shape: {before[1]}\n"
                                 f"parametrized shape: {z.shape}")

    def right_inverse(self, value):
        r"""Stores ``value`` as the unparametrized tensor(s): the parametrizations' ``right_inverse``
        applied in reverse order, written into ``original`` (or ``original0, ...``) in place."""
        with grad_mode.no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                if value.dtype != self.original.dtype:
                    raise ValueError(f"The tensor returned by `right_inverse` has dtype {value.dtype} "
                                     f"while `original` has dtype {self.original.dtype}")
                _set_data(self.original, value)
                return
            if not isinstance(value, collections.abc.Sequence):
                raise ValueError(f"'right_inverse' must return a sequence of tensors. Got {type(value).__name__}.")
            if len(value) != self.ntensors:
                raise ValueError(f"'right_inverse' must return a sequence of tensors of length {self.ntensors}. "
                                 f"Got a sequence of length {len(value)}.")
            for i, tensor in enumerate(value):
                if not isinstance(tensor, Tensor):
                    raise ValueError("'right_inverse' must return a sequence of tensors or reference-type opaques. "
                                     f"Got element {i} of type {type(tensor).__name__}.")
                original_i = getattr(self, f"original{i}")
                if original_i.dtype != tensor.dtype:
                    raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype {tensor.dtype} "
                                     f"while `original{i}` has dtype {original_i.dtype}")
                _set_data(original_i, tensor)

    def forward(self):
        modules = list(self)
        if self.is_tensor:
            x = modules[0](self.original)
        else:
            x = modules[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in modules[1:]:
            x = module(x)
        return x


def _no_pickle(self):
    raise RuntimeError("Serialization of parametrized modules is only supported through state_dict(). See:\n"
                       "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
                       "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training")


def _deepcopy(self, memo):
    # The generated class refuses pickling (__getstate__), so deepcopy copies the state itself.
    replica = type(self).__new__(type(self))
    memo[id(self)] = replica
    replica.__dict__ = copy.deepcopy(self.__dict__, memo)
    return replica


def _inject_new_class(module):
    """Swaps ``module``'s class for a fresh subclass ``Parametrized<Name>`` (one per module, so
    the properties added to it concern this module only)."""
    cls = module.__class__
    namespace = {"__getstate__": _no_pickle}
    if not hasattr(cls, "__deepcopy__"):
        namespace["__deepcopy__"] = _deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), namespace)


def _inject_property(module, tensor_name):
    def get_parametrized(self):
        parametrization = self.parametrizations[tensor_name]
        if _cache_depth[0]:
            key = (id(self), tensor_name)
            tensor = _cache.get(key)
            if tensor is None:
                tensor = _cache[key] = parametrization()
            return tensor
        return parametrization()

    def set_original(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    r"""Registers ``parametrization`` on ``module.<tensor_name>``: reading it afterwards returns
    ``parametrization(original)``, where ``original`` (in ``module.parametrizations[tensor_name]``)
    is the tensor there was, stored as ``parametrization.right_inverse(tensor)`` when the
    parametrization has one. Registering again on the same name chains the parametrizations
    (the new one applied last).

    ``right_inverse`` may return a sequence of tensors: they are stored as ``original0, ...``
    and passed to ``forward`` as separate arguments.

    Args:
        module (nn.Module): the module.
        tensor_name (str): a parameter or buffer of ``module`` (or a name already parametrized).
        parametrization (nn.Module): computes the tensor from the original one(s).
        unsafe (bool): allow the parametrization to change dtype or shape (skipping the checks).

    Raises:
        ValueError: ``module`` has no such tensor, or the parametrization does not return a Tensor
            of the same dtype and shape (without ``unsafe``).

    Example::

        >>> class Symmetric(nn.Module):
        ...     def forward(self, X):
        ...         return X.triu() + X.triu(1).transpose(-1, -2)
        >>> m = nn.Linear(5, 5)
        >>> parametrize.register_parametrization(m, "weight", Symmetric())
        >>> bool((m.weight == m.weight.T).all())
        True
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            if not isinstance(x, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(x).__name__}.")
            if x.dtype != y.dtype:
                raise ValueError("Registering a parametrization may not change the dtype of the tensor, unless "
                                 f"the `unsafe` flag is enabled.\nmodule.{tensor_name}.dtype: {y.dtype}\n"
                                 f"parametrization(module.{tensor_name}).dtype: {x.dtype}")
            if x.shape != y.shape:
                raise ValueError("Registering a parametrization may not change the shape of the tensor, unless "
                                 f"the `unsafe` flag is enabled.\nmodule.{tensor_name}.shape: {y.shape}\n"
                                 f"parametrization(module.{tensor_name}).shape: {x.shape}")
            if hasattr(parametrization, "right_inverse"):
                try:
                    z = parametrization.right_inverse(x)
                except NotImplementedError:
                    pass
                else:
                    if not isinstance(z, Tensor):
                        raise ValueError(f"parametrization.right_inverse must return a tensor. Got: {type(z).__name__}")
                    if z.dtype != y.dtype:
                        raise ValueError("The tensor returned by parametrization.right_inverse must have the same "
                                         f"dtype as module.{tensor_name}, unless the `unsafe` flag is enabled.\n"
                                         f"module.{tensor_name}.dtype: {y.dtype}\nreturned dtype: {z.dtype}")
                    if z.shape != y.shape:
                        raise ValueError("The tensor returned by parametrization.right_inverse must have the same "
                                         f"shape as module.{tensor_name}, unless the `unsafe` flag is enabled.\n"
                                         f"module.{tensor_name}.shape: {y.shape}\nreturned shape: {z.shape}")
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = plist
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element "
                         f"with name '{tensor_name}'")
    return module


def is_parametrized(module, tensor_name=None):
    r"""Whether ``module`` has a parametrization (on ``tensor_name``, when given).

    Example::

        >>> parametrize.is_parametrized(nn.Linear(2, 2))
        False
    """
    parametrizations = getattr(module, "parametrizations", None)
    if parametrizations is None or not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    r"""Removes the parametrizations on ``module.<tensor_name>``: it becomes a parameter (or
    buffer) again, holding the parametrized value (``leave_parametrized=True``, the same
    Parameter object as ``original`` when there is one) or ``original`` itself. The module gets
    its class back when nothing else is parametrized.

    Raises:
        ValueError: nothing is parametrized on ``tensor_name``, or ``leave_parametrized=False``
            for a tensor parametrized by a sequence of tensors.

    Example::

        >>> parametrize.remove_parametrizations(m, "weight")
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with grad_mode.no_grad():
                t = getattr(module, tensor_name)
                _set_data(original, t)
    elif leave_parametrized:
        t = getattr(module, tensor_name)   # with grad mode: it says whether the originals required grad
        original = Parameter(t.detach(), True) if t.requires_grad else t.detach()
    else:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized "
                         "in terms of a sequence of tensors.")
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module):
    r"""The module's class before parametrizations were registered (its class when it has none).

    Example::

        >>> parametrize.type_before_parametrizations(m)
        <class 'pullback.nn.modules.linear.Linear'>
    """
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    r"""Registers ``from_module``'s parametrizations (all, or those on ``tensor_name``) on
    ``to_module``, the same parametrization objects, and copies the original tensors into it.
    A name ``to_module`` lacks is first added as a Parameter.

    Returns:
        Module: ``to_module``.
    """
    if is_parametrized(from_module):
        names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
        for name in names:
            if not hasattr(to_module, name):
                setattr(to_module, name, Parameter(getattr(from_module, name).detach()))
            for parametrization in from_module.parametrizations[name]:
                register_parametrization(to_module, name, parametrization)
            source, target = from_module.parametrizations[name], to_module.parametrizations[name]
            with grad_mode.no_grad():
                if hasattr(source, "original"):
                    _set_data(target.original, source.original)
                else:
                    i = 0
                    while hasattr(source, f"original{i}"):
                        setattr(target, f"original{i}", getattr(source, f"original{i}"))
                        i += 1
    return to_module
