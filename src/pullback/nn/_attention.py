"""``F.scaled_dot_product_attention``: ``softmax(Q K^T * scale + mask) V``, as a composite of ops
(its gradients, to every order, and its vmap come from theirs)."""
import math

from .._creation import ones, zeros_like
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


def _additive(mask, dtype):
    """A mask as scores to add: a bool mask's True (masked out) as -inf, a float mask as it is."""
    if mask is None or mask.dtype is not D.bool:
        return mask
    return I.masked_fill(zeros_like(mask, dtype=dtype), mask, -math.inf)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention (``nn.MultiheadAttention``'s forward) on ``(L, N, E)`` inputs (or
    unbatched ``(L, E)``): project, split into ``num_heads`` heads, attend, merge, project out.

    Masks as torch's: ``attn_mask`` ``(L, S)`` or ``(N * num_heads, L, S)`` and ``key_padding_mask``
    ``(N, S)``, bool (True: may *not* attend) or float (added to the scores). Returns the output
    and, with ``need_weights``, the attention weights ``(N, L, S)`` averaged over heads (per head
    with ``average_attn_weights=False``), else None.
    """
    from . import functional  # (functional imports this module)
    batched = query.dim() == 3
    if not batched:
        query, key, value = S.unsqueeze(query, 1), S.unsqueeze(key, 1), S.unsqueeze(value, 1)
        if key_padding_mask is not None:
            key_padding_mask = S.unsqueeze(key_padding_mask, 0)
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else S.chunk(in_proj_bias, 3)
    if not use_separate_proj_weight and query is key and key is value and static_k is None and static_v is None:
        # self-attention: one product with the packed weight (torch's rounding, and one GEMM)
        q, k, v = S.chunk(functional.linear(query, in_proj_weight, in_proj_bias), 3, dim=-1)
    else:
        if use_separate_proj_weight:
            w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
        else:
            w_q, w_k, w_v = S.chunk(in_proj_weight, 3)
        q = functional.linear(query, w_q, b_q)
        if not use_separate_proj_weight and key is value and static_k is None and static_v is None:
            k, v = S.chunk(functional.linear(key, S.cat([w_k, w_v]), None if b_k is None else S.cat([b_k, b_v])),
                           2, dim=-1)
        else:
            k = functional.linear(key, w_k, b_k) if static_k is None else None
            v = functional.linear(value, w_v, b_v) if static_v is None else None
    attn_mask = _additive(attn_mask, q.dtype)
    key_padding_mask = _additive(key_padding_mask, q.dtype)
    if attn_mask is not None and attn_mask.dim() == 2:
        attn_mask = S.unsqueeze(attn_mask, 0)
    if bias_k is not None and bias_v is not None:
        k = S.cat([k, bias_k.repeat(1, bsz, 1)])
        v = S.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else functional.pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else functional.pad(key_padding_mask, (0, 1))
    # heads: (L, N, E) -> (N * heads, L, head_dim)
    q = S.transpose(q.reshape(tgt_len, bsz * num_heads, head_dim), 0, 1)
    k = static_k if k is None else S.transpose(k.reshape(k.shape[0], bsz * num_heads, head_dim), 0, 1)
    v = static_v if v is None else S.transpose(v.reshape(v.shape[0], bsz * num_heads, head_dim), 0, 1)
    if add_zero_attn:
        k = S.cat([k, zeros_like(k[:, :1])], 1)
        v = S.cat([v, zeros_like(v[:, :1])], 1)
        attn_mask = None if attn_mask is None else functional.pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else functional.pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        padding = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        padding = padding.reshape(bsz * num_heads, 1, src_len)
        attn_mask = padding if attn_mask is None else attn_mask + padding
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = F.matmul(q * math.sqrt(1.0 / head_dim), S.transpose(k, -2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = F.softmax(scores, -1)
        if dropout_p > 0.0:
            weights = functional.dropout(weights, p=dropout_p)
        out = F.matmul(weights, v)
        out = S.transpose(out, 0, 1).reshape(tgt_len * bsz, embed_dim)
        out = functional.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = S.squeeze(out, 1), S.squeeze(weights, 0)
        return out, weights
    if attn_mask is not None:  # (1 or N * heads, L or 1, S) -> (1 or N, heads, L or 1, S)
        attn_mask = S.unsqueeze(attn_mask, 0) if attn_mask.shape[0] == 1 else \
            attn_mask.reshape(bsz, num_heads, -1, src_len)
    q, k, v = (t.reshape(bsz, num_heads, t.shape[1], head_dim) for t in (q, k, v))
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, False)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = functional.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    return (out if batched else S.squeeze(out, 1)), None
