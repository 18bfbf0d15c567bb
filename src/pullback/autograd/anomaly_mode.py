"""Anomaly detection: remember where each backward node was made, and stop at the first
backward that produces NaN, showing the forward line that made it."""
import functools
import os
import threading
import traceback
import warnings

from .._backend import B

class _State(threading.local):
    enabled = False     # every thread starts with anomaly detection off
    check_nan = True


_state = _State()
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_anomaly_enabled():
    """True inside ``detect_anomaly`` (or after ``set_detect_anomaly(True)``)."""
    return _state.enabled


def is_anomaly_check_nan_enabled():
    return _state.check_nan


# How many threads have anomaly detection on: while none has, recording a node skips the
# thread-local read (see grad_mode.GRAD_OFF_THREADS).
ENABLED_THREADS = [0]
_count_lock = threading.Lock()


def _set(mode, check_nan):
    mode = bool(mode)
    if mode != _state.enabled:
        with _count_lock:
            ENABLED_THREADS[0] += 1 if mode else -1
    _state.enabled = mode
    _state.check_nan = check_nan


class detect_anomaly:
    """Context manager (and decorator) for anomaly detection.

    Inside it, every backward node records the traceback of the forward call that made it; a
    backward that returns NaN raises ``Function 'MulBackward0' returned nan values in its 0th
    output.`` after a warning that shows that traceback. Beyond PyTorch: the second-backward and
    in-place-version errors also name the line where the graph was made or the tensor modified.

    Example::

        >>> with pullback.autograd.detect_anomaly():
        ...     pullback.sqrt(pullback.zeros(1, requires_grad=True)).backward()   # doctest: +SKIP
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._prev = (is_anomaly_enabled(), is_anomaly_check_nan_enabled())
        _set(True, self.check_nan)

    def __exit__(self, *exc):
        _set(*self._prev)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return func(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turns anomaly detection on or off, as a function or a context manager."""

    def __init__(self, mode, check_nan=True):
        self._prev = (is_anomaly_enabled(), is_anomaly_check_nan_enabled())
        _set(bool(mode), check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set(*self._prev)
        return False


def user_stack():
    """The current stack without pullback's own frames (where the user's code called in)."""
    frames = [f for f in traceback.extract_stack()[:-1] if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)]
    return frames


def user_line():
    """``file:line`` of the innermost user frame."""
    frames = user_stack()
    if not frames:
        return "<unknown>"
    f = frames[-1]
    return f"{f.filename}:{f.lineno} ({f.line})"


def record(node):
    """Stores the forward traceback on a node when anomaly mode is on."""
    node.metadata["traceback_"] = "".join(traceback.format_list(user_stack()))


def forward_traceback_warning(node):
    stack = node.metadata.get("traceback_") if "_metadata" in getattr(node, "__dict__", {}) else None
    if stack is None:
        text = (f"Error detected in {node.name()}. No forward pass information available. Enable detect anomaly "
                "during forward pass for more information.")
    else:
        text = f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n{stack}"
    warnings.warn(text, UserWarning, stacklevel=4)


def check_nan(node, results):
    from .graph import ZeroCotangent  # graph imports this module
    for i, r in enumerate(results):
        if r is None or type(r) is ZeroCotangent:
            continue
        data = r if isinstance(r, B.ndarray) else getattr(r, "_data", r)
        if B.isnan(data).any():
            forward_traceback_warning(node)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
