"""Grad mode: whether operations on Tensors record a graph.

``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode`` work as context managers
and as decorators, like PyTorch's.
"""
import functools
import threading

class _State(threading.local):
    # Class attributes are every thread's defaults: grad mode on, inference mode off.
    enabled = True
    inference = False


_state = _State()

# How many threads have grad mode off, and how many are in inference mode. While a count is 0 (the
# common case), every thread has that mode's default, and the hot paths (bind, Tensor._make) know
# it without reading the thread-local state, which costs a few hundred instructions per op.
GRAD_OFF_THREADS = [0]
INFERENCE_THREADS = [0]
_counts_lock = threading.Lock()


def is_grad_enabled():
    """Returns True if grad mode is currently enabled."""
    return _state.enabled


def _set_enabled(mode):
    mode = bool(mode)
    if mode != _state.enabled:
        with _counts_lock:
            GRAD_OFF_THREADS[0] += -1 if mode else 1
    _state.enabled = mode


def _set_inference(mode):
    mode = bool(mode)
    if mode != _state.inference:
        with _counts_lock:
            INFERENCE_THREADS[0] += 1 if mode else -1
    _state.inference = mode


def is_inference_mode_enabled():
    """Returns True if inference mode is currently enabled."""
    return _state.inference


class _GradModeContext:
    """Base of the grad-mode context managers; also usable as a decorator."""

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return func(*args, **kwargs)
        return wrapper

    _args = ()

    def clone(self):
        return self.__class__(*self._args)


class no_grad(_GradModeContext):
    """Context manager (and decorator) that disables gradient recording.

    Example::

        >>> x = pullback.ones(2, requires_grad=True)
        >>> with pullback.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set_enabled(False)

    def __exit__(self, *exc):
        _set_enabled(self._prev)
        return False


class enable_grad(_GradModeContext):
    """Context manager (and decorator) that enables gradient recording, e.g. inside ``no_grad``."""

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set_enabled(True)

    def __exit__(self, *exc):
        _set_enabled(self._prev)
        return False


class set_grad_enabled(_GradModeContext):
    """Sets grad mode on or off. Works as a function, a context manager and a decorator.

    Args:
        mode (bool): whether to enable gradient recording.
    """

    def __init__(self, mode):
        self._args = (mode,)
        self._prev = is_grad_enabled()
        _set_enabled(bool(mode))

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set_enabled(self._prev)
        return False

    def __call__(self, func):
        # Used as a decorator, the constructor already switched the mode: switch it back.
        _set_enabled(self._prev)
        return super().__call__(func)


class inference_mode(_GradModeContext):
    """Like ``no_grad``, and Tensors made inside are inference tensors that autograd refuses
    to save for backward later.

    Args:
        mode (bool): whether to enable inference mode (default True).
    """

    def __init__(self, mode=True):
        self._args = (mode,)
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = (is_grad_enabled(), is_inference_mode_enabled())
        if self.mode:
            _set_enabled(False)
            _set_inference(True)

    def __exit__(self, *exc):
        _set_enabled(self._prev[0])
        _set_inference(self._prev[1])
        return False
