"""The array namespace pullback computes with.

Every other module reaches NumPy through ``B`` so that a different array library
(CuPy, say) can be swapped in at one place.

PyTorch computes ``log(0) = -inf``, ``0 / 0 = nan`` and overflows to inf without a word; NumPy
warns ("divide by zero encountered in log"). A warnings filter, added at import, silences those
floating-point warnings when they come from pullback's own modules, and only those: the user's
own NumPy code keeps its warnings, NumPy's error state is untouched, and the common path pays
nothing (``np.errstate`` around every op would cost more than the op). Anomaly mode still finds
the nan. (A ``warnings.catch_warnings`` block that imports pullback, as pytest's collection does,
drops the filter when it exits; programs and notebooks keep it.)
"""
import warnings

import numpy as B  # noqa: N812  (B for "backend", as in the design doc)

from . import _malloc  # noqa: F401,E402  (freed arrays stay in the process: see _malloc.py)

FLOATING_POINT_WARNINGS = r"(divide by zero|invalid value|overflow|underflow) encountered in "
warnings.filterwarnings("ignore", message=FLOATING_POINT_WARNINGS, category=RuntimeWarning,
                        module=r"pullback(\.|$)")

ndarray = B.ndarray

__all__ = ["B", "ndarray"]
