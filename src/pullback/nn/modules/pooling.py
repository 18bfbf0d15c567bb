"""The 1-d pooling modules, the adaptive max pools, the power-average (LP) pools and the 3-d
max and average pools, over nn.functional's forms (the 2-d max, average and adaptive average
pools are in conv.py)."""
from .module import Module
from .conv import _AvgPoolNd, _MaxPoolNd
from .. import functional as F


class MaxPool1d(_MaxPoolNd):
    """The maximum over each window of ``(N, C, L)`` or ``(C, L)`` inputs (see
    :func:`~pullback.nn.functional.max_pool1d`)."""

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


def _single(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


class AvgPool1d(Module):
    """The mean over each window of ``(N, C, L)`` or ``(C, L)`` inputs (see
    :func:`~pullback.nn.functional.avg_pool1d`)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    def __init__(self, output_size, return_indices=None):
        super().__init__()
        self.output_size = output_size
        if return_indices is not None:
            self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Averages each row of ``(N, C, L)`` or ``(C, L)`` inputs into ``output_size`` cells."""

    def __init__(self, output_size):
        super().__init__(output_size)

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    """The maximum of each of ``output_size`` cells of each row of ``(N, C, L)`` or ``(C, L)``
    inputs (and the maxima's positions with ``return_indices``)."""

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size, return_indices)

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptivePool):
    """The maximum of each of ``output_size`` (OH, OW) cells of each plane of ``(N, C, H, W)`` or
    ``(C, H, W)`` inputs; None keeps that dim's size."""

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size, return_indices)

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class _LPPool(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPool):
    """``(sum over each window of x ** p) ** (1 / p)`` over ``(N, C, L)`` or ``(C, L)`` inputs."""

    def forward(self, input):
        return F.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(_LPPool):
    """``(sum over each window of x ** p) ** (1 / p)`` over ``(N, C, H, W)`` or ``(C, H, W)``
    inputs."""

    def forward(self, input):
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Averages each ``(D, H, W)`` volume of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs into
    ``output_size`` cells; None keeps that dim's size."""

    def __init__(self, output_size):
        super().__init__(output_size)

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class AvgPool3d(_AvgPoolNd):
    """The mean over each window of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs (see
    :func:`~pullback.nn.functional.avg_pool3d`); the constructor's arguments as AvgPool2d's."""

    def forward(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class MaxPool3d(_MaxPoolNd):
    """The maximum over each window of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs (see
    :func:`~pullback.nn.functional.max_pool3d`)."""

    def forward(self, input):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)
