"""``nn.utils.parametrizations``: weight normalisation and spectral normalisation as
parametrizations (see :mod:`.parametrize`): ``module.weight`` becomes a property computed from
``module.parametrizations.weight.original0/1`` (weight norm's g and v) or ``.original`` (spectral
norm), with the state dict keys PyTorch gives them."""
from ..._tensor import Tensor
from ...autograd import grad_mode
from ..modules.module import Module
from .. import functional as F
from . import parametrize
from .weight_norm import _weight_norm, norm_except_dim, _is_conv_transpose

__all__ = ["weight_norm", "spectral_norm", "orthogonal"]


class _WeightNorm(Module):
    """``weight = g * v / ||v||``, the norm over every dim but ``dim`` (all dims when ``dim`` is -1)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    r"""Reparametrizes ``module.<name>`` as :math:`\mathbf{w} = g \frac{\mathbf{v}}{\|\mathbf{v}\|}`,
    decoupling a weight's magnitude ``g`` (``parametrizations.<name>.original0``) from its
    direction ``v`` (``original1``). The norm is taken over every dimension but ``dim``
    (``dim=None``: over the whole tensor, one magnitude).

    Args:
        module (nn.Module): the module.
        name (str): the weight's name.
        dim (int, optional): the dimension that keeps one magnitude per slice (default 0, the
            output channels).

    Returns:
        The module, parametrized.

    Example::

        >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(20, 40), name='weight')
        >>> m.parametrizations.weight.original0.size()
        pullback.Size([40, 1])
        >>> m.parametrizations.weight.original1.size()
        pullback.Size([40, 20])
    """
    # unsafe: g and v need not match the weight's shape, so the registration check is skipped.
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """``weight / sigma``, ``sigma`` the largest singular value of the weight (flattened to a
    matrix with ``dim`` first) estimated by power iteration; ``_u`` and ``_v`` carry the singular
    vectors' estimates from one training step to the next."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            # Start from good estimates: random vectors are far from the singular vectors.
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        # u then v, written into the buffers in place (DataParallel-style replicas share them
        # in PyTorch; here it keeps the buffers' identity for the state dict).
        with grad_mode.no_grad():
            for _ in range(n_power_iterations):
                self._u = F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps, out=self._u)
                self._v = F.normalize(weight_mat.mH.mv(self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # Clones: the graph must not see the buffers' next in-place update.
        u = self._u.clone()
        v = self._v.clone()
        sigma = u.vdot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value):
        # Any weight is a valid original: sigma is recomputed from it.
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    r"""Reparametrizes ``module.<name>`` as :math:`\mathbf{W} / \sigma(\mathbf{W})`, its largest
    singular value estimated by ``n_power_iterations`` steps of power iteration per forward in
    training mode (none in eval mode), from the vectors ``parametrizations.<name>[0]._u`` and
    ``._v`` the previous step left.

    Args:
        module (nn.Module): the module.
        name (str): the weight's name.
        n_power_iterations (int): power iterations per training forward.
        eps (float): added to norms for stability.
        dim (int, optional): the dimension of output channels (default 0, 1 for ConvTranspose).

    Returns:
        The module, parametrized.

    Example::

        >>> snm = nn.utils.parametrizations.spectral_norm(nn.Linear(20, 40))
        >>> snm.parametrizations.weight[0]._u.shape
        pullback.Size([40])
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Not implemented in pullback: PyTorch's orthogonal parametrization (matrix_exp, cayley
    and householder maps) is missing.

    Raises:
        NotImplementedError: always.
    """
    raise NotImplementedError("pullback.nn.utils.parametrizations.orthogonal is not implemented "
                              "(weight_norm and spectral_norm are)")
