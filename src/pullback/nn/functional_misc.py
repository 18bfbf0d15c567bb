"""nn.functional's channel-wise and alpha dropouts and embedding_bag, as composites; and the
re-export of the 3-d transposed convolution and pools written beside their 1-d and 2-d kin
(``functional_conv.py``, ``functional_pooling.py``).

The dropouts draw their masks with ``pullback.rand`` (as ``F.dropout`` does), so that vmap's
``randomness`` and ``pullback.compile``'s recording see the draw; their gradients are the mask's
products'. embedding_bag gathers the rows it reads and reduces each bag with a matmul (sum,
mean) or a masked maximum (max), so its derivatives come from the gather's, the matmul's and
max's.
"""
import math
import warnings

from .._backend import B
from .. import _dtype as D
from .. import _inplace
from .._tensor import Tensor
from .._creation import rand
from .._ops import functions as F
from .._ops import shape as S
from .._ops import elementwise as E
from .._ops import nn as N
from .._ops.indexing import getitem
from .._ops._registry import refuse_batched
from .functional_conv import conv_transpose3d  # noqa: F401  (exported from here into nn.functional)
from .functional_pooling import adaptive_max_pool3d, lp_pool3d  # noqa: F401


# ------------------------------------------------------------------ dropouts
_ALPHA = 1.7580993408473766   # SELU's -scale * alpha: where a dropped unit is sent (its saturation)


def _check_p(p):
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise_shape(input, feature):
    """The mask's shape: one draw per element, or per channel of each sample (``(N, C, 1, ...)``)."""
    shape = tuple(input.shape)
    if not feature:
        return shape
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return shape[:2] + (1,) * (len(shape) - 2)


def _dropout_impl(input, p, training, inplace, *, feature, alpha, unbatched=False):
    """Shared by the five dropouts: identity outside training (or for ``p = 0`` or an empty
    input); a mask kept with probability ``1 - p``, scaled to keep the mean (plain), or the
    dropped units sent to SELU's saturation and the result rescaled to keep the mean and the
    variance (alpha). ``unbatched``: the mask is drawn for ``input`` with a batch dim of 1."""
    if not training or p == 0 or input.numel() == 0:
        return input
    shape = _noise_shape(S.unsqueeze(input, 0) if unbatched else input, feature)[int(unbatched):]
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype._tensor_type[:-6]}")
    if p == 1:
        def apply(x):
            return x * 0.0
    else:
        keep = F.ge(rand(*shape, dtype=input.dtype), p).to(input.dtype)   # rand follows vmap's randomness
        if alpha:
            a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))

            def apply(x):
                return x * (keep * a) + ((keep - 1.0) * (_ALPHA * a) + _ALPHA * a * p)
        else:
            def apply(x):
                return x * (keep * (1.0 / (1 - p)))
    return _inplace.apply_inplace(input, apply) if inplace else apply(input)


def _check_input(input, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _deprecated_dims(fn, ndim, expected):
    warnings.warn(f"{fn}: Received a {ndim}-D input to {fn}, which is deprecated and will result in an error in a "
                  f"future release. To retain the behavior and silence this warning, please use dropout instead. "
                  f"Note that {fn} exists to provide channel-wise dropout on inputs with {expected - 1} spatial "
                  f"dimensions, a channel dimension, and an optional batch dimension (i.e. {expected}D or "
                  f"{expected + 1}D inputs).", stacklevel=3)


def _channelwise(input, p, training, inplace, fn, spatial):
    """dropout1d/2d/3d: zeroes whole channels of ``(N, C, *spatial)`` or ``(C, *spatial)``."""
    _check_input(input, fn)
    _check_p(p)
    batched = input.ndim == spatial + 2
    if not batched and input.ndim != spatial + 1:
        if spatial == 1:
            raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                               "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
                               "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
        _deprecated_dims(fn, input.ndim, spatial + 1)
        batched = True   # other ranks: taken as batched, as PyTorch does
    elif spatial == 2 and not batched:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=3)
        batched = True   # PyTorch reads a 3-d input as (N, C, L) here
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=False, unbatched=not batched)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes each channel of a ``(N, C, L)`` or ``(C, L)`` input with probability ``p`` in
    training, scaling the others by ``1 / (1 - p)``.

    Args:
        p (float): the probability of a channel being zeroed. Default: 0.5.
        training (bool): apply dropout (else the identity). Default: True.
        inplace (bool): write the result into ``input``. Default: False.

    Example::

        >>> F.dropout1d(torch.ones(2, 3, 4), 0.5, training=False).sum()
        tensor(24.)
    """
    return _channelwise(input, p, training, inplace, "dropout1d", 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes each channel of a ``(N, C, H, W)`` or ``(C, H, W)`` input with probability ``p`` in
    training, scaling the others by ``1 / (1 - p)``. As PyTorch, a 3-d input is read as
    ``(N, C, L)`` (with a warning).

    Example::

        >>> F.dropout2d(torch.ones(2, 3, 4, 4), 0.5, training=False).shape
        pullback.Size([2, 3, 4, 4])
    """
    return _channelwise(input, p, training, inplace, "dropout2d", 2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes each channel of a ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input with probability
    ``p`` in training, scaling the others by ``1 / (1 - p)``.

    Example::

        >>> F.dropout3d(torch.ones(1, 2, 2, 2, 2), 0.5, training=False).sum()
        tensor(16.)
    """
    return _channelwise(input, p, training, inplace, "dropout3d", 3)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout (for SELU networks): each element dropped with probability ``p`` goes to
    SELU's saturation value, then an affine map keeps the input's mean and variance. The
    identity unless ``training`` (which defaults to False, as PyTorch's).

    Example::

        >>> F.alpha_dropout(torch.ones(3), 0.5).sum()
        tensor(3.)
    """
    _check_input(input, "alpha_dropout")
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=False, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (dim 1 of an input of at least 2 dims): see
    :func:`alpha_dropout`. The identity unless ``training`` (default False, as PyTorch's).

    Example::

        >>> F.feature_alpha_dropout(torch.ones(2, 3, 4), 0.5).shape
        pullback.Size([2, 3, 4])
    """
    _check_input(input, "feature_alpha_dropout")
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


# ------------------------------------------------------------------ embedding_bag
def _index_type_error(t, name):
    got = "CPUBoolType" if t.dtype is D.bool else f"pullback.{t.dtype._tensor_type}"
    return RuntimeError(f"Expected tensor for argument #1 '{name}' to have one of the following scalar types: Long, "
                        f"Int; but got {got} instead (while checking arguments for embedding_bag)")


def _bags(idx, offsets, include_last_offset):
    """Each bag's ``[start, end)`` range of positions in the flat indices, checked as PyTorch."""
    n = idx.shape[0]
    offs = offsets.astype(B.int64)
    if offs.size and offs[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {int(offs[0])}")
    if offs.size and offs[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                           f"{int(offs[-1])}")
    if include_last_offset:
        # The last offset should be the input's length (CSR); where it is less, PyTorch's generic
        # kernel (every float64 case, max and padding_idx in every dtype) still runs the last bag
        # to the end of the input, and so does this (its float32 sum and mean stop at the offset).
        starts, ends = offs[:-1], B.concatenate([offs[1:-1], B.asarray([n], dtype=B.int64)]) if offs.size > 1 else offs[1:]
    else:
        starts, ends = offs, B.concatenate([offs[1:], B.asarray([n], dtype=B.int64)])
    return starts, ends


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of rows of ``weight`` without materializing the rows'
    lookup per bag: :func:`embedding` followed by a reduction per bag.

    Args:
        input (Tensor): integer indices: ``(B, N)`` (B bags of N each) or 1-d with ``offsets``.
        weight (Tensor): the ``(num_embeddings, D)`` table.
        offsets (Tensor, optional): for a 1-d ``input``, where each bag starts.
        max_norm (float, optional): rows read whose norm exceeds it are renormalized in ``weight``.
        norm_type (float): the norm of ``max_norm``. Default: 2.
        scale_grad_by_freq (bool): divides each row's gradient by how often it is read (not for max).
        mode (str): ``'sum'``, ``'mean'`` (default) or ``'max'``.
        per_sample_weights (Tensor, optional): a weight per index, with ``mode='sum'`` only.
        include_last_offset (bool): ``offsets`` ends with the end of the last bag (the input's
            length; a smaller last offset is read as the length, as PyTorch's generic kernel does).
        padding_idx (int, optional): this row is left out of every bag (and gets no gradient).

    An empty bag gives zeros.

    Example::

        >>> w = torch.arange(6.).reshape(3, 2)
        >>> F.embedding_bag(torch.tensor([0, 1, 2]), w, torch.tensor([0, 2]), mode="sum")
        tensor([[2., 4.],
                [4., 5.]])
    """
    from .functional import _embedding_renorm_
    if weight.dtype is D.int64 and input.dtype.is_floating_point:
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, "
                      "...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            kind = "<class 'pullback.Tensor'>" if isinstance(offsets, Tensor) else str(type(offsets))
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                             f"length sequences. However, found offsets of type {kind}")
        rows, width = input.shape
        offsets_arr = B.arange(0, rows * width, max(width, 1), dtype=B.int64)[:rows]
        include_last_offset = False
        input = S.reshape(input, -1)
        if per_sample_weights is not None:
            per_sample_weights = S.reshape(per_sample_weights, -1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        offsets_arr = None
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if input.dtype not in (D.int64, D.int32):
        raise _index_type_error(input, "indices")
    if offsets_arr is None:
        if offsets.dtype not in (D.int64, D.int32):
            raise _index_type_error(offsets, "indices")
        refuse_batched(offsets, "embedding_bag with batched offsets")
        offsets_arr = offsets._data
    refuse_batched(input, "embedding_bag with batched indices")
    idx = input._data.astype(B.int64)
    rows_n = weight.shape[0]
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only supported "
                                  f"for mode='sum' (got mode='{mode}'). Please open a feature request on GitHub.")
    if not weight.dtype.is_floating_point:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, "
                           f"BFloat16, Float, Double; but got pullback.{weight.dtype._tensor_type} instead (while "
                           "checking arguments for embedding_bag)")
    if per_sample_weights is not None and per_sample_weights.dtype is not weight.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type pullback.{weight.dtype._tensor_type} does not equal "
                           f"pullback.{per_sample_weights.dtype._tensor_type} (while checking arguments for "
                           "embedding_bag)")
    if padding_idx is not None:
        if not -rows_n <= padding_idx < rows_n:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{rows_n} through {rows_n - 1}, "
                               f"but got {padding_idx}")
        padding_idx %= rows_n
    bad = B.nonzero((idx < 0) | (idx >= rows_n))[0]
    if bad.size:
        raise RuntimeError(f"Index {int(bad[0])} of input takes value {int(idx[bad[0]])} which is not in the valid "
                           f"range [0, {rows_n})")
    starts, ends = _bags(idx, offsets_arr, include_last_offset)
    return _reduce_bags(weight, idx, starts, ends, mode, per_sample_weights, padding_idx, scale_grad_by_freq)


def _reduce_bags(weight, idx, starts, ends, mode, per_sample_weights, padding_idx, scale_grad_by_freq):
    """The bags' reductions of the rows ``weight[idx]``: a (bags, N) membership matrix (padding
    entries left out) times the rows for sum and mean, a masked maximum for max."""
    n, dim = idx.shape[0], weight.shape[1]
    positions = B.arange(n)
    member = (positions[None, :] >= starts[:, None]) & (positions[None, :] < ends[:, None])     # (bags, N)
    if padding_idx is not None:
        member &= (idx != padding_idx)[None, :]
    rows = getitem(weight, index=(idx,), basic=False, name="EmbeddingBackward0")               # (N, D)
    if scale_grad_by_freq and mode != "max":
        counts = B.bincount(idx, minlength=weight.shape[0])[idx]
        rows = N.scale_grad(rows, scale=(1.0 / counts[:, None]).astype(weight.dtype.np))
    np_dtype = weight.dtype.np
    if mode == "max":
        if not member.shape[0] or not n:
            return Tensor._make(B.zeros((member.shape[0], dim), dtype=np_dtype))
        # Entries outside a bag can never win: the lowest value there, then an empty bag's zeros.
        spread = S.expand(S.unsqueeze(rows, 0), member.shape[0], n, dim)                     # (bags, N, D)
        outside = Tensor._make(~member[:, :, None])
        masked = E.where(outside, -math.inf, spread)
        best = F.max(masked, 1)[0]
        return E.where(Tensor._make(member.any(axis=1)[:, None]), best, 0.0)
    weights = member.astype(np_dtype)
    if mode == "mean":
        count = weights.sum(axis=1, keepdims=True)
        weights = weights / B.maximum(count, 1)
    matrix = Tensor._make(weights)
    if per_sample_weights is not None:
        matrix = matrix * S.unsqueeze(per_sample_weights, 0)
    return F.matmul(matrix, rows)


# ------------------------------------------------------------------ CTC loss
def _lengths(value, name, batch):
    """``input_lengths`` / ``target_lengths`` (a list, a tuple or an integer tensor) as a tuple."""
    if isinstance(value, Tensor):
        if value.dtype.is_floating_point or value.dtype is D.bool:
            raise RuntimeError(f"{name} must be integral")
        refuse_batched(value, f"ctc_loss with batched {name}")
        values = tuple(int(v) for v in value._data.reshape(-1))
    elif isinstance(value, (list, tuple)):
        values = tuple(int(v) for v in value)
    else:
        raise TypeError(f"ctc_loss(): argument '{name}' must be tuple of ints or Tensor, not {type(value).__name__}")
    if len(values) != batch:
        raise RuntimeError(f"{name} must be of size batch_size")
    return values


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The Connectionist Temporal Classification loss: ``-log`` of the probability of each
    target summed over all its alignments to the inputs (blanks and repeats collapsed).

    Args:
        log_probs (Tensor): ``(T, N, C)`` or ``(T, C)`` log-probabilities (log_softmax outputs).
        targets (Tensor): ``(N, S)`` padded targets, or their concatenation (1-d).
        input_lengths, target_lengths (Tensor or list): each sample's lengths.
        blank (int): the blank label. Default: 0.
        reduction (str): ``'none'``, ``'mean'`` (each loss divided by its target length, then
            the batch mean) or ``'sum'``.
        zero_infinity (bool): infinite losses (targets too long for their inputs) and their
            gradients become zeros.

    The gradient is PyTorch's: that of the loss of ``log_softmax(log_probs)`` (equal to the
    plain gradient up to the normalization's direction; the same for log_softmax outputs).

    Example::

        >>> lp = torch.full((2, 1, 2), math.log(0.5))
        >>> F.ctc_loss(lp, torch.tensor([[1]]), [2], [1], reduction="sum")
        tensor(0.2877)
    """
    from .._ops.ctc import ctc_loss_
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_input(log_probs, "ctc_loss")
    if not log_probs.dtype.is_floating_point or log_probs.dtype is D.float16:
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{log_probs.dtype._tensor_type[:-6]}'")
    unbatched = log_probs.ndim == 2
    lp = S.unsqueeze(log_probs, 1) if unbatched else log_probs
    if lp.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs of 2 or 3 dims (T, N, C), got {log_probs.ndim}")
    t_max, batch, classes = (int(v) for v in lp.shape)
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    in_lengths = _lengths(input_lengths, "input_lengths", batch)
    tg_lengths = _lengths(target_lengths, "target_lengths", batch)
    refuse_batched(targets, "ctc_loss with batched targets")
    tg = targets._data.astype(B.int64) if isinstance(targets, Tensor) else B.asarray(targets, dtype=B.int64)
    if unbatched and tg.ndim == 1:
        tg = tg[None]
    if tg.ndim == 2:
        longest = max(tg_lengths, default=0)
        if tg.shape[1] < longest:
            raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, but got size "
                               f"{tg.shape[1]} for argument #2 'targets' (while checking arguments for "
                               "ctc_loss_allocate_outputs)")
    else:
        total = sum(tg_lengths)
        if tg.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got size {tg.shape[0]} for "
                               "argument #2 'targets' (while checking arguments for ctc_loss_allocate_outputs)")
    for name, values, top in (("input_lengths", in_lengths, t_max), ("target_lengths", tg_lengths, None)):
        for v in values:
            if v < 0:
                raise RuntimeError(f"Expected {name} to have value at least 0, but got value {v} (while checking "
                                   "arguments for ctc_loss_allocate_outputs)")
            if top is not None and v > top:
                raise RuntimeError(f"Expected {name} to have value at most {top}, but got value {v} (while checking "
                                   "arguments for ctc_loss_allocate_outputs)")
    if tg.ndim == 2:
        per_sample = tuple(tuple(int(v) for v in tg[n, :tg_lengths[n]]) for n in range(batch))
    else:
        ends = B.cumsum(B.asarray((0,) + tg_lengths, dtype=B.int64))
        per_sample = tuple(tuple(int(v) for v in tg[ends[n]:ends[n + 1]]) for n in range(batch))
    loss = ctc_loss_(S.transpose(lp, 0, 1), targets=per_sample, input_lengths=in_lengths, blank=int(blank),
                     zero_infinity=bool(zero_infinity))                                          # (N,)
    if reduction == "sum":
        return F.sum(loss)
    if reduction == "mean":
        divisor = Tensor._make(B.maximum(B.asarray(tg_lengths, dtype=loss.dtype.np), 1))
        return F.mean(loss / divisor)
    return S.squeeze(loss, 0) if unbatched else loss
