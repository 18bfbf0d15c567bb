"""nn.functional's 1-d pools, adaptive max pools and power-average (LP) pools.

Each is a composite: a 1-d pool is the 2-d pool (``_ops/pooling.py``) of an ``(N, C, 1, L)``
view, adaptive max pooling a gather of the input at the indices ``adaptive_max_pool2d_indices``
finds, and an LP pool an average pool of ``x ** p``. Gradients, JVPs and batching rules of every
order come from those parts. The argument checks are PyTorch's, in its order, with its messages
(its 1-d pools check differently from the 2-d ones they run, and differently with and without
``return_indices``).
"""
from .. import _dtype as D
from .._tensor import Tensor
from .._ops import pooling as P
from .._ops import shape as S
from .._ops.indexing import take_along, getitem
from .._ops import nn as N
from .._creation import arange
from .._backend import B


def _check(input, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _one_int(value, fn, name, position, *, parsed_as=None, optional=False):
    """A 1-d pooling argument as one int (None for an omitted or empty ``stride``), with the
    messages of PyTorch's ``check1d``."""
    if value is None and optional:
        return None
    values = P.int_tuple(value, parsed_as or fn, name, position)
    if optional and not values:
        return None
    if len(values) != 1:
        raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got {len(values)})")
    return values[0]


def _check_2_to_3_dims(input, fn):
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {fn})")


def _row(input):
    """The ``(N, C, 1, L)`` (or ``(C, 1, L)``) view a 1-d pool pools in 2-d."""
    return S.unsqueeze(input, -2)


# ------------------------------------------------------------------ max_pool1d
_MAX1D_SIZES = {"kernel_size": "must be an int, list of ints or tuple of ints",
                "stride": "must be None, an int, list of ints, or tuple of ints",
                "padding": "must be an int, list of ints, or tuple of ints",
                "dilation": "must be an int, list of ints or tuple of ints"}


def _max_pool1d_args(input, kernel_size, stride, padding, dilation, ceil_mode):
    """max_pool1d's own checks (without ``return_indices``): kernel, stride, padding, dilation and
    the output length."""
    shape = tuple(input.shape)
    values = {}
    for position, (name, value) in enumerate((("kernel_size", kernel_size), ("stride", stride),
                                              ("padding", padding), ("dilation", dilation)), 2):
        values[name] = None if value is None else P.int_tuple(value, "max_pool1d", name, position)
    if input.ndim not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(shape)}")
    for name, v in values.items():
        if v is not None and len(v) != 1 and not (name == "stride" and not v):
            raise RuntimeError(f"max_pool1d() {name} {_MAX1D_SIZES[name]} of size 1 but got size {len(v)}")
    k = values["kernel_size"][0]
    s = k if not values["stride"] else values["stride"][0]
    p, d = values["padding"][0], values["dilation"][0]
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = P.pool_out_size(shape[-1], k, s, p, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    return k, s, p, d, out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each window of a ``(N, C, L)`` or ``(C, L)`` input.

    Args:
        input (Tensor): the input (floating point; any real dtype with ``return_indices``).
        kernel_size (int or tuple): the window's length.
        stride (int or tuple, optional): the window's step. Default: ``kernel_size``.
        padding (int or tuple): implicit ``-inf`` padding on each side, at most half the kernel.
        dilation (int or tuple): the step between a window's elements. Default: 1.
        ceil_mode (bool): round the output length up (a last, partial window). Default: False.
        return_indices (bool): also return each maximum's position along ``L``.

    Example::

        >>> F.max_pool1d(torch.tensor([[[1., 3., 2., 5.]]]), 2)
        tensor([[[3., 5.]]])
    """
    if return_indices:
        return _max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    _check(input, "max_pool1d")
    k, s, p, d, out = _max_pool1d_args(input, kernel_size, stride, padding, dilation, ceil_mode)
    if not (input.dtype.is_floating_point):
        raise P.not_implemented_for("max_pool1d_impl", input.dtype)
    params = {"kernel": (1, k), "stride": (1, s), "padding": (0, p), "dilation": (1, d), "out_size": (1, out)}
    return S.squeeze(P.max_pool2d_.bind((_row(input),), params), -2)


def _max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode):
    # PyTorch runs max_pool2d on the (N, C, 1, L) view here, with max_pool2d's checks.
    fn, parsed_as = "max_pool1d", "max_pool1d_with_indices"
    _check(input, parsed_as)
    values = [_one_int(v, fn, name, position, parsed_as=parsed_as, optional=name == "stride") if v is not None
              else None for position, (name, v) in enumerate((("kernel_size", kernel_size), ("stride", stride),
                                                               ("padding", padding), ("dilation", dilation)), 2)]
    _check_2_to_3_dims(input, fn)
    k, s, p, d = values
    kernel, stride, padding, dilation = (1, k), (1, k if s is None else s), (0, p), (1, d)
    row = _row(input)
    out_size = P.pool2d_out_size(tuple(row.shape), kernel, stride, padding, dilation, ceil_mode)
    if input.dtype is D.bool:
        raise P.not_implemented_for("max_pool2d", input.dtype)
    params = {"kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation, "out_size": out_size}
    out = P.max_pool2d_.bind((row,), params)
    indices = P.max_pool2d_indices.bind((row, out), params)
    return S.squeeze(out, -2), S.squeeze(indices, -2)


# ------------------------------------------------------------------ avg_pool1d
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean over each window of a ``(N, C, L)`` or ``(C, L)`` input.

    Args:
        input (Tensor): the input (floating point or int64; integers divide truncating).
        kernel_size (int or tuple): the window's length.
        stride (int or tuple, optional): the window's step. Default: ``kernel_size``.
        padding (int or tuple): implicit zero padding on each side, at most half the kernel.
        ceil_mode (bool): round the output length up (a last, partial window). Default: False.
        count_include_pad (bool): count the padding in each window's divisor. Default: True.

    Example::

        >>> F.avg_pool1d(torch.tensor([[[1., 3., 2., 6.]]]), 2)
        tensor([[[2., 4.]]])
    """
    fn = "avg_pool1d"
    _check(input, fn)
    parsed = [P.int_tuple(v, fn, name, position) if v is not None else None
              for position, (name, v) in enumerate((("kernel_size", kernel_size), ("stride", stride),
                                                    ("padding", padding)), 2)]
    _check_2_to_3_dims(input, fn)
    k = _one_int(parsed[0], fn, "kernel_size", 2)
    s = _one_int(parsed[1], fn, "stride", 3, optional=True)
    p = _one_int(parsed[2], fn, "padding", 4)
    kernel, stride, padding = (1, k), (1, k if s is None else s), (0, p)
    row = _row(input)
    out_size = P.pool2d_out_size(tuple(row.shape), kernel, stride, padding, (1, 1), ceil_mode)
    if not (input.dtype.is_floating_point or input.dtype is D.int64):
        raise P.not_implemented_for("avg_pool2d", input.dtype)
    divisor = P.avg_pool_divisors(tuple(row.shape[-2:]), kernel, stride, padding, out_size, count_include_pad, None)
    out = P.avg_pool2d_.bind((row,), {"kernel": kernel, "stride": stride, "padding": padding, "out_size": out_size,
                                      "divisor": divisor})
    return S.squeeze(out, -2)


# ------------------------------------------------------------------ adaptive pools
def adaptive_avg_pool1d(input, output_size):
    """Averages each row of a ``(N, C, L)`` or ``(C, L)`` input into ``output_size`` cells; cell i
    covers ``[floor(i * L / out), ceil((i + 1) * L / out))``.

    Example::

        >>> F.adaptive_avg_pool1d(torch.tensor([[1., 2., 3., 4., 5.]]), 2)
        tensor([[2.0000, 4.0000]])
    """
    from .functional import adaptive_avg_pool2d
    fn = "adaptive_avg_pool1d"
    _check(input, fn)
    size = P.int_tuple(output_size, fn, "output_size", 2)
    _check_2_to_3_dims(input, fn)
    out = _one_int(size, fn, "output_size", 2)
    return S.squeeze(adaptive_avg_pool2d(_row(input), (1, out)), -2)


def _adaptive_max_pool(input, size, fn):
    """The pooled values and indices of an adaptive max pool of the last two dims into ``size``,
    after the checks PyTorch's adaptive_max_pool2d makes past its arguments' parsing."""
    shape = tuple(input.shape)
    if min(size) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(shape[:-2] + tuple(size))}")
    if not input.dtype.is_floating_point:
        raise P.not_implemented_for("adaptive_max_pool2d", input.dtype)
    bounds = (P.adaptive_bounds(shape[-2], size[0]), P.adaptive_bounds(shape[-1], size[1]))
    indices = P.adaptive_max_pool2d_indices.bind((input,), {"bounds": bounds})
    lead = shape[:-2]
    flat = S.reshape(input, *lead, shape[-2] * shape[-1])
    gathered = take_along(flat, S.reshape(indices, *lead, size[0] * size[1]), axis=len(lead))
    return S.reshape(gathered, *lead, *size), indices


def _non_batch_dims_nonempty(shape, fn):
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(shape)} with dimension {i} being empty")


def _adaptive_output_size(input, output_size, fn, n):
    """An adaptive pool's ``output_size`` read as torch reads it (None keeps the input's size; one
    int stands for ``n``), with the input's shape."""
    shape = tuple(input.shape)
    if isinstance(output_size, (tuple, list)):
        if len(shape) <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        output_size = [shape[i - len(output_size)] if v is None else v for i, v in enumerate(output_size)]
    elif not P.is_int(output_size):
        raise TypeError(f"object of type '{type(output_size).__name__}' has no len()")
    size = P.int_tuple(output_size, fn, "output_size", 2)
    return shape, size * n if len(size) == 1 and P.is_int(output_size) else size


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """The maximum of each of ``output_size`` cells of each plane of a ``(N, C, H, W)`` or
    ``(C, H, W)`` input; cell i covers rows ``[floor(i * H / OH), ceil((i + 1) * H / OH))``,
    columns alike.

    Args:
        input (Tensor): the input (floating point).
        output_size (int or tuple): (OH, OW); None keeps that dim's size.
        return_indices (bool): also return each maximum's flat position in its ``H * W`` plane.

    Example::

        >>> F.adaptive_max_pool2d(torch.arange(9.).reshape(1, 3, 3), 2)
        tensor([[[4., 5.],
                 [7., 8.]]])
    """
    fn = "adaptive_max_pool2d"
    _check(input, fn)
    shape, size = _adaptive_output_size(input, output_size, fn, 2)
    if len(size) != 2:
        raise RuntimeError(f"{fn}(): internal error: output_size.size() must be 2")
    if len(shape) not in (3, 4):
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got: {list(shape)}")
    _non_batch_dims_nonempty(shape, fn)
    out, indices = _adaptive_max_pool(input, size, fn)
    return (out, indices) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """The maximum of each of ``output_size`` cells of each row of a ``(N, C, L)`` or ``(C, L)``
    input; cell i covers ``[floor(i * L / out), ceil((i + 1) * L / out))``.

    Args:
        return_indices (bool): also return each maximum's position along ``L``.

    Example::

        >>> F.adaptive_max_pool1d(torch.tensor([[1., 5., 3., 4., 2.]]), 2)
        tensor([[5., 4.]])
    """
    fn = "adaptive_max_pool1d"
    _check(input, fn)
    size = P.int_tuple(output_size, fn, "output_size", 2)
    _check_2_to_3_dims(input, fn)
    n = _one_int(size, fn, "output_size", 2)
    _non_batch_dims_nonempty(tuple(input.shape), fn)
    out, indices = _adaptive_max_pool(_row(input), (1, n), fn)
    out, indices = S.squeeze(out, -2), S.squeeze(indices, -2)
    return (out, indices) if return_indices else out


# ------------------------------------------------------------------ power-average pools
def _signed(norm_type, x):
    return x if norm_type > 0 else -x


def _lp_root(total_mean, norm_type, window):
    # sign(m) * relu(|m|) equals m, but its derivative at m == 0 is 0, not 1: PyTorch's gradient
    # of a window that sums to zero.
    return (total_mean.sign() * total_mean.abs().relu()).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over each window of x ** p) ** (1 / p)`` over a ``(N, C, L)`` or ``(C, L)`` input
    (``p = norm_type``; a partial window of ``ceil_mode`` is scaled up to a whole one's size;
    ``p = inf`` the largest magnitude, ``-inf`` the smallest).

    Example::

        >>> F.lp_pool1d(torch.tensor([[[3., 4., 1., 0.]]]), 2, 2)
        tensor([[[5., 1.]]])
    """
    # p = +-inf: the largest or smallest magnitude
    if isinstance(norm_type, (int, float)) and norm_type in (float("inf"), -float("inf")):
        return _signed(norm_type, max_pool1d(_signed(norm_type, input.abs()), kernel_size, stride, 0, 1, ceil_mode))
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    if not P.is_int(kernel_size):
        raise TypeError(f"mul(): argument 'other' (position 1) must be Tensor, not {type(kernel_size).__name__}")
    return _lp_root(out, norm_type, kernel_size)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over each window of x ** p) ** (1 / p)`` over a ``(N, C, H, W)`` or ``(C, H, W)``
    input (``p = norm_type``; a partial window of ``ceil_mode`` is scaled up to a whole one's
    size; ``p = inf`` the largest magnitude, ``-inf`` the smallest).

    Example::

        >>> F.lp_pool2d(torch.tensor([[[3., 4.], [0., 0.]]]), 2, 2)
        tensor([[[5.]]])
    """
    from .functional import avg_pool2d, max_pool2d
    kh, kw = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    if isinstance(norm_type, (int, float)) and norm_type in (float("inf"), -float("inf")):
        return _signed(norm_type, max_pool2d(_signed(norm_type, input.abs()), kernel_size, stride, 0, 1, ceil_mode))
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_root(out, norm_type, kh * kw)


# ------------------------------------------------------------------ 3-d adaptive average pooling
def adaptive_avg_pool3d(input, output_size):
    """Averages each ``(D, H, W)`` volume of a ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input into
    ``output_size`` cells, each dim split as :func:`adaptive_avg_pool2d` splits its two. The mean
    is separable: the 2-d adaptive pool of each ``(H, W)`` plane, then of the ``D`` rows of those.

    Example::

        >>> F.adaptive_avg_pool3d(torch.arange(8.).reshape(1, 2, 2, 2), 1)
        tensor([[[[3.5000]]]])
    """
    from .._ops import functions as F
    fn = "adaptive_avg_pool3d"
    _check(input, fn)
    shape, size = _adaptive_output_size(input, output_size, fn, 3)
    if len(size) != 3:
        raise RuntimeError(f"{fn}: output_size must be 3")
    if min(size) < 0:
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{size[0]}, {size[1]},{size[2]}}}")
    if len(shape) not in (4, 5):
        raise RuntimeError(f"{fn}(): Expected 4D or 5D tensor, but got {list(shape)}")
    if size == (1, 1, 1):  # as PyTorch: a global mean, before the size and dtype checks
        return F.mean(input, (-3, -2, -1), keepdim=True)
    _non_batch_dims_nonempty(shape, fn)
    if not input.dtype.is_floating_point:
        raise P.not_implemented_for("adaptive_avg_pool3d_cpu", input.dtype)
    od, oh, ow = size
    planes = P.adaptive_avg_pool2d_.bind((input,), {"bounds": (P.adaptive_bounds(shape[-2], oh),
                                                               P.adaptive_bounds(shape[-1], ow))})
    lead = shape[:-3]
    rows = S.reshape(planes, *lead, shape[-3], oh * ow)
    out = P.adaptive_avg_pool2d_.bind((rows,), {"bounds": (P.adaptive_bounds(shape[-3], od),
                                                           P.adaptive_bounds(oh * ow, oh * ow))})
    return S.reshape(out, *lead, od, oh, ow)


# ------------------------------------------------------------------ 3-d average pooling
_TRIPLE_RULES = {"kernel_size": "must be a single int, or a tuple of three ints",
                 "stride": "must be omitted, a single int, or a tuple of three ints",
                 "padding": "must be a single int, or a tuple of three ints"}


def _triple(value, name, position):
    if value is None and name == "stride":
        return None
    values = P.int_tuple(value, "avg_pool3d", name, position)
    if len(values) == 1:
        return values * 3
    if not values and name == "stride":
        return None
    if len(values) != 3:
        raise RuntimeError(f"avg_pool3d: {name} {_TRIPLE_RULES[name]}")
    return values


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean over each window of a ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input; the arguments
    as :func:`avg_pool2d`'s, three values each. A composite: the window sums of each ``(H, W)``
    plane (the 2-d pool), then of the ``D`` rows of those, divided once by the 3-d divisor.

    Example::

        >>> F.avg_pool3d(torch.arange(8.).reshape(1, 2, 2, 2), 2)
        tensor([[[[3.5000]]]])
    """
    kernel, stride, padding = (_triple(v, name, i) for i, (name, v) in
                               enumerate((("kernel_size", kernel_size), ("stride", stride), ("padding", padding)), 2))
    stride = kernel if stride is None else stride
    if divisor_override is not None and not P.is_int(divisor_override):
        raise TypeError(f"avg_pool3d(): argument 'divisor_override' must be int, not {type(divisor_override).__name__}")
    if divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check(input, "avg_pool3d")
    shape = tuple(input.shape)
    if input.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    out = []
    for k, s, p, n in zip(kernel, stride, padding, shape[-3:]):
        if s == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > k // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation=1")
        out.append(P.pool_out_size(n, k, s, p, 1, ceil_mode))
    if 0 in shape[1:] or (input.ndim == 4 and shape[0] == 0):
        raise RuntimeError("avg_pool3d(): Expected input's non-batch dimensions to have positive length, but input "
                           f"has a shape of {list(shape)} and non-batch dimension 0 has length zero!")
    if any(n < k for n, k in zip(shape[-3:], kernel)):
        (t, h, w), (kt, kh, kw) = shape[-3:], kernel
        raise RuntimeError(f"input image (T: {t} H: {h} W: {w}) smaller than kernel size (kT: {kt} kH: {kh} kW: {kw})")
    if min(out) < 1:
        c, (t, h, w) = shape[-4], shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{t}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")
    if not (input.dtype.is_floating_point or input.dtype is D.int64):
        raise P.not_implemented_for("avg_pool3d_out_frame", input.dtype)
    od, oh, ow = out
    # The sums of each plane's windows (divisor 1), then of the depth windows of those, divided
    # by the 3-d divisor: the product of the depth and the plane divisors, or divisor_override.
    plane_divisor = P.avg_pool_divisors(shape[-2:], kernel[1:], stride[1:], padding[1:], (oh, ow),
                                        count_include_pad, divisor_override)
    depth_divisor = P.avg_pool_divisors((shape[-3], 1), (kernel[0], 1), (stride[0], 1), (padding[0], 0), (od, 1),
                                        count_include_pad, None if divisor_override is None else 1)
    divisor = (depth_divisor * plane_divisor.reshape(1, -1)).astype(B.int64)
    sums = P.avg_pool2d_.bind((input,), {"kernel": kernel[1:], "stride": stride[1:], "padding": padding[1:],
                                         "out_size": (oh, ow), "divisor": B.ones((oh, ow), dtype=B.int64)})
    lead = shape[:-3]
    rows = S.reshape(sums, *lead, shape[-3], oh * ow)
    pooled = P.avg_pool2d_.bind((rows,), {"kernel": (kernel[0], 1), "stride": (stride[0], 1),
                                          "padding": (padding[0], 0), "out_size": (od, oh * ow), "divisor": divisor})
    return S.reshape(pooled, *lead, od, oh, ow)


# ------------------------------------------------------------------ 3-d max pooling
_MAX3D_RULES = {"kernel_size": "must either be a single int, or a tuple of three ints",
                "stride": "must either be omitted, a single int, or a tuple of three ints",
                "padding": "must either be a single int, or a tuple of three ints",
                "dilation": "must be either a single int, or a tuple of three ints"}


def _max_pool3d_args(input, kernel_size, stride, padding, dilation, ceil_mode, fn):
    """max_pool3d's kernel, stride, padding, dilation and output size, after PyTorch's checks."""
    parsed = {}
    for position, (name, value) in enumerate((("kernel_size", kernel_size), ("stride", stride),
                                              ("padding", padding), ("dilation", dilation)), 2):
        if value is None and name == "stride":
            parsed[name] = None
            continue
        values = P.int_tuple(value, fn, name, position)
        if len(values) == 1:
            values = values * 3
        elif not values and name == "stride":
            values = None
        elif len(values) != 3:
            raise RuntimeError(f"max_pool3d: {name} {_MAX3D_RULES[name]}")
        parsed[name] = values
    kernel, padding, dilation = parsed["kernel_size"], parsed["padding"], parsed["dilation"]
    stride = kernel if parsed["stride"] is None else parsed["stride"]
    shape = tuple(input.shape)
    if input.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    out = []
    for k, s, p, d, n in zip(kernel, stride, padding, dilation, shape[-3:]):
        if s == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > int(((k - 1) * d + 1) / 2):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
        out.append(P.pool_out_size(n, k, s, p, d, ceil_mode))
    if min(dilation) <= 0:
        raise RuntimeError("dilation should be greater than zero, but got dilationT: {} dilationH: {} "
                           "dilationW: {}".format(*dilation))
    if 0 in shape[1:] or (input.ndim == 4 and shape[0] == 0):
        raise RuntimeError("max_pool3d_with_indices_out_cpu_template(): Expected input's non-batch dimensions to "
                           f"have positive length, but input has a shape of {list(shape)} and non-batch dimension 0 "
                           "has length zero!")
    if min(out) < 1:
        c, (t, h, w) = shape[-4], shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{t}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")
    return kernel, stride, padding, dilation, tuple(out)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each window of a ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input; the
    arguments as :func:`max_pool2d`'s, three values each (indices: flat positions in the
    ``D * H * W`` volume). A composite: for each kernel depth, the 2-d max pool of the depth
    slices it meets; then the maximum over the kernel depths (the first, on a tie, as PyTorch
    scans the window depth first).

    Example::

        >>> F.max_pool3d(torch.arange(8.).reshape(1, 2, 2, 2), 2)
        tensor([[[[7.]]]])
    """
    fn = "max_pool3d_with_indices" if return_indices else "max_pool3d"
    _check(input, fn)
    kernel, stride, padding, dilation, (od, oh, ow) = _max_pool3d_args(input, kernel_size, stride, padding,
                                                                       dilation, ceil_mode, fn)
    if input.dtype is D.bool:
        raise P.not_implemented_for("max_pool3d", input.dtype)
    shape = tuple(input.shape)
    (kd, _, _), (sd, _, _), (pd, _, _), (dd, _, _) = kernel, stride, padding, dilation
    end = pd + P._extra_end_padding(shape[-3], od, kd, sd, pd, dd)
    x = input
    if pd or end:   # depths outside the input never win: they hold the lowest value
        widths = ((0, 0),) * (input.ndim - 3) + ((pd, end), (0, 0), (0, 0))
        x = N.pad_.bind((x,), {"widths": widths, "value": P._lowest(input._data.dtype)})
    params = {"kernel": kernel[1:], "stride": stride[1:], "padding": padding[1:], "dilation": dilation[1:],
              "out_size": (oh, ow)}
    depth = (Ellipsis, slice(None), slice(None))
    slices = [getitem(x, index=(Ellipsis, slice(i * dd, i * dd + sd * (od - 1) + 1, sd)) + depth[1:], basic=True)
              for i in range(kd)]                                                       # (..., OD, H, W)
    pooled = [P.max_pool2d_.bind((s,), params) for s in slices]                         # (..., OD, OH, OW)
    stacked = S.stack(pooled, 0).detach()
    which = stacked.argmax(0)                      # the first maximum over the kernel depths
    if input.dtype.is_floating_point:              # but a NaN wins, the last one as PyTorch scans
        nan = stacked.isnan()
        last_nan = (kd - 1) - nan.flip(0).to(D.int64).argmax(0)
        which = last_nan.where(nan.any(0), which)
    out = take_along(S.stack(pooled, 0), S.unsqueeze(which, 0), axis=0)[0]
    if not return_indices:
        return out
    # The flat position of each maximum: its depth (od * sd - pd + which * dd) and its position in
    # that depth's plane (the 2-d pool's index).
    h, w = shape[-2:]
    planes = S.stack([P.max_pool2d_indices.bind((s, p), params) for s, p in zip(slices, pooled)], 0)
    plane_index = take_along(planes, S.unsqueeze(which, 0), axis=0)[0]
    starts = arange(od, dtype=D.int64).reshape(od, 1, 1) * sd - pd
    return out, (starts + which * dd) * (h * w) + plane_index


# ------------------------------------------------------------------ 3-d adaptive max pooling
def adaptive_max_pool3d(input, output_size, return_indices=False):
    """The maximum of each of ``output_size`` cells of each volume of a ``(N, C, D, H, W)`` or
    ``(C, D, H, W)`` input, each dim split as :func:`adaptive_max_pool2d` splits its two. A
    gather of the input at the maxima ``adaptive_max_pool3d_indices`` finds.

    Args:
        input (Tensor): the input (floating point).
        output_size (int or tuple): (OD, OH, OW); None keeps that dim's size.
        return_indices (bool): also return each maximum's flat position in its ``D * H * W`` volume.

    Example::

        >>> F.adaptive_max_pool3d(torch.arange(8.).reshape(1, 2, 2, 2), 1)
        tensor([[[[7.]]]])
    """
    fn = "adaptive_max_pool3d"
    _check(input, fn)
    shape, size = _adaptive_output_size(input, output_size, fn, 3)
    if len(size) != 3:
        raise RuntimeError(f"{fn}(): internal error: output_size.size() must be 3")
    if len(shape) not in (4, 5):
        raise RuntimeError(f"{fn}(): Expected 4D or 5D tensor, but got: {list(shape)}")
    _non_batch_dims_nonempty(shape, fn)
    if min(size) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(shape[:-3] + tuple(size))}")
    if not input.dtype.is_floating_point:
        raise P.not_implemented_for("adaptive_max_pool3d_cpu", input.dtype)
    bounds = tuple(P.adaptive_bounds(n, o) for n, o in zip(shape[-3:], size))
    indices = P.adaptive_max_pool3d_indices.bind((input,), {"bounds": bounds})
    lead = shape[:-3]
    flat = S.reshape(input, *lead, shape[-3] * shape[-2] * shape[-1])
    gathered = take_along(flat, S.reshape(indices, *lead, size[0] * size[1] * size[2]), axis=len(lead))
    out = S.reshape(gathered, *lead, *size)
    return (out, indices) if return_indices else out


# ------------------------------------------------------------------ 3-d power-average pooling
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over each window of x ** p) ** (1 / p)`` over a ``(N, C, D, H, W)`` or
    ``(C, D, H, W)`` input (``p = norm_type``; a partial window of ``ceil_mode`` is scaled up to a
    whole one's size; ``p = inf`` the largest magnitude, ``-inf`` the smallest).

    Example::

        >>> F.lp_pool3d(torch.tensor([[[[3., 4.], [0., 0.]]]]), 2, (1, 2, 2))
        tensor([[[[5.]]]])
    """
    if isinstance(kernel_size, (tuple, list)):
        if len(kernel_size) != 3:
            raise ValueError(f"{'not enough' if len(kernel_size) < 3 else 'too many'} values to unpack (expected 3"
                             f"{', got ' + str(len(kernel_size)) if len(kernel_size) < 3 else ''})")
        kd, kh, kw = kernel_size
    else:
        kd = kh = kw = kernel_size
    if isinstance(norm_type, (int, float)) and norm_type in (float("inf"), -float("inf")):
        return _signed(norm_type, max_pool3d(_signed(norm_type, input.abs()), kernel_size, stride, 0, 1, ceil_mode))
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_root(out, norm_type, kd * kh * kw)


# ------------------------------------------------------------------ fractional max pooling
_FRACTIONAL_NAMES = {2: ("fractional_max_pool2d", "fractional_max_pool2d", "a single Int or tuple of Ints"),
                     3: ("fractional_max_pool3d", "fractional_max_pool3d_out", "a single Int or tuple of three Ints")}
_DIM_WORDS = {2: ("height", "width"), 3: ("time", "height", "width")}


def _fractional_ints(value, nd, fn, what, kind):
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(values) not in (1, nd):
        raise RuntimeError(f"{fn}: {what} must either be {kind}")
    return tuple(int(v) for v in values) * (nd if len(values) == 1 else 1)


def _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, nd):
    """Values and indices of fractional max pooling over the last ``nd`` dims, after torch's
    checks in torch's order; the window starts come from ``_random_samples`` (drawn with
    pullback.rand when None), the values are a gather at the maxima."""
    fn, cfn, kind = _FRACTIONAL_NAMES[nd]
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    _check(input, fn)
    shape = tuple(input.shape)
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:
            raise ValueError(f"{fn} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        if len(shape) < nd:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-max(len(shape), 1)}, "
                             f"{max(len(shape), 1) - 1}], but got {-nd})")
        output_size = [int(shape[d - nd] * ratio[d]) for d in range(nd)]
    if _random_samples is None:
        if len(shape) < nd + 1:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-max(len(shape), 1)}, "
                             f"{max(len(shape), 1) - 1}], but got {-nd - 1})")
        from .. import _creation
        n_batch = 1 if len(shape) == nd + 1 else shape[0]
        _random_samples = _creation.rand(n_batch, shape[-nd - 1], nd, dtype=input.dtype)
    kernel = _fractional_ints(kernel_size, nd, fn, "kernel_size", kind)
    size = _fractional_ints(output_size, nd, fn, "output_size", kind)
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"{cfn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(shape)}")
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"{cfn}(): Expected input to have non-zero size for non-batch dimensions, but got"
                               f"{list(shape)} with dimension {i} being empty.")
    for word, n, o, k in zip(_DIM_WORDS[nd], shape[-nd:], size, kernel):
        if (o + k - 1 > n) if nd == 2 else (o + k - 1 >= n):
            raise RuntimeError(f"{cfn}(): pool {word} {k} too large relative to input {word} {n}")
    if min(size) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(shape[:-nd] + tuple(size))}")
    samples = _random_samples
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.dim()}")
    if samples.shape[1] != shape[-nd - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {samples.shape[2]}.")
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if not input.dtype.is_floating_point:
        raise P.not_implemented_for(f"{cfn}_frame" if nd == 3 else f"{fn}_out_frame", input.dtype)
    n_batch = 1 if len(shape) == nd + 1 else shape[0]
    if samples.shape[0] < n_batch:
        raise RuntimeError(f"Expect _random_samples.size(0) to be at least {n_batch}, got {samples.shape[0]}")
    samples = samples.detach()[:n_batch]
    if len(shape) == nd + 1:
        samples = samples[0]
    columns = (1, 0) if nd == 2 else (0, 1, 2)   # torch's: the 2-d samples are (width, height)
    indices = P.fractional_max_pool_indices.bind((input, samples),
                                                 {"out_size": size, "kernel": kernel, "columns": columns})
    lead = shape[:-nd]
    count, plane = 1, 1
    for o, n in zip(size, shape[-nd:]):
        count, plane = count * o, plane * n
    flat = S.reshape(input, *lead, plane)
    gathered = take_along(flat, S.reshape(indices, *lead, count), axis=len(lead))
    return S.reshape(gathered, *lead, *size), indices


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """2-d fractional max pooling (Graham, 2014) of a ``(N, C, H, W)`` or ``(C, H, W)`` input:
    the maximum over ``kernel_size`` windows whose starts step pseudo-randomly so that
    ``output_size`` (or ``output_ratio`` of the input's size) windows cover each dim.

    Args:
        input (Tensor): the input (floating point).
        kernel_size (int or tuple): (kH, kW).
        output_size (int or tuple): (oH, oW); needs ``oH + kH - 1 <= H``, width alike.
        output_ratio (float or tuple): the output's size as a fraction of the input's.
        return_indices (bool): also return each maximum's flat position in its ``H * W`` plane.
        _random_samples (Tensor): ``(N, C, 2)`` samples in [0, 1) (input's dtype) placing the
            windows (width, then height); drawn with :func:`pullback.rand` when None.

    Example::

        >>> u = torch.tensor([[[0.5, 0.5]]])
        >>> F.fractional_max_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2, output_size=2, _random_samples=u)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    out, indices = _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 2)
    return (out, indices) if return_indices else out


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """3-d fractional max pooling of a ``(N, C, T, H, W)`` or ``(C, T, H, W)`` input, each dim's
    windows placed as :func:`fractional_max_pool2d` places them (needs ``oT + kT - 1 < T``, the
    other dims alike; the ``(N, C, 3)`` samples are in time, height, width order).

    Example::

        >>> u = torch.full((1, 1, 3), 0.5)
        >>> F.fractional_max_pool3d(torch.arange(27.).reshape(1, 1, 3, 3, 3), 2, output_size=1, _random_samples=u)
        tensor([[[[[26.]]]]])
    """
    out, indices = _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 3)
    return (out, indices) if return_indices else out
