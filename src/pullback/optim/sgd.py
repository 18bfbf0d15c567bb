"""Stochastic gradient descent, with momentum (plain or Nesterov), dampening and weight decay."""
from .optimizer import Optimizer, check_lr, hyperparameter, required, state_array, state_copy


class SGD(Optimizer):
    """SGD, as ``torch.optim.SGD``:

    ``g = grad + weight_decay * p``; with momentum ``b = momentum * b + (1 - dampening) * g``
    (``b = g`` at the first step) and ``g = b`` (or ``g + momentum * b`` with ``nesterov``);
    then ``p -= lr * g`` (``+=`` with ``maximize``).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr is not required:
            check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + hyperparameter(group["weight_decay"], x) * x
        momentum = group["momentum"]
        if momentum:
            if "momentum_buffer" not in state:
                buf = state_copy(state, "momentum_buffer", g, x)
            else:
                buf = state_array(state, "momentum_buffer", x)
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        x -= hyperparameter(group["lr"], x) * g

    _foreach_differentiable = True
