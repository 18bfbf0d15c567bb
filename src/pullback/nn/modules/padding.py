"""Padding modules: ``F.pad`` with its mode and the padding fixed at construction.

``ConstantPad{1,2,3}d`` and ``ZeroPad{1,2,3}d`` pad with a value, ``ReflectionPad``,
``ReplicationPad`` and ``CircularPad`` by mirroring, repeating or wrapping the edges; the
``N`` in the name is how many trailing dims are padded. ``padding`` is an int (every side the
same) or a tuple of ``2 N`` ints, last dim first: ``(left, right, top, bottom, front, back)``.
"""
from .module import Module
from .. import functional as F


def _sides(padding, n_dims):
    if isinstance(padding, int):
        return (padding,) * (2 * n_dims)
    return tuple(padding)


class _PadNd(Module):
    mode = None
    n_dims = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _sides(padding, self.n_dims)

    def forward(self, input):
        return F.pad(input, self.padding, mode=self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, mode="constant", value=self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim of ``input`` with ``value``.

    Args:
        padding (int or tuple): the padding, ``(left, right)``.
        value (float): the fill value.
    """
    n_dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims of ``input`` with ``value``; ``padding``: an int or
    ``(left, right, top, bottom)``."""
    n_dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims of ``input`` with ``value``; ``padding``: an int or
    ``(left, right, top, bottom, front, back)``."""
    n_dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim of ``input`` with zeros; ``padding``: an int or ``(left, right)``."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims of ``input`` with zeros; ``padding``: an int or
    ``(left, right, top, bottom)``."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dims of ``input`` with zeros; ``padding``: an int or a 6-tuple."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _ReflectionPadNd(_PadNd):
    mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Pads the last dim of ``input`` with its reflection at the edges (the edge itself not
    repeated); ``padding``: an int or ``(left, right)``, each smaller than the dim."""
    n_dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    """Pads the last two dims with their reflection; ``padding``: an int or a 4-tuple."""
    n_dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Pads the last three dims with their reflection; ``padding``: an int or a 6-tuple."""
    n_dims = 3


class _ReplicationPadNd(_PadNd):
    mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Pads the last dim of ``input`` by repeating its edge values; ``padding``: an int or
    ``(left, right)``."""
    n_dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    """Pads the last two dims by repeating their edges; ``padding``: an int or a 4-tuple."""
    n_dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Pads the last three dims by repeating their edges; ``padding``: an int or a 6-tuple."""
    n_dims = 3


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input):
        # torch checks the rank here, before F.pad, with its own words
        allowed = (self.n_dims + 1, self.n_dims + 2)
        if input.dim() not in allowed:
            raise ValueError(f"expected {allowed[0]}D or {allowed[1]}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, mode="circular")


class CircularPad1d(_CircularPadNd):
    """Pads the last dim of ``input`` by wrapping around (the far edge's values pad the near
    side); ``padding``: an int or ``(left, right)``."""
    n_dims = 1


class CircularPad2d(_CircularPadNd):
    """Pads the last two dims by wrapping around; ``padding``: an int or a 4-tuple."""
    n_dims = 2


class CircularPad3d(_CircularPadNd):
    """Pads the last three dims by wrapping around; ``padding``: an int or a 6-tuple."""
    n_dims = 3
