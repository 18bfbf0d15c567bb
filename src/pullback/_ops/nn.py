"""Fused, numerically stable softmax and log_softmax.

Both are primitives (not compositions of exp and sum) because the stable forward subtracts the
max, and their VJPs have short closed forms that are themselves written in pullback ops.
"""
from .._backend import B
from ._registry import primitive, Joint, zero_cotangent, Decompose, ELEMENTWISE, LINEAR, ALONG_AXIS, INDEX_MAP, SCATTER
from . import _vmap_rules as V
from .reduction import _sum
from .elementwise import exp, elementwise


def _row_max(x, axis):
    # `initial`: an empty axis has a max too (the result is empty either way)
    return B.amax(x, axis=axis, keepdims=True, initial=-B.inf)


def _softmax_impl(x, axis):
    e = B.exp(x - _row_max(x, axis))
    return e / B.sum(e, axis=axis, keepdims=True)


def _log_softmax_impl(x, axis):
    shifted = x - _row_max(x, axis)
    return shifted - B.log(B.sum(B.exp(shifted), axis=axis, keepdims=True))


def _axes(ans, axis):
    """The reduced axes: none for a 0-dim tensor (its dim 0 and -1 name the tensor itself)."""
    return (axis,) if ans.ndim else ()


def _softmax_jvp(primals, tangents, params, outputs):
    (t,), (ans,) = tangents, outputs
    return (ans * (t - _sum(t * ans, axis=_axes(ans, params["axis"]), keepdim=True)),)


def _log_softmax_jvp(primals, tangents, params, outputs):
    (t,), (ans,) = tangents, outputs
    return (t - _sum(exp(ans) * t, axis=_axes(ans, params["axis"]), keepdim=True),)


softmax_ = primitive("softmax", _softmax_impl, out_dtype="float",
                     vjp=lambda g, ans, axis: ans * (g - _sum(g * ans, axis=_axes(ans, axis), keepdim=True)),
                     jvp=_softmax_jvp, batch=ALONG_AXIS)
log_softmax_ = primitive("log_softmax", _log_softmax_impl, out_dtype="float",
                         vjp=lambda g, ans, axis: g - exp(ans) * _sum(g, axis=_axes(ans, axis), keepdim=True),
                         jvp=_log_softmax_jvp, batch=ALONG_AXIS)


# ------------------------------------------------------------------ activations

def _leaky_relu_impl(x, slope):
    # max(x, slope * x) is two passes instead of where()'s three; it needs 0 <= slope <= 1.
    if 0 <= slope <= 1:
        return B.maximum(x, x * slope)
    return B.where(x > 0, x, x * slope)


# 1 where x > 0, `slope` elsewhere: leaky_relu's derivative. A primitive with a zero VJP so that x
# stays in the graph of a second-order pass (PyTorch's zero "reach", see interval_mask).
slope_mask = primitive("slope_mask", lambda x, slope: B.where(x > 0, B.ones((), x.dtype), B.asarray(slope, x.dtype)),
                       out_dtype="keep", grad_name="LeakyReluBackwardBackward0", vjp=zero_cotangent,
                       jvp=ELEMENTWISE, batch=ELEMENTWISE)
leaky_relu_ = primitive("leaky_relu", _leaky_relu_impl, out_dtype="float",
                        vjp=lambda g, x, slope: g * slope_mask(x, slope=slope), jvp=ELEMENTWISE, batch=ELEMENTWISE)
def _elu_vjp(g, x, ans, alpha):
    # g where x > 0, g * (ans + alpha) elsewhere; at x = 0 the factor alpha is written as a constant,
    # so that the second derivative there is 0, as PyTorch's (its mask is x < 0).
    return where(x > 0, g, g * (where(x < 0, ans, 0.0) + alpha))


elu_ = primitive("elu", lambda x, alpha: B.where(x > 0, x, alpha * B.expm1(B.minimum(x, 0))), out_dtype="float",
                 vjp=_elu_vjp, jvp=ELEMENTWISE, batch=ELEMENTWISE)
hardtanh_ = primitive("hardtanh", lambda x, lo, hi: B.clip(x, lo, hi), out_dtype="keep",   # integers stay integers
                      vjp=lambda g, x, lo, hi: g * _interval(x, lo, hi), jvp=ELEMENTWISE, batch=ELEMENTWISE)


def _interval(x, lo, hi):
    return interval_mask(x, lo=lo, hi=hi)  # a bool mask: multiplying by it casts


def _pad_impl(x, widths, value):
    # A negative width crops that side first.
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        x = x[tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape, widths))]
        widths = tuple((max(lo, 0), max(hi, 0)) for lo, hi in widths)
    return B.pad(x, widths, constant_values=value)


def _negated(widths):
    return tuple((-lo, -hi) for lo, hi in widths)


# Cropping is the adjoint of padding with zeros, and padding of cropping: the VJP pads by the
# negated widths.
def _batch_pad(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    return prim.bind((x,), dict(params, widths=((0, 0),) + tuple(params["widths"]))), 0


# (linear in x; the fill value is a constant)
pad_ = primitive("constant_pad", _pad_impl, out_dtype="keep", grad_name="ConstantPadNdBackward0",
                 vjp=lambda g, widths: pad_(g, widths=_negated(widths), value=0),
                 jvp=lambda primals, tangents, params, outputs: (pad_(tangents[0], widths=params["widths"], value=0.0),),
                 batch=_batch_pad, sparsity=INDEX_MAP)


# ------------------------------------------------------------------ embedding
# The identity whose gradient is multiplied by `scale`: embedding's scale_grad_by_freq (each row's
# gradient divided by how often its index occurs; PyTorch's forward mode does not scale).
scale_grad = primitive("scale_grad", lambda x, scale: x.copy(), out_dtype="keep", grad_name="EmbeddingBackward0",
                       vjp=lambda g, scale: mul(g, scale), jvp=LINEAR, batch=ELEMENTWISE)


# ------------------------------------------------------------------ nll loss
def _rows_scatter_impl(values, target, shape):
    out = B.zeros(shape, dtype=values.dtype)
    out[B.arange(len(target)), target] = values
    return out


# out[i, target[i]] = values[i] into zeros, and its adjoint, picking one entry per row.
def _batch_rows_gather(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])                       # (B, M, C)
    index = B.broadcast_to(params["target"][None, :, None], (x.shape[0], x.shape[1], 1))
    return _reshape(take_along(x, index, axis=2), shape=tuple(x.shape[:2])), 0


def _batch_rows_scatter(prim, values, bdims, params, size):
    v = V.to_front(values[0], bdims[0])                       # (B, M)
    n, m = v.shape[0], v.shape[1]
    index = B.broadcast_to(params["target"][None, :, None], (n, m, 1))
    return put_along(_reshape(v, shape=(n, m, 1)), index, axis=2, shape=(n,) + tuple(params["shape"])), 0


rows_scatter = primitive("rows_scatter", _rows_scatter_impl, inputs="values", out_dtype="keep",
                         vjp=lambda g, target: rows_gather(g, target=target), jvp=LINEAR, batch=_batch_rows_scatter,
                         sparsity=SCATTER)
rows_gather = primitive("rows_gather", lambda x, target: x[B.arange(len(target)), target], out_dtype="keep",
                        vjp=lambda g, target, x_shape: rows_scatter(g, target=target, shape=tuple(x_shape)),
                        jvp=LINEAR, batch=_batch_rows_gather, sparsity=INDEX_MAP)


def _rows_loss(row_loss, weights, reduction, total_weight):
    """The loss of each row weighted and reduced, in primitives (the forward's ``_reduce_rows``)."""
    loss = row_loss if weights is None else mul(row_loss, weights)
    if reduction == "mean":
        return _sum(loss, axis=None, keepdim=False) / total_weight
    if reduction == "sum":
        return _sum(loss, axis=None, keepdim=False)
    return loss


def _reduce_rows(loss, reduction, total_weight):
    if reduction == "mean":
        if total_weight:
            return loss.sum() / total_weight
        with B.errstate(divide="ignore", invalid="ignore"):   # every row ignored: nan, as PyTorch
            return B.true_divide(loss.sum(), total_weight)
    if reduction == "sum":
        return loss.sum()
    return loss


def _row_scale(weights, reduction, total_weight, rows, ignored):
    """d loss / d (row loss) per row: its weight (1 when ``weights`` is None), over the total
    weight for the mean. ``ignored`` (the ignored rows, given only when the total weight is 0)
    keeps their gradient 0 where the mean's 0 / 0 would make it nan, as PyTorch does."""
    if weights is None:
        return B.full(rows, 1.0 / total_weight if reduction == "mean" else 1.0)
    if reduction != "mean":
        return weights
    if ignored is None:
        return (weights / total_weight).astype(weights.dtype)
    with B.errstate(divide="ignore", invalid="ignore"):
        return B.where(ignored, 0, weights / total_weight).astype(weights.dtype)


def _weighted(loss, weights):
    return loss if weights is None else loss * weights


def _nll_impl(logp, target, weights, reduction, total_weight, ignored):
    # logp (M, C), target (M,) class indices made safe, weights (M,): the class weight of each
    # target, 0 where ignored (None: all ones).
    return _reduce_rows(_weighted(-logp[B.arange(len(target)), target], weights), reduction, total_weight)


def _nll_vjp(g, logp_shape, logp_dtype, target, weights, reduction, total_weight, ignored):
    scale = _row_scale(weights, reduction, total_weight, len(target), ignored).astype(logp_dtype.np)
    return rows_scatter(mul(g, -scale), target=target, shape=tuple(logp_shape))


nll_loss_ = primitive("nll_loss", _nll_impl, inputs="logp", out_dtype="keep", grad_name="NllLossBackward0",
                      vjp=_nll_vjp, jvp=LINEAR,
                      batch=Decompose(lambda logp, target, weights, reduction, total_weight, ignored:
                                      _rows_loss(-rows_gather(logp, target=target), weights, reduction, total_weight)))


def _cross_entropy_impl(x, target, weights, reduction, total_weight, ignored, cache):
    # logsumexp(x_i) - x_i[target_i] per row, computed stably: one pass for log_softmax and nll.
    # exp(x - max) and its row sums stay in `cache` for the fast VJP: softmax = e / s, there.
    # (ufunc reductions and in-place steps: on small batches the number of NumPy calls is the cost)
    e = x - B.maximum.reduce(x, axis=1, keepdims=True)
    rows = B.arange(len(target))
    picked = e[rows, target]
    B.exp(e, out=e)
    s = B.add.reduce(e, axis=1)
    cache["exp"], cache["sum"], cache["rows"] = e, s, rows
    loss = B.log(s)
    loss -= picked
    if weights is None and reduction == "mean":
        return B.add.reduce(loss) / total_weight
    return _reduce_rows(_weighted(loss, weights), reduction, total_weight)


def _cross_entropy_vjp(g, x, target, weights, reduction, total_weight, ignored, cache):
    # d/dx = (softmax(x) - onehot(target)) * weight, scaled by g (and 1/total for the mean).
    if type(x) is B.ndarray:
        # The fast path (no create_graph), fused in NumPy; tests check it against the
        # composite below, which is what a second-order pass differentiates.
        if weights is None:
            # a Python float for a reduced loss, else one factor per row
            row_factor = (float(g) if g.ndim == 0 else g) * (1.0 / total_weight if reduction == "mean" else 1.0)
        else:
            row_factor = g * _row_scale(weights, reduction, total_weight, len(target), ignored).astype(x.dtype)
        p = cache["exp"] * (row_factor / cache["sum"])[:, None]    # softmax, scaled per row
        p[cache["rows"], target] -= row_factor
        return p
    scale = _row_scale(weights, reduction, total_weight, len(target), ignored).astype(x.dtype.np)
    per_row = mul(g, scale)
    p = softmax_(x, axis=1)
    return (p - rows_scatter(B.ones(len(target), dtype=x.dtype.np), target=target, shape=tuple(x.shape))) \
        * unsqueeze(per_row, 1)


# log_softmax + nll_loss fused for the common case (class indices over dim 1 of a 2-D input):
# one node instead of two, named as PyTorch's last one.
def _cross_entropy_jvp(primals, tangents, params, outputs):
    # d(-log softmax(x)[target]) = sum_c softmax(x)_c t_c - t[target], per row, then weighted and reduced.
    (x,), (t,) = primals, tangents
    row = _sum(softmax_(x, axis=1) * t, axis=(1,), keepdim=False) - rows_gather(t, target=params["target"])
    return (_rows_loss(row, params["weights"], params["reduction"], params["total_weight"]),)


cross_entropy_ = primitive("cross_entropy", _cross_entropy_impl, out_dtype="keep", grad_name="NllLossBackward0",
                           vjp=_cross_entropy_vjp, jvp=_cross_entropy_jvp,
                           batch=Decompose(lambda x, target, weights, reduction, total_weight, ignored, cache: _rows_loss(
                               -rows_gather(log_softmax_(x, axis=1), target=target), weights, reduction, total_weight)))


from .elementwise import where, interval_mask, mul  # noqa: E402
from .shape import unsqueeze, _reshape  # noqa: E402
from .indexing import take_along, put_along  # noqa: E402
