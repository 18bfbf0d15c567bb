"""Custom differentiable functions: ``autograd.Function``, as PyTorch's.

A Function's backward node is its ``ctx``: ``forward`` (or ``setup_context``) stores what the
backward needs on it, and the engine runs ``backward`` through the same walk as any primitive,
with the same checks of gradient count and shape.
"""
import functools

from .._tensor import Tensor
from .. import _errors
from . import grad_mode
from .graph import Node, SavedTensor, backward_twice_message
from .._ops._registry import primitive


class FunctionCtx(Node):
    """The context of one ``Function.apply``: also the backward node of its outputs
    (``y.grad_fn``), named ``<Function>Backward``."""

    def __init__(self, cls, args):
        self._cls = cls
        self.prim = None
        self.params = None
        self.next_edges = ()
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
        self.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        from .graph import _sequence
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
        """The Tensors given to ``save_for_backward``; freed after backward unless the graph
        is retained (reading them then raises PyTorch's error)."""
        if self.released:
            raise RuntimeError(backward_twice_message(self))
        if self.saved is None:
            return tuple(self._to_save)
        return tuple(s.unpack(self, True) if isinstance(s, SavedTensor) else s for s in self.saved)

    def mark_non_differentiable(self, *tensors):
        """Marks outputs that never require grad (their gradient is always None or zero)."""
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        """Marks inputs that ``forward`` modified in place (they are returned as outputs)."""
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        """Whether None output gradients reach ``backward`` as zeros (default True)."""
        self._materialize_grads = bool(value)

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
                    from .._creation import zeros
                    g = zeros(*shape, dtype=dtype)
            elif not isinstance(g, Tensor):
                g = Tensor._make(g)
            grads.append(g)
        result = self._cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        expected = len(self.next_edges)
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

    @classmethod
    def apply(cls, *args, **kwargs):
        """Runs ``forward`` and, when an input requires grad, links the backward node."""
        from .._ops import _registry
        batching = _registry._batching
        if batching is not None and any(isinstance(a, batching[0]) for a in args):
            if cls.setup_context is _BASE_SETUP_CONTEXT:
                raise RuntimeError("In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, "
                                   "jacrev, ...), it must override the setup_context staticmethod. For more details, "
                                   "please see https://pytorch.org/docs/main/notes/extending.func.html")
            if grad_mode.is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in args):
                raise RuntimeError(f"vmap: pullback cannot yet differentiate the custom Function {cls.__name__} "
                                   "under vmap; vmap its forward only, or write it with pullback ops.")
            with grad_mode.no_grad():   # forward on batched values: its ops have batching rules
                return cls.forward(*args, **kwargs)
        ctx = FunctionCtx(cls, args)
        with grad_mode.no_grad():
            # forward(*args) + setup_context(ctx, inputs, output), or forward(ctx, *args)
            if cls.setup_context is not _BASE_SETUP_CONTEXT:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        is_tuple = isinstance(output, tuple)
        outputs = list(output) if is_tuple else [output]
        _forward_mode(cls, ctx, args, outputs)
        requires = grad_mode.is_grad_enabled() and any(ctx.needs_input_grad)
        inputs_by_id = {id(a): a for a in args if isinstance(a, Tensor)}
        for k, o in enumerate(outputs):
            if isinstance(o, Tensor) and id(o) in inputs_by_id and id(o) not in ctx._dirty:
                # An input returned as it is: the output is a new Tensor on the same data.
                outputs[k] = Tensor._make(o._data, version_counter=o._version_counter)
        ctx._output_meta = tuple((tuple(o.shape), o.dtype) if isinstance(o, Tensor) else ((), None)
                                 for o in outputs)
        if requires:
            ctx.next_edges = tuple(a._edge() if isinstance(a, Tensor) and a._requires_grad else None for a in args)
            ctx.input_meta = tuple((a._data.shape, a.dtype) if isinstance(a, Tensor) else None for a in args)
            ctx.n_outputs = len(outputs)
            from . import anomaly_mode
            if anomaly_mode.is_anomaly_enabled():
                anomaly_mode.record(ctx)
            for k, o in enumerate(outputs):
                if not isinstance(o, Tensor) or id(o) in ctx._non_differentiable or not o.is_floating_point():
                    continue
                if id(o) in ctx._dirty and o.grad_fn is None and o._requires_grad:
                    raise RuntimeError(_errors.LEAF_INPLACE)
                o.grad_fn = ctx
                o._output_nr = k
                o._requires_grad = True
            output_ids = {id(o): k for k, o in enumerate(outputs) if isinstance(o, Tensor)}
            ctx.saved = tuple(None if t is None else SavedTensor(t, is_output=id(t) in output_ids
                                                                 and t.grad_fn is ctx)
                              for t in ctx._to_save)
        return tuple(outputs) if is_tuple else outputs[0]


_BASE_SETUP_CONTEXT = Function.setup_context
_BASE_JVP = Function.jvp


def _forward_mode(cls, ctx, args, outputs):
    """Tangents of a custom Function's outputs, from its ``jvp`` staticmethod."""
    from . import forward_ad
    levels = set()
    for a in args:
        if isinstance(a, Tensor) and a.__dict__.get("_fw_grads"):
            levels.update(a.__dict__["_fw_grads"])
    for level in sorted(levels):
        if cls.jvp is _BASE_JVP:
            raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                      "with forward mode AD.")
        tangents = [a.__dict__.get("_fw_grads", {}).get(level) if isinstance(a, Tensor) else None for a in args]
        result = cls.jvp(ctx, *tangents)
        result = result if isinstance(result, tuple) else (result,)
        for o, t in zip(outputs, result):
            if isinstance(o, Tensor) and t is not None:
                forward_ad.set_tangent(o, level, t)

_delayed_error = primitive(
    "delayed_error", lambda x: x, out_dtype="keep", grad_name="DelayedError",
    vjp=lambda g: _raise(RuntimeError("trying to differentiate twice a function that was marked with "
                                      "@once_differentiable")))


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
