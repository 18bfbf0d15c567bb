"""RMSprop and Adagrad, as ``torch.optim``."""
from .optimizer import Optimizer, advance_step, check_lr, hyperparameter, new_step, sqrt, state_array


class RMSprop(Optimizer):
    """RMSprop: ``s = alpha s + (1 - alpha) g^2``; ``p -= lr g / (sqrt(s) + eps)`` (centered:
    ``s - mean(g)^2`` under the root; momentum: a buffer of those steps)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        advance_step(state)
        if group["weight_decay"]:
            g = g + hyperparameter(group["weight_decay"], x) * x
        alpha = group["alpha"]
        sq = state_array(state, "square_avg", x)
        if group["momentum"] > 0:
            buf = state_array(state, "momentum_buffer", x)
        if group["centered"]:
            avg_g = state_array(state, "grad_avg", x)
        sq *= alpha
        sq += (1 - alpha) * g * g
        if group["centered"]:
            avg_g += (g - avg_g) * (1 - alpha)
            avg = sqrt(sq - avg_g * avg_g) + group["eps"]
        else:
            avg = sqrt(sq) + group["eps"]
        lr = hyperparameter(group["lr"], x)
        if group["momentum"] > 0:
            buf *= group["momentum"]
            buf += g / avg
            x -= lr * buf
        else:
            x -= lr * (g / avg)


class Adagrad(Optimizer):
    """Adagrad: ``s += g^2``; ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))
        for group in self.param_groups:  # torch creates Adagrad's state up front
            for p in group["params"]:
                state = self.state[p] = {"step": new_step()}
                state_array(state, "sum", p._data, fill=group["initial_accumulator_value"])

    def _update(self, p, x, g, state, group):
        step = advance_step(state)
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + hyperparameter(group["weight_decay"], x) * x
        clr = hyperparameter(group["lr"], x) / (1 + (step - 1) * group["lr_decay"])
        s = state_array(state, "sum", x)
        s += g * g
        x -= clr * (g / (sqrt(s) + group["eps"]))
