"""pullback.nn.functional: activations, losses, linear and convolution layers as functions.

Built from the primitive table: activations with their own primitives where that is faster or
more stable (leaky_relu, elu, softplus, log_softmax), the rest as short compositions whose
gradients (of any order) follow from their parts.
"""
import math
import warnings

from .._backend import B
from .. import _dtype as D
from .. import _inplace
from .._tensor import Tensor
from .._ops import functions as F
from .._ops import shape as S
from .._ops import elementwise as E
from .._ops import nn as N
from .. import _levels, _tape
from .._ops import _registry
from .._ops import conv as C
from .._ops import pooling as P
from .._ops import linalg as L
from .._ops.indexing import getitem
from .._ops.gelu import gelu as _exact_gelu
from .._ops import _registry
from .._ops._registry import refuse_batched
from .._ops._rules import wrap_dim
from ..autograd import grad_mode
from .._creation import arange, ones, rand


def _check(input, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _check_floating(input, kernel):
    """PyTorch's activation and normalization kernels refuse integer and bool inputs."""
    if input._data.dtype.kind != "f":
        raise E.not_implemented(kernel, input.dtype)


# ------------------------------------------------------------------ activations
sigmoid = F.sigmoid
tanh = F.tanh
softplus = F.softplus


def _maybe_inplace(input, inplace, fn, *args):
    """``fn(input, *args)``; with ``inplace``, written into ``input`` (which is returned), as
    PyTorch's ``inplace=True`` does."""
    return _inplace.apply_inplace(input, fn, *args) if inplace else fn(input, *args)


def relu(input, inplace=False):
    """``max(x, 0)``."""
    return input.relu_() if inplace else F.relu(input)


def relu_(input):
    """In-place ``relu``."""
    return input.relu_()


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``."""
    _check(input, "relu6")
    return hardtanh(input, 0, 6, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` where ``x > 0``, ``negative_slope * x`` elsewhere."""
    _check(input, "leaky_relu")
    _check_floating(input, "leaky_relu_cpu")
    return _maybe_inplace(input, inplace, lambda x: N.leaky_relu_.bind((x,), {"slope": negative_slope}))


def elu(input, alpha=1.0, inplace=False):
    """``x`` where ``x > 0``, ``alpha * (exp(x) - 1)`` elsewhere."""
    _check(input, "elu")
    _check_floating(input, "elu_cpu")
    return _maybe_inplace(input, inplace, lambda x: N.elu_.bind((x,), {"alpha": alpha}))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``x`` clamped to ``[min_val, max_val]``; integer inputs keep their dtype (the bounds
    truncated to integers, as PyTorch does)."""
    _check(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if not input.dtype.is_floating_point:
        min_val, max_val = _integer_bounds(input.dtype, min_val, max_val)
    return _maybe_inplace(input, inplace, lambda x: N.hardtanh_.bind((x,), {"lo": min_val, "hi": max_val}))


def _integer_bounds(dtype, min_val, max_val):
    if dtype is D.bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if not dtype.is_signed and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    return int(min_val), int(max_val)


def gelu(input, approximate="none"):
    """Gaussian error linear unit: ``x * Phi(x)`` (``approximate='tanh'`` for the tanh form)."""
    _check(input, "gelu")
    _check_floating(input, "GeluKernelImpl")
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (F.tanh(inner) + 1.0)
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return _exact_gelu(input)


def silu(input, inplace=False):
    """``x * sigmoid(x)``."""
    _check(input, "silu")
    _check_floating(input, "silu_cpu")
    return _maybe_inplace(input, inplace, lambda x: x * F.sigmoid(x))


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    _check(input, "mish")
    _check_floating(input, "mish_cpu")
    return _maybe_inplace(input, inplace, lambda x: x * F.tanh(F.softplus(x)))


def logsigmoid(input):
    """``log(sigmoid(x))``, stable: ``-softplus(-x)``."""
    _check(input, "log_sigmoid")
    _check_floating(input, "log_sigmoid_cpu")
    return -F.softplus(-input)


def _softmax_dim(name, input, dim):
    """``dim``, or PyTorch's deprecated implicit choice (0 for 0-, 1- and 3-dim inputs, else 1)."""
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                  "an argument.", UserWarning, stacklevel=3)
    return 0 if input.ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x), dim)``, computed stably (``dtype``: the input is cast to it first).

    Example::

        >>> pullback.nn.functional.softmax(pullback.tensor([1.0, 2.0, 3.0]), dim=0)
        tensor([0.0900, 0.2447, 0.6652])
    """
    _check(input, "softmax")
    return F.softmax(input, _softmax_dim("softmax", input, dim), dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x - logsumexp(x, dim)``, computed stably (``dtype``: the input is cast to it first)."""
    _check(input, "log_softmax")
    return F.log_softmax(input, _softmax_dim("log_softmax", input, dim), dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-input, dim)``."""
    _check(input, "softmin")
    return F.softmax(-input, _softmax_dim("softmin", input, dim), dtype)


def elu_(input, alpha=1.0):
    """In-place ``elu``."""
    return elu(input, alpha, True)


def leaky_relu_(input, negative_slope=0.01):
    """In-place ``leaky_relu``."""
    return leaky_relu(input, negative_slope, True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place ``hardtanh``."""
    return hardtanh(input, min_val, max_val, True)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example::

        >>> pullback.nn.functional.celu(pullback.tensor([-1.0, 2.0]), alpha=2.0)
        tensor([-0.7869,  2.0000])
    """
    _check(input, "celu")
    _check_floating(input, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    if alpha == 1:
        return _maybe_inplace(input, inplace, lambda x: N.elu_.bind((x,), {"alpha": 1.0}))
    return _maybe_inplace(input, inplace, lambda x: N.elu_.bind((x * (1.0 / alpha),), {"alpha": 1.0}) * alpha)


def celu_(input, alpha=1.0):
    """In-place ``celu``."""
    return celu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with the self-normalizing constants ``alpha = 1.6733``,
    ``scale = 1.0507``."""
    _check(input, "selu")
    _check_floating(input, "elu_cpu")
    return _maybe_inplace(input, inplace, lambda x: N.elu_.bind((x,), {"alpha": _SELU_ALPHA}) * _SELU_SCALE)


def selu_(input):
    """In-place ``selu``."""
    return selu(input, True)


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    _check(input, "hardsigmoid")
    _check_floating(input, "hardsigmoid_cpu")
    return _maybe_inplace(input, inplace,
                          lambda x: N.hardtanh_.bind((x + 3.0,), {"lo": 0.0, "hi": 6.0}) * (1.0 / 6.0))


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    _check(input, "hardswish")
    _check_floating(input, "hardswish_cpu")
    return _maybe_inplace(input, inplace,
                          lambda x: x * N.hardtanh_.bind((x + 3.0,), {"lo": 0.0, "hi": 6.0}) * (1.0 / 6.0))


def softsign(input):
    """``x / (1 + |x|)``."""
    _check(input, "softsign")
    return input / (F.abs(input) + 1)


def tanhshrink(input):
    """``x - tanh(x)``."""
    _check(input, "tanhshrink")
    return input - F.tanh(input)


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, ``value`` elsewhere (integer inputs keep their dtype)."""
    _check(input, "threshold")
    if input.dtype is D.bool:
        raise E.not_implemented("threshold_cpu", input.dtype)
    if not input.dtype.is_floating_point:
        value = int(value)
    return _maybe_inplace(input, inplace, lambda x: E.where_(x > threshold, x, _scalar_like(x, value)))


_threshold = threshold


def _scalar_like(x, value):
    """``value`` as a 0-dim tensor of ``x``'s dtype (so ``where`` keeps that dtype)."""
    return Tensor._make(B.asarray(value, dtype=x._data.dtype))


def threshold_(input, threshold, value):
    """In-place ``threshold``."""
    return _threshold(input, threshold, value, True)


def _check_lambd(input, lambd):
    top = float(B.finfo(input._data.dtype).max)
    if not 0 <= lambd <= top:
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {input.dtype._tensor_type[:-6]}, "
                           f"but found {lambd:g}")


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, 0 elsewhere."""
    _check(input, "hardshrink")
    _check_floating(input, "hardshrink_cpu")
    return E.where_(F.logical_or(input > lambd, input < -lambd), input, _scalar_like(input, 0))


def softshrink(input, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between."""
    _check(input, "softshrink")
    _check_floating(input, "softshrink_check")
    _check_lambd(input, lambd)
    zero = _scalar_like(input, 0)
    return E.where_(input > lambd, input - lambd, E.where_(input < -lambd, input + lambd, zero))


def glu(input, dim=-1):
    """Gated linear unit: ``a * sigmoid(b)`` with ``a, b`` the two halves of ``input`` along ``dim``.

    Example::

        >>> pullback.nn.functional.glu(pullback.tensor([1.0, 2.0, 0.0, 0.0]))
        tensor([0.5000, 1.0000])
    """
    _check(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = wrap_dim(dim, input.ndim)
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
    _check_floating(input, "glu_cpu")
    a = S.narrow(input, dim, 0, n // 2)
    b = S.narrow(input, dim, n // 2, n // 2)
    return a * F.sigmoid(b)


def prelu(input, weight):
    """``x`` where ``x > 0``, ``weight * x`` elsewhere; ``weight`` has one element or one per
    channel (dim 1 of an input of two or more dims)."""
    _check(input, "prelu")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    count = weight.numel()
    if count != 1 and input.ndim == 0:
        raise RuntimeError("Not allow zero-dim input tensor.")
    if count != 1 and count != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {count} "
                           f"and channel size = {channels}.")
    if input.dtype is not weight.dtype:
        names = D.SCALAR_TYPE_NAMES
        raise RuntimeError(f"prelu: Type promoting not supported. Got {names[input.dtype.name]} and "
                           f"{names[weight.dtype.name]}")
    _check_floating(input, "prelu_cpu")
    if count != 1 and input.ndim > 2:
        weight = S.reshape(weight, *((-1,) + (1,) * (input.ndim - 2)))
    elif count == 1 and weight.ndim:
        weight = S.reshape(weight, ())
    return E.where_(input > 0, input, input * weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: in training each negative element is scaled by a slope drawn from
    ``U(lower, upper)``; in evaluation by ``(lower + upper) / 2``."""
    _check(input, "rrelu")
    _check_floating(input, "leaky_relu_cpu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)

    def draw(x):
        slope = rand(*x.shape, dtype=x.dtype) * (upper - lower) + lower
        return E.where_(x >= 0, x, x * slope)
    return _maybe_inplace(input, inplace, draw)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place ``rrelu``."""
    return rrelu(input, lower, upper, training, True)


# ------------------------------------------------------------------- layers
def linear(input, weight, bias=None):
    """``input @ weight.T + bias``.

    Args:
        input (Tensor): ``(*, in_features)``.
        weight (Tensor): ``(out_features, in_features)``.
        bias (Tensor, optional): ``(out_features,)``.
    """
    if not isinstance(input, Tensor):
        _check(input, "linear")
    x_shape, w_shape = input._data.shape, weight._data.shape
    if len(w_shape) == 2 and x_shape and x_shape[-1] == w_shape[1] and (bias is None or bias._data.ndim == 1):
        if bias is None:
            return L.linear_nobias_.bind((input, weight), {})
        return L.linear_.bind((input, weight, bias), {})
    if not x_shape or x_shape[-1] != w_shape[-1]:
        rows = 1
        for s in x_shape[:-1]:
            rows *= s
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x_shape[-1] if x_shape else 1} and "
                           f"{w_shape[-1]}x{w_shape[0]})")
    out = F.matmul(input, S.t(weight)) if weight.ndim == 2 else F.matmul(input, weight)
    return out if bias is None else out + bias


def bilinear(input1, input2, weight, bias=None):
    """``out[..., k] = input1 @ weight[k] @ input2 + bias[k]``."""
    out = L.einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability ``p`` (scaling the rest by ``1/(1-p)``) in training."""
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    return _maybe_inplace(input, inplace, _dropout, p)


def _dropout(input, p):
    if p == 1:
        return input * 0
    keep = F.ge(rand(*input.shape, dtype=input.dtype), p) * (1.0 / (1 - p))   # rand follows vmap's randomness
    return input * keep


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` selected by the integer Tensor ``input``.

    Args:
        padding_idx (int, optional): this row gets no gradient.
        max_norm (float, optional): the selected rows whose ``norm_type``-norm exceeds it are
            rescaled to norm ``max_norm``, in ``weight`` itself, before the lookup (as PyTorch).
        scale_grad_by_freq (bool): divides each row's gradient by how often its index occurs.

    Example::

        >>> w = pullback.arange(6.0).reshape(3, 2)
        >>> pullback.nn.functional.embedding(pullback.tensor([2, 0]), w)
        tensor([[4., 5.],
                [0., 1.]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"embedding(): argument 'indices' (position 2) must be Tensor, not {type(input).__name__}")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.dtype is not D.int64 and input.dtype is not D.int32:
        got = "CPUBoolType" if input.dtype is D.bool else f"pullback.{input.dtype._tensor_type}"
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {got} instead (while checking arguments for embedding)")
    rows = weight.shape[0]
    padding_idx = _embedding_padding_idx(padding_idx, rows)
    refuse_batched(input, "embedding with batched indices")
    if _tape.ACTIVE[0] is not None:
        _tape.ACTIVE[0].see(input)
    idx = input._data
    _tape.check(_check_embedding_indices, idx, rows)
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    out = getitem(weight, index=(idx,), basic=False, name="EmbeddingBackward0")
    if scale_grad_by_freq:
        counts = B.bincount(idx.reshape(-1), minlength=rows)[idx]
        out = N.scale_grad(out, scale=(1.0 / counts[..., None]).astype(weight.dtype.np))
    if padding_idx is not None:
        out = E.where(Tensor._make((idx != padding_idx)[..., None]), out, out.detach())
    return out


def _embedding_padding_idx(padding_idx, rows):
    """``padding_idx`` as a row in ``[0, rows)`` (None stays None), checked as PyTorch does."""
    if padding_idx is None:
        return None
    if not -rows <= padding_idx < rows:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx % rows


def _embedding_renorm_(weight, idx, max_norm, norm_type):
    """Rescales, in place and outside autograd, the rows ``idx`` of ``weight`` whose norm exceeds
    ``max_norm`` to norm ``max_norm`` (PyTorch's ``embedding_renorm_``, with its ``1e-7``)."""
    with grad_mode.no_grad():
        rows = Tensor._make(B.unique(idx))
        selected = weight[rows]
        norms = F.norm(selected, norm_type, 1, keepdim=True)
        scale = E.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[rows] = selected * scale


def one_hot(tensor, num_classes=-1):
    """Integer class indices as one-hot int64 vectors."""
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    n = int(tensor.max().item()) + 1 if num_classes == -1 else num_classes
    idx = tensor._data
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make(B.eye(n, dtype=B.int64)[idx])


def pad(input, pad, mode="constant", value=None):
    """Pads (or, with negative sizes, crops) the last ``len(pad) // 2`` dims of ``input``.

    Args:
        input (Tensor): the tensor to pad.
        pad (tuple of ints): ``(left, right, top, bottom, front, back)``, the last dim first.
        mode (str): ``'constant'``, ``'reflect'``, ``'replicate'`` or ``'circular'``; the last three
            pad 1 to 3 dims of an input with one or two more dims (unbatched or batched).
        value (float, optional): the fill of ``'constant'`` padding. Default: 0.

    Example::

        >>> F.pad(torch.arange(3.).reshape(1, 3), (2, 1), mode='reflect')
        tensor([[2., 1., 0., 1., 2., 1.]])
    """
    _check(input, "pad")
    widths = P.pad_widths(tuple(input.shape), pad, mode, value)
    if mode == "constant":
        return N.pad_.bind((input,), {"widths": widths, "value": 0 if value is None else value})
    k = len(pad) // 2
    if mode != "circular" and input.dtype is D.bool:
        raise P.not_implemented_for(f"{'reflection' if mode == 'reflect' else 'replication'}_pad{k}d", input.dtype)
    index, name = P.pad_index(tuple(input.shape), widths, mode, k)
    return getitem(input, index=index, basic=False, name=name)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p over dim, eps)``.

    Example::

        >>> pullback.nn.functional.normalize(pullback.tensor([3.0, 4.0]), dim=0)
        tensor([0.6000, 0.8000])
    """
    if input.ndim == 0:   # a 0-dim tensor's dim 0 is itself: the norm of one element
        return S.squeeze(normalize(S.unsqueeze(input, 0), p, wrap_dim(dim, 0), eps), 0)
    result = input / F.clamp(F.norm(input, p, dim, keepdim=True), min=eps)
    return result if out is None else out.copy_(result)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))`` along ``dim`` (``x1`` and ``x2``
    broadcast; integers are promoted, but not to an integer result).

    Example::

        >>> pullback.nn.functional.cosine_similarity(pullback.tensor([1.0, 0.0]), pullback.tensor([1.0, 1.0]), dim=0)
        tensor(0.7071)
    """
    _check(x1, "cosine_similarity")
    if x1.shape != x2.shape:
        shape = _broadcast_shape(x1.shape, x2.shape)
        x1, x2 = S.expand(x1, *shape), S.expand(x2, *shape)
    dtype = D.result_type(x1, x2)
    if not dtype.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {dtype._tensor_type[:-6]}")
    if x1.ndim == 0:   # the sum over a 0-dim tensor's dim 0 is the tensor itself
        return S.squeeze(cosine_similarity(S.unsqueeze(x1, 0), S.unsqueeze(x2, 0), wrap_dim(dim, 0), eps), 0)
    x1, x2 = x1.to(dtype), x2.to(dtype)
    unit1 = x1 / _at_least(F.norm(x1, 2, dim, keepdim=True), eps)
    unit2 = x2 / _at_least(F.norm(x2, 2, dim, keepdim=True), eps)
    return F.sum(unit1 * unit2, dim)


def _at_least(norm, eps):
    """``max(norm, eps)``, differentiated as ``norm`` where it is clamped (PyTorch clamps the
    norms of cosine_similarity in place, outside autograd). ``norm - norm.detach()`` is exactly 0."""
    return E.where_(norm < eps, norm - norm.detach() + eps, norm)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` along the last dim."""
    return F.norm(x1 - x2 + eps, p, -1, keepdim=keepdim)


# ---------------------------------------------------------------- convolution
def _pair(v, n=2):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extracts sliding local blocks: ``(N, C, H, W) -> (N, C*KH*KW, L)`` (im2col)."""
    return C.unfold_(input, kernel=_pair(kernel_size), stride=_pair(stride), padding=_pair(padding),
                     dilation=_pair(dilation))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of ``unfold``: sums blocks ``(N, C*KH*KW, L)`` back into ``(N, C, H, W)``."""
    return C.fold_(input, size=_pair(output_size), kernel=_pair(kernel_size), stride=_pair(stride),
                   padding=_pair(padding), dilation=_pair(dilation))



def _conv_param(value, name, n):
    """``stride``, ``padding`` or ``dilation`` as ``n`` ints (a single value applies to every dim)."""
    v = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(v) == 1:
        v = v * n
    if len(v) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {name}={list(v)}")
    return v


def _same_padding(input, weight, stride, dilation):
    """``padding='same'``: the symmetric padding of each dim, and ``input`` padded on the right
    where the total padding ``dilation * (kernel - 1)`` is odd (PyTorch puts the extra there)."""
    if any(s != 1 for s in _pair(stride, weight.ndim - 2)):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    if weight.ndim != input.ndim:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight"
                           f"{list(weight.shape)}, but got {input.ndim}-dimensional input of size "
                           f"{list(input.shape)} instead")
    dilation = _conv_param(dilation, "dilation", weight.ndim - 2)
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    totals = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
    if any(t % 2 for t in totals):
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                      "copy of the input be created", UserWarning, stacklevel=4)
        widths = ((0, 0), (0, 0)) + tuple((0, t % 2) for t in totals)
        input = N.pad_.bind((input,), {"widths": widths, "value": 0})
    return input, tuple(t // 2 for t in totals)


def check_conv_weight(input, weight, groups):
    """torch's checks of a (transposed) convolution's weight against the input's rank and the
    groups; the two shapes as lists."""
    w, x = list(weight.shape), list(input.shape)
    if weight.ndim != input.ndim:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight {w}, but "
                           f"got {input.ndim}-dimensional input of size {x} instead")
    if w[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {w} instead")
    if w[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{w}] instead")
    return w, x


def _check_conv(input, weight, bias, stride, padding, dilation, groups):
    """PyTorch's checks of a convolution's arguments, in its order, with its messages; returns
    ``stride``, ``padding`` and ``dilation`` as one int per spatial dim. ``input`` is batched."""
    if weight.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({D.CPP_TYPE_NAMES[input.dtype]}) and bias type "
                           f"({D.CPP_TYPE_NAMES[bias.dtype]}) should be the same")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    n = weight.ndim - 2
    stride, padding = _conv_param(stride, "stride", n), _conv_param(padding, "padding", n)
    dilation = _conv_param(dilation, "dilation", n)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    w, x = check_conv_weight(input, weight, groups)
    if x[1] != w[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {w}, expected input{x} to have {w[1] * groups} "
                           f"channels, but got {x[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != w[0]):
        raise RuntimeError(f"Given weight of size {w}, expected bias to be 1-dimensional with {w[0]} elements, but "
                           f"got bias of size {list(bias.shape)} instead")
    padded = [size + 2 * p for size, p in zip(x[2:], padding)]
    kernel = [d * (k - 1) + 1 for k, d in zip(w[2:], dilation)]
    if any(k > size for k, size in zip(kernel, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
                           f"size: ({' x '.join(map(str, kernel))}). Kernel size can't be greater than actual input "
                           "size")
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._tensor_type[:-6]} but found "
                           f"{weight.dtype._tensor_type[:-6]}")
    if input.dtype is D.bool:
        kernel_name = "compute_columns3d" if n == 3 else "slow_conv2d_cpu"
        raise NotImplementedError(f"\"{kernel_name}\" not implemented for 'Bool'")
    return stride, padding, dilation


def _conv(input, weight, bias, stride, padding, dilation, groups, n, name):
    """An ``n``-d convolution (n = 1, 2 or 3) of a batched or unbatched input, as the conv2d
    primitive (a 3-d one: a sum of conv2d over the kernel's depth, see ``_ops/conv.py``)."""
    _check(input, name)
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, but got input of "
                           f"size: {list(input.shape)}")
    unbatched = input.ndim == n + 1
    if unbatched:
        input = S.unsqueeze(input, 0)
    if isinstance(padding, str):
        if padding == "same":
            input, padding = _same_padding(input, weight, stride, dilation)
        elif padding == "valid":
            padding = 0
        else:
            raise RuntimeError(f"Invalid padding string: {padding!r}")
    stride, padding, dilation = _check_conv(input, weight, bias, _pair(stride, n), padding, dilation, groups)
    if input.shape[1] == 0:   # PyTorch's result for inputs without channels has no channels either
        weight = weight[:0]
        bias = None if bias is None else bias[:0]
    if n == 1:   # a conv2d of height 1
        input, weight = S.unsqueeze(input, 2), S.unsqueeze(weight, 2)
        stride, padding, dilation = (1,) + stride, (0,) + padding, (1,) + dilation
    if n == 3:
        out = C.conv3d(input, weight, stride, padding, dilation, groups)
    else:
        out = C.conv2d_.bind((input, weight), {"kernel": tuple(weight.shape[2:]), "stride": stride,
                                               "padding": padding, "dilation": dilation, "groups": groups})
    if bias is not None:
        out = out + S.reshape(bias, 1, -1, *([1] * max(n, 2)))
    if n == 1:
        out = S.squeeze(out, 2)
    return S.squeeze(out, 0) if unbatched else out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of ``(N, C, H, W)`` (or ``(C, H, W)``) with
    ``(O, C/groups, KH, KW)``.

    Args:
        stride, dilation (int or pair): the step between windows, between kernel taps.
        padding (int, pair or str): zeros added on both sides; ``'valid'`` (none) or ``'same'``
            (the output keeps the input's size; stride 1 only).
        groups (int): splits the channels into groups convolved separately.

    Example::

        >>> out = pullback.nn.functional.conv2d(pullback.randn(1, 3, 8, 8), pullback.randn(4, 3, 3, 3), padding=1)
        >>> out.shape
        pullback.Size([1, 4, 8, 8])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of ``(N, C, L)`` (or ``(C, L)``) with ``(O, C/groups, K)``; the arguments
    as :func:`conv2d`'s, one value per dim."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``) with ``(O, C/groups, KD, KH, KW)``;
    the arguments as :func:`conv2d`'s, three values each.

    Example::

        >>> pullback.nn.functional.conv3d(pullback.randn(1, 2, 4, 4, 4), pullback.randn(3, 2, 3, 3, 3)).shape
        pullback.Size([1, 3, 2, 2, 2])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each window of a ``(N, C, H, W)`` or ``(C, H, W)`` input.

    Args:
        input (Tensor): the input.
        kernel_size (int or tuple): the window's (height, width).
        stride (int or tuple, optional): the window's step. Default: ``kernel_size``.
        padding (int or tuple): implicit ``-inf`` padding on each side, at most half the
            effective kernel. Default: 0.
        dilation (int or tuple): the step between a window's elements. Default: 1.
        ceil_mode (bool): round the output size up (a last, partial window). Default: False.
        return_indices (bool): also return each maximum's flat position in its ``H * W`` plane.

    Example::

        >>> F.max_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    kernel, stride, padding, dilation = P.pool_pairs("max_pool2d", kernel_size, stride, padding, dilation)
    _check(input, "max_pool2d")
    if input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out_size = P.pool2d_out_size(tuple(input.shape), kernel, stride, padding, dilation, ceil_mode)
    if input.dtype is D.bool:
        raise P.not_implemented_for("max_pool2d", input.dtype)
    params = {"kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation, "out_size": out_size}
    out = P.max_pool2d_.bind((input,), params)
    if return_indices:
        return out, P.max_pool2d_indices.bind((input, out), params)
    return out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean over each window of a ``(N, C, H, W)`` or ``(C, H, W)`` input.

    Args:
        input (Tensor): the input (floating point or int64; integers divide truncating).
        kernel_size (int or tuple): the window's (height, width).
        stride (int or tuple, optional): the window's step. Default: ``kernel_size``.
        padding (int or tuple): implicit zero padding on each side, at most half the kernel.
        ceil_mode (bool): round the output size up (a last, partial window). Default: False.
        count_include_pad (bool): count the padding in each window's divisor. Default: True.
        divisor_override (int, optional): divide every window's sum by this instead.

    Example::

        >>> F.avg_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    kernel, stride, padding, _ = P.pool_pairs("avg_pool2d", kernel_size, stride, padding)
    if divisor_override is not None and not P.is_int(divisor_override):
        raise TypeError(f"avg_pool2d(): argument 'divisor_override' must be int, not {type(divisor_override).__name__}")
    if divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check(input, "avg_pool2d")
    if input.ndim < 3:
        raise (IndexError("Dimension specified as -3 but tensor has no dimensions") if input.ndim == 0 else
               IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], "
                          "but got -3)"))
    out_size = P.pool2d_out_size(tuple(input.shape), kernel, stride, padding, (1, 1), ceil_mode)
    if not (input.dtype.is_floating_point or input.dtype is D.int64):
        raise P.not_implemented_for("avg_pool2d", input.dtype)
    divisor = P.avg_pool_divisors(tuple(input.shape[-2:]), kernel, stride, padding, out_size, count_include_pad,
                                  divisor_override)
    return P.avg_pool2d_.bind((input,), {"kernel": kernel, "stride": stride, "padding": padding,
                                         "out_size": out_size, "divisor": divisor})


def adaptive_avg_pool2d(input, output_size):
    """Averages each plane of a ``(N, C, H, W)`` or ``(C, H, W)`` input into ``output_size``
    cells; cell i covers rows ``[floor(i * H / OH), ceil((i + 1) * H / OH))``, columns alike.

    Args:
        input (Tensor): the input (floating point).
        output_size (int or tuple): (OH, OW); None keeps that dim's size.

    Example::

        >>> F.adaptive_avg_pool2d(torch.arange(9.).reshape(1, 3, 3), 2)
        tensor([[[2., 3.],
                 [5., 6.]]])
    """
    _check(input, "adaptive_avg_pool2d")
    oh, ow = P.adaptive_output_size(tuple(input.shape), output_size, "adaptive_avg_pool2d")
    shape = tuple(input.shape)
    if len(shape) not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(shape)}")
    if (oh, ow) == (1, 1):  # as PyTorch: a global mean, before the size and dtype checks (nan for an empty plane)
        return F.mean(input, (-2, -1), keepdim=True)
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(shape)} with dimension {i} being empty")
    if not input.dtype.is_floating_point:
        raise P.not_implemented_for("adaptive_avg_pool2d", input.dtype)
    bounds = (P.adaptive_bounds(shape[-2], oh), P.adaptive_bounds(shape[-1], ow))
    return P.adaptive_avg_pool2d_.bind((input,), {"bounds": bounds})


# ----------------------------------------------------------------- normalization
def _layer_norm_shape(input, normalized_shape, weight, bias):
    """``normalized_shape`` as a tuple of ints, after PyTorch's checks of it, the affine parameters
    and the input's trailing dims (in that order)."""
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    shape = tuple(normalized_shape)
    if not all(type(n) is int for n in shape):
        shape = tuple(_layer_norm_size(n, i) for i, n in enumerate(shape))
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and param._data.shape != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(param.shape)} and normalized_shape = {list(shape)}")
    sizes = input._data.shape  # the shapes as tuples (Tensor.shape builds a Size)
    if len(sizes) < len(shape) or sizes[len(sizes) - len(shape):] != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(sizes)}")
    if not input.dtype.is_floating_point and weight is None and bias is None:
        raise NotImplementedError(f'"LayerNormKernelImpl" not implemented for \'{input.dtype._tensor_type[:-6]}\'')
    return shape


def _layer_norm_size(n, i):
    """Entry ``i`` of ``normalized_shape`` as an int: NumPy ints and int 0-dim Tensors count."""
    if isinstance(n, Tensor) and n.ndim == 0 and not n.dtype.is_floating_point:
        n = n.item()
    if isinstance(n, bool) or not isinstance(n, (int, B.integer)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, but "
                        f"found element of type {type(n).__name__} at pos {i}")
    return int(n)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Applies Layer Normalization over the last ``len(normalized_shape)`` dims: each slice is
    normalized to zero mean and unit variance (biased), then scaled by ``weight`` and shifted by ``bias``.

    Args:
        input (Tensor): the input, of shape ``[*, *normalized_shape]``.
        normalized_shape (list or tuple of ints): the trailing dims to normalize over.
        weight (Tensor, optional): the scale, of shape ``normalized_shape``.
        bias (Tensor, optional): the shift, of shape ``normalized_shape``.
        eps (float): added to the variance, for numerical stability.

    Example::

        >>> x = pullback.tensor([[1.0, 3.0], [2.0, 2.0]])
        >>> pullback.nn.functional.layer_norm(x, (2,))
        tensor([[-1.0000,  1.0000],
                [ 0.0000,  0.0000]])
    """
    shape = _layer_norm_shape(input, normalized_shape, weight, bias)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    mean = F.mean(input, dims, keepdim=True)
    centered = input - mean
    var = F.mean(centered * centered, dims, keepdim=True)
    out = centered * F.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalizes each channel (dim 1) by batch statistics in training (updating the running
    ones in place, unbiased variance) or by the running statistics in evaluation, then scales by
    ``weight`` and shifts by ``bias``.

    Example::

        >>> x = pullback.randn(8, 3)
        >>> out = pullback.nn.functional.batch_norm(x, None, None, training=True)
    """
    _check(input, "batch_norm")
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' (position 7) must be float, not NoneType")
    if training:
        if eps <= 0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
        n = input.numel() // input.shape[1] if input.ndim > 1 and input.shape[1] else 0
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    _check_batch_norm_args(input, running_mean, running_var, weight, bias, training)
    if input.numel() == 0:   # nothing to normalize: the running statistics stay as they are
        return input.clone()
    dims = (0,) + tuple(range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        mean = F.mean(input, dims, keepdim=True)
        centered = input - mean
        var = F.mean(centered * centered, dims, keepdim=True)
        if running_mean is not None:
            with grad_mode.no_grad():
                running_mean.mul_(1 - momentum).add_(S.reshape(mean.detach(), -1) * momentum)
                running_var.mul_(1 - momentum).add_(S.reshape(var.detach(), -1) * (momentum * n / (n - 1)))
    else:
        mean = S.reshape(running_mean, *shape)
        var = S.reshape(running_var, *shape)
        centered = input - mean
    out = centered * F.rsqrt(var + eps)
    if weight is not None:
        out = out * S.reshape(weight, *shape)
    if bias is not None:
        out = out + S.reshape(bias, *shape)
    return out


def _check_batch_norm_args(input, running_mean, running_var, weight, bias, training):
    """PyTorch's checks of batch_norm's statistics and parameters, in its order."""
    if training and (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    if not training:
        for name, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
    channels = input.shape[1] if input.ndim > 1 else 0
    given = [(name, t) for name, t in (("running_mean", running_mean), ("running_var", running_var),
                                       ("weight", weight), ("bias", bias)) if t is not None]
    for name, t in given:
        if t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"batch_norm\" not implemented for '{input.dtype._tensor_type[:-6]}'")
    if any(t.dtype is not input.dtype for _, t in given):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float" if input.dtype is D.float32
                           else "mixed dtype (CPU): all inputs must share same datatype.")


def _channel_shape(input):
    return (1, -1) + (1,) * (input.ndim - 2)


def _check_mixed_dtype(input, *params):
    """PyTorch's CPU normalization kernels: parameters of the input's dtype only."""
    if any(t is not None and t.dtype is not input.dtype for t in params):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float" if input.dtype is D.float32
                           else "mixed dtype (CPU): all inputs must share same datatype.")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalizes each of ``num_groups`` groups of channels of each sample (``(N, C, *)``) to
    zero mean and unit (biased) variance, then scales by ``weight`` and shifts by ``bias`` per channel.

    Example::

        >>> out = pullback.nn.functional.group_norm(pullback.randn(2, 4, 3), 2)
    """
    _check(input, "group_norm")
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    shape = tuple(input.shape)
    n, c = shape[0], shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {list(shape)}")
    _check_floating(input, "GroupNormKernelImpl")
    _check_mixed_dtype(input, weight, bias)
    size = n * c // num_groups
    for d in shape[2:]:
        size *= d
    if size == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{[n * c // num_groups, num_groups] + list(shape[2:])}")
    if input.numel() == 0:
        return input.clone()
    grouped = S.reshape(input, n, num_groups, -1)
    mean = F.mean(grouped, 2, keepdim=True)
    centered = grouped - mean
    var = F.mean(centered * centered, 2, keepdim=True)
    out = S.reshape(centered * F.rsqrt(var + eps), *shape)
    if weight is not None:
        out = out * S.reshape(weight, *_channel_shape(input))
    if bias is not None:
        out = out + S.reshape(bias, *_channel_shape(input))
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalizes each channel of each sample (``(N, C, *)``) over its spatial dims; with
    ``use_input_stats`` the running statistics (if given) are updated with the batch mean of the
    samples' statistics, otherwise they normalize the input.

    Example::

        >>> out = pullback.nn.functional.instance_norm(pullback.randn(2, 3, 5))
    """
    _check(input, "instance_norm")
    shape = tuple(input.shape)
    if use_input_stats:
        spatial = 1
        for d in shape[2:]:
            spatial *= d
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{_size(shape)}")
    n, c = shape[0], shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {n * c} elements not {t.numel() * n}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {n * c} elements not {t.numel() * n}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    _check_floating(input, "batch_norm")
    _check_mixed_dtype(input, weight, bias, running_mean, running_var)
    cshape = _channel_shape(input)
    if use_input_stats:
        dims = tuple(range(2, input.ndim))
        mean = F.mean(input, dims, keepdim=True)
        centered = input - mean
        var = F.mean(centered * centered, dims, keepdim=True)
        if running_mean is not None and running_var is not None:
            m = input.numel() // (n * c) if n * c else 0
            with grad_mode.no_grad():
                batch_mean = F.mean(S.reshape(mean.detach(), n, c), 0)
                batch_var = F.mean(S.reshape(var.detach(), n, c), 0) * (m / (m - 1))
                running_mean.mul_(1 - momentum).add_(batch_mean * momentum)
                running_var.mul_(1 - momentum).add_(batch_var * momentum)
    else:
        centered = input - S.reshape(running_mean, *cshape)
        var = S.reshape(running_var, *cshape)
    out = centered * F.rsqrt(var + eps)
    if weight is not None:
        out = out * S.reshape(weight, *cshape)
    if bias is not None:
        out = out + S.reshape(bias, *cshape)
    return out


def _size(shape):
    from .._size import Size
    return Size(shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``input / sqrt(mean(input^2) + eps) * weight`` over the trailing ``normalized_shape``
    dims; ``eps`` defaults to the dtype's machine epsilon.

    Example::

        >>> pullback.nn.functional.rms_norm(pullback.tensor([[3.0, 4.0]]), (2,))
        tensor([[0.8485, 1.1314]])
    """
    _check(input, "rms_norm")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    shape = tuple(int(d) for d in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(shape)}")
    sizes = tuple(input.shape)
    if len(sizes) < len(shape) or sizes[len(sizes) - len(shape):] != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{list(sizes)}")
    _check_floating(input, "rms_norm")
    if eps is None:
        eps = float(B.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * F.rsqrt(F.mean(input * input, dims, keepdim=True) + eps)
    if weight is None:
        return out
    out = out * weight
    return out if out.dtype is input.dtype else out.to(input.dtype)   # PyTorch's result has the input's dtype


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Divides each element by ``(k + alpha * mean of the squares of ``size`` neighbouring
    channels)^beta`` (``(N, C, *)``, the window centered, zero-padded).

    Example::

        >>> out = pullback.nn.functional.local_response_norm(pullback.randn(2, 6, 4), 3)
    """
    _check(input, "local_response_norm")
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {input.ndim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    widths = ((0, 0), (size // 2, (size - 1) // 2)) + ((0, 0),) * (input.ndim - 2)
    padded = N.pad_.bind((sq,), {"widths": widths, "value": 0})
    total = S.narrow(padded, 1, 0, c)
    for o in range(1, size):
        total = total + S.narrow(padded, 1, o, c)
    if input.dtype.is_floating_point:
        mean = total * (1.0 / size)
    else:   # PyTorch averages integers with an integer (truncating) average pool
        mean = F.floor_divide(total, size)
    div = F.pow(mean * alpha + k, beta)
    return input / div


# -------------------------------------------------------------------- losses
def _reduce(loss, reduction):
    if reduction == "mean":
        return F.mean(loss)
    if reduction == "sum":
        return F.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_reduction(size_average, reduce, reduction):
    """``reduction``, or the one named by the deprecated ``size_average``/``reduce`` flags
    (a flag left None counts as True) when either is given, with PyTorch's warning."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  UserWarning, stacklevel=3)
    return reduction


def _broadcast_shape(a, b):
    return _registry.broadcast_shape((a, b))


def _check_same_size(input, target):
    """A target of another shape than the input: PyTorch's warning, and its error where they do
    not broadcast."""
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
                      "the same size.", UserWarning, stacklevel=3)
        _broadcast_shape(input.shape, target.shape)


def _loss_operands(input, target, kernel):
    """``input`` and ``target`` in the dtype PyTorch's loss kernel computes in: both promoted as after
    ``broadcast_tensors`` (so a 0-dim float64 target makes a float32 input's loss float64), and only
    floating point ones."""
    if input.dtype is not target.dtype:
        dt = D.promote_types(input.dtype, target.dtype)
        input, target = input.to(dt), target.to(dt)
    _check_floating(input, kernel)
    return input, target


def _weighted_loss(loss, weight, input, reduction, mean_over_weight=True):
    """An elementwise loss times ``weight`` (``input``'s shape), reduced; the weighted mean divides
    by the weights' sum (``mean_over_weight``) or by the number of elements."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_over_weight:
        return F.sum(loss) / F.sum(weight)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    return _reduce(loss, reduction)


_is_batched = _levels.batched


def _class_loss_from_ops(logp, target, weight, ignore_index, reduction, label_smoothing):
    """nll of class indices written with elementwise ops and reductions only, so that it works
    for targets that vmap batches (per-sample losses and gradients)."""
    class_dim = 0 if logp.ndim == 1 else 1
    c = logp.shape[class_dim]
    shape = [1] * logp.ndim
    shape[class_dim] = c
    classes = S.reshape(arange(c), *shape)
    t = S.unsqueeze(target, class_dim)
    onehot = F.eq(t, classes)
    valid = F.ne(target, ignore_index)
    w = ones(c, dtype=logp.dtype) if weight is None else weight
    row_weight = F.sum(onehot * S.reshape(w, *shape), class_dim) * valid
    loss = -F.sum(logp * onehot, class_dim) * row_weight
    if label_smoothing > 0:
        smooth = -F.sum(logp * S.reshape(w, *shape), class_dim) * valid
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / c)
    if reduction == "mean":
        return F.sum(loss) / F.sum(row_weight)
    return _reduce(loss, reduction)


def _all_classes_valid(t, c):
    """Whether every target is a class in [0, c): one bincount instead of a min and a max."""
    try:
        return B.bincount(t.reshape(-1)).size <= c
    except (ValueError, TypeError):   # negative targets (ignore_index) or not int64
        return False


def _check_embedding_indices(idx, rows):
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        raise IndexError("index out of range in self")


def _class_targets(input, target, weight, ignore_index, reduction):
    """Checks class-index targets; the static parameters of the nll/cross-entropy primitives:
    safe targets, each row's class weight (0 where ignored) and the total weight."""
    t = target._data
    if _levels.OPEN[0]:  # (no transform open: nothing is batched)
        refuse_batched(target, "a loss with batched class targets")
        refuse_batched(weight, "a loss with batched class weights")
    c = input._data.shape[1]
    dt = input._data.dtype
    ignored = None
    if weight is None and t.size and not 0 <= ignore_index < c and _tape.value_guard(_all_classes_valid, target, c):
        safe = t                                                      # the common case
        wt = None                                                     # every row weighs 1
        total = float(t.size)
        if _tape.ACTIVE[0] is not None:
            return {"target": _tape.call(B.reshape, safe, -1), "weights": None, "reduction": reduction,
                    "total_weight": total, "ignored": None}
    else:
        # The total weight (and which rows are ignored) is a number read off the targets' values:
        # a compiled step cannot replay it.
        _tape.graph_break("a class-index loss with class weights or ignored targets (its normaliser is read off "
                          "the targets)")
        valid = t != ignore_index
        safe = B.where(valid, t, 0)
        if safe.size and (safe.min() < 0 or safe.max() >= c):
            bad = int(safe.max() if safe.max() >= c else safe.min())
            raise IndexError(f"Target {bad} is out of bounds.")
        if weight is not None and weight._data.dtype != dt:
            names = D.SCALAR_TYPE_NAMES
            raise RuntimeError(f"expected scalar type {names[dt.name]} but found {names[weight._data.dtype.name]}")
        w = B.ones(c, dtype=dt) if weight is None else weight._data
        wt = B.where(valid, w[safe], 0).astype(dt)
        total = float(wt.sum())
        if total == 0:
            ignored = ~valid.reshape(-1)
    return {"target": safe.reshape(-1), "weights": None if wt is None else wt.reshape(-1), "reduction": reduction,
            "total_weight": total, "ignored": ignored}


def _check_class_target(input, target, weight):
    """torch's checks of class-index targets and class weights (nll_loss, and cross_entropy where
    ``target``'s shape is not ``input``'s), in its order: shapes, target dtype, weight size. Inputs
    of more than two dims go through torch's 2-d spatial kernel, which has messages of its own."""
    shape, t = input._data.shape, target._data
    if len(shape) == 1:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if t.ndim == 1 and t.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}")
    elif t.ndim and shape[0] != t.shape[0]:
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size ({t.shape[0]}).")
    elif len(shape) == 2 and t.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif len(shape) == 4 and t.ndim != 3:
        raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                           f"{t.ndim}")
    elif len(shape) == 4 and t.shape[1:] != shape[2:]:
        raise RuntimeError(f"size mismatch (got input: {list(shape)} , target: {list(t.shape)}")
    elif len(shape) > 2 and t.shape[1:] != shape[2:]:
        raise RuntimeError(f"Expected target size {[shape[0], *shape[2:]]}, got {list(t.shape)}")
    spatial = len(shape) > 2
    if t.dtype != B.int64 and (t.dtype != B.uint8 or spatial):
        found = D.SCALAR_TYPE_NAMES[target.dtype.name]
        if t.dtype == B.uint8:  # the spatial kernel takes Long targets only
            raise RuntimeError(f"expected scalar type Long but found {found}")
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {found}")
    c = shape[0] if len(shape) == 1 else shape[1]
    if weight is not None and weight._data.size != c:
        if spatial:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got "
                           f"weight tensor of shape: {list(weight.shape)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log likelihood of class indices ``target`` under log-probabilities ``input``
    (``(N, C)`` or ``(N, C, d1, ...)``)."""
    _check(input, "nll_loss")
    if _is_batched(target):
        return _class_loss_from_ops(input, target, weight, ignore_index, reduction, 0.0)
    _check_class_target(input, target, weight)
    unbatched = input.ndim == 1
    if unbatched:
        input, target = S.unsqueeze(input, 0), S.unsqueeze(target, 0)
    c = input.shape[1]
    t = target._data
    params = _class_targets(input, target, weight, ignore_index, reduction)
    if input.ndim == 2:
        out = N.nll_loss_.bind((input,), params)
    else:  # (N, C, d1, ...): one row per position, classes last
        rows = S.reshape(S.movedim(input, 1, -1), -1, c)
        out = N.nll_loss_.bind((rows,), params)
        if reduction == "none":
            out = S.reshape(out, *t.shape)
    return S.squeeze(out, 0) if unbatched and reduction == "none" else out


def _check_probability_target(target, weight, ignore_index, label_smoothing, c):
    """torch's checks of cross_entropy's class-probability targets, in its order."""
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{D.SCALAR_TYPE_NAMES[target.dtype.name]}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if weight is not None and weight._data.size != c:
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy between logits ``input`` (``(N, C)`` or ``(N, C, d1, ...)``) and ``target``:
    class indices, or class probabilities of ``input``'s shape.

    Args:
        weight (Tensor, optional): a weight per class.
        ignore_index (int): a target value that contributes nothing (class indices only).
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``.
        label_smoothing (float): mixes the target with the uniform distribution.

    Example::

        >>> logits = pullback.randn(4, 3, requires_grad=True)
        >>> loss = pullback.nn.functional.cross_entropy(logits, pullback.tensor([0, 2, 1, 0]))
    """
    if not isinstance(input, Tensor):
        _check(input, "cross_entropy")
    if _levels.OPEN[0] and _is_batched(target) and not target.dtype.is_floating_point:
        return _class_loss_from_ops(F.log_softmax(input, 0 if input.ndim == 1 else 1), target, weight, ignore_index,
                                    reduction, label_smoothing)
    if (input._data.ndim == 2 and target._data.ndim == 1 and target._data.dtype.kind in "iu" and label_smoothing <= 0
            and input._data.dtype.kind == "f"):
        _check_class_target(input, target, weight)
        params = _class_targets(input, target, weight, ignore_index, reduction)
        params["cache"] = _tape.Scratch()
        return N.cross_entropy_.bind((input,), params)
    class_dim = 0 if input.ndim == 1 else 1
    c = input.shape[class_dim]
    probabilities = tuple(target.shape) == tuple(input.shape)  # torch's rule: the same shape, whatever the dtype
    if probabilities:
        _check_probability_target(target, weight, ignore_index, label_smoothing, c)
    elif label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    logp = F.log_softmax(input, class_dim)
    if probabilities:
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / c
        terms = logp * target
        if weight is not None:
            terms = terms * S.reshape(weight, *((-1,) + (1,) * (input.ndim - 2))) if class_dim else terms * weight
        loss = -F.sum(terms, class_dim)
        if reduction == "mean":
            return F.sum(loss) / (loss.numel() if loss.ndim else 1)
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return nll
    t = target._data if input.ndim > 1 else target._data[None]
    lp = logp if input.ndim > 1 else S.unsqueeze(logp, 0)
    valid = t != ignore_index
    if weight is not None:
        shape = (1, -1) + (1,) * (lp.ndim - 2)
        smooth = -F.sum(lp * S.reshape(weight, *shape), 1)
    else:
        smooth = -F.sum(lp, 1)
    smooth = E.where_(Tensor._make(valid), smooth, 0.0)   # not a product: the ignored rows' gradient stays 0
    if reduction == "mean":
        if weight is not None:
            denom = float(B.where(valid, weight._data[B.where(valid, t, 0)], 0).sum())
        else:
            denom = float(valid.sum())
        with B.errstate(divide="ignore", invalid="ignore"):   # every row ignored: nan, as PyTorch, silently
            smooth = F.sum(smooth) / denom
    else:
        smooth = _reduce(smooth if input.ndim > 1 else S.squeeze(smooth, 0), reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / c)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target)^2``, reduced (``weight``: one weight per element; the
    weighted mean divides by the weights' sum)."""
    _check_same_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _loss_operands(input, target, "mse_cpu")
    d = input - target
    return _reduce(d * d, reduction) if weight is None else _weighted_loss(d * d, weight, input, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|``, reduced (``weight`` as in :func:`mse_loss`)."""
    _check_same_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.dtype is not target.dtype and D.bool not in (input.dtype, target.dtype):
        # PyTorch subtracts the operands broadcast (promoted as tensors of one rank); bools it refuses
        dt = D.promote_types(input.dtype, target.dtype)
        input, target = input.to(dt), target.to(dt)
    loss = F.abs(input - target)
    return _reduce(loss, reduction) if weight is None else _weighted_loss(loss, weight, input, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d^2 / beta`` where ``|d| < beta``, ``|d| - 0.5 beta`` elsewhere."""
    _check_same_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _loss_operands(input, target, "smooth_l1_cpu")
    d = F.abs(input - target)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(E.where_(d < beta, d * d * (0.5 / beta), d - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d^2`` where ``|d| < delta``, ``delta (|d| - 0.5 delta)`` elsewhere (``weight``: one
    weight per element; the weighted mean divides by the number of elements)."""
    _check_same_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = F.abs(input - target)
    loss = E.where_(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)
    return _reduce(loss, reduction) if weight is None else _weighted_loss(loss, weight, input, reduction, False)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-(y log p + (1 - y) log(1 - p))`` with the logs clamped at -100, as PyTorch does."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    loss = -(target * F.clamp(F.log(input), min=-100) + (1 - target) * F.clamp(F.log(1 - input), min=-100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from the logits."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    for name, given in (("weight", weight), ("pos_weight", pos_weight)):
        if given is not None and getattr(given, "requires_grad", False) and grad_mode.is_grad_enabled():
            raise RuntimeError(f"The function 'binary_cross_entropy_with_logits' is not differentiable with respect "
                               f"to argument '{name}'. This input cannot have requires_grad True.")
    log_sigmoid_neg = F.softplus(input)          # -log(1 - sigmoid(x)) = log(1 + e^x)
    if pos_weight is None:
        loss = log_sigmoid_neg - target * input
    else:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * F.softplus(-input)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence with ``input`` log-probabilities: ``target * (log target - input)``, where
    ``0 log 0 = 0`` (``xlogy``: its gradient with respect to a zero target is nan, as PyTorch's).

    Args:
        log_target (bool): ``target`` holds log-probabilities: ``exp(target) * (target - input)``.
        reduction (str): ``'batchmean'`` divides the sum by the batch size (the mathematical
            KL); ``'mean'`` by the number of elements (with PyTorch's warning).
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    if input.shape != target.shape:
        _broadcast_shape(target.shape, input.shape)
    if log_target:
        loss = F.exp(target) * (target - input)
    else:
        with B.errstate(divide="ignore", invalid="ignore"):   # log(0) is taken, and masked
            loss = target * E.where_(target != 0, F.log(target), 0.0) - target * input
    if reduction == "batchmean":
        return F.sum(loss) / input.shape[0] if input.ndim else F.sum(loss)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))``, for targets of +1 and -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.shape != target.shape and _broadcast_shape(input.shape, target.shape) != tuple(input.shape):
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape "
                           f"{list(_broadcast_shape(input.shape, target.shape))}")
    return _reduce(F.softplus(-target * input), reduction)


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``, for targets of +1 and -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce(F.clamp(-target * (input1 - input2) + float(margin), min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    zero = _scalar_like(input, 0) if input.dtype.is_floating_point else 0.0
    below = E.where_(target != 1, F.clamp(margin - input, min=0), zero)
    return _reduce(below + E.where_(target != -1, input, zero), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1``; ``x1, x2`` of shape ``(N, D)`` with target ``(N,)``, or ``(D,)`` with a 0-dim target."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    dim = target.ndim
    if dim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if dim == 1 else 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(f"{dim}D target tensor expects {want}D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    prod = F.sum(input1 * input2, dim)
    mag1 = F.sum(input1 * input1, dim) + 1e-12
    mag2 = F.sum(input2 * input2, dim) + 1e-12
    cos = prod / F.sqrt(mag1 * mag2)
    zero = _scalar_like(cos, 0)
    out = E.where_(target == 1, 1 - cos, zero) + E.where_(target == -1, F.clamp(cos - margin, min=0), zero)
    return _reduce(out, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """The mean over classes of the binary logistic losses of ``input`` against 0/1 ``target``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    if input.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    class_dim = input.ndim - 1
    loss = F.sum(loss, class_dim) / input.shape[class_dim]
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not valid")
    return _reduce(loss, reduction)


def _class_onehot(target, c, dtype):
    """Class indices as a one-hot float Tensor (classes last)."""
    return Tensor._make(B.eye(c, dtype=dtype.np)[target._data])


def _check_margin_input(shape):
    if not ((len(shape) == 2 and shape[1] != 0) or (len(shape) == 1 and shape[0] != 0) or not shape):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(shape)}")


def _check_long_target(target):
    if target.dtype is not D.int64:
        raise RuntimeError(f"expected scalar type Long but found {D.SCALAR_TYPE_NAMES[target.dtype.name]}")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss: ``sum_{i != y} max(0, margin - x[y] + x[i])^p / C`` per sample
    (times ``weight[y]``), for ``(N, C)`` or ``(C,)`` inputs and class indices ``target``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    _check_reduction(reduction)
    shape = tuple(input.shape)
    _check_margin_input(shape)
    n, c = (1, shape[0] if shape else 1) if len(shape) < 2 else shape
    if not (target.ndim <= 1 and target.numel() == n):
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {list(target.shape)}. Input "
                           f"has shape {list(shape)}.")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    _check_long_target(target)
    t = target._data.reshape(-1)
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    x = S.reshape(input, n, c)
    onehot = _class_onehot(Tensor._make(t), c, input.dtype)
    xy = F.sum(x * onehot, 1, keepdim=True)
    z = F.clamp(x - xy + margin, min=0)
    if p == 2:
        z = z * z
    z = z * (1 - onehot)
    if weight is not None:
        z = z * S.unsqueeze(getitem(weight, index=(t,), basic=False), 1)
    loss = F.sum(z, 1) / c
    if reduction == "none":
        return S.reshape(loss, *target.shape) if len(shape) < 2 else loss
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: ``sum_{j in y, i not in y} max(0, 1 - (x[j] - x[i])) / C`` per
    sample; ``target`` holds the classes of each sample, ended by the first -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    shape = tuple(input.shape)
    _check_margin_input(shape)
    if tuple(target.shape) != shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(shape)}")
    _check_long_target(target)
    n, c = (1, shape[0] if shape else 1) if len(shape) < 2 else shape
    t = target._data.reshape(n, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    listed = B.cumprod(t >= 0, axis=1).astype(bool)   # the entries before each row's first -1
    counts = B.zeros((n, c))
    B.add.at(counts, (B.nonzero(listed)[0], t[listed]), 1)
    is_target = (counts > 0).astype(input.dtype.np)
    # pair (j, i): j a target, i not one; counted as often as j is listed
    mask = Tensor._make((counts[:, :, None] * (1 - is_target[:, None, :])).astype(input.dtype.np))
    x = S.reshape(input, n, c)
    z = F.clamp(1 - S.unsqueeze(x, 2) + S.unsqueeze(x, 1), min=0) * mask
    loss = F.sum(z, (1, 2)) / c
    if reduction == "none":
        return S.reshape(loss, ()) if len(shape) < 2 else loss
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log likelihood ``0.5 (log var + (input - target)^2 / var)`` (plus
    ``0.5 log 2 pi`` with ``full``); ``var`` clamped at ``eps`` (its gradient passing unclamped),
    of ``input``'s shape, or one dim fewer, or with one dim of size 1, or a float."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = ones(*input.shape, dtype=input.dtype) * var
    elif not isinstance(var, Tensor):   # torch.any(var < 0) of a Python number
        raise TypeError(f"any(): argument 'input' (position 1) must be Tensor, not {type(var < 0).__name__}")
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape)[:-1] == tuple(var.shape):
            var = S.unsqueeze(var, -1)
        elif not (input.ndim == var.ndim and sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not valid")
    plain = var.detach()
    var = var + (F.clamp(plain, min=eps) - plain)
    d = input - target
    loss = (F.log(var) + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Poisson negative log likelihood: ``exp(input) - target * input`` (``log_input``) or
    ``input - target * log(input + eps)``; ``full`` adds Stirling's term where ``target > 1``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = F.exp(input) - target * input if log_input else input - target * F.log(input + eps)
    if full:
        above = target.detach() > 1
        safe = E.where_(above, target, _scalar_like(target, 1) if target.dtype.is_floating_point else 1.0)
        stirling = safe * F.log(safe) - safe + F.log(safe * (2 * math.pi)) * 0.5
        loss = loss + E.where_(above, stirling, _scalar_like(stirling, 0))
    return _reduce(loss, reduction)


def _check_triplet_dims(anchor, positive, negative):
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == p == n):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with ``d`` the
    ``p``-norm :func:`pairwise_distance` (``swap``: the smaller of ``d(a, n)`` and ``d(p, n)``)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = F.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(F.clamp(d_pos - d_neg + margin, min=0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """:func:`triplet_margin_loss` with any ``distance_function(x1, x2)`` (default
    :func:`pairwise_distance`)."""
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = F.minimum(d_neg, dist(positive, negative))
    return _reduce(F.clamp(margin + d_pos - d_neg, min=0), reduction)


def pdist(input, p=2):
    """The ``p``-norm distances between the rows of a ``(N, M)`` input, for each pair ``i < j``
    in row-major order: ``N (N - 1) / 2`` values."""
    _check(input, "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    i, j = B.triu_indices(n, 1)
    diff = getitem(input, index=(i,), basic=False) - getitem(input, index=(j,), basic=False)
    return _vector_norm_safe(diff, p)


def _vector_norm_safe(diff, p):
    """The ``p``-norm of each row of ``diff``, with a zero gradient where a row is all zeros."""
    if p == 0:   # a count: differentiable, with a zero gradient, as PyTorch's
        return F.sum(F.ne(diff, 0).to(diff.dtype), 1) + F.sum(diff, 1) * 0
    if diff.shape[0] == 0:
        return F.sum(diff, 1)
    zero = F.logical_not(F.any(F.ne(diff, 0), 1, keepdim=True))   # ops, not the data: vmap sees per-sample rows
    safe = E.where_(zero, 1.0, diff)
    norm = F.norm(safe, p, 1)
    return E.where_(S.squeeze(zero, 1), 0.0, norm)


from ._attention import scaled_dot_product_attention, multi_head_attention_forward  # noqa: E402,F401  (they use this module)
from .functional_pooling import (max_pool1d, avg_pool1d, adaptive_avg_pool1d, adaptive_max_pool1d,  # noqa: E402,F401
                                 adaptive_max_pool2d, lp_pool1d, lp_pool2d, adaptive_avg_pool3d,
                                 avg_pool3d, max_pool3d,
                                 fractional_max_pool2d, fractional_max_pool3d)
from .functional_conv import conv_transpose1d, conv_transpose2d  # noqa: E402,F401
from .functional_resample import (interpolate, upsample, upsample_nearest, upsample_bilinear, pixel_shuffle,  # noqa: E402,F401
                                  pixel_unshuffle, channel_shuffle, grid_sample, affine_grid, max_unpool1d,
                                  max_unpool2d, max_unpool3d)
from .functional_misc import (conv_transpose3d, adaptive_max_pool3d, lp_pool3d, dropout1d, dropout2d,  # noqa: E402,F401
                              dropout3d, alpha_dropout, feature_alpha_dropout, embedding_bag, ctc_loss)
