"""Module backward hooks: identity nodes around a module's tensor inputs and outputs.

The node on the outputs learns ``grad_output`` (and runs the backward pre-hooks); the node on the
inputs learns ``grad_input`` (and runs the full backward hooks), as PyTorch's BackwardHook does.
"""
from ..._tensor import Tensor
from ..._ops._registry import primitive, Joint, LINEAR
from ...autograd import grad_mode

_identity = primitive("backward_hook_function", lambda *xs: tuple(xs), variadic=True, outputs=-1, out_dtype="keep",
                      grad_name="BackwardHookFunctionBackward", vjp=Joint(lambda g, needs: list(g)), jvp=LINEAR,
                      batch=lambda prim, values, bdims, params, size: (prim.bind(tuple(values), params), tuple(bdims)))


def _through_identity(values, on_gradients):
    """Passes the Tensors that require grad through one identity node with a pre-hook."""
    positions = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not positions or not grad_mode.is_grad_enabled():
        return values, False
    outs = _identity(*[values[i] for i in positions])
    outs[0].grad_fn.register_prehook(on_gradients)
    values = list(values)
    for i, o in zip(positions, outs):
        values[i] = o
    return values, True


class BackwardHookState:
    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.inputs_hooked = False
        self.n_inputs = 0

    def wrap_inputs(self, args):
        self.n_inputs = sum(isinstance(a, Tensor) for a in args)
        if not self.module._backward_hooks:
            return args
        args, self.inputs_hooked = _through_identity(args, self._on_grad_input)
        return tuple(args)

    def wrap_outputs(self, output):
        single = isinstance(output, Tensor)
        values = [output] if single else list(output) if isinstance(output, (tuple, list)) else None
        if values is None:
            return output
        values, hooked = _through_identity(values, self._on_grad_output)
        if not hooked:
            return output
        return values[0] if single else type(output)(values)

    def _on_grad_output(self, grad_output):
        grad_output = tuple(grad_output)
        for hook in list(self.module._backward_pre_hooks.values()):
            result = hook(self.module, grad_output)
            if result is not None:
                grad_output = tuple(result)
        self.grad_output = grad_output
        if not self.inputs_hooked:  # no input requires grad: PyTorch calls the hooks with None inputs
            for hook in list(self.module._backward_hooks.values()):
                hook(self.module, (None,) * max(self.n_inputs, 1), grad_output)
        return grad_output

    def _on_grad_input(self, grad_input):
        grad_input = tuple(grad_input)
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = tuple(result)
        return grad_input
