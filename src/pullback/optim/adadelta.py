"""Adadelta and Adamax, as ``torch.optim.Adadelta`` / ``Adamax``."""
from .optimizer import (Optimizer, absolute, advance_step, check_lr, hyperparameter, maximum_into, sqrt,
                        state_array, unaliased)


class Adadelta(Optimizer):
    """Adadelta: ``s = rho s + (1 - rho) g^2``, ``d = sqrt(a + eps) / sqrt(s + eps) * g``,
    ``a = rho a + (1 - rho) d^2``, ``p -= lr * d``; weight decay adds ``weight_decay * p`` to the
    gradient.

    Args:
        params (iterable): parameters (or dicts of parameter groups) to optimize.
        lr (float or Tensor, optional): the factor applied to the delta (default: 1.0).
        rho (float, optional): the running averages' decay (default: 0.9).
        eps (float, optional): added inside the square roots (default: 1e-6).
        weight_decay (float, optional): L2 penalty (default: 0).
        foreach, capturable, differentiable (bool, optional): as torch's; foreach is accepted and
            ignored, capturable (CUDA graphs) is refused at the first step, differentiable records
            the step in the graph.
        maximize (bool, optional): maximize the objective instead of minimizing it (default: False).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach, differentiable=differentiable))

    def _update(self, p, x, g, state, group):
        advance_step(state)
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + hyperparameter(group["weight_decay"], x) * x
        rho, eps = group["rho"], group["eps"]
        square_avg = state_array(state, "square_avg", x)
        acc_delta = state_array(state, "acc_delta", x)
        square_avg *= rho
        square_avg += (1 - rho) * g * g
        std = sqrt(square_avg + eps)
        delta = sqrt(acc_delta + eps) / std * g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        x -= hyperparameter(group["lr"], x) * delta


class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm): ``m = b1 m + (1 - b1) g``,
    ``u = max(b2 u, |g| + eps)``, ``p -= lr / (1 - b1^t) * m / u``.

    Args:
        params (iterable): parameters (or dicts of parameter groups) to optimize.
        lr (float or Tensor, optional): learning rate (default: 2e-3).
        betas (tuple[float, float], optional): decay of the first moment and of the infinity norm
            (default: (0.9, 0.999)).
        eps (float, optional): added to ``|g|`` (default: 1e-8).
        weight_decay (float, optional): L2 penalty (default: 0).
        foreach, capturable, differentiable (bool, optional): as torch's; foreach is accepted and
            ignored, capturable (CUDA graphs) is refused at the first step, differentiable records
            the step in the graph.
        maximize (bool, optional): maximize the objective instead of minimizing it (default: False).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        step = advance_step(state)
        if group["weight_decay"]:
            g = g + hyperparameter(group["weight_decay"], x) * x
        beta1, beta2 = group["betas"]
        exp_avg = state_array(state, "exp_avg", x)
        exp_inf = state_array(state, "exp_inf", x)
        exp_avg += (g - exp_avg) * (1 - beta1)
        exp_inf *= beta2
        maximum_into(exp_inf, absolute(g) + group["eps"])
        clr = hyperparameter(group["lr"], x) / (1 - beta1 ** step)
        x -= clr * (unaliased(exp_avg) / unaliased(exp_inf))
