"""Running a function once while its array operations are recorded (see Note [Recording a step]
in ``_tape.py``): the recording bind and impls swapped in for the call, and the checks that a
recording is sound before it is trusted."""
import types

from .._backend import B, ndarray
from .. import _tape, _levels
from .._tensor import Tensor
from .._ops import _registry

_plain_bind = _registry.Primitive.bind


def _recording_bind(self, args, params):
    rec = _tape.ACTIVE[0]
    if rec is not None and not rec.depth:
        for a in args:
            if isinstance(a, Tensor):
                _see(rec, a)
            elif type(a) in (list, tuple):
                for b in a:
                    if isinstance(b, Tensor):
                        _see(rec, b)
    return _plain_bind(self, args, params)


def _see(rec, tensor):
    # A vmap wrapper's own array is a placeholder no op reads: its batching rule binds again on
    # the Tensor inside, which is seen then.
    if not (_levels.OPEN[0] and _levels.batched(tensor)):
        rec.see(tensor)


_plain_make = Tensor.__dict__["_make"]


@classmethod
def _recording_make(cls, *args, **kwargs):
    """Tensor._make while recording: the Tensors made during the call are noted (``born``), so
    that an array no op made is told from a Tensor that existed before (Note [Recording a step])."""
    t = _plain_make.__func__(cls, *args, **kwargs)
    rec = _tape.ACTIVE[0]
    if rec is not None:
        rec.born[id(t)] = t
    return t


def _recording_impl(impl):
    def run(*args, **params):
        rec = _tape.ACTIVE[0]
        if rec is None or rec.depth:
            return impl(*args, **params)
        return rec.run(impl, args, params)
    run.__wrapped__ = impl
    return run


def run_recorded(rec, fn, args, kwargs):
    """``fn(*args, **kwargs)`` with every array operation written onto ``rec``."""
    if _tape.ACTIVE[0] is not None:
        raise RuntimeError("pullback.compile: a compiled function was called while another one is being recorded")
    prims = _registry.ALL
    plain = [p.impl for p in prims]
    for p, impl in zip(prims, plain):
        p.impl = _recording_impl(impl)
    _registry.Primitive.bind = _recording_bind
    Tensor._make = _recording_make
    _tape.ACTIVE[0] = rec
    try:
        return fn(*args, **kwargs)
    finally:
        _tape.ACTIVE[0] = None
        Tensor._make = _plain_make
        _registry.Primitive.bind = _plain_bind
        for p, impl in zip(prims, plain):
            p.impl = impl


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def unrecorded_writes(rec):
    """The external Tensors whose values changed while recording with no recorded write into them
    (an array written outside pullback's ops: a replay would miss it)."""
    written = [rec.values[k] for k in rec.written]
    bad = []
    for tensor, snapshot in rec.externals.values():
        if id(tensor) in rec.opaque_owned:
            continue
        current = tensor._data
        if same_bits(current, snapshot):
            continue
        if any(type(w) is ndarray and B.may_share_memory(w, current) for w in written):
            continue
        bad.append(tensor)
    return bad


def same(a, b):
    """Whether two recordings' templates, constants and functions agree (arrays bit for bit)."""
    if a is b:
        return True
    ta = type(a)
    if ta is not type(b):
        return False
    if ta is ndarray:
        return same_bits(a, b)
    if isinstance(a, Tensor):
        return False  # Tensors agree only by identity
    if isinstance(a, BaseException):  # (NumPy's refusal a write is retried after)
        return type(a) is type(b) and str(a) == str(b)
    if ta is tuple or ta is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if ta is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if ta is slice:
        return same(a.start, b.start) and same(a.stop, b.stop) and same(a.step, b.step)
    if ta is float:
        return a == b and (a != 0 or str(a) == str(b)) or (a != a and b != b)
    if ta is types.MethodType:
        return a.__func__ is b.__func__ and a.__self__ is b.__self__
    code = getattr(a, "__code__", None)
    if code is not None:
        if code is not getattr(b, "__code__", None):
            return False
        ca, cb = a.__closure__ or (), b.__closure__ or ()
        return (len(ca) == len(cb) and all(same(x.cell_contents, y.cell_contents) for x, y in zip(ca, cb))
                and same(a.__defaults__, b.__defaults__) and same(a.__kwdefaults__, b.__kwdefaults__))
    try:
        return bool(a == b)
    except Exception:
        return False
