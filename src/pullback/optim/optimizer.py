"""``optim.Optimizer``: parameter groups, per-parameter state, state dicts.

Optimizers update parameters in place on their arrays, outside any graph; each update bumps the
parameter's version, so a graph that saved the old value refuses to backward through it.
With ``differentiable=True`` (as torch) the same update runs on the Tensors in grad mode instead,
so that it is recorded: gradients flow through ``step()`` into what the parameters, gradients and
Tensor hyperparameters came from. Each optimizer writes its update once, with the helpers below
that work on arrays and Tensors alike.
"""
import copy
import warnings

from .._backend import B
from .. import _tape
from .._creation import tensor
from .._ops.elementwise import maximum
from .._tensor import Tensor
from ..autograd import grad_mode
from ..nn.modules.module import zero_grads


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of params and hyperparameters) and ``state``."""

    _compile_opaque = True  # pullback.compile calls its step() again at replay: nothing to guard

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A compiled step calls step() and zero_grad() again at replay (see Note [Recording a step]).
        _tape.wrap_opaque_methods(cls, ("step", "zero_grad"))

    def _compile_writes(self):
        """The tensors a replayed ``step()`` or ``zero_grad()`` may write: the parameters."""
        return [p for group in self.param_groups for p in group["params"]]

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + type(params).__name__)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)
        if defaults.get("fused") and defaults.get("differentiable"):
            raise RuntimeError("`fused` does not support `differentiable`")
        if defaults.get("fused") and defaults.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def add_param_group(self, param_group):
        """Adds a group of parameters with its own hyperparameters (defaults fill the rest).
        Parameters may come named, as ``(name, tensor)`` pairs (``module.named_parameters()``):
        the group then keeps their ``param_names``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + type(p).__name__)
            if not (self.defaults.get("differentiable") or p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        param_group["params"] = params  # the caller's dict becomes the group, as in torch
        if names:
            param_group["param_names"] = names
        for key, value in self.defaults.items():
            if value is required and key not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {key}")
            param_group.setdefault(key, value)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        if self.param_groups and ("param_names" in param_group) != ("param_names" in self.param_groups[0]):
            with_or_without = "with" if names else "without"
            raise ValueError("all optimizer param groups should be with/without names. "
                             f"cannot add param group {with_or_without} names to the optimizer")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Resets the gradients of every parameter (to None, or zeros in place)."""
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        """Performs one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        differentiable = bool(self.defaults["differentiable"])
        states, update = self.state, self._update
        previous = grad_mode._state.enabled  # (set and restored by hand: step() runs every iteration)
        grad_mode._set_enabled(differentiable)
        try:
            for group in self.param_groups:
                if differentiable and group.get("foreach") and not self._foreach_differentiable:
                    raise AssertionError("_foreach ops don't support autograd")
                capturable = group.get("capturable") and not group.get("fused")  # fused: no such check
                for p in group["params"]:
                    grad = p._grad  # the slot: reading .grad of a non-leaf (differentiable) would warn
                    if grad is None:
                        continue
                    if capturable:  # CUDA graphs: pullback's tensors, like torch's CPU ones, cannot be captured
                        raise AssertionError("If capturable=True, params and state_steps must be on supported "
                                             "devices: ['cuda', 'xpu', 'hpu', 'privateuseone', 'xla'].")
                    state = states.get(p)
                    if state is None:
                        state = states[p] = {}
                    if differentiable:  # on the Tensors, recorded (in-place Tensor ops bump the version)
                        update(p, p, grad, state, group)
                    else:
                        update(p, p._data, grad._data, state, group)
                        p._bump_version()
                    if not state:  # an optimizer without state for this group (SGD without momentum)
                        del states[p]
        finally:
            grad_mode._set_enabled(previous)
        return loss

    _foreach_differentiable = False  # torch's foreach implementation records the step (SGD's does)

    def _update(self, p, x, g, state, group):
        """Updates ``x`` in place from the gradient ``g``: the arrays of parameter ``p`` and of its
        gradient, or (``differentiable=True``) ``p`` and ``p.grad`` themselves."""
        raise NotImplementedError(f"{type(self).__name__} must define _update (or override step)")

    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        # As torch's, the state holds the optimizer's own tensors, not copies.
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restores hyperparameters and state saved by ``state_dict``."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        params = []
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 "optimizer's group")
            params.extend(zip(saved["params"], mine["params"]))
            mine.update({k: v for k, v in saved.items() if k != "params"})
        by_index = dict(params)
        self.state = {}
        for idx, s in state_dict["state"].items():
            p = by_index[int(idx)]
            self.state[p] = {k: _loaded_state_value(k, v, p) for k, v in s.items()}

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _loaded_state_value(key, value, p):
    """A loaded state value: floating Tensors take the parameter's dtype, except the step count."""
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    if value.is_floating_point() and key != "step":
        return value.clone().to(p.dtype)
    return value.clone()


def check_lr(lr, foreach=None, capturable=False):
    """torch's checks of a learning rate (a float or a one-element Tensor)."""
    if isinstance(lr, Tensor):
        if foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        if lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _array(a):
    return a._data if isinstance(a, Tensor) else a


def state_array(state, key, like, fill=0):
    """The state entry ``key`` (created filled with ``fill`` like ``like``, stored as a Tensor), as
    ``like`` is: an array (always an ndarray, 0-dim included, so that updates in place reach the
    state) or, on the differentiable path, the Tensor."""
    if key not in state:
        state[key] = Tensor._make(B.full_like(_array(like), fill))
    return state[key] if isinstance(like, Tensor) else state[key]._data


def state_copy(state, key, value, like):
    """Stores a copy of ``value`` (of ``like``'s dtype, and out of any graph, as torch's first
    momentum buffer) as the state entry ``key``; returns it as ``state_array`` does."""
    state[key] = Tensor._make(B.array(_array(value), dtype=_array(like).dtype, copy=True))
    return state[key] if isinstance(like, Tensor) else state[key]._data


def hyperparameter(value, x):
    """A hyperparameter as the update of ``x`` uses it: a float on arrays; on the differentiable
    path a Tensor stays one (0-dim), so that gradients reach it."""
    if isinstance(value, Tensor) and isinstance(x, Tensor):
        return value.squeeze() if value.dim() else value
    return float(value)


def sqrt(a):
    """The elementwise square root of an array or a Tensor."""
    return a.sqrt() if isinstance(a, Tensor) else B.sqrt(a)


def maximum_into(out, other):
    """``out = max(out, other)`` in place, on arrays or Tensors."""
    if isinstance(out, Tensor):
        out.copy_(maximum(out.clone(), other))  # the clone: the graph keeps the old maximum
    else:
        B.maximum(out, other, out=out)


def unaliased(a):
    """``a``, or on the differentiable path a copy of it: where the graph saves a state Tensor that
    the next step updates in place (backward would refuse the modified value)."""
    return a.clone() if isinstance(a, Tensor) else a


def advance_step(state):
    """Counts one more step in ``state['step']`` (a 0-dim float Tensor, as torch keeps it) and
    returns the new count as a float."""
    if "step" not in state:
        state["step"] = new_step()
    step = state["step"]._data
    step += 1
    return float(step)


def new_step():
    return tensor(0.0)


def absolute(a):
    """``|a|`` of an array or a Tensor."""
    return a.abs() if isinstance(a, Tensor) else B.abs(a)


def sign(a):
    """The elementwise sign of an array or a Tensor."""
    return a.sign() if isinstance(a, Tensor) else B.sign(a)


def where(condition, a, b, like):
    """``where(condition, a, b)`` with ``like``'s kind (array or Tensor) and dtype."""
    if isinstance(like, Tensor):
        from .._ops.elementwise import where as where_
        return where_(condition, a, b)
    return B.where(condition, a, b).astype(like.dtype, copy=False)


def clamp_into(out, low, high):
    """Clamps ``out`` to ``[low, high]`` in place, on arrays or Tensors."""
    if isinstance(out, Tensor):
        out.clamp_(low, high)
    else:
        B.clip(out, low, high, out=out)


def scalar_state(state, key, value):
    """The 0-dim float32 state entry ``key`` (created as ``value``), as a Tensor (torch keeps
    ``step``, NAdam's ``mu_product``, ASGD's ``eta`` and ``mu`` so)."""
    if key not in state:
        state[key] = tensor(float(value))
    return state[key]


_tape.wrap_opaque_methods(Optimizer, ("step", "zero_grad"))
