"""The backward graph: one Node per primitive application, and the values it saved.

Note [Saved values]
A Node never holds the Tensors it was built from, only what its VJP rules name: the array,
the version counter it had when saved, and how to rebuild a Tensor with the right ``grad_fn``
when a backward pass with ``create_graph=True`` needs one. Holding the arrays (not the Tensors)
keeps output -> grad_fn -> saved output from forming a reference cycle, and lets the engine free
a node's saved values the moment it has run.
"""
import itertools
import threading
import weakref

from .._backend import B
from .. import _errors
from .. import _dtype
from . import anomaly_mode
from .. import _levels, _tape
from .._ops import _registry  # a module: it imports this one first

_sequence = itertools.count()
_LEAF_FIRST = 1 << 62


class RemovableHandle:
    """Returned by every ``register_*hook``; ``remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks_dict):
        self.id = next(RemovableHandle._ids)
        self._hooks = weakref.ref(hooks_dict) if hooks_dict is not None else None

    def remove(self):
        hooks = self._hooks() if self._hooks is not None else None
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookDict(dict):
    """A dict that a RemovableHandle can refer to weakly."""

    __slots__ = ("__weakref__",)


def backward_twice_message(node):
    """PyTorch's error; in anomaly mode (beyond PyTorch) it also says where the graph was made."""
    msg = _errors.BACKWARD_TWICE
    stack = node.__dict__.get("_metadata", {}).get("traceback_") if hasattr(node, "__dict__") else None
    if anomaly_mode.is_anomaly_enabled() and stack:
        msg += f" The node {node.name()} was made by the forward call at:\n{stack}"
    return msg


def add_hook(hooks, fn):
    """Adds ``fn`` to a dict of hooks (made when ``hooks`` is None); returns the dict and a
    handle whose ``remove()`` takes ``fn`` out again."""
    if hooks is None:
        hooks = _HookDict()
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return hooks, handle


_NO_ATTRIBUTES = {}


class _HooksState(threading.local):
    stack = None  # every thread starts without saved-tensor hooks


_hooks_state = _HooksState()
# How many threads have saved-tensor hooks: while none has, saving skips the thread-local read
# (see grad_mode.GRAD_OFF_THREADS).
_HOOKED_THREADS = [0]
_hooked_lock = threading.Lock()


def _set_hooks_stack(stack):
    if (stack is None) != (_hooks_state.stack is None):
        with _hooked_lock:
            _HOOKED_THREADS[0] += -1 if stack is None else 1
    _hooks_state.stack = stack


def _saved_tensors_hooks_stack():
    return _hooks_state.stack


class saved_tensors_hooks:
    """Context manager: every Tensor saved for backward inside it is stored as
    ``pack_hook(tensor)``, and ``unpack_hook(packed)`` gives it back when backward needs it
    (e.g. to compress, offload, or recompute saved values).

    Example::

        >>> with pullback.autograd.graph.saved_tensors_hooks(lambda t: t.numpy().tobytes(),
        ...                                                   lambda b: ...):
        ...     y = x.exp()
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _hooks_state.stack is None:
            _set_hooks_stack([])
        _hooks_state.stack.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        _hooks_state.stack.pop()
        if not _hooks_state.stack:
            _set_hooks_stack(None)
        return False


class disable_saved_tensors_hooks:
    """Context manager in which saved_tensors_hooks do not apply."""

    def __init__(self, error_message=""):
        self.error_message = error_message

    def __enter__(self):
        self._prev = _hooks_state.stack
        _set_hooks_stack(None)

    def __exit__(self, *exc):
        _set_hooks_stack(self._prev)
        return False


class ZeroCotangent:
    """A cotangent known to be zero, of this shape and (NumPy) dtype.

    The VJP of a piecewise-constant function (``sign``, ``floor``, relu's mask in a second-order
    pass) is zero. Without ``create_graph`` its rule returns this marker instead of an array of
    zeros, and the engine skips every node that receives nothing else (a VJP is linear in its
    cotangent: zero in, zero out), so the matmuls behind such a mask are never run on zeros. A
    leaf it reaches still gets a zero ``.grad`` (not None), as in PyTorch.
    """

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    def materialize(self):
        return _tape.constant(B.zeros(self.shape, self.dtype))


class _SavedDetails:
    """What a SavedTensor also keeps for an output, or under saved_tensors_hooks (the rare cases)."""

    __slots__ = ("is_output", "requires_grad", "output_nr", "leaf", "tensor_ref", "attributes", "packed",
                 "unpack_hook", "shape", "dtype")


class SavedTensor:
    """A value saved for backward: the array, its version, and how to rebuild it as a Tensor.

    A saved input keeps its Tensor (``source``): it is older than the node saving it, so no cycle
    forms, and its grad_fn, output number and tangents are read there when needed. An output, or
    anything saved under saved_tensors_hooks, keeps the few facts it needs in ``details`` instead.
    """

    __slots__ = ("data", "version_counter", "version", "grad_fn", "source", "details")

    def __init__(self, tensor, is_output=False):
        if tensor._is_inference:
            raise RuntimeError(_errors.INFERENCE_SAVED)
        self.data = data = tensor._data
        self.version_counter = vc = tensor._version_counter
        self.version = vc[0]
        hooks = _hooks_state.stack if _HOOKED_THREADS[0] else None
        if not is_output and not hooks:  # the common case: an input, saved as it is
            self.grad_fn = tensor.grad_fn
            self.source = tensor
            self.details = None
            return
        self.source = None
        if not hooks and not _levels.OPEN[0] and (tensor.grad_fn is not None or not tensor._requires_grad):
            # The common output (an op's result saved by its own node): its facts are those of every
            # output of its number, one shared record (shape and dtype are read off the array).
            self.grad_fn = None
            key = (tensor._requires_grad, tensor._output_nr)
            self.details = _PLAIN_OUTPUTS.get(key) or _plain_output(key)
            return
        d = self.details = _SavedDetails()
        d.shape, d.dtype = data.shape, data.dtype
        d.is_output = is_output
        d.requires_grad = tensor._requires_grad
        d.output_nr = tensor._output_nr
        # An output's grad_fn is the very node saving it: referring to it would make a cycle.
        grad_fn = self.grad_fn = None if is_output else tensor.grad_fn
        d.leaf = tensor if (tensor.grad_fn is None and tensor._requires_grad) else None
        # The saved Tensor's own attribute dict: forward-mode tangents live there (possibly set
        # after saving, for outputs), and a create_graph pass rebuilds the Tensor with them.
        d.attributes = tensor.__dict__ if _levels.OPEN[0] else _NO_ATTRIBUTES
        # Watches for detach_() on a saved non-leaf, which must make it unusable (PyTorch's error).
        d.tensor_ref = weakref.ref(tensor) if grad_fn is not None else None
        if hooks:  # saved_tensors_hooks: keep only what pack_hook returns
            pack_hook, d.unpack_hook = hooks[-1]
            d.packed = pack_hook(tensor)
            self.data = None
        else:
            d.unpack_hook = None

    @property
    def shape(self):
        return self.data.shape if self.data is not None else self.details.shape

    def _version_error(self, grad_fn, output_nr, dtype):
        vc = self.version_counter
        return RuntimeError(_errors.version_mismatch(
            _dtype._FROM_NP[dtype], self.shape, grad_fn, output_nr, vc[0], self.version,
            vc[1] if len(vc) > 1 and anomaly_mode.is_anomaly_enabled() else None))

    def unpack(self, node, as_tensor):
        d = self.details
        if d is None:
            source, grad_fn = self.source, self.grad_fn
            if grad_fn is not None and source.grad_fn is None:
                raise RuntimeError(_errors.DETACHED_SAVED)
            if self.version_counter[0] != self.version:
                raise self._version_error(grad_fn, source._output_nr, self.data.dtype)
            if not as_tensor:
                return self.data
            if grad_fn is None and source._requires_grad:
                return source  # a leaf: itself, so a second-order pass reaches it
            return _rebuild(self.data, grad_fn, source._output_nr, self.version_counter, source.__dict__)
        return self._unpack_with_details(d, node, as_tensor)

    def _unpack_with_details(self, d, node, as_tensor):
        grad_fn = (node if d.requires_grad else None) if d.is_output else self.grad_fn
        if d.tensor_ref is not None:
            t = d.tensor_ref()
            if t is not None and t.grad_fn is None:
                raise RuntimeError(_errors.DETACHED_SAVED)
        if self.version_counter[0] != self.version:
            raise self._version_error(grad_fn, d.output_nr, d.dtype if self.data is None else self.data.dtype)
        data = self.data
        if d.unpack_hook is not None:
            unpacked = d.unpack_hook(d.packed)
            data = unpacked._data if hasattr(unpacked, "_data") else unpacked
        if not as_tensor:
            return data
        if d.leaf is not None:
            return d.leaf
        return _rebuild(data, grad_fn, d.output_nr, self.version_counter, d.attributes)


_PLAIN_OUTPUTS = {}  # (requires_grad, output_nr) -> the details every such saved output shares


def _plain_output(key):
    d = _SavedDetails()
    d.shape = d.dtype = None  # (the saved array's own)
    d.is_output = True
    d.requires_grad, d.output_nr = key
    d.leaf = d.tensor_ref = d.packed = d.unpack_hook = None
    d.attributes = _NO_ATTRIBUTES
    _PLAIN_OUTPUTS[key] = d
    return d


def _rebuild(data, grad_fn, output_nr, version_counter, attributes):
    t = _registry._Tensor._make(data, grad_fn=grad_fn, output_nr=output_nr, requires_grad=grad_fn is not None,
                                version_counter=version_counter)
    tangents = attributes.get("_fw_grads")
    if tangents:
        t.__dict__["_fw_grads"] = dict(tangents)
    return t


class Node:
    """The backward function of one primitive application (PyTorch's ``grad_fn``).

    ``next_functions`` lists, for each input, ``(node, output_nr)`` of the function that
    produced it (or ``(None, 0)`` for an input that does not require grad).
    """

    # Hooks and flags are class-level defaults, set per node only when used (cheap creation).
    __slots__ = ("prim", "params", "next_nodes", "next_nrs", "saved", "input_meta", "seq", "n_outputs", "_name",
                 "__weakref__", "__dict__")
    released = False
    _tensor_pre_hooks = None   # {output_nr: {id: fn}}: hooks registered on output Tensors
    _retained = None           # {output_nr: weakref to Tensor} for retain_grad()
    _pre_hooks = None
    _post_hooks = None

    # (made by new_node, below: no __init__)

    @property
    def metadata(self):
        """A dict for the user's own annotations of this node."""
        if "_metadata" not in self.__dict__:
            self.__dict__["_metadata"] = {}
        return self.__dict__["_metadata"]

    def name(self):
        """The PyTorch name of this backward function, e.g. ``'SinBackward0'``."""
        name = self._name
        if not isinstance(name, str):  # a primitive whose name depends on its use: decided when asked
            name = self._name = name(self.params, [m[0] if m else None for m in self.input_meta])
        return name

    @property
    def next_edges(self):
        """Per input, ``(node, output_nr)`` where its gradient goes, or None."""
        return tuple(None if n is None else (n, nr) for n, nr in zip(self.next_nodes, self.next_nrs))

    @property
    def next_functions(self):
        return tuple((n, nr) for n, nr in zip(self.next_nodes, self.next_nrs))

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def register_hook(self, fn):
        """Registers ``fn(grad_inputs, grad_outputs)`` to run after this node; it may return
        replacement ``grad_inputs``."""
        self._post_hooks, handle = add_hook(self._post_hooks, fn)
        return handle

    def register_prehook(self, fn):
        """Registers ``fn(grad_outputs)`` to run before this node; it may return replacement
        ``grad_outputs``."""
        self._pre_hooks, handle = add_hook(self._pre_hooks, fn)
        return handle

    def _add_tensor_hook(self, output_nr, fn):
        if self._tensor_pre_hooks is None:
            self._tensor_pre_hooks = {}
        self._tensor_pre_hooks[output_nr], handle = add_hook(self._tensor_pre_hooks.get(output_nr), fn)
        return handle

    def release(self):
        """Frees the saved values (after a backward pass without ``retain_graph``)."""
        if self.saved:  # a node that saved nothing can run again, as in PyTorch
            self.saved = None
            self.released = True

    def apply(self, grad_outputs, needs, as_tensor):
        """Runs the VJP rules: cotangents of the outputs -> cotangents of the inputs."""
        prim = self.prim
        if self.released:
            raise RuntimeError(backward_twice_message(self))
        saved = self.saved
        values = {}
        if saved:
            for name, v in saved.items():
                if type(v) is SavedTensor:
                    v = v.unpack(self, as_tensor)
                elif isinstance(v, tuple):
                    v = _unpack(v, self, as_tensor)
                values[name] = v  # (anything else, a number or a shape, is kept as it is)
        g = grad_outputs[0] if prim.n_outputs == 1 else tuple(grad_outputs)  # many: a tuple
        return prim.run_vjp(g, values, self.params, self.input_meta, needs)



def new_node(prim, params, next_nodes, next_nrs, saved, input_meta, name, _new=object.__new__):
    """A Node of ``prim`` (a class without ``__init__``: each recorded op comes through here, and a
    type call with its ``__init__`` frame costs about a third of making a node)."""
    node = _new(Node)
    node.prim = prim
    node.params = params
    node.n_outputs = 1  # (the primitive of several outputs sets its count)
    # Per input, the node its gradient goes to (None where it needs none) and which of that
    # node's outputs it is. Two flat tuples, not a tuple of (node, nr) pairs: every tuple a long
    # graph keeps that holds a node is one more object for each cyclic-GC pass to walk, and the
    # full passes are what a long eager chain spends most of its GC time on.
    node.next_nodes = next_nodes
    node.next_nrs = next_nrs
    node.saved = saved
    # (shape, NumPy dtype) per input, None for non-tensors. NumPy dtypes, not pullback's: a tuple
    # of untracked objects is untracked by the cyclic GC, and a long graph holds one per input.
    node.input_meta = input_meta
    node.seq = next(_sequence)
    node._name = name
    return node


def _unpack(value, node, as_tensor):
    if isinstance(value, SavedTensor):
        return value.unpack(node, as_tensor)
    if isinstance(value, tuple) and any(isinstance(v, SavedTensor) for v in value):
        return tuple(v.unpack(node, as_tensor) if isinstance(v, SavedTensor) else v for v in value)
    return value


class AccumulateGrad:
    """The node at a leaf Tensor that requires grad: accumulates into ``.grad``."""

    # Made anew for each graph a parameter joins (the Tensor holds it weakly, so no cycle keeps a
    # leaf alive): only `variable` is set per node, the rest are class-level defaults.
    __slots__ = ("variable", "__weakref__", "__dict__")
    n_outputs = 1
    # Ready leaves run first: each gradient goes into .grad at once instead of waiting in a
    # buffer until the end of the pass (which would hold every weight gradient at once).
    seq = _LEAF_FIRST
    next_nodes = next_nrs = next_edges = ()
    _pre_hooks = None
    _post_hooks = None
    _tensor_pre_hooks = None
    _retained = None

    def __init__(self, variable):
        self.variable = variable

    metadata = Node.metadata

    def name(self):
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self):
        return ()

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"

    register_hook = Node.register_hook
    register_prehook = Node.register_prehook


def __getattr__(name):
    # Graph pictures live in dot.py; they are reached here as in torch.autograd.graph.
    if name in ("to_dot", "render"):
        from . import dot
        return getattr(dot, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
