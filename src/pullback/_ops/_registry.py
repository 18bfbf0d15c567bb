"""The Primitive record and ``bind``: how a primitive runs on arrays and on Tensors.

A primitive called on plain arrays (as VJP rules are, in a backward pass without
``create_graph``) computes on the arrays and returns arrays: no Tensor, no graph. Called with
Tensors, it applies PyTorch's type promotion, computes, wraps the result, and, when grad mode is
on and an input requires grad, links a Node holding exactly the values its VJP rules name.
"""
import inspect
import operator

from .._backend import B, ndarray
from .. import _dtype as D
from .._dtype import result_type
from ..autograd import grad_mode
from ..autograd.grad_mode import GRAD_OFF_THREADS, INFERENCE_THREADS
from ..autograd.graph import SavedTensor, ZeroCotangent, new_node
from ..autograd import anomaly_mode
from ..autograd.anomaly_mode import ENABLED_THREADS as ANOMALY_THREADS
from ..autograd import forward_ad
from .. import _levels, _tape
from .._levels import OPEN


class Joint:
    """A VJP rule computing the cotangents of all inputs at once; it receives ``needs``, a tuple
    saying which inputs want one (truthy entries), and returns one cotangent (or None) per input."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


class Decompose:
    """A batching rule that runs ``fn(*inputs, **params)``, written in other primitives, on the
    batched inputs themselves: each primitive inside then batches by its own rule (``linear`` is
    a matmul and an add under vmap)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


# Shorthands a declaration names instead of writing a rule. As a JVP rule (see _jvp.py):
#   ELEMENTWISE  each input's Jacobian is diagonal: J_i t_i is the input's VJP rule applied to t_i
#   LINEAR       linear in its differentiable inputs jointly: the primitive applied to the tangents
#   MULTILINEAR  linear in each input separately: a sum over inputs of the primitive with that input
#                replaced by its tangent (matmul, einsum, conv2d)
#   TRANSPOSE    J t from the VJP rules by the double-VJP trick: exact for every primitive with a
#                VJP, at the cost of a small backward pass (declared where nothing better is known)
# As a batching rule (see _vmap_rules.py):
#   ELEMENTWISE  the batch dims go to the front and broadcasting does the rest
#   REDUCTION    one input reduced over ``axis`` (None: all of it), shifted past the batch dim
#   ALONG_AXIS   one input, every dim kept, an op along ``axis`` (softmax, cumsum)
#   ALL_BATCHED  every tensor input given the batch dim at the front (unbatched ones broadcast);
#                for primitives that act on the trailing dims whatever the leading ones are
# As a sparsity rule (which output elements depend on which input elements; see pullback/sparse):
#   ELEMENTWISE  output element i depends on element i of each input (after broadcasting)
#   REDUCTION    an output element depends on the input elements reduced into it (``axis``)
#   ALONG_AXIS   an output element depends on the whole line along ``axis`` through it
#   INDEX_MAP    each output element is a copy of at most one input element (views, cat, pad,
#                gathers): the forward run on the inputs' element numbers says which
#   SCATTER      each input element goes to at most one output element, where several may add
#                up (scatter-add, a view written back): the VJP run on the output's element
#                numbers says which
#   PER_MATRIX   an op on stacks of matrices (the last two dims): an output element depends on
#                every element of the input matrices at its own batch position
#   DENSE        every output element depends on every input element: true of anything, so the
#                rule of a primitive that declares none (a superset: never a missed entry)
ELEMENTWISE, LINEAR, MULTILINEAR, TRANSPOSE = "elementwise", "linear", "multilinear", "transpose"
REDUCTION, ALONG_AXIS, ALL_BATCHED = "reduction", "along_axis", "all_batched"
INDEX_MAP, SCATTER, PER_MATRIX, DENSE = "index_map", "scatter", "per_matrix", "dense"
JVP_SHORTHANDS = (ELEMENTWISE, LINEAR, MULTILINEAR, TRANSPOSE)
BATCH_SHORTHANDS = (ELEMENTWISE, REDUCTION, ALONG_AXIS, ALL_BATCHED)
SPARSITY_SHORTHANDS = (ELEMENTWISE, REDUCTION, ALONG_AXIS, INDEX_MAP, SCATTER, PER_MATRIX, DENSE)

# Functions called with (node, args, outputs) each time a Node is recorded: pullback.sparse
# traces dependencies this way. Empty unless a tracer runs (one truth test per recorded op).
RECORD_OBSERVERS = []
ALL = []  # every Primitive, in declaration order (pullback.compile swaps their impls while recording)


def zero_cotangent(g):
    """The VJP rule of a piecewise-constant function: zero. On arrays a ZeroCotangent; on Tensors
    (``create_graph``) the recorded ``g * 0``, which keeps the input in a higher-order graph."""
    if type(g) is ndarray:
        return ZeroCotangent(g.shape, g.dtype)
    return g * 0


def _camel(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _arg_names(rule):
    return tuple(inspect.signature(rule).parameters)


def broadcast_shape(shapes):
    """The shape ``shapes`` broadcast to, or PyTorch's RuntimeError naming the first mismatch.

    As PyTorch does, the shapes are combined left to right (``a`` is the shape so far, ``b`` the
    next one) and dims are compared from the last; the dim is counted in the broadcast result.
    """
    result = ()
    for shape in shapes:
        n = max(len(result), len(shape))
        a = (1,) * (n - len(result)) + tuple(result)
        b = (1,) * (n - len(shape)) + tuple(shape)
        for dim in reversed(range(n)):
            if a[dim] != b[dim] and a[dim] != 1 and b[dim] != 1:
                raise RuntimeError(f"The size of tensor a ({a[dim]}) must match the size of tensor b ({b[dim]}) "
                                   f"at non-singleton dimension {dim}")
        result = tuple(y if x == 1 else x for x, y in zip(a, b))
    return result


class Primitive:
    """One entry of the primitive table.

    Args:
        name: the op's name (``"sin"``); the default backward name is ``SinBackward0``.
        impl: forward on arrays: ``impl(*arrays, **params) -> array`` (or a tuple of arrays).
        inputs: space-separated names of the tensor inputs, as the VJP rules call them.
        vjp: one rule per input (a tuple; a single rule for one input; None entries for inputs
            that are never differentiated), or a ``Joint`` rule. A rule is a function whose
            parameter names say what it needs: ``g`` (the cotangent), an input name (the input is
            saved), ``ans`` (the output is saved), ``<input>_shape``/``<input>_dtype`` (metadata
            only), or the name of a static parameter. ``vjp=None``: not differentiable.
        grad_name: the backward node's name, or a function of ``(params, input shapes)``.
        out_dtype: ``"promote"`` (PyTorch promotion over the inputs), ``"float"`` (promotion,
            then integers go to the default float dtype), ``"bool"`` (inputs promoted, output
            bool), ``"keep"`` (no casting: the output keeps the dtype the forward gives), or a
            function ``(args, params) -> (compute dtype or None, result dtype or None)``;
            ``keeps_float_dtype``: that function gives floating inputs of one dtype (with Python
            numbers) that dtype, so such calls need not run it.
        outputs: number of outputs (-1: as many as the forward returns); ``nondiff_outputs``
            lists outputs that never require grad.
        broadcasting: the inputs broadcast against each other (used by batching rules; the
            engine sums every cotangent back to its input's shape in one place).
        view: the output aliases the first input's memory (it shares its version counter).
        jvp: the forward-mode rule: a shorthand (ELEMENTWISE, LINEAR, MULTILINEAR, TRANSPOSE) or a
            function ``(primals, tangents, params, outputs) -> tangents`` (one per output, None
            for a zero tangent). Every differentiable primitive declares one.
        batch: the vmap rule: a shorthand (ELEMENTWISE, REDUCTION, ALONG_AXIS, ALL_BATCHED), a
            ``Decompose``, or a function ``(prim, values, bdims, params, size) -> (out, out_bdims)``
            on the unwrapped values, their batch dims (None: unbatched) and the batch size.
        sparsity: which output elements depend on which input elements: a shorthand
            (ELEMENTWISE, REDUCTION, ALONG_AXIS, INDEX_MAP, SCATTER, PER_MATRIX, DENSE) or a function
            ``(node, args, outputs) -> matrices`` (one ``scipy.sparse`` dependence matrix of shape
            (output elements, input elements) per input, None where none; see pullback.sparse).
            Default: the batching shorthand's family where it has one (ELEMENTWISE, REDUCTION,
            ALONG_AXIS), INDEX_MAP for a view, else DENSE.
    """

    def __init__(self, name, impl, *, inputs="x", vjp=None, grad_name=None, out_dtype="promote",
                 outputs=1, nondiff_outputs=(), broadcasting=False, view=False, variadic=False,
                 jvp=None, batch=None, sparsity=None, keeps_float_dtype=False):
        self.name = name
        self.impl = impl
        ALL.append(self)
        # A variadic primitive (cat, stack) takes any number of tensor inputs; its Joint rule
        # sees their shapes as `shapes`.
        self.variadic = variadic
        self.input_names = () if variadic else tuple(inputs.split())
        self.n_inputs = len(self.input_names)
        self.grad_name = grad_name if grad_name is not None else _camel(name) + "Backward0"
        self.out_dtype = out_dtype
        self.n_outputs = outputs
        self.nondiff_outputs = frozenset(nondiff_outputs)
        self.broadcasting = broadcasting
        self.view = view
        if isinstance(jvp, str) and jvp not in JVP_SHORTHANDS:
            raise ValueError(f"primitive {name!r}: unknown JVP shorthand {jvp!r}")
        if isinstance(batch, str) and batch not in BATCH_SHORTHANDS:
            raise ValueError(f"primitive {name!r}: unknown batching shorthand {batch!r}")
        self.jvp = jvp
        self.batch = batch
        if isinstance(sparsity, str) and sparsity not in SPARSITY_SHORTHANDS:
            raise ValueError(f"primitive {name!r}: unknown sparsity shorthand {sparsity!r}")
        if sparsity is None:
            sparsity = batch if batch in (ELEMENTWISE, REDUCTION, ALONG_AXIS) else INDEX_MAP if view else DENSE
        self.sparsity = sparsity
        self.differentiable = vjp is not None
        # bind's shortest path records a Node for one output that is not a view
        self._records_simply = self.differentiable and not view and outputs == 1
        # For bind's fast path (inputs all Tensors of one dtype): True when the output has that
        # dtype, False when it keeps the forward's, None when the dtype rule must run.
        self.same_dtype_out = {"promote": True, "keep": False}.get(out_dtype) if isinstance(out_dtype, str) else None
        # Same dtype out for floating inputs of one dtype (with Python numbers): "float", or a dtype
        # rule that says so (keeps_float_dtype), so that such calls take bind's fast path.
        self.float_out = out_dtype == "float" or keeps_float_dtype
        if variadic and vjp is not None and not isinstance(vjp, Joint):
            raise ValueError(f"variadic primitive {name!r} needs a Joint VJP rule")
        if vjp is None or isinstance(vjp, Joint):
            self.rules = vjp
        else:
            rules = vjp if isinstance(vjp, tuple) else (vjp,)
            if len(rules) != self.n_inputs:
                raise ValueError(f"primitive {name!r}: {len(rules)} VJP rules for {self.n_inputs} inputs")
            self.rules = rules
        self._read_rule_signatures()

    def _read_rule_signatures(self):
        rules = () if self.rules is None else (
            (self.rules.fn,) if isinstance(self.rules, Joint) else [r for r in self.rules if r])
        self._rule_args = {}
        self._rule_getters = {}  # rule -> env -> its arguments (itemgetter: one C call)
        names = set()
        for r in rules:
            args = _arg_names(r)
            self._rule_args[r] = args
            self._rule_getters[r] = (operator.itemgetter(*args) if len(args) > 1 else
                                     (lambda env, name=args[0]: (env[name],)) if args else (lambda env: ()))
            names.update(args)
        self.saved_inputs = tuple(i for i, n in enumerate(self.input_names) if n in names)
        # Per input, the inputs its own rule names: only the rules of inputs that require grad
        # run, so only what they name is saved (x * 2 saves nothing of x).
        self.saved_by_rule = None
        if self.rules is not None and not isinstance(self.rules, Joint):
            self.saved_by_rule = tuple(
                tuple(j for j, n in enumerate(self.input_names) if r is not None and n in self._rule_args[r])
                for r in self.rules)
        self.saves_all_inputs = self.variadic and "xs" in names  # a variadic rule naming `xs`
        self._save_plans = {}
        self.saves_ans = "ans" in names
        self.meta_names = tuple(
            (n + suffix, i, suffix) for i, n in enumerate(self.input_names)
            for suffix in ("_shape", "_dtype") if n + suffix in names)

    def __repr__(self):
        return f"<primitive {self.name}>"

    # ------------------------------------------------------------------ forward
    def __call__(self, *args, **params):
        for a in args:
            if isinstance(a, _Tensor):
                return self.bind(args, params)
        return self.impl(*args, **params)

    def bind(self, args, params):
        """Runs the primitive on Tensors (and Python scalars), recording a Node when needed."""
        if OPEN[0]:  # a transform level is open: the top one among the arguments may run the op
            rule = _levels.interpreter(args)
            if rule is not None:
                return rule(self, args, params)
        # One pass over the inputs for the common case: Tensors of one dtype, no stale views, and
        # Python numbers that do not promote them (a float with floating Tensors, an int with any).
        datas = []
        requires = False
        dt = None
        scalar = None  # the highest kind of Python number seen: "f" (float) or "i" (int)
        tensor = _Tensor
        for a in args:
            if isinstance(a, tensor):
                d = a._data
                if dt is None:
                    dt = d.dtype
                elif d.dtype is not dt:
                    break
                if a._base is not None and a._version_counter[0] != a._view_version:
                    break
                if a._requires_grad:
                    requires = True
                datas.append(d)
                continue
            kind = _FAST_SCALARS.get(type(a))
            if kind is None:
                break
            if kind == "f" or scalar is None:
                scalar = kind
            datas.append(a)
        else:
            if scalar is not None and (dt is None or (dt.kind == "b" or scalar == "f") and dt.kind != "f"):
                pass  # a number that promotes the Tensors (a float with integers, an int with bools)
            elif self.same_dtype_out is not None or (self.float_out and dt is not None and dt.kind == "f"):
                try:
                    out = self.impl(*datas, **params) if params else self.impl(*datas)
                except ValueError:
                    self._check_broadcast(datas)
                    raise
                if requires and self._records_simply and (not GRAD_OFF_THREADS[0] or grad_mode._state.enabled):
                    if type(out) is not ndarray:
                        out = B.asarray(out) if _tape.ACTIVE[0] is None else _tape.call(_tape.asarray, out)
                    if out.dtype is not dt and self.same_dtype_out is not False:
                        out = out.astype(dt) if _tape.ACTIVE[0] is None else _tape.call(_tape.astype, out, dt)
                    # Tensor._make(out, requires_grad=True), inline (the hottest line of eager code)
                    result = _new_object(tensor)
                    result._data = out
                    result._requires_grad = True
                    result._output_nr = 0
                    result._version_counter = [0]
                    result._is_inference = grad_mode._state.inference if INFERENCE_THREADS[0] else False
                    node = result.grad_fn = (self._record_one(args[0], params, (result,)) if self.n_inputs == 1
                                             and len(datas) == 1 else self._record(args, params, (result,)))
                    if self.saves_ans:
                        node.saved["ans"] = SavedTensor(result, is_output=True)
                    if OPEN[0] and forward_ad.active():
                        self._forward_mode(args, params, (result,))
                    return result
                return self._finish(args, params, out, requires, None if dt is None else D._FROM_NP[dt]
                                    if self.same_dtype_out is not False else None)
        datas, out_dt = self._prepare(args, params)
        try:
            out = self.impl(*datas, **params)
        except ValueError:
            self._check_broadcast(datas)
            raise
        requires = False
        if self.differentiable and grad_mode.is_grad_enabled():
            for a in args:
                if isinstance(a, _Tensor):
                    if a._base is not None and a._version_counter[0] != a._view_version:
                        a._refresh_view()
                    if a._requires_grad:
                        requires = True
        return self._finish(args, params, out, requires, out_dt)

    def _check_broadcast(self, datas):
        """Raises PyTorch's error when the forward failed because the inputs do not broadcast
        (called only after NumPy raised, so the common path pays nothing)."""
        if self.broadcasting:
            broadcast_shape([B.shape(d) for d in datas if isinstance(d, ndarray)])

    def _finish(self, args, params, out, requires, out_dt):
        """Wraps the forward's arrays as Tensors; records the Node when ``requires``."""
        requires = requires and self.differentiable and (not GRAD_OFF_THREADS[0] or grad_mode._state.enabled)
        vc = None
        if self.view and isinstance(args[0], _Tensor):
            first = out[0] if self.n_outputs != 1 else out
            if B.may_share_memory(first, args[0]._data):
                vc = args[0]._version_counter
        if self.n_outputs == 1:
            result = _wrap(out, out_dt, vc, args[0] if vc is not None else None,
                           (self, params, None))
            if requires and result._data.dtype.kind in "fc":  # int/bool results never require grad
                node = self._record(args, params, (result,))
                result.grad_fn = node
                result._requires_grad = True
                if self.saves_ans:
                    node.saved["ans"] = SavedTensor(result, is_output=True)
            if OPEN[0] and forward_ad.active() and self.differentiable:
                self._forward_mode(args, params, (result,))
            return result
        results = tuple(_wrap(o, out_dt, vc if vc is not None and B.may_share_memory(o, args[0]._data)
                              else None, args[0] if vc is not None else None, (self, params, k))
                        for k, o in enumerate(out))
        if requires:
            node = self._record(args, params, results)
            node.n_outputs = len(results)
            for k, r in enumerate(results):
                if k not in self.nondiff_outputs:
                    r.grad_fn = node
                    r._output_nr = k
                    r._requires_grad = True
            if self.saves_ans:
                node.saved["ans"] = tuple(SavedTensor(r, is_output=True) for r in results)
        if OPEN[0] and forward_ad.active() and self.differentiable:
            self._forward_mode(args, params, results)
        return results

    def _prepare(self, args, params):
        rule = self.out_dtype
        if rule == "keep":
            return [a._data if isinstance(a, _Tensor) else a for a in args], None
        if callable(rule):
            compute_dt, out_dt = rule(args, params)
        else:
            compute_dt = _common_dtype(args)
            if compute_dt is None:
                compute_dt = result_type(*args)
            if rule == "float" and not compute_dt.is_floating_point:
                compute_dt = D.get_default_dtype()
            out_dt = D.bool if rule == "bool" else compute_dt
        datas = []
        for a in args:
            if isinstance(a, _Tensor):
                d = a._data
                if compute_dt is not None and d.dtype != compute_dt.np:
                    d = d.astype(compute_dt.np) if _tape.ACTIVE[0] is None else _tape.call(_tape.astype, d, compute_dt.np)
                datas.append(d)
            else:
                datas.append(a)
        return datas, out_dt

    def _record(self, args, params, outputs):
        nodes = []
        meta = []
        mask = 0  # bit i: input i requires grad (picks what the rules of those inputs name)
        later_output = False  # whether an input is a later output (output_nr > 0) of its node
        tensor = _Tensor
        for i, a in enumerate(args):
            if isinstance(a, tensor):
                d = a._data
                meta.append((d.shape, d.dtype))
                if a._requires_grad:
                    mask |= 1 << i
                    fn = a.grad_fn
                    if fn is None:
                        fn = a._edge()[0]  # the leaf's accumulator
                    elif a._output_nr:
                        later_output = True
                    nodes.append(fn)
                    continue
            else:
                # A constant array (inside a VJP rule) still has a shape a Joint rule may need.
                meta.append((a.shape, None) if isinstance(a, ndarray) else None)
            nodes.append(None)
        saved = {}
        names = self.input_names
        to_save = self._save_plans.get(mask)
        if to_save is None:
            to_save = self._save_plan(mask)
        for i in to_save:
            a = args[i]
            saved[names[i]] = SavedTensor(a) if isinstance(a, tensor) else a
        if self.saves_all_inputs:
            saved["xs"] = tuple(SavedTensor(a) if isinstance(a, tensor) else a for a in args)
        meta = tuple(meta)
        shared = _SHARED_META.get(meta)
        if shared is None:
            shared = _share_meta(meta)
        nrs = _output_nrs(args, nodes) if later_output else _FIRST_OUTPUTS.get(len(nodes)) or (0,) * len(nodes)
        node = new_node(self, params, tuple(nodes), nrs, saved, shared, self.grad_name)
        if ANOMALY_THREADS[0] and anomaly_mode._state.enabled or RECORD_OBSERVERS:
            _observe(node, args, outputs)
        return node

    def _record_one(self, a, params, outputs):
        """``_record`` for a primitive of one input, ``a``, a Tensor that requires grad (bind's
        fast path: most ops of an eager chain), without the general loop over the inputs."""
        d = a._data
        fn = a.grad_fn
        if fn is None:
            fn, nr = a._edge()
        else:
            nr = a._output_nr
        meta = ((d.shape, d.dtype),)
        shared = _SHARED_META.get(meta)
        if shared is None:
            shared = _share_meta(meta)
        # (with one input, the inputs its rule names are all the rules name: saved_inputs)
        saved = {self.input_names[0]: SavedTensor(a)} if self.saved_inputs else {}
        node = new_node(self, params, (fn,), (nr,) if nr else _FIRST_OUTPUT, saved, shared, self.grad_name)
        if ANOMALY_THREADS[0] and anomaly_mode._state.enabled or RECORD_OBSERVERS:
            _observe(node, (a,), outputs)
        return node

    def _save_plan(self, mask):
        """The inputs to save when the inputs in ``mask`` (bit i: input i) require grad: those the
        rules of those inputs name (every input a Joint rule names). Memoised per mask."""
        if self.saved_by_rule is None:
            plan = self.saved_inputs
        else:
            plan = tuple(sorted({j for i, wanted in enumerate(self.saved_by_rule) if mask >> i & 1 for j in wanted}))
        self._save_plans[mask] = plan
        return plan

    # ----------------------------------------------------------- forward mode
    def _forward_mode(self, args, params, outputs):
        """Computes and attaches the outputs' tangents at every dual level the inputs carry."""
        levels = set()
        for a in args:
            if isinstance(a, _Tensor):
                grads = a.__dict__.get("_fw_grads")
                if grads:
                    levels.update(grads)
        for level in sorted(levels):
            tangents = [a.__dict__.get("_fw_grads", {}).get(level) if isinstance(a, _Tensor) else None
                        for a in args]
            if all(t is None for t in tangents):
                continue
            primals = [forward_ad.strip(a, level) if isinstance(a, _Tensor) else a for a in args]
            plain_outputs = [forward_ad.strip(o, level) for o in outputs]
            from . import _jvp
            out_tangents = _jvp.tangents(self, primals, tangents, params, plain_outputs)
            for k, (o, t) in enumerate(zip(outputs, out_tangents)):
                if t is not None and k not in self.nondiff_outputs and o.dtype.is_floating_point:
                    forward_ad.set_tangent(o, level, t)

    # ----------------------------------------------------------------- backward
    def run_vjp(self, g, values, params, input_meta, needs):
        """Cotangents of the inputs, one per input (None: zero or not needed)."""
        env = values
        if params:
            env.update(params)
        env["g"] = g
        env["needs"] = needs
        if self.meta_names:
            for name, i, suffix in self.meta_names:
                m = input_meta[i]
                env[name] = None if m is None else m[0] if suffix == "_shape" else D._FROM_NP[m[1]]
        if self.variadic:
            env["shapes"] = [m[0] if m else None for m in input_meta]
        rules = self.rules
        getters = self._rule_getters
        if _tape.ACTIVE[0] is not None and not isinstance(g, _Tensor) and not (type(g) is tuple and any(
                isinstance(x, _Tensor) for x in g)):
            # Recording a compiled step: each rule call on arrays is one entry of the tape.
            env["needs"] = tuple([bool(n) for n in needs])
            if type(rules) is Joint:
                return _tape.call(rules.fn, *getters[rules.fn](env))
            return [_tape.call(rule, *getters[rule](env)) if rule is not None and needs[i] else None
                    for i, rule in enumerate(rules)]
        if type(rules) is Joint:
            return rules.fn(*getters[rules.fn](env))
        out = []
        for i, rule in enumerate(rules):
            out.append(rule(*getters[rule](env)) if rule is not None and needs[i] else None)
        return out


# Nodes with the same input shapes and dtypes share one input_meta tuple: a long graph then holds
# one per distinct signature instead of one per node, and the cyclic GC, whose full passes walk every
# tracked object of a live graph, has one object fewer per node to walk.
_SHARED_META = {}


# The next_nrs of nodes whose inputs are all first outputs (nearly all), one tuple per arity, shared
# for the same reason (and one allocation fewer per op).
_FIRST_OUTPUTS = {n: (0,) * n for n in range(1, 9)}
_FIRST_OUTPUT = _FIRST_OUTPUTS[1]


def _output_nrs(args, nodes):
    """Per input, which output of its node it is (0 where it needs no gradient or is a leaf)."""
    return tuple(a._output_nr if node is not None and a.grad_fn is not None else 0 for a, node in zip(args, nodes))


def _observe(node, args, outputs):
    """Tells anomaly mode and the record observers (pullback.sparse) of a new node."""
    if anomaly_mode._state.enabled:
        anomaly_mode.record(node)
    if RECORD_OBSERVERS:
        recording, _tape.ACTIVE[0] = _tape.ACTIVE[0], None  # (an observer's own array work is its own)
        try:
            for observe in RECORD_OBSERVERS:
                observe(node, args, outputs)
        finally:
            _tape.ACTIVE[0] = recording


def _share_meta(meta):
    if len(_SHARED_META) >= 4096:  # (bounded: a program of ever-new shapes does not grow it forever)
        _SHARED_META.clear()
    _SHARED_META[meta] = meta
    return meta


_new_object = object.__new__
_PY_SCALARS = {float: 2, int: 1}
_FAST_SCALARS = {float: "f", int: "i"}


def _common_dtype(args):
    """The promoted dtype when it is obvious (the common case: one dtype, maybe with a Python
    scalar of no higher category); None sends the caller to the full promotion rules."""
    dt = None
    for a in args:
        if isinstance(a, _Tensor):
            d = D._FROM_NP[a._data.dtype]
            if dt is None:
                dt = d
            elif d is not dt:
                return None
        else:
            category = _PY_SCALARS.get(type(a))
            if category is None:
                return None
            if dt is not None and category > dt.category:
                return None
    if dt is not None:
        for a in args:  # a scalar before the first tensor
            category = _PY_SCALARS.get(type(a))
            if category is not None and category > dt.category:
                return None
    return dt


def _wrap(out, out_dt, version_counter, base, view_step=None):
    if type(out) is not ndarray:
        out = B.asarray(out) if _tape.ACTIVE[0] is None else _tape.call(_tape.asarray, out)
    if out_dt is not None and out.dtype != out_dt.np:
        out = out.astype(out_dt.np) if _tape.ACTIVE[0] is None else _tape.call(_tape.astype, out, out_dt.np)
    t = _Tensor._make(out, version_counter=version_counter)
    if base is not None and version_counter is not None:
        # A view remembers its root base and the view ops from it (see _inplace.py).
        if base._base is not None:
            t._base, t._view_chain = base._base, base._view_chain + (view_step,)
        else:
            t._base, t._view_chain = base, (view_step,)
        t._view_version = version_counter[0]
    return t


def primitive(name, impl, **kwargs):
    """Declares a primitive (see ``Primitive``)."""
    return Primitive(name, impl, **kwargs)


_Tensor = None  # set by _tensor.py once Tensor exists (the registry sits below Tensor)


# The reads of tensor values into Python (and shapes made from values) that a compiled step
# cannot replay: graph breaks (see Note [Recording a step]).
_VALUE_READS = {".item()", ".tolist()", ".numpy()", "conversion to a NumPy array", "bool",
                "tensor(...) of a batched tensor", "isclose/allclose"}


def refuse_batched(x, where):
    """Raises where the values of a vmap-batched tensor would be read (see Note [Batched values]);
    a graph break where a compiled step is being recorded (see Note [Recording a step])."""
    if _tape.ACTIVE[0] is not None and (where in _VALUE_READS or "depends on" in where):
        _tape.graph_break(f"Tensor {where}" if where.startswith(".") else where)
    if _levels.batched(x):
        if where == ".item()":
            raise RuntimeError("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
                               "calling .item() on a Tensor, please try to rewrite what you're doing with other "
                               "operations. If error is occurring somewhere inside PyTorch internals, please file a "
                               "bug report.")
        if where == "bool":
            raise RuntimeError("vmap: It looks like you're attempting to use a Tensor in some data-dependent control "
                               "flow. We don't support that yet, please shout over at "
                               "https://github.com/pytorch/functorch/issues/257 .")
        raise RuntimeError(f"vmap: {where} reads the values of a tensor that vmap batches, which pullback cannot do "
                           "per sample; compute it outside the vmapped function, or pass that tensor with "
                           "in_dims=None.")


def _set_tensor_class(cls):
    global _Tensor
    _Tensor = cls
