"""The array namespace pullback computes with.

Every other module reaches NumPy through ``B`` so that a different array library
(CuPy, say) can be swapped in at one place.
"""
import numpy as B  # noqa: N812  (B for "backend", as in the design doc)

from . import _malloc  # noqa: F401,E402  (freed arrays stay in the process: see _malloc.py)

ndarray = B.ndarray

__all__ = ["B", "ndarray"]
