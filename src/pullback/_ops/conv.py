"""Convolution: ``unfold`` (im2col, a strided view copied once) and its adjoint ``fold``, and
``conv2d`` as one primitive: im2col plus one matmul forward, and a VJP written with fold,
unfold and matmul, so that convolutions are differentiable to any order. ``conv_transpose2d``
is a composite of matmul and fold (conv2d's input gradient), ``conv3d`` one of conv2d.

Shapes follow PyTorch: inputs (N, C, H, W), weights (O, C/groups, KH, KW), unfolded columns
(N, C*KH*KW, L) with L = OH*OW output positions.
"""
from .._backend import B
from ._registry import primitive, Joint, LINEAR, MULTILINEAR, INDEX_MAP, SCATTER
from . import _vmap_rules as V


def out_size(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _windows(x, kernel, stride, padding, dilation):
    """A (N, C, KH, KW, OH, OW) strided view of the zero-padded input."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if ph or pw:
        x = B.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, w = x.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s = x.strides
    return B.lib.stride_tricks.as_strided(
        x, (n, c, kh, kw, oh, ow), (s[0], s[1], s[2] * dh, s[3] * dw, s[2] * sh, s[3] * sw), writeable=False)


def _unfold_impl(x, kernel, stride, padding, dilation):
    win = _windows(x, kernel, stride, padding, dilation)
    n, c, kh, kw, oh, ow = win.shape
    return win.reshape(n, c * kh * kw, oh * ow)


def _fold_impl(cols, size, kernel, stride, padding, dilation):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    h, w = size
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    oh = out_size(h, kh, sh, ph, dh)
    ow = out_size(w, kw, sw, pw, dw)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    out = B.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    # One strided add per kernel offset: KH*KW adds of whole images, not a loop over pixels.
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w]


def _batch_merged_into_n(prim, values, bdims, params, size):
    x = V.to_front(values[0], bdims[0])
    n_b, n = x.shape[0], x.shape[1]
    merged = _reshape(x, shape=(n_b * n,) + tuple(x.shape[2:]))
    rest = tuple(values[1:])
    if any(d is not None for d in bdims[1:]):
        raise RuntimeError(f"vmap: {prim.name} over batched weights is not supported; batch the input only.")
    out = prim.bind((merged,) + rest, params)
    return _reshape(out, shape=(n_b, n) + tuple(out.shape[1:])), 0


unfold_ = primitive("unfold", _unfold_impl, out_dtype="keep", grad_name="Im2ColBackward0",
                    vjp=lambda g, x_shape, kernel, stride, padding, dilation:
                        fold_(g, size=tuple(x_shape[2:]), kernel=kernel, stride=stride, padding=padding,
                              dilation=dilation),
                    jvp=LINEAR, batch=_batch_merged_into_n, sparsity=INDEX_MAP)
fold_ = primitive("fold", _fold_impl, out_dtype="keep", grad_name="Col2ImBackward0",
                  vjp=lambda g, kernel, stride, padding, dilation:
                      unfold_(g, kernel=kernel, stride=stride, padding=padding, dilation=dilation),
                  jvp=LINEAR, batch=_batch_merged_into_n, sparsity=SCATTER)


def _grouped(cols, groups):
    """(N, C*K, L) columns as (N, G, C/G*K, L)."""
    n, ck, l = cols.shape
    return cols.reshape(n, groups, ck // groups, l)


def _conv2d_impl(x, w, kernel, stride, padding, dilation, groups):
    cols = _grouped(_unfold_impl(x, kernel, stride, padding, dilation), groups)     # (N, G, CK, L)
    o = w.shape[0]
    wg = w.reshape(groups, o // groups, cols.shape[2])                                # (G, O/G, CK)
    out = B.matmul(wg[None], cols)                                                    # (N, G, O/G, L)
    n = x.shape[0]
    oh = out_size(x.shape[2], kernel[0], stride[0], padding[0], dilation[0])
    ow = out_size(x.shape[3], kernel[1], stride[1], padding[1], dilation[1])
    return out.reshape(n, o, oh, ow)


def _conv2d_vjp(g, x, w, kernel, stride, padding, dilation, groups, needs):
    n, o = g.shape[0], g.shape[1]
    gg = _reshape(g, shape=(n, groups, o // groups, g.shape[2] * g.shape[3]))         # (N, G, O/G, L)
    ck = w.shape[1] * kernel[0] * kernel[1]   # (not -1: O may be 0)
    wg = _reshape(w, shape=(groups, o // groups, ck))                                 # (G, O/G, CK)
    gx = gw = None
    if needs[0]:
        cols = matmul_(_reshape(_mT(wg), shape=(1,) + tuple(_mT(wg).shape)), gg)      # (N, G, CK, L)
        cols = _reshape(cols, shape=(n, -1, cols.shape[-1]))
        gx = fold_(cols, size=tuple(x.shape[2:]), kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    if needs[1]:
        cols = unfold_(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        cols = _reshape(cols, shape=(n, groups, -1, cols.shape[-1]))                  # (N, G, CK, L)
        gw = _sum(matmul_(gg, _mT(cols)), axis=(0,), keepdim=False)                   # (G, O/G, CK)
        gw = _reshape(gw, shape=tuple(w.shape))
    return gx, gw


def _batch_conv2d(prim, values, bdims, params, size):
    if bdims[1] is None:
        return _batch_merged_into_n(prim, values, bdims, params, size)
    # Per-sample weights: the batch becomes groups of channels, one group per sample.
    x = V.expand_batch(values[0], bdims[0], size)                 # (B, N, C, H, W)
    w = V.to_front(values[1], bdims[1])                           # (B, O, C/g, KH, KW)
    nb, n, c = x.shape[0], x.shape[1], x.shape[2]
    x = _reshape(_transpose(x, dim0=0, dim1=1), shape=(n, nb * c) + tuple(x.shape[3:]))
    w = _reshape(w, shape=(nb * w.shape[1],) + tuple(w.shape[2:]))
    out = prim.bind((x, w), dict(params, groups=params["groups"] * nb))       # (N, B*O, OH, OW)
    out = _reshape(out, shape=(n, nb, out.shape[1] // nb) + tuple(out.shape[2:]))
    return _transpose(out, dim0=0, dim1=1), 0


conv2d_ = primitive("conv2d", _conv2d_impl, inputs="x w", grad_name="ConvolutionBackward0",
                    vjp=Joint(_conv2d_vjp), jvp=MULTILINEAR, batch=_batch_conv2d)


def conv_transpose2d(x, w, stride, padding, output_padding, dilation, groups):
    """The transposed convolution of (N, Cin, H, W) with (Cin, Cout/groups, KH, KW): the gradient
    of a conv2d with respect to its input, as a composite (a matmul spreading each input pixel
    over a kernel-sized patch, and fold summing the patches), so that its derivatives of every
    order and its batching come from matmul's and fold's. Arguments already checked."""
    n, cin, h, wd = (int(v) for v in x.shape)
    cout_g, kernel = int(w.shape[1]), tuple(int(v) for v in w.shape[2:])
    ck = cout_g * kernel[0] * kernel[1]
    xg = _reshape(x, shape=(n, groups, cin // groups, h * wd))                          # (N, G, Cin/G, L)
    wg = _reshape(w, shape=(1, groups, cin // groups, ck))                              # (1, G, Cin/G, CK)
    cols = _reshape(matmul_(_mT(wg), xg), shape=(n, groups * ck, h * wd))               # (N, G*CK, L)
    # The canvas the windows cover, before the padding is cropped off and output_padding added.
    full = tuple((i - 1) * s + d * (k - 1) + 1 for i, s, d, k in zip((h, wd), stride, dilation, kernel))
    fold_params = dict(kernel=kernel, stride=tuple(stride), dilation=tuple(dilation))
    if not any(output_padding):
        return fold_(cols, size=tuple(f - 2 * p for f, p in zip(full, padding)), padding=tuple(padding), **fold_params)
    # output_padding rows (at most max(stride, dilation) - 1) may reach past the canvas: fold the
    # whole canvas, extend it with zeros, then crop the padding.
    out = fold_(cols, size=full, padding=(0, 0), **fold_params)
    widths = ((0, 0), (0, 0)) + tuple((0, max(0, op - p)) for op, p in zip(output_padding, padding))
    if any(hi for _, hi in widths):
        out = pad_.bind((out,), {"widths": widths, "value": 0})
    sizes = [f - 2 * p + op for f, p, op in zip(full, padding, output_padding)]
    return getitem(out, index=(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(padding, sizes)),
                   basic=True)


def conv3d(x, w, stride, padding, dilation, groups):
    """The 3-D convolution of (N, C, D, H, W) with (O, C/groups, KD, KH, KW), as a composite: the
    depth slices each kernel depth meets, stacked as channels (within each group), make a batch
    of N * OD images that one conv2d convolves with the kernel's depths as channels. Derivatives
    and batching come from conv2d's, the slices', the stack's and the reshapes'. Arguments
    already checked."""
    (sd, sh, sw), (pd, ph, pw), (dd, dh, dw) = stride, padding, dilation
    if pd:
        x = pad_.bind((x,), {"widths": ((0, 0), (0, 0), (pd, pd), (0, 0), (0, 0)), "value": 0})
    n, c, d, h, wd = (int(v) for v in x.shape)
    o, cg, kernel = int(w.shape[0]), int(w.shape[1]), tuple(int(v) for v in w.shape[2:])
    od = (d - dd * (kernel[0] - 1) - 1) // sd + 1
    slices = [_reshape(getitem(x, index=(slice(None), slice(None), slice(kd * dd, kd * dd + sd * (od - 1) + 1, sd)),
                               basic=True), shape=(n, groups, cg, od, h, wd))
              for kd in range(kernel[0])]                                              # (N, G, C/G, OD, H, W)
    planes = _permute(_stack(*slices, axis=2), dims=(0, 4, 1, 2, 3, 5, 6))             # (N, OD, G, KD, C/G, H, W)
    planes = _reshape(planes, shape=(n * od, groups * kernel[0] * cg, h, wd))
    taps = _reshape(_transpose(w, dim0=1, dim1=2), shape=(o, kernel[0] * cg) + kernel[1:])   # (O, KD*C/G, KH, KW)
    out = conv2d_.bind((planes, taps), {"kernel": kernel[1:], "stride": (sh, sw), "padding": (ph, pw),
                                        "dilation": (dh, dw), "groups": groups})       # (N*OD, O, OH, OW)
    out = _reshape(out, shape=(n, od, o) + tuple(int(v) for v in out.shape[2:]))
    return _transpose(out, dim0=1, dim1=2)


from .shape import _reshape, _transpose, _permute, _stack  # noqa: E402
from .linalg import matmul_, _mT  # noqa: E402
from .reduction import _sum  # noqa: E402
from .nn import pad_  # noqa: E402
from .indexing import getitem  # noqa: E402


def conv_transpose3d(x, w, stride, padding, output_padding, dilation, groups):
    """The transposed 3-D convolution of (N, Cin, D, H, W) with (Cin, Cout/groups, KD, KH, KW), as a
    composite over depth: one conv_transpose2d of every depth slice, the kernel depths as extra
    output channels (within each group), gives each slice's contribution to the KD output depths
    it reaches; a fold along depth (kernel KD, the depth stride and dilation) sums them into
    place and crops the depth padding. Derivatives and batching come from the parts'.
    Arguments already checked."""
    (sd, sh, sw), (pd, ph, pw), (opd, oph, opw), (dd, dh, dw) = stride, padding, output_padding, dilation
    n, cin, d, h, wd = (int(v) for v in x.shape)
    cout_g, kd = int(w.shape[1]), int(w.shape[2])
    kernel_hw = tuple(int(v) for v in w.shape[3:])
    cout = cout_g * groups
    planes = _reshape(_transpose(x, dim0=1, dim1=2), shape=(n * d, cin, h, wd))          # (N*D, Cin, H, W)
    taps = _reshape(w, shape=(cin, cout_g * kd) + kernel_hw)                             # (Cin, Cout/G*KD, KH, KW)
    out = conv_transpose2d(planes, taps, (sh, sw), (ph, pw), (oph, opw), (dh, dw), groups)  # (N*D, Cout*KD, OH, OW)
    oh, ow = int(out.shape[2]), int(out.shape[3])
    cols = _permute(_reshape(out, shape=(n, d, cout, kd, oh, ow)), dims=(0, 2, 4, 5, 3, 1))  # (N, Cout, OH, OW, KD, D)
    cols = _reshape(cols, shape=(n, cout * oh * ow * kd, d))
    full = (d - 1) * sd + dd * (kd - 1) + 1
    fold_params = dict(kernel=(kd, 1), stride=(sd, 1), dilation=(dd, 1))
    if not opd:
        depth = fold_(cols, size=(full - 2 * pd, 1), padding=(pd, 0), **fold_params)
    else:   # output_padding depths may reach past the canvas: fold it whole, extend, crop
        depth = fold_(cols, size=(full, 1), padding=(0, 0), **fold_params)
        if opd > pd:
            depth = pad_.bind((depth,), {"widths": ((0, 0), (0, 0), (0, opd - pd), (0, 0)), "value": 0})
        depth = getitem(depth, index=(slice(None), slice(None), slice(pd, full - pd + opd)), basic=True)
    od = int(depth.shape[2])
    return _permute(_reshape(depth, shape=(n, cout, oh, ow, od)), dims=(0, 1, 4, 2, 3))
