"""Adam and AdamW (with AMSGrad), as ``torch.optim.Adam`` / ``AdamW``."""
import math

from .._backend import B
from .optimizer import Optimizer, state_array


class Adam(Optimizer):
    """Adam: ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``; weight decay adds
    ``weight_decay * p`` to the gradient (AdamW decays the parameter instead)."""

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if wd:
            if self._decoupled:
                x *= 1 - lr * wd
            else:
                g = g + wd * x
        state["step"] = step = state.get("step", 0) + 1
        m = state_array(state, "exp_avg", x)
        v = state_array(state, "exp_avg_sq", x)
        m += (g - m) * (1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
        if group["amsgrad"]:
            v_max = state_array(state, "max_exp_avg_sq", x)
            B.maximum(v_max, v, out=v_max)
            denom = (v_max ** 0.5) / bias_correction2_sqrt + eps
        else:
            denom = (v ** 0.5) / bias_correction2_sqrt + eps
        x -= step_size * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before the Adam step."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
