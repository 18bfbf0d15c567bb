"""The fractional max pools (Graham, 2014), over nn.functional.fractional_max_pool2d / 3d."""
from .module import Module
from .. import functional as F


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _FractionalMaxPoolNd(Module):
    _n = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _tuple(kernel_size, self._n)
        self.return_indices = return_indices
        # A buffer, as torch's: fixed samples make the pooling deterministic (and travel with state_dict).
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _tuple(output_size, self._n) if output_size is not None else None
        self.output_ratio = _tuple(output_ratio, self._n) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-d fractional max pooling of ``(N, C, H, W)`` or ``(C, H, W)`` inputs (see
    :func:`~pullback.nn.functional.fractional_max_pool2d`); exactly one of ``output_size`` and
    ``output_ratio`` (in (0, 1)) is given.

    Example::

        >>> pool = nn.FractionalMaxPool2d(3, output_ratio=0.5)
        >>> pool(torch.randn(1, 2, 10, 10)).shape
        pullback.Size([1, 2, 5, 5])
    """
    _n = 2

    def forward(self, input):
        return F.fractional_max_pool2d(input, self.kernel_size, self.output_size, self.output_ratio,
                                       self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-d fractional max pooling of ``(N, C, T, H, W)`` or ``(C, T, H, W)`` inputs (see
    :func:`~pullback.nn.functional.fractional_max_pool3d`).

    Example::

        >>> pool = nn.FractionalMaxPool3d(2, output_size=(2, 3, 3))
        >>> pool(torch.randn(1, 2, 6, 6, 6)).shape
        pullback.Size([1, 2, 2, 3, 3])
    """
    _n = 3

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        if (isinstance(kernel_size, int) and kernel_size <= 0) or (
                isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size)):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        super().__init__(kernel_size, output_size, output_ratio, return_indices, _random_samples)

    def forward(self, input):
        return F.fractional_max_pool3d(input, self.kernel_size, self.output_size, self.output_ratio,
                                       self.return_indices, _random_samples=self._random_samples)
