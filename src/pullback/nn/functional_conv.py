"""nn.functional's transposed convolutions: conv2d's input gradient as an op of its own, a
composite of matmul and fold (``_ops/conv.py``'s ``conv_transpose2d``); a 1-d one is the 2-d one
of height 1. The argument checks are PyTorch's, in its order, with its messages (which speak of
height and width for 1-d inputs too: PyTorch runs those as 2-d as well).
"""
from .. import _dtype as D
from .._tensor import Tensor
from .._ops import conv as C
from .._ops import shape as S
from .._ops.pooling import int_tuple
from .functional import check_conv_weight, _conv_param  # (functional imports this module at its end)


def _params(value, name, n, fn, position):
    return _conv_param(int_tuple(value, fn, name, position), name, n)


def _check_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, fn):
    """PyTorch's checks of a transposed convolution's arguments (``input`` batched, 2-d or as given);
    returns the spatial parameters as tuples."""
    if weight.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    n = weight.ndim - 2
    stride = _params(stride, "stride", n, fn, 4)
    padding = _params(padding, "padding", n, fn, 5)
    output_padding = _params(output_padding, "output_padding", n, fn, 6)
    dilation = _params(dilation, "dilation", n, fn, 8)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    w, x = check_conv_weight(input, weight, groups)
    if x[1] != w[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {w}, expected input{x} to have {w[0]} channels, but "
                           f"got {x[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != w[1] * groups):
        raise RuntimeError(f"Given transposed=1, weight of size {w}, expected bias to be 1-dimensional with "
                           f"{w[1] * groups} elements, but got bias of size {list(bias.shape)} instead")
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._tensor_type[:-6]} but found "
                           f"{weight.dtype._tensor_type[:-6]}")
    return stride, padding, output_padding, dilation


def _check_2d_shapes(x_shape, kernel, stride, padding, output_padding, dilation):
    """The checks PyTorch's 2-d transposed convolution kernel makes (on the height-1 view for 1-d)."""
    (dh, dw), (sh, sw), (oph, opw) = dilation, stride, output_padding
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {dh}, "
                           f"dilation_width: {dw}")
    if not ((opw < sw or opw < dw) and (oph < sh or oph < dh)):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                           f"output_padding_height: {oph} output_padding_width: {opw} stride_height: {sh} "
                           f"stride_width: {sw} dilation_height: {dh} dilation_width: {dw}")
    h, w = x_shape[-2:]
    out = [(i - 1) * s - 2 * p + d * (k - 1) + 1 + op
           for i, s, p, d, k, op in zip((h, w), stride, padding, dilation, kernel, output_padding)]
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(f"Given input size per channel: ({h} x {w}). Calculated output size per channel: "
                           f"({out[0]} x {out[1]}). Output size is too small")


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, n, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {fn}, but got input of "
                           f"size: {list(input.shape)}")
    unbatched = input.ndim == n + 1
    if unbatched:
        input = S.unsqueeze(input, 0)
    stride, padding, output_padding, dilation = _check_transpose(input, weight, bias, stride, padding,
                                                                 output_padding, groups, dilation, fn)
    if n == 1:   # PyTorch's 1-d transposed convolution is the 2-d one of height 1
        input, weight = S.unsqueeze(input, 2), S.unsqueeze(weight, 2)
        stride, padding, output_padding, dilation = (1,) + stride, (0,) + padding, (0,) + output_padding, \
            (1,) + dilation
    _check_2d_shapes(tuple(input.shape), tuple(weight.shape[2:]), stride, padding, output_padding, dilation)
    if input.dtype is D.bool:
        raise NotImplementedError("\"slow_conv_transpose2d_out_cpu\" not implemented for 'Bool'")
    out = C.conv_transpose2d(input, weight, stride, padding, output_padding, dilation, groups)
    if bias is not None:   # PyTorch adds a bias of another dtype in the input's
        out = out + S.reshape(bias.to(input.dtype), 1, -1, 1, 1)
    if n == 1:
        out = S.squeeze(out, 2)
    return S.squeeze(out, 0) if unbatched else out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution") of ``(N, Cin, H, W)`` (or ``(Cin, H, W)``) with
    ``(Cin, Cout/groups, KH, KW)``: the gradient of :func:`conv2d` with respect to its input. The
    output has ``(H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1`` rows,
    columns alike.

    Args:
        stride, padding, dilation (int or pair): those of the convolution this one transposes.
        output_padding (int or pair): rows and columns added at the end (smaller than the
            stride or the dilation), picking one of the input sizes a strided conv2d maps alike.
        groups (int): splits the channels into groups convolved separately.

    Example::

        >>> F.conv_transpose2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2), stride=2).shape
        pullback.Size([1, 1, 4, 4])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution of ``(N, Cin, L)`` (or ``(Cin, L)``) with ``(Cin, Cout/groups, K)``;
    the arguments as :func:`conv_transpose2d`'s, one value each.

    Example::

        >>> F.conv_transpose1d(torch.ones(1, 1, 3), torch.ones(1, 1, 2))
        tensor([[[1., 2., 2., 1.]]])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def _check_3d_shapes(x_shape, kernel, stride, padding, output_padding, dilation):
    """The checks PyTorch's 3-d transposed convolution kernel makes."""
    if min(dilation) <= 0:
        raise RuntimeError("dilation should be greater than zero, but got dilation_depth: {}, dilation_height: {}, "
                           "dilation_width: {}".format(*dilation))
    if not all(op < s or op < d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           "output_padding_depth: {} output_padding_height: {} output_padding_width: {} "
                           "stride_depth: {} stride_height: {} stride_width: {} dilation_depth: {} "
                           "dilation_height: {} dilation_width: {}".format(*output_padding, *stride, *dilation))
    size = x_shape[-3:]
    out = [(i - 1) * s - 2 * p + d * (k - 1) + 1 + op
           for i, s, p, d, k, op in zip(size, stride, padding, dilation, kernel, output_padding)]
    if min(out) < 1:
        raise RuntimeError("Given input size per channel: ({} x {} x {}). Calculated output size per channel: "
                           "({} x {} x {}). Output size is too small".format(*size, *out))


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution of ``(N, Cin, D, H, W)`` (or ``(Cin, D, H, W)``) with
    ``(Cin, Cout/groups, KD, KH, KW)``: the gradient of :func:`conv3d` with respect to its input;
    the arguments as :func:`conv_transpose2d`'s, three values each.

    Example::

        >>> F.conv_transpose3d(torch.ones(1, 1, 2, 2, 2), torch.ones(1, 1, 2, 2, 2), stride=2).shape
        pullback.Size([1, 1, 4, 4, 4])
    """
    fn = "conv_transpose3d"
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    if input.ndim not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to {fn}, but got input of "
                           f"size: {list(input.shape)}")
    unbatched = input.ndim == 4
    if unbatched:
        input = S.unsqueeze(input, 0)
    stride, padding, output_padding, dilation = _check_transpose(input, weight, bias, stride, padding,
                                                                 output_padding, groups, dilation, fn)
    if weight.ndim != 5:
        raise RuntimeError(f"Expected 5D (batched) input to {fn}, but got input of size: {list(input.shape)}")
    _check_3d_shapes(tuple(input.shape), tuple(weight.shape[2:]), stride, padding, output_padding, dilation)
    if not (input.dtype.is_floating_point or input.dtype is D.int64):
        raise NotImplementedError(f"\"slow_conv_transpose3d_out_cpu\" not implemented for "
                                  f"'{input.dtype._tensor_type[:-6]}'")
    out = C.conv_transpose3d(input, weight, stride, padding, output_padding, dilation, groups)
    if bias is not None:
        out = out + S.reshape(bias.to(input.dtype), 1, -1, 1, 1, 1)
    return S.squeeze(out, 0) if unbatched else out
