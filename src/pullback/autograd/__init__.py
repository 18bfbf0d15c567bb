"""pullback.autograd: reverse-mode differentiation with PyTorch's API.

``backward`` accumulates gradients into the ``.grad`` of graph leaves; ``grad`` returns them
and touches no ``.grad``. Both run the one engine in ``engine.py``.
"""
import importlib
import warnings

from .. import _errors
from .._backend import B
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,  # noqa: F401
                        is_grad_enabled, is_inference_mode_enabled)
from . import engine as _engine
from .. import _levels, _tape
from .._ops import _registry


def _tensor_cls():
    return _registry._Tensor


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, _tensor_cls()):
        return (x,)
    return tuple(x)


def _make_grads(outputs, grads, as_tensor):
    """Checks the user's ``grad_outputs`` against ``outputs`` and fills in implicit ones."""
    Tensor = _tensor_cls()
    result = []
    for i, (out, grad) in enumerate(zip(outputs, grads)):
        if isinstance(grad, Tensor):
            if grad.shape != out.shape:
                raise RuntimeError(_errors.mismatch_in_shape(i, grad.shape, i, out.shape))
            if not as_tensor:
                if _tape.ACTIVE[0] is not None:
                    _tape.ACTIVE[0].see(grad)
                grad = grad._data if grad.dtype is out.dtype else _tape.call(_tape.astype, grad._data, out.dtype.np)
            elif grad.dtype is not out.dtype:
                grad = grad.to(out.dtype)
            result.append(grad)
        elif grad is None:
            if out._requires_grad:
                if out.numel() != 1:
                    raise RuntimeError(_errors.IMPLICIT_SCALAR)
                if not out.dtype.is_floating_point:
                    raise RuntimeError("grad can be implicitly created only for real scalar "
                                       f"outputs but got {out.dtype}")
                ones = _tape.constant(B.ones(out._data.shape, dtype=out.dtype.np))
                result.append(Tensor._make(ones) if as_tensor else ones)
            else:
                result.append(None)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(grad).__name__}")
    return result


def _check_roots(tensors):
    for i, t in enumerate(tensors):
        if not t._requires_grad:
            raise RuntimeError(_errors.NOT_REQUIRES_GRAD.format(i))


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """Accumulates the gradients of ``tensors`` into the ``.grad`` of the graph leaves.

    Args:
        tensors (Tensor or sequence of Tensor): the outputs to differentiate.
        grad_tensors (Tensor or sequence of Tensor or None, optional): the vector ``v`` of each
            vector-Jacobian product; None is allowed for scalar outputs.
        retain_graph (bool, optional): keep saved values for another backward pass.
            Defaults to ``create_graph``.
        create_graph (bool): record the backward pass, for higher-order derivatives.
        inputs (Tensor or sequence of Tensor, optional): accumulate only into these.

    Example::

        >>> x = pullback.ones(3, requires_grad=True)
        >>> pullback.autograd.backward([(x * x).sum()])
        >>> x.grad
        tensor([2., 2., 2.])
    """
    if grad_variables is not None:
        grad_tensors = grad_variables
    tensors = _as_tuple(tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError(_errors.EMPTY_INPUTS)
        _check_inputs(inputs)
    grad_tensors = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(tensors)
    grads = _make_grads(tensors, grad_tensors, create_graph)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grad_tensors)} gradients")
    _check_roots(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        warnings.warn(_errors.CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    _engine.run_backward(tensors, grads, inputs=inputs, retain_graph=retain_graph,
                         create_graph=create_graph, accumulate=True)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads):
    """``grad`` for a batch of grad_outputs (dim 0): one backward pass with batched cotangents."""
    from ..func import vmap
    for i, (g, out) in enumerate(zip(grad_outputs, outputs)):
        if g is not None and tuple(g.shape[1:]) != tuple(out.shape):
            raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension of each grad_output as "
                               "the batch dimension. The sizes of the remaining dimensions are expected to match "
                               "the shape of corresponding output, but a mismatch was detected: grad_output["
                               f"{i}] has a shape of {_errors.size_str(g.shape)} and output[{i}] has a shape of "
                               f"{_errors.size_str(out.shape)}. If you only want some tensors in `grad_output` to be "
                               "considered batched, consider using vmap.")
    batched = [g for g in grad_outputs if g is not None]
    positions = [i for i, g in enumerate(grad_outputs) if g is not None]

    def one(*gs):
        full = list(grad_outputs)
        for i, g in zip(positions, gs):
            full[i] = g
        return grad(outputs, inputs, full, retain_graph=True, create_graph=create_graph, allow_unused=allow_unused,
                    materialize_grads=materialize_grads)

    return vmap(one)(*batched)


def _check_inputs(inputs):
    Tensor = _tensor_cls()
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"all inputs have to be Tensors or GradientEdges, but got {type(t).__name__}")


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Computes and returns the gradients of ``outputs`` with respect to ``inputs``.

    The vector-Jacobian product ``v^T J`` for each input, with ``v`` given by ``grad_outputs``
    (implicitly 1 for scalar outputs). No ``.grad`` is touched.

    Args:
        outputs (Tensor or sequence of Tensor): the function's outputs.
        inputs (Tensor or sequence of Tensor): the Tensors to differentiate with respect to.
        grad_outputs (Tensor or sequence of Tensor or None, optional): the vectors ``v``.
        retain_graph (bool, optional): keep saved values for another pass; defaults to
            ``create_graph``.
        create_graph (bool): record this pass, so the returned gradients are differentiable
            (gradients of gradients, e.g. a WGAN-GP gradient penalty).
        allow_unused (bool, optional): return None for inputs the outputs do not depend on,
            instead of raising.
        materialize_grads (bool): return zeros instead of None for unused inputs.

    Returns:
        tuple of Tensor (or None), one per input.

    Example::

        >>> x = pullback.tensor([1.0, 2.0], requires_grad=True)
        >>> (g,) = pullback.autograd.grad((x ** 3).sum(), x, create_graph=True)
        >>> g
        tensor([ 3., 12.], grad_fn=<MulBackward0>)
    """
    if materialize_grads and allow_unused is False:
        raise ValueError(_errors.MATERIALIZE_UNUSED)
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    grad_outputs = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad requires one grad_output per output: got {len(grad_outputs)} "
                         f"grad_outputs and {len(outputs)} outputs")
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    as_tensor = create_graph or any(_levels.batched(g) for g in grad_outputs)
    grads = _make_grads(outputs, grad_outputs, as_tensor)
    _check_roots(outputs)
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError(_errors.INPUT_NOT_REQUIRES_GRAD)
    if retain_graph is None:
        retain_graph = create_graph
    captured = _engine.run_backward(outputs, grads, inputs=inputs, retain_graph=retain_graph,
                                    create_graph=create_graph, accumulate=False, as_tensor=as_tensor)
    Tensor = _tensor_cls()
    result = []
    for t, g in zip(inputs, captured):
        if g is None:
            if materialize_grads:
                from .._creation import zeros_like
                result.append(zeros_like(t))
                continue
            if not allow_unused:
                raise RuntimeError(_errors.UNUSED_INPUT)
            result.append(None)
        elif as_tensor:
            result.append(g)
        else:
            result.append(Tensor._make(g))
    return tuple(result)


from .graph import Node, RemovableHandle  # noqa: E402,F401
from . import graph  # noqa: E402,F401


_LAZY = {"Function": "function", "FunctionCtx": "function", "once_differentiable": "function",
         "functional": None, "function": None, "gradcheck": "_gradcheck", "gradgradcheck": "_gradcheck", "GradcheckError": "_gradcheck",
         "detect_anomaly": "anomaly_mode", "set_detect_anomaly": "anomaly_mode",
         "is_anomaly_enabled": "anomaly_mode"}


def __getattr__(name):
    # These modules need Tensor, which is still being defined when this package is first imported.
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name] or name}")
        return module if _LAZY[name] is None else getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
