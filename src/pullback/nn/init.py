"""Parameter initialisation, as ``torch.nn.init``: every function fills its Tensor in place
(without recording a graph) and returns it.

The random draws come from NumPy's PCG64 stream (the global one, or a ``pullback.Generator``
passed as ``generator=``): the distributions are PyTorch's, the numbers are not."""
import functools
import math
import warnings

from .._backend import B
from .._tensor import Tensor
from ..autograd import grad_mode
from .. import _creation
from ..utils.data import _random
from .parameter import Parameter

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
           "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "orthogonal_", "sparse_", "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
           "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def _rng(generator=None):
    """The NumPy generator to draw from: ``generator``'s, else the global one as it is now."""
    return _random._rng(generator) if generator is not None else _creation._generator[0]


def _fill(tensor, values):
    with grad_mode.no_grad():
        tensor.copy_(Tensor._make(B.asarray(values, dtype=tensor.dtype.np).reshape(tuple(tensor.shape))))
    return tensor


def _need_float(tensor, kernel):
    # PyTorch's random kernels are declared for floating dtypes only.
    if not tensor.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{tensor.dtype._tensor_type[:-6]}'")


def _check_uniform(tensor, a, b):
    _need_float(tensor, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")


def _check_normal(tensor, std):
    _need_float(tensor, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")


def calculate_gain(nonlinearity, param=None):
    r"""The recommended gain for a nonlinearity.

    ============================ ==========================================
    nonlinearity                 gain
    ============================ ==========================================
    Linear / Identity / ConvNd   :math:`1`
    Sigmoid                      :math:`1`
    Tanh                         :math:`\frac{5}{3}`
    ReLU                         :math:`\sqrt{2}`
    Leaky ReLU                   :math:`\sqrt{\frac{2}{1 + \text{negative\_slope}^2}}`
    SELU                         :math:`\frac{3}{4}`
    ============================ ==========================================

    Args:
        nonlinearity (str): the function's name (``'relu'``, ``'leaky_relu'``, ``'conv2d'``...).
        param (float, optional): the negative slope of ``'leaky_relu'`` (default 0.01).

    Example::

        >>> pullback.nn.init.calculate_gain('leaky_relu', 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
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
        return 3.0 / 4  # the value of the SELU paper's self-normalising initialisation
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for s in tuple(tensor.shape)[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    r"""Fills ``tensor`` with values drawn from :math:`\mathcal{U}(a, b)`.

    Args:
        tensor (Tensor): a floating-point tensor.
        a (float): the lower bound.  b (float): the upper bound.
        generator (pullback.Generator, optional): the generator to draw from.

    Example::

        >>> w = pullback.empty(3, 5)
        >>> nn.init.uniform_(w)
    """
    _check_uniform(tensor, a, b)
    return _fill(tensor, _rng(generator).uniform(a, b, tuple(tensor.shape)))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    r"""Fills ``tensor`` with values drawn from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Example::

        >>> nn.init.normal_(pullback.empty(3, 5))
    """
    _check_normal(tensor, std)
    return _fill(tensor, _rng(generator).normal(mean, std, tuple(tensor.shape)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    r"""Fills ``tensor`` with values from :math:`\mathcal{N}(\text{mean}, \text{std}^2)` truncated
    to :math:`[a, b]`. Warns, as PyTorch does, when ``mean`` is more than 2 ``std`` outside the
    interval.

    Example::

        >>> nn.init.trunc_normal_(pullback.empty(3, 5), std=0.02)
    """
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    _check_normal(tensor, std)
    _check_uniform(tensor, a, b)
    rng = _rng(generator)
    shape = tuple(tensor.shape)
    lo, hi = (float(B.asarray(v, dtype=tensor.dtype.np)) for v in (a, b))
    mass = (math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2)))) / 2
    if mass > 0.3:
        # Most draws land inside: redraw the ones outside.
        values = rng.normal(mean, std, shape).astype(tensor.dtype.np)
        bad = (values < lo) | (values > hi)
        while bad.any():
            values[bad] = rng.normal(mean, std, int(bad.sum()))
            bad = (values < lo) | (values > hi)
    else:
        # A thin slice of the bell: uniform proposals on [a, b] accepted with the density's ratio
        # to its peak on the interval (redrawing normals would take too long).
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2
        values = rng.uniform(a, b, shape)
        pending = B.log(rng.random(shape)) > -0.5 * ((values - mean) / std) ** 2 - log_peak
        while pending.any():
            n = int(pending.sum())
            proposal = rng.uniform(a, b, n)
            accept = B.log(rng.random(n)) <= -0.5 * ((proposal - mean) / std) ** 2 - log_peak
            idx = B.flatnonzero(pending.ravel())[accept]
            values.ravel()[idx] = proposal[accept]
            pending.ravel()[idx] = False
    return _fill(tensor, values)


def constant_(tensor, val):
    """Fills ``tensor`` with ``val``.

    Example::

        >>> nn.init.constant_(pullback.empty(3, 5), 0.3)
    """
    with grad_mode.no_grad():
        return tensor.fill_(val)


def zeros_(tensor):
    """Fills ``tensor`` with zeros."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fills ``tensor`` with ones."""
    return constant_(tensor, 1)


def eye_(tensor):
    """Fills a 2-D ``tensor`` with the identity matrix (the identity of Linear layers, as many
    inputs preserved as possible).

    Example::

        >>> nn.init.eye_(pullback.empty(3, 5))
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, B.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fills a 3, 4 or 5-D ``tensor`` with the Dirac delta: a convolution by it preserves its
    input's channels (per group with ``groups``).

    Example::

        >>> nn.init.dirac_(pullback.empty(3, 16, 5, 5))
    """
    dims = tensor.ndim
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    shape = tuple(tensor.shape)
    if shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    values = B.zeros(shape)
    out_per_group = shape[0] // groups
    centre = tuple(s // 2 for s in shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            values[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    r"""Glorot uniform: :math:`\mathcal{U}(-a, a)` with
    :math:`a = \text{gain} \sqrt{6 / (\text{fan\_in} + \text{fan\_out})}`.

    Example::

        >>> nn.init.xavier_uniform_(pullback.empty(3, 5), gain=nn.init.calculate_gain('relu'))
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    r"""Glorot normal: :math:`\mathcal{N}(0, \text{std}^2)` with
    :math:`\text{std} = \text{gain} \sqrt{2 / (\text{fan\_in} + \text{fan\_out})}`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    r"""He uniform: :math:`\mathcal{U}(-b, b)` with :math:`b = \text{gain} \sqrt{3 / \text{fan\_mode}}`.

    Args:
        a (float): the negative slope of the rectifier that follows (``'leaky_relu'``).
        mode (str): ``'fan_in'`` (preserves the forward's variance) or ``'fan_out'`` (the backward's).
        nonlinearity (str): the function's name, for :func:`calculate_gain`.

    Example::

        >>> nn.init.kaiming_uniform_(pullback.empty(3, 5), mode='fan_in', nonlinearity='relu')
    """
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    r"""He normal: :math:`\mathcal{N}(0, \text{std}^2)` with
    :math:`\text{std} = \text{gain} / \sqrt{\text{fan\_mode}}`."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fills ``tensor`` (2-D or more, flattened past dim 0) with a (semi-)orthogonal matrix: the
    Q of a normal matrix's QR decomposition, its columns' signs fixed so that Q is Haar-distributed.

    Example::

        >>> nn.init.orthogonal_(pullback.empty(3, 5))
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    _need_float(tensor, "normal_kernel_cpu")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = B.linalg.qr(flat)
    q = q * B.sign(B.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q)


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fills a 2-D ``tensor`` with :math:`\\mathcal{N}(0, \\text{std}^2)` values, the
    ``ceil(sparsity * rows)`` elements of each column at random rows zero.

    Example::

        >>> nn.init.sparse_(pullback.empty(3, 5), sparsity=0.1)
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    _check_normal(tensor, std)
    rng = _rng(generator)
    rows, cols = tensor.shape
    values = rng.normal(0, std, (rows, cols))
    zeros = int(math.ceil(sparsity * rows))
    for c in range(cols):
        values[rng.permutation(rows)[:zeros], c] = 0
    return _fill(tensor, values)


def _uniform_fan_in_(tensor, fan_in):
    """``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``: how PyTorch's layers initialise biases."""
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    return uniform_(tensor, -bound, bound)


def _weight_and_bias(out_features, weight_shape, bias, dtype):
    """A layer's (weight, bias or None) Parameters, uninitialised."""
    weight = Parameter(_creation.empty(*weight_shape, dtype=dtype))
    return weight, (Parameter(_creation.empty(out_features, dtype=dtype)) if bias else None)


def _deprecated(fn):
    """PyTorch's old names without the trailing underscore: the same function, with a FutureWarning."""
    old = fn.__name__[:-1]

    @functools.wraps(fn)
    def deprecated(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fn.__name__}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    deprecated.__name__ = deprecated.__qualname__ = old
    deprecated.__doc__ = f"{fn.__name__}(...) under its deprecated name.\n\n..warning:: deprecated: use :func:`{fn.__name__}`."
    return deprecated


uniform, normal, constant, eye, dirac = (_deprecated(f) for f in (uniform_, normal_, constant_, eye_, dirac_))
xavier_uniform, xavier_normal = _deprecated(xavier_uniform_), _deprecated(xavier_normal_)
kaiming_uniform, kaiming_normal = _deprecated(kaiming_uniform_), _deprecated(kaiming_normal_)
orthogonal, sparse = _deprecated(orthogonal_), _deprecated(sparse_)
