"""The one backward node of a compiled call's outputs (``CompiledFunctionBackward``, as torch names
it): its backward replays the backward recorded with the call (see ``_record_backward``).

A backward that must itself be differentiated (``create_graph=True``, a Hessian) cannot replay
arrays: the call is recomputed eagerly from its inputs (as ``checkpoint`` does, with the random
stream of the replay restored) and differentiated with a graph. That needs a call without side
effects (no optimizer step, no ``.grad`` written, no in-place write); for any other, the error
says so instead of a silently wrong second derivative.
"""
from .. import _creation
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.function import Function
from ..autograd.graph import backward_twice_message


class CompiledFunction(Function):
    """Links a replayed call's outputs that require grad to the Tensors its recorded backward
    differentiates into (the arguments that require grad and the parameters it reached)."""

    @staticmethod
    def forward(ctx, program, arg_tensors, saved, outputs, recompute, *inputs):
        ctx.program, ctx.arg_tensors, ctx.saved_arrays = program, arg_tensors, saved
        ctx.recompute, ctx.inputs = recompute, inputs
        ctx.output_dtypes = [o._data.dtype for o in outputs]
        return tuple(outputs)

    @staticmethod
    def backward(ctx, *grads):
        if ctx.program.released:
            raise RuntimeError(backward_twice_message(ctx))
        head = (None,) * 5
        if grad_mode.is_grad_enabled():
            return head + _differentiable_backward(ctx, grads)
        with grad_mode.no_grad():
            cotangents = tuple(g._data if g is not None else _zeros_like_output(ctx, k) for k, g in enumerate(grads))
            results = ctx.program.backward(ctx.arg_tensors, ctx.saved_arrays, cotangents)
        return head + tuple(None if r is None else Tensor._make(r) for r in results)


def _differentiable_backward(ctx, grads):
    """The backward with a graph: the call recomputed eagerly and differentiated (see the module
    docstring)."""
    if ctx.recompute is None:
        raise RuntimeError("pullback.compile: the backward of a compiled call is differentiated (create_graph=True), "
                           "which needs the call recomputed eagerly, but this call has side effects (an optimizer "
                           "step, a .grad written or an in-place write); compute the higher derivatives inside the "
                           "compiled function, or call it uncompiled")
    from ..autograd import grad as autograd_grad
    from . import _differentiable_outputs
    fn, args, kwargs, rng_state = ctx.recompute
    if rng_state is not None:
        now = _creation.get_rng_state()
        _creation.set_rng_state(rng_state)
    try:
        with grad_mode.enable_grad():
            out = fn(*args, **kwargs)
    finally:
        if rng_state is not None:
            _creation.set_rng_state(now)
    outputs = _differentiable_outputs(out, ctx.program.out_template)
    pairs = [(o, g) for o, g in zip(outputs, grads) if g is not None]
    return autograd_grad([o for o, _ in pairs], list(ctx.inputs), [g for _, g in pairs],
                         create_graph=True, allow_unused=True)


def _zeros_like_output(ctx, k):
    from .._backend import B
    return B.zeros(ctx.program.seed_shapes[k], ctx.output_dtypes[k])
