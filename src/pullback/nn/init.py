"""Parameter initialisation, as ``torch.nn.init``: every function fills its Tensor in place
(without recording a graph) and returns it."""
import math
import warnings

from .._backend import B
from .._tensor import Tensor
from ..autograd import grad_mode
from .. import _creation
from .parameter import Parameter


def _rng():
    return _creation._generator[0]


def _fill(tensor, values):
    with grad_mode.no_grad():
        tensor.copy_(Tensor._make(B.asarray(values, dtype=tensor.dtype.np).reshape(tuple(tensor.shape))))
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (``'relu'``: sqrt(2), ``'tanh'``: 5/3, ...)."""
    linear = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d"]
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    dims = tensor.dim()
    if dims < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for s in tuple(tensor.shape)[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fills with values drawn uniformly from ``[a, b)``."""
    return _fill(tensor, (generator or _rng()).uniform(a, b, tuple(tensor.shape)))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fills with values drawn from ``N(mean, std^2)``."""
    return _fill(tensor, (generator or _rng()).normal(mean, std, tuple(tensor.shape)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fills with ``N(mean, std^2)`` values redrawn until they fall in ``[a, b]``."""
    rng = generator or _rng()
    values = rng.normal(mean, std, tuple(tensor.shape))
    bad = (values < a) | (values > b)
    while bad.any():
        values[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor, val):
    """Fills with ``val``."""
    with grad_mode.no_grad():
        return tensor.fill_(val)


def zeros_(tensor):
    """Fills with zeros."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fills with ones."""
    return constant_(tensor, 1.0)


def eye_(tensor):
    """Fills a 2-D tensor with the identity matrix."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, B.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fills a 3-5 dim tensor with the Dirac delta (an identity convolution)."""
    dims = tensor.ndim
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    values = B.zeros(tuple(tensor.shape))
    out_per_group = tensor.shape[0] // groups
    min_dim = min(out_per_group, tensor.shape[1])
    centre = tuple(s // 2 for s in tuple(tensor.shape)[2:])
    for g in range(groups):
        for d in range(min_dim):
            values[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: ``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: ``U(-b, b)`` with ``b = gain * sqrt(3 / fan)``."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: ``N(0, std^2)`` with ``std = gain / sqrt(fan)``."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def _uniform_fan_in_(tensor, fan_in):
    """``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``: how PyTorch's layers initialise biases."""
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    return uniform_(tensor, -bound, bound)


def _weight_and_bias(out_features, weight_shape, bias, dtype):
    """A layer's (weight, bias or None) Parameters, uninitialised."""
    weight = Parameter(_creation.empty(*weight_shape, dtype=dtype))
    return weight, (Parameter(_creation.empty(out_features, dtype=dtype)) if bias else None)


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fills with a (semi-)orthogonal matrix from the QR decomposition of a normal matrix."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = (generator or _rng()).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = B.linalg.qr(flat)
    q = q * B.sign(B.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q)


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fills a 2-D tensor with ``N(0, std^2)`` values, a ``sparsity`` fraction of each column zero."""
    rng = generator or _rng()
    rows, cols = tensor.shape
    values = rng.normal(0, std, (rows, cols))
    zeros = int(math.ceil(sparsity * rows))
    for c in range(cols):
        values[rng.permutation(rows)[:zeros], c] = 0
    return _fill(tensor, values)


# PyTorch's deprecated names without the trailing underscore.
uniform, normal, constant, xavier_uniform, xavier_normal = uniform_, normal_, constant_, xavier_uniform_, xavier_normal_
kaiming_uniform, kaiming_normal, orthogonal = kaiming_uniform_, kaiming_normal_, orthogonal_
