"""The old-style (hook-based) ``nn.utils.weight_norm`` / ``remove_weight_norm`` and
``nn.utils.spectral_norm`` / ``remove_spectral_norm``: the weight is replaced by parameters it is
computed from (``weight_g``, ``weight_v``; ``weight_orig`` with the buffers ``weight_u``,
``weight_v``), and a forward pre-hook recomputes ``module.weight`` (a plain attribute) before
each forward. PyTorch deprecates ``weight_norm`` for :mod:`.parametrizations`; both still work.

Also the two functions weight norm is made of, ``norm_except_dim`` and ``_weight_norm``
(``torch.norm_except_dim`` and ``torch._weight_norm``), as composites of pullback ops."""
import warnings

from ..._ops._rules import wrap_dim
from ...autograd import grad_mode
from ... import linalg
from .. import functional as F
from ..parameter import Parameter

__all__ = ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dimension but ``dim``, kept as size-1 dims (``dim=-1``:
    over all of ``v``, a 0-dim result)."""
    if dim == -1:
        return linalg.vector_norm(v, pow)
    d = wrap_dim(dim, v.ndim)
    shape = tuple(v.shape)
    if d == 0:
        kept = (shape[0],) + (1,) * (v.ndim - 1)
        return linalg.vector_norm(v.reshape(shape[0], -1), pow, dim=1).reshape(kept)
    if d == v.ndim - 1:
        kept = (1,) * (v.ndim - 1) + (shape[-1],)
        return linalg.vector_norm(v.reshape(-1, shape[-1]), pow, dim=0).reshape(kept)
    return norm_except_dim(v.transpose(0, d), pow, 0).transpose(0, d)


def _weight_norm(v, g, dim=0):
    """``v * (g / ||v||)``, the norm over every dim of ``v`` but ``dim`` (-1: all)."""
    return v * (g / norm_except_dim(v, 2, dim))


def _is_conv_transpose(module):
    from ... import nn   # the modules' namespace: imported when called (it imports this package)
    kinds = tuple(k for k in (getattr(nn, f"ConvTranspose{n}d", None) for n in (1, 2, 3)) if k is not None)
    return isinstance(module, kinds)


class WeightNorm:
    """The forward pre-hook of :func:`weight_norm`: ``module.<name> = g * v / ||v||``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    r"""Weight normalisation by a forward pre-hook (deprecated in PyTorch for
    :func:`pullback.nn.utils.parametrizations.weight_norm`): ``module.<name>`` is replaced by the
    parameters ``<name>_g`` (magnitude) and ``<name>_v`` (direction), and recomputed as
    :math:`g \, v / \|v\|` before every forward.

    Args:
        module (nn.Module): the module.
        name (str): the weight's name.
        dim (int, optional): the dimension keeping a magnitude per slice (``None``: one for all).

    Example::

        >>> m = nn.utils.weight_norm(nn.Linear(20, 40), name='weight')
        >>> m.weight_g.size()
        pullback.Size([40, 1])
    """
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    r"""Undoes :func:`weight_norm`: ``module.<name>`` is a Parameter again, holding ``g v / ||v||``.

    Raises:
        ValueError: no weight norm on ``name``.
    """
    return _remove_hook(module, name, WeightNorm, "weight_norm")


class SpectralNorm:
    """The forward pre-hook of :func:`spectral_norm`: ``module.<name> = weight_orig / sigma``,
    with one power-iteration step per forward in training mode (v first, then u)."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with grad_mode.no_grad():
                for _ in range(self.n_power_iterations):
                    # In place into the buffers, so the estimates carry to the next forward.
                    v = F.normalize(weight_mat.t().mv(u), dim=0, eps=self.eps, out=v)
                    u = F.normalize(weight_mat.mv(v), dim=0, eps=self.eps, out=u)
                # Clones: the graph must not see the next step's in-place update.
                u = u.clone()
                v = v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def remove(self, module):
        with grad_mode.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        with grad_mode.no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # A plain attribute until the first forward computes it (its values, no graph).
        setattr(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    r"""Spectral normalisation by a forward pre-hook: ``module.<name>`` becomes
    ``<name>_orig / sigma``, ``sigma`` its largest singular value estimated by power iteration
    from the buffers ``<name>_u``, ``<name>_v`` (updated each forward in training mode).

    Args:
        module (nn.Module): the module.
        name (str): the weight's name.
        n_power_iterations (int): power iterations per forward.
        eps (float): added to norms for stability.
        dim (int, optional): the output channels' dimension (default 0, 1 for ConvTranspose).

    Example::

        >>> m = nn.utils.spectral_norm(nn.Linear(20, 40))
        >>> m.weight_u.size()
        pullback.Size([40])
    """
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    r"""Undoes :func:`spectral_norm`: ``module.<name>`` is a Parameter again (``weight_orig / sigma``
    from the current estimates).

    Raises:
        ValueError: no spectral norm on ``name``.
    """
    return _remove_hook(module, name, SpectralNorm, "spectral_norm")


def _remove_hook(module, name, kind, label):
    """Removes the ``kind`` forward pre-hook on ``name`` (restoring the plain Parameter); torch's
    ValueError where there is none."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"{label} of '{name}' not found in {module}")
