"""``nn.utils.parametrizations``: weight normalisation, spectral normalisation and orthogonality as
parametrizations (see :mod:`.parametrize`): ``module.weight`` becomes a property computed from
``module.parametrizations.weight.original0/1`` (weight norm's g and v) or ``.original`` (spectral
norm, orthogonal with a ``base`` buffer), with the state dict keys PyTorch gives them."""
from enum import Enum, auto

from ..._backend import B
from ..._tensor import Tensor
from ...autograd import grad_mode
from ... import linalg
from ... import allclose, cat, eye, geqrf, randn, where, zeros_like
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


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _orthonormalised(a):
    """The Q of ``a = QR`` (``a`` square or tall) with R's diagonal made non-negative, so Q is
    a function of ``a`` (QR is unique up to those signs)."""
    packed, tau = geqrf(a)
    q = linalg.householder_product(packed, tau)
    return q * packed.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _is_orthonormal(q):
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * float(B.finfo(q.dtype.np).eps)  # loose enough for rounding, tight enough to matter
    return bool(allclose(q.mH @ q, eye(k, dtype=q.dtype), atol=eps))


class _Orthogonal(Module):
    """A (batch of) matrices with orthonormal columns, or rows when wide: ``Q(X)`` by the matrix
    exponential or the Cayley transform of a skew-symmetric matrix built from ``X``'s lower
    triangle, or by Householder reflectors stored below ``X``'s diagonal. With
    ``use_trivialization`` the result is ``base @ Q(X)``, ``base`` an orthogonal matrix (a buffer)
    set by each assignment: optimisation then moves around the assigned value."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        wide = n < k
        if wide:   # work on the tall transpose
            X = X.mT
            n, k = k, n
        if self.orthogonal_map == _OrthMaps.householder:
            reflectors = X.tril(diagonal=-1)
            # tau = 2 / |v|^2 for the unit-diagonal vectors: each factor an exact reflection
            tau = 2.0 / (1.0 + (reflectors * reflectors).sum(dim=-2))
            Q = linalg.householder_product(reflectors, tau)
            # X's diagonal holds the signs (+-1) of Q's columns; an integer, so no gradient flows
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        else:
            X = X.tril()
            if n != k:   # a square n x n skew matrix from the n x k parameters
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = linalg.matrix_exp(A)
            else:
                identity = eye(n, dtype=A.dtype)
                Q = linalg.solve(identity - 0.5 * A, identity + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if wide else Q

    def right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        with grad_mode.no_grad():
            given = Q
            n, k = Q.shape[-2], Q.shape[-1]
            wide = n < k
            if wide:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map != _OrthMaps.householder:
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                # Q's reflectors, the diagonal replaced by the signs that make Q(X) give Q back.
                packed, tau = geqrf(Q)
                signs = packed.diagonal(dim1=-2, dim2=-1).sign()
                signs = where(tau == 0.0, -signs, signs)
                eye_k = eye(n, k, dtype=packed.dtype).bool()
                packed = where(eye_k, signs.unsqueeze(-2).expand(*packed.shape), packed)
                return packed.mT if wide else packed
            if n == k:
                Q = Q.clone() if _is_orthonormal(Q) else _orthonormalised(Q)
            else:   # complete the columns to a full orthogonal basis
                filler = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
                Q = _orthonormalised(cat([Q, filler], dim=-1))
            self.base = Q
            # The X with Q(X) = I (in every map): -I, shaped as the assigned tensor.
            minus_identity = zeros_like(given)
            minus_identity.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return minus_identity


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    r"""Constrains ``module.<name>`` (a matrix or batch of matrices) to have orthonormal columns
    (rows when wide): :math:`Q^{\top} Q = I`.

    Args:
        module (nn.Module): the module.
        name (str): the tensor's name.
        orthogonal_map (str, optional): ``"matrix_exp"``, ``"cayley"`` or ``"householder"``
            (default: ``"matrix_exp"`` for square or complex matrices, else ``"householder"``).
        use_trivialization (bool): keep a ``base`` orthogonal matrix (a buffer) that assignment
            sets, the parametrization moving around it (default True).

    Returns:
        The module, parametrized.

    Example::

        >>> orth = nn.utils.parametrizations.orthogonal(nn.Linear(20, 40))
        >>> Q = orth.weight
        >>> bool(pullback.dist(Q.T @ Q, pullback.eye(20)) < 1e-5)
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    kind = getattr(_OrthMaps, orthogonal_map, None) if isinstance(orthogonal_map, str) else None
    if kind is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    # unsafe: the parametrization's right_inverse stores -I, not the weight.
    parametrize.register_parametrization(module, name, _Orthogonal(weight, kind, use_trivialization=use_trivialization),
                                         unsafe=True)
    return module
