"""The one backward node of a compiled call's outputs (``CompiledFunctionBackward``, as torch names
it): its backward replays the backward recorded with the call (see ``_record_backward``)."""
from .._tensor import Tensor
from ..autograd.function import Function, once_differentiable


class CompiledFunction(Function):
    """Links a replayed call's outputs that require grad to the Tensors its recorded backward
    differentiates into (the arguments that require grad and the parameters it reached)."""

    @staticmethod
    def forward(ctx, program, arg_tensors, saved, outputs, *inputs):
        ctx.program, ctx.arg_tensors, ctx.saved_arrays = program, arg_tensors, saved
        ctx.output_dtypes = [o._data.dtype for o in outputs]
        return tuple(outputs)

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        cotangents = tuple(g._data if g is not None else _zeros_like_output(ctx, k) for k, g in enumerate(grads))
        results = ctx.program.backward(ctx.arg_tensors, ctx.saved_arrays, cotangents)
        return (None, None, None, None) + tuple(None if r is None else Tensor._make(r) for r in results)


def _zeros_like_output(ctx, k):
    from .._backend import B
    return B.zeros(ctx.program.seed_shapes[k], ctx.output_dtypes[k])
