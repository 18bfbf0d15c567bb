"""Activation checkpointing: run a function without keeping its saved activations, and recompute
them when backward needs them.

The function runs once with gradients recorded, but every value its graph saves is replaced by
an index (``saved_tensors_hooks``). The first time backward asks for one of them, the function is
run again, with the random state of the first run, and the values it saves are kept until that
backward is done with them. So the graph and its gradients are exactly those of the plain call
(parameters used inside get gradients through ``backward`` and ``autograd.grad`` alike), while
memory holds at most one segment's activations at a time.
"""
import warnings

from ..autograd.graph import saved_tensors_hooks
from ..autograd import grad_mode
from .. import _creation
from .._tensor import Tensor


class _Recomputation:
    def __init__(self, function, args, kwargs):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state = _creation.get_rng_state()
        self.count = 0
        self.values = None

    def pack(self, tensor):
        self.count += 1
        return self.count - 1

    def unpack(self, index):
        if self.values is None:
            self.values = []
            current = _creation.get_rng_state()
            _creation.set_rng_state(self.rng_state)
            try:
                with saved_tensors_hooks(self._capture, lambda t: t), grad_mode.enable_grad():
                    self.function(*self.args, **self.kwargs)
            finally:
                _creation.set_rng_state(current)
            if len(self.values) != self.count:
                raise RuntimeError("torch.utils.checkpoint: the recomputed forward saved a different number of "
                                   f"tensors ({len(self.values)}) than the original one ({self.count}); the "
                                   "checkpointed function must run the same operations when run again.")
        return self.values[index]

    def _capture(self, tensor):
        # Keep the array, not the Tensor: a recomputed output saved by its own node would make a
        # Tensor -> node -> saved value -> Tensor cycle, freed only by the cyclic GC (late).
        value = Tensor._make(tensor._data)
        self.values.append(value)
        return value


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """Runs ``function(*args, **kwargs)`` without keeping the activations its backward needs;
    they are recomputed during backward. Gradients are identical to the plain call.

    Args:
        function: the function (or module) to run.
        use_reentrant (bool): accepted for PyTorch compatibility; pullback always uses the
            non-reentrant scheme (saved-tensor hooks), which also supports ``autograd.grad``.

    Example::

        >>> out = pullback.utils.checkpoint.checkpoint(block, x, use_reentrant=False)
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
                      "pullback runs use_reentrant=False.", UserWarning, stacklevel=2)
    if not grad_mode.is_grad_enabled():
        return function(*args, **kwargs)
    recomputation = _Recomputation(function, args, kwargs)
    with saved_tensors_hooks(recomputation.pack, recomputation.unpack):
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Splits a Sequential (or list of modules) into ``segments`` chunks and checkpoints each
    chunk but the last."""
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(1, -(-len(functions) // segments))

    def run(start, end):
        def forward(x):
            for f in functions[start:end]:
                x = f(x)
            return x
        return forward

    end = 0
    for start in range(0, len(functions) - size, size):
        end = start + size
        input = checkpoint(run(start, end), input, use_reentrant=False if use_reentrant is None else use_reentrant)
    return run(end, len(functions))(input)
