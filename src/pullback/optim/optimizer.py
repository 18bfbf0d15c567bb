"""``optim.Optimizer``: parameter groups, per-parameter state, state dicts.

Optimizers update parameters in place on their arrays, outside any graph; each update bumps the
parameter's version, so a graph that saved the old value refuses to backward through it.
"""
import copy

from .._backend import B
from .._creation import tensor
from .._tensor import Tensor
from ..autograd import grad_mode
from ..nn.modules.module import zero_grads


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of params and hyperparameters) and ``state``."""

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

    def add_param_group(self, param_group):
        """Adds a group of parameters with its own hyperparameters (defaults fill the rest)."""
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + type(p).__name__)
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        for key, value in self.defaults.items():
            if value is required and key not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {key}")
            group.setdefault(key, value)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Resets the gradients of every parameter (to None, or zeros in place)."""
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def _params_with_grad(self, group):
        for p in group["params"]:
            if p.grad is not None:
                yield p

    def step(self, closure=None):
        """Performs one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        with grad_mode.no_grad():
            for group in self.param_groups:
                for p in self._params_with_grad(group):
                    state = self.state.setdefault(p, {})
                    self._update(p, p._data, p.grad._data, state, group)
                    if not state:  # an optimizer without state for this group (SGD without momentum)
                        del self.state[p]
                    p._bump_version()
        return loss

    def _update(self, p, x, g, state, group):
        """Updates the array ``x`` of parameter ``p`` in place from its gradient array ``g``."""
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


def check_lr(lr):
    """torch's checks of a learning rate (a float or a one-element Tensor)."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def state_array(state, key, like, fill=0):
    """The state entry ``key`` as an array (created filled with ``fill`` like ``like``, stored as a
    Tensor). Always an ndarray, 0-dim included, so that updates in place reach the state."""
    if key not in state:
        state[key] = Tensor._make(B.full_like(like, fill))
    return state[key]._data


def state_copy(state, key, value, like):
    """Stores a copy of the array ``value`` as the state entry ``key`` (an ndarray of ``like``'s dtype)."""
    state[key] = Tensor._make(B.array(value, dtype=like.dtype, copy=True))
    return state[key]._data


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
