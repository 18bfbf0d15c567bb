"""``autograd.functional``: Jacobians, Hessians and their products for functions of Tensors,
with PyTorch's argument handling and output structure.

Every product here is built from VJPs (the engine's ``grad``): ``jvp`` uses the double-VJP trick,
``jacobian`` takes one VJP per output element.
"""
from .._tensor import Tensor
from . import grad as _grad
from .grad_mode import enable_grad
from .._creation import eye, ones_like, zeros, zeros_like
from .._ops.shape import movedim, reshape, stack
from ..func import vmap
from ..func._transforms import jvp as func_jvp


def _as_tuple(x, arg_name, fn_name):
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            if is_tuple:
                raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                                f"but the value at index {i} has type {type(item)}.")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"the given {arg_name} has type {type(item)}.")
    return is_tuple, items


def _prepare_inputs(inputs, create_graph):
    # Differentiate with respect to fresh leaves (or, with create_graph, views that keep the
    # inputs' own graph), as PyTorch's _grad_preprocess does.
    return tuple(x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_(True)
                 for x in inputs)


def _finish(values, create_graph):
    return tuple(v if create_graph or v is None else v.detach() for v in values)


def _grad_or_zeros(outputs, inputs, grad_outputs, create_graph, strict, fn_name, out_index=0):
    grads = _grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph, allow_unused=True)
    result = []
    for j, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"Output {out_index} of the user-provided function is independent of input {j}. "
                                   "This is not allowed in strict mode.")
            g = zeros_like(x)
        result.append(g)
    return tuple(result)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs (Tensor or tuple of Tensor): where to evaluate.
        v (Tensor or tuple of Tensor, optional): the vector, shaped like the outputs (may be
            omitted for a single-element output).
        create_graph (bool): make the result differentiable.
        strict (bool): raise if an output does not depend on an input (instead of zeros).
    """
    is_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        xs = _prepare_inputs(inputs, create_graph)
        outputs = func(*xs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            for o, vi in zip(outputs, v):
                if o.shape != vi.shape:
                    raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {vi.shape} and output[0] "
                                       f"has a shape of {o.shape}.")
        elif any(o.numel() != 1 for o in outputs):
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                               "Tensor with a single element.")
        grads = _grad_or_zeros(outputs, xs, v, create_graph, strict, "vjp")
    outs = _finish(outputs, create_graph)
    grads = _finish(grads, create_graph)
    return (outs if out_tuple else outs[0]), (grads if is_tuple else grads[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-VJP trick."""
    is_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        v = (ones_like(inputs[0]),)
    else:
        _, v = _as_tuple(v, "v", "jvp")
    with enable_grad():
        xs = _prepare_inputs(inputs, create_graph)
        outputs = func(*xs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        g = _grad(outputs, xs, dummies, create_graph=True, allow_unused=True)
        pairs = [(gi, vi) for gi, vi in zip(g, v) if gi is not None and gi.requires_grad]
        if pairs:
            jv = _grad([p[0] for p in pairs], dummies, [p[1] for p in pairs], create_graph=create_graph,
                       allow_unused=True)
        else:
            jv = (None,) * len(outputs)
        jv = tuple(zeros_like(o) if j is None else j for j, o in zip(jv, outputs))
        if strict and any(gi is None for gi in g):
            raise RuntimeError("The output of the user-provided function is independent of input 0. This is not "
                               "allowed in strict mode.")
    outs = _finish(outputs, create_graph)
    jv = _finish(jv, create_graph)
    return (outs if out_tuple else outs[0]), (jv if out_tuple else jv[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for one input and one output, a Tensor of shape
    ``output.shape + input.shape``; tuples of inputs and/or outputs give (nested) tuples.

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs (Tensor or tuple of Tensor): where to evaluate.
        create_graph (bool): make the Jacobian differentiable (for Hessians and the like).
        strict (bool): raise if an output does not depend on an input (instead of zeros).
        vectorize (bool): compute all rows in one backward pass with batched cotangents
            (instead of one VJP per output element).
        strategy (str): ``'reverse-mode'`` (rows by VJPs), ``'forward-mode'`` (columns by JVPs,
            all in one batched forward pass), or pullback's own ``'auto'``: forward mode when the
            inputs have fewer elements than the outputs, reverse mode otherwise.

    Example::

        >>> def f(x):
        ...     return pullback.stack([x[0] * x[1] + x[2], pullback.sin(x[0]) + x[1] ** 2])
        >>> jacobian(f, pullback.tensor([1.0, 2.0, 3.0])).shape
        pullback.Size([2, 3])
    """
    if strategy not in ("forward-mode", "reverse-mode", "auto"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function '
                         'has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, '
                         'prefer to use "reverse-mode".')
    if strict and vectorize:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported "
                           "together. Please either set `strict=False` or `vectorize=False`.")
    is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        xs = _prepare_inputs(inputs, create_graph)
        outputs = func(*xs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        if strategy == "auto":
            strategy = _auto_strategy(xs, outputs)
        if strategy == "forward-mode":
            blocks = _forward_jacobian(func, xs, outputs, create_graph)
        elif vectorize:
            blocks = _vectorized_jacobian(xs, outputs, create_graph)
        else:
            blocks = _row_by_row_jacobian(xs, outputs, create_graph, strict)
    if out_tuple:
        return tuple(b if is_tuple else b[0] for b in blocks)
    return blocks[0] if is_tuple else blocks[0][0]


def _auto_strategy(inputs, outputs):
    """pullback's own strategy='auto': forward mode when the inputs are smaller than the outputs
    (fewer columns than rows to compute), reverse mode otherwise."""
    n_in = sum(x.numel() for x in inputs)
    n_out = sum(o.numel() for o in outputs)
    return "forward-mode" if n_in < n_out else "reverse-mode"


def _row_by_row_jacobian(xs, outputs, create_graph, strict):
    blocks = []
    for i, out in enumerate(outputs):
        flat = reshape(out, -1)
        rows = [[] for _ in xs]
        for k in range(flat.numel()):
            if out.requires_grad:
                row = _grad_or_zeros(flat[k], xs, None, create_graph, strict, "jacobian", i)
            else:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. "
                                       "The outputs must be computed in a differentiable manner from the input "
                                       "when running in strict mode.")
                row = tuple(zeros_like(x) for x in xs)
            for j, r in enumerate(row):
                rows[j].append(r)
        per_input = []
        for j, x in enumerate(xs):
            if rows[j]:
                block = reshape(stack(rows[j]), *(tuple(out.shape) + tuple(x.shape)))
            else:
                block = zeros(*(tuple(out.shape) + tuple(x.shape)), dtype=x.dtype)
            per_input.append(block if create_graph else block.detach())
        blocks.append(tuple(per_input))
    return blocks


def _vectorized_jacobian(xs, outputs, create_graph):
    """All rows of each output's Jacobian in one backward pass with batched cotangents; an
    input the output does not depend on gets a zero block, as PyTorch's."""
    blocks = []
    for out in outputs:
        m = out.numel()
        if not out.requires_grad or m == 0:
            blocks.append(tuple(zeros(*(tuple(out.shape) + tuple(x.shape)), dtype=x.dtype) for x in xs))
            continue

        def row(v, out=out):
            grads = _grad(out, xs, v, retain_graph=True, create_graph=create_graph, allow_unused=True)
            return tuple(zeros_like(x) if g is None else g for g, x in zip(grads, xs))

        grads = vmap(row)(reshape(eye(m, dtype=out.dtype), m, *out.shape))
        blocks.append(tuple(reshape(g, *(tuple(out.shape) + tuple(x.shape))) if create_graph else
                            reshape(g, *(tuple(out.shape) + tuple(x.shape))).detach() for g, x in zip(grads, xs)))
    return blocks


def _forward_jacobian(func, xs, outputs, create_graph):
    """All columns of the Jacobian in one batched forward pass per input (vmap over jvp)."""
    per_input = []
    for j, x in enumerate(xs):
        n = x.numel()
        basis = reshape(eye(n, dtype=x.dtype), n, *x.shape)

        def column(t, j=j):
            tangents = tuple(t if k == j else zeros_like(a) for k, a in enumerate(xs))
            out = func_jvp(func, tuple(xs), tangents)[1]
            return out if isinstance(out, tuple) else (out,)

        cols = vmap(column)(basis)                                    # per output: (n, *out.shape)
        per_input.append([movedim(reshape(c, n, -1), 0, -1).reshape(*o.shape, *x.shape) for c, o in zip(cols, outputs)])
    blocks = []
    for i in range(len(outputs)):
        blocks.append(tuple(per_input[j][i] if create_graph else per_input[j][i].detach() for j in range(len(xs))))
    return blocks


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs`` (nested tuples for tuple inputs)."""
    is_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element.")
        return _grad_or_zeros(out, xs, None, True, strict, "hessian")

    result = jacobian(gradient, inputs if is_tuple else inputs[0], create_graph=create_graph, strict=strict,
                      vectorize=vectorize, strategy=outer_jacobian_strategy)
    if not is_tuple:
        return result[0]
    return result


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar function."""
    is_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
    _, v = _as_tuple(v, "v", "vhp")
    with enable_grad():
        xs = _prepare_inputs(inputs, create_graph)
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hvp should contain a single element")
        g = _grad_or_zeros(out, xs, None, True, strict, "vhp")
        if any(gi.requires_grad for gi in g):
            pairs = [(gi, vi) for gi, vi in zip(g, v) if gi.requires_grad]
            h = _grad_or_zeros(tuple(p[0] for p in pairs), xs, tuple(p[1] for p in pairs), create_graph, strict, "vhp")
        else:
            h = tuple(zeros_like(x) for x in xs)
    h = _finish(h, create_graph)
    return _finish((out,), create_graph)[0], (h if is_tuple else h[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar function (H is symmetric, so this is ``vhp``)."""
    return vhp(func, inputs, v, create_graph, strict)
