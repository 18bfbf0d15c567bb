"""pullback.func: composable function transforms, as ``torch.func``: ``vmap``, ``grad``,
``grad_and_value``, ``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd``, ``hessian``,
``functional_call``, ``stack_module_state``."""
from .vmap import vmap  # noqa: F401
from ._transforms import (grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd, hessian,  # noqa: F401
                          functional_call, stack_module_state)
