"""A recorded tape turned into a flat Python function on arrays.

Each entry becomes one line: ``v7 = f3(v2, v5, axis=1)``. Before that the tape is cut down:
entries whose outputs nobody reads are dropped (dead code), constants nobody writes and that never
escape to the caller are shared between calls instead of copied, and loads of external Tensors
are placed at their first use and again after each opaque call (which may rebind them). The
guards (the shapes, dtypes and requires_grad of the external Tensors, the presence of the
gradients read) are the function's first lines: a miss returns before anything is written.
"""
import math

from .. import _tape
from .._backend import ndarray
from .._tape import Slot

MISS = object()  # what a replay returns when a guard fails (the caller records again)


def _render(x, names, objects):
    """Python source for an argument template."""
    t = type(x)
    if t is Slot:
        return names(x)
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
    """The replayable form of one recording: ``program(arg_tensors)`` returns the outputs' template
    filled, or MISS."""

    def __init__(self, rec, arg_tensors, out_template):
        self.entries = rec.entries
        self.kinds = rec.kinds
        self.values = rec.values
        self.arg_slots = [rec.slots[id(t._data)] for t in arg_tensors]
        self.arg_ids = {id(t): i for i, t in enumerate(arg_tensors)}
        self.out_template = out_template
        self.written = rec.written
        self.value_guards = rec.value_guards
        self.live = self._live_entries()
        self.source, self.function = self._generate()

    # --------------------------------------------------------------- analysis
    def _live_entries(self):
        """Per entry, whether it must run: effects always; an op or load when a later live entry,
        an effect or the outputs read what it makes."""
        needed = set(_slots_in(self.out_template, []))
        live = [False] * len(self.entries)
        for i in range(len(self.entries) - 1, -1, -1):
            e = self.entries[i]
            kind = e[0]
            if kind == "op":
                outs = _slots_in(e[4], [])
                if getattr(e[1], "_writes", None) is not None or any(k in needed for k in outs):
                    live[i] = True
                    needed.update(_slots_in((e[2], e[3]), []))
            elif kind in ("load", "loadgrad", "const"):
                live[i] = e[1] in needed
            else:  # deliver, opaque
                live[i] = True
                if kind == "deliver":
                    needed.add(e[2])
        return live

    def _escaping(self):
        """Slots whose arrays reach the caller (outputs, .grad): never shared between calls."""
        out = set(_slots_in(self.out_template, []))
        for e in self.entries:
            if e[0] == "deliver":
                out.add(e[2])
        return out

    # --------------------------------------------------------------- code
    def _generate(self):
        objects = {"MISS": MISS, "deliver": _tape.deliver, "Tensor": _tape._Tensor[0]}
        escaping = self._escaping()
        consts = {}       # slot -> name of a shared constant
        loaded = set()    # external slots loaded since the last opaque call
        ext_of = {}       # external slot -> its load entry
        lines = []
        guards = []
        tensor_names = {}

        def tensor_ref(t):
            i = self.arg_ids.get(id(t))
            if i is not None:
                return f"A[{i}]"
            name = tensor_names.get(id(t))
            if name is None:
                name = tensor_names[id(t)] = f"E{len(tensor_names)}"
                objects[name] = t
            return name

        def name(k):
            if k in consts:
                return consts[k]
            if k in ext_of and k not in loaded:
                emit_load(ext_of[k])
            return f"v{k}"

        def emit_load(e):
            kind, k, t = e
            attr = "_data" if kind == "load" else "_grad._data"
            lines.append(f"v{k} = {tensor_ref(t)}.{attr}")
            loaded.add(k)

        for i, k in enumerate(self.arg_slots):
            lines.append(f"v{k} = A[{i}]._data")
        deliveries = {}
        for e in self.entries:
            if e[0] == "deliver":
                deliveries[e[2]] = deliveries.get(e[2], 0) + 1
        for e, live in zip(self.entries, self.live):
            if not live:
                continue
            kind = e[0]
            if kind in ("load", "loadgrad"):
                _, k, t = e
                ref = tensor_ref(t)
                v = self.values[k]
                if kind == "load":
                    guards.append(f"{ref}._data.shape == {v.shape!r} and {ref}._data.dtype is L_dt{k} "
                                  f"and {ref}._requires_grad is {t._requires_grad!r}")
                else:
                    guards.append(f"{ref}._grad is not None and {ref}._grad._data.shape == {v.shape!r} "
                                  f"and {ref}._grad._data.dtype is L_dt{k}")
                objects[f"L_dt{k}"] = v.dtype
                ext_of[k] = e
                emit_load(e)
            elif kind == "const":
                _, k, value = e
                cname = f"C{k}"
                objects[cname] = value
                if k in self.written or k in escaping:
                    lines.append(f"v{k} = {cname}.copy()")
                else:
                    consts[k] = cname
            elif kind == "op":
                _, fn, args, kwargs, outs = e
                fname = f"F{len(objects)}"
                objects[fname] = fn
                call = ", ".join([_render(a, name, objects) for a in args] +
                                 [f"{key}={_render(v, name, objects)}" for key, v in kwargs.items()])
                target = self._targets(outs)
                lines.append(f"{target} = {fname}({call})" if target else f"{fname}({call})")
            elif kind == "deliver":
                _, t, k = e
                v = self.values[k]
                owned = (self.kinds[k] == "op" and type(v) is ndarray and v.base is None
                         and deliveries[k] == 1 and k not in _slots_in(self.out_template, []))
                lines.append(f"deliver({tensor_ref(t)}, {name(k)}, {owned!r})")
            else:  # opaque
                _, method, args, kwargs = e
                mname = f"M{len(objects)}"
                objects[mname] = (method, args, kwargs)
                lines.append(f"{mname}[0](*{mname}[1], **{mname}[2])")
                loaded.clear()
        for n, (predicate, k, extra, result) in enumerate(self.value_guards):
            objects[f"G{n}"] = (predicate, extra)
            guards.append(f"bool(G{n}[0]({self._arg_array(k)}, *G{n}[1])) is {bool(result)!r}")
        lines.append("return " + self._render_output(self.out_template, name, objects, tensor_ref))
        head = ["def replay(A):"]
        if guards:
            head.append("    if not (" + " and\n            ".join(guards) + "):")
            head.append("        return MISS")
        source = "\n".join(head + ["    " + line for line in lines]) + "\n"
        self.shared_constants = len(consts)
        namespace = dict(objects)
        exec(compile(source, "<pullback.compile>", "exec"), namespace)
        return source, namespace["replay"]

    def _arg_array(self, k):
        return f"A[{self.arg_slots.index(k)}]._data"

    @staticmethod
    def _targets(outs):
        if type(outs) is Slot:
            return f"v{outs}"
        if type(outs) in (tuple, list):
            return "(" + "".join((f"v{o}" if type(o) is Slot else "_") + ", " for o in outs) + ")"
        return None

    def _render_output(self, tpl, name, objects, tensor_ref):
        kind = tpl[0]
        if kind == "tensor":
            _, k, requires_grad = tpl
            return f"Tensor._make({name(k)}, requires_grad={requires_grad!r})"
        if kind == "same":
            return tensor_ref(tpl[1])
        if kind in ("tuple", "list"):
            items = [self._render_output(t, name, objects, tensor_ref) for t in tpl[1]]
            body = "".join(i + ", " for i in items)
            return f"({body})" if kind == "tuple" else f"[{body}]"
        if kind == "dict":
            return "{" + ", ".join(f"{_render(key, name, objects)}: {self._render_output(t, name, objects, tensor_ref)}"
                                   for key, t in tpl[1]) + "}"
        if kind == "typed":  # a namedtuple or other tuple subclass
            objects[f"T{len(objects)}"] = tpl[1]
            items = [self._render_output(t, name, objects, tensor_ref) for t in tpl[2]]
            return f"T{len(objects) - 1}(*({''.join(i + ', ' for i in items)}))"
        return _render(tpl[1], name, objects)

    def __call__(self, arg_tensors):
        return self.function(arg_tensors)

    def count(self):
        """(entries recorded, entries replayed)."""
        return len(self.entries), sum(self.live)
