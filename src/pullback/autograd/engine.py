"""The one place that walks backward graphs.

``run_backward`` serves ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad``:

1. From the roots, an explicit stack discovers every reachable node and counts, for each, the
   edges pointing at it (its dependencies). With ``inputs`` given, only nodes on a path to an
   input are kept (a backward walk over the parent links).
2. Ready nodes (all consumers have contributed) run in reverse creation order (a heap on the
   sequence number). Each node's cotangent buffer is popped when it runs: the first contribution
   is held by reference, later ones are summed into an owned array.
3. Every cotangent a node returns is checked against the input it belongs to: a shape the input
   broadcasts to is summed back (the one ``unbroadcast``), any other shape is an error naming
   the node; the dtype is cast to the input's.

4. A ZeroCotangent (the VJP of a piecewise-constant op, without ``create_graph``) travels like
   a cotangent; a plain node receiving nothing else skips its rules and passes zeros on, and
   anything that must see values (hooks, custom Functions, ``inputs``, leaves) gets real zeros.
5. A leaf's last contribution, with nothing buffered before it and no hooks, goes straight into
   ``.grad`` without scheduling the leaf's node.

No recursion anywhere, so a graph of a million nodes is fine.
"""
import heapq

from .._backend import B, ndarray
from .. import _errors
from . import grad_mode
from .graph import AccumulateGrad, Node, ZeroCotangent
from . import anomaly_mode
from .._ops import _registry


def _is_broadcastable_to(shape, target):
    if len(shape) > len(target):
        return False
    for s, t in zip(reversed(shape), reversed(target)):
        if s != t and s != 1:
            return False
    return True


def sum_to(g, shape):
    """Sums ``g`` down to ``shape`` (which broadcasts to ``g.shape``); differentiable."""
    from .._ops.reduction import _sum
    from .._ops.shape import _reshape
    lead = len(g.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1)
    if axes:
        g = _sum(g, axis=axes, keepdim=False)
    if tuple(g.shape) != tuple(shape):
        g = _reshape(g, shape=tuple(shape))
    return g


def _check_gradient(node, index, r, shape, dtype, as_tensor):
    if not as_tensor and type(r) is not ndarray:
        r = B.asarray(r)
    if r.shape != shape:
        if not _is_broadcastable_to(shape, r.shape):
            raise RuntimeError(_errors.invalid_gradient(node.name(), index, r.shape, shape))
        r = sum_to(r, shape)
        if not as_tensor and type(r) is not ndarray:  # summed down to (): NumPy gives a scalar
            r = B.asarray(r)
    if as_tensor:
        if r.dtype is not dtype:
            r = r.to(dtype)
    elif r.dtype != dtype.np:
        r = r.astype(dtype.np)
    return r


def _has_zero(grads):
    for g in grads:
        if type(g) is ZeroCotangent:
            return True
    return False


def _materialize(grads):
    return [g.materialize() if type(g) is ZeroCotangent else g for g in grads]


def _any_gradient(grads):
    for g in grads:
        if g is not None:
            return True
    return False


def _wrap_for_hook(g, as_tensor):
    if as_tensor:
        return g
    return _registry._Tensor._make(g)


def _unwrap_from_hook(r, as_tensor):
    return r if as_tensor else r._data


def _run_tensor_hooks(hooks, g, as_tensor):
    for fn in list(hooks.values()):
        r = fn(_wrap_for_hook(g, as_tensor))
        if r is not None:
            g = _unwrap_from_hook(r, as_tensor)
    return g


# Note [Stealing gradient buffers]
# A leaf's first .grad takes the cotangent array itself instead of a copy when the engine owns it:
# an array the engine summed, or one a VJP rule freshly computed (not a view, not one of the
# node's incoming cotangents passed through, not returned twice, not from a custom Function). Anything else (the user's
# gradient, a view, an array shared by two buffers) is copied, so a later in-place accumulation
# never writes into someone else's memory.


def _accumulate_into(tensor, g, owned, as_tensor):
    Tensor = _registry._Tensor
    if as_tensor:
        tensor._grad = g if tensor._grad is None else tensor._grad + g
    elif tensor._grad is None:
        tensor._grad = Tensor._make(g if owned else g.copy())
    elif tensor._grad._requires_grad:
        tensor._grad = Tensor._make(tensor._grad._data + g)
    else:
        B.add(tensor._grad._data, g, out=tensor._grad._data)


def run_backward(roots, root_grads, *, inputs=None, retain_graph=False, create_graph=False,
                 accumulate=True, as_tensor=None):
    """Backpropagates ``root_grads`` from ``roots``.

    Returns, when ``inputs`` is given and ``accumulate`` is False, the gradient reaching each
    input (None where none did). Leaves accumulate into ``.grad`` when ``accumulate`` is True
    (all leaves, or only ``inputs`` when given).
    """
    # Rules run on Tensors when recording (create_graph) or when cotangents are batched (vmap).
    as_tensor = create_graph if as_tensor is None else as_tensor
    for t in (*roots, *(inputs or ())):
        if t._base is not None and t._version_counter[0] != t._view_version:
            t._refresh_view()  # a view whose base changed in place differentiates through the change
    root_edges = [t._edge() for t in roots]

    # Where the gradients of `inputs` are read off: (node, output_nr) -> input positions.
    targets = None
    if inputs is not None:
        targets = {}
        for k, t in enumerate(inputs):
            if t.grad_fn is None:
                acc = t._accumulator() if t._accumulator is not None else None
                if acc is None:
                    continue  # never used in any graph
                key = (acc, 0)
            else:
                key = (t.grad_fn, t._output_nr)
            targets.setdefault(key, []).append(k)

    # 1. Discover the graph, counting dependencies (a node is discovered when it first gets one).
    deps = {}
    parents = {} if targets is not None else None
    seen = {node for node, _ in root_edges}
    stack = list(seen)
    while stack:
        node = stack.pop()
        for e in node.next_edges:
            if e is None:
                continue
            child = e[0]
            if child in deps:
                deps[child] += 1
            else:
                deps[child] = 1
                if child not in seen:
                    stack.append(child)
            if parents is not None:
                parents.setdefault(child, []).append(node)

    # With inputs: keep only nodes on a path to one of them, and recount.
    needed = None
    if targets is not None:
        needed = set()
        stack = [node for node, _ in targets if node in seen or node in deps]
        needed.update(stack)
        while stack:
            node = stack.pop()
            for p in parents.get(node, ()):
                if p not in needed:
                    needed.add(p)
                    stack.append(p)
        deps = {}
        for node in needed:
            for e in node.next_edges:
                if e is not None and e[0] in needed:
                    deps[e[0]] = deps.get(e[0], 0) + 1

    # 2. Run ready nodes, latest first; a leaf runs the moment it is ready (see AccumulateGrad).
    buffers = {}
    owned = set()  # (node, output_nr) whose buffered array the engine may sum into in place

    def add_to_buffer(node, nr, g, fresh=False):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.n_outputs
        current = buf[nr]
        if current is None:
            buf[nr] = g
            if fresh:
                owned.add((node, nr))
        elif type(g) is ZeroCotangent:
            pass
        elif type(current) is ZeroCotangent:
            buf[nr] = g
            if fresh:
                owned.add((node, nr))
        elif as_tensor:
            buf[nr] = current + g
        elif (node, nr) in owned:
            B.add(current, g, out=current)
        else:
            # A fresh array we own from now on (asarray: 0-dim sums come back as NumPy scalars).
            buf[nr] = B.asarray(current + g)
            owned.add((node, nr))

    heap = []
    leaves = []  # ready AccumulateGrad nodes: they go before anything on the heap
    for (node, nr), g in zip(root_edges, root_grads):
        if needed is not None and node not in needed:
            continue
        if g is not None:
            add_to_buffer(node, nr, g)
    for node in {node for node, _ in root_edges}:
        if deps.get(node, 0) == 0 and (needed is None or node in needed):
            heapq.heappush(heap, (-node.seq, id(node), node))

    captured = [None] * len(inputs) if inputs is not None else None
    input_set = None
    if accumulate and inputs is not None:
        input_set = {id(t) for t in inputs}
    anomaly = anomaly_mode.is_anomaly_enabled()
    plain_leaves = accumulate and targets is None and not as_tensor
    zeros_seen = False  # whether a ZeroCotangent is in flight (checked for only then)
    Tensor = _registry._Tensor
    heappush, heappop = heapq.heappush, heapq.heappop

    previous_mode = grad_mode.is_grad_enabled()
    grad_mode._set_enabled(create_graph)
    # A backward pass is silent about inf/nan arithmetic, as PyTorch's is (anomaly mode reports it).
    errstate = B.errstate(all="ignore")
    errstate.__enter__()
    try:
        while heap or leaves:
            node = leaves.pop() if leaves else heappop(heap)[2]
            grads = buffers.pop(node, None)
            if grads is None:
                grads = [None] * node.n_outputs
            all_zero = False
            if zeros_seen and _has_zero(grads):
                # Only a plain node with no hook or target on it may skip its rules (below);
                # anything else sees real zeros.
                if (type(node) is Node and targets is None and not node._post_hooks and
                        not (node._tensor_pre_hooks or node._retained or node._pre_hooks)):
                    all_zero = True
                    for g in grads:
                        if g is not None and type(g) is not ZeroCotangent:
                            all_zero = False
                    if not all_zero:
                        grads = _materialize(grads)
                else:
                    for nr, g in enumerate(grads):
                        if type(g) is ZeroCotangent:
                            grads[nr] = g.materialize()
                            owned.add((node, nr))  # fresh zeros a leaf may keep as its .grad
            if node._tensor_pre_hooks or node._retained or node._pre_hooks:
                grads = _run_pre_hooks(node, grads, as_tensor)

            if type(node) is AccumulateGrad:
                g = grads[0]
                t = node.variable
                if plain_leaves and t._grad is None and not t._backward_hooks and not t._post_accumulate_hooks:
                    if g is not None:  # the common first gradient, inline
                        t._grad = Tensor._make(g if (node, 0) in owned else g.copy())
                else:
                    _run_leaf(node, g, targets, captured, accumulate, input_set, (node, 0) in owned, as_tensor)
                continue

            if targets is not None:
                for nr in range(len(grads)):
                    positions = targets.get((node, nr))
                    if positions:
                        for k in positions:
                            captured[k] = grads[nr]
                            if accumulate and grads[nr] is not None:
                                _accumulate_into(inputs[k], grads[nr], False, as_tensor)

            edges = node.next_edges
            # Per input, whether its cotangent is wanted: the edge itself is truthy exactly then.
            needs = edges if needed is None else tuple([e is not None and e[0] in needed for e in edges])
            if all_zero:  # zero in, zero out: the rules need not run
                results = [ZeroCotangent(m[0], m[1].np) if n else None for m, n in zip(node.input_meta, needs)]
            elif any(needs) and (grads[0] is not None if len(grads) == 1 else _any_gradient(grads)):
                if anomaly:
                    results = _apply_with_anomaly_checks(node, grads, needs, as_tensor)
                else:
                    results = node.apply(grads, needs, as_tensor)
                if len(results) != len(edges):
                    raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                                       f"gradients (expected {len(edges)}, got {len(results)})")
            else:
                results = (None,) * len(edges)
            if node._post_hooks:
                results = _run_post_hooks(node, results, grads, as_tensor)
            if not retain_graph:
                node.release()
            input_meta = node.input_meta
            for i, e in enumerate(edges):
                if not needs[i]:
                    continue
                child, nr = e
                r = results[i]
                if r is not None:
                    shape, dtype = input_meta[i]
                    if type(r) is ndarray and r.shape == shape and r.dtype is dtype.np:
                        checked = r  # the common case, decided in three comparisons
                    elif type(r) is ZeroCotangent:
                        zeros_seen = True
                        checked = r = ZeroCotangent(shape, dtype.np)  # a zero of the input's shape
                    else:
                        checked = _check_gradient(node, i, r, shape, dtype, as_tensor)
                    if plain_leaves and type(child) is AccumulateGrad and deps[child] == 1 \
                            and child not in buffers and not child._pre_hooks and not child.variable._backward_hooks \
                            and not child.variable._post_accumulate_hooks:
                        # A leaf's last contribution, nothing buffered before it, no hooks: straight
                        # into .grad, without scheduling its node.
                        t = child.variable
                        if type(checked) is ZeroCotangent:
                            if t._grad is None:  # reached: a zero .grad, as in PyTorch
                                t._grad = Tensor._make(checked.materialize())
                        elif t._grad is None:
                            t._grad = Tensor._make(checked if _is_fresh(node, checked, r, grads, results) else checked.copy())
                        else:
                            _accumulate_into(t, checked, False, False)
                        continue
                    if child.n_outputs == 1 and child not in buffers:
                        buffers[child] = [checked]
                        # Only a leaf's first gradient may be kept as its .grad (Note [Stealing
                        # gradient buffers]); elsewhere a later sum just allocates.
                        if type(child) is AccumulateGrad and not as_tensor and _is_fresh(node, checked, r, grads, results):
                            owned.add((child, 0))
                    else:
                        add_to_buffer(child, nr, checked, not as_tensor and _is_fresh(node, checked, r, grads, results))
                left = deps[child] - 1
                deps[child] = left
                if left == 0:
                    if type(child) is AccumulateGrad:
                        leaves.append(child)
                    else:
                        heappush(heap, (-child.seq, id(child), child))
    finally:
        errstate.__exit__(None, None, None)
        grad_mode._set_enabled(previous_mode)
    return captured


def _run_pre_hooks(node, grads, as_tensor):
    """A node's tensor hooks, retain_grad() captures and pre-hooks, in PyTorch's order."""
    if node._tensor_pre_hooks:
        for nr, hooks in node._tensor_pre_hooks.items():
            if grads[nr] is not None and hooks:
                grads[nr] = _run_tensor_hooks(hooks, grads[nr], as_tensor)
    if node._retained:
        for nr, ref in node._retained.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                _accumulate_into(t, grads[nr], False, as_tensor)
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            r = fn(tuple(_wrap_for_hook(g, as_tensor) if g is not None else None for g in grads))
            if r is not None:
                grads = [_unwrap_from_hook(x, as_tensor) if x is not None else None for x in r]
    return grads


def _run_post_hooks(node, results, grads, as_tensor):
    for fn in list(node._post_hooks.values()):
        r = fn(tuple(_wrap_for_hook(x, as_tensor) if x is not None else None for x in results),
               tuple(_wrap_for_hook(g, as_tensor) if g is not None else None for g in grads))
        if r is not None:
            results = [_unwrap_from_hook(x, as_tensor) if x is not None else None for x in r]
    return results


def _apply_with_anomaly_checks(node, grads, needs, as_tensor):
    try:
        results = node.apply(grads, needs, as_tensor)
    except Exception:
        anomaly_mode.forward_traceback_warning(node)
        raise
    if anomaly_mode.is_anomaly_check_nan_enabled():
        anomaly_mode.check_nan(node, results)
    return results


def _is_fresh(node, checked, r, grads, results):
    """Whether a rule's result is an array nobody else holds (Note [Stealing gradient buffers])."""
    if checked is not r:          # the engine made it (sum_to, a cast): fresh
        return type(checked) is ndarray and checked.base is None
    if type(node) is not Node or type(r) is not ndarray or r.base is not None or not r.flags.writeable:
        return False  # (a custom Function's backward may return an array its author still holds)
    for g in grads:
        if g is r:
            return False
    count = 0
    for other in results:
        if other is r:
            count += 1
    return count == 1


def _run_leaf(node, g, targets, captured, accumulate, input_set, owned, as_tensor):
    t = node.variable
    if g is None:
        return
    if t._backward_hooks:
        g = _run_tensor_hooks(t._backward_hooks, g, as_tensor)
        owned = False
    if targets is not None:
        for k in targets.get((node, 0), ()):
            captured[k] = g
    if accumulate and (input_set is None or id(t) in input_set):
        _accumulate_into(t, g, owned, as_tensor)
        if t._post_accumulate_hooks:
            for fn in list(t._post_accumulate_hooks.values()):
                fn(t)
