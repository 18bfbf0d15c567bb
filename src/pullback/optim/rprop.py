"""ASGD and Rprop, as ``torch.optim.ASGD`` / ``Rprop``."""
from .._tensor import Tensor
from .optimizer import (Optimizer, advance_step, check_lr, clamp_into, hyperparameter, scalar_state, sign,
                        state_array, unaliased, where)


class ASGD(Optimizer):
    """Averaged SGD: ``p = p (1 - lambd eta) - eta g``; the average ``ax`` follows ``p`` from step
    ``t0`` on (``mu = 1 / max(1, t - t0)``); ``eta = lr / (1 + lambd lr t)^alpha``.

    Args:
        params (iterable): parameters (or dicts of parameter groups) to optimize.
        lr (float or Tensor, optional): learning rate (default: 1e-2).
        lambd (float, optional): decay term (default: 1e-4).
        alpha (float, optional): power of the ``eta`` update (default: 0.75).
        t0 (float, optional): the step at which averaging starts (default: 1e6).
        weight_decay (float, optional): L2 penalty (default: 0).
        foreach, capturable, differentiable (bool, optional): as torch's; foreach is accepted and
            ignored, capturable (CUDA graphs) is refused at the first step, differentiable records
            the step in the graph.
        maximize (bool, optional): maximize the objective instead of minimizing it (default: False).
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        lr, lambd = float(group["lr"]), group["lambd"]
        eta = scalar_state(state, "eta", lr)
        mu = scalar_state(state, "mu", 1.0)
        ax = state_array(state, "ax", x)
        step = advance_step(state)
        if group["weight_decay"]:
            g = g + hyperparameter(group["weight_decay"], x) * x
        eta_value = float(eta._data)
        x *= 1 - lambd * eta_value
        x -= eta_value * g
        mu_value = float(mu._data)
        if mu_value != 1:
            ax += (x - ax) * mu_value
        elif isinstance(ax, Tensor):
            ax.copy_(x)
        else:
            ax[...] = x
        eta._data[...] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        mu._data[...] = 1 / max(1, step - group["t0"])


class Rprop(Optimizer):
    """Resilient backpropagation: each element's step size grows by ``etas[1]`` while its gradient
    keeps its sign and shrinks by ``etas[0]`` when it flips (within ``step_sizes``); the parameter
    moves by the step size against the gradient's sign (not at all just after a flip).

    Args:
        params (iterable): parameters (or dicts of parameter groups) to optimize.
        lr (float or Tensor, optional): the initial step size (default: 1e-2).
        etas (tuple[float, float], optional): the decrease and increase factors
            (default: (0.5, 1.2)).
        step_sizes (tuple[float, float], optional): the least and greatest step sizes
            (default: (1e-6, 50)).
        foreach, capturable, differentiable (bool, optional): as torch's; foreach is accepted and
            ignored, capturable (CUDA graphs) is refused at the first step, differentiable records
            the step in the graph.
        maximize (bool, optional): maximize the objective instead of minimizing it (default: False).
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _update(self, p, x, g, state, group):
        if group["maximize"]:
            g = -g
        advance_step(state)
        prev = state_array(state, "prev", x)
        step_size = state_array(state, "step_size", x, fill=float(group["lr"]))
        etaminus, etaplus = group["etas"]
        direction = sign(g * (prev.clone() if isinstance(prev, Tensor) else prev))
        factor = where(direction > 0, etaplus, where(direction < 0, etaminus, 1.0, x), x)
        step_size *= factor
        clamp_into(step_size, *group["step_sizes"])
        g = where(direction < 0, 0.0, g, x)
        x -= sign(g) * unaliased(step_size)
        if isinstance(prev, Tensor):
            prev.copy_(g)
        else:
            prev[...] = g
