"""Stochastic weight averaging and exponential moving averages of a model's weights, as
``torch.optim.swa_utils``: ``AveragedModel``, the averaging functions, ``update_bn`` and the
``SWALR`` schedule."""
import copy
import itertools
import math
import warnings

from .._creation import tensor
from .. import _dtype as D
from .._tensor import Tensor
from ..autograd import grad_mode
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _format_param

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place update of a list of averages: ``ema = decay * ema + (1 - decay) * param``."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with grad_mode.no_grad():
            for ema, current in zip(ema_param_list, current_param_list):
                if ema.is_floating_point() or ema.is_complex():
                    ema.lerp_(current, 1 - decay)
                else:
                    ema.copy_(ema * decay + current * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place update of a list of running means: ``avg += (param - avg) / (n + 1)``."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with grad_mode.no_grad():
            n = num_averaged
            for avg, current in zip(averaged_param_list, current_param_list):
                if avg.is_floating_point() or avg.is_complex():
                    avg.lerp_(current, float(1 / (n + 1)))
                elif isinstance(n, Tensor):
                    avg.copy_(avg + (current - avg) / (n + 1))
                else:
                    avg.add_(current - avg, alpha=1.0 / (n + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """The exponential moving average of one parameter: returns ``decay * ema + (1 - decay) * param``."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with grad_mode.no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """The running mean of one parameter: returns ``avg + (param - avg) / (n + 1)``."""
    def swa_update(averaged_param, current_param, num_averaged):
        with grad_mode.no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters (and, with ``use_buffers``, buffers) are averages of
    ``model``'s: ``update_parameters(model)`` folds in the current values, by the running mean
    (SWA), or by ``avg_fn`` (one tensor at a time) or ``multi_avg_fn`` (lists, in place), as from
    ``get_ema_multi_avg_fn``. ``n_averaged`` (a long buffer) counts the updates. Calling it runs
    the averaged copy.

    Args:
        model (Module): the model to average (copied).
        device (optional): where to put the copy.
        avg_fn (callable, optional): ``(averaged, current, n_averaged) -> new average``.
        multi_avg_fn (callable, optional): ``(averaged_list, current_list, n_averaged)``, in place.
        use_buffers (bool, optional): average the buffers too, instead of copying them (default: False).
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=D.long))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Runs the averaged model."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Folds ``model``'s current parameters (and buffers, with ``use_buffers``) into the averages."""
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        mine = [p.detach() for p in mine]
        theirs = [p.detach() for p in theirs][:len(mine)]
        mine = mine[:len(theirs)]
        n = int(self.n_averaged.item())
        with grad_mode.no_grad():
            if n == 0:
                for a, p in zip(mine, theirs):
                    a.copy_(p)
            elif self.avg_fn is not None:
                for a, p in zip(mine, theirs):
                    a.copy_(self.avg_fn(a, p, self.n_averaged))
            else:
                groups = {}  # by dtype, as torch groups the tensors it averages
                for a, p in zip(mine, theirs):
                    groups.setdefault((a.dtype, p.dtype), ([], []))
                    groups[(a.dtype, p.dtype)][0].append(a)
                    groups[(a.dtype, p.dtype)][1].append(p)
                for averages, currents in groups.values():
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(averages, currents, self.n_averaged)
                    else:
                        avg_fn = get_swa_avg_fn()
                        for a, p in zip(averages, currents):
                            a.copy_(avg_fn(a, p, self.n_averaged))
            if not self.use_buffers:  # the buffers (BatchNorm statistics) follow the model's
                mine_buffers, model_buffers = list(self.module.buffers()), list(model.buffers())
                if len(mine_buffers) != len(model_buffers):
                    raise ValueError("zip() argument 2 is " + ("shorter" if len(model_buffers) < len(mine_buffers)
                                                              else "longer") + " than argument 1")
                for b, b_model in zip(mine_buffers, model_buffers):
                    b.detach().copy_(b_model.detach())
            self.n_averaged += 1


def update_bn(loader, model, device=None):
    """Recomputes the BatchNorm running statistics of ``model`` with one pass over ``loader``
    (batches, or tuples whose first element is the input), as a cumulative average."""
    from ..nn.modules.normalization import _BatchNorm
    with grad_mode.no_grad():
        momenta = {}
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's learning rate to ``swa_lr`` over ``anneal_epochs`` epochs (cosine or
    linearly), then keeps it there: the schedule of the SWA phase.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        swa_lr (float or list): the rate to anneal to (per group, as a list).
        anneal_epochs (int, optional): epochs of annealing (default: 10).
        anneal_strategy (str, optional): ``"cos"`` or ``"linear"`` (default: ``"cos"``).
        last_epoch (int, optional): the last epoch's index, to resume (default: -1).
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for value, group in zip(_format_param("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The rate the annealing started from, given the current one at progress ``alpha``."""
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def get_lr(self):
        """The next learning rates (``step()`` calls it; called directly it warns, as torch's)."""
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        return self._next_lrs()

    def _next_lrs(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        starts = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(self.optimizer.param_groups, starts)]

    def state_dict(self):
        """Every attribute but the optimizer and the annealing function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
