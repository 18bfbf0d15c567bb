"""pullback.signal.windows: window functions, as ``torch.signal.windows``.

Each window is computed on NumPy from its definition, in float64 and rounded once to the requested
dtype, and returned as a new leaf Tensor (``requires_grad`` as asked). A periodic window
(``sym=False``) is the symmetric window of length ``M + 1`` without its last point, as in SciPy.
The arguments after ``M`` are keyword-only and are checked as PyTorch checks them, with its errors.
"""
import math

from .._backend import B
from .. import _dtype as D
from .._creation import tensor as _tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]


def _check(name, M, dtype, layout):
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and str(layout).rpartition(".")[2] != "strided":
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    dtype = D.get_default_dtype() if dtype is None else dtype
    if dtype not in (D.float32, D.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: torch.{dtype.name}")
    return dtype


def _window(values, dtype, requires_grad):
    return _tensor(B.asarray(values, dtype=B.float64).astype(dtype.np), dtype=dtype, requires_grad=requires_grad)


def _points(M, sym):
    """The sample positions 0..N-1 of the symmetric window the result is cut from, and N."""
    n = M if sym else M + 1
    return B.arange(n, dtype=B.float64), n


def _build(name, M, sym, dtype, layout, requires_grad, values):
    """Checks the arguments, then ``values(n, N)`` on the positions of the symmetric window of
    length N (M, or M + 1 for a periodic one), cut to M points. M == 0 is empty, M == 1 is [1]."""
    dtype = _check(name, M, dtype, layout)
    if M == 0:
        return _window(B.zeros(0), dtype, requires_grad)
    if M == 1:
        return _window(B.ones(1), dtype, requires_grad)
    n, N = _points(M, sym)
    return _window(values(n, N)[:M], dtype, requires_grad)


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the general cosine window ``w[n] = sum_k (-1)^k a_k cos(2 pi k n / (N - 1))``.

    Args:
        M (int): the length of the window.

    Keyword args:
        a (list or tuple of floats): the coefficients.
        sym (bool): a symmetric window (True, for filter design) or a periodic one (False, for
            spectral analysis). Default: True.
        dtype (dtype, optional): float32 or float64. Default: the default dtype.
        layout, device: accepted for PyTorch's signature (strided, CPU only).
        requires_grad (bool): whether the result requires grad. Default: False.

    Example::

        >>> pullback.signal.windows.general_cosine(5, a=[0.46, 0.23, 0.31], sym=True)
        tensor([0.5400, 0.3000, 0.0200, 0.3000, 0.5400])
    """
    if not isinstance(a, (list, tuple)):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")

    def values(n, N):
        phase = 2 * math.pi * n / (N - 1)
        return sum((-1) ** k * float(c) * B.cos(k * phase) for k, c in enumerate(a))
    return _build("general_cosine", M, sym, dtype, layout, requires_grad, values)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the general Hamming window ``w[n] = alpha - (1 - alpha) cos(2 pi n / (N - 1))``
    (``general_cosine`` with ``a=[alpha, 1 - alpha]``).

    Args:
        M (int): the length of the window.

    Keyword args:
        alpha (float): the window coefficient. Default: 0.54.
        sym, dtype, layout, device, requires_grad: as in ``general_cosine``.

    Example::

        >>> pullback.signal.windows.general_hamming(5, sym=False)
        tensor([0.0800, 0.3979, 0.9121, 0.9121, 0.3979])
    """
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the Hamming window ``w[n] = 0.54 - 0.46 cos(2 pi n / (N - 1))``.

    Args:
        M (int): the length of the window.

    Keyword args:
        sym, dtype, layout, device, requires_grad: as in ``general_cosine``.

    Example::

        >>> pullback.signal.windows.hamming(5)
        tensor([0.0800, 0.5400, 1.0000, 0.5400, 0.0800])
    """
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the Hann window ``w[n] = 0.5 - 0.5 cos(2 pi n / (N - 1))``.

    Args:
        M (int): the length of the window.

    Keyword args:
        sym, dtype, layout, device, requires_grad: as in ``general_cosine``.

    Example::

        >>> pullback.signal.windows.hann(5)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the Blackman window ``w[n] = 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``.

    Args:
        M (int): the length of the window.

    Keyword args:
        sym, dtype, layout, device, requires_grad: as in ``general_cosine``.

    Example::

        >>> pullback.signal.windows.blackman(5)
        tensor([-1.4901e-08,  3.4000e-01,  1.0000e+00,  3.4000e-01, -1.4901e-08])
    """
    _check("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the minimum 4-term Blackman-Harris window of Nuttall (``general_cosine`` with
    ``a=[0.3635819, 0.4891775, 0.1365995, 0.0106411]``).

    Args:
        M (int): the length of the window.

    Keyword args:
        sym, dtype, layout, device, requires_grad: as in ``general_cosine``.

    Example::

        >>> pullback.signal.windows.nuttall(5)
        tensor([3.6280e-04, 2.2698e-01, 1.0000e+00, 2.2698e-01, 3.6280e-04])
    """
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype,
                          layout=layout, device=device, requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the Bartlett (triangular) window ``w[n] = 1 - |2 n / (N - 1) - 1|``.

    Args:
        M (int): the length of the window.

    Keyword args:
        sym, dtype, layout, device, requires_grad: as in ``general_cosine``.

    Example::

        >>> pullback.signal.windows.bartlett(5)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return _build("bartlett", M, sym, dtype, layout, requires_grad,
                  lambda n, N: 1 - B.abs(2 * n / (N - 1) - 1))


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the cosine (sine) window ``w[n] = sin(pi (n + 1/2) / N)``.

    Args:
        M (int): the length of the window.

    Keyword args:
        sym, dtype, layout, device, requires_grad: as in ``general_cosine``.

    Example::

        >>> pullback.signal.windows.cosine(5)
        tensor([0.3090, 0.8090, 1.0000, 0.8090, 0.3090])
    """
    return _build("cosine", M, sym, dtype, layout, requires_grad, lambda n, N: B.sin(math.pi * (n + 0.5) / N))


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the exponential window ``w[n] = exp(-|n - center| / tau)``.

    Args:
        M (int): the length of the window.

    Keyword args:
        center (float, optional): where the window peaks; only for a periodic window. Default: the
            middle, ``(M - 1) / 2`` (``M / 2`` for a periodic one).
        tau (float): the decay (positive). Default: 1.0.
        sym, dtype, layout, device, requires_grad: as in ``general_cosine``.

    Example::

        >>> pullback.signal.windows.exponential(5)
        tensor([0.1353, 0.3679, 1.0000, 0.3679, 0.1353])
    """
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")

    def values(n, N):
        middle = (N - 1) / 2 if center is None else float(center)
        return B.exp(-B.abs(n - middle) / tau)
    return _build("exponential", M, sym, dtype, layout, requires_grad, values)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the Gaussian window ``w[n] = exp(-((n - (N - 1) / 2) / std)^2 / 2)``.

    Args:
        M (int): the length of the window.

    Keyword args:
        std (float): the standard deviation (positive). Default: 1.0.
        sym, dtype, layout, device, requires_grad: as in ``general_cosine``.

    Example::

        >>> pullback.signal.windows.gaussian(5)
        tensor([0.1353, 0.6065, 1.0000, 0.6065, 0.1353])
    """
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _build("gaussian", M, sym, dtype, layout, requires_grad,
                  lambda n, N: B.exp(-((n - (N - 1) / 2) / std) ** 2 / 2))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    r"""Computes the Kaiser window ``w[n] = I0(beta sqrt(1 - (2 n / (N - 1) - 1)^2)) / I0(beta)``.

    Args:
        M (int): the length of the window.

    Keyword args:
        beta (float): the shape parameter (non-negative). Default: 12.0.
        sym, dtype, layout, device, requires_grad: as in ``general_cosine``.

    Example::

        >>> pullback.signal.windows.kaiser(5)
        tensor([5.2773e-05, 2.1025e-01, 1.0000e+00, 2.1025e-01, 5.2773e-05])
    """
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")

    def values(n, N):
        return B.i0(beta * B.sqrt(B.clip(1 - (2 * n / (N - 1) - 1) ** 2, 0, None))) / B.i0(beta)
    return _build("kaiser", M, sym, dtype, layout, requires_grad, values)
