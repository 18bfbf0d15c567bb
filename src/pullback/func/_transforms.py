"""grad, vjp, jvp, jacrev, jacfwd, hessian, linearize, functional_call: torch.func's transforms.

They compose with each other and with vmap because they only ever differentiate the underlying
Tensors of their inputs (see Note [Batched values]): ``grad`` inside ``vmap`` differentiates the
whole batch in one backward pass, with unbatched arguments first broadcast to the batch so that
each sample gets its own gradient (per-sample gradients). A transform never touches ``.grad``.
"""
import functools

from .._tensor import Tensor
from .. import autograd
from .. import _tape
from ..autograd import forward_ad
from ..autograd.grad_mode import enable_grad
from .._ops import shape as S
from .. import _creation
from .._backend import B
from .. import _levels
from ._batching import BatchedTensor, wrap, batch_size
from .vmap import vmap, _flatten
from ._function_vmap import peel as _peel, rewrap as _rewrap


def _tangent_levels(values):
    """The vmap levels the tangents of ``values`` are batched at (jacfwd's batches of tangents)."""
    levels = set()
    for x in values:
        tangents = forward_ad.tangents_at(_peel(x)[0]) if isinstance(x, Tensor) else None
        for t in (tangents or {}).values():
            levels.update(level for level, _ in _peel(t)[1])
    return levels


def _prepare(x, tangent_levels=frozenset()):
    """A differentiable stand-in for ``x``: batched at every active vmap level (so that each
    sample's gradient stays its own), leaf-like, and connected to ``x``'s own graph and tangents."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if not x.is_floating_point():
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    # Broadcast to the vmap batches it does not belong to yet, so that each sample's gradient stays
    # its own (per-sample gradients). Not to a batch of tangents of the differentiated values
    # (``tangent_levels``, jacfwd): there the primal is one for the whole batch, and so is its
    # gradient.
    top = x._level if isinstance(x, BatchedTensor) else 0
    for level in _levels.stack():
        if level.kind is _levels.VMAP and level.number > top and level.number not in tangent_levels:
            x = wrap(S.unsqueeze(x, 0).expand(level.size, *x.shape), 0, level.number)
    u, chain = _peel(x)
    if u.requires_grad:
        leaf = u.view_as(u)                       # keeps the outer graph: higher-order derivatives
    else:
        leaf = forward_ad.alias(u).requires_grad_(True)
        leaf._transform_leaf = True  # the transform's own: its graph ends with the transform
        for level, t in (u.__dict__.get("_fw_grads") or {}).items():
            forward_ad.set_tangent(leaf, level, t)
    return _rewrap(leaf, chain), leaf, u.requires_grad


def _nested(own=0):
    """Whether an enclosing transform will differentiate this one's result (``own``: how many
    grad levels of the caller itself are open)."""
    return forward_ad.active() or _levels.count(_levels.GRAD) > own


def _finalize(result, inputs):
    """Unless an enclosing transform differentiates them, results keep only the graph that reaches
    tensors from outside the transform (an input that requires grad, a parameter the function
    closes over), as torch.func's do: the graph to the transform's own stand-in inputs, kept for
    composition, is dropped. A vmap around the transform differentiates nothing."""
    if _nested():   # an enclosing grad or dual level will differentiate the result
        return result
    leaves, rebuild = _flatten(result)
    return rebuild([x.detach() if isinstance(x, Tensor) and x.requires_grad and not _reaches_outside(x) else x
                    for x in leaves])


def _reaches_outside(t):
    """Whether ``t``'s graph reaches a leaf that is not a transform's own stand-in input."""
    t = _peel(t)[0]
    if not t.requires_grad:
        return False
    if t.grad_fn is None:
        return not getattr(t, "_transform_leaf", False)
    seen = set()
    stack = [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:  # a leaf's accumulator
            if not getattr(variable, "_transform_leaf", False):
                return True
            continue
        stack.extend(node.next_nodes)
    return False


def _argnums(argnums, n):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"Got argnums={argnums}, but only {n} positional inputs")
    return tuple(a % n for a in nums), isinstance(argnums, int)


def _differentiate(outputs, leaves, cotangents, keep_graph):
    outs_u = []
    grads_u = []
    for o, v in zip(outputs, cotangents):
        ou, _ = _peel(o)
        if not ou.requires_grad:
            continue
        outs_u.append(ou)
        grads_u.append(v)
    if not outs_u:
        return [None] * len(leaves)
    return list(autograd.grad(outs_u, leaves, grads_u, retain_graph=True, create_graph=keep_graph,
                              allow_unused=True))


def grad_and_value(func, argnums=0, has_aux=False):
    """``grad`` that also returns ``func``'s value: ``(gradients, value)`` (and aux)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums, single = _argnums(argnums, len(args))
        args = list(args)
        prepared = {}
        level = _levels.push(_levels.GRAD)
        try:
            with enable_grad():
                skip = _tangent_levels(_flatten([args[i] for i in nums])[0])
                for i in nums:
                    leaves, rebuild = _flatten(args[i])
                    parts = [_prepare(leaf, skip) for leaf in leaves]
                    prepared[i] = parts
                    args[i] = rebuild([p[0] for p in parts])
                output = func(*args, **kwargs)
                aux = None
                if has_aux:
                    if not (isinstance(output, tuple) and len(output) == 2):
                        raise RuntimeError("grad_and_value(f)(*args): output of function f should be a tuple: "
                                           "(output, aux) if has_aux is True")
                    output, aux = output
                if not isinstance(output, Tensor):
                    raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                       f"{type(output)}")
                if output.ndim != 0:
                    raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                       f"tensor with {output.ndim} dims. Maybe you wanted to use the vjp or jacrev "
                                       "APIs instead?")
                keep = any(p[2] for parts in prepared.values() for p in parts) or _nested(own=1) or \
                    _reaches_outside(output)
                all_leaves = [p[1] for i in nums for p in prepared[i]]
                ou, _ = _peel(output)
                grads = _differentiate([output], all_leaves, [_creation.ones_like(ou)], keep)
        finally:
            _levels.pop(level)
        results, k = [], 0
        for i in nums:
            parts = prepared[i]
            gs = []
            for (stand_in, leaf, _), g in zip(parts, grads[k:k + len(parts)]):
                _, chain = _peel(stand_in)
                gs.append(_rewrap(g if g is not None else _creation.zeros_like(leaf), chain))
            k += len(parts)
            results.append(_flatten(args[i])[1](gs))
        gradient = results[0] if single else tuple(results)
        value = output if keep else output.detach()
        result = (gradient, (value, aux)) if has_aux else (gradient, value)
        return _finalize(result, args)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of a scalar function: ``grad(f)(x)`` is ``df/dx`` at ``x``.

    Args:
        argnums (int or tuple of int): which positional arguments to differentiate.
        has_aux (bool): ``func`` returns ``(output, aux)``; ``aux`` is passed through.

    Example::

        >>> pullback.func.grad(lambda x: (x ** 3).sum())(pullback.tensor([1.0, 2.0]))
        tensor([ 3., 12.])
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(v)`` is ``v^T J`` for each primal (a tuple).

    Primals and cotangents may be pytrees (nested tuples, lists and dicts) of Tensors; each
    gradient has its primal's structure.

    Example::

        >>> out, vjp_fn = pullback.func.vjp(pullback.sin, pullback.tensor([0.0]))
        >>> vjp_fn(pullback.tensor([2.0]))
        (tensor([2.]),)
    """
    primal_leaves, primal_rebuild = _flatten(primals)
    level = _levels.push(_levels.GRAD)
    try:
        with enable_grad():
            skip = _tangent_levels(primal_leaves)
            parts = [_prepare(p, skip) for p in primal_leaves]
            output = func(*primal_rebuild([p[0] for p in parts]))
    finally:
        _levels.pop(level)
    aux = None
    if has_aux:
        output, aux = output
    out_leaves, out_rebuild = _flatten(output)
    keep = any(p[2] for p in parts) or _nested() or \
        any(_reaches_outside(o) for o in out_leaves if isinstance(o, Tensor))

    def vjp_fn(*cotangents):
        cot_leaves = _flatten(cotangents[0] if len(cotangents) == 1 else cotangents)[0]
        if len(cot_leaves) != len(out_leaves):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function. cotangents: {len(cot_leaves)} leaves, primal output: "
                               f"{len(out_leaves)} leaves")
        cots = []
        for o, c in zip(out_leaves, cot_leaves):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {c.shape} and output[0] has "
                                   f"a shape of {o.shape}.")
            cots.append(_flatten_cotangent(c, o))
        with enable_grad():
            grads = _differentiate(out_leaves, [p[1] for p in parts], cots, keep)
        return _finalize(primal_rebuild([_rewrap(g if g is not None else _creation.zeros_like(p[1]), _peel(p[0])[1])
                                         for g, p in zip(grads, parts)]), primals)

    value = out_rebuild([o if keep else o.detach() for o in out_leaves])
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def _flatten_cotangent(c, o):
    """The cotangent for the plain Tensor under output ``o``: ``c`` gets ``o``'s batch dims
    (moved from ``c``'s own wrapper at that level, or broadcast where ``c`` has none)."""
    _, chain = _peel(o)
    for level, bdim in chain:
        if isinstance(c, BatchedTensor) and c._level == level:
            c = S.movedim(c._value, c._bdim, bdim) if c._bdim != bdim else c._value
        else:
            n = batch_size(level)
            c = S.unsqueeze(c, bdim)
            shape = list(c.shape)
            shape[bdim] = n
            c = c.expand(*shape)
    return c


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J t)``: forward mode, one pass, with dual tensors.

    ``primals`` and ``tangents`` are tuples of the same pytree structure (each entry a Tensor or
    nested tuples, lists and dicts of Tensors).

    Example::

        >>> pullback.func.jvp(pullback.sin, (pullback.tensor([0.0]),), (pullback.tensor([1.0]),))
        (tensor([0.]), tensor([1.]))
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples")
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same length")
    primal_leaves, rebuild_primals = _flatten(primals)
    tangent_leaves = _flatten(tangents)[0]
    if len(primal_leaves) != len(tangent_leaves):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure.")
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(p, t) for p, t in zip(primal_leaves, tangent_leaves)]
        output = func(*rebuild_primals(duals))
        aux = None
        if has_aux:
            output, aux = output
        leaves, rebuild = _flatten(output)
        primal_out, tangent_out = [], []
        for o in leaves:
            p, t = forward_ad.unpack_dual(o)
            primal_out.append(p)
            tangent_out.append(t if t is not None else _creation.zeros_like(p))
    result = _finalize((rebuild(primal_out), rebuild(tangent_out)), primals + tangents)
    return result + (aux,) if has_aux else result


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is ``J t`` at the primals."""
    output = func(*primals)

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]
    return output, jvp_fn


def _basis_rows(like, start, stop):
    """Rows ``start:stop`` of the identity over ``like``'s elements, shaped ``(rows, *like.shape)``."""
    n = like.numel()
    rows = B.zeros((stop - start, n), dtype=like.dtype.np)
    rows[B.arange(stop - start), B.arange(start, stop)] = 1
    return S.reshape(Tensor._make(_tape.constant(rows)), stop - start, *like.shape)


def _of_selected(func, args, nums):
    """``func`` as a function of the arguments ``nums`` only (the others held fixed)."""
    return lambda *diff: func(*_fill(args, nums, diff))


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian by reverse mode: all rows in one batched backward pass (vmap over vjp).

    Returns ``output.shape + input.shape`` per output and input leaf: the outputs' structure
    outside, then a tuple over ``argnums`` when it is a tuple, then each argument's structure
    (arguments and outputs may be pytrees: nested tuples, lists and dicts of Tensors).

    Example::

        >>> pullback.func.jacrev(pullback.sin)(pullback.tensor([0.0, 1.0]))
        tensor([[1.0000, 0.0000],
                [0.0000, 0.5403]])
    """
    @functools.wraps(func)
    def wrapper(*args):
        nums, single = _argnums(argnums, len(args))
        selected = tuple(args[i] for i in nums)
        input_leaves, rebuild_inputs = _flatten(selected)
        result = vjp(_of_selected(func, args, nums), *selected, has_aux=has_aux)
        output, vjp_fn = result[0], result[1]
        outs, rebuild = _flatten(output)
        jacobians = []
        for k, out in enumerate(outs):
            def row(v, k=k):
                cots = [_creation.zeros_like(o) if j != k else v for j, o in enumerate(outs)]
                return _flatten(vjp_fn(rebuild(cots)))[0]

            m = out.numel()
            step = chunk_size or max(m, 1)
            # One batched backward per chunk of rows; the basis is made a chunk at a time, so
            # chunk_size bounds the memory of the cotangents too.
            chunks = [vmap(row)(_basis_rows(out, start, min(start + step, m))) for start in range(0, m, step)]
            if not chunks:                                    # an empty output: empty blocks
                rows = [_creation.zeros(0, *x.shape, dtype=x.dtype) for x in input_leaves]
            else:
                rows = [S.cat([c[i] for c in chunks]) if len(chunks) > 1 else chunks[0][i]
                        for i in range(len(input_leaves))]
            blocks = rebuild_inputs([S.reshape(r, *out.shape, *x.shape) for r, x in zip(rows, input_leaves)])
            jacobians.append(blocks[0] if single else blocks)
        jac = _finalize(rebuild(jacobians), args)
        return (jac, result[2]) if has_aux else jac
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian by forward mode: all columns in one batched forward pass (vmap over jvp).

    Same structure as ``jacrev``'s result; arguments and outputs may be pytrees.

    Example::

        >>> pullback.func.jacfwd(pullback.sin)(pullback.tensor([0.0, 1.0]))
        tensor([[1.0000, 0.0000],
                [0.0000, 0.5403]])
    """
    @functools.wraps(func)
    def wrapper(*args):
        nums, single = _argnums(argnums, len(args))
        selected = tuple(args[i] for i in nums)
        input_leaves, rebuild_inputs = _flatten(selected)
        of_selected = _of_selected(func, args, nums)
        value = (lambda *diff: of_selected(*diff)[0]) if has_aux else of_selected
        per_input = []                                   # per input leaf: its column block per output
        for k, x in enumerate(input_leaves):
            def column(t, k=k):
                tangents = [t if j == k else _creation.zeros_like(leaf) for j, leaf in enumerate(input_leaves)]
                return jvp(value, selected, tuple(rebuild_inputs(tangents)))[1]

            cols = vmap(column, randomness=randomness)(_basis_rows(x, 0, x.numel()))
            col_leaves, rebuild = _flatten(cols)         # each (n, *out.shape)
            per_input.append([S.movedim(S.reshape(c, x.numel(), -1), 0, -1).reshape(*c.shape[1:], *x.shape)
                              for c in col_leaves])
        jacobians = []
        for j in range(len(per_input[0])):
            blocks = rebuild_inputs([per_input[k][j] for k in range(len(input_leaves))])
            jacobians.append(blocks[0] if single else blocks)
        jac = _finalize(rebuild(jacobians), args)
        return (jac, func(*args)[1]) if has_aux else jac
    return wrapper


def _fill(args, positions, values):
    full = list(args)
    for j, v in zip(positions, values):
        full[j] = v
    return full


def hessian(func, argnums=0):
    """The Hessian of a scalar function: ``jacfwd(jacrev(func))``."""
    return jacfwd(jacrev(func, argnums), argnums)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Calls ``module`` with its parameters and buffers replaced by the given Tensors (by dotted
    name), restoring them afterwards: a module used as a pure function of its weights.

    Example::

        >>> params = {k: v.detach() for k, v in model.named_parameters()}
        >>> out = pullback.func.functional_call(model, params, (x,))
    """
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        dicts = (dicts,)
    replacements = {}
    for d in dicts:
        for k, v in d.items():
            if k in replacements:
                raise ValueError(f"{k} appeared in multiple dictionaries; behavior of functional call is ambiguous")
            replacements[k] = v
    known = dict(module.named_parameters(remove_duplicate=False))
    known.update(dict(module.named_buffers(remove_duplicate=False)))
    if strict:
        missing = [k for k in known if k not in replacements]
        unexpected = [k for k in replacements if k not in known]
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}: missing keys {missing}, "
                               f"unexpected keys {unexpected}")
    saved = []
    try:
        for name, value in replacements.items():
            path, _, attr = name.rpartition(".")
            owner = module.get_submodule(path)
            store = owner._parameters if attr in owner._parameters else owner._buffers
            if attr not in store:
                raise AttributeError(f"{type(owner).__name__} has no parameter or buffer {attr!r}")
            saved.append((store, attr, store[attr]))
            store[attr] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for store, attr, value in reversed(saved):
            store[attr] = value


def stack_module_state(models):
    """Stacks the parameters and buffers of same-shaped modules: ``(params, buffers)`` dicts of
    Tensors with a leading model dimension (for ``vmap`` over ``functional_call``)."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    params = {}
    for name, _ in models[0].named_parameters():
        stacked = S.stack([dict(m.named_parameters())[name].detach() for m in models])
        params[name] = stacked.requires_grad_(dict(models[0].named_parameters())[name].requires_grad)
    buffers = {name: S.stack([dict(m.named_buffers())[name] for m in models]) for name, _ in models[0].named_buffers()}
    return params, buffers
