"""RMSprop and Adagrad, as ``torch.optim``."""
from .optimizer import Optimizer, state_array


class RMSprop(Optimizer):
    """RMSprop: ``s = alpha s + (1 - alpha) g^2``; ``p -= lr g / (sqrt(s) + eps)`` (centered:
    ``s - mean(g)^2`` under the root; momentum: a buffer of those steps)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + group["weight_decay"] * x
        alpha = group["alpha"]
        state["step"] = state.get("step", 0) + 1
        sq = state_array(state, "square_avg", x)
        sq *= alpha
        sq += (1 - alpha) * g * g
        if group["centered"]:
            avg_g = state_array(state, "grad_avg", x)
            avg_g += (g - avg_g) * (1 - alpha)
            avg = (sq - avg_g * avg_g) ** 0.5 + group["eps"]
        else:
            avg = sq ** 0.5 + group["eps"]
        if group["momentum"] > 0:
            buf = state_array(state, "momentum_buffer", x)
            buf *= group["momentum"]
            buf += g / avg
            x -= group["lr"] * buf
        else:
            x -= group["lr"] * g / avg


class Adagrad(Optimizer):
    """Adagrad: ``s += g^2``; ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                from .._tensor import Tensor
                self.state[p] = {"step": 0, "sum": Tensor._make(p._data * 0 + initial_accumulator_value)}

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + group["weight_decay"] * x
        state["step"] = step = state.get("step", 0) + 1
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        s = state_array(state, "sum", x)
        s += g * g
        x -= clr * g / (s ** 0.5 + group["eps"])
