"""``nn.utils``: gradient clipping, parameters as one vector, ``rnn`` (padded and packed sequences),
``parametrize`` and ``parametrizations`` (weight and spectral norm), and the old hook-based
``weight_norm`` and ``spectral_norm``."""
import math

from ..._backend import B
from ..._tensor import Tensor
from ...autograd import grad_mode
from ..._ops import shape as S
from . import rnn  # noqa: F401
from . import parametrize, parametrizations  # noqa: F401
from .weight_norm import weight_norm, remove_weight_norm, spectral_norm, remove_spectral_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn",
           "parametrize", "parametrizations", "weight_norm", "remove_weight_norm", "spectral_norm",
           "remove_spectral_norm"]


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales the gradients in place so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the total norm before clipping (a Tensor).

    As torch computes it: each gradient's norm in its dtype, the norm of those norms, then every
    gradient times ``min(max_norm / (total + 1e-6), 1)``, all Tensor ops (so a compiled step
    replays the clipping with the gradients of each call)."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor._make(B.asarray(0.0, dtype=B.float32))
    from ... import linalg
    with grad_mode.no_grad():
        norms = [linalg.vector_norm(g, norm_type) for g in grads]
        total = linalg.vector_norm(S.stack(norms), norm_type)
        if error_if_nonfinite and bool(total.isnan() | total.isinf()):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                               "so it cannot be clipped. To disable this error and scale the gradients by the "
                               "non-finite norm anyway, set `error_if_nonfinite=False`")
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient element into ``[-clip_value, clip_value]`` in place."""
    with grad_mode.no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one vector (differentiable)."""
    return S.cat([S.reshape(p, -1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of ``vec`` into the parameters, in place."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    with grad_mode.no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(S.reshape(vec[offset:offset + n], *p.shape))
            offset += n
