"""The float64 referee of the spec tests: is pullback's low-precision result as accurate as torch's?

Two float32 (float16, bfloat16) computations that sum in different orders (float32 GEMMs,
attention, convolutions: OpenBLAS's kernels against torch's) can differ by more than torch's float32
tolerance though both are correct roundings; which samples do depends on the BLAS build and the CPU.
So where a low-precision comparison of pullback (``a``) against torch (``t``) fails, the harness
reruns the same case with torch in float64 (the same values, upcast exactly) as the exact reference
``r``, and accepts ``a`` if, for each compared tensor and every element ``i``::

    |a_i - r_i| <= 2 * max_j |t_j - r_j| + atol + rtol * |r_i|

with ``rtol, atol`` torch's default tolerances for the tensor's dtype (``TOLERANCES``), the maximum
over the elements where ``t`` and ``r`` are both finite, and ``a``'s NaNs and infinities where
``r``'s are (as ``assert_close(a, r, rtol=rtol, atol=atol + 2 * max|t - r|, equal_nan=True)``).
That is, pullback's error against the exact result may be at most twice torch's own, plus torch's
usual tolerance: pullback is held to torch's accuracy, not to torch's rounding. The one rule serves
outputs, buffers and gradients, of ops and of modules.
"""
import numpy as np

# torch.testing.assert_close's default (rtol, atol) per dtype name.
TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5)}


class NoReference(Exception):
    """The float64 rerun is impossible (the op has no float64, its values are random, torch
    raises): the original failure stands."""


def dtype_name(value):
    """The dtype name of a torch tensor or a NumPy array ("float32", "int64", ...)."""
    return str(value.dtype).replace("torch.", "")


def is_low_precision(value):
    return value is not None and hasattr(value, "dtype") and dtype_name(value) in TOLERANCES


def _float64(value):
    if isinstance(value, np.ndarray):
        return value.astype(np.float64)
    return value.detach().double().numpy()  # a torch tensor (bfloat16 has no NumPy dtype)


def verdict(actual, expected, reference):
    """None where the referee accepts pullback's ``actual`` against torch's low-precision
    ``expected`` and torch's float64 ``reference`` (the rule in the module docstring), else why not.
    Each argument is a torch tensor or a NumPy array of one shape."""
    if reference is None or dtype_name(reference) != "float64":
        return "float64 referee: no float64 reference for this tensor"
    a, t, r = _float64(actual), _float64(expected), _float64(reference)
    if not a.shape == t.shape == r.shape:
        return f"float64 referee: the float64 rerun gives shape {r.shape}, not {t.shape}"
    rtol, atol = TOLERANCES[dtype_name(expected)]
    both = np.isfinite(t) & np.isfinite(r)
    torch_error = float(np.max(np.abs(t[both] - r[both]), initial=0.0))
    same_nonfinite = np.array_equal(np.isnan(a), np.isnan(r)) and \
        np.array_equal(np.where(np.isinf(r), a, 0.0), np.where(np.isinf(r), r, 0.0)) and \
        not np.any(np.isinf(a) & ~np.isinf(r))
    finite = np.isfinite(r)
    error = np.abs(a[finite] - r[finite])
    excess = error - (2 * torch_error + atol + rtol * np.abs(r[finite]))
    if same_nonfinite and not np.any(excess > 0):
        return None
    pb_error = float(np.nanmax(error, initial=0.0))
    where = "" if same_nonfinite else " (and its NaNs or infinities are elsewhere)"
    return (f"float64 referee: pullback's error against float64 is {pb_error:.3g}{where}, torch's "
            f"{torch_error:.3g}; allowed 2 * {torch_error:.3g} + {atol:g} + {rtol:g} * |ref|")
