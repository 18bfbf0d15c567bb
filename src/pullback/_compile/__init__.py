"""``pullback.compile``: record one call of a step as a tape of array operations, replay it later.

How a compiled function runs a call:

1. guards: the call's signature (the shapes, dtypes and requires_grad of its Tensor arguments,
   the values of the others, grad mode, and the identity of the Tensors, modules and optimizers
   its closure and globals name) picks a cached program;
2. without one, the call runs eagerly while every array operation is recorded (Note [Recording a
   step] in ``_tape.py``). A recording is trusted only once two recordings of the signature agree
   (the same operations, the same constants bit for bit): so the first two calls of a signature
   run eagerly, and anything the recorder could not see (a value computed outside pullback's ops)
   shows up as a disagreement, never as a silently stale replay;
3. with one, the program (``_program.py``: one flat Python function, one line per array
   operation) runs on the arguments' arrays and the external Tensors where they live now.

A graph break (Python reading tensor values: ``.item()``, ``bool(t)``, ``.tolist()``,
``.numpy()``, a backward hook) makes that signature run eagerly from then on, with one warning
naming the file and line; ``fullgraph=True`` raises there instead.
"""
import functools
import types
import weakref
import warnings

from .. import _tape, _creation
from ..autograd import grad_mode
from .. import _levels
from .._backend import B
from .._tensor import Tensor
from ..nn.modules import module as _nn_module
from ._node import CompiledFunction
from ._record import run_recorded, same, unrecorded_writes
from ._program import Program, MISS, RELEASED

CACHE_LIMIT = 8  # recordings per function before it stays eager (torch.compile's recompile limit)
COMPILED = weakref.WeakSet()  # every compiled function (compiler.reset() clears their caches)


def _flatten(x, into):
    """The Tensors inside (nested tuples, lists, dicts of) arguments, and a hashable key of the rest."""
    t = type(x)
    if isinstance(x, Tensor):
        into.append(x)
        d = x._data
        return ("T", d.shape, d.dtype, x._requires_grad, x.grad_fn is None)
    if t is tuple or t is list:
        return (t.__name__,) + tuple(_flatten(v, into) for v in x)
    if t is dict:
        return ("dict",) + tuple((k, _flatten(v, into)) for k, v in x.items())
    try:
        hash(x)
    except TypeError:
        return ("id", id(x))
    return (t, x) if t in (int, float, bool, str, type(None)) else ("obj", id(x), _state_key(x))


def _state_key(x, depth=0):
    """What a replay of a step that reads ``x`` assumed about it: a Tensor's identity; for a
    module, the identities of its parameters and buffers, its training flags and its plain Python
    attributes (numbers, strings, flags), recomputed only when a module changed (``STATE_VERSION``);
    inside dicts, lists, tuples and plain objects' attributes, two levels deep, the same for what
    they hold. An optimizer or scheduler needs none: its ``step()`` runs again at replay."""
    if isinstance(x, Tensor):
        return id(x)
    if type(x) in _PLAIN:
        return (type(x), x)  # a number, string or flag the function may read
    if isinstance(x, _nn_module.Module):
        cached = x.__dict__.get("_compile_state")
        if cached is not None and cached[0] == _nn_module.STATE_VERSION[0] and cached[1] == id(x):
            return cached[2]  # (a copied module carries the cache of another object: the id tells)
        key = (tuple((id(p), p._data.shape) for p in _module_tensors(x)),
               tuple((m.training, tuple((k, v) for k, v in m.__dict__.items() if type(v) in _PLAIN))
                     for m in _modules(x)))
        x.__dict__["_compile_state"] = (_nn_module.STATE_VERSION[0], id(x), key)
        return key
    if depth < 2:
        t = type(x)
        if (t is dict or t is list or t is tuple) and len(x) > _WALKED:
            return ("many", id(x), len(x))  # (a big container is guarded by identity and length only)
        if t is dict:
            items = x.items()
        elif t is list or t is tuple:
            items = enumerate(x)
        else:
            d = getattr(x, "__dict__", None)
            if (type(d) is not dict or callable(x) or isinstance(x, (type, types.ModuleType))
                    or getattr(x, "_compile_opaque", False)):
                return None
            items = d.items()
        held = tuple((k, key) for k, key in ((k, _state_key(v, depth + 1)) for k, v in items) if key)
        return held or None
    return None


_PLAIN = (int, float, bool, str, type(None))
_WALKED = 64  # the most items of a container the guards look into


def _modules(module):
    stack, seen = [module], set()
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        yield m
        stack.extend(c for c in m._modules.values() if c is not None)


def _module_tensors(module):
    stack = [module]
    while stack:
        m = stack.pop()
        for p in m._parameters.values():
            if p is not None:
                yield p
        for b in m._buffers.values():
            if b is not None:
                yield b
        stack.extend(c for c in m._modules.values() if c is not None)


def _closure_names(fn):
    """The closure cells and global names ``fn`` reads (its own and its nested functions')."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return (), ()
    names, stack = set(), [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if hasattr(k, "co_names"))
    return tuple(fn.__closure__ or ()), tuple(sorted(n for n in names if n in fn.__globals__))


def _output_template(out, rec, arg_ids):
    if isinstance(out, Tensor):
        if id(out) in arg_ids:
            return ("same", out)
        data = out._data
        if id(data) not in rec.slots and id(out) not in rec.born:
            return ("same", out)  # a Tensor that existed before the call (a parameter): itself
        if out._grad is not None:
            return None  # a Tensor made in the call that received a .grad: a replay cannot rebuild it
        rec.see(out)
        return ("tensor", rec.slots[id(data)], out._requires_grad and grad_mode._state.enabled)
    t = type(out)
    if t is tuple or t is list:
        return (t.__name__, tuple(_output_template(v, rec, arg_ids) for v in out))
    if isinstance(out, tuple):
        return ("typed", t, tuple(_output_template(v, rec, arg_ids) for v in out))
    if t is dict:
        return ("dict", tuple((k, _output_template(v, rec, arg_ids)) for k, v in out.items()))
    if t in (int, float, bool, str, type(None)):
        return ("lit", out)
    return None  # something a replay cannot rebuild


class _Signature:
    __slots__ = ("program", "pending", "disagreements", "eager")

    def __init__(self):
        self.program = None
        self.pending = None      # the first recording, waiting for a second to agree with it
        self.disagreements = 0
        self.eager = False


class CompiledCallable:
    """What ``pullback.compile(fn)`` returns: call it as ``fn``."""

    def __init__(self, fn, fullgraph=False, dynamic=False, *, guard_also=(), warn=True):
        self._fn = fn
        self._fullgraph = fullgraph
        self._signatures = {}
        self._warned = not warn  # (pullback.sparse compiles users' functions: its fallback is silent)
        # The closure cells and globals the guards read: fn's, and those of the functions in
        # guard_also (a function fn calls through an attribute, as pullback.sparse's evaluation does).
        self._closures = [(_closure_names(g), getattr(g, "__globals__", None)) for g in (fn, *guard_also)]
        self._last_identity = self._last_closure_key = None
        COMPILED.add(self)
        self.recordings = 0  # calls that ran eagerly while recording
        self.replays = 0     # calls that replayed a program
        functools.update_wrapper(self, fn)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def _key(self, args, kwargs, tensors):
        return (_flatten(args, tensors), _flatten(kwargs, tensors), grad_mode._state.enabled, self._closure_key())

    def _closure_key(self):
        """The guards' view of what the closures and globals hold (``_state_key`` of each). When
        the same objects are there as at the last call, none of them a container or a plain
        object (which change without telling), and no module changed, the last key stands."""
        held = []
        for (cells, names), g in self._closures:
            held.extend(c.cell_contents if _is_guarded(c) else None for c in cells)
            held.extend(g[n] for n in names if n in g)
        owner = getattr(self._fn, "__self__", None)
        if owner is not None:  # a bound method (a module's __call__): its object's state
            held.append(owner)
        identity = (tuple(map(id, held)), _nn_module.STATE_VERSION[0])
        if identity == self._last_identity:
            return self._last_closure_key
        key = tuple(_state_key(v) for v in held)
        if all(_keeps_its_key(v) for v in held):
            self._last_identity, self._last_closure_key = identity, key
        return key

    def __call__(self, *args, **kwargs):
        if _tape.ACTIVE[0] is not None or _levels.OPEN[0]:
            return self._fn(*args, **kwargs)  # inside a recording or a transform: the plain function
        tensors = []
        key = self._key(args, kwargs, tensors)
        sig = self._signatures.get(key)
        if sig is not None and sig.program is not None:
            program = sig.program
            if not program.running.acquire(blocking=False):
                return self._fn(*args, **kwargs)  # replaying in another thread: this call runs eagerly
            try:
                out = _replay(program, tensors, self._fn, args, kwargs)
            finally:
                program.running.release()
            if out is not MISS:
                self.replays += 1
                return out
            sig.program = None
        if sig is None:
            if len(self._signatures) >= CACHE_LIMIT:
                self._warn(f"{CACHE_LIMIT} signatures recorded; further ones run eagerly")
                return self._fn(*args, **kwargs)
            sig = self._signatures[key] = _Signature()
        if sig.eager:
            return self._fn(*args, **kwargs)
        return self._record(sig, args, kwargs, tensors)

    def _record(self, sig, args, kwargs, tensors):
        self.recordings += 1
        rec, out, template = record_call(self._fn, args, kwargs, tensors, self._fullgraph)
        if rec.breaks:
            what, where = rec.breaks[0]
            self._warn(f"graph break: {what} at {where}; this signature runs eagerly")
            sig.eager = True
            return out
        if template is None or _contains_none(template):
            self._warn(f"the result ({type(out).__name__}) cannot be rebuilt by a replay; this signature runs eagerly")
            sig.eager = True
            return out
        bad = unrecorded_writes(rec)
        if bad:
            self._warn("a tensor was written outside pullback's operations; this signature runs eagerly")
            sig.eager = True
            return out
        backward = None
        differentiable = _differentiable_outputs(out, template)
        if differentiable:
            try:
                backward = _record_backward(rec, differentiable, tensors)
            except Exception:  # noqa: BLE001  (the eager result stands; only the replay is given up)
                backward = None
            if backward is None or rec.breaks:
                self._warn("the backward of the result cannot be recorded; this signature runs eagerly")
                sig.eager = True
                return out
        recording = (rec.entries, template)
        if sig.pending is not None and same(sig.pending[0], recording):
            sig.program = Program(rec, tensors, template, backward)
            sig.pending = None
        else:
            if sig.pending is not None:
                sig.disagreements += 1
                if sig.disagreements >= 2:
                    self._warn("two recordings of the same call disagree (a value computed outside pullback's "
                               "operations); this signature runs eagerly")
                    sig.eager = True
            sig.pending = (recording, rec)
        return out

    def _warn(self, message):
        if not self._warned:
            self._warned = True
            warnings.warn(f"pullback.compile({getattr(self._fn, '__qualname__', self._fn)!s}): {message}",
                          UserWarning, stacklevel=3)


def record_call(fn, args, kwargs, tensors, fullgraph=False):
    """Runs ``fn(*args, **kwargs)`` recorded, ``tensors`` its Tensor arguments in order; returns
    the Recorder, the result and the result's template (None where a replay cannot rebuild it)."""
    rec = _tape.Recorder(fullgraph)
    for t in tensors:
        rec.add_argument(t)
    out = run_recorded(rec, fn, args, kwargs)
    _tape.ACTIVE[0] = rec
    try:  # (a result computed outside the recorded ops is a graph break too)
        template = _output_template(out, rec, {id(t): i for i, t in enumerate(tensors)})
    finally:
        _tape.ACTIVE[0] = None
    return rec, out, template


def _differentiable_outputs(out, template):
    """The result's Tensors that the template marks as requiring grad, in the template's order."""
    found = []

    def walk(value, tpl):
        kind = tpl[0]
        if kind == "tensor":
            if tpl[2]:
                found.append(value)
        elif kind in ("tuple", "list"):
            for v, t in zip(value, tpl[1]):
                walk(v, t)
        elif kind == "typed":
            for v, t in zip(value, tpl[2]):
                walk(v, t)
        elif kind == "dict":
            for key, t in tpl[1]:
                walk(value[key], t)
    walk(out, template)
    return found


def _record_backward(rec, outputs, arg_tensors):
    """Records, onto ``rec`` after a mark, the backward of ``outputs`` into the Tensors their graph
    reaches (the arguments that require grad, the leaves): the compiled node's VJP. Returns
    (mark, seed slots, gradient slots per input), or RELEASED where the step has already run
    backward through that graph, and stores the inputs on ``rec``."""
    from ..autograd import grad as autograd_grad
    inputs, released = _graph_inputs(outputs, arg_tensors)
    if not inputs:
        return None
    rec.backward_inputs = inputs
    if released:
        # The step ran backward() through its result already (``loss.backward(); return loss``):
        # a replay's result says so too, with torch's error if it is differentiated again.
        return RELEASED
    mark = len(rec.entries)
    seeds = [Tensor._make(B.zeros(o._data.shape, o._data.dtype)) for o in outputs]
    seed_slots = [rec._new_slot(g._data, "seed") for g in seeds]
    grads = run_recorded(rec, autograd_grad, (outputs, inputs, seeds),
                         dict(retain_graph=True, allow_unused=True))
    _tape.ACTIVE[0] = rec
    try:
        for g in grads:
            if g is not None:
                rec.see(g)
    finally:
        _tape.ACTIVE[0] = None
    return mark, seed_slots, [None if g is None else rec.slots[id(g._data)] for g in grads]


def _graph_inputs(outputs, arg_tensors):
    """The Tensors a compiled node takes gradients for: the arguments that require grad, and the
    leaves the outputs' graph reaches."""
    from ..autograd.graph import AccumulateGrad
    inputs = [t for t in arg_tensors if t._requires_grad]
    taken = {id(t) for t in inputs}
    stops = {id(t.grad_fn) for t in inputs if t.grad_fn is not None}
    seen, stack = set(), [o.grad_fn for o in outputs if o.grad_fn is not None]
    released = False
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or id(node) in stops:
            continue
        seen.add(id(node))
        released = released or getattr(node, "released", False)
        if type(node) is AccumulateGrad:
            t = node.variable
            if id(t) not in taken:
                taken.add(id(t))
                inputs.append(t)
            continue
        stack.extend(node.next_nodes)
    return inputs, released


def _replay(program, tensors, fn, args, kwargs):
    if program.backward_spec is None:
        return program.forward(tensors)
    rng_state = _creation.get_rng_state() if program.pure and program.random else None
    replayed = program.forward(tensors)
    if replayed is MISS:
        return MISS
    result, diff, saved = replayed
    inputs = [tensors[i] if i is not None else t for i, t in program.input_refs]
    if grad_mode._state.enabled and any(t._requires_grad for t in inputs):
        recompute = (fn, args, kwargs, rng_state) if program.pure else None
        CompiledFunction.apply(program, tensors, saved, diff, recompute, *inputs)
    return result


def _keeps_its_key(v):
    """Whether ``v``'s guard key can only change with its identity or a module's STATE_VERSION."""
    return (v is None or type(v) in _PLAIN or isinstance(v, (Tensor, _nn_module.Module, types.ModuleType, type))
            or callable(v) or getattr(v, "_compile_opaque", False))


def _is_guarded(cell):
    try:
        cell.cell_contents
    except ValueError:  # an empty cell (a name assigned later)
        return False
    return True


def _contains_none(template):
    if template is None:
        return True
    if template[0] in ("tuple", "list"):
        return any(_contains_none(t) for t in template[1])
    if template[0] == "typed":
        return any(_contains_none(t) for t in template[2])
    if template[0] == "dict":
        return any(_contains_none(t) for _, t in template[1])
    return False


def compile(model=None, *, fullgraph=False, dynamic=None, backend="pullback", mode=None, options=None,
            disable=False):
    """Compiles ``model`` (a function or a Module): later calls replay its recorded array operations.

    The first calls with a given signature run eagerly while pullback records every array
    operation they perform (forward, ``backward()``/``autograd.grad``, in-place writes, random
    draws, gradients written to ``.grad``); ``optimizer.step()``, ``optimizer.zero_grad()`` and
    ``scheduler.step()`` inside are called again at each replay. Once two recordings of a
    signature agree, calls replay the tape as one flat Python function on arrays: the same NumPy
    calls on the same values in the same order, so results are bitwise those of the eager run.

    Args:
        model (callable or Module): the function to compile; usable as a decorator, with or without
            arguments.
        fullgraph (bool): raise at a graph break (Python reading tensor values) instead of running
            that signature eagerly with a warning.
        dynamic (bool, optional): accepted; a new shape is a new signature (re-recorded).
        backend, mode, options: accepted for ``torch.compile``'s signature; ignored.
        disable (bool): return ``model`` unchanged.

    Example::

        >>> @pullback.compile
        ... def step(x, y):
        ...     opt.zero_grad()
        ...     loss = F.mse_loss(model(x), y)
        ...     loss.backward()
        ...     opt.step()
        ...     return loss.detach()
    """
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, disable=disable)
    if disable:
        return model
    from ..nn.modules.module import Module
    if isinstance(model, Module):
        from ._module import compile_module
        return compile_module(model, fullgraph=fullgraph, dynamic=dynamic)
    if not callable(model):
        raise RuntimeError(f"compile(): expected a callable or a Module, got {type(model).__name__}")
    return CompiledCallable(model, fullgraph=fullgraph, dynamic=bool(dynamic))
