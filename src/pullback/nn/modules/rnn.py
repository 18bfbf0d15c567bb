"""Recurrent layers: RNN (tanh/relu), LSTM (with projections), GRU and their single-step cells.

The cells, RNN, LSTM with projections and every layer over a packed sequence are composed of
pullback ops (linear, sigmoid, tanh, cat, stack...), so gradients of any order, forward-mode AD
and vmap come from those ops' own rules. An LSTM or GRU layer over a padded sequence is one
primitive (``lstm_layer``, ``gru_layer``): the recurrence in NumPy, one ``h @ W_hh^T`` a step each
way, declared with its VJP (in pullback ops under create_graph), a JVP and a vmap rule like any
other. The input projection of a whole sequence is always one matmul. Parameter names, shapes,
order, initialisation and error messages are PyTorch's.
"""
import math
import numbers
import warnings

from .module import Module
from ..parameter import Parameter
from .. import init
from .. import functional as F
from ... import _creation
from ..._tensor import Tensor
from ..._ops import shape as S
from ..._ops.indexing import index_select
from ..._ops._registry import primitive, Joint, Decompose, TRANSPOSE
from ..._backend import B, ndarray
from ..utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _check_same_dtype(mat1, mat2):
    """torch's kernels multiply the state (or a cell's input) by the weights: mixed dtypes fail."""
    if mat1.dtype != mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {mat1.dtype._tensor_type[:-6]} and "
                           f"{mat2.dtype._tensor_type[:-6]}")


def _sigmoid(x):
    return x.sigmoid()


def _tanh(x):
    return x.tanh()


# ------------------------------------------------------------------ one time step of each kind
# ``gi`` is the input's projection for the step (bias included), ``h``/``c`` the state; ``w`` the
# layer's weights (w_hh, b_hh, w_hr), any of the last two None.

def _step_rnn_tanh(gi, h, c, w_hh, b_hh, w_hr):
    return _tanh(gi + F.linear(h, w_hh, b_hh)), None


def _step_rnn_relu(gi, h, c, w_hh, b_hh, w_hr):
    return F.relu(gi + F.linear(h, w_hh, b_hh)), None


def _step_lstm(gi, h, c, w_hh, b_hh, w_hr):
    gates = gi + F.linear(h, w_hh, b_hh)
    i, f, g, o = S.chunk(gates, 4, -1)
    c = _sigmoid(f) * c + _sigmoid(i) * _tanh(g)
    h = _sigmoid(o) * _tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _step_gru(gi, h, c, w_hh, b_hh, w_hr):
    gh = F.linear(h, w_hh, b_hh)
    i_r, i_z, i_n = S.chunk(gi, 3, -1)
    h_r, h_z, h_n = S.chunk(gh, 3, -1)
    r = _sigmoid(i_r + h_r)
    z = _sigmoid(i_z + h_z)
    n = _tanh(i_n + r * h_n)
    return n + z * (h - n), None


_STEPS = {"RNN_TANH": _step_rnn_tanh, "RNN_RELU": _step_rnn_relu, "LSTM": _step_lstm, "GRU": _step_gru}


# ------------------------------------------------------------------ the fused LSTM layer
# One primitive runs a whole LSTM layer in one direction over a padded sequence: the recurrence
# in NumPy, one ``h @ W_hh^T`` per step, and a backward pass that runs the recurrence in reverse
# with one matmul per step and the weight gradient as one matmul over all steps. Inputs: ``x``
# (T, B, 4H) the input projections with both biases, ``h0``/``c0`` (B, H), ``w`` = W_hh (4H, H).
# ``lstm_forward`` (not differentiable) runs the recurrence: the hidden states (T, B, H), the gate
# activations (T, B, 4H) and the cell states (T, B, H). ``lstm_layer`` takes those too and returns
# the hidden states, h_T and c_T (copies); its backward pass reads only its inputs.
#
# Under create_graph (and so for the JVP, by the double-VJP trick) the VJP runs on Tensors: the
# forward recomputed from pullback ops and the backward recurrence in pullback ops, so gradients of
# gradients are exact. Under vmap the layer runs as that composite.

def _order(n, reverse):
    return range(n - 1, -1, -1) if reverse else range(n)


def _gate_affine(n, dtype):
    """Per gate column: the scale before tanh and the affine map after it that make one tanh over
    all four gates give sigmoid (i, f, o: ``tanh(v / 2) / 2 + 1/2``, no overflow) and tanh (g).
    The scales are powers of two, so folding them into the weights changes no rounding."""
    half = B.full(4 * n, 0.5, dtype=dtype)
    scale = half.copy()
    scale[2 * n:3 * n] = 1
    shift = half.copy()
    shift[2 * n:3 * n] = 0
    return scale, scale, shift


def _lstm_forward_impl(x, h0, c0, w, reverse):
    T, n = x.shape[0], h0.shape[-1]
    scale, mul, shift = _gate_affine(n, x.dtype)
    xs = x * scale
    wt = B.ascontiguousarray((w * scale[:, None]).T)   # (BLAS is ~1.7x slower on a transposed operand here)
    acts = B.empty(x.shape, dtype=x.dtype)
    hs = B.empty((T,) + h0.shape, dtype=x.dtype)
    cs = B.empty((T,) + c0.shape, dtype=x.dtype)
    h, c = h0, c0
    for t in _order(T, reverse):
        a = B.matmul(h, wt)   # (no out=: NumPy's matmul into a given array skips BLAS)
        a += xs[t]
        B.tanh(a, out=a)
        a = B.multiply(a, mul, out=acts[t])
        a += shift
        c_new = cs[t]
        B.multiply(a[..., n:2 * n], c, out=c_new)
        c_new += a[..., :n] * a[..., 2 * n:3 * n]
        h = hs[t]
        B.tanh(c_new, out=h)
        h *= a[..., 3 * n:]
        c = c_new
    return hs, acts, cs


def _lstm_layer_impl(x, h0, c0, w, hs, acts, cs, reverse):
    # The outputs are copies: what the backward pass reads (saved inputs) is never the user's.
    last = 0 if reverse else -1
    return hs.copy(), hs[last].copy(), cs[last].copy()


def _plain_cotangent(g):
    return g if type(g) is ndarray else None   # None or a ZeroCotangent: nothing flows


def _lstm_layer_vjp_arrays(g, h0, c0, w, hs, acts, cs, reverse, needs):
    g_hs, g_h, g_c = (_plain_cotangent(v) for v in g[:3])
    T, n = hs.shape[0], h0.shape[-1]
    order = list(_order(T, reverse))
    # Everything that does not depend on the cotangents, for all steps at once.
    i, f, gg, o = acts[..., :n], acts[..., n:2 * n], acts[..., 2 * n:3 * n], acts[..., 3 * n:]
    c_prev = B.empty_like(cs)
    if T:
        c_prev[order[0]] = c0
        c_prev[order[1:]] = cs[order[:-1]]
    tc = B.tanh(cs)
    p_o = tc * o * (1 - o)                  # d gate_o / d h
    q = o * (1 - tc * tc)                   # d c / d h
    a = B.empty(cs.shape[:-1] + (3, n), dtype=cs.dtype)
    a[..., 0, :] = gg * i * (1 - i)         # d gate_i / d c
    a[..., 1, :] = c_prev * f * (1 - f)     # d gate_f / d c
    a[..., 2, :] = i * (1 - gg * gg)        # d gate_g / d c
    dh = B.zeros_like(h0) if g_h is None else g_h.copy()
    dc = B.zeros_like(c0) if g_c is None else g_c.copy()
    dgates = B.empty(acts.shape, dtype=acts.dtype)
    for k in range(T - 1, -1, -1):
        t = order[k]
        if g_hs is not None:
            dh += g_hs[t]
        d = dgates[t]
        B.multiply(dh, p_o[t], out=d[..., 3 * n:])
        dh *= q[t]
        dc += dh
        B.multiply(dc[..., None, :], a[t], out=d[..., :3 * n].reshape(d.shape[:-1] + (3, n)))
        dc *= f[t]
        dh = B.matmul(d, w)
    d_w = None
    if needs[3] and T:
        if reverse:
            h_prev = B.concatenate([hs[1:], h0[None]], 0)
        else:
            h_prev = B.concatenate([h0[None], hs[:-1]], 0)
        d_w = B.matmul(dgates.reshape(-1, dgates.shape[-1]).T, h_prev.reshape(-1, n))
    elif needs[3]:
        d_w = B.zeros_like(w)
    return [dgates if needs[0] else None, dh if needs[1] else None, dc if needs[2] else None, d_w,
            None, None, None]


def _lstm_layer_composite(x, h0, c0, w, reverse):
    """The layer in pullback ops: (hs, h_T, c_T, acts, cs)."""
    n = h0.shape[-1]
    T = x.shape[0]
    hs, cs, acts = [None] * T, [None] * T, [None] * T
    h, c = h0, c0
    for t in _order(T, reverse):
        gates = x[t] + F.linear(h, w)
        i, f, g, o = _sigmoid(gates[..., :n]), _sigmoid(gates[..., n:2 * n]), _tanh(gates[..., 2 * n:3 * n]), \
            _sigmoid(gates[..., 3 * n:])
        c = f * c + i * g
        h = o * _tanh(c)
        hs[t], cs[t], acts[t] = h, c, S.cat([i, f, g, o], -1)
    return S.stack(hs), h, c, S.stack(acts), S.stack(cs)


def _lstm_layer_vjp_tensors(g, x, h0, c0, w, reverse, needs):
    """The VJP in pullback ops (create_graph): recomputes the activations, runs the backward
    recurrence, so the cotangents are themselves differentiable."""
    n = h0.shape[-1]
    T = x.shape[0]
    g_hs, g_h, g_c = g[:3]
    order = list(_order(T, reverse))
    hs, cs, acts = [None] * T, [None] * T, [None] * T
    h, c = h0, c0
    h_prev = [None] * T
    for t in order:
        h_prev[t] = h
        gates = x[t] + F.linear(h, w)
        acts[t] = (_sigmoid(gates[..., :n]), _sigmoid(gates[..., n:2 * n]), _tanh(gates[..., 2 * n:3 * n]),
                   _sigmoid(gates[..., 3 * n:]))
        i, f, gg, o = acts[t]
        c = f * c + i * gg
        h = o * _tanh(c)
        hs[t], cs[t] = h, c
    dh = g_h if g_h is not None else h0 * 0
    dc = g_c if g_c is not None else c0 * 0
    dgates = [None] * T
    for k in range(T - 1, -1, -1):
        t = order[k]
        i, f, gg, o = acts[t]
        c_prev = c0 if k == 0 else cs[order[k - 1]]
        if g_hs is not None:
            dh = dh + g_hs[t]
        tc = _tanh(cs[t])
        do = dh * tc
        dc = dc + dh * o * (1 - tc * tc)
        d = S.cat([dc * gg * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - gg * gg), do * o * (1 - o)], -1)
        dgates[t] = d
        dc = dc * f
        dh = d.matmul(w)
    dg = S.stack(dgates)
    d_w = None
    if needs[3]:
        flat_h = S.stack(h_prev).reshape(-1, n)
        d_w = dg.reshape(-1, dg.shape[-1]).transpose(0, 1).matmul(flat_h)
    return [dg if needs[0] else None, dh if needs[1] else None, dc if needs[2] else None, d_w, None, None, None]


def _lstm_layer_vjp(g, x, h0, c0, w, hs, acts, cs, reverse, needs):
    if isinstance(x, Tensor) or any(isinstance(v, Tensor) for v in g):
        return _lstm_layer_vjp_tensors(g, x, h0, c0, w, reverse, needs)
    return _lstm_layer_vjp_arrays(g, h0, c0, w, hs, acts, cs, reverse, needs)


# Two primitives: lstm_forward (not differentiable) runs the recurrence and gives what the backward
# pass reads, lstm_layer takes those as inputs and gives the layer's outputs as copies. So the
# backward pass saves only inputs, and an in-place change to the layer's output breaks nothing.
lstm_forward = primitive("lstm_forward", _lstm_forward_impl, inputs="x h0 c0 w", outputs=3,
                         batch=Decompose(lambda x, h0, c0, w, reverse: tuple(
                             _lstm_layer_composite(x, h0, c0, w, reverse)[k] for k in (0, 3, 4))))
lstm_layer = primitive("lstm_layer", _lstm_layer_impl, inputs="x h0 c0 w hs acts cs", outputs=3,
                       grad_name="StackBackward0", vjp=Joint(_lstm_layer_vjp), jvp=TRANSPOSE,
                       batch=Decompose(lambda x, h0, c0, w, hs, acts, cs, reverse:
                                       _lstm_layer_composite(x, h0, c0, w, reverse)[:3]))


# ------------------------------------------------------------------ the fused GRU layer
# As lstm_layer, for a GRU layer: ``x`` (T, B, 3H) the input projections (with b_ih), ``h0`` (B, H),
# ``w`` = W_hh (3H, H), ``b`` = b_hh (3H,) (inside the step: r scales the hidden part of n).
# ``gru_forward`` gives the hidden states (T, B, H) and r, z, n and the hidden part of n's
# pre-activation per step (T, B, 4H); ``gru_layer`` returns the hidden states and h_T.

def _gru_forward_impl(x, h0, w, b, reverse):
    T, n = x.shape[0], h0.shape[-1]
    wt = B.ascontiguousarray(w.T)
    acts = B.empty(x.shape[:-1] + (4 * n,), dtype=x.dtype)
    hs = B.empty((T,) + h0.shape, dtype=x.dtype)
    h = h0
    for t in _order(T, reverse):
        gh = B.matmul(h, wt)
        gh += b
        a = acts[t]
        rz = B.add(x[t][..., :2 * n], gh[..., :2 * n], out=a[..., :2 * n])
        B.multiply(rz, 0.5, out=rz)      # sigmoid as tanh(v / 2) / 2 + 1/2: no overflow
        B.tanh(rz, out=rz)
        B.multiply(rz, 0.5, out=rz)
        B.add(rz, 0.5, out=rz)
        ghn = a[..., 3 * n:]
        ghn[...] = gh[..., 2 * n:]
        new = B.multiply(a[..., :n], ghn, out=a[..., 2 * n:3 * n])
        new += x[t][..., 2 * n:]
        B.tanh(new, out=new)
        h_new = B.subtract(h, new, out=hs[t])
        h_new *= a[..., n:2 * n]
        h_new += new
        h = h_new
    return hs, acts


def _gru_layer_impl(x, h0, w, b, hs, acts, reverse):
    return hs.copy(), hs[0 if reverse else -1].copy()


def _gru_layer_vjp_arrays(g, h0, w, hs, acts, reverse, needs):
    g_hs, g_h = (_plain_cotangent(v) for v in g[:2])
    T, n = hs.shape[0], h0.shape[-1]
    order = list(_order(T, reverse))
    r, z, nn_, ghn = acts[..., :n], acts[..., n:2 * n], acts[..., 2 * n:3 * n], acts[..., 3 * n:]
    h_prev = B.empty_like(hs)
    if T:
        h_prev[order[0]] = h0
        h_prev[order[1:]] = hs[order[:-1]]
    p_n = (1 - z) * (1 - nn_ * nn_)          # d pre_n / d h_t
    p_z = (h_prev - nn_) * z * (1 - z)       # d pre_z / d h_t
    p_r = ghn * r * (1 - r)                  # d pre_r / d pre_n
    dh = B.zeros_like(h0) if g_h is None else g_h.copy()
    dgi = B.empty(hs.shape[:-1] + (3 * n,), dtype=hs.dtype)
    dgh = B.empty_like(dgi)
    for k in range(T - 1, -1, -1):
        t = order[k]
        if g_hs is not None:
            dh += g_hs[t]
        d, e = dgi[t], dgh[t]
        dn = B.multiply(dh, p_n[t], out=d[..., 2 * n:])
        B.multiply(dh, p_z[t], out=d[..., n:2 * n])
        B.multiply(dn, p_r[t], out=d[..., :n])
        e[..., :2 * n] = d[..., :2 * n]
        B.multiply(dn, r[t], out=e[..., 2 * n:])
        dh = dh * z[t]
        dh += B.matmul(e, w)
    d_w = d_b = None
    if needs[2]:
        d_w = B.matmul(dgh.reshape(-1, 3 * n).T, h_prev.reshape(-1, n)) if T else B.zeros_like(w)
    if needs[3]:
        d_b = dgh.reshape(-1, 3 * n).sum(0)
    return [dgi if needs[0] else None, dh if needs[1] else None, d_w, d_b, None, None]


def _gru_layer_composite(x, h0, w, b, reverse):
    """The layer in pullback ops: (hs, h_T, acts)."""
    n = h0.shape[-1]
    T = x.shape[0]
    hs, acts = [None] * T, [None] * T
    h = h0
    for t in _order(T, reverse):
        gh = F.linear(h, w) + b
        r = _sigmoid(x[t][..., :n] + gh[..., :n])
        z = _sigmoid(x[t][..., n:2 * n] + gh[..., n:2 * n])
        new = _tanh(x[t][..., 2 * n:] + r * gh[..., 2 * n:])
        h = new + z * (h - new)
        hs[t], acts[t] = h, S.cat([r, z, new, gh[..., 2 * n:]], -1)
    return S.stack(hs), h, S.stack(acts)


def _gru_layer_vjp_tensors(g, x, h0, w, b, reverse, needs):
    """The VJP in pullback ops (create_graph), as _lstm_layer_vjp_tensors."""
    n = h0.shape[-1]
    T = x.shape[0]
    g_hs, g_h = g[:2]
    order = list(_order(T, reverse))
    acts, h_prev = [None] * T, [None] * T
    h = h0
    for t in order:
        h_prev[t] = h
        gh = F.linear(h, w) + b
        r = _sigmoid(x[t][..., :n] + gh[..., :n])
        z = _sigmoid(x[t][..., n:2 * n] + gh[..., n:2 * n])
        new = _tanh(x[t][..., 2 * n:] + r * gh[..., 2 * n:])
        acts[t] = (r, z, new, gh[..., 2 * n:])
        h = new + z * (h - new)
    dh = g_h if g_h is not None else h0 * 0
    dgi, dgh = [None] * T, [None] * T
    for k in range(T - 1, -1, -1):
        t = order[k]
        r, z, new, ghn = acts[t]
        if g_hs is not None:
            dh = dh + g_hs[t]
        dn = dh * (1 - z) * (1 - new * new)
        dz = dh * (h_prev[t] - new) * z * (1 - z)
        dr = dn * ghn * r * (1 - r)
        dgi[t] = S.cat([dr, dz, dn], -1)
        dgh[t] = S.cat([dr, dz, dn * r], -1)
        dh = dh * z + dgh[t].matmul(w)
    e = S.stack(dgh).reshape(-1, 3 * n)
    d_w = e.transpose(0, 1).matmul(S.stack(h_prev).reshape(-1, n)) if needs[2] else None
    d_b = e.sum(0) if needs[3] else None
    return [S.stack(dgi) if needs[0] else None, dh if needs[1] else None, d_w, d_b, None, None]


def _gru_layer_vjp(g, x, h0, w, b, hs, acts, reverse, needs):
    if isinstance(x, Tensor) or any(isinstance(v, Tensor) for v in g):
        return _gru_layer_vjp_tensors(g, x, h0, w, b, reverse, needs)
    return _gru_layer_vjp_arrays(g, h0, w, hs, acts, reverse, needs)


gru_forward = primitive("gru_forward", _gru_forward_impl, inputs="x h0 w b", outputs=2,
                        batch=Decompose(lambda x, h0, w, b, reverse: tuple(
                            _gru_layer_composite(x, h0, w, b, reverse)[k] for k in (0, 2))))
gru_layer = primitive("gru_layer", _gru_layer_impl, inputs="x h0 w b hs acts", outputs=2,
                      grad_name="StackBackward0", vjp=Joint(_gru_layer_vjp), jvp=TRANSPOSE,
                      batch=Decompose(lambda x, h0, w, b, hs, acts, reverse:
                                      _gru_layer_composite(x, h0, w, b, reverse)[:2]))


def _run_direction(step, xs, h, c, weights, reverse, batch_sizes):
    """One layer in one direction. ``xs``: the per-step input projections (step t has
    ``batch_sizes[t]`` rows, or all rows when ``batch_sizes`` is None); ``h``/``c`` the initial
    state (full batch). Returns the per-step outputs (in time order) and the final state.

    With batch sizes (a packed sequence, sorted by decreasing length), step t updates the first
    ``batch_sizes[t]`` rows: going forward, the rows that have ended keep their last state; going
    backward, a sequence's rows join (from the initial state) at its last step."""
    w_hh, b_hh, w_hr = weights
    steps = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    outs = [None] * len(xs)
    if batch_sizes is None:
        for t in steps:
            h, c = step(xs[t], h, c, w_hh, b_hh, w_hr)
            outs[t] = h
        return outs, h, c
    full_h, full_c = h, c
    if reverse:
        n = batch_sizes[-1]
        h = full_h[:n]
        c = None if c is None else full_c[:n]
        for t in steps:
            bs = batch_sizes[t]
            if bs > n:
                h = S.cat([h, full_h[n:bs]])
                c = None if c is None else S.cat([c, full_c[n:bs]])
                n = bs
            h, c = step(xs[t], h, c, w_hh, b_hh, w_hr)
            outs[t] = h
        return outs, h, c
    ended_h, ended_c = [], []
    n = batch_sizes[0]
    for t in steps:
        bs = batch_sizes[t]
        if bs < n:
            ended_h.append(h[bs:n])
            if c is not None:
                ended_c.append(c[bs:n])
            h = h[:bs]
            c = None if c is None else c[:bs]
            n = bs
        h, c = step(xs[t], h, c, w_hh, b_hh, w_hr)
        outs[t] = h
    if ended_h:
        h = S.cat([h] + ended_h[::-1])
        c = None if c is None else S.cat([c] + ended_c[::-1])
    return outs, h, c


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the stacked (optionally bidirectional) layers, their
    parameters (``weight_ih_l{k}[_reverse]``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``,
    ``weight_hr_l{k}`` with projections), initialised uniform in ``+-1/sqrt(hidden_size)``."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout = float(dropout) if isinstance(dropout, numbers.Number) and not isinstance(dropout, bool) \
            else dropout
        self.bidirectional, self.proj_size = bidirectional, proj_size
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        gate_size = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}.get(mode)
        if gate_size is None:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size *= hidden_size
        num_directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(_creation.empty(*shape, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias uniform in ``+-1/sqrt(hidden_size)``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """A no-op (PyTorch packs the weights for cuDNN; pullback has no such layout)."""

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters, one list per layer and direction."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    # --------------------------------------------------------------------------------- checks
    def check_input(self, input, batch_sizes):
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                             f"Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})")
        expected_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return index_select(hx, 1, permutation)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -------------------------------------------------------------------------------- compute
    def _layers(self, x, h0, c0, batch_sizes):
        """Runs every layer. ``x``: (T, B, I) time-major, or packed data (N, I) with
        ``batch_sizes``; ``h0``/``c0``: (L * D, B, H). Returns (output, h_n, c_n or None)."""
        step = _STEPS[self.mode]
        num_directions = 2 if self.bidirectional else 1
        has_bias, has_proj = self.bias, self.proj_size > 0
        params = self._parameters
        sizes = None if batch_sizes is None else [int(b) for b in batch_sizes]
        fused = self.mode == "LSTM" and sizes is None and not has_proj
        fused_gru = self.mode == "GRU" and sizes is None
        h_out, c_out = [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout and self.training:
                x = F.dropout(x, self.dropout, True)
            outputs = []
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                w_ih, w_hh = params["weight_ih" + suffix], params["weight_hh" + suffix]
                b_ih = params["bias_ih" + suffix] if has_bias else None
                b_hh = params["bias_hh" + suffix] if has_bias else None
                w_hr = params["weight_hr" + suffix] if has_proj else None
                k = layer * num_directions + direction
                if fused:
                    # (one 2-D matmul for the whole sequence: NumPy's stacked 3-D matmul is ~3x slower)
                    flat = S.reshape(x, (-1, x.shape[-1]))
                    projected = F.linear(flat, w_ih, b_ih + b_hh) if has_bias else F.linear(flat, w_ih)
                    projected = S.reshape(projected, tuple(x.shape[:2]) + (projected.shape[-1],))
                    state = h0[k], c0[k]
                    saved = lstm_forward(projected, *state, w_hh, reverse=direction == 1)
                    out, h, c = lstm_layer(projected, *state, w_hh, *saved, reverse=direction == 1)
                    outputs.append(out)
                    h_out.append(h)
                    c_out.append(c)
                    continue
                if fused_gru:
                    flat = S.reshape(x, (-1, x.shape[-1]))
                    projected = F.linear(flat, w_ih, b_ih) if has_bias else F.linear(flat, w_ih)
                    projected = S.reshape(projected, tuple(x.shape[:2]) + (projected.shape[-1],))
                    bias = b_hh if has_bias else _creation.zeros(w_hh.shape[0], dtype=w_hh.dtype)
                    saved = gru_forward(projected, h0[k], w_hh, bias, reverse=direction == 1)
                    out, h = gru_layer(projected, h0[k], w_hh, bias, *saved, reverse=direction == 1)
                    outputs.append(out)
                    h_out.append(h)
                    c_out.append(None)
                    continue
                if sizes is None:
                    projected = F.linear(S.reshape(x, (-1, x.shape[-1])), w_ih, b_ih)
                    xs = S.unbind(S.reshape(projected, tuple(x.shape[:2]) + (projected.shape[-1],)), 0)
                else:
                    xs = S.split(F.linear(x, w_ih, b_ih), sizes, 0)
                outs, h, c = _run_direction(step, xs, h0[k], None if c0 is None else c0[k], (w_hh, b_hh, w_hr),
                                            direction == 1, sizes)
                outputs.append(S.stack(outs) if sizes is None else S.cat(outs))
                h_out.append(h)
                c_out.append(c)
            x = outputs[0] if num_directions == 1 else S.cat(outputs, -1)
        return x, S.stack(h_out), (S.stack(c_out) if c0 is not None else None)

    def _forward(self, input, hx, kind):
        """The shared forward of RNN (``kind`` "RNN"), LSTM and GRU: unpacks, checks, runs."""
        lstm = self.mode == "LSTM"
        num_directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        packed = isinstance(input, PackedSequence)
        batch_sizes = sorted_indices = unsorted_indices = None
        is_batched = True
        if packed:
            input, batch_sizes, sorted_indices, unsorted_indices = input
            max_batch = int(batch_sizes[0])
        else:
            if input.dim() not in (2, 3):
                tensor = " tensor" if kind == "RNN" else ""
                raise ValueError(f"{kind}: Expected input to be 2D or 3D, got {input.dim()}D{tensor} instead")
            is_batched = input.dim() == 3
            if not is_batched:
                input = S.unsqueeze(input, 0 if self.batch_first else 1)
            max_batch = input.size(0) if self.batch_first else input.size(1)
        if hx is None:
            h0 = _creation.zeros(self.num_layers * num_directions, max_batch, real_hidden, dtype=input.dtype)
            c0 = (_creation.zeros(self.num_layers * num_directions, max_batch, self.hidden_size, dtype=input.dtype)
                  if lstm else None)
            self.check_forward_args(input, (h0, c0) if lstm else h0, batch_sizes)
        else:
            if lstm:
                h0, c0 = hx[0], hx[1]
                if not packed:
                    if is_batched and (h0.dim() != 3 or c0.dim() != 3):
                        raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                           f"({h0.dim()}-D, {c0.dim()}-D) tensors")
                    if not is_batched:
                        if h0.dim() != 2 or c0.dim() != 2:
                            raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                               f"({h0.dim()}-D, {c0.dim()}-D) tensors")
                        h0, c0 = S.unsqueeze(h0, 1), S.unsqueeze(c0, 1)
                self.check_forward_args(input, (h0, c0), batch_sizes)
                h0, c0 = self.permute_hidden((h0, c0), sorted_indices)
            else:
                h0, c0 = hx, None
                if not packed:
                    if is_batched and h0.dim() != 3:
                        raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {h0.dim()}-D "
                                           "tensor")
                    if not is_batched:
                        if h0.dim() != 2:
                            raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                               f"{h0.dim()}-D tensor")
                        h0 = S.unsqueeze(h0, 1)
                self.check_forward_args(input, h0, batch_sizes)
                h0 = self.permute_hidden(h0, sorted_indices)
        x = input
        if not packed and self.batch_first:
            x = S.transpose(x, 0, 1)
        if x.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        _check_same_dtype(h0, self._flat_weights[1])
        output, h_n, c_n = self._layers(x, h0, c0, batch_sizes)
        if packed:
            output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        else:
            if self.batch_first:
                output = S.transpose(output, 0, 1)
            if not is_batched:
                output = S.squeeze(output, 0 if self.batch_first else 1)
                h_n = S.squeeze(h_n, 1)
                c_n = None if c_n is None else S.squeeze(c_n, 1)
        if lstm:
            return output, self.permute_hidden((h_n, c_n), unsorted_indices)
        return output, self.permute_hidden(h_n, unsorted_indices)


class RNN(RNNBase):
    """A multi-layer Elman RNN, ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU).

    Args:
        input_size (int): features of the input ``x``.
        hidden_size (int): features of the hidden state ``h``.
        num_layers (int): stacked layers (default 1).
        nonlinearity (str): ``'tanh'`` (default) or ``'relu'``.
        bias (bool): whether the layers have ``b_ih`` and ``b_hh`` (default True).
        batch_first (bool): input and output as (batch, seq, feature) (default False).
        dropout (float): dropout on the outputs of each layer but the last, in training (default 0).
        bidirectional (bool): a second, reversed direction per layer (default False).

    Returns ``(output, h_n)``: output (L, N, D * H) (or packed), h_n (D * num_layers, N, H).

    Example::

        >>> rnn = pullback.nn.RNN(10, 20, 2)
        >>> output, hn = rnn(pullback.randn(5, 3, 10), pullback.randn(2, 3, 20))
        >>> output.shape, hn.shape
        (pullback.Size([5, 3, 20]), pullback.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.__dict__["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__["nonlinearity"] = kwargs.pop("nonlinearity", "tanh")
        kwargs.pop("nonlinearity", None)
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward(input, hx, "RNN")


class LSTM(RNNBase):
    """A multi-layer long short-term memory RNN. Per step (gates in PyTorch's order i, f, g, o)::

        i, f, o = sigmoid(...), g = tanh(...);  c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)

    With ``proj_size > 0``, ``h_t = (o * tanh(c_t)) W_hr^T`` has ``proj_size`` features.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as RNN.
        proj_size (int): the projection size (default 0: none); smaller than ``hidden_size``.

    Returns ``(output, (h_n, c_n))``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        expected = self.get_expected_hidden_size(input, batch_sizes)
        return (expected[0], expected[1], self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        """torch's checks of the input and of ``hidden = (h_0, c_0)``."""
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        """``(h, c)`` with the batch (dim 1) permuted (None: unchanged)."""
        if permutation is None:
            return hx
        return tuple(RNNBase.permute_hidden(self, t, permutation) for t in hx)

    def forward(self, input, hx=None):
        return self._forward(input, hx, "LSTM")


class GRU(RNNBase):
    """A multi-layer gated recurrent unit RNN. Per step (gates r, z, n)::

        r = sigmoid(x W_ir + b_ir + h W_hr + b_hr),  z = sigmoid(...),
        n = tanh(x W_in + b_in + r * (h W_hn + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}

    Args: as RNN (no ``nonlinearity``). Returns ``(output, h_n)``.
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward(input, hx, "GRU")


# -------------------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` (chunks * hidden, input), ``weight_hh`` (chunks * hidden,
    hidden) and the biases, uniform in ``+-1/sqrt(hidden_size)``."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(_creation.empty(num_chunks * hidden_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(_creation.empty(num_chunks * hidden_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias uniform in ``+-1/sqrt(hidden_size)``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def _prepare(self, name, input, hx, n_states):
        """Checks dims, adds the batch dim of an unbatched input, makes zero states; then torch's
        size checks. Returns (input, states, is_batched)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            states = list(hx) if n_states == 2 else [hx]
            for idx, value in enumerate(states):
                if value.dim() not in (1, 2):
                    what = f"hx[{idx}]" if n_states == 2 else "hidden"
                    raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = S.unsqueeze(input, 0)
        if hx is None:
            states = [_creation.zeros(input.size(0), self.hidden_size, dtype=input.dtype)] * n_states
        elif not is_batched:
            states = [S.unsqueeze(s, 0) for s in states]
        # torch's checks, on sizes 0 and 1 (an unbatched input with a batched state gets a 3-D state)
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}")
        for idx, s in enumerate(states):
            if input.size(0) != s.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{idx} batch size "
                                   f"{s.size(0)}")
            size = s.size(1) if s.dim() > 1 else s.size(-1)
            if size != self.hidden_size:
                raise RuntimeError(f"hidden{idx} has inconsistent hidden_size: got {size}, expected "
                                   f"{self.hidden_size}")
        _check_same_dtype(input, self.weight_ih)
        for s in states:
            _check_same_dtype(s, self.weight_hh)
        return input, states, is_batched


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ReLU).

    Args:
        input_size (int), hidden_size (int), bias (bool, default True),
        nonlinearity (str): ``'tanh'`` (default) or ``'relu'``.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, (h,), is_batched = self._prepare("RNNCell", input, hx, 1)
        pre = F.linear(input, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        if self.nonlinearity == "tanh":
            out = _tanh(pre)
        elif self.nonlinearity == "relu":
            out = F.relu(pre)
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return out if is_batched else S.squeeze(out, 0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns ``(h', c')`` from ``input`` and ``hx = (h, c)`` (zeros if None).

    Args:
        input_size (int), hidden_size (int), bias (bool, default True).
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, (h, c), is_batched = self._prepare("LSTMCell", input, hx, 2)
        h, c = _step_lstm(F.linear(input, self.weight_ih, self.bias_ih), h, c, self.weight_hh, self.bias_hh, None)
        if not is_batched:
            return S.squeeze(h, 0), S.squeeze(c, 0)
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step: ``h'`` from ``input`` and ``hx`` (zeros if None).

    Args:
        input_size (int), hidden_size (int), bias (bool, default True).
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, (h,), is_batched = self._prepare("GRUCell", input, hx, 1)
        h, _ = _step_gru(F.linear(input, self.weight_ih, self.bias_ih), h, None, self.weight_hh, self.bias_hh, None)
        return h if is_batched else S.squeeze(h, 0)
