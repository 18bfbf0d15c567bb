"""Custom differentiable functions: ``autograd.Function``, as PyTorch's.

A Function's backward node is its ``ctx``: ``forward`` (or ``setup_context``) stores what the
backward needs on it, and the engine runs ``backward`` through the same walk as any primitive,
with the same checks of gradient count and shape.
"""
import functools
import inspect

from .._tensor import Tensor
from .. import _errors
from . import grad_mode
from .graph import Node, SavedTensor, backward_twice_message, _sequence
from . import anomaly_mode
from .._creation import zeros, zeros_like
from ..func import _function_vmap  # (a module: it imports this one back)
from .._ops._registry import primitive, TRANSPOSE, ELEMENTWISE
from .. import _levels
from . import forward_ad


class FunctionCtx(Node):
    """The context of one ``Function.apply``: also the backward node of its outputs
    (``y.grad_fn``), named ``<Function>Backward``."""

    def __init__(self, cls, args):
        self._cls = cls
        self.prim = None
        self.params = None
        self.next_nodes = self.next_nrs = ()
        self.saved = None
        self.input_meta = ()
        self.n_outputs = 1
        self._name = cls.__name__ + "Backward"
        self._to_save = ()
        self._non_differentiable = set()
        self._dirty = set()
        self._materialize_grads = True
        self._output_meta = ()
        self.to_save_forward = ()
        self._jvp_running = False
        self._batched = None       # under vmap (generate_vmap_rule): the wrappers of inputs, outputs, saved
        self.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        self.seq = next(_sequence)

    # ----------------------------------------------------------- the ctx API
    def save_for_backward(self, *tensors):
        """Saves Tensors (or None) for ``backward``; read them back with ``saved_tensors``."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        """Saves Tensors for a ``jvp`` staticmethod (forward mode)."""
        self.to_save_forward = tensors

    @property
    def saved_tensors(self):
        """The Tensors given to ``save_for_backward`` (in ``jvp``: to ``save_for_forward``, as
        PyTorch's); freed after backward unless the graph is retained (reading them then
        raises PyTorch's error)."""
        if self._jvp_running:
            return tuple(self.to_save_forward)
        if self.released:
            raise RuntimeError(backward_twice_message(self))
        if self.saved is None:
            return tuple(self._to_save)
        unpacked = tuple(s.unpack(self, True) if isinstance(s, SavedTensor) else s for s in self.saved)
        if self._batched is None:
            return unpacked
        return tuple(t if t is None else _function_vmap.rewrap(t, chain) for t, chain in zip(unpacked, self._batched.saved))

    def mark_non_differentiable(self, *tensors):
        """Marks outputs that never require grad (their gradient is always None or zero)."""
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        """Marks inputs that ``forward`` modified in place (they are returned as outputs)."""
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        """Whether None output gradients reach ``backward`` as zeros (default True)."""
        self._materialize_grads = bool(value)

    def _backward(self, grads):
        if self._batched is None:
            result = self._cls.backward(self, *grads)
            return result if isinstance(result, tuple) else (result,)
        # generate_vmap_rule: the backward runs on batched values (see func/_function_vmap.py)
        with _function_vmap.levels_active(self._batched.sizes):
            result = self._cls.backward(self, *[g if g is None or c is None else _function_vmap.rewrap(g, c)
                                                for g, c in zip(grads, self._batched.outputs)])
            result = result if isinstance(result, tuple) else (result,)
            return tuple(_function_vmap.input_frame(r, x) if isinstance(r, Tensor) and isinstance(x, Tensor) else r
                         for r, x in zip(result, self._batched.inputs + (None,) * len(result)))

    # ------------------------------------------------------- the node API
    def name(self):
        return self._name

    def release(self):
        if self.saved is not None:
            self.saved = None
            self.released = True

    def apply(self, grad_outputs, needs, as_tensor):
        grads = []
        for g, (shape, dtype) in zip(grad_outputs, self._output_meta):
            if g is None:
                if self._materialize_grads:
                    g = zeros(*shape, dtype=dtype)
            elif not isinstance(g, Tensor):
                g = Tensor._make(g)
            grads.append(g)
        result = self._backward(grads)
        expected = len(self.next_nodes)
        if len(result) > expected and all(r is None for r in result[expected:]):
            result = result[:expected]  # PyTorch accepts trailing Nones
        if len(result) != expected:
            raise RuntimeError(f"function {self._name} returned an incorrect number of gradients (expected "
                               f"{expected}, got {len(result)})")
        out = []
        for i, r in enumerate(result):
            if r is not None and self.input_meta[i] is None:
                raise RuntimeError(f"function {self._name} returned a gradient different than None at position "
                                   f"{i + 1}, but the corresponding forward input was not a Variable")
            if r is not None and not isinstance(r, Tensor):
                raise TypeError(f"function {self._name} returned a {type(r).__name__} as gradient {i}; "
                                "expected a Tensor or None")
            out.append(r if (r is None or as_tensor) else r._data)
        return out


class Function:
    """Base class for custom differentiable operations.

    Subclass it with static ``forward`` and ``backward`` methods, then call ``Function.apply``.
    Either ``forward(ctx, *args)`` fills ``ctx``, or ``forward(*args)`` is paired with
    ``setup_context(ctx, inputs, output)``. ``backward(ctx, *grad_outputs)`` returns one gradient
    per ``forward`` argument (None for non-Tensor arguments or when not needed). A ``backward``
    written in pullback ops is itself differentiable.

    Example::

        >>> class Exp(pullback.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         y = x.exp()
        ...         ctx.save_for_backward(y)
        ...         return y
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (y,) = ctx.saved_tensors
        ...         return g * y
        >>> x = pullback.tensor([0.0, 1.0], requires_grad=True)
        >>> Exp.apply(x).sum().backward()
    """

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    generate_vmap_rule = False

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("To use autograd.Function with vmap, you must either override the vmap "
                                  "staticmethod or set generate_vmap_rule=True.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Runs ``forward`` and, when an input requires grad, links the backward node."""
        if _levels.OPEN[0] and _levels.active(_levels.VMAP) and any(_levels.batched(a) for a in args):
            _function_vmap.refuse_unbatchable(cls)
            if _function_vmap.has_vmap_staticmethod(cls):
                return _function_vmap.apply_with_vmap_staticmethod(cls, args, kwargs)
        ctx = FunctionCtx(cls, args)
        inputs, output = _run_forward(cls, ctx, args, kwargs)
        is_tuple = isinstance(output, tuple)
        outputs = list(output) if is_tuple else [output]
        for k, o in enumerate(outputs):
            if isinstance(o, Tensor) and any(o is a for a in args):
                outputs[k] = _fresh_if_input(o, args, ctx)
        if _levels.OPEN[0] and forward_ad.active():
            _forward_mode(cls, ctx, inputs, outputs)
        if grad_mode.is_grad_enabled() and any(ctx.needs_input_grad):
            _link(ctx, args, outputs)
        return tuple(outputs) if is_tuple else outputs[0]


def _run_forward(cls, ctx, args, kwargs):
    """forward(*args) + setup_context(ctx, inputs, output), or forward(ctx, *args): without
    recording and without tangents (the Function's jvp gives its outputs' tangents)."""
    with grad_mode.no_grad(), forward_ad.paused():
        if cls.setup_context is not _BASE_SETUP_CONTEXT:
            output = cls.forward(*args, **kwargs)
            inputs = _with_defaults(cls, args, kwargs)
            cls.setup_context(ctx, inputs, output)
        else:
            inputs = args
            output = cls.forward(ctx, *args, **kwargs)
    return inputs, output


def _with_defaults(cls, args, kwargs):
    """forward's arguments with its defaults filled in: the ``inputs`` PyTorch gives setup_context."""
    if not kwargs and cls.forward.__defaults__ is None:
        return args
    bound = inspect.signature(cls.forward).bind(*args, **kwargs)
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def _plain(t):
    """The Tensor autograd records on: the one under vmap's wrappers (see Note [Batched values])."""
    while _levels.batched(t):
        t = t._value
    return t


def _fresh_if_input(o, args, ctx):
    """An input returned as it is (and not marked dirty) becomes a new Tensor on the same data."""
    if id(o) in ctx._dirty:
        return o
    u, chain = _function_vmap.peel(o)
    return _function_vmap.rewrap(Tensor._make(u._data, version_counter=u._version_counter), chain)


def _any_batched(values):
    return any(_levels.batched(v) for v in values)


def _link(ctx, args, outputs):
    """Makes ``ctx`` the backward node of the outputs, on the plain Tensors under any vmap
    wrappers (generate_vmap_rule: the wrappers are kept on ctx to rebuild batched values)."""
    batched = _levels.OPEN[0] and _any_batched(args + tuple(outputs))
    plain_args = [_plain(a) for a in args] if batched else args
    plain_outputs = [_plain(o) for o in outputs] if batched else outputs
    ctx._output_meta = tuple((tuple(u.shape), u.dtype) if isinstance(u, Tensor) else ((), None)
                             for u in plain_outputs)
    edges = [a._edge() if isinstance(a, Tensor) and a._requires_grad else (None, 0) for a in plain_args]
    ctx.next_nodes = tuple(node for node, _ in edges)
    ctx.next_nrs = tuple(nr for _, nr in edges)
    ctx.input_meta = tuple((a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in plain_args)
    ctx.n_outputs = len(outputs)
    if anomaly_mode.is_anomaly_enabled():
        anomaly_mode.record(ctx)
    for k, (o, u) in enumerate(zip(outputs, plain_outputs)):
        if not isinstance(o, Tensor) or id(o) in ctx._non_differentiable or not o.is_floating_point():
            continue
        if id(o) in ctx._dirty and u.grad_fn is None and u._requires_grad:
            raise RuntimeError(_errors.LEAF_INPLACE)
        u.grad_fn = ctx
        u._output_nr = k
        u._requires_grad = True
        while o is not u:                                    # the wrappers say so too
            o._requires_grad = True
            o = o._value
    output_ids = {id(u): k for k, u in enumerate(plain_outputs) if isinstance(u, Tensor)}
    saved = [_plain(t) for t in ctx._to_save] if batched else ctx._to_save
    ctx.saved = tuple(None if t is None else SavedTensor(t, is_output=id(t) in output_ids and t.grad_fn is ctx)
                      for t in saved)
    if batched:
        chains = lambda values: tuple(_function_vmap.peel(v)[1] if isinstance(v, Tensor) else None for v in values)  # noqa: E731
        ctx._batched = _BatchedCtx(tuple(args), chains(outputs), chains(ctx._to_save),
                                   _function_vmap.level_sizes([a for a in args if isinstance(a, Tensor)]))


class _BatchedCtx:
    """A generate_vmap_rule Function's (batched) inputs, and the vmap wrappers of its outputs and
    saved Tensors."""
    __slots__ = ("inputs", "outputs", "saved", "sizes")

    def __init__(self, inputs, outputs, saved, sizes):
        self.inputs, self.outputs, self.saved, self.sizes = inputs, outputs, saved, sizes


_BASE_SETUP_CONTEXT = Function.setup_context
_BASE_JVP = Function.jvp


def _forward_mode(cls, ctx, inputs, outputs):
    """Tangents of a custom Function's outputs, from its ``jvp`` staticmethod. As PyTorch's, a
    floating-point input without a tangent gets zeros, other inputs None, and ``saved_tensors``
    are those given to ``save_for_forward``."""
    levels = set()
    for a in inputs:
        if isinstance(a, Tensor):
            levels.update(forward_ad.tangents_at(_plain(a)) or ())
    for level in sorted(levels):
        if cls.jvp is _BASE_JVP:
            raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                      "with forward mode AD.")
        tangents = [_input_tangent(a, level) for a in inputs]
        ctx._jvp_running = True
        try:
            with forward_ad.paused():
                result = cls.jvp(ctx, *tangents)
        finally:
            ctx._jvp_running = False
        result = result if isinstance(result, tuple) else (result,)
        for o, t in zip(outputs, result):
            if isinstance(o, Tensor) and t is not None and o.is_floating_point():
                forward_ad.set_output_tangent(o, level, t)


def _input_tangent(a, level):
    if not isinstance(a, Tensor) or not a.is_floating_point():
        return None
    tangent = forward_ad.unpack_dual(a, level=level).tangent
    if tangent is None:
        return zeros_like(a)
    return tangent


_delayed_error = primitive(
    "delayed_error", lambda x: x, out_dtype="keep", grad_name="DelayedError",
    vjp=lambda g: _raise(RuntimeError("trying to differentiate twice a function that was marked with "
                                      "@once_differentiable")),
    jvp=TRANSPOSE, batch=ELEMENTWISE)  # (its JVP raises too: the VJP it transposes does)


def _raise(error):
    raise error


def once_differentiable(fn):
    """Marks a ``backward`` that is not itself differentiable: it runs without recording, and a
    second-order pass through it raises a clear error (instead of a silently wrong zero)."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.is_grad_enabled():  # a first-order pass
            return outputs
        single = not isinstance(outputs, tuple)
        wrapped = tuple(_delayed_error(o.detach().requires_grad_(True)) if isinstance(o, Tensor)
                        and o.is_floating_point() else o for o in ((outputs,) if single else outputs))
        return wrapped[0] if single else wrapped
    return wrapper
