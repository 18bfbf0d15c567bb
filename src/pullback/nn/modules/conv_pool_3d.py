"""ConvTranspose3d, AdaptiveMaxPool3d and LPPool3d: the 3-d members of families whose 1-d and
2-d members live in ``conv.py`` and ``pooling.py``."""
from .conv import _ConvTransposeNd
from .pooling import _AdaptivePool, _LPPool
from .. import functional as F


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution over ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs (conv3d's input
    gradient); the arguments as :class:`ConvTranspose2d`'s, three values each."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(3, in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                         dilation, padding_mode, dtype)

    def forward(self, input, output_size=None):
        return F.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)


class AdaptiveMaxPool3d(_AdaptivePool):
    """The maximum of each of ``output_size`` (OD, OH, OW) cells of each volume of
    ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs; None keeps that dim's size."""

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size, return_indices)

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class LPPool3d(_LPPool):
    """``(sum over each window of x ** p) ** (1 / p)`` over ``(N, C, D, H, W)`` or
    ``(C, D, H, W)`` inputs."""

    def forward(self, input):
        return F.lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)
