"""NAdam and RAdam, as ``torch.optim.NAdam`` / ``RAdam``."""
import math

from .._tensor import Tensor
from .optimizer import Optimizer, advance_step, check_lr, hyperparameter, scalar_state, sqrt, state_array, unaliased


def _check_adam_like(eps, betas, weight_decay):
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _decay(x, g, group):
    """Weight decay: added to the gradient, or (decoupled, as AdamW) scaling the parameter."""
    wd = hyperparameter(group["weight_decay"], x)
    if wd:
        if group["decoupled_weight_decay"]:
            x *= 1 - hyperparameter(group["lr"], x) * wd
        else:
            g = g + wd * x
    return g


def _moments(state, x, g, beta1, beta2):
    exp_avg = state_array(state, "exp_avg", x)
    exp_avg_sq = state_array(state, "exp_avg_sq", x)
    exp_avg += (g - exp_avg) * (1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    return exp_avg, exp_avg_sq


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum, whose coefficient ``mu_t = b1 (1 - 0.96^(t psi) / 2)``
    warms up with ``momentum_decay`` ``psi``:
    ``p -= lr ((1 - mu_t) / (1 - prod mu) g + mu_{t+1} / (1 - prod mu * mu_{t+1}) m) / (sqrt(v / (1 - b2^t)) + eps)``.

    Args:
        params (iterable): parameters (or dicts of parameter groups) to optimize.
        lr (float or Tensor, optional): learning rate (default: 2e-3).
        betas (tuple[float, float], optional): the moments' decays (default: (0.9, 0.999)).
        eps (float, optional): added to the denominator (default: 1e-8).
        weight_decay (float, optional): weight decay (default: 0).
        momentum_decay (float, optional): ``psi`` (default: 4e-3).
        decoupled_weight_decay (bool, optional): decay the weights as AdamW (NAdamW) instead of
            adding an L2 gradient (default: False).
        foreach, capturable, differentiable (bool, optional): as torch's; foreach is accepted and
            ignored, capturable (CUDA graphs) is refused at the first step, differentiable records
            the step in the graph.
        maximize (bool, optional): maximize the objective instead of minimizing it (default: False).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr(lr)
        _check_adam_like(eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        step = advance_step(state)
        mu_product = scalar_state(state, "mu_product", 1.0)
        beta1, beta2 = group["betas"]
        lr, decay = hyperparameter(group["lr"], x), group["momentum_decay"]
        bias_correction2 = 1 - beta2 ** step
        g = _decay(x, g, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
        mu_product._data *= mu
        exp_avg, exp_avg_sq = _moments(state, x, g, beta1, beta2)
        denom = sqrt(exp_avg_sq / bias_correction2) + group["eps"]
        if isinstance(x, Tensor):  # differentiable, as torch: the coefficients from the (float32) Tensor
            prod = unaliased(mu_product)
            # (a number over a Tensor is its reciprocal times the number, in the Tensor's float32, as torch)
            x += g * ((1.0 - prod).reciprocal() * (-lr * (1.0 - mu))) / denom
            x += unaliased(exp_avg) * ((1.0 - prod * mu_next).reciprocal() * (-lr * mu_next)) / denom
        else:
            prod = float(mu_product._data)
            x += (-lr * (1.0 - mu) / (1.0 - prod)) * (g / denom)
            x += (-lr * mu_next / (1.0 - prod * mu_next)) * (exp_avg / denom)


class RAdam(Optimizer):
    """RAdam: Adam whose adaptive step is rectified by the variance of its estimate, and
    replaced by plain momentum SGD while that variance is intractable (``rho_t <= 5``).

    Args:
        params (iterable): parameters (or dicts of parameter groups) to optimize.
        lr (float or Tensor, optional): learning rate (default: 1e-3).
        betas (tuple[float, float], optional): the moments' decays (default: (0.9, 0.999)).
        eps (float, optional): added to the denominator (default: 1e-8).
        weight_decay (float, optional): weight decay (default: 0).
        decoupled_weight_decay (bool, optional): decay the weights as AdamW instead of adding an
            L2 gradient (default: False).
        foreach, capturable, differentiable (bool, optional): as torch's; foreach is accepted and
            ignored, capturable (CUDA graphs) is refused at the first step, differentiable records
            the step in the graph.
        maximize (bool, optional): maximize the objective instead of minimizing it (default: False).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        _check_adam_like(eps, betas, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        step = advance_step(state)
        beta1, beta2 = group["betas"]
        lr = hyperparameter(group["lr"], x)
        g = _decay(x, g, group)
        exp_avg, exp_avg_sq = _moments(state, x, g, beta1, beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        corrected = unaliased(exp_avg) / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = bias_correction2 ** 0.5 / (sqrt(exp_avg_sq) + group["eps"])
            x -= corrected * lr * adaptive * rect
        else:
            x -= corrected * lr
