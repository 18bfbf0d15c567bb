"""nn.functional's resampling: interpolate (and the deprecated upsample functions), pixel and
channel shuffles, grid_sample and affine_grid, max_unpool.

Every function is a composite of existing primitives, so gradients of every order, JVPs and
batching rules come from those parts:

- interpolate is separable: along each spatial dim in turn, a gather of the input at index arrays
  computed from the shapes alone (``getitem`` with a static advanced index) and, for the
  interpolating modes, a sum of those gathers weighted by constant arrays (two taps for linear,
  four for cubic); ``area`` is an adaptive average pool. The indices and weights are computed in
  the precision PyTorch's CPU kernels compute them (float32 for float32 inputs), so the same
  source pixels are picked;
- the shuffles are reshapes and permutes;
- grid_sample gathers at indices computed from the grid's values (tensor ops: the indices are
  constant for the derivative, the weights are not, so the grid gets its gradient);
- max_unpool writes the input at the indices into zeros (``index_put``; its gradient is the gather
  at those indices, as PyTorch's).
"""
import math
import warnings

from .._backend import B
from .. import _dtype as D
from .._tensor import Tensor
from .._ops import shape as S
from .._ops import elementwise as E
from .._ops import pooling as P
from .._ops.indexing import getitem, take_along


def _check(input, fn, name="input", position=1):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {type(input).__name__}")


def _constant(array):
    return Tensor._make(B.ascontiguousarray(array))


def _compute_dtype(dtype):
    """The precision PyTorch's CPU kernels compute indices and weights in (its opmath type)."""
    return B.float64 if dtype is D.float64 else B.float32


# ------------------------------------------------------------------ interpolate: sizes and checks
_MODES_TEXT = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_NEEDS = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _is_integer(x):
    return isinstance(x, int) and not isinstance(x, bool) or (isinstance(x, Tensor) and x.ndim == 0
                                                               and not x.dtype.is_floating_point)


def _sizes(input, size, scale_factor, mode, recompute_scale_factor):
    """(output size, scale factors or None) as F.interpolate reads its arguments."""
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input with "
                                 f"spatial dimensions of {list(input.shape[2:])} and output size of {size}. Please "
                                 "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                                 "...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, "
                                f"int], but got size with types {[type(x) for x in size]}")
            out = [int(x) for x in size]
        else:
            if not _is_integer(size):
                raise TypeError(f"upsample(): argument 'output_size' must be tuple of ints, but found element of "
                                f"type {type(size).__name__} at pos 0")
            out = [int(size)] * dim
    elif scale_factor is not None:
        out = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if out is None:
        # The output size is the truncated product (PyTorch's C++ and its Python recompute path alike);
        # recompute_scale_factor (always, for area) then forgets the scales.
        out = [int(n * s) for n, s in zip(input.shape[2:], scales)]
        if recompute_scale_factor or mode == "area":
            scales = None
    return out, scales


def _check_sizes(input, out):
    shape = tuple(input.shape)
    spatial = shape[2:]
    if min(spatial) > 0 and min(out) > 0 and any(n == 0 for n in shape[1:2]):
        raise RuntimeError(f"Non-empty {input.ndim}D data tensor expected but got a tensor with sizes {list(shape)}")
    if min(spatial) <= 0 or min(out) <= 0:
        names = "DHW"[3 - len(out):]
        given = ", ".join(f"{n}: {v}" for n, v in zip(names, spatial))
        wanted = ", ".join(f"{n}: {v}" for n, v in zip(names, out))
        joint = " and output " if len(out) == 1 else " output "
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({given}){joint}({wanted})")


def _kernel_dtype_check(input, mode):
    name = input.dtype
    if name.is_floating_point:
        return
    kernel = {"nearest": "compute_indices_weights_nearest", "nearest-exact": "compute_indices_weights_nearest",
              "linear": "compute_indices_weights_linear", "trilinear": "compute_indices_weights_linear",
              "bilinear": "upsample_bilinear2d_channels_last", "bicubic": "compute_indices_weights_cubic",
              "area": "adaptive_avg_pool2d"}[mode]
    if name is D.uint8 and mode in ("nearest", "nearest-exact"):
        return
    if name is D.uint8 and mode in ("bilinear", "bicubic"):
        # PyTorch runs these in fixed point with its own rounding; not reproduced here.
        raise NotImplementedError(f"interpolate(): mode '{mode}' on uint8 inputs is not supported by pullback")
    raise P.not_implemented_for(kernel, name)


# ------------------------------------------------------------------ interpolate: indices and weights
def _inverse_scale(scale, n_in, n_out, ft):
    """PyTorch's compute_scales_value: 1 / scale where a positive scale was given, else in / out."""
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(n_in) / ft(n_out)


def _nearest_indices(n_in, n_out, scale, exact):
    if not exact and n_out == n_in:
        return B.arange(n_out)
    if not exact and n_out == 2 * n_in:
        return B.arange(n_out) >> 1
    # PyTorch computes these in float32 whatever the input's dtype.
    s = _inverse_scale(scale, n_in, n_out, B.float32)
    dst = B.arange(n_out, dtype=B.float32) + (B.float32(0.5) if exact else B.float32(0))
    return B.minimum(B.floor(dst * s).astype(B.int64), n_in - 1)


def _source(n_in, n_out, align_corners, scale, ft, cubic):
    """The real source coordinate of each output position (area_pixel_compute_source_index)."""
    dst = B.arange(n_out, dtype=ft)
    if align_corners:
        s = ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
        return s * dst
    s = _inverse_scale(scale, n_in, n_out, ft)
    src = s * (dst + ft(0.5)) - ft(0.5)
    return src if cubic else B.maximum(src, ft(0))


def _linear_taps(n_in, n_out, align_corners, scale, ft):
    """The two source indices and weights of each output position along one dim."""
    if n_in == n_out:
        i = B.arange(n_out)
        return [(i, B.ones(n_out, dtype=ft))]
    src = _source(n_in, n_out, align_corners, scale, ft, cubic=False)
    i0 = B.minimum(B.floor(src).astype(B.int64), n_in - 1)
    l1 = B.clip(src - i0.astype(ft), ft(0), ft(1))
    i1 = i0 + (i0 < n_in - 1)
    return [(i0, ft(1) - l1), (i1, l1)]


def _cubic_taps(n_in, n_out, align_corners, scale, ft):
    """The four source indices (clamped to the input) and cubic-convolution weights (A = -0.75)
    of each output position along one dim."""
    src = _source(n_in, n_out, align_corners, scale, ft, cubic=True)
    i = B.floor(src).astype(B.int64)
    t = src - i.astype(ft)
    a = ft(-0.75)

    def near(x):   # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):    # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return [(B.clip(i - 1 + k, 0, n_in - 1), w) for k, w in enumerate(weights)]


def _along(x, axis, index):
    """``x`` gathered at the static integer array ``index`` along ``axis`` (counted from the end)."""
    return getitem(x, index=(Ellipsis, B.asarray(index, dtype=B.int64)) + (slice(None),) * (-axis - 1), basic=False)


def _weighted(x, axis, taps):
    """``sum_k w_k * x[idx_k]`` along ``axis`` (counted from the end)."""
    out = None
    for index, weight in taps:
        w = _constant(weight.astype(x._data.dtype).reshape((-1,) + (1,) * (-axis - 1)))
        term = _along(x, axis, index) * w
        out = term if out is None else out + term
    return out


def _separable(input, out, scales, mode, align_corners):
    x = input
    n = len(out)
    ft = _compute_dtype(input.dtype)
    for k in range(n):
        axis = k - n
        n_in, n_out = input.shape[axis], out[k]
        scale = None if scales is None else scales[k]
        if mode in ("nearest", "nearest-exact"):
            x = _along(x, axis, _nearest_indices(n_in, n_out, scale, mode == "nearest-exact"))
        elif mode == "bicubic":
            x = _weighted(x, axis, _cubic_taps(n_in, n_out, align_corners, scale, ft))
        else:
            x = _weighted(x, axis, _linear_taps(n_in, n_out, align_corners, scale, ft))
    return x


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resamples the spatial dims of a ``(N, C, d1, ..., dK)`` input (K = 1, 2 or 3) to ``size``
    or by ``scale_factor``.

    Args:
        input (Tensor): the input.
        size (int or tuple of ints, optional): the output's spatial size.
        scale_factor (float or tuple of floats, optional): the multiplier of each spatial size.
        mode (str): ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D), ``'bilinear'``,
            ``'bicubic'`` (4-D), ``'trilinear'`` (5-D) or ``'area'``. Default: ``'nearest'``.
        align_corners (bool, optional): for the interpolating modes, whether the corner pixels'
            centres of the input and output coincide. Default: False.
        recompute_scale_factor (bool, optional): compute the scales from the output size rather
            than use ``scale_factor`` in the interpolation.
        antialias (bool): not supported (pullback raises NotImplementedError).

    Example::

        >>> F.interpolate(torch.tensor([[[1., 2.]]]), scale_factor=2, mode='linear')
        tensor([[[1.0000, 1.2500, 1.7500, 2.0000]]])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                             "bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if not isinstance(input, Tensor):
        raise AttributeError(f"'{type(input).__name__}' object has no attribute 'dim'")
    out, scales = _sizes(input, size, scale_factor, mode, recompute_scale_factor)
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    ndim = input.ndim
    if mode == "lanczos" and ndim == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    supported = mode in ("nearest", "nearest-exact", "area") and ndim in (3, 4, 5) or _NEEDS.get(mode) == ndim \
        or (mode in ("bicubic", "lanczos") and ndim == 4)
    if not supported:
        if mode in _NEEDS and ndim in (3, 4, 5):
            raise NotImplementedError(f"Got {ndim}D input, but {mode} mode needs {_NEEDS[mode]}D input")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the "
                                  f"modes: {_MODES_TEXT} (got {mode})")
    if antialias:
        raise NotImplementedError(f"interpolate(): antialias=True (mode '{mode}') is not supported by pullback")
    if mode == "area":
        from . import functional as F
        pool = {3: F.adaptive_avg_pool1d, 4: F.adaptive_avg_pool2d, 5: F.adaptive_avg_pool3d}[ndim]
        return pool(input, out if ndim > 3 else out[0])
    _check_sizes(input, out)
    _kernel_dtype_check(input, mode)
    return _separable(input, out, scales, mode, align_corners)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated: :func:`interpolate` (with a warning, as PyTorch's)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: :func:`interpolate` with ``mode='nearest'`` (with a warning, as PyTorch's)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: :func:`interpolate` with ``mode='bilinear'`` and ``align_corners=True`` (with a
    warning, as PyTorch's)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ------------------------------------------------------------------ pixel and channel shuffles
def _int_arg(value, fn, name, position):
    if not P.is_int(value):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be int, not {type(value).__name__}")
    return int(value)


def pixel_shuffle(input, upscale_factor):
    """Rearranges a ``(*, C * r^2, H, W)`` input into ``(*, C, H * r, W * r)`` (``r`` the
    ``upscale_factor``): each group of ``r^2`` channels becomes an ``r x r`` block of pixels.

    Example::

        >>> F.pixel_shuffle(torch.arange(4.).reshape(1, 4, 1, 1), 2)
        tensor([[[[0., 1.],
                  [2., 3.]]]])
    """
    fn = "pixel_shuffle"
    _check(input, fn)
    r = _int_arg(upscale_factor, fn, "upscale_factor", 2)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    x = S.reshape(input, *lead, c // (r * r), r, r, h, w)
    x = S.permute(x, *range(n), n, n + 3, n + 1, n + 4, n + 2)
    return S.reshape(x, *lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of :func:`pixel_shuffle`: ``(*, C, H * r, W * r)`` into ``(*, C * r^2, H, W)``.

    Example::

        >>> F.pixel_unshuffle(torch.arange(4.).reshape(1, 1, 2, 2), 2).flatten()
        tensor([0., 1., 2., 3.])
    """
    fn = "pixel_unshuffle"
    _check(input, fn)
    r = _int_arg(downscale_factor, fn, "downscale_factor", 2)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    n = len(lead)
    x = S.reshape(input, *lead, c, h // r, r, w // r, r)
    x = S.permute(x, *range(n), n, n + 2, n + 4, n + 1, n + 3)
    return S.reshape(x, *lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """Splits the channels (dim 1) of a ``(N, C, *)`` input into ``groups`` groups and interleaves
    them: channel ``g * (C / groups) + k`` moves to ``k * groups + g``.

    Example::

        >>> F.channel_shuffle(torch.arange(4.).reshape(1, 4, 1), 2).flatten()
        tensor([0., 2., 1., 3.])
    """
    fn = "channel_shuffle"
    _check(input, fn)
    g = _int_arg(groups, fn, "groups", 2)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{g}")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    n, c, *rest = input.shape
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")
    x = S.reshape(input, n, g, c // g, *rest)
    return S.reshape(S.transpose(x, 1, 2), n, c, *rest)


# ------------------------------------------------------------------ grid_sample and affine_grid
_GRID_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please "
                 "specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for "
                 "details.")


def _unnormalize(coord, size, align_corners):
    """A grid coordinate in [-1, 1] as a pixel coordinate along a dim of ``size`` pixels."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _clip(x, size):
    # The bounds count as outside: the gradient there is 0, as PyTorch's clip_coordinates_set_grad.
    x = E.where_(x <= 0, x * 0, x)
    return E.where_(x >= size - 1, x * 0 + (size - 1), x)


def _reflect(x, twice_low, twice_high):
    """``x`` reflected into [twice_low / 2, twice_high / 2] by the edges, as often as it takes."""
    if twice_low == twice_high:
        return x * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    distance = (x - low).abs()
    flips = (distance / span).floor().detach()
    extra = distance.fmod(span)
    return E.where_(flips.fmod(2) == 0, extra + low, span - extra + low)


def _pad_coordinate(x, size, padding_mode, align_corners):
    if padding_mode == "border":
        return _clip(x, size)
    if padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
        return _clip(x, size)
    return x


def _gather_points(flat, coords, sizes):
    """The input values at the integer coordinates ``coords`` (one (N, P) float tensor per spatial
    dim, outermost first) of ``flat`` (N, C, prod(sizes)), and the (N, 1, P) mask of those inside."""
    n, c = flat.shape[:2]
    inside, index = None, None
    for coord, size in zip(coords, sizes):
        ok = (coord >= 0) & (coord <= size - 1)
        inside = ok if inside is None else inside & ok
        part = coord.clamp(0, size - 1).to(D.int64)
        index = part if index is None else index * size + part
    points = index.shape[-1]
    index = S.expand(S.unsqueeze(index, 1), n, c, points)
    if type(index) is Tensor:   # not batched by vmap: a constant index (take_along batches only arrays)
        index = index._data
    values = take_along(flat, index, axis=2)
    return values, S.unsqueeze(inside, 1).to(flat.dtype)


def _cubic_weights(t):
    a = -0.75

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _grid_checks(input, grid, mode):
    shape, grid_shape = list(input.shape), list(grid.shape)
    if shape[0] != grid_shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {shape} and grid with sizes {grid_shape}")
    if grid_shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but got "
                           f"grid with sizes {grid_shape}")
    if input.ndim != grid.ndim or input.ndim not in (4, 5):
        raise RuntimeError(f"grid_sampler(): expected {4 if input.ndim == 4 else 5}D input and grid with same number "
                           f"of dimensions, but got input with sizes {shape} and grid with sizes {grid_shape}")
    for i in range(2, input.ndim):
        if shape[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {shape} with dimension {i} being empty")
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"expected scalar type {D.SCALAR_TYPE_NAMES[input.dtype.name]} but found "
                           f"{D.SCALAR_TYPE_NAMES[grid.dtype.name]}")
    if not input.dtype.is_floating_point:
        raise P.not_implemented_for(f"grid_sampler_{input.ndim - 2}d_cpu_kernel_impl" if input.ndim == 4
                                    else "grid_sampler_3d_cpu", input.dtype)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples a ``(N, C, H, W)`` (or ``(N, C, D, H, W)``) input at the points of a
    ``(N, Ho, Wo, 2)`` (or ``(N, Do, Ho, Wo, 3)``) grid of normalized coordinates: ``(-1, -1)`` is
    the top-left corner, ``(1, 1)`` the bottom-right; the last grid dim holds ``(x, y[, z])``.

    Args:
        input (Tensor): the input (floating point).
        grid (Tensor): the sampling points, of the input's dtype.
        mode (str): ``'bilinear'`` (trilinear for 5-D inputs), ``'nearest'`` or ``'bicubic'``
            (4-D only). Default: ``'bilinear'``.
        padding_mode (str): the values outside the input: ``'zeros'``, ``'border'`` (the nearest
            edge's) or ``'reflection'`` (reflected by the edges). Default: ``'zeros'``.
        align_corners (bool, optional): whether -1 and 1 are the centres of the corner pixels
            (True) or their outer edges (False). Default: False (with a warning when left out).

    Example::

        >>> F.grid_sample(torch.arange(4.).reshape(1, 1, 2, 2), torch.zeros(1, 1, 1, 2), align_corners=True)
        tensor([[[[1.5000]]]])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
                         f"but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_GRID_WARNING, stacklevel=2)
        align_corners = False
    _check(input, "grid_sampler")
    _check(grid, "grid_sampler", "grid", 2)
    _grid_checks(input, grid, mode)
    sizes = tuple(input.shape[2:])                       # outermost first: (H, W) or (D, H, W)
    n, c = input.shape[:2]
    out_shape = tuple(grid.shape[1:-1])
    points = math.prod(out_shape)
    flat = S.reshape(input, n, c, math.prod(sizes))
    g = S.reshape(grid, n, points, len(sizes))
    # The grid's last dim is (x, y[, z]): innermost dim first.
    raw = [_unnormalize(getitem(g, index=(Ellipsis, len(sizes) - 1 - k), basic=True), size, align_corners)
           for k, size in enumerate(sizes)]
    if mode == "bicubic":
        out = _bicubic_sample(flat, raw, sizes, padding_mode, align_corners)
    else:
        coords = [_pad_coordinate(x, size, padding_mode, align_corners) for x, size in zip(raw, sizes)]
        out = _nearest_sample(flat, coords, sizes) if mode == "nearest" else _linear_sample(flat, coords, sizes)
    return S.reshape(out, n, c, *out_shape)


def _nearest_sample(flat, coords, sizes):
    values, inside = _gather_points(flat, [x.detach().round() for x in coords], sizes)
    return values * inside


def _linear_sample(flat, coords, sizes):
    lows = [x.detach().floor() for x in coords]
    out = None
    for corner in range(2 ** len(sizes)):
        ends, weight = [], None
        for k, (x, low) in enumerate(zip(coords, lows)):
            high = (corner >> (len(sizes) - 1 - k)) & 1
            ends.append(low + high)
            w = x - low if high else low + 1 - x
            weight = w if weight is None else weight * w
        values, inside = _gather_points(flat, ends, sizes)
        term = values * (S.unsqueeze(weight, 1) * inside)
        out = term if out is None else out + term
    return out


def _bicubic_sample(flat, raw, sizes, padding_mode, align_corners):
    (y, x), (h, w) = raw, sizes
    y0, x0 = y.detach().floor(), x.detach().floor()
    wy, wx = _cubic_weights(y - y0), _cubic_weights(x - x0)
    out = None
    for i in range(4):
        row = None
        ty = _pad_coordinate(y0 + (i - 1), h, padding_mode, align_corners)
        for j in range(4):
            tx = _pad_coordinate(x0 + (j - 1), w, padding_mode, align_corners)
            values, inside = _gather_points(flat, [ty, tx], sizes)
            term = values * inside * S.unsqueeze(wx[j], 1)
            row = term if row is None else row + term
        term = row * S.unsqueeze(wy[i], 1)
        out = term if out is None else out + term
    return out


def _base_coordinates(n, align_corners, dtype):
    if n <= 1:
        return B.zeros(1, dtype=dtype)
    r = B.linspace(-1, 1, n, dtype=dtype)
    return r if align_corners else r * dtype((n - 1) / n)


def affine_grid(theta, size, align_corners=None):
    """The ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``) sampling grid of a batch of affine maps
    ``theta`` (``(N, 2, 3)`` or ``(N, 3, 4)``) for an output of ``size`` ``(N, C, H, W)`` (or
    ``(N, C, D, H, W)``), to pass to :func:`grid_sample`.

    Example::

        >>> F.affine_grid(torch.tensor([[[1., 0., 0.], [0., 1., 0.]]]), [1, 1, 1, 2], align_corners=True)
        tensor([[[[-1.,  0.],
                  [ 1.,  0.]]]])
    """
    if align_corners is None:
        warnings.warn(_GRID_WARNING, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got torch.{theta.dtype.name}")
    size = list(size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"torch.Size({list(theta.shape)}).")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"torch.Size({list(theta.shape)}).")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation of "
                      "affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    k = len(spatial)
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {k + 1}] but "
                           f"got: [{theta.shape[0]}, {k + 1}].")
    dtype = theta._data.dtype.type
    axes = [_base_coordinates(m, align_corners, dtype) for m in spatial]   # outermost first
    mesh = B.meshgrid(*axes, indexing="ij")
    # Each point's (x, y[, z], 1): the innermost dim's coordinate first.
    base = B.stack([mesh[i] for i in reversed(range(k))] + [B.ones_like(mesh[0])], axis=-1)
    base = _constant(base.reshape(1, -1, k + 1))
    grid = base @ S.transpose(theta, 1, 2)
    return S.reshape(grid, size[0], *spatial, k)


# ------------------------------------------------------------------ max_unpool
def _tuple_of(value, n):
    if isinstance(value, (list, tuple)):
        values = tuple(value)
        return values * n if len(values) == 1 else values
    return (value,) * n


def _unpool_output_size(input, kernel, stride, padding, output_size):
    n = len(kernel)
    default = [(input.shape[-n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        out = default
    else:
        given = list(output_size)
        if len(given) == n + 2:
            given = given[2:]
        if len(given) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                             f"length of '{len(given)}'")
        for d in range(n):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < given[d] < high:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})')
        out = given
    for d in range(n):
        if out[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={out[d]}")
    return [int(v) for v in out]


def _max_unpool(input, indices, out, fn, stride=None):
    """``input`` written at ``indices`` (flat positions in each output plane or volume) into zeros
    of the spatial size ``out``: PyTorch's max_unpooling{2,3}d on a batched or unbatched input."""
    from .._ops._registry import refuse_batched
    from .._ops.indexing import scatter_
    k = len(out)
    _check(input, fn)
    _check(indices, fn, "indices", 2)
    if indices.dtype is not D.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {D.SCALAR_TYPE_NAMES[indices.dtype.name]}")
    if input.ndim not in (k + 1, k + 2):
        raise RuntimeError(f"Input to max_unpooling{k}d should be a {k + 1}d or {k + 2}d Tensor, but got a tensor "
                           f"with {input.ndim} dimensions.")
    if stride is not None and min(stride) <= 0:
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    shape = tuple(input.shape)
    for i in range(input.ndim - k - 1, input.ndim):
        if shape[i] == 0:
            raise RuntimeError(f"max_unpooling{k}d_forward_out_cpu(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but got {list(shape)} with dimension {i} being empty.")
    if not input.dtype.is_floating_point:
        raise P.not_implemented_for(f"max_unpool{k}d", input.dtype)
    refuse_batched(indices, f"max_unpool{k}d with batched indices")
    lead = shape[:-k]
    volume = math.prod(out)
    index = B.ascontiguousarray(indices._data).reshape(*lead, -1)
    bad = (index < 0) | (index >= volume)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {int(index[bad][0])} (output volumes are of size "
                           f"{'x'.join(str(v) for v in out)})")
    zeros = _constant(B.zeros(lead + (volume,), dtype=input._data.dtype))
    flat = scatter_(zeros, index, S.reshape(input, *lead, -1), axis=len(lead), add=False)
    return S.reshape(flat, *lead, *out)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """A partial inverse of :func:`max_pool1d`: zeros of the pooled input's length, with each value
    of ``input`` at its position in ``indices`` (what ``max_pool1d(..., return_indices=True)`` gave).

    Args:
        input (Tensor): the pooled values, ``(N, C, L)`` or ``(C, L)``.
        indices (Tensor): their positions (int64, ``input``'s shape).
        kernel_size, stride, padding: the pool's (``stride`` defaults to ``kernel_size``).
        output_size (optional): the output's length, when the pool's input length is ambiguous.

    Example::

        >>> F.max_unpool1d(torch.tensor([[[5., 7.]]]), torch.tensor([[[1, 2]]]), 2)
        tensor([[[0., 5., 7., 0.]]])
    """
    kernel = _tuple_of(kernel_size, 1)
    stride = kernel if stride is None else _tuple_of(stride, 1)
    out = _unpool_output_size(input, kernel, stride, _tuple_of(padding, 1), output_size)
    if isinstance(input, Tensor) and isinstance(indices, Tensor):
        return S.squeeze(_max_unpool(S.unsqueeze(input, -1), S.unsqueeze(indices, -1), out + [1], "max_unpool2d"), -1)
    return _max_unpool(input, indices, out + [1], "max_unpool2d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """A partial inverse of :func:`max_pool2d`: zeros of the pooled input's size, with each value of
    ``input`` (``(N, C, H, W)`` or ``(C, H, W)``) at its flat position in ``indices``; the
    arguments as :func:`max_unpool1d`'s, two values each.

    Example::

        >>> F.max_unpool2d(torch.tensor([[[[5.]]]]), torch.tensor([[[[3]]]]), 2)
        tensor([[[[0., 0.],
                  [0., 5.]]]])
    """
    kernel = _tuple_of(kernel_size, 2)
    stride = kernel if stride is None else _tuple_of(stride, 2)
    out = _unpool_output_size(input, kernel, stride, _tuple_of(padding, 2), output_size)
    return _max_unpool(input, indices, out, "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """A partial inverse of :func:`max_pool3d`: zeros of the pooled input's size, with each value of
    ``input`` (``(N, C, D, H, W)`` or ``(C, D, H, W)``) at its flat position in ``indices``; the
    arguments as :func:`max_unpool1d`'s, three values each.

    Example::

        >>> F.max_unpool3d(torch.tensor([[[[[5.]]]]]), torch.tensor([[[[[7]]]]]), 2).flatten()
        tensor([0., 0., 0., 0., 0., 0., 0., 5.])
    """
    kernel = _tuple_of(kernel_size, 3)
    stride = kernel if stride is None else _tuple_of(stride, 3)
    out = _unpool_output_size(input, kernel, stride, _tuple_of(padding, 3), output_size)
    return _max_unpool(input, indices, out, "max_unpool3d", stride=stride)
