"""``pullback.compiler``: what ``pullback.compile`` recorded for a call (``explain``)."""
import collections

from . import _tape

__all__ = ["explain", "ExplainOutput", "disable", "is_compiling", "is_dynamo_compiling", "reset", "list_backends",
           "allow_in_graph"]


class ExplainOutput:
    """What ``explain`` found: the tape's length, its operations by kind, the constants shared
    between calls, the output buffers reused across calls, the entries dead code elimination
    dropped, and any graph breaks with their lines."""

    def __init__(self, recorded, replayed, ops_by_kind, shared_constants, graph_breaks, source, reused_buffers=0):
        self.recorded = recorded
        self.reused_buffers = reused_buffers
        self.replayed = replayed
        self.ops_by_kind = ops_by_kind
        self.shared_constants = shared_constants
        self.graph_breaks = graph_breaks
        self.graph_break_count = len(graph_breaks)
        self.source = source

    def __repr__(self):
        lines = [f"Tape length: {self.recorded} entries recorded, {self.replayed} replayed "
                 f"({self.recorded - self.replayed} dead)",
                 f"Constants shared between calls: {self.shared_constants}",
                 f"Output buffers reused across calls: {self.reused_buffers}",
                 f"Graph break count: {self.graph_break_count}"]
        for what, where in self.graph_breaks:
            lines.append(f"  {what} at {where}")
        lines.append("Operations by kind:")
        for kind, n in self.ops_by_kind.most_common():
            lines.append(f"  {kind}: {n}")
        return "\n".join(lines)


def _kind(entry):
    if entry[0] == "op":
        fn = entry[1]
        return getattr(fn, "__name__", type(fn).__name__).lstrip("_")
    if entry[0] == "opaque":
        return f"{entry[1].__qualname__} (called again)"
    return {"load": "load external tensor", "loadgrad": "read .grad", "const": "constant",
            "deliver": "into .grad", "setgrad": ".grad assigned"}[entry[0]]


def explain(fn, *args, **kwargs):
    """Runs ``fn(*args, **kwargs)`` once while recording, as ``pullback.compile`` would, and
    reports the tape: its length, its operations by kind, what the replay keeps, and any graph
    breaks with the file and line that caused them.

    Example::

        >>> def f(x):
        ...     return (x.sin() * 2).sum()
        >>> pullback.compiler.explain(f, pullback.ones(3)).graph_break_count
        0
    """
    from ._compile import _flatten, _contains_none, record_call
    from ._compile._program import Program
    fn = getattr(fn, "_fn", fn)
    tensors = []
    _flatten((args, kwargs), tensors)
    rec, out, template = record_call(fn, args, kwargs, tensors)
    kinds = collections.Counter(_kind(e) for e in rec.entries)
    if rec.breaks:
        return ExplainOutput(len(rec.entries), 0, kinds, 0, rec.breaks, None)
    if template is None or _contains_none(template):
        return ExplainOutput(len(rec.entries), 0, kinds, 0, [("a result a replay cannot rebuild", "")], None)
    program = Program(rec, tensors, template)
    recorded, replayed = program.count()
    return ExplainOutput(recorded, replayed, kinds, program.shared_constants, [], program.source,
                         program.reused_buffers)


def disable(fn=None, recursive=True):
    """Returns ``fn`` unchanged (``torch.compiler.disable``): pullback only compiles what
    ``pullback.compile`` wraps."""
    return fn if fn is not None else (lambda f: f)


def is_compiling():
    """Whether a compiled function is being recorded now."""
    return _tape.ACTIVE[0] is not None


is_dynamo_compiling = is_compiling


def reset():
    """Forgets every recording of every compiled function (``torch.compiler.reset``): the next
    calls record again."""
    from ._compile import COMPILED
    for compiled in list(COMPILED):
        compiled._signatures.clear()
        compiled._warned = False


def list_backends(exclude_tags=()):
    """The backends ``compile`` accepts: pullback records and replays NumPy calls, whatever the name."""
    return ["pullback"]


def allow_in_graph(fn):
    """Returns ``fn``: pullback records whatever array operations a function makes."""
    return fn

