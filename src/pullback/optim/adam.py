"""Adam and AdamW (with AMSGrad), as ``torch.optim.Adam`` / ``AdamW``."""
from .._tensor import Tensor
from .optimizer import (Optimizer, advance_step, check_lr, hyperparameter, maximum_into, sqrt, state_array,
                        unaliased)


class Adam(Optimizer):
    """Adam: ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``; weight decay adds
    ``weight_decay * p`` to the gradient (with ``decoupled_weight_decay``, as AdamW, it scales the
    parameter by ``1 - lr * weight_decay`` instead)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_lr(lr, foreach, capturable)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_betas(betas, foreach, capturable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        lr, eps, wd = hyperparameter(group["lr"], x), group["eps"], hyperparameter(group["weight_decay"], x)
        beta1, beta2 = (hyperparameter(beta, x) for beta in group["betas"])
        if wd:
            if group["decoupled_weight_decay"]:
                x *= 1 - lr * wd
            else:
                g = g + wd * x
        step = advance_step(state)
        if isinstance(x, Tensor):  # differentiable, as torch: the bias corrections from the (float32) step Tensor
            step = unaliased(state["step"])
        m = state_array(state, "exp_avg", x)
        v = state_array(state, "exp_avg_sq", x)
        if group["amsgrad"]:
            v_max = state_array(state, "max_exp_avg_sq", x)
        m += (g - m) * (1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        if group["amsgrad"]:
            maximum_into(v_max, v)
            v = v_max
        denom = sqrt(v) / bias_correction2_sqrt + eps
        x -= step_size * (unaliased(m) / denom)


def _check_betas(betas, foreach, capturable):
    """Both floats, or both one-element Tensors (not with foreach unless capturable), as torch."""
    if not (all(isinstance(b, float) for b in betas) or all(isinstance(b, Tensor) for b in betas)):
        raise ValueError("betas must be either both floats or both Tensors")
    for i, beta in enumerate(betas):
        if isinstance(beta, Tensor):
            if foreach and not capturable:
                raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
            if beta.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before the Adam step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
