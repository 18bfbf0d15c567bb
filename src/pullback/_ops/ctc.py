"""The CTC loss (connectionist temporal classification) as one primitive: the forward (alpha)
recursion in log space on arrays, and a VJP from the forward and backward (beta) recursions.

Layout: log-probabilities ``(..., N, T, C)`` (nn.functional.ctc_loss moves PyTorch's time-major
``(T, N, C)`` into it), so that leading vmap dims batch with ALL_BATCHED. The targets and lengths
are static parameters: tuples, one entry per sample. The loss of a sample is ``-log p(target)``,
summed over the alignments of the extended target (blanks around and between the labels).

The VJP is PyTorch's: ``g * (exp(lp) - exp(log_ab - lp + nll))`` where ``log_ab`` gathers
``log alpha + log beta`` per class; that is the gradient of the loss composed with a
log_softmax (the projection onto normalized log-probabilities), the form PyTorch computes
(its gradient for time steps past a sample's length is zero; an infeasible target's is NaN, or
zero with ``zero_infinity``). As in PyTorch, it has no derivative of its own.
"""
from .._backend import B
from ._registry import primitive, ALL_BATCHED


def _extended(targets, blank):
    """(K, S) extended labels (blank, l1, blank, l2, ..., blank) padded with blanks, their
    lengths, and whether each position may be reached by skipping the one before it."""
    k = len(targets)
    s = 2 * max((len(t) for t in targets), default=0) + 1
    labels = B.full((k, s), blank, dtype=B.int64)
    lengths = B.asarray([2 * len(t) + 1 for t in targets], dtype=B.int64)
    for i, t in enumerate(targets):
        if len(t):
            labels[i, 1:2 * len(t):2] = t
    skip = B.zeros((k, s), dtype=bool)
    skip[:, 2:] = (labels[:, 2:] != blank) & (labels[:, 2:] != labels[:, :-2])
    return labels, lengths, skip


def _lse(*terms):
    out = terms[0]
    for t in terms[1:]:
        out = B.logaddexp(out, t)
    return out


def _alpha(lp, labels, lengths, skip, input_lengths):
    """log alpha (K, T, S): the log-probability of each prefix of the extended target after t steps."""
    k, t_max, _ = lp.shape
    s = labels.shape[1]
    emit = B.take_along_axis(lp, B.broadcast_to(labels[:, None, :], (k, t_max, s)), axis=2)   # (K, T, S)
    alpha = B.full((k, t_max, s), -B.inf, dtype=lp.dtype)
    valid = B.arange(s)[None, :] < lengths[:, None]
    if t_max:
        alpha[:, 0, 0] = emit[:, 0, 0]
        alpha[:, 0, 1:2] = B.where(lengths[:, None] > 1, emit[:, 0, 1:2], -B.inf)
    for t in range(1, t_max):
        prev = alpha[:, t - 1]
        one = B.concatenate([B.full((k, 1), -B.inf, dtype=lp.dtype), prev[:, :-1]], axis=1)
        two = B.concatenate([B.full((k, 2), -B.inf, dtype=lp.dtype), prev[:, :-2]], axis=1)[:, :s]
        alpha[:, t] = B.where(valid, _lse(prev, one, B.where(skip, two, -B.inf)) + emit[:, t], -B.inf)
    return alpha, emit


def _nll(alpha, lengths, input_lengths):
    k = alpha.shape[0]
    if not alpha.shape[1]:   # no time step at all: only the empty target has an alignment
        return B.where(lengths == 1, 0.0, B.inf).astype(alpha.dtype)
    rows = B.arange(k)
    last = B.maximum(input_lengths - 1, 0)
    end = alpha[rows, last, lengths - 1]
    before = B.where(lengths > 1, alpha[rows, last, B.maximum(lengths - 2, 0)], -B.inf)
    nll = -B.logaddexp(end, before)
    # No time step: only the empty target has an alignment (of probability 1).
    return B.where(input_lengths == 0, B.where(lengths == 1, 0.0, B.inf), nll).astype(alpha.dtype)


def _beta(lp, emit, labels, lengths, skip, input_lengths):
    """log beta (K, T, S): the log-probability of the rest of the extended target from step t,
    the emission at t included."""
    k, t_max, s = emit.shape
    beta = B.full((k, t_max, s), -B.inf, dtype=lp.dtype)
    rows = B.arange(k)
    valid = B.arange(s)[None, :] < lengths[:, None]
    # skip_next[:, s] : whether s + 2 may be reached from s
    skip_next = B.concatenate([skip[:, 2:], B.zeros((k, 2), dtype=bool)], axis=1)
    for t in range(t_max - 1, -1, -1):
        nxt = beta[:, t + 1] if t + 1 < t_max else B.full((k, s), -B.inf, dtype=lp.dtype)
        one = B.concatenate([nxt[:, 1:], B.full((k, 1), -B.inf, dtype=lp.dtype)], axis=1)
        two = B.concatenate([nxt[:, 2:], B.full((k, 2), -B.inf, dtype=lp.dtype)], axis=1)
        step = B.where(valid, _lse(nxt, one, B.where(skip_next, two, -B.inf)) + emit[:, t], -B.inf)
        starts = input_lengths - 1 == t          # each sample's last step: the two ends of its target
        init = B.full((k, s), -B.inf, dtype=lp.dtype)
        init[rows, lengths - 1] = emit[rows, t, lengths - 1]
        second = lengths > 1
        init[rows[second], (lengths - 2)[second]] = emit[rows[second], t, (lengths - 2)[second]]
        beta[:, t] = B.where(starts[:, None], init, B.where((t < input_lengths - 1)[:, None], step, -B.inf))
    return beta


def _flat(lp, targets, input_lengths):
    """``lp`` as (K, T, C) over its leading (vmap) dims and samples, the samples' parameters tiled."""
    lead = lp.shape[:-3]
    reps = 1
    for d in lead:
        reps *= d
    return lp.reshape((-1,) + lp.shape[-2:]), tuple(targets) * reps, \
        B.asarray(tuple(input_lengths) * reps, dtype=B.int64), lead


def _ctc_impl(lp, targets, input_lengths, blank, zero_infinity):
    flat, targets, lengths_in, lead = _flat(lp, targets, input_lengths)
    labels, lengths, skip = _extended(targets, blank)
    with B.errstate(invalid="ignore", divide="ignore"):
        alpha, _ = _alpha(flat, labels, lengths, skip, lengths_in)
        nll = _nll(alpha, lengths, lengths_in)
    if zero_infinity:
        nll = B.where(B.isinf(nll), 0.0, nll).astype(nll.dtype)
    return nll.reshape(lead + (-1,))


def _ctc_backward_impl(g, lp, ans, targets, input_lengths, blank, zero_infinity):
    flat, targets, lengths_in, lead = _flat(lp, targets, input_lengths)
    k, t_max, c = flat.shape
    labels, lengths, skip = _extended(targets, blank)
    with B.errstate(invalid="ignore", divide="ignore", over="ignore"):
        alpha, emit = _alpha(flat, labels, lengths, skip, lengths_in)
        nll = _nll(alpha, lengths, lengths_in)
        beta = _beta(flat, emit, labels, lengths, skip, lengths_in)
        # log_ab[k, t, c]: log of the sum of alpha * beta over the extended positions of class c
        log_ab = B.full((k, t_max, c), -B.inf, dtype=flat.dtype)
        kk, tt, ss = B.meshgrid(B.arange(k), B.arange(t_max), B.arange(labels.shape[1]), indexing="ij")
        cc = B.broadcast_to(labels[:, None, :], kk.shape)
        B.logaddexp.at(log_ab, (kk.ravel(), tt.ravel(), cc.ravel()), (alpha + beta).ravel())
        grad = B.exp(flat) - B.exp(log_ab + nll[:, None, None] - flat)
    grad = B.where((B.arange(t_max)[None, :] < lengths_in[:, None])[:, :, None], grad, 0.0)
    if zero_infinity:
        grad = B.where(B.isinf(nll)[:, None, None], 0.0, grad)
    g = B.broadcast_to(B.asarray(g, dtype=flat.dtype), lead + (k // max(1, _count(lead)),)).reshape(-1)
    grad = grad * g[:, None, None]
    return grad.astype(flat.dtype).reshape(lp.shape)


def _count(lead):
    n = 1
    for d in lead:
        n *= d
    return n


def _not_differentiable():
    # As PyTorch: the CTC gradient is the end of the line (no second derivative).
    raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


ctc_loss_backward_ = primitive("ctc_loss_backward", _ctc_backward_impl, inputs="g lp ans", out_dtype="keep",
                               grad_name="CtcLossBackwardBackward0",
                               vjp=(lambda g: _not_differentiable(), lambda g: _not_differentiable(), None),
                               jvp=lambda primals, tangents, params, outputs: _not_differentiable(),
                               batch=ALL_BATCHED)


def _ctc_vjp(g, lp, ans, targets, input_lengths, blank, zero_infinity):
    return ctc_loss_backward_(g, lp, ans, targets=targets, input_lengths=input_lengths, blank=blank,
                              zero_infinity=zero_infinity)


def _ctc_jvp(primals, tangents, params, outputs):
    # The tangent of each sample's loss: its VJP's gradient (for a unit cotangent) dotted with t.
    (lp,), (t,), (ans,) = primals, tangents, outputs
    grad = ctc_loss_backward_(1.0, lp, ans, **params)
    return ((grad * t).sum((-2, -1)),)


ctc_loss_ = primitive("ctc_loss", _ctc_impl, inputs="lp", out_dtype="keep", grad_name="CtcLossBackward0",
                      vjp=_ctc_vjp, jvp=_ctc_jvp, batch=ALL_BATCHED)
