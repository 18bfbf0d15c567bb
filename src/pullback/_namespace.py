"""The rest of torch's top-level namespace that is not an op of its own: the functional forms of
the in-place Tensor methods (``torch.exp_(x)`` is ``x.exp_()``), aliases, predicates, the window
functions' older names, and the process-wide settings (threads, determinism, matmul precision,
the default device) with PyTorch's defaults and errors.

pullback computes on NumPy in the calling thread, deterministically, in full float32 precision:
the settings are recorded and reported back as torch's are, and change nothing else.
"""
import builtins
import warnings

from . import _tensor, _dtype as D, linalg
from ._creation import tensor, ones
from ._ops._api import EXPORTS as _PUBLIC   # (the op functions: trunc, vstack)
from .autograd import anomaly_mode
from .signal import windows as _windows

# torch.<name>_(input, ...) for these is input.<name>_(...)
IN_PLACE_METHODS = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
    "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_",
    "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "floor_", "frac_", "gcd_", "i0_",
    "index_put_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_", "negative_",
    "rad2deg_", "reciprocal_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_",
    "tanh_", "trunc_", "xlogy_")


def _in_place_function(name):
    def function(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{name}(input, ...) -> Tensor: ``input.{name}(...)``, in place."
    return function


def fix(input, *, out=None):
    """fix(input, *, out=None) -> Tensor: an alias of ``trunc``."""
    return _PUBLIC["trunc"](input, out=out)


def fix_(input):
    """fix_(input) -> Tensor: ``trunc_`` in place."""
    return input.trunc_()


def row_stack(tensors, *, out=None):
    """row_stack(tensors, *, out=None) -> Tensor: an alias of ``vstack``."""
    vstack = _PUBLIC["vstack"]
    return vstack(tensors, out=out) if out is not None else vstack(tensors)


def select(input, dim, index):
    """select(input, dim, index) -> Tensor: ``input.select(dim, index)``, a view."""
    return input.select(dim, index)


def adjoint(input):
    """adjoint(input) -> Tensor: the conjugate transpose of the last two dims (the transpose: no complex dtypes), a view."""
    if input.dim() < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. "
                           f"Got {input.dim()}-D tensor.")
    return input.transpose(-2, -1)


def chain_matmul(*matrices, out=None):
    """chain_matmul(*matrices, out=None) -> Tensor: the product of the matrices (deprecated, as in
    torch, for ``linalg.multi_dot``)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                  "multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1:
        return matrices[0].clone()
    return linalg.multi_dot(list(matrices), out=out)


_MISSING = object()


def vander(x, N=None, increasing=False):
    """vander(x, N=None, increasing=False) -> Tensor: the Vandermonde matrix of a 1-D ``x``, its
    columns the powers ``x^(N-1) ... x^0`` (``x^0 ... x^(N-1)`` when ``increasing``)."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if N is not None and N < 0:
        raise RuntimeError("N must be non-negative.")
    N = x.shape[0] if N is None else N
    if N <= 1:  # (linalg.vander wants two columns at least)
        return ones((x.shape[0], 1), dtype=x.dtype) if N == 1 else x.unsqueeze(-1)[:, :0].detach().clone()
    powers = linalg.vander(x, N=N)
    return powers if increasing else powers.flip(-1)


def range(start=0, end=_MISSING, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """range(start=0, end, step=1, *, dtype=None, ...) -> Tensor: ``start, start + step, ...`` up to
    ``end`` included, in the default dtype (deprecated, as in torch, for ``arange``)."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if end is _MISSING:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = int((end - start) // step) + 1
    values = [start + i * step for i in builtins.range(count)]
    return tensor(values, dtype=dtype or D.get_default_dtype(), requires_grad=requires_grad)


def can_cast(from_, to):
    """can_cast(from_, to) -> bool: whether a value of dtype ``from_`` may be cast to ``to`` under
    PyTorch's casting rules (never to a lower kind: float to integer, or anything but bool to bool)."""
    for position, (name, value) in enumerate((("from_", from_), ("to", to)), 1):
        if not isinstance(value, D.dtype):
            raise TypeError(f"can_cast(): argument '{name}' (position {position}) must be torch.dtype, "
                            f"not {type(value).__name__}")
    return to.category >= from_.category


def is_nonzero(input):
    """is_nonzero(input) -> bool: whether the one element of ``input`` is nonzero."""
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item() != 0)


def is_same_size(input, other):
    """is_same_size(input, other) -> bool: whether the two shapes are equal."""
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    """is_signed(input) -> bool: whether ``input``'s dtype is signed."""
    return input.dtype.is_signed


def is_complex(input):
    """is_complex(input) -> bool: False (pullback has no complex dtypes)."""
    return False


def is_conj(input):
    """is_conj(input) -> bool: False (no conjugate views without complex dtypes)."""
    return False


def is_neg(input):
    """is_neg(input) -> bool: False (no lazy negation views)."""
    return False


def typename(obj):
    """typename(obj) -> str: a Tensor's type string (``x.type()``), else the object's qualified class name."""
    if isinstance(obj, _tensor.Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in (None, "builtins") else f"{module}.{cls.__qualname__}"


# ---------------------------------------------------------------- window functions (torch's old names)
def _old_window(name, window):
    def function(window_length, periodic=True, *args, dtype=None, layout=None, device=None, requires_grad=False,
                 pin_memory=False):
        return window(window_length, *args, sym=not periodic, dtype=dtype, layout=layout, device=device,
                      requires_grad=requires_grad)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"{name}(window_length, periodic=True, *, dtype=None, ...) -> Tensor: "
                        f"``signal.windows``' window with ``sym = not periodic``.")
    return function


def _hamming(M, alpha=0.54, beta=0.46, *, sym, **kwargs):
    if beta != 1 - alpha:  # torch's (alpha, beta) form: alpha - beta cos(2 pi n / (M - 1))
        return _windows.general_cosine(M, a=[alpha, beta], sym=sym, **kwargs)
    return _windows.general_hamming(M, alpha=alpha, sym=sym, **kwargs)


def _kaiser(M, beta=12.0, *, sym, **kwargs):
    return _windows.kaiser(M, beta=beta, sym=sym, **kwargs)


hann_window = _old_window("hann_window", _windows.hann)
hamming_window = _old_window("hamming_window", _hamming)
bartlett_window = _old_window("bartlett_window", _windows.bartlett)
blackman_window = _old_window("blackman_window", _windows.blackman)
kaiser_window = _old_window("kaiser_window", _kaiser)


# ---------------------------------------------------------------- process-wide settings
class _Settings:
    num_threads = 1
    num_interop_threads = 1
    deterministic = False
    deterministic_warn_only = False
    float32_matmul_precision = "highest"


def set_num_threads(num):
    """set_num_threads(int): records the number of intra-op threads (pullback computes in the calling thread)."""
    if not isinstance(num, int) or num <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _Settings.num_threads = num


def get_num_threads():
    """get_num_threads() -> int: the number set by ``set_num_threads`` (1: pullback's ops run in the calling thread)."""
    return _Settings.num_threads


def set_num_interop_threads(num):
    """set_num_interop_threads(int): records the number of inter-op threads."""
    if not isinstance(num, int) or num <= 0:
        raise RuntimeError("Expected positive number of threads")
    _Settings.num_interop_threads = num


def get_num_interop_threads():
    """get_num_interop_threads() -> int"""
    return _Settings.num_interop_threads


def use_deterministic_algorithms(mode, *, warn_only=False):
    """use_deterministic_algorithms(mode, *, warn_only=False): recorded; every pullback op is deterministic."""
    _Settings.deterministic, _Settings.deterministic_warn_only = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled():
    """are_deterministic_algorithms_enabled() -> bool"""
    return _Settings.deterministic


def is_deterministic_algorithms_warn_only_enabled():
    """is_deterministic_algorithms_warn_only_enabled() -> bool"""
    return _Settings.deterministic_warn_only


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode):
    """set_deterministic_debug_mode(debug_mode): 0/"default", 1/"warn" or 2/"error" (as use_deterministic_algorithms)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                               f"but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    """get_deterministic_debug_mode() -> int"""
    if not _Settings.deterministic:
        return 0
    return 1 if _Settings.deterministic_warn_only else 2


def set_float32_matmul_precision(precision):
    """set_float32_matmul_precision(precision): "highest", "high" or "medium" (recorded; NumPy's float32
    matmul is always full precision)."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _Settings.float32_matmul_precision = precision


def get_float32_matmul_precision():
    """get_float32_matmul_precision() -> str"""
    return _Settings.float32_matmul_precision


def get_default_device():
    """get_default_device() -> device: the CPU, pullback's only device."""
    return _tensor._Device("cpu")


def set_default_device(device):
    """set_default_device(device): the CPU (or None) only; pullback has no other device."""
    if device is not None and _tensor._Device(device).type != "cpu":
        raise RuntimeError(f"pullback runs on the CPU only: set_default_device({device!r}) is not supported")


def set_anomaly_enabled(mode, check_nan=True):
    """set_anomaly_enabled(mode, check_nan=True): anomaly mode on or off (as ``autograd.set_detect_anomaly``)."""
    anomaly_mode._set(bool(mode), check_nan)


is_anomaly_enabled = anomaly_mode.is_anomaly_enabled
is_anomaly_check_nan_enabled = anomaly_mode.is_anomaly_check_nan_enabled

EXPORTS = {name: _in_place_function(name) for name in IN_PLACE_METHODS}
EXPORTS.update({name: value for name, value in dict(globals()).items()
                if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == __name__})
EXPORTS.update(is_anomaly_enabled=is_anomaly_enabled, is_anomaly_check_nan_enabled=is_anomaly_check_nan_enabled)
