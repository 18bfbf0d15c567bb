"""DLPack interop (``torch.utils.dlpack``): Tensors shared without a copy with NumPy, torch, JAX
and anything else that speaks the protocol. pullback's Tensors live on the CPU, so their arrays
are what travels (NumPy's DLPack support does the exchange)."""
from .._backend import B
from .. import _dtype as D


def from_dlpack(ext_tensor):
    """A Tensor sharing memory with ``ext_tensor``: an object with ``__dlpack__`` (a torch or JAX
    array, a NumPy array) or a DLPack capsule from an older exporter.

    Example::

        >>> import numpy as np
        >>> a = np.arange(3.0)
        >>> t = pullback.from_dlpack(a)
        >>> t[0] = 7.0
        >>> a
        array([7., 1., 2.])
    """
    from .._tensor import Tensor
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):
        if type(ext_tensor).__name__ == "PyCapsule":
            ext_tensor = _Capsule(ext_tensor)
        else:
            raise TypeError(f"from_dlpack(): expected an object with __dlpack__ or a DLPack capsule, got "
                            f"{type(ext_tensor).__name__}")
    device = ext_tensor.__dlpack_device__() if hasattr(ext_tensor, "__dlpack_device__") else (1, 0)
    if device[0] != 1:
        raise RuntimeError(f"from_dlpack(): pullback's tensors live on the CPU; this one is on DLPack device "
                           f"type {device[0]}")
    array = B.from_dlpack(ext_tensor)
    D.from_numpy_dtype(array.dtype)  # torch's error for a dtype pullback does not have
    return Tensor._make(array)


def to_dlpack(tensor):
    """A DLPack capsule of ``tensor``'s memory (the legacy interface; newer consumers take the
    Tensor itself, through ``Tensor.__dlpack__``)."""
    return tensor._data.__dlpack__()


class _Capsule:
    """A bare capsule (from ``to_dlpack``) seen through the ``__dlpack__`` protocol NumPy expects."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (1, 0)
