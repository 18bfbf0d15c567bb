"""Keeps freed array memory in the process instead of handing it back to the OS at once.

A pullback step allocates and frees many temporaries the size of its activations (a float32
512x1024 tensor is 2 MiB). glibc's malloc serves such blocks from the heap once it has seen one
freed, but trims the heap's top back to the OS whenever more than twice that size lies free
there, which a step that drops several temporaries together does every time: each following
allocation then faults in its pages again, one 4 KiB page at a time (measured on a 2-core VM:
2,000 faults, 6 ms, on an exact-GELU forward and backward whose arithmetic takes 2.4 ms).

At import, on Linux with glibc, the thresholds are set to the largest values glibc's own dynamic
adjustment would reach (blocks under 32 MiB come from the heap, and up to 64 MiB of free heap top
is kept), so that repeated steps reuse the same memory as PyTorch's do. Set the environment
variable ``PULLBACK_MALLOC_TUNING=0`` to leave the allocator as it is.
"""
import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1   # mallopt's parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20


def tune():
    """Sets glibc's mmap and trim thresholds (see the module docstring); returns whether it did."""
    if not sys.platform.startswith("linux") or os.environ.get("PULLBACK_MALLOC_TUNING") == "0":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt   # (absent from musl and other C libraries: nothing to do)
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


TUNED = tune()
