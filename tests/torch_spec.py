"""Running torch's own test databases against pullback.

torch ships, inside its wheel, the inputs it tests itself with: ``op_db`` (OpInfo: sample, reference
and error inputs per op), ``module_db`` (ModuleInfo), ``optim_db`` and ``autograd_function_db``. This
module turns those inputs into pullback values, finds pullback's counterpart of each entry, and
compares what the two libraries compute. ``test_spec_ops.py`` and ``tools/spec_survey.py`` drive it;
``spec_known_failures.json`` lists, with the difference seen, the samples known to differ.

Where a float32 (float16, bfloat16) comparison fails, the float64 referee decides (``spec_referee``):
the same case rerun with torch in float64 (the sample's floating tensors, upcast exactly; a module's
parameters and buffers too) is the exact reference ``r``, and pullback's ``a`` is accepted against
torch's ``t`` if, for each compared tensor and every element ``i``,
``|a_i - r_i| <= 2 * max_j |t_j - r_j| + atol + rtol * |r_i|`` (torch's default ``rtol, atol`` for
the dtype): pullback is as accurate as torch, whatever order its BLAS sums in. Where no float64 rerun
is possible (an op without float64, random values, torch raising) the failure stands; tensors of
other dtypes (integers, bool, float64) are compared as before.

Without torch (or without ``expecttest``, which ``torch.testing._internal`` imports) ``HAVE_TORCH`` is
False and the spec tests skip as a whole.
"""
import functools
import re
import types

import numpy as np

import pullback
import spec_referee

try:  # the oracle extra: torch and expecttest
    import torch
    import expecttest  # noqa: F401  (torch.testing._internal imports it)
    HAVE_TORCH = True
except ImportError:  # pragma: no cover - exercised only without the oracle extra
    torch = None
    HAVE_TORCH = False

# The dtypes pullback has, by torch's name.
DTYPE_NAMES = ("float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool")


class Unsupported(Exception):
    """An input pullback cannot represent at all (a complex tensor, a sparse layout, ...)."""


# ----------------------------------------------------------------------------- torch -> pullback

def pb_dtype(torch_dtype):
    name = str(torch_dtype).replace("torch.", "")
    if name not in DTYPE_NAMES:
        raise Unsupported(f"dtype {name}")
    return getattr(pullback, name)


def to_pb(obj, memo=None):
    """The pullback twin of a torch sample value: tensors, dtypes, sizes and containers, recursively.

    Tensors keep their aliasing: within one call (or one ``memo``), a torch tensor met twice becomes
    one pullback tensor, and tensors viewing one storage become NumPy views of one copy of it, with
    torch's strides and offsets. So an ``out=`` that is (or overlaps, or expands over) an input stays
    so, and noncontiguous and expanded inputs stay noncontiguous and expanded.
    """
    memo = {} if memo is None else memo
    if isinstance(obj, torch.Tensor):
        if id(obj) not in memo:
            memo[id(obj)] = (_tensor_to_pb(obj, memo), obj)  # obj kept alive: its id stays its own
        return memo[id(obj)][0]
    if isinstance(obj, torch.dtype):
        return pb_dtype(obj)
    if isinstance(obj, torch.Size):
        return pullback.Size(obj)
    if isinstance(obj, torch.device):
        return str(obj)
    if isinstance(obj, torch.memory_format):
        return getattr(pullback, str(obj).replace("torch.", ""), obj)
    if isinstance(obj, torch.nn.PairwiseDistance):   # a distance_function argument
        return pullback.nn.PairwiseDistance(obj.norm, obj.eps, obj.keepdim)
    if isinstance(obj, torch.Generator):
        raise Unsupported("torch.Generator argument")
    if callable(obj) and obj is getattr(torch.nn.functional, getattr(obj, "__name__", ""), None):
        return getattr(pullback.nn.functional, obj.__name__)  # an activation passed as a function
    if isinstance(obj, torch.nn.Module):
        return _module_to_pb(obj, memo)
    if isinstance(obj, complex):
        raise Unsupported("complex scalar")
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(to_pb(o, memo) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_pb(o, memo) for o in obj)
    if isinstance(obj, dict):
        return {k: to_pb(v, memo) for k, v in obj.items()}
    return obj


def _module_to_pb(module, memo):
    """A pullback twin of a torch module passed as a constructor argument (a Transformer's layer,
    its norm), built from the torch module's own settings; its parameters are torch's."""
    nn = pullback.nn
    name = type(module).__name__
    if name == "LayerNorm":
        twin = nn.LayerNorm(module.normalized_shape, eps=module.eps, elementwise_affine=module.elementwise_affine,
                            bias=module.bias is not None)
    elif name in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        attn = module.self_attn
        twin = getattr(nn, name)(attn.embed_dim, attn.num_heads, module.linear1.out_features, module.dropout.p,
                                 to_pb(module.activation, memo), module.norm1.eps, attn.batch_first,
                                 module.norm_first, module.linear1.bias is not None)
    else:
        raise Unsupported(f"a {name} module as an argument")
    twin.load_state_dict(to_pb(module.state_dict(), memo))
    return twin.to(pb_dtype(next(module.parameters()).dtype)) if any(True for _ in module.parameters()) else twin


def _tensor_to_pb(tensor, memo):
    """One torch tensor as a pullback tensor over a NumPy view of its storage's copy in ``memo``."""
    if tensor.layout != torch.strided:
        raise Unsupported(f"layout {tensor.layout}")
    if tensor.dim() > 64:  # NumPy's limit: pullback cannot hold such a tensor at all
        raise Unsupported(f"{tensor.dim()} dims")
    dtype = pb_dtype(tensor.dtype)
    t = tensor.detach()
    if t.is_conj() or t.is_neg():  # a lazily negated (conjugated) tensor: its storage is not its values
        return pullback.tensor(t.resolve_conj().resolve_neg().numpy().copy(), dtype=dtype,
                               requires_grad=tensor.requires_grad)
    storage = t.untyped_storage()
    key = ("storage", storage.data_ptr(), storage.nbytes(), t.dtype)
    if key not in memo:  # the whole storage, once, as a flat NumPy array
        flat = t.as_strided((storage.nbytes() // t.element_size(),), (1,), 0)
        memo[key] = (flat.numpy().copy(), storage)
    base = memo[key][0]
    view = np.lib.stride_tricks.as_strided(base[t.storage_offset():], tuple(t.shape),
                                           tuple(s * base.itemsize for s in t.stride()))
    return pullback.from_numpy(view).requires_grad_(tensor.requires_grad)


def map_tensors(fn, obj, other=lambda o: o):
    """``obj`` with each tensor (torch's or pullback's) replaced by ``fn(tensor)``, its lists, tuples
    and dicts rebuilt, and every other value replaced by ``other(value)``."""
    if isinstance(obj, (torch.Tensor, pullback.Tensor)):
        return fn(obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(map_tensors(fn, o, other) for o in obj)
    if isinstance(obj, dict):
        return {k: map_tensors(fn, v, other) for k, v in obj.items()}
    return other(obj)


def to_torch(obj):
    """A pullback result as torch values, so torch's ``assert_close`` compares it."""
    if isinstance(obj, pullback.Tensor):
        array = obj.detach().numpy()
        return torch.from_numpy(np.array(array, copy=True)).reshape(tuple(obj.shape))
    if isinstance(obj, pullback.dtype):
        return getattr(torch, obj.name)
    if isinstance(obj, pullback.Size):
        return torch.Size(obj)
    if isinstance(obj, (list, tuple)):
        return [to_torch(o) for o in obj]
    return obj


def plain(obj):
    """torch outputs as plain containers (named tuples and return types become lists)."""
    if isinstance(obj, torch.Tensor):
        return obj
    if isinstance(obj, (list, tuple)) and not isinstance(obj, torch.Size):
        return [plain(o) for o in obj]
    return obj


# ----------------------------------------------------------------------------- finding pullback's op

def _resolve(module, dotted):
    obj = module
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _with_pullback(fn):
    """The entry's own Python wrapper with ``torch`` replaced by ``pullback`` in its globals."""
    globals_ = dict(fn.__globals__)
    for name, value in fn.__globals__.items():
        if value is torch:
            globals_[name] = pullback
        elif value is getattr(torch, "nn", None):
            globals_[name] = pullback.nn
        elif value is getattr(getattr(torch, "nn", None), "functional", None):
            globals_[name] = pullback.nn.functional
    rebound = types.FunctionType(fn.__code__, globals_, fn.__name__, fn.__defaults__, fn.__closure__)
    rebound.__kwdefaults__ = fn.__kwdefaults__
    return rebound


_WRAPPER_MODULES = ("torch.testing._internal",)


def pullback_op(op):
    """pullback's function for a torch OpInfo entry, or None when pullback has no counterpart.

    The entry's dotted name is looked up as a function first, then as a Tensor method; an entry
    whose op is a wrapper written in torch's test code (a lambda calling methods) runs that wrapper
    with pullback in place of torch.
    """
    found = _resolve(pullback, op.name)
    method = getattr(pullback.Tensor, op.name, None)
    if found is None and method is None and op.name in UNCOMPARABLE_VALUES:
        method = getattr(pullback.Tensor, op.name + "_", None)  # a random fill: uniform is Tensor.uniform_
    if found is None and method is None:
        return None
    fn = op.op
    if isinstance(fn, types.FunctionType) and fn.__module__.startswith(_WRAPPER_MODULES):
        return _with_pullback(fn)
    if found is not None and callable(found):
        return found
    if isinstance(method, property):
        return lambda self, *args, **kwargs: getattr(self, op.name)
    if getattr(fn, "__objclass__", None) is torch._C.TensorBase or (  # torch calls the unbound method
            getattr(fn, "__qualname__", "").startswith("Tensor.") and method is not None):
        return method  # (its error and reference inputs pass a number as self: Tensor.__rmod__(2.5, t))
    return lambda self, *args, **kwargs: getattr(self, op.name)(*args, **kwargs)


@functools.lru_cache(maxsize=None)
def op_db():
    from torch.testing._internal.common_methods_invocations import op_db as db
    return tuple(db)


def op_id(op):
    return op.name + ("." + op.variant_test_name if op.variant_test_name else "")


# ----------------------------------------------------------------------------- running one sample

SPEC_DTYPES = ("float64", "float32", "int64", "bool")


def sample_dtypes(op):
    """The dtypes among SPEC_DTYPES that torch supports for ``op`` on the CPU."""
    supported = op.supported_dtypes("cpu")
    return [name for name in SPEC_DTYPES if getattr(torch, name) in supported]


def samples(op, dtype_name, requires_grad=False, reference=False):
    """torch's sample inputs for ``op``; with ``reference``, its reference inputs where it has them
    (a superset of the samples)."""
    dtype = getattr(torch, dtype_name)
    if reference and op.reference_inputs_func is not None:
        return list(op.reference_inputs("cpu", dtype, requires_grad=requires_grad))
    return list(op.sample_inputs("cpu", dtype, requires_grad=requires_grad))


def sample_args(sample):
    return (sample.input, *sample.args), dict(sample.kwargs)


def run_torch(op, sample):
    args, kwargs = sample_args(sample)
    return op.op(*args, **kwargs)


def run_pullback(fn, sample):
    args, kwargs = to_pb(sample_args(sample))  # one conversion: aliasing between args and kwargs kept
    return fn(*args, **kwargs)


# Ops whose values are random or uninitialized: only their shapes, dtypes and structure are compared.
UNCOMPARABLE_VALUES = frozenset({
    "bernoulli", "empty", "empty_like", "new_empty", "empty_strided", "new_empty_strided", "multinomial",
    "normal", "normal.number_mean", "normal.in_place", "rand_like", "randn", "randn_like", "randint",
    "randint_like", "nn.functional.dropout", "nn.functional.rrelu", "uniform", "cauchy", "exponential", "geometric", "log_normal",
    "nn.functional.dropout2d", "nn.functional.dropout3d", "nn.functional.alpha_dropout", "empty_permuted",
    "nn.functional.feature_alpha_dropout.with_train",
})


def assert_same_meta(actual, expected, what="output"):
    """Structure, shapes and dtypes only (for random or uninitialized values)."""
    expected, actual = plain(expected), to_torch(actual)
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{what}: structure differs"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same_meta(a, e, f"{what}[{i}]")
        return
    assert isinstance(actual, torch.Tensor), f"{what}: torch gives a tensor, pullback {actual!r}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, torch's is {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {tuple(actual.shape)}, torch's is {tuple(expected.shape)}"


class Reference:
    """torch's float64 rerun of a case, computed once and only when the referee is asked
    (``compute()`` raising means no reference: the original failure stands)."""

    def __init__(self, compute):
        self._compute, self._done, self._value, self._error = compute, False, None, None

    def get(self):
        if not self._done:
            self._done = True
            try:
                self._value = self._compute()
            except Exception as e:  # noqa: BLE001  (any failure of the rerun: no reference)
                self._error = f"{type(e).__name__}: {str(e)[:160]}"
        if self._error is not None:
            raise spec_referee.NoReference(f"float64 referee: no float64 rerun ({self._error})")
        return self._value


def _part(reference, pick):
    """The sub-reference ``pick(value)`` of a Reference (None stays None)."""
    return None if reference is None else Reference(lambda: pick(reference.get()))


def _referee(failure, actual, expected, reference):
    """Re-raises the AssertionError ``failure`` unless the float64 referee accepts the tensor
    ``actual`` (see ``spec_referee``); ``reference`` is a Reference of torch's float64 tensor."""
    if reference is None or not spec_referee.is_low_precision(expected):
        raise failure
    try:
        problem = spec_referee.verdict(actual, expected, reference.get())
    except spec_referee.NoReference as e:
        problem = str(e)
    if problem is not None:
        raise AssertionError(f"{failure}\n{problem}") from None


def assert_same(actual, expected, *, rtol=None, atol=None, what="output", reference=None):
    """pullback's ``actual`` against torch's ``expected``: values, shapes, dtypes, container shape.
    With ``reference`` (a Reference of torch's float64 result), a low-precision tensor whose values
    differ is refereed against it."""
    expected = plain(expected)
    actual = to_torch(actual)
    if isinstance(expected, list):
        assert isinstance(actual, list), f"{what}: torch returns a sequence, pullback a {type(actual).__name__}"
        assert len(actual) == len(expected), f"{what}: {len(actual)} results, torch gives {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same_one(a, e, rtol=rtol, atol=atol, what=f"{what}[{i}]",
                            reference=_part(reference, lambda r, i=i: plain(r)[i]))
    else:
        assert_same_one(actual, expected, rtol=rtol, atol=atol, what=what, reference=reference)


def assert_same_one(actual, expected, *, rtol, atol, what, reference=None):
    if isinstance(expected, list):   # a nested container (LSTM's (output, (h_n, c_n)))
        assert_same(actual, expected, rtol=rtol, atol=atol, what=what, reference=reference)
    elif isinstance(expected, torch.Tensor):
        assert isinstance(actual, torch.Tensor), f"{what}: torch gives a tensor, pullback {actual!r}"
        assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, torch's is {expected.dtype}"
        assert actual.shape == expected.shape, f"{what}: shape {tuple(actual.shape)}, torch's is {tuple(expected.shape)}"
        try:
            torch.testing.assert_close(actual, expected.detach(), rtol=rtol, atol=atol, equal_nan=True,
                                       check_stride=False, msg=lambda m: f"{what}: {m}")
        except AssertionError as failure:
            _referee(failure, actual, expected, reference)
    elif isinstance(expected, (bool, int, float)) and not isinstance(actual, torch.Tensor):
        assert type(actual) is type(expected) and (actual == expected or (actual != actual and expected != expected)), \
            f"{what}: {actual!r}, torch gives {expected!r}"
    else:
        assert actual == expected, f"{what}: {actual!r}, torch gives {expected!r}"


class TorchRaises(Exception):
    """torch itself fails on a sample: nothing to compare pullback with."""


def _expected(compute):
    try:
        return compute()
    except Exception as e:  # noqa: BLE001
        raise TorchRaises(f"{type(e).__name__}: {e}") from e


def random_sample(op, sample):
    """Whether this sample's values are random where its op's others are not (attention with
    dropout): compared by structure only, and its gradients not at all."""
    if op_id(op) == "nn.functional.scaled_dot_product_attention":
        return sample.kwargs.get("dropout_p", 0.0) > 0
    if op_id(op) == "nn.functional.multi_head_attention_forward":  # dropout_p is the 11th argument
        return sample.kwargs.get("training", True) and sample.args[9] > 0
    if op_id(op) in ("nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d"):
        return sample.kwargs.get("_random_samples") is None  # windows drawn from each library's own stream
    return False


def as_float64(obj):
    """Copies of the torch tensors in ``obj`` (new leaves, requires_grad kept), the floating ones
    upcast exactly to float64: the inputs of the referee's float64 rerun."""
    def copy(t):
        dtype = torch.float64 if t.is_floating_point() else t.dtype
        return t.detach().to(dtype, copy=True).requires_grad_(t.requires_grad)

    return map_tensors(copy, obj)


def _has_low_precision(obj):
    found = []
    map_tensors(lambda t: found.append(spec_referee.is_low_precision(t)), obj)
    return any(found)


def _no_float64():
    raise Unsupported("torch has no float64 for this op")


def _float64_rerun(op, sample, compute):
    """A Reference running ``compute(float64 sample values)`` with torch, or None where the
    referee has nothing to decide (no low-precision tensor in the sample). The values are copied
    now, before torch runs the sample (which an in-place op would change)."""
    values = sample_args(sample)
    if not _has_low_precision(values):
        return None
    if torch.float64 not in op.supported_dtypes("cpu"):
        return Reference(_no_float64)
    upcast = as_float64(values)
    return Reference(lambda: compute(upcast))


def check_forward(op, fn, sample):
    """pullback's result on one sample against torch's (structure only for UNCOMPARABLE_VALUES);
    low-precision values that differ are refereed against torch's float64 rerun."""
    random = op_id(op) in UNCOMPARABLE_VALUES or random_sample(op, sample)
    reference = None if random else _float64_rerun(op, sample, lambda v: op.op(*v[0], **v[1]))
    expected = _expected(lambda: run_torch(op, sample))
    actual = run_pullback(fn, sample)
    if random:
        assert_same_meta(actual, expected)
    else:
        assert_same(actual, expected, reference=reference)


def check_gradients(op, fn, index, sample):
    """First- and (where torch has them) second-order VJPs of one sample against torch's;
    low-precision gradients that differ are refereed against torch's float64 rerun."""
    if random_sample(op, sample):
        raise Unsupported("random values (dropout): no torch gradient to compare with")
    second = op.supports_gradgrad
    draws = dtype_name_of(sample.input)
    reference = _float64_rerun(op, sample, lambda v: gradients(torch, lambda a, k: op.op(*a, **k), v, sample,
                                                               second, index, round_to=draws))
    expected = _expected(lambda: gradients(torch, lambda a, k: op.op(*a, **k), sample_args(sample), sample,
                                           second, index))
    actual = gradients(pullback, lambda a, k: fn(*a, **k), to_pb(sample_args(sample)), sample, second, index)
    assert (actual is None) == (expected is None), "torch and pullback differ on what is differentiable"
    if expected is not None:
        assert_same_gradients(actual[0], expected[0], what="grad", reference=_part(reference, lambda r: r[0]))
        assert_same_gradients(actual[1], expected[1], what="gradgrad", reference=_part(reference, lambda r: r[1]))


def dtype_name_of(value):
    """The low-precision floating dtype name of a torch tensor, else None: the dtype the float64
    rerun rounds its random cotangents to, so that they are the original run's."""
    if isinstance(value, torch.Tensor) and spec_referee.is_low_precision(value):
        return spec_referee.dtype_name(value)
    return None


# ----------------------------------------------------------------------------- gradients

def leaves(obj, found=None):
    """The tensors that require grad in a sample's (args, kwargs), in a fixed traversal order."""
    found = [] if found is None else found
    if isinstance(obj, (torch.Tensor, pullback.Tensor)):
        if obj.requires_grad:
            found.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            leaves(o, found)
    elif isinstance(obj, dict):
        for key in sorted(obj):
            leaves(obj[key], found)
    return found


def differentiable_outputs(out):
    flat = out if isinstance(out, (list, tuple)) else [out]
    return [o for o in flat if isinstance(o, (torch.Tensor, pullback.Tensor))
            and o.dtype.is_floating_point and o.requires_grad]


def output_process_fn(sample, for_pullback):
    fn = sample.output_process_fn_grad
    if for_pullback and isinstance(fn, types.FunctionType) and fn.__module__.startswith(_WRAPPER_MODULES):
        return _with_pullback(fn)
    return fn


def _vjp(lib, outs, inputs, cotangents, create_graph):
    return lib.autograd.grad(outs, inputs, cotangents, allow_unused=True, create_graph=create_graph)


def draw(lib, rng, like, round_to=None):
    """A seeded standard normal tensor shaped and typed ``like``, rounded first to the dtype named
    ``round_to`` when given (the float64 rerun's draws are then the low-precision run's)."""
    values = lib.tensor(rng.standard_normal(tuple(like.shape)), dtype=getattr(lib, round_to or "float64"))
    return values.to(like.dtype)


def gradients(lib, call, sample_values, sample, second_order, seed, round_to=None):
    """First (and second) order VJPs of one sample with seeded random cotangents, as numpy arrays.

    ``call(args, kwargs)`` runs the op; the same seed gives torch and pullback the same cotangents
    (``round_to``: see ``draw``).
    """
    args, kwargs = sample_values
    inputs = leaves((args, kwargs))
    out = output_process_fn(sample, lib is pullback)(call(args, kwargs))
    outs = differentiable_outputs(out)
    if not inputs or not outs:
        return None
    rng = np.random.default_rng(seed)
    cotangents = [draw(lib, rng, o, round_to) for o in outs]
    grads = _vjp(lib, outs, inputs, cotangents, create_graph=second_order)
    result = [_as_array(g) for g in grads]
    if not second_order:
        return result, None
    pairs = [(g, inp) for g, inp in zip(grads, inputs) if g is not None and g.requires_grad]
    if not pairs:  # no gradient depends on the inputs: every second-order gradient is zero
        return result, [None] * len(inputs)
    weights = [draw(lib, rng, g, round_to) for g, _ in pairs]
    seconds = _vjp(lib, [g for g, _ in pairs], inputs, weights, create_graph=False)
    return result, [_as_array(g) for g in seconds]


def _as_array(gradient):
    """A gradient (torch's or pullback's, or None) as a NumPy array. torch's may be a ZeroTensor,
    which refuses ``.numpy()`` (and ``numpy(force=True)`` crashes on a non-contiguous one)."""
    if gradient is None:
        return None
    if isinstance(gradient, torch.Tensor) and gradient._is_zerotensor():
        return np.zeros(tuple(gradient.shape), dtype=torch.empty(0, dtype=gradient.dtype).numpy().dtype)
    return gradient.detach().numpy().copy()


def assert_same_gradients(actual, expected, *, rtol=None, atol=None, what="grad", reference=None):
    """Two lists of gradients (NumPy arrays or None); with ``reference`` (a Reference of torch's
    float64 list), a low-precision gradient whose values differ is refereed against it."""
    assert (actual is None) == (expected is None), f"{what}: pullback {actual is not None}, torch {expected is not None}"
    if expected is None:
        return
    assert len(actual) == len(expected), f"{what}: {len(actual)} gradients, torch gives {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        if e is None or a is None:
            # torch's None (no path) and an all-zero gradient are the same derivative.
            other = a if e is None else e
            assert other is None or not np.any(other), f"{what}[{i}]: pullback {a is not None}, torch {e is not None}"
            continue
        try:
            torch.testing.assert_close(torch.from_numpy(a), torch.from_numpy(e), rtol=rtol, atol=atol,
                                       equal_nan=True, msg=lambda m: f"{what}[{i}]: {m}")
        except AssertionError as failure:
            _referee(failure, a, e, _part(reference, lambda r, i=i: r[i]))


# ----------------------------------------------------------------------------- error inputs

def _torch_raises(torch_fn, sample):
    try:
        torch_fn(sample.input, *sample.args, **sample.kwargs)
    except Exception:  # noqa: BLE001  (any exception: the error input still is one)
        return True
    return False


def check_error_input(fn, error_input, torch_fn=None):
    """Runs pullback on one of torch's error inputs; returns None when pullback raises torch's
    exception type with a message matching torch's, else a description of the difference.

    With ``torch_fn`` (the entry's op), an error input that this torch no longer raises on (a few
    are stale) is held to what torch does instead: pullback must not raise either.
    """
    sample = error_input.sample_input
    if torch_fn is not None and not _torch_raises(torch_fn, sample):
        run_pullback(fn, sample)
        return None
    try:
        run_pullback(fn, sample)
    except Unsupported:
        raise
    except Exception as e:  # noqa: BLE001  (comparing exception types is the point)
        if not isinstance(e, error_input.error_type):
            return f"raises {type(e).__name__}: {str(e)[:200]}; torch raises {error_input.error_type.__name__}: {error_input.error_regex}"
        if error_input.error_regex and not re.search(error_input.error_regex, str(e)):
            return f"message {str(e)[:200]!r} does not match torch's {error_input.error_regex!r}"
        return None
    return f"raises nothing; torch raises {error_input.error_type.__name__}: {error_input.error_regex}"
