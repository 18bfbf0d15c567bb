"""Pooling primitives (max, average, adaptive average over the last two dims; the argmax of
adaptive max pooling) and the index maps of reflect / replicate / circular padding.

Shapes follow PyTorch: inputs (N, C, H, W) or (C, H, W), each (H, W) plane pooled alone; an
output cell (oy, ox) pools the window of rows ``oy * stride - padding + i * dilation`` (i <
kernel), columns alike. Every pooling here is linear in its input given the window choice, so
each VJP is another primitive of this file and gradients of any order follow.

Also here: the argument checks of F.max_pool2d / avg_pool2d / adaptive_avg_pool2d / pad, with
PyTorch's messages.

Max pooling finds which window offset holds each maximum only when that is needed (a backward
pass, a JVP, ``return_indices``): the forward alone is a running maximum over the offsets.
"""
from .._backend import B
from ._registry import primitive, LINEAR, ALL_BATCHED
from . import conv as C


# ------------------------------------------------------------------ geometry
def pool_out_size(size, kernel, stride, pad, dilation, ceil_mode):
    """PyTorch's pooling output length (``ceil_mode`` keeps a last window that starts inside the
    input or its left padding)."""
    out = (size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _extra_end_padding(size, out, kernel, stride, pad, dilation):
    """The padding past ``pad`` at the end that ``out`` windows need (ceil_mode's last window)."""
    return max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - (size + 2 * pad))


def _windows(x, kernel, stride, padding, dilation, out_size, fill):
    """A (N, C, KH, KW, OH, OW) strided view of ``x`` padded with ``fill``."""
    widths = [(0, 0), (0, 0)] + [(p, p + _extra_end_padding(s, o, k, st, p, d))
                                 for s, o, k, st, p, d in zip(x.shape[2:], out_size, kernel, stride, padding, dilation)]
    if any(hi for _, hi in widths):
        x = B.pad(x, widths, constant_values=fill)
    return C._windows(x, kernel, stride, (0, 0), dilation)[..., :out_size[0], :out_size[1]]


def _per_plane(impl):
    """``impl`` on (P, 1, H, W) arrays applied to arrays of any leading dims (3-d unbatched
    inputs, vmap's extra batch dim): pooling acts on each (H, W) plane alone."""
    def on_planes(*arrays, **params):
        lead = arrays[0].shape[:-2]
        out = impl(*[a.reshape(-1, 1, *a.shape[-2:]) for a in arrays], **params)
        return out.reshape(lead + out.shape[-2:])
    return on_planes


def _offsets(kernel):
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


# ------------------------------------------------------------------ max pooling
def _lowest(dtype):
    return -B.inf if dtype.kind == "f" else B.iinfo(dtype).min


def _max_pool2d_impl(x, kernel, stride, padding, dilation, out_size):
    win = _windows(x, kernel, stride, padding, dilation, out_size, _lowest(x.dtype))
    out = win[:, :, 0, 0].copy()
    for i, j in _offsets(kernel)[1:]:
        B.maximum(out, win[:, :, i, j], out=out)   # propagates NaN, as PyTorch's max does
    return out


def _input_rows(out, kernel, stride, pad, dilation):
    """(K, OUT): the input position of each window offset at each output position."""
    return B.arange(kernel)[:, None] * dilation + B.arange(out)[None, :] * stride - pad


def _code_dtype(kernel):
    return B.int8 if kernel[0] * kernel[1] <= 127 else B.int32


def _argmax_codes_impl(x, ans, kernel, stride, padding, dilation, out_size):
    """Which window offset (i * KW + j) holds each window's maximum, as PyTorch chooses: the first
    maximum in scan order, or the last NaN where the window holds one."""
    h, w = x.shape[2:]
    win = _windows(x, kernel, stride, padding, dilation, out_size, _lowest(x.dtype))
    rows = _input_rows(out_size[0], kernel[0], stride[0], padding[0], dilation[0])
    cols = _input_rows(out_size[1], kernel[1], stride[1], padding[1], dilation[1])
    inside_rows, inside_cols = (rows >= 0) & (rows < h), (cols >= 0) & (cols < w)
    codes = B.zeros(ans.shape, dtype=_code_dtype(kernel))
    hit = B.empty(ans.shape, dtype=bool)
    found = B.zeros(ans.shape, dtype=bool)
    offsets = _offsets(kernel)
    for o, (i, j) in enumerate(offsets):
        B.equal(win[:, :, i, j], ans, out=hit)
        inside = inside_rows[i][:, None] & inside_cols[j][None, :]
        if not inside.all():                         # the padding can equal the max (-inf, int min)
            hit &= inside
        B.greater(hit, found, out=hit)               # a first hit (masks only: copyto(where=) is slow)
        if o:
            codes += hit.astype(codes.dtype) * codes.dtype.type(o)
        found |= hit
    if ans.dtype.kind == "f" and B.isnan(ans).any():
        for o, (i, j) in enumerate(offsets):         # NaN beats everything; the last NaN wins
            codes = B.where(B.isnan(win[:, :, i, j]), codes.dtype.type(o), codes)
    return codes


def _positions_impl(x, ans, kernel, stride, padding, dilation, out_size):
    """max_pool2d's indices: each maximum's flat position (row * W + col) in its input plane."""
    codes = _argmax_codes_impl(x, ans, kernel, stride, padding, dilation, out_size).astype(B.int64)
    rows = _input_rows(out_size[0], kernel[0], stride[0], padding[0], dilation[0])
    cols = _input_rows(out_size[1], kernel[1], stride[1], padding[1], dilation[1])
    return (rows[codes // kernel[1], B.arange(out_size[0])[:, None]] * x.shape[3]
            + cols[codes % kernel[1], B.arange(out_size[1])[None, :]])


def _select_impl(x, codes, kernel, stride, padding, dilation, out_size):
    """Each window's element at its code: the argmax's value (max_pool2d's JVP, and the VJP of
    its backward)."""
    win = _windows(x, kernel, stride, padding, dilation, out_size, 0)
    out = win[:, :, 0, 0].copy()
    for o, (i, j) in enumerate(_offsets(kernel)[1:], 1):
        out = B.where(codes == o, win[:, :, i, j], out)
    return out


def _spread_impl(g, codes, size, kernel, stride, padding, dilation, out_size):
    """The adjoint of ``_select_impl``: each cotangent added at its window's argmax."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = kernel, stride, padding, dilation, out_size
    n, c = g.shape[:2]
    extended = [s + 2 * p + _extra_end_padding(s, o, k, st, p, d)
                for s, o, k, st, p, d in zip(size, out_size, kernel, stride, padding, dilation)]
    out = B.zeros((n, c, *extended), dtype=g.dtype)
    # g * mask is several times faster than where(mask, g, 0), but is NaN at 0 * inf.
    finite = bool(B.isfinite(g).all())
    zero = B.zeros((), dtype=g.dtype)
    for o, (i, j) in enumerate(_offsets(kernel)):
        mask = codes == o
        out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += \
            g * mask if finite else B.where(mask, g, zero)
    return out[:, :, ph:ph + size[0], pw:pw + size[1]]


max_pool2d_codes = primitive("max_pool2d_codes", _per_plane(_argmax_codes_impl), inputs="x ans", out_dtype="keep",
                             batch=ALL_BATCHED)
max_pool2d_indices = primitive("max_pool2d_indices", _per_plane(_positions_impl), inputs="x ans", out_dtype="keep",
                               batch=ALL_BATCHED)
max_pool2d_select = primitive("max_pool2d_select", _per_plane(_select_impl), inputs="x codes", out_dtype="keep",
                              grad_name="GatherBackward0",
                              vjp=(lambda g, codes, x_shape, kernel, stride, padding, dilation, out_size:
                                   max_pool2d_backward_(g, codes, size=tuple(x_shape[-2:]), kernel=kernel,
                                                        stride=stride, padding=padding, dilation=dilation,
                                                        out_size=out_size),
                                   None), jvp=LINEAR, batch=ALL_BATCHED)
max_pool2d_backward_ = primitive("max_pool2d_backward", _per_plane(_spread_impl), inputs="g codes", out_dtype="keep",
                                 grad_name="MaxPool2DWithIndicesBackwardBackward0",
                                 vjp=(lambda g, codes, kernel, stride, padding, dilation, out_size:
                                      max_pool2d_select(g, codes, kernel=kernel, stride=stride, padding=padding,
                                                        dilation=dilation, out_size=out_size),
                                      None), jvp=LINEAR, batch=ALL_BATCHED)


def _max_pool2d_vjp(g, x, ans, x_shape, kernel, stride, padding, dilation, out_size):
    codes = max_pool2d_codes(x, ans, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                             out_size=out_size)
    return max_pool2d_backward_(g, codes, size=tuple(x_shape[-2:]), kernel=kernel, stride=stride, padding=padding,
                                dilation=dilation, out_size=out_size)


def _max_pool2d_jvp(primals, tangents, params, outputs):
    # The tangent at each window's argmax.
    (x,), (t,), (ans,) = primals, tangents, outputs
    return (max_pool2d_select(t, max_pool2d_codes(x, ans, **params), **params),)


max_pool2d_ = primitive("max_pool2d", _per_plane(_max_pool2d_impl), out_dtype="keep",
                        grad_name="MaxPool2DWithIndicesBackward0", vjp=_max_pool2d_vjp,
                        jvp=_max_pool2d_jvp, batch=ALL_BATCHED)


# ------------------------------------------------------------------ average pooling
def avg_pool_divisors(size, kernel, stride, padding, out_size, count_include_pad, divisor_override):
    """The (OH, OW) divisor of each window: PyTorch's (window within the padded input, or the
    part inside the input without ``count_include_pad``; 1 for a window wholly in the padding,
    whose sum is 0), or ``divisor_override``."""
    if divisor_override is not None:
        return B.full(tuple(out_size), divisor_override, dtype=B.int64)
    counts = []
    for n, o, k, s, p in zip(size, out_size, kernel, stride, padding):
        start = B.arange(o) * s - p
        end = B.minimum(start + k, n + p)
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(B.maximum(B.minimum(end, n) - B.maximum(start, 0), 1))
    return counts[0][:, None] * counts[1][None, :]


def _divide(total, divisor):
    if total.dtype.kind == "f":
        return total / divisor.astype(total.dtype)
    quotient = total // divisor                   # integers: C's division, truncating to zero
    quotient += (quotient < 0) & (quotient * divisor != total)
    return quotient


def _avg_pool2d_impl(x, kernel, stride, padding, out_size, divisor):
    win = _windows(x, kernel, stride, padding, (1, 1), out_size, 0)
    return _divide(win.sum(axis=(2, 3)), divisor)


def _avg_pool2d_backward_impl(g, size, kernel, stride, padding, out_size, divisor):
    # Each output's share spread over its window: the adjoint of summing windows is fold.
    g = _divide(g, divisor)
    n, c, oh, ow = g.shape
    cols = B.broadcast_to(g[:, :, None, None], (n, c) + tuple(kernel) + (oh, ow))
    cols = cols.reshape(n, c * kernel[0] * kernel[1], oh * ow)       # (not -1: there may be no planes)
    extended = tuple(s + _extra_end_padding(s, o, k, st, p, 1)
                     for s, o, k, st, p in zip(size, out_size, kernel, stride, padding))
    return C._fold_impl(cols, extended, kernel, stride, padding, (1, 1))[:, :, :size[0], :size[1]]


avg_pool2d_ = primitive("avg_pool2d", _per_plane(_avg_pool2d_impl), out_dtype="keep", grad_name="AvgPool2DBackward0",
                        vjp=lambda g, x_shape, kernel, stride, padding, out_size, divisor:
                            avg_pool2d_backward_(g, size=tuple(x_shape[-2:]), kernel=kernel, stride=stride,
                                                 padding=padding, out_size=out_size, divisor=divisor),
                        jvp=LINEAR, batch=ALL_BATCHED)
avg_pool2d_backward_ = primitive("avg_pool2d_backward", _per_plane(_avg_pool2d_backward_impl), out_dtype="keep",
                                 grad_name="AvgPool2DBackwardBackward0",
                                 vjp=lambda g, kernel, stride, padding, out_size, divisor:
                                     avg_pool2d_(g, kernel=kernel, stride=stride, padding=padding,
                                                 out_size=out_size, divisor=divisor), jvp=LINEAR, batch=ALL_BATCHED)


# ------------------------------------------------------------------ adaptive average pooling
def adaptive_bounds(size, out):
    """Cell i covers ``[floor(i * size / out), ceil((i + 1) * size / out))``."""
    i = B.arange(out)
    return tuple(int(v) for v in (i * size) // out), tuple(int(v) for v in -((-(i + 1) * size) // out))


def _with_length(shape, axis, n):
    shape = list(shape)
    shape[axis] = n
    return tuple(shape)


def _segment_sums(x, axis, bounds):
    """Sums of ``x`` over each ``[start, end)`` of ``bounds`` along ``axis``."""
    starts, ends = bounds
    if not starts:
        return B.zeros(_with_length(x.shape, axis, 0), dtype=x.dtype)
    # reduceat over [s0, e0, s1, e1, ...] sums each [s_i, e_i) at the even places; a zero slice
    # appended keeps an end equal to the length a valid index (no cumsum: inf - inf would be NaN).
    extended = B.concatenate((x, B.zeros(_with_length(x.shape, axis, 1), dtype=x.dtype)), axis=axis)
    flat = B.ravel(B.column_stack((starts, ends)))
    return B.take(B.add.reduceat(extended, flat, axis=axis), B.arange(0, len(flat), 2), axis=axis)


def _segment_spread(g, axis, bounds, size):
    """The adjoint of ``_segment_sums``: each sum's cotangent added over its segment."""
    out = B.zeros(_with_length(g.shape, axis, size), dtype=g.dtype)
    out_last, g_last = B.moveaxis(out, axis, -1), B.moveaxis(g, axis, -1)
    for i, (s, e) in enumerate(zip(*bounds)):
        out_last[..., s:e] += g_last[..., i:i + 1]
    return out


def _cell_counts(bounds):
    (sh, eh), (sw, ew) = bounds
    return (B.subtract(eh, sh)[:, None] * B.subtract(ew, sw)[None, :])


def _adaptive_avg_pool2d_impl(x, bounds):
    return _divide(_segment_sums(_segment_sums(x, -2, bounds[0]), -1, bounds[1]), _cell_counts(bounds))


def _adaptive_avg_pool2d_backward_impl(g, bounds, size):
    g = _divide(g, _cell_counts(bounds))
    return _segment_spread(_segment_spread(g, -2, bounds[0], size[0]), -1, bounds[1], size[1])


adaptive_avg_pool2d_ = primitive("adaptive_avg_pool2d", _adaptive_avg_pool2d_impl, out_dtype="keep",
                                 grad_name="AdaptiveAvgPool2DBackward0",
                                 vjp=lambda g, x_shape, bounds:
                                     adaptive_avg_pool2d_backward_(g, bounds=bounds, size=tuple(x_shape[-2:])),
                                 jvp=LINEAR, batch=ALL_BATCHED)
adaptive_avg_pool2d_backward_ = primitive("adaptive_avg_pool2d_backward", _adaptive_avg_pool2d_backward_impl,
                                          out_dtype="keep", grad_name="AdaptiveAvgPool2DBackwardBackward0",
                                          vjp=lambda g, bounds: adaptive_avg_pool2d_(g, bounds=bounds),
                                          jvp=LINEAR, batch=ALL_BATCHED)


# ------------------------------------------------------------------ adaptive max pooling
def _cell_positions(bounds):
    """(OUT, K): the input positions of each adaptive cell, its last one repeated up to the
    longest cell's length K (a repeat never changes a maximum, nor which element is first)."""
    starts, ends = (B.asarray(b, dtype=B.int64) for b in bounds)
    k = int((ends - starts).max()) if len(starts) else 1
    return B.minimum(starts[:, None] + B.arange(k)[None, :], ends[:, None] - 1)


def _argmax_positions(candidates, flat):
    """Per cell, the input position (from ``flat``) of its maximum among ``candidates`` (..., K),
    as PyTorch picks it: the first maximum in scan order, or the last NaN."""
    if not candidates.size:
        return B.zeros(candidates.shape[:-1], dtype=B.int64)
    code = B.argmax(candidates, axis=-1)
    if candidates.dtype.kind == "f":
        nan = B.isnan(candidates)
        if nan.any():                              # argmax takes the first NaN; PyTorch the last
            last = nan.shape[-1] - 1 - B.argmax(nan[..., ::-1], axis=-1)
            code = B.where(nan.any(axis=-1), last, code)
    return B.take_along_axis(B.broadcast_to(flat, candidates.shape), code[..., None], axis=-1)[..., 0]


def _adaptive_argmax_impl(x, bounds):
    """adaptive_max_pool2d's indices: each cell's maximum as its flat position (row * W + col) in
    the input plane, as PyTorch picks it: the first maximum in scan order, or the last NaN."""
    h, w = x.shape[-2:]
    rows, cols = _cell_positions(bounds[0]), _cell_positions(bounds[1])        # (OH, KH), (OW, KW)
    flat = rows[:, None, :, None] * w + cols[None, :, None, :]                  # (OH, OW, KH, KW)
    flat = flat.reshape(flat.shape[:2] + (-1,))
    candidates = x.reshape(x.shape[:-2] + (h * w,))[..., flat]                 # (..., OH, OW, K)
    return _argmax_positions(candidates, flat)


# Not differentiable: the pooled values are a gather of the input at these indices (see
# nn.functional.adaptive_max_pool2d), whose derivatives of every order come from the gather's.
adaptive_max_pool2d_indices = primitive("adaptive_max_pool2d_indices", _adaptive_argmax_impl, out_dtype="keep",
                                        batch=ALL_BATCHED)


# ------------------------------------------------------------------ padding index maps
def pad_source_positions(mode, size, lo, hi):
    """For reflect / replicate / circular padding of one dim of length ``size`` by ``lo`` and
    ``hi`` (negative: crop), the input position each output position reads."""
    if mode == "circular":
        # torch crops first, then wraps around what is left
        first, last = max(-lo, 0), size - max(-hi, 0)
        kept = B.arange(first, last)
        if not len(kept):
            return kept
        return kept[(B.arange(size + lo + hi) - max(lo, 0)) % len(kept)]
    p = B.arange(-lo, size + hi)
    if mode == "replicate":
        return B.clip(p, 0, size - 1)
    p = B.abs(p)                                   # reflect about 0, then about size - 1
    return B.where(p >= size, 2 * (size - 1) - p, p)


# ------------------------------------------------------------------ argument checks (PyTorch's messages)
_PAIR_RULES = {"kernel_size": "must either be a single int, or a tuple of two ints",
               "stride": "must either be omitted, a single int, or a tuple of two ints",
               "padding": "must either be a single int, or a tuple of two ints",
               "dilation": "must be either a single int, or a tuple of two ints"}


def is_int(v):
    return isinstance(v, (int, B.integer)) and not isinstance(v, bool)


def int_tuple(value, fn, name, position):
    """``value`` (an int or a sequence of ints) as a tuple, with PyTorch's argument TypeErrors."""
    if is_int(value):
        return (int(value),)
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of ints, not "
                        f"{type(value).__name__}")
    for i, v in enumerate(value):
        if not is_int(v):
            raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of ints, but found "
                            f"element of type {type(v).__name__} at pos {i}")
    return tuple(int(v) for v in value)


def pool_pair(value, fn, name, position):
    """A pooling argument as (height, width); None for an omitted stride."""
    if value is None and name == "stride":
        return None
    values = int_tuple(value, fn, name, position)
    if len(values) == 1:
        return values * 2
    if len(values) == 2:
        return values
    if not values and name == "stride":
        return None
    raise RuntimeError(f"{fn}: {name} {_PAIR_RULES[name]}")


def pool_pairs(fn, kernel_size, stride, padding, dilation=1):
    """kernel, stride (the kernel's when omitted), padding and dilation as (height, width) pairs."""
    kernel = pool_pair(kernel_size, fn, "kernel_size", 2)
    stride = pool_pair(stride, fn, "stride", 3)
    return (kernel, kernel if stride is None else stride, pool_pair(padding, fn, "padding", 4),
            pool_pair(dilation, fn, "dilation", 5))


def adaptive_output_size(shape, output_size, fn):
    """``output_size`` as (OH, OW) with PyTorch's checks; None entries keep the input's size."""
    if isinstance(output_size, (tuple, list)):
        if len(shape) <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        output_size = [shape[i - len(output_size)] if v is None else v for i, v in enumerate(output_size)]
    elif not is_int(output_size):
        raise TypeError(f"object of type '{type(output_size).__name__}' has no len()")
    size = int_tuple(output_size, fn, "output_size", 2)
    size = size * 2 if is_int(output_size) else size
    if len(size) != 2:
        raise RuntimeError(f"{fn}: output_size must be 2")
    if min(size) < 0:
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{size[0]}, {size[1]}}}")
    return size


def _c_div(a, b):
    return int(a / b)                             # C's integer division (towards zero)


def pool2d_out_size(shape, kernel, stride, padding, dilation, ceil_mode):
    """The (OH, OW) of a 2-D pooling of an input of ``shape`` (3-d or 4-d), after PyTorch's checks."""
    out = []
    for axis in (0, 1):
        k, s, p, d = kernel[axis], stride[axis], padding[axis], dilation[axis]
        if s == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > _c_div((k - 1) * d + 1, 2):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
        out.append(pool_out_size(shape[axis - 2], k, s, p, d, ceil_mode))
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}")
    if len(shape) not in (3, 4) or 0 in shape[1:] or (len(shape) == 3 and shape[0] == 0):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{list(shape)}")
    if kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {pw}, "
                           f"padH = {ph}, kW = {kw}, kH = {kh}")
    if out[0] < 1 or out[1] < 1:
        c, h, w = shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
                           "Output size is too small")
    return tuple(out)


def not_implemented_for(fn, dtype):
    return NotImplementedError(f"\"{fn}\" not implemented for '{dtype._tensor_type[:-6]}'")


_PAD_COMBINATIONS = ("Supported combinations for non-constant padding:\n"
                     "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                     "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                     "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad_widths(shape, pad, mode, value):
    """F.pad's ``pad`` (last dim first) as NumPy widths over every dim, after PyTorch's checks."""
    pad = int_tuple(pad, "pad", "pad", 2)
    ndim = len(shape)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {ndim}")
    widths = [(0, 0)] * ndim
    for i in range(k):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        if any(n + lo + hi < 0 for n, (lo, hi) in zip(shape, widths)):
            raise RuntimeError("narrow(): length must be non-negative.")
        return tuple(widths)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if k > 3 or ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n"
                                  + _PAD_COMBINATIONS)
    (_check_circular if mode == "circular" else _check_reflect_replicate)(shape, widths[ndim - k:], mode)
    return tuple(widths)


def _check_circular(shape, widths, mode):
    for n, (lo, hi) in zip(shape[len(shape) - len(widths):], widths):
        if lo > n or hi > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n + lo + hi < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")


def _check_reflect_replicate(shape, widths, mode):
    k, ndim = len(widths), len(shape)
    sizes = shape[ndim - k:]
    if 0 in shape[ndim - k - 1:]:                # only a batch dim may be empty
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    if mode == "reflect":
        for i in range(k):                         # the last dim first, as F.pad's arguments
            n, (lo, hi) = sizes[k - 1 - i], widths[k - 1 - i]
            if not (lo < n and hi < n):
                raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {ndim - 1 - i} of input "
                                   f"{list(shape)}")
    out = [n + lo + hi for n, (lo, hi) in zip(sizes, widths)]
    if max(out) < 1:
        names = "DHW"[3 - k:]
        given = ", ".join(f"{a}: {n}" for a, n in zip(names, sizes)) if k < 3 else \
            f"D: {sizes[0]} H: {sizes[1]}, W: {sizes[2]}"
        if k == 2 and mode == "replicate":
            given += " "
        raise RuntimeError(f"input ({given}) is too small. Calculated output "
                           + " ".join(f"{a}: {o}" for a, o in zip(names, out)))
    if min(out) < 0:
        full = list(shape[:ndim - k]) + out
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {full}")


def pad_index(shape, widths, mode, k):
    """The advanced index of a reflect / replicate / circular pad of the last ``k`` dims, and the
    name of its backward node (PyTorch's)."""
    ndim = len(shape)
    sources = [pad_source_positions(mode, shape[d], *widths[d]) for d in range(ndim - k, ndim)]
    if mode == "circular":
        name = "CopySlices"                        # torch builds it from slice copies
    else:
        name = f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{k}DBackward0"
    return (Ellipsis,) + B.ix_(*sources), name




# ------------------------------------------------------------------ 3-d adaptive max pooling
def _adaptive_argmax3d_impl(x, bounds):
    """adaptive_max_pool3d's indices: each cell's maximum as its flat position in the input
    volume (``(d * H + h) * W + w``), the first maximum in depth, row, column order, or the last
    NaN, as PyTorch picks it."""
    d, h, w = x.shape[-3:]
    depths, rows, cols = (_cell_positions(b) for b in bounds)                   # (OD, KD), (OH, KH), (OW, KW)
    flat = (depths[:, None, None, :, None, None] * (h * w) + rows[None, :, None, None, :, None] * w
            + cols[None, None, :, None, None, :])                              # (OD, OH, OW, KD, KH, KW)
    flat = flat.reshape(flat.shape[:3] + (depths.shape[1] * rows.shape[1] * cols.shape[1],))
    candidates = x.reshape(x.shape[:-3] + (d * h * w,))[..., flat]             # (..., OD, OH, OW, K)
    return _argmax_positions(candidates, flat)


# Not differentiable, as adaptive_max_pool2d_indices: the values are a gather at these indices.
adaptive_max_pool3d_indices = primitive("adaptive_max_pool3d_indices", _adaptive_argmax3d_impl, out_dtype="keep",
                                        batch=ALL_BATCHED)


# ------------------------------------------------------------------ fractional max pooling
def fractional_starts(u, size, out, kernel):
    """The window starts (..., out) of fractional max pooling along a dim of length ``size``
    drawn from samples ``u`` (...,) in [0, 1), as PyTorch computes them in the samples' dtype:
    ``floor((i + u) * alpha) - floor(u * alpha)`` with ``alpha = (size - kernel) / (out - 1)``,
    the last window flush with the end."""
    last = B.full(u.shape + (1,), size - kernel, dtype=B.int64)
    if out <= 1:
        return last[..., :out]
    dt = u.dtype                                   # each step rounded to it, as PyTorch's scalar_t arithmetic
    alpha = B.asarray(size - kernel, dtype=dt) / B.asarray(out - 1, dtype=dt)
    i = B.arange(out - 1).astype(dt)
    starts = ((i + u[..., None]) * alpha).astype(B.int64) - (u * alpha).astype(B.int64)[..., None]
    return B.concatenate([starts, last], axis=-1)


def _size(shape):
    n = 1
    for v in shape:
        n *= int(v)
    return n


def _fractional_argmax_impl(x, samples, out_size, kernel, columns):
    """fractional_max_pool2d / 3d's indices: x (..., *spatial) and samples (..., len(spatial))
    with the same leading dims; sample column ``columns[d]`` places the windows of spatial dim d.
    Each window's maximum as its flat position in its plane (volume), the first maximum in scan
    order or the last NaN, as PyTorch picks it."""
    nd = len(out_size)
    spatial = x.shape[-nd:]
    lead = x.shape[:-nd]
    samples = B.broadcast_to(samples, lead + samples.shape[-1:])
    flat = B.zeros(lead + (1,) * (2 * nd), dtype=B.int64)
    for d, (n, o, k) in enumerate(zip(spatial, out_size, kernel)):
        starts = fractional_starts(samples[..., columns[d]], n, o, k)            # (..., O_d)
        pos = starts[..., :, None] + B.arange(k)                                # (..., O_d, K_d)
        shape = [1] * (2 * nd)
        shape[d], shape[nd + d] = o, k
        flat = flat + (pos * _size(spatial[d + 1:])).reshape(lead + tuple(shape))
    flat = B.broadcast_to(flat, lead + tuple(out_size) + tuple(kernel))
    flat = flat.reshape(lead + tuple(out_size) + (_size(kernel),))                      # (..., *out, K)
    planes = x.reshape(lead + (_size(spatial),))            # explicit sizes: -1 fails on empty batches
    candidates = B.take_along_axis(planes, flat.reshape(lead + (_size(flat.shape[len(lead):]),)), axis=-1)
    candidates = candidates.reshape(flat.shape)
    return _argmax_positions(candidates, flat)


# Not differentiable, as adaptive_max_pool2d_indices: the values are a gather at these indices.
fractional_max_pool_indices = primitive("fractional_max_pool_indices", _fractional_argmax_impl, inputs="x samples",
                                        out_dtype="keep", batch=ALL_BATCHED)
