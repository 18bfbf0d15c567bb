"""The transform-level stack: which transforms are open in this thread, and in which order.

Note [Transform levels]
vmap, forward AD (each dual level, func.jvp's included) and func.grad/func.vjp (so jacrev)
open a level when they start and close it when they return. The open levels form one stack per
thread (a dual level or a vmap opened in one thread is not seen in another), each entry a
``Level``: its kind, its number and its payload (vmap's batch size and randomness; a dual
level's index, as ``forward_ad`` shows it to the user, and the Tensors that carry tangents at
it). One counter numbers the levels of all kinds, so the numbers say the nesting order: a
transform opened inside another has the larger number.

``Primitive.bind`` has one cheap check on its hot path, ``OPEN[0]`` (how many levels are open,
in all threads); only when it is nonzero does bind ask ``interpreter(args)`` for the interpreter
of the top level present among its arguments (vmap's ``batch_bind`` for a batched argument,
which unwraps that level and binds again on the values under it). Forward mode's tangent rule
runs once the primal outputs exist, on plain Tensors, where ``active(DUAL)``.

This module sits below ops and Tensor and imports nothing of pullback: a transform registers
its interpreter here (``register``) from the module that defines it.
"""
import threading

VMAP = "vmap"
DUAL = "dual"
GRAD = "grad"

# How many levels are open, in all threads: bind's one check on its hot path. Another thread's
# levels only send bind to the thread's own (then empty) stack, which sends it back.
OPEN = [0]
_open_lock = threading.Lock()


class Level:
    """One open transform level (see Note [Transform levels])."""

    __slots__ = ("kind", "number", "size", "randomness", "index", "tensors")

    def __init__(self, kind, number, size=None, randomness=None, index=None):
        self.kind = kind
        self.number = number
        self.size = size                # vmap: the batch size
        self.randomness = randomness    # vmap: "error", "same" or "different"
        self.index = index              # dual level: its index, as forward_ad numbers them
        self.tensors = []               # dual level: weak references to the Tensors with tangents at it

    def __repr__(self):
        return f"Level({self.kind}, {self.number})"


class _Local(threading.local):
    def __init__(self):
        self.stack = []   # the open levels, innermost last (numbers increasing)
        self.floor = 0    # the highest number of the levels hidden now (new levels go above it)


_local = _Local()


def _count(n):
    with _open_lock:
        OPEN[0] += n


def stack():
    """The open levels of this thread, innermost last (the list itself: do not modify it)."""
    return _local.stack


def push(kind, **payload):
    """Opens a level of ``kind`` inside the open ones and returns it."""
    levels = _local.stack
    number = max(levels[-1].number if levels else 0, _local.floor) + 1
    if kind is DUAL:
        duals = [lv.index for lv in levels if lv.kind is DUAL]
        payload["index"] = duals[-1] + 1 if duals else 0
    level = Level(kind, number, **payload)
    levels.append(level)
    _count(1)
    return level


def pop(level):
    """Closes ``level`` (normally the innermost one)."""
    levels = _local.stack
    for k in range(len(levels) - 1, -1, -1):
        if levels[k] is level:
            del levels[k]
            _count(-1)
            return


def top(kind):
    """The innermost open level of ``kind``, or None."""
    for level in reversed(_local.stack):
        if level.kind is kind:
            return level
    return None


def find(kind, number):
    """The open level of ``kind`` numbered ``number``, or None."""
    for level in _local.stack:
        if level.number == number and level.kind is kind:
            return level
    return None


def active(kind):
    """Whether a level of ``kind`` is open in this thread."""
    for level in _local.stack:
        if level.kind is kind:
            return True
    return False


def count(kind):
    """How many levels of ``kind`` are open in this thread."""
    return sum(1 for level in _local.stack if level.kind is kind)


class hidden:
    """Inside, the open levels for which ``test(level)`` is true are not seen (a custom
    Function's forward runs with no dual level; its vmap staticmethod below its vmap level).
    Levels opened inside are numbered above the hidden ones."""

    def __init__(self, test):
        self.test = test

    def __enter__(self):
        local = _local
        levels = local.stack
        self.saved = levels, local.floor
        if levels:  # (none open: nothing to hide, as around most custom Functions' forward)
            local.floor = max(local.floor, levels[-1].number)   # numbers increase along the stack
            local.stack = [level for level in levels if not self.test(level)]
        return self

    def __exit__(self, *exc):
        _local.stack, _local.floor = self.saved
        return False


class reopened:
    """Inside, ``levels`` (Levels whose transform has returned) are open again, in number order:
    a backward pass run after the vmap that recorded it takes its batched values apart."""

    def __init__(self, levels):
        self.levels = list(levels)

    def __enter__(self):
        if self.levels:
            local = _local
            self.saved = local.stack
            local.stack = sorted(local.stack + self.levels, key=lambda level: level.number)
            _count(len(self.levels))
        return self

    def __exit__(self, *exc):
        if self.levels:
            _local.stack = self.saved
            _count(-len(self.levels))
        return False


# ------------------------------------------------------------------ interpreters
_INTERPRETERS = {}     # wrapper type -> interpreter(prim, args, params), filled by the transform's module
_WRAPPERS = ()         # the wrapper types (one isinstance check for all)
_BATCHED = ()          # vmap's wrapper type (BatchedTensor) once func/_batching.py registers it


def register(kind, wrapper, interpreter):
    """Makes ``interpreter(prim, args, params)`` run a primitive any of whose arguments is a
    ``wrapper`` (the values a transform of ``kind`` wraps: vmap's BatchedTensor)."""
    global _WRAPPERS, _BATCHED
    _INTERPRETERS[wrapper] = (kind, interpreter)
    _WRAPPERS = tuple(_INTERPRETERS)
    if kind is VMAP:
        _BATCHED = wrapper


def interpreter(args):
    """The interpreter of the top level present among ``args`` (None: bind computes as usual).

    A wrapper counts only while a level of its kind is open (one left over from a returned
    transform is a plain Tensor to bind)."""
    if not _local.stack:
        return None
    best = None
    for a in args:
        if isinstance(a, _WRAPPERS) and (best is None or a._level > best._level):
            best = a
    if best is None:
        return None
    kind, rule = _INTERPRETERS[type(best)]
    return rule if active(kind) else None


def batched(x):
    """Whether ``x`` is a value vmap batches (a BatchedTensor)."""
    return isinstance(x, _BATCHED)
