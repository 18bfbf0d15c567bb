"""A recorded tape turned into a flat Python function on arrays.

Each entry becomes one line: ``v7 = f3(v2, v5, axis=1)``. Before that the tape is cut down:
entries whose outputs nobody reads are dropped (dead code), constants nobody writes and that never
escape to the caller are shared between calls instead of copied, and loads of external Tensors
are placed at their first use and again after each opaque call (which may rebind them). The
guards (the shapes, dtypes and requires_grad of the external Tensors, the presence of the
gradients read) are the function's first lines: a miss returns before anything is written.
"""
import math
import threading

from .. import _tape
from .._backend import B, ndarray
from .._tape import Slot

MISS = object()  # what a replay returns when a guard fails (the caller records again)
RELEASED = "released"  # the backward spec of a call whose result's graph it consumed itself


class _Named(str):
    """A name already in the generated function's namespace."""
    __slots__ = ()


def _render(x, names, objects):
    """Python source for an argument template."""
    t = type(x)
    if t is Slot:
        return names(x)
    if t is _Named:
        return str(x)
    if x is None or t is bool or t is int or t is str:
        return repr(x)
    if t is float and math.isfinite(x):
        return repr(x)
    if t is tuple:
        return "(" + "".join(_render(v, names, objects) + ", " for v in x) + ")"
    if t is list:
        return "[" + ", ".join(_render(v, names, objects) for v in x) + "]"
    if t is dict and all(type(k) is str for k in x):
        return "{" + ", ".join(f"{k!r}: {_render(v, names, objects)}" for k, v in x.items()) + "}"
    if t is slice:
        return f"slice({_render(x.start, names, objects)}, {_render(x.stop, names, objects)}, " \
               f"{_render(x.step, names, objects)})"
    name = f"L{len(objects)}"
    objects[name] = x
    return name


def _slots_in(x, into):
    t = type(x)
    if t is Slot:
        into.append(x)
    elif t is tuple or t is list:
        for v in x:
            _slots_in(v, into)
    elif t is dict:
        for v in x.values():
            _slots_in(v, into)
    elif t is slice:
        _slots_in((x.start, x.stop, x.step), into)
    return into


class Program:
    """The replayable form of one recording. ``program.forward(arg_tensors)`` replays the call and
    returns its result (MISS where a guard fails); with a recorded backward (the call returned
    Tensors that require grad) it returns ``(result, differentiable outputs, saved arrays)`` and
    ``program.backward(arg_tensors, saved, cotangents)`` replays the backward into the inputs."""

    def __init__(self, rec, arg_tensors, out_template, backward=None):
        self.kinds = rec.kinds
        self.values = rec.values
        self.arg_slots = [rec.slots[id(t._data)] for t in arg_tensors]
        self.arg_ids = {id(t): i for i, t in enumerate(arg_tensors)}
        self.out_template = out_template
        self.written = rec.written
        self.value_guards = rec.value_guards
        self.loaded_from = rec.loaded_from
        self.released = backward == RELEASED
        self.backward_spec = backward
        mark = len(rec.entries) if backward is None or self.released else backward[0]
        self.entries = rec.entries[:mark]
        self.backward_entries = rec.entries[mark:]
        roots = _slots_in(out_template, [])
        if backward is not None and not self.released:
            _, seeds, grads = backward
            self.backward_live, backward_needs = _live(self.backward_entries, [k for k in grads if k is not None])
            produced = set(seeds)
            for e in self.backward_entries:
                if e[0] == "op":
                    produced.update(_slots_in(e[4], []))
                elif e[0] in ("load", "loadgrad", "const"):
                    produced.add(e[1])
            self.saved_slots = sorted(k for k in backward_needs if k not in produced)
        else:
            self.saved_slots = []
        self.live, _ = _live(self.entries, roots + self.saved_slots)
        self.shared_constants = 0
        self.running = threading.Lock()  # its reused buffers serve one replay at a time
        self.backward_inputs = getattr(rec, "backward_inputs", ())
        self.seed_shapes = [rec.values[k].shape for k in backward[1]] if backward and not self.released else []
        self.source, self.forward, self.backward = self._generate()
        self.values = None  # the recording's arrays were needed only to write the code

        # Per input of the backward: (its argument position, None) or (None, the Tensor).
        self.input_refs = [(self.arg_ids[id(t)], None) if id(t) in self.arg_ids else (None, t)
                           for t in self.backward_inputs]
        # A call with no effect but its result can be recomputed eagerly (a double backward).
        self.pure = not any(e[0] in ("deliver", "setgrad", "opaque") or
                            e[0] == "op" and getattr(e[1], "_writes", None) is not None for e in self.entries)
        self.random = any(e[0] == "op" and getattr(e[1], "_draws", False) for e in self.entries)

    def _escaping(self):
        """Slots whose arrays reach the caller (outputs, .grad): never shared between calls."""
        out = set(_slots_in(self.out_template, []))
        for e in self.entries + self.backward_entries:
            if e[0] in ("deliver", "setgrad") and e[2] is not None:
                out.add(e[2])
        if self.backward_spec is not None and not self.released:
            out.update(k for k in self.backward_spec[2] if k is not None)
        return out

    def _reaching_out(self, escaping):
        """The slots whose arrays may be seen after the call: those that escape, those the
        backward keeps, and every input of an op that may return a view of it (anything but a
        ufunc) or keep it (a primitive with a scratch space) when that op's result reaches out."""
        out = set(escaping) | set(self.saved_slots)
        for e in reversed(self.entries + self.backward_entries):
            if e[0] != "op":
                continue
            fn, args, kwargs, outs = e[1], e[2], e[3], e[4]
            keeps = any(type(v) is _tape.Scratch for v in kwargs.values())
            if keeps or (_as_ufunc(fn, kwargs)[0] is None and any(k in out for k in _slots_in(outs, []))):
                out.update(_slots_in((args, kwargs), []))
        return out

    # --------------------------------------------------------------- code
    def _generate(self):
        emit = _Emitter(self)
        guards = []
        forward = [f"v{k} = A[{i}]._data" for i, k in enumerate(self.arg_slots)]
        emit.entries(self.entries, self.live, forward, guards)
        for n, (predicate, k, extra, result) in enumerate(self.value_guards):
            emit.objects[f"G{n}"] = (predicate, extra)
            array = (f"A[{self.arg_slots.index(k)}]._data" if k in self.arg_slots
                     else f"{emit.tensor_ref(self.loaded_from[k])}._data")
            guards.append(f"bool(G{n}[0]({array}, *G{n}[1])) is {bool(result)!r}")
        diff = []
        result = emit.output(self.out_template, forward, diff)
        if self.backward_spec is None:
            forward.append(f"return {result}")
        else:
            saved = "".join(emit.name(k, forward) + ", " for k in self.saved_slots)
            forward.append(f"return {result}, [{', '.join(diff)}], ({saved})")
        head = ["def forward(A):"]
        if guards:
            head.append("    if not (" + " and\n            ".join(guards) + "):")
            head.append("        return MISS")
        source = "\n".join(head + ["    " + line for line in forward]) + "\n"
        if self.backward_spec is not None and not self.released:
            _, seeds, grads = self.backward_spec
            emit.reset()
            backward = [f"({''.join(f'v{k}, ' for k in self.saved_slots)}) = S",
                        f"({''.join(f'v{k}, ' for k in seeds)}) = G"]
            emit.entries(self.backward_entries, self.backward_live, backward, [])
            backward.append("return (" + "".join((emit.name(k, backward) if k is not None else "None") + ", "
                                               for k in grads) + ")")
            source += "\n\ndef backward(A, S, G):\n" + "\n".join("    " + line for line in backward) + "\n"
        self.shared_constants = len(emit.consts)
        self.reused_buffers = emit.buffers
        namespace = dict(emit.objects)
        exec(compile(source, "<pullback.compile>", "exec"), namespace)
        return source, namespace["forward"], namespace.get("backward")

    def count(self):
        """(entries recorded, entries replayed)."""
        return (len(self.entries) + len(self.backward_entries),
                sum(self.live) + sum(getattr(self, "backward_live", ())))


def _live(entries, roots):
    """Per entry, whether it must run: effects always; an op or a load when a later live entry,
    an effect or a root reads what it makes. Also the slots the live entries read."""
    needed = set(roots)
    live = [False] * len(entries)
    for i in range(len(entries) - 1, -1, -1):
        e = entries[i]
        kind = e[0]
        if kind == "op":
            if (getattr(e[1], "_writes", None) is not None or getattr(e[1], "_effect", False)
                    or any(k in needed for k in _slots_in(e[4], []))):
                live[i] = True
                needed.update(_slots_in((e[2], e[3]), []))
        elif kind in ("load", "loadgrad", "const"):
            live[i] = e[1] in needed
        else:  # deliver, setgrad, opaque
            live[i] = True
            if kind in ("deliver", "setgrad") and e[2] is not None:
                needed.add(e[2])
    return live, needed


class _Emitter:
    """Writes tape entries as lines of Python, with the names they use in one namespace."""

    def __init__(self, program):
        self.p = program
        self.objects = {"MISS": MISS, "deliver": _tape.deliver, "Tensor": _tape._Tensor[0]}
        self.escaping = program._escaping()
        self.reach_out = program._reaching_out(self.escaping)
        self.buffers = 0        # ufunc results written into arrays reused across calls
        self.consts = {}        # slot -> name of a constant shared between calls
        self.tensor_names = {}
        self.deliveries = {}
        for e in program.entries + program.backward_entries:
            if e[0] == "deliver":
                self.deliveries[e[2]] = self.deliveries.get(e[2], 0) + 1
        self.reset()

    def reset(self):
        self.loaded = set()     # external slots loaded since the last opaque call
        self.ext_of = {}        # external slot -> its load entry

    def tensor_ref(self, t):
        i = self.p.arg_ids.get(id(t))
        if i is not None:
            return f"A[{i}]"
        name = self.tensor_names.get(id(t))
        if name is None:
            name = self.tensor_names[id(t)] = f"E{len(self.tensor_names)}"
            self.objects[name] = t
        return name

    def name(self, k, lines):
        if k in self.consts:
            return self.consts[k]
        if k in self.ext_of and k not in self.loaded:
            self._load(self.ext_of[k], lines)
        return f"v{k}"

    def _load(self, e, lines):
        kind, k, t = e
        attr = "_data" if kind == "load" else "_grad._data"
        lines.append(f"v{k} = {self.tensor_ref(t)}.{attr}")
        self.loaded.add(k)

    def entries(self, entries, live, lines, guards):
        p, objects = self.p, self.objects
        name = lambda k: self.name(k, lines)  # noqa: E731
        outputs = set(_slots_in(p.out_template, []))
        for e, is_live in zip(entries, live):
            if not is_live:
                continue
            kind = e[0]
            if kind in ("load", "loadgrad"):
                _, k, t = e
                ref = self.tensor_ref(t)
                v = p.values[k]
                objects[f"L_dt{k}"] = v.dtype
                if kind == "load":
                    guards.append(f"{ref}._data.shape == {v.shape!r} and {ref}._data.dtype is L_dt{k} "
                                  f"and {ref}._requires_grad is {t._requires_grad!r}")
                else:
                    guards.append(f"{ref}._grad is not None and {ref}._grad._data.shape == {v.shape!r} "
                                  f"and {ref}._grad._data.dtype is L_dt{k}")
                self.ext_of[k] = e
                self._load(e, lines)
            elif kind == "const":
                _, k, value = e
                cname = f"C{k}"
                objects[cname] = value
                if k in p.written or k in self.escaping:
                    lines.append(f"v{k} = {cname}.copy()")
                else:
                    self.consts[k] = cname
            elif kind == "op":
                _, fn, args, kwargs, outs = e
                ufunc, plain_kwargs = _as_ufunc(fn, kwargs)
                buffer = None
                if ufunc is not None:
                    fn, kwargs = ufunc, plain_kwargs
                    args = self._typed_literals(args)
                    buffer = self._buffer(outs)
                fname = f"F{len(objects)}"
                objects[fname] = fn
                call = ", ".join([_render(a, name, objects) for a in args] +
                                 [f"{key}={_render(v, name, objects)}" for key, v in kwargs.items()] +
                                 ([buffer] if buffer else []))
                target = _targets(outs)
                lines.append(f"{target} = {fname}({call})" if target else f"{fname}({call})")
            elif kind == "deliver":
                _, t, k = e
                v = p.values[k]
                owned = (p.kinds[k] == "op" and type(v) is ndarray and v.base is None
                         and self.deliveries[k] == 1 and k not in outputs)
                lines.append(f"deliver({self.tensor_ref(t)}, {name(k)}, {owned!r})")
            elif kind == "setgrad":
                _, t, k = e
                lines.append(f"{self.tensor_ref(t)}._grad = " + ("None" if k is None else f"Tensor._make({name(k)})"))
            else:  # opaque
                _, method, args, kwargs = e
                mname = f"M{len(objects)}"
                objects[mname] = (method, args, kwargs)
                lines.append(f"{mname}[0](*{mname}[1], **{mname}[2])")
                self.loaded.clear()

    def _typed_literals(self, args):
        """A ufunc's Python number operands as 0-d arrays of its float operands' dtype: NumPy
        converts a Python float or int to that dtype on every call (NEP 50), so the result is the
        same and the conversion is done once."""
        dtypes = {self.p.values[a].dtype for a in args if type(a) is Slot}
        if len(dtypes) != 1 or not any(type(a) in (float, int) for a in args):
            return args
        dt = dtypes.pop()
        if dt.kind != "f":
            return args
        out = []
        for a in args:
            if type(a) in (float, int):
                name = f"K{len(self.objects)}"
                self.objects[name] = B.asarray(a, dtype=dt)
                out.append(_Named(name))
            else:
                out.append(a)
        return tuple(out)

    def _buffer(self, outs):
        """An output array allocated once and reused by every replay (``out=``), for a ufunc
        result that does not leave the call (not returned, not put in ``.grad``, not kept for the
        backward, not aliased by something that is)."""
        if type(outs) is not Slot or outs in self.reach_out:
            return None
        v = self.p.values[outs]
        if type(v) is not ndarray or not v.ndim:
            return None
        name = f"O{outs}"
        self.objects[name] = B.empty_like(v)
        self.buffers += 1
        return name

    def output(self, tpl, lines, diff):
        """Source building the call's result; Tensors that require grad are named in ``diff``."""
        kind = tpl[0]
        if kind == "tensor":
            _, k, requires_grad = tpl
            made = f"Tensor._make({self.name(k, lines)})"
            if not requires_grad:
                return made
            var = f"o{len(diff)}"
            lines.append(f"{var} = {made}")
            diff.append(var)
            return var
        if kind == "same":
            return self.tensor_ref(tpl[1])
        if kind in ("tuple", "list"):
            body = "".join(self.output(t, lines, diff) + ", " for t in tpl[1])
            return f"({body})" if kind == "tuple" else f"[{body}]"
        if kind == "dict":
            return "{" + ", ".join(f"{_render(key, None, self.objects)}: {self.output(t, lines, diff)}"
                                   for key, t in tpl[1]) + "}"
        if kind == "typed":  # a namedtuple or another tuple subclass
            tname = f"T{len(self.objects)}"
            self.objects[tname] = tpl[1]
            return f"{tname}(*({''.join(self.output(t, lines, diff) + ', ' for t in tpl[2])}))"
        return _render(tpl[1], None, self.objects)


def _as_ufunc(fn, kwargs):
    """(the single-output NumPy ufunc an entry calls, its keyword arguments), or (None, None):
    ``fn`` itself, or the ufunc a wrapper declares it is for these arguments (``_replays_as``)."""
    form = getattr(fn, "_replays_as", None)
    if form is not None and (form[1] is None or form[1](**kwargs)):
        return form[0], {}
    if type(fn) is B.ufunc and not kwargs and fn.nout == 1:
        return fn, kwargs
    return None, None


def _targets(outs):
    if type(outs) is Slot:
        return f"v{outs}"
    if type(outs) in (tuple, list):
        return "(" + "".join((f"v{o}" if type(o) is Slot else "_") + ", " for o in outs) + ")"
    return None
