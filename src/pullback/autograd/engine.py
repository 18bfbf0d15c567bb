"""The one place that walks backward graphs.

``run_backward`` serves ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad``. It is
HIPS autograd's backward pass (pop a node's cotangents, run its VJP, add the results into its
inputs' buffers) with PyTorch's bookkeeping, in named phases:

1. discover (``_discover``): from the roots, an explicit stack finds every reachable node and
   counts, for each, the edges pointing at it (its dependencies);
2. prune (``_prune``): with ``inputs`` given, only the nodes on a path to an input are kept;
3. schedule: a node is ready once all its consumers have contributed; ready nodes run in
   reverse creation order (a heap on the sequence number; the latest ready node stays off it
   while it is the next to run anyway), ready leaves before anything else;
4. run node: its buffer popped, its pre-hooks, then ``_run_node`` (the VJP rules with anomaly
   checks, the post-hooks; its common case inline);
5. deliver: every cotangent is checked against the input it belongs to (``_check_gradient``:
   a shape the input broadcasts to is summed back, the dtype cast to the input's) and added to
   the consumer's buffer (``_Buffers``); a leaf's gradient goes into ``.grad`` or is captured
   for ``autograd.grad`` (``_run_leaf``; the hook-free common case is ``_to_grad``).

A ZeroCotangent (the VJP of a piecewise-constant op, without ``create_graph``) travels like a
cotangent; a plain node receiving nothing else skips its rules and passes zeros on
(``_zeros_in``), and anything that must see values (hooks, custom Functions, ``inputs``,
leaves) gets real zeros.

No recursion anywhere, so a graph of a million nodes is fine.
"""
import heapq

from .._backend import B, ndarray
from .. import _dtype as D, _errors
from . import grad_mode
from .graph import AccumulateGrad, Node, ZeroCotangent
from . import anomaly_mode
from .._ops import _registry
from .. import _tape


def run_backward(roots, root_grads, *, inputs=None, retain_graph=False, create_graph=False,
                 accumulate=True, as_tensor=None):
    """Backpropagates ``root_grads`` from ``roots``.

    Returns, when ``inputs`` is given and ``accumulate`` is False, the gradient reaching each
    input (None where none did). Leaves accumulate into ``.grad`` when ``accumulate`` is True
    (all leaves, or only ``inputs`` when given).
    """
    # Rules run on Tensors when recording (create_graph) or when cotangents are batched (vmap).
    as_tensor = create_graph if as_tensor is None else as_tensor
    p = _Pass(roots, root_grads, inputs, accumulate, as_tensor)  # discover, prune, the first buffers
    buffers, needed, deps, heap, leaves = p.buffers, p.needed, p.deps, p.heap, []
    anomaly = anomaly_mode.is_anomaly_enabled()
    capture_at = p.capture_at  # the nodes whose cotangents are gradients of ``inputs`` (or None)
    simple = needed is None and not anomaly  # the inline case below may apply
    zeros_seen = False  # whether a ZeroCotangent is in flight (looked for only then)
    ready = None  # the latest-created ready node, kept off the heap while it is the next to run anyway
    previous_mode = grad_mode.is_grad_enabled()
    grad_mode._set_enabled(create_graph)
    # A backward pass is silent about inf/nan arithmetic, as PyTorch's is (anomaly mode reports it).
    errstate = B.errstate(all="ignore")
    errstate.__enter__()
    try:
        while True:
            # Schedule: ready leaves first, then the latest-created ready node.
            if leaves:
                node = leaves.pop()
            elif ready is not None and (not heap or ready.seq > -heap[0][0]):
                node, ready = ready, None
            elif heap:
                if ready is not None:
                    heapq.heappush(heap, (-ready.seq, id(ready), ready))
                    ready = None
                node = heapq.heappop(heap)[2]
            else:
                break
            grads = buffers.pop(node, None) or [None] * node.n_outputs
            all_zero = zeros_seen and _has_zero(grads) and _zeros_in(p, node, grads)
            if node._tensor_pre_hooks or node._retained or node._pre_hooks:
                grads = _run_pre_hooks(node, grads, as_tensor)
            if type(node) is AccumulateGrad:
                _run_leaf(p, node, grads[0])
                continue
            if capture_at is not None and node in capture_at:
                _capture(p, node, grads)

            # Run the node. Per input, whether its cotangent is wanted: the next node itself is truthy exactly then.
            children = node.next_nodes
            needs = children if needed is None else tuple([c is not None and c in needed for c in children])
            if simple and len(grads) == 1 and grads[0] is not None and not (all_zero or node._post_hooks) \
                    and any(children):
                # The common case of _run_node, inline: one output, its cotangent, no hooks or checks.
                results = node.apply(grads, needs, as_tensor)
                if len(results) != len(children):
                    _count_error(node, results)
            else:
                results = _run_node(node, grads, needs, all_zero, anomaly, as_tensor)
            if not retain_graph:
                node.release()

            # Deliver each wanted cotangent to the node it belongs to.
            input_meta, nrs = node.input_meta, node.next_nrs
            for i, child in enumerate(children):
                if not needs[i]:
                    continue
                r = results[i]
                if r is not None:
                    shape, dtype = input_meta[i]
                    if type(r) is ndarray and r.shape == shape and r.dtype is dtype:
                        checked = r  # the common case, decided in three comparisons
                    elif type(r) is dtype.type and shape == () and not as_tensor:
                        # a NumPy scalar (arithmetic on 0-dim arrays gives one)
                        checked = B.asarray(r) if _tape.ACTIVE[0] is None else _tape.call(_tape.asarray, r)
                    elif type(r) is ZeroCotangent:
                        zeros_seen = True
                        checked = r = ZeroCotangent(shape, dtype)  # a zero of the input's shape
                    elif _tape.ACTIVE[0] is None or as_tensor:
                        checked = _check_gradient(node.name(), i, r, shape, dtype, as_tensor)
                    else:
                        checked = _tape.call(_check_gradient, node.name(), i, r, shape, dtype, False)
                    if type(child) is not AccumulateGrad:
                        if child.n_outputs == 1 and child not in buffers:
                            buffers[child] = [checked]  # a first contribution, held by reference
                        else:
                            buffers.add(child, nrs[i], checked, False)
                    elif _to_leaf(p, node, child, checked, r, grads, results):
                        continue  # straight into .grad: the leaf's node is never scheduled
                left = deps[child] - 1
                deps[child] = left
                if left == 0:
                    if type(child) is AccumulateGrad:
                        leaves.append(child)
                    else:
                        ready = child if ready is None else _keep_latest(heap, ready, child)
    finally:
        errstate.__exit__(None, None, None)
        grad_mode._set_enabled(previous_mode)
    return p.captured


def _keep_latest(heap, a, b):
    """Of two ready nodes, pushes the earlier-created onto the heap and returns the other."""
    if a.seq < b.seq:
        a, b = b, a
    heapq.heappush(heap, (-b.seq, id(b), b))
    return a


class _Pass:
    """What one backward pass knows besides the graph itself: the dependency counts left, where
    the gradients of ``inputs`` are read off and what it captured, the cotangent buffers, and the
    nodes ready at the start."""

    __slots__ = ("inputs", "accumulate", "as_tensor", "targets", "capture_at", "captured", "input_set", "needed",
                 "plain_leaves", "buffers", "deps", "heap")

    def __init__(self, roots, root_grads, inputs, accumulate, as_tensor):
        for t in (*roots, *(inputs or ())):
            if t._base is not None and t._version_counter[0] != t._view_version:
                t._refresh_view()  # a view whose base changed in place differentiates through the change
        root_edges = [t._edge() for t in roots]  # (first: a root leaf's accumulator is made here)
        self.inputs, self.accumulate, self.as_tensor = inputs, accumulate, as_tensor
        self.targets = targets = _targets(inputs) if inputs is not None else None
        self.capture_at = {node for node, _ in targets} if targets is not None else None
        self.captured = [None] * len(inputs) if inputs is not None else None
        self.input_set = {id(t) for t in inputs} if accumulate and inputs is not None else None
        # Leaves that only accumulate into .grad (no inputs=, no create_graph): the leaf shortcuts.
        self.plain_leaves = accumulate and targets is None and not as_tensor

        root_nodes = {node for node, _ in root_edges}
        self.deps, parents, every_sink_a_target = _discover(root_nodes, self.capture_at)
        # With inputs=, only the nodes on a path to one are run, unless that is all of them (every
        # path ends at an input: the common case, as in a Jacobian's rows).
        self.needed = needed = None if every_sink_a_target else _prune(targets, root_nodes, self.deps, parents)
        self.buffers = _Buffers(as_tensor)
        for (node, nr), g in zip(root_edges, root_grads):
            if g is not None and (needed is None or node in needed):
                self.buffers.add(node, nr, g, False)
        self.heap = [(-node.seq, id(node), node) for node in root_nodes
                     if self.deps.get(node, 0) == 0 and (needed is None or node in needed)]
        heapq.heapify(self.heap)


def _targets(inputs):
    """Where the gradients of ``inputs`` are read off: (node, output_nr) -> input positions."""
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
    return targets


def _discover(root_nodes, targets_at):
    """Every node reachable from ``root_nodes``, with the number of edges pointing at it.

    Returns ``deps`` (node -> count; a node is discovered when it first gets one) and, when
    ``targets_at`` (the nodes where gradients of ``inputs`` are read off) is given, the consumers
    of each node (for ``_prune``) and whether every sink (a node with no edge out: a leaf's
    accumulator, mostly) is among them; without it, None and True.
    """
    deps = {}
    with_parents = targets_at is not None
    parents = {} if with_parents else None
    every_sink_a_target = True
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        sink = True
        for child in node.next_nodes:
            if child is None:
                continue
            sink = False
            if child in deps:
                deps[child] += 1
            else:
                deps[child] = 1
                if child not in root_nodes:
                    stack.append(child)
            if with_parents:
                parents.setdefault(child, []).append(node)
        if sink and with_parents and node not in targets_at:
            every_sink_a_target = False
    return deps, parents, every_sink_a_target


def _prune(targets, root_nodes, deps, parents):
    """The nodes on a path from a root to a target; ``deps`` is recounted over them alone (run only
    when some sink is not a target, so never every node: ``_discover``)."""
    needed = set()
    stack = [node for node, _ in targets if node in root_nodes or node in deps]
    needed.update(stack)
    while stack:
        node = stack.pop()
        for parent in parents.get(node, ()):
            if parent not in needed:
                needed.add(parent)
                stack.append(parent)
    deps.clear()
    for node in needed:
        for child in node.next_nodes:
            if child is not None and child in needed:
                deps[child] = deps.get(child, 0) + 1
    return needed


# Note [Stealing gradient buffers]
# A leaf's first .grad takes the cotangent array itself instead of a copy when the engine owns it:
# an array the engine summed, or one a VJP rule freshly computed (not a view, not one of the
# node's incoming cotangents passed through, not returned twice, not from a custom Function). Anything else (the user's
# gradient, a view, an array shared by two buffers) is copied, so a later in-place accumulation
# never writes into someone else's memory.


class _Buffers(dict):
    """node -> its incoming cotangents (a list, one per output), popped when the node runs.

    A buffer's first contribution is held by reference (owned by the engine only when it is a
    leaf's fresh array, see Note [Stealing gradient buffers]); a later one is summed into a copy
    the engine owns, and from then on summed into it in place.
    """

    __slots__ = ("owned", "as_tensor")

    def __init__(self, as_tensor):
        super().__init__()
        self.owned = set()  # (node, output_nr) whose array the engine may write into
        self.as_tensor = as_tensor

    def add(self, node, nr, g, fresh):
        buf = self.get(node)
        if buf is None:
            buf = self[node] = [None] * node.n_outputs
        current = buf[nr]
        if current is None or type(current) is ZeroCotangent:
            if type(g) is not ZeroCotangent or current is None:
                buf[nr] = g
                if fresh:
                    self.owned.add((node, nr))
        elif type(g) is ZeroCotangent:
            pass
        elif self.as_tensor:
            buf[nr] = current + g
        elif _tape.ACTIVE[0] is not None:
            buf[nr] = _tape.call(_tape.add_into, current, g) if (node, nr) in self.owned \
                else _tape.call(_tape.add, current, g)
            self.owned.add((node, nr))
        elif (node, nr) in self.owned:
            B.add(current, g, out=current)
        else:
            # A fresh array we own from now on (asarray: 0-dim sums come back as NumPy scalars).
            buf[nr] = B.asarray(current + g)
            self.owned.add((node, nr))


def _has_zero(grads):
    for g in grads:
        if type(g) is ZeroCotangent:
            return True
    return False


def _zeros_in(p, node, grads):
    """Prepares a node's cotangents when some are ZeroCotangents (in place); returns whether all
    of them are zero (or None), so that the node's rules need not run (zero in, zero out).

    Only a plain node with no hook or target on it may skip its rules; anything else sees real
    zeros.
    """
    if (type(node) is Node and p.targets is None and not node._post_hooks and
            not (node._tensor_pre_hooks or node._retained or node._pre_hooks)):
        for g in grads:
            if g is not None and type(g) is not ZeroCotangent:
                grads[:] = [g.materialize() if type(g) is ZeroCotangent else g for g in grads]
                return False
        return True
    for nr, g in enumerate(grads):
        if type(g) is ZeroCotangent:
            grads[nr] = g.materialize()
            p.buffers.owned.add((node, nr))  # fresh zeros a leaf may keep as its .grad
    return False


def _run_node(node, grads, needs, all_zero, anomaly, as_tensor):
    """The cotangents of a node's inputs from those of its outputs: its VJP rules (with anomaly
    checks when enabled), then its post-hooks."""
    n_inputs = len(node.next_nodes)
    if all_zero:  # zero in, zero out: the rules need not run
        results = [ZeroCotangent(m[0], m[1]) if n else None for m, n in zip(node.input_meta, needs)]
    elif any(needs) and (grads[0] is not None if len(grads) == 1 else _any_gradient(grads)):
        if not anomaly:
            results = node.apply(grads, needs, as_tensor)
        else:
            try:
                results = node.apply(grads, needs, as_tensor)
            except Exception:
                # Its warning points stacklevel=4 up, past this function and run_backward, at the
                # caller of run_backward: so this call stays directly below run_backward.
                anomaly_mode.forward_traceback_warning(node)
                raise
            if anomaly_mode.is_anomaly_check_nan_enabled():
                anomaly_mode.check_nan(node, results)
        if len(results) != n_inputs:
            _count_error(node, results)
    else:
        results = (None,) * n_inputs
    if node._post_hooks:
        results = _run_post_hooks(node, results, grads, as_tensor)
    return results


def _count_error(node, results):
    """PyTorch's error for a backward (a custom Function's) returning too few or too many gradients."""
    raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                       f"gradients (expected {len(node.next_nodes)}, got {len(results)})")


def _any_gradient(grads):
    for g in grads:
        if g is not None:
            return True
    return False


def _check_gradient(name, index, r, shape, dtype, as_tensor):
    """A cotangent ``r`` for input ``index`` of node ``name`` as that input's shape and (NumPy) dtype: summed
    back where the input was broadcast, PyTorch's error for any other shape."""
    if not as_tensor and type(r) is not ndarray:
        r = B.asarray(r)
    if r.shape != shape:
        # (imported here: the op families import autograd, which imports this module, first)
        from .._ops._rules import is_broadcastable_to, sum_to
        if not is_broadcastable_to(shape, r.shape):
            raise RuntimeError(_errors.invalid_gradient(name, index, r.shape, shape))
        r = sum_to(r, shape)
        if not as_tensor and type(r) is not ndarray:  # summed down to (): NumPy gives a scalar
            r = B.asarray(r)
    if as_tensor:
        if r._data.dtype is not dtype:
            r = r.to(D._FROM_NP[dtype])
    elif r.dtype != dtype:
        r = r.astype(dtype)
    return r


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


def _capture(p, node, grads):
    """Reads off the gradients of those ``inputs`` that are outputs of ``node`` (non-leaves)."""
    for nr in range(len(grads)):
        positions = p.targets.get((node, nr))
        if positions:
            for k in positions:
                p.captured[k] = grads[nr]
                if p.accumulate and grads[nr] is not None:
                    _accumulate_into(p.inputs[k], grads[nr], False, p.as_tensor)


def _to_grad(t, g, owned):
    """A hook-free leaf's gradient into its ``.grad`` (the leaf shortcuts: no inputs=, no
    create_graph). A zero reaching a leaf gives a zero ``.grad``, as in PyTorch."""
    if type(g) is ZeroCotangent:
        if t._grad is None:
            t._grad = _registry._Tensor._make(g.materialize())
            if _tape.ACTIVE[0] is not None:
                _tape.ACTIVE[0].note_deliver(t, t._grad._data)
        return
    if _tape.ACTIVE[0] is not None:
        _tape.ACTIVE[0].note_deliver(t, g)
    if t._grad is None:
        t._grad = _registry._Tensor._make(g if owned else g.copy())
    else:
        _accumulate_into(t, g, False, False, noted=True)


def _to_leaf(p, node, child, g, r, grads, results):
    """Delivers ``g`` (``node``'s cotangent ``r`` for the leaf of ``child``, checked) to the leaf.

    A hook-free leaf's last contribution, with nothing buffered before it, goes straight into
    ``.grad`` (returns True: its node need not be scheduled); anything else is buffered.
    """
    fresh = not p.as_tensor and _is_fresh(node, g, r, grads, results)
    t = child.variable
    if p.plain_leaves and p.deps[child] == 1 and child not in p.buffers and not child._pre_hooks \
            and not t._backward_hooks and not t._post_accumulate_hooks:
        _to_grad(t, g, fresh)
        return True
    p.buffers.add(child, 0, g, fresh)
    return False


def _run_leaf(p, node, g):
    """A ready leaf's gradient through its hooks into ``.grad`` and/or the captured results."""
    t = node.variable
    if g is None:
        return
    owned = (node, 0) in p.buffers.owned
    if p.plain_leaves and not t._backward_hooks and not t._post_accumulate_hooks:
        _to_grad(t, g, owned)
        return
    if t._backward_hooks:
        g = _run_tensor_hooks(t._backward_hooks, g, p.as_tensor)
        owned = False
    if p.targets is not None:
        for k in p.targets.get((node, 0), ()):
            p.captured[k] = g
    if p.accumulate and (p.input_set is None or id(t) in p.input_set):
        _accumulate_into(t, g, owned, p.as_tensor)
        if t._post_accumulate_hooks:
            _tape.graph_break("a post-accumulate-grad hook")
            for fn in list(t._post_accumulate_hooks.values()):
                fn(t)


def _accumulate_into(tensor, g, owned, as_tensor, noted=False):
    Tensor = _registry._Tensor
    if _tape.ACTIVE[0] is not None and not noted:
        if as_tensor:
            _tape.graph_break("backward(create_graph=True) accumulating into .grad")
        else:
            _tape.ACTIVE[0].note_deliver(tensor, g)
    if as_tensor:
        tensor._grad = g if tensor._grad is None else tensor._grad + g
    elif tensor._grad is None:
        tensor._grad = Tensor._make(g if owned else g.copy())
    elif tensor._grad._requires_grad:
        tensor._grad = Tensor._make(tensor._grad._data + g)
    else:
        B.add(tensor._grad._data, g, out=tensor._grad._data)


def _wrap_for_hook(g, as_tensor):
    if as_tensor:
        return g
    return _registry._Tensor._make(g)


def _unwrap_from_hook(r, as_tensor):
    return r if as_tensor else r._data


def _run_tensor_hooks(hooks, g, as_tensor):
    _tape.graph_break("a backward hook")
    for fn in list(hooks.values()):
        r = fn(_wrap_for_hook(g, as_tensor))
        if r is not None:
            g = _unwrap_from_hook(r, as_tensor)
    return g


def _run_pre_hooks(node, grads, as_tensor):
    """A node's tensor hooks, retain_grad() captures and pre-hooks, in PyTorch's order."""
    _tape.graph_break("a backward hook")
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
    _tape.graph_break("a backward hook")
    for fn in list(node._post_hooks.values()):
        r = fn(tuple(_wrap_for_hook(x, as_tensor) if x is not None else None for x in results),
               tuple(_wrap_for_hook(g, as_tensor) if g is not None else None for g in grads))
        if r is not None:
            results = [_unwrap_from_hook(x, as_tensor) if x is not None else None for x in r]
    return results
