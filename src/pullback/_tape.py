"""The recording side of ``pullback.compile``: a tape of the array operations one call performs.

Note [Recording a step]
While ``ACTIVE[0]`` holds a ``Recorder``, every array computation pullback makes is written onto
its tape as ``outputs = fn(*args, **kwargs)`` with the arrays among the arguments replaced by slot
numbers: each primitive's ``impl`` on arrays, each VJP rule call of a plain backward pass (as one
entry: the rule's own NumPy arithmetic replays exactly as eager runs it; under ``create_graph`` the
rules run on Tensors and their primitives are recorded one by one), the dtype casts of promotion,
the engine's cotangent sums, the writes of in-place ops, the random draws, the deliveries of
gradients into ``.grad`` and ``.grad`` assignments, and opaque Python calls (``optimizer.step()``,
``zero_grad()``, a scheduler's ``step()``) that replay by calling them again. An array the tape did
not make is classified where it is first read:

- the array of a Tensor argument: an argument slot (read from the argument at replay);
- the array of a Tensor that existed before the call (a parameter, a closed-over tensor): an
  external slot, read from that Tensor at replay, where it lives then;
- the array of a Tensor made during the call by something that is not an op (a creation
  function, the implicit 1 of ``backward()``): a constant, kept by value;
- ``p.grad`` read in the step: read from ``p`` at replay.

Anything that makes Python depend on the values (``.item()``, ``bool(t)``, ``.tolist()``,
``.numpy()``, a backward hook) is a graph break: the call goes on eagerly, the tape is dropped.
What the recorder cannot see (an array computed outside pullback's ops and fed back in) shows up
as a constant that differs between two recordings, or as an external Tensor whose values changed
with no recorded write: ``pullback.compile`` records twice and checks both (see its docstring).

This module imports nothing of pullback but the array namespace: the core modules call into it.
"""
import sys

from ._backend import B, ndarray

ACTIVE = [None]  # the Recorder of the call being recorded, or None


class GraphBreak(RuntimeError):
    """Raised inside a recorded call (with ``fullgraph=True``) where Python reads tensor values."""


class Scratch(dict):
    """A primitive's scratch space between its forward and its VJP (cross-entropy keeps its
    softmax there): a replay passes the same object along, whatever it holds."""
    __slots__ = ()

    def __eq__(self, other):
        return type(other) is Scratch

    __hash__ = None


class Slot(int):
    """A tape slot number inside an argument template."""
    __slots__ = ()


def _user_frame():
    """``file:line`` of the innermost frame outside pullback (where the user's code is)."""
    f = sys._getframe(1)
    while f is not None:
        name = f.f_globals.get("__name__", "")
        if not (name == "pullback" or name.startswith("pullback.")):
            return f"{f.f_code.co_filename}:{f.f_lineno}"
        f = f.f_back
    return "<unknown>"


class Recorder:
    """The tape of one call (see Note [Recording a step])."""

    def __init__(self, fullgraph=False):
        self.fullgraph = fullgraph
        self.slots = {}        # id(array) -> slot number
        self.values = []       # slot -> the array it held while recording (keeps ids unique)
        self.kinds = []        # slot -> "arg", "ext", "grad", "const", "op"
        self.entries = []      # ("op", fn, args, kwargs, outs) / ("load", slot, tensor) / ("loadgrad", slot, tensor)
                               # / ("const", slot, array) / ("deliver", tensor, slot) / ("setgrad", tensor, slot)
                               # / ("opaque", fn, args, kwargs)
        self.born = {}         # id(Tensor) -> Tensor made during the call
        self.loaded_from = {}  # external slot -> its Tensor
        self.externals = {}    # id(Tensor) -> (Tensor, snapshot of its values when first read)
        self.written = set()   # slots written in place by recorded ops
        self.opaque_owned = set()  # id(Tensor) of tensors an opaque call may write (optimizer params)
        self.breaks = []       # (what, where)
        self.value_guards = []  # (predicate, argument slot, extra arguments): checked before a replay
        self.depth = 0         # > 0 inside an impl: nested array work is the outer entry's
        self.trusted = {}      # id(array) -> array made by a creation function: a constant

    # ------------------------------------------------------------- slots
    def _new_slot(self, obj, kind):
        k = Slot(len(self.values))
        self.slots[id(obj)] = k
        self.values.append(obj)
        self.kinds.append(kind)
        return k

    def add_argument(self, tensor):
        if id(tensor._data) not in self.slots:
            self._new_slot(tensor._data, "arg")

    def see(self, tensor):
        """Classifies the array of a Tensor an op is about to read (Note [Recording a step])."""
        data = tensor._data
        if id(data) in self.slots:
            return
        if id(tensor) in self.born:
            self._constant(data)
        else:
            k = self._new_slot(data, "ext")
            self.externals[id(tensor)] = (tensor, data.copy())
            self.loaded_from[k] = tensor
            self.entries.append(("load", k, tensor))

    def _constant(self, array):
        """The slot of an array the tape did not make: a constant if a creation function made it
        (zeros, arange, tensor(data), the implicit 1 of backward()); anything else was computed
        outside the recorded operations, maybe from the step's values, and is a graph break
        (a replay would use it stale)."""
        k = self._new_slot(array, "const")
        self.entries.append(("const", k, array.copy()))
        if id(array) not in self.trusted and not self.depth:
            self.graph_break("an array computed outside pullback's recorded operations")
        return k

    def trust(self, array):
        """``array`` was made by a creation function from Python values and shapes: a constant."""
        self.trusted[id(array)] = array

    def see_grad(self, tensor):
        """``tensor.grad`` read in the step: a grad the tape did not deliver is read at replay."""
        data = tensor._grad._data
        if id(data) not in self.slots:
            k = self._new_slot(data, "grad")
            self.entries.append(("loadgrad", k, tensor))

    def ref(self, x):
        """The template of an argument: arrays become slots (an unknown array is a constant)."""
        t = type(x)
        if t is ndarray:
            k = self.slots.get(id(x))
            return self._constant(x) if k is None else k
        if t is tuple or t is list:
            return t(self.ref(v) for v in x)
        if t is dict:
            return {key: self.ref(v) for key, v in x.items()}
        if t is Scratch:
            return x
        if t is slice:
            return slice(self.ref(x.start), self.ref(x.stop), self.ref(x.step))
        if isinstance(x, B.generic):
            k = self.slots.get(id(x))
            return x if k is None else k
        return x

    def out(self, x):
        t = type(x)
        if t is ndarray or isinstance(x, B.generic):
            k = self.slots.get(id(x))
            return k if k is not None else self._new_slot(x, "op")
        if t is tuple or t is list:
            return t(self.out(v) for v in x)
        return None

    # ------------------------------------------------------------- entries
    def run(self, fn, args, kwargs):
        """``fn(*args, **kwargs)`` on arrays, written onto the tape as one entry (array work
        inside it, a VJP rule's own primitives, is part of the entry, not recorded again)."""
        targs = self.ref(args)
        tkwargs = self.ref(kwargs) if kwargs else {}
        self.depth += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            self.depth -= 1
        if _has_scalar(out):
            # NumPy scalars are no identities to key slots on (np.True_ is one object for every
            # True): the entry returns 0-dim arrays, here and at replay.
            fn, out = _ArrayResult(fn), _as_arrays(out)
        writes = getattr(fn, "_writes", None)
        if writes is not None:
            if type(targs[writes]) is Slot:
                self.written.add(targs[writes])
        elif _returns_known(self.slots, out):
            return out  # an identity (a rule passing g on): nothing new to compute at replay
        self.entries.append(("op", fn, targs, tkwargs, self.out(out)))
        return out

    def note_deliver(self, tensor, g):
        """The engine is putting the array ``g`` into ``tensor.grad`` (a replay does it with
        ``deliver``). A Tensor made during the call (an interpolated input made a leaf) is the
        replay's business only if it is returned, and then ``.grad`` cannot follow it: the
        output template refuses it."""
        if id(tensor) not in self.born:
            self.entries.append(("deliver", tensor, self.ref(g)))

    def set_grad(self, tensor, value):
        """``tensor.grad = value`` (None or a Tensor) in the step."""
        if id(tensor) in self.born:
            return
        if value is None:
            self.entries.append(("setgrad", tensor, None))
        else:
            self.see(value)
            self.entries.append(("setgrad", tensor, self.slots[id(value._data)]))

    def graph_break(self, what):
        where = _user_frame()
        self.breaks.append((what, where))
        if self.fullgraph:
            raise GraphBreak(f"pullback.compile(fullgraph=True): {what} at {where} reads tensor values, "
                             "which a compiled step cannot replay")


def _has_scalar(out):
    if isinstance(out, B.generic):
        return True
    return type(out) in (tuple, list) and any(isinstance(o, B.generic) for o in out)


def _as_arrays(out):
    if isinstance(out, B.generic):
        return B.asarray(out)
    return type(out)(B.asarray(o) if isinstance(o, B.generic) else o for o in out)


class _ArrayResult:
    """``fn`` with its NumPy-scalar results as 0-dim arrays (see ``Recorder.run``)."""
    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args, **kwargs):
        return _as_arrays(self.fn(*args, **kwargs))

    def __eq__(self, other):
        return type(other) is _ArrayResult and other.fn is self.fn

    __hash__ = None

    def __getattr__(self, name):
        if name in ("_draws", "_effect", "__name__"):  # its marks (not _replays_as: its result differs)
            return getattr(self.fn, name)
        raise AttributeError(name)


def _returns_known(slots, out):
    """Whether every array in ``out`` is one the tape already has (the op made nothing new)."""
    if type(out) is ndarray or isinstance(out, B.generic):
        return id(out) in slots
    if type(out) in (tuple, list):
        return all(o is None or _returns_known(slots, o) for o in out) and any(o is not None for o in out)
    return False


def deliver(tensor, g, owned):
    """The plain engine's accumulation of ``g`` into ``tensor.grad`` (a fresh Tensor, or an in-place
    sum into the existing one)."""
    current = tensor._grad
    if current is None:
        tensor._grad = _Tensor[0]._make(g if owned else g.copy())
    elif current._requires_grad:
        tensor._grad = _Tensor[0]._make(current._data + g)
    else:
        B.add(current._data, g, out=current._data)


_Tensor = [None]  # filled by _tensor.py (this module sits below it)


# ----------------------------------------------------------------- hooks for the core modules
def constant(array):
    """Marks ``array`` (made by a creation function, from shapes and Python values) as a
    constant a compiled step may keep; returns it."""
    rec = ACTIVE[0]
    if rec is not None:
        rec.trust(array)
    return array


def graph_break(what):
    rec = ACTIVE[0]
    if rec is not None and not rec.depth:
        rec.graph_break(what)


def value_guard(predicate, tensor, *extra):
    """``predicate(tensor's array, *extra)``, a Python decision on the values of an argument or
    an external Tensor (a fast path taken when every target is a valid class): a replay checks it
    again before it starts, and records again where it no longer holds. On a Tensor the step
    computed it is a graph break."""
    array = tensor._data
    result = predicate(array, *extra)
    rec = ACTIVE[0]
    if rec is not None and not rec.depth:
        rec.see(tensor)
        k = rec.slots.get(id(array))
        if k is not None and rec.kinds[k] in ("arg", "ext"):
            rec.value_guards.append((predicate, k, extra, result))
        else:
            rec.graph_break(f"a decision on tensor values ({predicate.__name__})")
    return result


def check(fn, *args):
    """``fn(*args)``, a check of values that raises torch's error (indices in range): a compiled
    step runs it again at replay, before the op that relies on it (``fn`` is marked ``_effect``)."""
    rec = ACTIVE[0]
    if rec is None or rec.depth:
        return fn(*args)
    fn._effect = True
    return rec.run(fn, args, {})


def call(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` on arrays, recorded when a recording is on."""
    rec = ACTIVE[0]
    if rec is None or rec.depth:
        return fn(*args, **kwargs)
    return rec.run(fn, args, kwargs)


def add(a, b):
    return B.asarray(a + b)


def add_into(a, b):
    """``a += b`` (an engine-owned cotangent buffer)."""
    B.add(a, b, out=a)
    return a


def astype(a, dtype):
    return a.astype(dtype)


def asarray(a):
    return B.asarray(a)


def copy(a):
    return a.copy()


def assign(target, value):
    """``target[...] = value``."""
    target[...] = value


def setitem(target, index, value):
    target[index] = value


def getitem(a, index):
    return a[index]


assign._writes = 0
setitem._writes = 0
add_into._writes = 0


def opaque(method):
    """Marks a method (``optimizer.step``) that a replay calls again instead of recording its arrays."""
    def recorded(self, *args, **kwargs):
        rec = ACTIVE[0]
        if rec is None:
            return method(self, *args, **kwargs)
        for a in (*args, *kwargs.values()):
            if callable(a) or isinstance(a, _Tensor[0]):
                rec.graph_break(f"{type(self).__name__}.{method.__name__}() with a closure or a tensor argument")
        ACTIVE[0] = None
        try:
            out = method(self, *args, **kwargs)
        finally:
            ACTIVE[0] = rec
        for p in getattr(self, "_compile_writes", lambda: ())():
            rec.opaque_owned.add(id(p))
        rec.entries.append(("opaque", method, (self,) + args, kwargs))
        return out
    recorded.__name__ = method.__name__
    recorded.__qualname__ = method.__qualname__
    recorded.__doc__ = method.__doc__
    recorded.__wrapped__ = method
    return recorded


def wrap_opaque_methods(cls, names):
    """``opaque`` on each of ``names`` that ``cls`` defines itself (for ``__init_subclass__``)."""
    for name in names:
        method = cls.__dict__.get(name)
        if method is not None and not hasattr(method, "__wrapped__"):
            setattr(cls, name, opaque(method))
