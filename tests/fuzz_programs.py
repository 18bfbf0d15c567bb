"""Random straight-line tensor programs, run in torch and in pullback, compared step by step.

A program is data: a few input tensors and a list of :class:`Step` (an op from :data:`OPS` applied
to earlier values and literal arguments). Each step renders as one line of Python that calls
``torch``; the interpreter (:func:`run_program`) executes those lines with ``torch`` bound to either
library, so the program printed in a bug report (:meth:`Program.source`) is exactly what ran.

The generator needs torch: it executes each drawn step in torch at once, so the next step knows the
shapes and dtypes it works on. Arguments are valid by construction most of the time and invalid
sometimes (to compare exceptions); a step torch refuses ends the program.

:func:`compare` runs a program in both libraries and returns the first :class:`Difference`: a
forward value (values, dtype, shape), ``requires_grad``, exception type or message, a first-order
VJP of each float output with respect to the float64 inputs that require grad (seeded cotangents),
or, on programs drawn with ``second_order``, the VJP of those gradients.

Used by ``tests/test_fuzz_torch.py`` (hypothesis, with :data:`EXCLUSIONS`) and
``tools/fuzz_torch.py`` (a long run without them).
"""
import dataclasses
import math
import random
import re
import warnings

import numpy as np

import pullback
import torch_spec

try:
    import torch
except ImportError:  # pragma: no cover - the fuzzer is differential; its users skip without torch
    torch = None


# ----------------------------------------------------------------------------- choices

class RandomChooser:
    """Choices from a seeded ``random.Random`` (the long-run tool)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def integer(self, lo, hi):
        return self.rng.randint(lo, hi)

    def boolean(self, p=0.5):
        return self.rng.random() < p


class HypothesisChooser:
    """Choices drawn by hypothesis, which shrinks each towards its first option (index 0, False)."""

    def __init__(self, draw):
        from hypothesis import strategies as st
        self.draw, self.st = draw, st

    def integer(self, lo, hi):
        return self.draw(self.st.integers(lo, hi))

    def boolean(self, p=0.5):
        return self.draw(self.st.integers(0, 99)) >= round(100 * (1 - p))


def choice(ch, options):
    return options[ch.integer(0, len(options) - 1)]


def subset(ch, options):
    return [o for o in options if ch.boolean()]


# ----------------------------------------------------------------------------- program data

@dataclasses.dataclass(frozen=True)
class Ref:
    """An earlier value of the program, by name (``v3``)."""
    name: str


@dataclasses.dataclass(frozen=True)
class TensorLit:
    """A constant tensor written into the program (index tensors, matmul partners)."""
    data: object  # nested lists
    dtype: str
    shape: tuple


@dataclasses.dataclass
class Step:
    """One line: ``out = <call>`` (``out`` is None for a statement: ``v2[0] = v1``).

    ``call`` is ``("fn", "torch.sum")``, ``("method", "sum")``, ``("attr", "mT")``, ``("binop", "+")``,
    ``("rbinop", "-")`` (scalar on the left), ``("unop", "-")``, ``("getitem",)`` or ``("setitem",)``;
    ``pick`` selects one result of an op returning several (``torch.max(v0, 1)[0]``).
    """
    op: str
    call: tuple
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    out: str = None
    pick: int = None
    tags: frozenset = frozenset()  # patterns exclusions look for: "dim", "inplace", ...

    def refs(self):
        return set(_refs_in((self.args, tuple(self.kwargs.values()))))

    def source(self):
        kind = self.call[0]
        args = [render(a) for a in self.args]
        call_args = ", ".join(args[1 if kind == "method" else 0:] +
                              [f"{k}={render(v)}" for k, v in self.kwargs.items()])
        if kind == "fn":
            expr = f"{self.call[1]}({call_args})"
        elif kind == "method":
            expr = f"{args[0]}.{self.call[1]}({call_args})"
        elif kind == "attr":
            expr = f"{args[0]}.{self.call[1]}"
        elif kind == "binop":
            expr = f"{args[0]} {self.call[1]} {args[1]}"
        elif kind == "rbinop":
            expr = f"{args[1]} {self.call[1]} {args[0]}"
        elif kind == "unop":
            expr = f"{self.call[1]}{args[0]}"
        elif kind in ("getitem", "setitem"):
            expr = f"{args[0]}[{render_index(self.args[1])}]"
        else:
            raise ValueError(f"unknown call kind {kind!r}")
        if self.pick is not None:
            expr = f"{expr}[{self.pick}]"
        if kind == "setitem":
            return f"{expr} = {args[2]}"
        return f"{self.out} = {expr}"


@dataclasses.dataclass
class Input:
    name: str
    dtype: str
    shape: tuple
    data: object  # nested lists; None for an empty tensor
    requires_grad: bool

    def source(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        if self.data is None:
            return f"{self.name} = torch.zeros({self.shape}, dtype=torch.{self.dtype}{grad})"
        return f"{self.name} = torch.tensor({render(self.data)}, dtype=torch.{self.dtype}{grad})"


@dataclasses.dataclass
class Program:
    inputs: list
    steps: list
    seed: int = 0
    second_order: bool = False

    def lines(self):
        return [i.source() for i in self.inputs] + [s.source() for s in self.steps]

    def source(self):
        """The program as a runnable Python script (``import torch`` runs it in torch)."""
        return "\n".join(["import torch"] + self.lines())

    def __len__(self):
        return len(self.inputs) + len(self.steps)

    def __repr__(self):  # hypothesis prints the falsifying program as its source
        return "Program(<<<\n" + self.source() + "\n>>>)"


def _refs_in(obj):
    if isinstance(obj, Ref):
        yield obj.name
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _refs_in(o)
    elif isinstance(obj, slice):
        yield from _refs_in((obj.start, obj.stop, obj.step))


def render(x):
    """Python source of one argument."""
    if isinstance(x, Ref):
        return x.name
    if isinstance(x, TensorLit):
        if 0 in x.shape and len(x.shape) > 1:  # nested empty lists cannot say this shape
            return f"torch.zeros({x.shape}, dtype=torch.{x.dtype})"
        return f"torch.tensor({render(x.data)}, dtype=torch.{x.dtype})"
    if isinstance(x, float) and not math.isfinite(x):
        return f"float('{x}')"
    if isinstance(x, list):
        return "[" + ", ".join(render(o) for o in x) + "]"
    if isinstance(x, tuple):
        return "(" + ", ".join(render(o) for o in x) + ("," if len(x) == 1 else "") + ")"
    if isinstance(x, slice):
        return f"slice({render(x.start)}, {render(x.stop)}, {render(x.step)})"
    if x is Ellipsis:
        return "..."
    if isinstance(x, str):
        return repr(x)
    if isinstance(x, Dtype):
        return f"torch.{x.name}"
    return repr(x)


@dataclasses.dataclass(frozen=True)
class Dtype:
    """A dtype argument, rendered ``torch.<name>`` (so it resolves in either library)."""
    name: str


def render_index(index):
    """An index in subscript syntax: ``1:, None, [0, 1]``."""
    parts = index if isinstance(index, tuple) else (index,)
    if not parts:
        return "()"

    def one(p):
        if isinstance(p, slice):
            text = ":".join("" if v is None else render(v) for v in (p.start, p.stop))
            return text + ("" if p.step is None else f":{render(p.step)}")
        return render(p)
    return ", ".join(one(p) for p in parts) + ("," if isinstance(index, tuple) and len(parts) == 1 else "")


# ----------------------------------------------------------------------------- interpreter

@dataclasses.dataclass
class Trace:
    """What one library did with a program: per step, a torch copy of the result (or None for a
    statement); the failing step and its exception; the namespace at the end."""
    results: list
    error: tuple  # (step index, exception) or None; index -1 for the inputs
    namespace: dict
    operands: dict = dataclasses.field(default_factory=dict)  # step index -> its input, for index results
    requires_grad: list = dataclasses.field(default_factory=list)  # per step, its result's, when computed


_COMPILED = {}


def execute(line, namespace):
    code = _COMPILED.get(line)
    if code is None:
        code = _COMPILED[line] = compile(line, "<fuzz program>", "exec")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, namespace)  # noqa: S102  (running the generated program is the point)


def snapshot(value):
    """A torch copy of one library's value (pullback's converted), so later mutation cannot touch it."""
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, pullback.Tensor):
        return torch_spec.to_torch(value)
    return value


def run_program(program, lib):
    """Runs ``program`` with ``torch`` bound to ``lib`` (torch or pullback)."""
    namespace = {"torch": lib}
    results = []
    try:
        for i in program.inputs:
            execute(i.source(), namespace)
    except Exception as e:  # noqa: BLE001
        return Trace(results, (-1, e), namespace)
    operands, requires_grad = {}, []
    for index, step in enumerate(program.steps):
        if returns_indices(step):
            operands[index] = snapshot(namespace[step.args[0].name])
        try:
            execute(step.source(), namespace)
        except Exception as e:  # noqa: BLE001  (an exception is a result to compare)
            return Trace(results, (index, e), namespace, operands, requires_grad)
        result = namespace[step.out] if step.out else None
        results.append(None if step.out is None else snapshot(result))
        requires_grad.append(getattr(result, "requires_grad", None))
    return Trace(results, None, namespace, operands, requires_grad)


def returns_indices(step):
    """argmax/argmin, and the indices of max/min over a dim."""
    return step.op in ("argmax", "argmin") or (step.op in ("max", "min") and step.pick == 1)


# ----------------------------------------------------------------------------- generation context

class Context:
    """The torch values of a program being drawn, for the op generators to look at."""

    def __init__(self, ch):
        self.ch = ch
        self.namespace = {"torch": torch}
        self.names = []      # every tensor value, in order
        self.leaves = set()  # the inputs
        self.counter = 0

    def new_name(self):
        name = f"v{self.counter}"
        self.counter += 1
        return name

    def value(self, ref):
        return self.namespace[ref.name if isinstance(ref, Ref) else ref]

    def pick(self, where=lambda t: True, prefer=None):
        """A Ref to a value satisfying ``where`` (one satisfying ``prefer`` too, mostly), or None."""
        found = [n for n in self.names if where(self.namespace[n])]
        if prefer is not None:
            preferred = [n for n in found if prefer(self.namespace[n])]
            if preferred and self.ch.boolean(0.85):
                found = preferred
        return Ref(choice(self.ch, found)) if found else None


def is_float(t):
    return t.dtype.is_floating_point


def broadcastable(a, b):
    return all(x == y or x == 1 or y == 1 for x, y in zip(reversed(a), reversed(b)))


def tensor_literal(ch, shape, dtype, lo=-3, hi=3):
    """A literal of ``shape`` (nested lists), ints in [lo, hi] or floats on a coarse grid."""
    if dtype == "bool":
        values = [ch.boolean() for _ in range(math.prod(shape))]
    elif dtype in ("int64",):
        values = [ch.integer(lo, hi) for _ in range(math.prod(shape))]
    else:
        values = [ch.integer(lo * 4, hi * 4) / 4 for _ in range(math.prod(shape))]
    return TensorLit(np.array(values, dtype=object).reshape(shape).tolist(), dtype, tuple(shape))


# ----------------------------------------------------------------------------- inputs

INPUT_DTYPES = ("float64",) * 6 + ("float32", "float32", "int64", "int64", "bool")
SPECIAL_FLOATS = (0.0, 1.0, -1.0, 0.5, 2.0, -0.5)


def draw_float(ch, specials):
    if specials and ch.boolean(0.03):
        return choice(ch, (math.inf, -math.inf, math.nan))
    if ch.boolean(0.2):
        return choice(ch, SPECIAL_FLOATS)
    return ch.integer(-300, 300) / 100


def draw_shape_like(ch, base):
    """A shape that broadcasts with ``base`` (mostly): leading dims dropped, some set to 1."""
    if ch.boolean(0.1):
        return tuple(ch.integer(0, 3) for _ in range(ch.integer(0, 3)))
    shape = base[ch.integer(0, len(base)):] if ch.boolean(0.3) else base
    return tuple(1 if ch.boolean(0.25) else d for d in shape)


def draw_dim_size(ch):
    return 0 if ch.boolean(0.05) else ch.integer(1, 4)


def draw_inputs(ch, ctx, specials):
    base = tuple(draw_dim_size(ch) for _ in range(ch.integer(0, 3)))
    inputs = []
    for _ in range(ch.integer(1, 3)):
        dtype = choice(ch, INPUT_DTYPES)
        shape = draw_shape_like(ch, base)
        n = math.prod(shape)
        if dtype == "bool":
            flat = [ch.boolean() for _ in range(n)]
        elif dtype == "int64":
            flat = [ch.integer(-4, 4) for _ in range(n)]
        else:
            flat = [draw_float(ch, specials) for _ in range(n)]
        data = None if n == 0 else np.array(flat, dtype=object).reshape(shape).tolist()
        requires_grad = dtype == "float64" and ch.boolean(0.85)
        inputs.append(Input(ctx.new_name(), dtype, shape, data, requires_grad))
    return inputs


# ----------------------------------------------------------------------------- op generators
#
# Each generator draws one step from the context, or returns None when the program has no value
# it applies to. ``dim`` arguments are valid mostly, out of range sometimes.

def draw_dim(ch, ndim, invalid=0.05):
    n = max(ndim, 1)
    if ch.boolean(invalid):
        return choice(ch, (n, -n - 1))
    return ch.integer(-n, n - 1)


def draw_dims(ch, ndim):
    """A tuple of distinct dims (a repeated one sometimes)."""
    dims = tuple(d - ndim if ch.boolean(0.3) else d for d in subset(ch, range(ndim)))
    if dims and ch.boolean(0.05):
        dims = dims + dims[:1]
    return dims


def scalar_like(ch, t):
    """A Python scalar operand: mostly of the tensor's kind, any kind sometimes."""
    kind = "bool" if t.dtype == torch.bool else ("int" if not is_float(t) else "float")
    if ch.boolean(0.2):
        kind = choice(ch, ("bool", "int", "float"))
    if kind == "bool":
        return ch.boolean()
    if kind == "int":
        return ch.integer(-3, 3)
    return ch.integer(-12, 12) / 4


def _fn_or_method(ch, name, x, args=(), kwargs=None, fn_prefix="torch"):
    kwargs = kwargs or {}
    if ch.boolean():
        return ("method", name), (x, *args), kwargs
    return ("fn", f"{fn_prefix}.{name}"), (x, *args), kwargs


UNARY = ("neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "square",
         "reciprocal", "expm1", "log1p", "log2", "log10", "rsqrt", "erf", "floor", "ceil", "round", "trunc",
         "frac", "sign", "sinh", "cosh", "atan", "asin", "acos", "logical_not", "bitwise_not", "isnan",
         "isinf", "isfinite")


def gen_unary(ch, ctx):
    x = ctx.pick(prefer=is_float)
    if x is None:
        return None
    name = choice(ch, UNARY)
    if ch.boolean(0.1) and name in ("neg", "bitwise_not", "abs"):
        if name == "abs":
            return Step("abs", ("fn", "abs"), (x,))
        return Step(name, ("unop", "-" if name == "neg" else "~"), (x,))
    call, args, kwargs = _fn_or_method(ch, name, x)
    return Step(name, call, args, kwargs)


ACTIVATIONS = ("softplus", "leaky_relu", "elu", "gelu", "hardtanh", "silu", "mish", "logsigmoid", "relu6")


def gen_parametric_unary(ch, ctx):
    x = ctx.pick(prefer=is_float)
    if x is None:
        return None
    kind = ch.integer(0, 3)
    if kind == 0:
        lo, hi = scalar_like(ch, ctx.value(x)), scalar_like(ch, ctx.value(x))
        which = ch.integer(0, 3)
        if which == 0:
            return Step("clamp", ("fn", "torch.clamp"), (x,), {"min": lo, "max": hi})
        if which == 1:
            return Step("clamp", ("method", "clamp"), (x, lo, hi))
        if which == 2:
            return Step("clamp_min", ("method", "clamp_min"), (x, lo))
        return Step("clamp", ("method", "clamp"), (x,), {"max": hi})
    if kind == 1:
        exponent = choice(ch, (2, 3, 0.5, -1, 0, 2.5, -2, 1))
        form = ch.integer(0, 2)
        if form == 0:
            return Step("pow", ("fn", "torch.pow"), (x, exponent))
        if form == 1:
            return Step("pow", ("binop", "**"), (x, exponent))
        return Step("rpow", ("rbinop", "**"), (x, choice(ch, (2, 0.5, 3.0, -2.0))))
    if kind == 2:
        decimals = ch.integer(0, 2)
        return Step("round", ("method", "round"), (x,), {"decimals": decimals})
    name = choice(ch, ACTIVATIONS)
    kwargs = {}
    if name == "softplus" and ch.boolean():
        kwargs = {"beta": choice(ch, (1.0, 2.0, 0.5)), "threshold": choice(ch, (20.0, 1.0))}
    elif name == "leaky_relu" and ch.boolean():
        kwargs = {"negative_slope": choice(ch, (0.01, 0.2, -0.5))}
    elif name == "elu" and ch.boolean():
        kwargs = {"alpha": choice(ch, (1.0, 0.5))}
    elif name == "gelu" and ch.boolean():
        kwargs = {"approximate": choice(ch, ("none", "tanh"))}
    elif name == "hardtanh" and ch.boolean():
        kwargs = {"min_val": -0.5, "max_val": choice(ch, (0.5, 2.0))}
    return Step(name, ("fn", f"torch.nn.functional.{name}"), (x,), kwargs)


BINARY = ("add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "maximum", "minimum",
          "atan2", "pow", "float_power", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
          "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "rsub")
OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floor_divide": "//", "remainder": "%", "pow": "**",
             "bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^", "eq": "==", "ne": "!=", "lt": "<",
             "le": "<=", "gt": ">", "ge": ">="}
SCALAR_OK = frozenset(OPERATORS) | {"true_divide", "fmod", "atan2", "float_power", "rsub"}  # torch.X(t, number)
FUNCTION_ONLY = frozenset({"rsub"})  # torch has no Tensor.rsub


def pick_partner(ctx, x):
    """A second operand: one broadcasting with ``x`` (mostly), or any value."""
    shape = ctx.value(x).shape
    return ctx.pick(prefer=lambda t: broadcastable(t.shape, shape))


def gen_binary(ch, ctx):
    x = ctx.pick(prefer=is_float)
    if x is None:
        return None
    name = choice(ch, BINARY)
    scalar = name in SCALAR_OK and ch.boolean(0.3)
    y = scalar_like(ch, ctx.value(x)) if scalar else pick_partner(ctx, x)
    kwargs = {}
    if name in ("add", "sub") and ch.boolean(0.15):
        kwargs["alpha"] = scalar_like(ch, ctx.value(x))
    if name == "div" and ch.boolean(0.2):
        kwargs["rounding_mode"] = choice(ch, ("trunc", "floor"))
    tags = frozenset({"broadcast"})
    if name in OPERATORS and not kwargs and ch.boolean(0.4):
        if scalar and ch.boolean(0.4):
            return Step(name, ("rbinop", OPERATORS[name]), (x, y), tags=tags)
        return Step(name, ("binop", OPERATORS[name]), (x, y), tags=tags)
    if name in FUNCTION_ONLY:
        return Step(name, ("fn", f"torch.{name}"), (x, y), kwargs, tags=tags)
    call, args, kwargs = _fn_or_method(ch, name, x, (y,), kwargs)
    return Step(name, call, args, kwargs, tags=tags)


def is_bool(t):
    return t.dtype == torch.bool


def gen_where(ch, ctx):
    cond = ctx.pick(is_bool)
    if cond is None:
        return None
    x = pick_partner(ctx, cond)
    kind = ch.integer(0, 2)
    tags = frozenset({"broadcast"})
    if kind == 0:
        other = scalar_like(ch, ctx.value(x)) if ch.boolean(0.3) else pick_partner(ctx, x)
        if ch.boolean():
            return Step("where", ("fn", "torch.where"), (cond, x, other), tags=tags)
        return Step("where", ("method", "where"), (x, cond, other), tags=tags)
    if kind == 1:
        method = "masked_fill" if ch.boolean(0.7) else "masked_fill_"
        return Step(method, ("method", method), (x, cond, scalar_like(ch, ctx.value(x))), tags=tags | {"inplace"})
    weight = ch.integer(0, 4) / 4 if ch.boolean(0.7) else pick_partner(ctx, x)
    y = pick_partner(ctx, x)
    return Step("lerp", ("fn", "torch.lerp"), (x, y, weight), tags=tags)


REDUCTIONS = {  # name: (takes a tuple of dims, needs a dim)
    "sum": (True, False), "mean": (True, False), "nansum": (True, False), "prod": (False, False),
    "amax": (True, False), "amin": (True, False), "max": (False, False), "min": (False, False),
    "argmax": (False, False), "argmin": (False, False), "logsumexp": (True, True), "std": (True, False),
    "var": (True, False), "norm": (True, False), "all": (True, False), "any": (True, False),
    "count_nonzero": (True, False),
}


def gen_reduction(ch, ctx):
    x = ctx.pick(prefer=is_float)
    if x is None:
        return None
    ndim = ctx.value(x).ndim
    name = choice(ch, tuple(REDUCTIONS))
    takes_tuple, needs_dim = REDUCTIONS[name]
    kwargs, pick, tags = {}, None, frozenset()
    if needs_dim or ch.boolean(0.7):
        dim = draw_dims(ch, ndim) if takes_tuple and ch.boolean(0.3) else draw_dim(ch, ndim)
        kwargs["dim"] = dim
        tags = frozenset({"dim"})
        if name != "count_nonzero" and ch.boolean(0.4):
            kwargs["keepdim"] = ch.boolean()
        if name in ("max", "min"):
            pick = ch.integer(0, 1)
    if name in ("std", "var") and ch.boolean(0.3):
        kwargs["correction"] = ch.integer(0, 2)
    if name == "sum" and ch.boolean(0.1):
        kwargs["dtype"] = Dtype(choice(ch, ("float64", "float32", "int64")))
    if name == "norm" and ch.boolean(0.3):
        kwargs = {"p": choice(ch, (1, 2, math.inf, 3)), **kwargs}
    call, args, kwargs = _fn_or_method(ch, name, x, (), kwargs)
    return Step(name, call, args, kwargs, pick=pick, tags=tags)


def gen_scan(ch, ctx):
    x = ctx.pick(prefer=is_float)
    if x is None:
        return None
    name = choice(ch, ("cumsum", "cumprod", "softmax", "log_softmax"))
    dim = draw_dim(ch, ctx.value(x).ndim)
    tags = frozenset({"dim"})
    if name in ("softmax", "log_softmax") and ch.boolean(0.3):
        return Step(name, ("fn", f"torch.nn.functional.{name}"), (x,), {"dim": dim}, tags=tags)
    if ch.boolean():
        return Step(name, ("method", name), (x, dim), tags=tags)
    return Step(name, ("fn", f"torch.{name}"), (x,), {"dim": dim}, tags=tags)


def matmul_partner_shape(ch, shape, name):
    """The shape of a second operand that multiplies with ``shape`` under ``name``."""
    n = shape[-1] if shape else 1
    m = ch.integer(1, 3)
    if name in ("dot", "mv", "inner") or (name == "matmul" and ch.boolean(0.3)):
        return (n,)
    if name == "outer":
        return (m,)
    if name == "bmm":
        return (shape[0] if shape else 1, n, m)
    if name == "matmul" and ch.boolean(0.3) and len(shape) >= 2:
        return (ch.integer(1, 2), n, m)
    return (n, m)


def gen_matmul(ch, ctx):
    x = ctx.pick(is_float, prefer=lambda t: t.ndim >= 1)
    if x is None:
        return None
    name = choice(ch, ("matmul", "matmul", "mm", "bmm", "mv", "dot", "outer", "inner"))
    t = ctx.value(x)
    shape = matmul_partner_shape(ch, tuple(t.shape), name)
    if ch.boolean(0.1):  # a mismatched inner dim
        shape = shape[:-1] + (shape[-1] + 1,)
    dtype = str(t.dtype).replace("torch.", "")
    found = ctx.pick(lambda v: tuple(v.shape) == shape and v.dtype == t.dtype)
    y = found if found is not None and ch.boolean(0.5) else tensor_literal(ch, shape, dtype)
    if name == "matmul" and ch.boolean():
        return Step(name, ("binop", "@"), (x, y))
    call, args, kwargs = _fn_or_method(ch, name, x, (y,))
    return Step(name, call, args, kwargs)


def factor_shape(ch, numel):
    """A shape with ``numel`` elements (a -1 sometimes; a wrong count sometimes)."""
    dims = []
    rest = numel
    for _ in range(ch.integer(0, 3)):
        divisors = [d for d in range(1, rest + 1) if rest % d == 0] if rest else [0, 1, 2]
        d = choice(ch, divisors)
        dims.append(d)
        rest = rest // d if d else rest
    if rest != 1 or not dims or ch.boolean(0.2):
        dims.append(rest)
    if ch.boolean(0.05):
        dims[-1] += 1
    if dims and ch.boolean(0.2):
        dims[ch.integer(0, len(dims) - 1)] = -1
    return tuple(dims)


def draw_permutation(ch, ndim):
    perm = list(range(ndim))
    for i in range(ndim - 1, 0, -1):
        j = ch.integer(0, i)
        perm[i], perm[j] = perm[j], perm[i]
    return tuple(p - ndim if ch.boolean(0.2) else p for p in perm)


DIM = frozenset({"dim"})


def view_reshape(ch, x, t):
    name = choice(ch, ("reshape", "view"))
    target = factor_shape(ch, t.numel())
    return Step(name, ("method", name), (x, *target) if ch.boolean() else (x, target))


def view_flatten(ch, x, t):
    if ch.boolean():
        return Step("flatten", ("method", "flatten"), (x,))
    return Step("flatten", ("method", "flatten"), (x, draw_dim(ch, t.ndim), draw_dim(ch, t.ndim)), tags=DIM)


def view_transpose(ch, x, t):
    name = choice(ch, ("transpose", "swapaxes", "swapdims"))
    call, args, kwargs = _fn_or_method(ch, name, x, (draw_dim(ch, t.ndim), draw_dim(ch, t.ndim)))
    return Step(name, call, args, kwargs, tags=DIM)


def view_permute(ch, x, t):
    perm = draw_permutation(ch, t.ndim)
    if ch.boolean(0.05):
        perm = perm + (0,)
    if ch.boolean():
        return Step("permute", ("method", "permute"), (x, *perm), tags=DIM)
    return Step("permute", ("fn", "torch.permute"), (x, perm), tags=DIM)


def view_matrix_transpose(ch, x, t):
    name = choice(ch, ("t", "mT", "T"))
    if name == "t":
        return Step("t", ("method", "t"), (x,))
    return Step(name, ("attr", name), (x,))


def view_expand(ch, x, t):
    sizes = tuple(choice(ch, (2, 3)) if d == 1 and ch.boolean() else (-1 if ch.boolean(0.3) else d) for d in t.shape)
    lead = tuple(ch.integer(1, 2) for _ in range(ch.integer(0, 1)))
    if ch.boolean(0.05):  # a size that does not fit
        sizes = sizes[:-1] + (sizes[-1] + 1,) if sizes else (2,)
    if ch.boolean(0.7):
        return Step("expand", ("method", "expand"), (x, *lead, *sizes))
    return Step("broadcast_to", ("fn", "torch.broadcast_to"), (x, lead + sizes))


def view_squeeze(ch, x, t):
    which = ch.integer(0, 2)
    if which == 0:
        return Step("squeeze", ("method", "squeeze"), (x,))
    if which == 1:
        return Step("squeeze", ("method", "squeeze"), (x, draw_dim(ch, t.ndim)), tags=DIM)
    return Step("squeeze", ("fn", "torch.squeeze"), (x, draw_dims(ch, t.ndim)), tags=DIM)


def view_unsqueeze(ch, x, t):
    dim = ch.integer(-t.ndim - 1, t.ndim) if ch.boolean(0.95) else t.ndim + 1
    call, args, kwargs = _fn_or_method(ch, "unsqueeze", x, (dim,))
    return Step("unsqueeze", call, args, kwargs, tags=DIM)


def size_at(t, dim):
    return t.shape[dim] if -t.ndim <= dim < t.ndim else 1


def view_narrow(ch, x, t):
    dim = draw_dim(ch, t.ndim)
    size = size_at(t, dim)
    start = ch.integer(-size, size) if size else 0
    room = size - start % size if size else 0
    length = ch.integer(0, room) if ch.boolean(0.9) else size + 1
    call, args, kwargs = _fn_or_method(ch, "narrow", x, (dim, start, length))
    return Step("narrow", call, args, kwargs, tags=DIM)


def view_movedim(ch, x, t):
    name = choice(ch, ("movedim", "moveaxis"))
    return Step(name, ("method", name), (x, draw_dim(ch, t.ndim), draw_dim(ch, t.ndim)), tags=DIM)


def view_flip_roll(ch, x, t):
    dims = draw_dims(ch, t.ndim)
    if ch.boolean():
        return Step("flip", ("method", "flip"), (x, dims), tags=DIM)
    shifts = tuple(ch.integer(-3, 3) for _ in dims)
    return Step("roll", ("method", "roll"), (x, shifts, dims), tags=DIM)


def view_diagonal(ch, x, t):
    name = choice(ch, ("tril", "triu", "diagonal", "diag"))
    if name == "diagonal":
        return Step(name, ("method", name), (x,), {"offset": ch.integer(-1, 1)})
    return Step(name, ("method", name), (x, ch.integer(-1, 1)))


def view_pieces(ch, x, t):
    """One result of split/chunk/unbind: one that exists mostly, one past the end sometimes."""
    name = choice(ch, ("split", "chunk", "unbind"))
    dim = draw_dim(ch, t.ndim)
    args = (x, dim) if name == "unbind" else (x, ch.integer(1, 3), dim)
    try:  # torch says how many pieces there are
        count = len(getattr(t, name)(*args[1:]))
    except Exception:  # noqa: BLE001  (an invalid call: any pick compares the exception)
        count = 1
    pick = ch.integer(0, max(count - 1, 0)) if ch.boolean(0.95) else count
    return Step(name, ("method", name), args, pick=pick, tags=DIM)


def view_copy(ch, x, t):
    name = choice(ch, ("contiguous", "clone", "detach"))
    return Step(name, ("method", name), (x,))


def view_repeat(ch, x, t):
    reps = tuple(ch.integer(1, 2) for _ in range(ch.integer(t.ndim, t.ndim + 1)))
    name = choice(ch, ("repeat", "tile"))
    return Step(name, ("method", name), (x, reps))


VIEWS = (view_reshape, view_flatten, view_transpose, view_permute, view_matrix_transpose, view_expand, view_squeeze,
         view_unsqueeze, view_narrow, view_movedim, view_flip_roll, view_diagonal, view_pieces, view_copy,
         view_repeat)


def gen_view(ch, ctx):
    """A view or shape op (and the copies: contiguous, clone, repeat) of any value."""
    x = ctx.pick()
    if x is None:
        return None
    return choice(ch, VIEWS)(ch, x, ctx.value(x))


def gen_cast(ch, ctx):
    x = ctx.pick()
    if x is None:
        return None
    t = ctx.value(x)
    # float -> int conversion of nan, inf or out-of-range values is undefined behaviour: not drawn.
    targets = ("float64", "float32", "bool") + (() if is_float(t) else ("int64",))
    target = choice(ch, targets)
    method = {"float64": "double", "float32": "float", "bool": "bool", "int64": "long"}[target]
    if ch.boolean():
        return Step("to", ("method", "to"), (x, Dtype(target)))
    return Step(method, ("method", method), (x,))


def draw_index_part(ch, size, advanced_ok):
    """One index component for a dim of ``size``: an int, a slice, a list, or None/Ellipsis."""
    kind = ch.integer(0, 5)
    if kind == 0:
        return (ch.integer(-size, size - 1) if size else 0) if ch.boolean(0.93) else size
    if kind in (1, 2):
        start = ch.integer(-size - 1, size + 1) if ch.boolean() else None
        stop = ch.integer(-size - 1, size + 1) if ch.boolean() else None
        step = choice(ch, (None, 1, 2, 3)) if ch.boolean(0.97) else -1
        return slice(start, stop, step)
    if kind == 3 and advanced_ok:
        return [ch.integer(-size, size - 1) if size else 0 for _ in range(ch.integer(1, 3))]
    if kind == 4:
        return None
    return slice(None)


def gen_index(ch, ctx, target=None):
    """An index for ``target``'s shape: a tuple of components, a bool mask, or an int tensor."""
    t = ctx.value(target)
    shape = tuple(t.shape)
    kind = ch.integer(0, 9)
    if kind == 0 and shape:
        mask_shape = shape[:ch.integer(1, len(shape))]
        mask = ctx.pick(lambda v: is_bool(v) and tuple(v.shape) == mask_shape)
        return mask if mask is not None and ch.boolean() else tensor_literal(ch, mask_shape, "bool")
    if kind == 1 and shape:
        return tensor_literal(ch, (ch.integer(1, 3),), "int64", -shape[0], shape[0] - 1) if shape[0] else \
            tensor_literal(ch, (0,), "int64")
    parts = []
    dims = list(shape)
    ellipsis = ch.boolean(0.1)
    for _ in range(ch.integer(0, len(shape) + 1)):
        size = dims.pop(0) if dims else 1
        part = draw_index_part(ch, size, advanced_ok=ch.boolean(0.5))
        if part is None:
            dims.insert(0, size)
        parts.append(part)
    if ellipsis:
        parts.insert(ch.integer(0, len(parts)), Ellipsis)
    return tuple(parts) if len(parts) != 1 or ch.boolean(0.5) else parts[0]


def index_has_int_next_to_advanced(index):
    parts = index if isinstance(index, tuple) else (index,)
    has_int = any(isinstance(p, int) and not isinstance(p, bool) for p in parts)
    has_advanced = any(isinstance(p, (list, TensorLit, Ref)) for p in parts)
    return has_int and has_advanced


def gen_getitem(ch, ctx):
    x = ctx.pick()
    if x is None:
        return None
    return Step("getitem", ("getitem",), (x, gen_index(ch, ctx, x)))


INPLACE_BINARY = ("add_", "sub_", "mul_", "div_")
INPLACE_UNARY = ("neg_", "exp_", "sigmoid_", "tanh_", "relu_", "zero_", "sqrt_", "abs_")


def gen_inplace(ch, ctx):
    """An in-place op or a setitem, mostly on an intermediate (on an input sometimes)."""
    leaf_names = ctx.leaves
    x = ctx.pick(prefer=lambda t: not t.is_leaf and is_float(t))
    if x is None:
        return None
    if x.name in leaf_names and ch.boolean(0.7):
        x = ctx.pick(prefer=lambda t: not t.is_leaf) or x
    t = ctx.value(x)
    tags = frozenset({"inplace"})
    kind = ch.integer(0, 4)
    same_dtype = lambda v: v.dtype == t.dtype and broadcastable(v.shape, t.shape) and v.ndim <= t.ndim  # noqa: E731
    if kind == 0:
        name = choice(ch, INPLACE_BINARY)
        y = scalar_like(ch, t) if ch.boolean(0.4) else (ctx.pick(prefer=same_dtype))
        return Step(name, ("method", name), (x, y), tags=tags | {"broadcast"})
    if kind == 1:
        name = choice(ch, INPLACE_UNARY)
        return Step(name, ("method", name), (x,), tags=tags)
    if kind == 2:
        return Step("clamp_", ("method", "clamp_"), (x,), {"min": scalar_like(ch, t), "max": scalar_like(ch, t)},
                    tags=tags)
    if kind == 3:
        y = ctx.pick(prefer=lambda v: tuple(v.shape) == tuple(t.shape) and v.dtype == t.dtype)
        name = choice(ch, ("copy_", "fill_"))
        if name == "fill_":
            return Step(name, ("method", name), (x, scalar_like(ch, t)), tags=tags)
        return Step(name, ("method", name), (x, y), tags=tags | {"broadcast"})
    index = gen_index(ch, ctx, x)
    value = scalar_like(ch, t) if ch.boolean(0.5) else ctx.pick(prefer=lambda v: v.numel() == 1 or v.ndim == 0)
    return Step("setitem", ("setitem",), (x, index, value), tags=tags)


def gen_join(ch, ctx):
    x = ctx.pick()
    if x is None:
        return None
    t = ctx.value(x)
    name = choice(ch, ("cat", "cat", "stack", "hstack", "vstack"))
    dim = draw_dim(ch, t.ndim + (name == "stack"))
    if name == "cat":
        d = dim % t.ndim if t.ndim and -t.ndim <= dim < t.ndim else None
        fits = lambda v: v.dtype == t.dtype and v.ndim == t.ndim and all(  # noqa: E731
            a == b or i == d for i, (a, b) in enumerate(zip(v.shape, t.shape)))
    else:
        fits = lambda v: tuple(v.shape) == tuple(t.shape) and v.dtype == t.dtype  # noqa: E731
    others = [ctx.pick(prefer=fits) for _ in range(ch.integer(1, 2))]
    tensors = [x] + (others if ch.boolean(0.7) else [x] * len(others))
    if name in ("hstack", "vstack"):
        return Step(name, ("fn", f"torch.{name}"), (tensors,))
    return Step(name, ("fn", f"torch.{name}"), (tensors,), {"dim": dim}, tags=frozenset({"dim"}))


def gen_gather(ch, ctx):
    x = ctx.pick(prefer=lambda t: t.ndim >= 1 and t.numel() > 0)
    if x is None:
        return None
    t = ctx.value(x)
    ndim, shape = t.ndim, tuple(t.shape)
    dim = draw_dim(ch, ndim)
    size = (shape[dim] if -ndim <= dim < ndim else 1) if ndim else 1
    hi = max(size - 1, 0) + (ch.boolean(0.05))
    name = choice(ch, ("index_select", "gather", "take_along_dim", "masked_select"))
    tags = frozenset({"dim"})
    if name == "index_select":
        index = tensor_literal(ch, (ch.integer(0, 3),), "int64", 0, hi)
        call, args, kwargs = _fn_or_method(ch, name, x, (dim, index))
        return Step(name, call, args, kwargs, tags=tags)
    if name == "masked_select":
        mask = ctx.pick(is_bool, prefer=lambda v: broadcastable(v.shape, shape))
        if mask is None:
            return None
        return Step(name, ("fn", "torch.masked_select"), (x, mask), tags=frozenset({"broadcast"}))
    index_shape = tuple(ch.integer(1, s) if s else 0 for s in shape) if ndim else ()
    if name == "take_along_dim":  # torch does not check its indices: one out of range reads memory
        hi = max(size - 1, 0)
    index = tensor_literal(ch, index_shape, "int64", 0, hi)
    if name == "gather":
        call, args, kwargs = _fn_or_method(ch, name, x, (dim, index))
        return Step(name, call, args, kwargs, tags=tags)
    return Step(name, ("fn", "torch.take_along_dim"), (x, index), {"dim": dim}, tags=tags)


def gen_pool(ch, ctx):
    x = ctx.pick(lambda t: t.ndim == 3 and is_float(t))
    if x is None:
        return None
    name = choice(ch, ("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"))
    if name == "adaptive_avg_pool2d":
        args = (x, (ch.integer(1, 2), ch.integer(1, 2)))
    else:
        args = (x, ch.integer(1, 2))
    kwargs = {"stride": ch.integer(1, 2)} if name != "adaptive_avg_pool2d" and ch.boolean() else {}
    return Step(name, ("fn", f"torch.nn.functional.{name}"), args, kwargs, tags=frozenset({"pool"}))


def gen_nn(ch, ctx):
    x = ctx.pick(is_float, prefer=lambda t: t.ndim >= 1)
    if x is None:
        return None
    t = ctx.value(x)
    name = choice(ch, ("layer_norm", "normalize", "mse_loss", "l1_loss", "smooth_l1_loss", "cosine_similarity"))
    F = "torch.nn.functional."
    if name == "layer_norm":
        return Step(name, ("fn", F + name), (x, tuple(t.shape[-1:])))
    if name == "normalize":
        return Step(name, ("fn", F + name), (x,), {"dim": draw_dim(ch, t.ndim)}, tags=frozenset({"dim"}))
    y = ctx.pick(is_float, prefer=lambda v: tuple(v.shape) == tuple(t.shape))
    if name == "cosine_similarity":
        return Step(name, ("fn", F + name), (x, y), {"dim": draw_dim(ch, t.ndim)}, tags=frozenset({"dim"}))
    kwargs = {"reduction": choice(ch, ("mean", "sum", "none"))} if ch.boolean() else {}
    return Step(name, ("fn", F + name), (x, y), kwargs, tags=frozenset({"broadcast"}))


# The op table: generators by family, repeated to weight the draw.
OPS = (
    (gen_unary, 4), (gen_parametric_unary, 2), (gen_binary, 5), (gen_where, 1), (gen_reduction, 4),
    (gen_scan, 2), (gen_matmul, 2), (gen_view, 5), (gen_cast, 1), (gen_getitem, 3), (gen_inplace, 3),
    (gen_join, 2), (gen_gather, 1), (gen_pool, 1), (gen_nn, 1),
)
_WEIGHTED = tuple(gen for gen, weight in OPS for _ in range(weight))


# ----------------------------------------------------------------------------- exclusions
#
# Known difference classes, being fixed now, that must not turn the CI test red. The long-run tool
# (tools/fuzz_torch.py) runs without them. An entry excludes either a step pattern (``step``: such
# steps are not drawn) or a difference pattern (``difference``: such a difference is not reported).
# Each names what it excludes and why; remove an entry when its class is fixed.

@dataclasses.dataclass(frozen=True)
class Exclusion:
    name: str
    reason: str
    step: object = None        # (step, ctx) -> bool
    difference: object = None  # (Difference, Program) -> bool


def _int_next_to_advanced(step, ctx):
    return step.op in ("getitem", "setitem") and index_has_int_next_to_advanced(step.args[1])


def _element_index(step, ctx):
    """x[i, j] naming one element (a 0-dim result): pullback copies it, torch returns a view."""
    if step.op not in ("getitem",):
        return False
    parts = step.args[1] if isinstance(step.args[1], tuple) else (step.args[1],)
    ints = [p for p in parts if isinstance(p, int) and not isinstance(p, bool)]
    return all(isinstance(p, int) or p is Ellipsis for p in parts) and len(ints) == ctx.value(step.args[0]).ndim


def _error_says(pattern, kinds=("exception", "message"), side="torch_error"):
    """A difference of one of ``kinds`` where torch's (or pullback's) exception text matches."""
    regex = re.compile(pattern)
    return lambda diff, program: diff.kind in kinds and bool(regex.search(getattr(diff, side) or ""))


def _either(*predicates):
    return lambda diff, program: any(p(diff, program) for p in predicates)


def _gradient_after_inplace(diff, program):
    """A gradient difference where a later step writes in place (into the base of a view taken earlier)."""
    return diff.kind in ("gradient", "gradgrad", "gradient exception") and any(
        "inplace" in s.tags for s in program.steps[diff.step + 1:])


_ERROR_KINDS = ("exception", "message", "gradient exception", "gradient message")
_GRADIENT_ERROR_KINDS = ("gradient exception", "gradient message")

EXCLUSIONS = (
    # -- found by this fuzzer (tools/fuzz_torch.py shows a reproducer of each)
    Exclusion("derivative of std/var over dim=()", "torch's derivative of std and var over an empty dim "
              "tuple divides by N - correction with N = 1 (the forward reduces every dim): pullback keeps "
              "the true derivative (tests/test_zero_dim.py checks it with finite differences)",
              difference=lambda diff, program: diff.kind in ("gradient", "gradgrad") and diff.op in ("std", "var")
              and program.steps[diff.step].kwargs.get("dim") == ()),
    Exclusion("indexing the values of max(dim) and min(dim)", "torch indexes the 0-dim values or indices of "
              "max/min over a dim as if they had one dim: t[-1] says 'select() cannot be applied to a 0-dim "
              "tensor.', t[1] names size 1", difference=lambda diff, program: diff.op in ("getitem", "setitem")
              and diff.kind in ("exception", "message") and re.search(r"select\(\) cannot be applied to a 0-dim|"
                                                                     r"for dimension 0 with size 1$",
                                                                     diff.torch_error or "") is not None),
    Exclusion("ops on int tensors requiring grad", "torch marks an int tensor as requiring grad after a masked write of a "
              "float that does (see 'grad value masked into an int tensor'), and then refuses ops on it: "
              "'Autograd not support dtype'", difference=lambda diff, program: diff.kind == "exception"
              and "Autograd not support dtype" in (diff.torch_error or "")
              and any(s.op == "setitem" for s in program.steps[:diff.step])),
    Exclusion("grad value masked into an int tensor", "torch marks an int tensor as requiring grad after "
              "`t[mask] = v` with a float `v` that requires grad (even an all-False mask), and its backward then "
              "fails an internal assert (isDifferentiableType): a torch bug pullback does not copy",
              difference=lambda diff, program: diff.kind in ("requires_grad", "gradient", "gradgrad") and any(
                  s.op == "setitem" for s in program.steps[:diff.step])),
    Exclusion("in-place checks", "torch refuses in-place writes to views of leaves, to outputs of multi-view "
              "ops (split, unbind) and to overlapping memory; pullback allows them, words it differently, or "
              "refuses writes to broadcast_to/expand results that do not overlap",
              difference=_either(_error_says(r"view of a leaf Variable|is a view and is being modified inplace|"
                                             r"refers? to a single memory location|is a view and its base",
                                             _ERROR_KINDS),
                                 _error_says(r"read-only|refers to a single memory location",
                                             side="pullback_error"))),
    Exclusion("saved-tensor version checks", "backward after an in-place write to a saved tensor: torch "
              "names the node 'Rsqrt' (pullback 'RsqrtBackward0'), and some checks are missing or extra",
              difference=_either(_error_says(r"modified by an inplace operation", _GRADIENT_ERROR_KINDS),
                                 _error_says(r"modified by an inplace operation", _GRADIENT_ERROR_KINDS,
                                             side="pullback_error"))),
    Exclusion("derivatives torch lacks", "torch has no derivative for remainder(Number, "
              "tensor); pullback differentiates it", difference=_error_says(r"derivative for .* is not implemented",
                                                                    _GRADIENT_ERROR_KINDS)),
    Exclusion("nan at singular points", "0/0 inside a derivative formula (std of one element, atan2(0, 0), "
              "sqrt(relu(x)) at 0): one library gives nan, the other a number",
              difference=lambda diff, program: diff.kind in ("gradient", "gradgrad")
              and re.search(r"difference: nan|but got nan|Expected nan", diff.detail) is not None),
    Exclusion("kink conventions of second derivatives", "second derivatives of elu and smooth_l1_loss at "
              "their kinks, and of cumprod (over one element) anywhere downstream, differ",
              difference=lambda diff, program: diff.kind == "gradgrad" and (
                  diff.op in ("elu", "smooth_l1_loss") or any(s.op == "cumprod" for s in program.steps))),
    Exclusion("rounding divisions", "x // y, remainder and fmod where x / y is within rounding of an integer "
              "round either way (NumPy's and torch's algorithms), and remainder's exact zeros take the "
              "divisor's sign in pullback (1/remainder(1., -1.) is -inf there, inf in torch)",
              difference=lambda diff, program: diff.kind == "value" and any(
                  s.op in ("floor_divide", "remainder", "fmod") for s in program.steps[:diff.step + 1])),
    Exclusion("lerp of infinite ends", "lerp(inf, y, w): torch's formula gives nan where pullback's gives inf "
              "(or the reverse)", difference=lambda diff, program: diff.op == "lerp" and diff.kind == "value"
              and "nan" in diff.detail),
    Exclusion("cosine_similarity of near-zero vectors", "the eps clamp of the norms differs in the gradient",
              difference=lambda diff, program: diff.op == "cosine_similarity" and diff.kind == "gradient"),
)


def excluded_step(step, ctx, exclusions):
    return any(e.step is not None and e.step(step, ctx) for e in exclusions)


def excused(diff, program, exclusions):
    """The exclusion that covers ``diff`` (a difference of ``program``), or None."""
    return next((e for e in exclusions if e.difference is not None and e.difference(diff, program)), None)


# ----------------------------------------------------------------------------- generation

def generate_program(ch, exclusions=(), max_steps=8):
    """Draws a program; each step is executed in torch as it is drawn (the next one sees its result)."""
    ctx = Context(ch)
    specials = ch.boolean(0.1)
    inputs = draw_inputs(ch, ctx, specials)
    for i in inputs:
        execute(i.source(), ctx.namespace)
        ctx.names.append(i.name)
        ctx.leaves.add(i.name)
    steps = []
    for _ in range(ch.integer(1, max_steps)):
        gen = choice(ch, _WEIGHTED)
        try:
            step = gen(ch, ctx)
            if step is None or excluded_step(step, ctx, exclusions):
                continue
        except RuntimeError:  # torch refuses to look at a value (a view invalidated by an in-place write)
            continue
        if step.call[0] != "setitem":
            step.out = ctx.new_name()
        steps.append(step)
        try:
            execute(step.source(), ctx.namespace)
        except Exception:  # noqa: BLE001  (torch refuses: the step stays, to compare the exception)
            break
        if step.out is not None:
            value = ctx.namespace[step.out]
            if not isinstance(value, torch.Tensor):  # a non-tensor result: compared, never an operand
                continue
            ctx.names.append(step.out)
    return Program(inputs, steps, seed=ch.integer(0, 2**16), second_order=ch.boolean(0.3))


def programs(exclusions=EXCLUSIONS, max_steps=8):
    """The hypothesis strategy of programs."""
    from hypothesis import strategies as st

    @st.composite
    def draw_program(draw):
        return generate_program(HypothesisChooser(draw), exclusions, max_steps)
    return draw_program()


# ----------------------------------------------------------------------------- comparison

@dataclasses.dataclass
class Difference:
    """The first way pullback's run of a program differs from torch's."""
    kind: str  # "value", "requires_grad", "exception", "message", "gradient", "gradgrad"
    op: str
    step: int
    detail: str
    torch_error: str = None     # "Type: message" of the exceptions, where one was raised
    pullback_error: str = None

    @property
    def key(self):
        return (self.op, self.kind)

    def __str__(self):
        return f"{self.op} [{self.kind}] at step {self.step}: {self.detail}"


# Messages that name internals (kernel names, C++ files) are not compared, only the exception type.
_INTERNAL_MESSAGE = re.compile(r"not implemented for '|Exception raised from|\.cpp|INTERNAL ASSERT|_impl\b")


def user_facing(message):
    return not _INTERNAL_MESSAGE.search(message)


def same_exception_type(pullback_error, torch_error):
    """The same builtin type (torch's own subclasses of builtins are matched by name)."""
    torch_type = type(torch_error)
    return type(pullback_error) is torch_type or (
        type(pullback_error).__name__ == torch_type.__name__ and isinstance(pullback_error, torch_type.__mro__[1]))


def as_torch_message(error):
    """pullback's message with its own module name written as torch's (``pullback.DoubleTensor``)."""
    return str(error).replace("pullback.", "torch.")


def _describe(e):
    return f"{type(e).__name__}: {str(e)[:300]}"


def compare_exceptions(step_index, op, torch_error, pullback_error):
    """None when both raise the same exception type (and message, where torch's is user-facing)."""
    if torch_error is None and pullback_error is None:
        return None
    errors = {"torch_error": torch_error and _describe(torch_error),
              "pullback_error": pullback_error and _describe(pullback_error)}
    if torch_error is None:
        return Difference("exception", op, step_index, f"pullback raises {_describe(pullback_error)}; "
                          "torch does not", **errors)
    if pullback_error is None:
        return Difference("exception", op, step_index, f"torch raises {_describe(torch_error)}; pullback does not",
                          **errors)
    if not same_exception_type(pullback_error, torch_error):
        return Difference("exception", op, step_index, f"pullback raises {_describe(pullback_error)}; "
                          f"torch raises {_describe(torch_error)}", **errors)
    if user_facing(str(torch_error)) and str(torch_error) != as_torch_message(pullback_error):
        return Difference("message", op, step_index, f"pullback says {str(pullback_error)[:300]!r}; "
                          f"torch says {str(torch_error)[:300]!r}", **errors)
    return None


# float32 results of a chain of steps differ by rounding that later steps amplify (2 ** x for a large
# x): compared to 1e-4 relative. float64 keeps assert_close's defaults.
FLOAT32_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def uses_float32(program, trace):
    """Whether float32 rounding enters the program (an input, or any result, such as sum(dtype=float32))."""
    return any(i.dtype == "float32" for i in program.inputs) or any(
        isinstance(r, torch.Tensor) and r.dtype == torch.float32 for r in trace.results)


def compare_values(actual, expected, what, tolerances=None):
    """None when pullback's value matches torch's (values, dtype, shape), else the difference."""
    try:
        torch_spec.assert_same(actual, expected, what=what, **(tolerances or {}))
    except AssertionError as e:
        return str(e)[:600]
    return None


def same_selected_values(step, operand, actual, expected):
    """True when pullback's indices select values equal to those torch's select (a tie broken by
    rounding: argmin over values equal up to the last bit is not a difference)."""
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape or actual.dtype != expected.dtype:
        return False
    dim = step.kwargs.get("dim", step.args[1] if len(step.args) > 1 else None)
    if dim is None:
        picked = [operand.flatten()[i.flatten()] for i in (actual, expected)]
    else:
        keepdim = step.kwargs.get("keepdim", False)
        picked = [torch.take_along_dim(operand, i if keepdim else i.unsqueeze(dim), dim) for i in (actual, expected)]
    return compare_values(picked[0], picked[1], "selected", FLOAT32_TOLERANCE) is None


def op_at(program, index):
    return "<inputs>" if index < 0 else program.steps[index].op


def compare_forward(program, expected, actual, tolerances):
    """The first step at which the two traces differ: exceptions, values, requires_grad."""
    e_index = expected.error[0] if expected.error else len(program.steps)
    a_index = actual.error[0] if actual.error else len(program.steps)
    for index in range(min(e_index, a_index)):
        step = program.steps[index]
        if step.out is None:
            continue
        e_value = expected.namespace[step.out]
        detail = compare_values(actual.results[index], expected.results[index], step.out, tolerances)
        if detail and index in expected.operands and same_selected_values(
                step, expected.operands[index], actual.results[index], expected.results[index]):
            detail = None
        if detail:
            return Difference("value", step.op, index, detail)
        if isinstance(e_value, torch.Tensor) and actual.requires_grad[index] != expected.requires_grad[index]:
            return Difference("requires_grad", step.op, index, f"{step.out}.requires_grad is "
                              f"{actual.requires_grad[index]}, torch's is {expected.requires_grad[index]}")
    if e_index != a_index or expected.error:
        index = min(e_index, a_index)
        return compare_exceptions(index, op_at(program, index), expected.error[1] if e_index == index else None,
                                  actual.error[1] if a_index == index else None)
    return None


def compare_final(program, expected, actual, tolerances):
    """Values at the end (in-place steps and setitem write through views into earlier values)."""
    writers = [s.op for s in program.steps if "inplace" in s.tags or s.op == "setitem" or s.op.endswith("_")]
    if not writers:
        return None
    done = len(expected.results)
    for name in [i.name for i in program.inputs] + [s.out for s in program.steps[:done] if s.out]:
        e_value = expected.namespace[name]
        if not isinstance(e_value, torch.Tensor):
            continue
        detail = compare_values(snapshot(actual.namespace[name]), e_value.detach(), f"{name} at the end",
                                tolerances)
        if detail:
            return Difference("value", writers[-1], len(program.steps) - 1, "after the in-place steps: " + detail)
    return None


def float_outputs(program, trace):
    """(step index, name) of each float result that requires grad in torch, in program order."""
    done = len(trace.results)
    found = []
    for index, step in enumerate(program.steps[:done]):
        value = trace.namespace.get(step.out) if step.out else None
        if isinstance(value, torch.Tensor) and value.dtype.is_floating_point and value.requires_grad:
            found.append((index, step.out))
    return found


def grad_leaves(program, namespace):
    return [namespace[i.name] for i in program.inputs if i.requires_grad]


def as_array(grad, leaf):
    """A gradient as a numpy array; no gradient (None: no path) as the zeros it stands for."""
    if grad is None:
        return np.zeros(tuple(leaf.shape), dtype=np.float64)
    if torch is not None and isinstance(grad, torch.Tensor):
        if grad._is_zerotensor():  # torch's symbolic zeros have no memory (numpy(force=True) can crash)
            return np.zeros(tuple(grad.shape), dtype=torch.empty(0, dtype=grad.dtype).numpy().dtype)
        return np.array(grad.detach().numpy(), copy=True)
    return np.array(grad.detach().numpy(), copy=True)


def vjps(lib, program, namespace, index, name):
    """The VJP of output ``name`` (seeded cotangent) w.r.t. the inputs, and the VJP of those gradients
    (seeded weights) when the program is second order; numpy arrays, one per input."""
    rng = np.random.default_rng([program.seed, index])
    leaves = grad_leaves(program, namespace)
    out = namespace[name]
    cotangent = lib.tensor(rng.standard_normal(tuple(out.shape)), dtype=out.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grads = lib.autograd.grad([out], leaves, [cotangent], retain_graph=True, allow_unused=True,
                                  create_graph=program.second_order)
        first = [as_array(g, leaf) for g, leaf in zip(grads, leaves)]
        if not program.second_order:
            return first, None
        # One weight per input, drawn whether or not its gradient has a graph: both libraries get the same.
        weights = [lib.tensor(rng.standard_normal(tuple(leaf.shape)), dtype=leaf.dtype) for leaf in leaves]
        pairs = [(g, w) for g, w in zip(grads, weights) if g is not None and g.requires_grad]
        if not pairs:
            return first, [as_array(None, leaf) for leaf in leaves]
        total = sum((g * w).sum() for g, w in pairs)
        seconds = lib.autograd.grad([total], leaves, retain_graph=True, allow_unused=True)
    return first, [as_array(g, leaf) for g, leaf in zip(seconds, leaves)]


def _vjps_or_error(lib, program, namespace, index, name):
    try:
        return vjps(lib, program, namespace, index, name), None
    except Exception as e:  # noqa: BLE001
        return None, e


def has_special_inputs(program):
    return any(isinstance(v, float) and not math.isfinite(v)
               for i in program.inputs if i.data is not None for v in np.ravel(np.array(i.data, dtype=object)))


def first_nonfinite_step(trace):
    """The index of the first step whose (float) result has an inf or nan, or len(results)."""
    for index, value in enumerate(trace.results):
        if isinstance(value, torch.Tensor) and value.dtype.is_floating_point and not torch.isfinite(value).all():
            return index
    return len(trace.results)


def compare_gradient_arrays(actual, expected, what, tolerances):
    """None when pullback's gradients (one array per input) match torch's, else the difference."""
    for i, (a, e) in enumerate(zip(actual or (), expected or ())):
        try:
            torch.testing.assert_close(torch.from_numpy(a), torch.from_numpy(e), equal_nan=True,
                                       msg=lambda m: f"{what} w.r.t. input {i}: {m}", **tolerances)
        except AssertionError as err:
            return str(err)[:600]
    return None


def compare_gradients(program, expected, actual, tolerances):
    # Derivatives at inf or nan are not defined: how a formula propagates them is not compared, so
    # only outputs computed before the first non-finite value are.
    if not any(i.requires_grad for i in program.inputs) or has_special_inputs(program):
        return None
    finite_until = first_nonfinite_step(expected)
    for index, name in float_outputs(program, expected):
        if index >= finite_until:
            break
        e_result, e_error = _vjps_or_error(torch, program, expected.namespace, index, name)
        a_result, a_error = _vjps_or_error(pullback, program, actual.namespace, index, name)
        op = program.steps[index].op
        if e_error or a_error:
            diff = compare_exceptions(index, op, e_error, a_error)
            if diff:
                diff.kind = "gradient " + diff.kind
                diff.detail = f"backward of {name}: {diff.detail}"
                return diff
            continue
        for kind, e, a in (("gradient", e_result[0], a_result[0]), ("gradgrad", e_result[1], a_result[1])):
            detail = compare_gradient_arrays(a, e, f"{kind} of {name}", tolerances)
            if detail:
                return Difference(kind, op, index, detail)
    return None


def compare(program, exclusions=()):
    """Runs ``program`` in torch and in pullback; returns the first :class:`Difference` (None when
    there is none, or when one of ``exclusions`` covers it)."""
    expected = run_program(program, torch)
    actual = run_program(program, pullback)
    if expected.error and expected.error[0] < 0:
        return None  # torch cannot build the inputs: nothing to compare (a generator bug)
    tolerances = FLOAT32_TOLERANCE if uses_float32(program, expected) else {}
    diff = (compare_forward(program, expected, actual, tolerances)
            or compare_final(program, expected, actual, tolerances)
            or compare_gradients(program, expected, actual, tolerances))
    return None if diff is None or excused(diff, program, exclusions) else diff


def known_class(program, diff, exclusions=EXCLUSIONS):
    """The name of the exclusion that covers ``diff``: a difference pattern, or a step pattern matching
    a step up to the one where it shows (replayed in torch to see the operands); None for a new class."""
    covering = excused(diff, program, exclusions)
    if covering is not None:
        return covering.name
    if not 0 <= diff.step < len(program.steps):
        return None
    ctx = Context(None)
    try:
        for i in program.inputs:
            execute(i.source(), ctx.namespace)
        for step in program.steps[:diff.step + 1]:  # a step pattern before the difference counts too
            found = next((e.name for e in exclusions if e.step is not None and e.step(step, ctx)), None)
            if found:
                return found
            execute(step.source(), ctx.namespace)
    except Exception:  # noqa: BLE001  (a program torch cannot replay up to that step)
        pass
    return None


# ----------------------------------------------------------------------------- shrinking

def shrink(program, keep):
    """Removes steps and inputs while ``keep(program)`` holds (greedy, last step first)."""
    changed = True
    while changed:
        changed = False
        for index in reversed(range(len(program.steps))):
            step = program.steps[index]
            later = set().union(*(s.refs() for s in program.steps[index + 1:]))
            if step.out in later:
                continue
            candidate = dataclasses.replace(program, steps=program.steps[:index] + program.steps[index + 1:])
            if keep(candidate):
                program, changed = candidate, True
                break
        if changed:
            continue
        used = set().union(*(s.refs() for s in program.steps))
        for i in program.inputs:
            if i.name not in used:
                candidate = dataclasses.replace(program, inputs=[j for j in program.inputs if j is not i])
                if keep(candidate):
                    program, changed = candidate, True
                    break
    return program
