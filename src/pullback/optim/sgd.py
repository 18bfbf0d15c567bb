"""Stochastic gradient descent, with momentum (plain or Nesterov), dampening and weight decay."""
from .optimizer import Optimizer, required
from .._tensor import Tensor


class SGD(Optimizer):
    """SGD, as ``torch.optim.SGD``:

    ``g = grad + weight_decay * p``; with momentum ``b = momentum * b + (1 - dampening) * g``
    (``b = g`` at the first step) and ``g = b`` (or ``g + momentum * b`` with ``nesterov``);
    then ``p -= lr * g`` (``+=`` with ``maximize``).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + group["weight_decay"] * x
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor._make(g.copy())
            else:
                b = buf._data
                b *= momentum
                b += (1 - group["dampening"]) * g
            g = g + momentum * buf._data if group["nesterov"] else buf._data
        x -= group["lr"] * g
