"""``nn.Module``: parameters, buffers and submodules registered by attribute assignment,
traversal, state dicts, train/eval, hooks, and PyTorch's printing."""
import collections
from collections import OrderedDict

from ..._tensor import Tensor
from ... import _tape
from ... import _dtype as D
from ...autograd import grad_mode
from ...autograd.graph import RemovableHandle, _HookDict, add_hook
from ..parameter import Parameter, Buffer, is_lazy
from ._backward_hooks import BackwardHookState

_IncompatibleKeys = collections.namedtuple("_IncompatibleKeys", ["missing_keys", "unexpected_keys"])


# Bumped by every change to a module's attributes, parameters, buffers, children or training
# mode: pullback.compile recomputes its guard on a module only when this moved.
STATE_VERSION = [0]


def bump_state():
    STATE_VERSION[0] += 1


def zero_grads(parameters, set_to_none=True):
    """Sets each parameter's ``.grad`` to None, or (``set_to_none=False``) zeroes it in place."""
    for p in parameters:
        if p._grad is not None:
            if set_to_none:
                p._grad = None
            else:
                p._grad.detach_()
                p._grad.zero_()


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * spaces + line for line in lines)


class Module:
    """Base class of every layer and model.

    Assigning a ``Parameter``, a ``Module`` or (through ``register_buffer``) a buffer to an
    attribute registers it; ``__call__`` runs the hooks around ``forward``.

    Example::

        >>> class Net(pullback.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = pullback.nn.Linear(2, 1)
        ...     def forward(self, x):
        ...         return self.fc(x)
        >>> [name for name, _ in Net().named_parameters()]
        ['fc.weight', 'fc.bias']
    """

    _version = 1
    training: bool

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() takes no arguments")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_pre_hooks"] = _HookDict()
        d["_forward_pre_hooks_with_kwargs"] = set()
        d["_forward_hooks"] = _HookDict()
        d["_forward_hooks_with_kwargs"] = set()
        d["_forward_hooks_always_called"] = set()
        d["_backward_pre_hooks"] = _HookDict()
        d["_backward_hooks"] = _HookDict()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # ---------------------------------------------------------- registration
    def __setattr__(self, name, value):
        STATE_VERSION[0] += 1
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if d.get("_modules") is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name)
            d["_modules"][name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            d["_modules"][name] = value
        elif isinstance(value, Buffer):
            self._remove_from(name)
            self.register_buffer(name, value, persistent=value.persistent)
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(torch.Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _remove_from(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            d[key].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)
        d.pop(name, None)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        STATE_VERSION[0] += 1
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d[key]:
                del d[key][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(object.__dir__(self)) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def _check_name(self, name, kind):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')

    def register_parameter(self, name, param):
        """Adds a parameter (or None) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             "created explicitly. To express '{name}' as a function of another Tensor, compute "
                             "the value in the forward() method.")
        self._parameters[name] = param
        STATE_VERSION[0] += 1

    def register_buffer(self, name, tensor, persistent=True):
        """Adds a buffer (state that is not a parameter, e.g. running statistics); a
        non-persistent buffer stays out of ``state_dict``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        STATE_VERSION[0] += 1
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Adds a child module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module
        STATE_VERSION[0] += 1

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at the dotted path ``target`` (``''`` is this module)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def get_parameter(self, target):
        """The parameter at the dotted path ``target``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(mod._get_name() + " has no parameter `" + name + "`")
        return mod._parameters[name]

    # -------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yields ``(name, module)`` for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(name + ("." if name else "") + key, m) for key, m in module._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        """This module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Yields ``(name, module)`` for the direct children."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        """The direct child modules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for key, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + key, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yields ``(dotted name, parameter)``, each shared parameter once."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """The parameters of this module (and, with ``recurse``, of its descendants)."""
        if not recurse:
            return iter([p for p in self._parameters.values() if p is not None])
        # The same order as named_parameters, without building names (zero_grad and optimizers
        # walk this every step).
        seen_modules, seen, out = set(), set(), []
        stack = [self]
        while stack:
            module = stack.pop()
            if module in seen_modules:
                continue
            seen_modules.add(module)
            d = module.__dict__
            for p in d["_parameters"].values():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
            children = d["_modules"]
            if children:
                stack.extend(reversed([m for m in children.values() if m is not None]))
        return iter(out)

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yields ``(dotted name, buffer)``."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """The buffers of this module (and its descendants)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        """Sets training mode (dropout active, batch-norm batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        STATE_VERSION[0] += 1
        return self

    def eval(self):
        """Sets evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Sets ``requires_grad`` of every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    @_tape.opaque  # a compiled step calls it again at replay
    def zero_grad(self, set_to_none=True):
        """Resets the gradients of every parameter (to None, or to zeros in place)."""
        if not set_to_none:
            zero_grads(self.parameters(), False)
            return
        # Called every training step: a bare walk (setting None twice is harmless, so no
        # parameter bookkeeping; modules are still visited once, as a module may contain itself).
        seen = set()
        stack = [self]
        while stack:
            module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            d = module.__dict__
            for p in d["_parameters"].values():
                if p is not None:
                    p._grad = None
            if d["_modules"]:
                stack.extend([m for m in d["_modules"].values() if m is not None])

    def apply(self, fn):
        """Calls ``fn`` on every descendant and then on this module (as PyTorch: children first)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, convert):
        with grad_mode.no_grad():
            for m in self.modules():
                for key, p in m._parameters.items():
                    if p is not None:
                        p.data = convert(p.data)
                        if p._grad is not None:
                            p._grad = convert(p._grad)
                for key, b in m._buffers.items():
                    if b is not None:
                        m._buffers[key] = convert(b)
        return self

    def to(self, *args, **kwargs):
        """Converts floating point parameters and buffers to a dtype (``to(dtype)``,
        ``to(device)`` with device 'cpu', ``to(tensor)``)."""
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
        if dtype is None:
            return self
        if not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}")
        return self._apply_to_tensors(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def float(self):
        """Casts floating point parameters and buffers to float32."""
        return self.to(D.float32)

    def double(self):
        """Casts floating point parameters and buffers to float64."""
        return self.to(D.float64)

    def half(self):
        return self.to(D.float16)

    def cpu(self):
        return self

    def cuda(self, device=None):
        raise RuntimeError("pullback computes on the CPU only: there is no CUDA device.")

    def type(self, dst_type):
        return self.to(dst_type)

    # ------------------------------------------------------------- state dicts
    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ordered dict of every parameter and persistent buffer by dotted name (detached
        unless ``keep_vars``)."""
        if destination is None:
            destination = OrderedDict()
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip(".")):
            dot = module_prefix + "." if module_prefix else ""
            for name, p in module._parameters.items():
                if p is not None:   # an uninitialized (lazy) one is itself, as PyTorch's
                    destination[dot + name] = p if keep_vars or is_lazy(p) else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    destination[dot + name] = b if keep_vars or is_lazy(b) else b.detach()
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copies parameters and buffers from ``state_dict``. With ``strict``, missing or
        unexpected keys raise PyTorch's error; returns ``(missing_keys, unexpected_keys)``."""
        # A lazy module's uninitialized parameters and buffers take the shapes of the initialized
        # ones loaded into them (PyTorch's lazy load hook); uninitialized ones loaded stay so.
        for module_prefix, module in self.named_modules():
            dot = module_prefix + "." if module_prefix else ""
            for store in (module._parameters, module._buffers):
                for name, target in store.items():
                    source = state_dict.get(dot + name)
                    if is_lazy(target) and isinstance(source, Tensor) and not is_lazy(source):
                        target.materialize(source.shape)
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            source = state_dict[key]
            if not isinstance(source, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
                              f"object from checkpoint but received {type(source)}")
                continue
            if is_lazy(target):   # an uninitialized one loaded into an uninitialized one: nothing to copy
                continue
            if tuple(source.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape {source.shape} from "
                              f"checkpoint, the shape in current model is {target.shape}.")
                continue
            with grad_mode.no_grad():
                target.copy_(source)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(self._get_name(), "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------- hooks
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Registers ``hook(module, args)`` (or ``hook(module, args, kwargs)`` with
        ``with_kwargs``) to run before ``forward``; a returned value replaces the arguments."""
        _, handle = add_hook(self._forward_pre_hooks, hook)
        if prepend:
            _move_first(self._forward_pre_hooks, handle.id)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Registers ``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
        ``with_kwargs``) to run after ``forward``; a returned value replaces the output.

        Example::

            >>> activations = []
            >>> h = model[1].register_forward_hook(lambda m, inp, out: activations.append(out))
        """
        _, handle = add_hook(self._forward_hooks, hook)
        if prepend:
            _move_first(self._forward_hooks, handle.id)
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if always_call:
            self._forward_hooks_always_called.add(handle.id)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Registers ``hook(module, grad_output)`` to run when the gradients of the module's
        outputs are known; a returned tuple replaces ``grad_output``."""
        _, handle = add_hook(self._backward_pre_hooks, hook)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """Registers ``hook(module, grad_input, grad_output)`` to run when the gradients of the
        module's tensor inputs are known; a returned tuple replaces ``grad_input``."""
        _, handle = add_hook(self._backward_hooks, hook)
        return handle

    def register_backward_hook(self, hook):
        """Deprecated in PyTorch; pullback gives it the semantics of the full backward hook."""
        return self.register_full_backward_hook(hook)

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if not (d["_forward_pre_hooks"] or d["_forward_hooks"] or d["_backward_hooks"] or d["_backward_pre_hooks"]):
            return self.forward(*args, **kwargs)  # no hooks: the common case
        pre_hooks = d["_forward_pre_hooks"]
        if pre_hooks:
            for hid, hook in list(pre_hooks.items()):
                if hid in d["_forward_pre_hooks_with_kwargs"]:
                    result = hook(self, args, kwargs)
                    if result is not None:
                        args, kwargs = result
                else:
                    result = hook(self, args)
                    if result is not None:
                        args = result if isinstance(result, tuple) else (result,)
        backward_hooks = d["_backward_hooks"] or d["_backward_pre_hooks"]
        if backward_hooks:
            state = BackwardHookState(self)
            args = state.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        forward_hooks = d["_forward_hooks"]
        if forward_hooks:
            for hid, hook in list(forward_hooks.items()):
                if hid in d["_forward_hooks_with_kwargs"]:
                    result = hook(self, args, kwargs, output)
                else:
                    result = hook(self, args, output)
                if result is not None:
                    output = result
        if backward_hooks:
            output = state.wrap_outputs(output)
        return output

    # ----------------------------------------------------------------- printing
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside this module's parentheses when printed (override in subclasses)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)


def _move_first(hooks, hook_id):
    items = list(hooks.items())
    hooks.clear()
    hooks[hook_id] = dict(items)[hook_id]
    hooks.update((k, v) for k, v in items if k != hook_id)


__all__ = ["Module", "RemovableHandle"]
