"""``F.scaled_dot_product_attention``: ``softmax(Q K^T * scale + mask) V``, as a composite of ops
(its gradients, to every order, and its vmap come from theirs)."""
import math

from .._creation import ones
from .._ops import functions as F
from .._ops import indexing as I
from .._ops import shape as S
from .._ops.composition import repeat_interleave
from .._tensor import Tensor
from .. import _dtype as D


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """Attention of ``query`` over ``key``/``value``: ``softmax(query @ key^T * scale + bias) @ value``.

    Args:
        query (Tensor): ``(..., L, E)``.
        key (Tensor): ``(..., S, E)``.
        value (Tensor): ``(..., S, Ev)``.
        attn_mask (Tensor, optional): broadcastable to ``(..., L, S)``: a bool mask (True: may
            attend) or a float bias added to the scores. Default: None.
        dropout_p (float, optional): dropout on the attention weights. Default: 0.0.
        is_causal (bool, optional): query ``i`` attends to keys ``j <= i`` (the upper-left causal
            mask); not with ``attn_mask``. Default: False.
        scale (float, optional): the scores' factor. Default: ``1 / sqrt(E)``.
        enable_gqa (bool, optional): grouped-query attention: ``key``/``value`` heads (dim -3) are
            repeated to the number of ``query`` heads. Default: False.

    Returns:
        Tensor of shape ``(..., L, Ev)``.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if attn_mask is not None and is_causal:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if query.dtype is not key.dtype or query.dtype is not value.dtype:
        names = [D.CPP_TYPE_NAMES[t.dtype] for t in (query, key, value)]
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{names[0]} key.dtype: {names[1]} and value.dtype: {names[2]} instead.")
    n_queries, n_keys = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        repeats = query.shape[-3] // key.shape[-3]
        key = repeat_interleave(key, repeats, dim=-3)
        value = repeat_interleave(value, repeats, dim=-3)
    scores = F.matmul(query, S.transpose(key, -2, -1)) * factor
    if is_causal:
        allowed = S.tril(ones(n_queries, n_keys, dtype=D.bool))
        scores = I.masked_fill(scores, F.logical_not(allowed), -math.inf)
    elif attn_mask is not None:
        if attn_mask.dtype is D.bool:
            scores = I.masked_fill(scores, F.logical_not(attn_mask), -math.inf)
        else:
            scores = scores + attn_mask
    weights = F.softmax(scores, -1)
    if dropout_p > 0.0:
        from . import functional  # (functional imports this module)
        weights = functional.dropout(weights, dropout_p, training=True)
    return F.matmul(weights, value)
