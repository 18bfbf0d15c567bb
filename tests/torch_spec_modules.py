"""Running torch's ModuleInfo database (``module_db``) against pullback's modules.

Every entry whose module class pullback has (the same name under ``pullback.nn``) gives, per dtype
and mode, the inputs torch tests that module with (``module_inputs_func``): constructor arguments
and forward arguments. ``check_module`` builds both modules from the same constructor arguments,
copies torch's parameters and buffers into pullback's, and compares the forward outputs, the
buffers after the forward (running statistics), and the input and parameter gradients for the same
seeded cotangents. ``test_spec_modules.py`` drives it.

In float32, a compared tensor (an output, a buffer, a gradient) whose values differ from torch's is
refereed against torch's float64 rerun of the same input (the module built alike, its parameters
and buffers then upcast exactly to float64, the forward inputs too, the same cotangents): accepted
if ``|a_i - r_i| <= 2 * max_j |t_j - r_j| + atol + rtol * |r_i|`` for every element ``i`` of
pullback's ``a``, torch's ``t`` and the float64 ``r``, with torch's default float32 ``rtol, atol``
(see ``spec_referee``). Random modules have no referee.
"""
import functools

import numpy as np

import pullback
import torch_spec as S
from torch_spec import torch

# Modules whose outputs are random: only shapes, dtypes and structure are compared.
RANDOM_MODULES = frozenset({"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                            "FeatureAlphaDropout", "FractionalMaxPool2d", "FractionalMaxPool3d", "RReLU"})

MODES = ("train", "eval")
MODULE_DTYPES = ("float64", "float32")


def pullback_module_cls(info):
    """pullback's class for a ModuleInfo entry, or None when pullback has none by that name."""
    return getattr(pullback.nn, info.module_cls.__name__, None)


def module_name(info):
    return info.module_cls.__name__


@functools.lru_cache(maxsize=None)
def module_db():
    from torch.testing._internal.common_modules import module_db as db
    return tuple(info for info in db if pullback_module_cls(info) is not None)


@functools.lru_cache(maxsize=None)
def module_inputs(info, dtype_name, mode):
    """torch's ModuleInputs for one entry, dtype and mode (seeded, so every run sees the same)."""
    torch.manual_seed(0)
    return tuple(info.module_inputs_func(info, device="cpu", dtype=getattr(torch, dtype_name),
                                         requires_grad=True, training=mode == "train"))


def fresh(obj):
    """A copy of torch sample values with new leaves (so no gradient leaks between runs)."""
    return S.map_tensors(lambda t: t.detach().clone().requires_grad_(t.requires_grad), obj)


def build_modules(info, module_input, dtype_name):
    """torch's module and pullback's twin, with torch's parameters and buffers loaded into it."""
    ctor = module_input.constructor_input
    torch.manual_seed(0)
    theirs = info.module_cls(*fresh(ctor.args), **fresh(ctor.kwargs)).to(getattr(torch, dtype_name))
    ours = pullback_module_cls(info)(*S.to_pb(fresh(ctor.args)), **S.to_pb(fresh(ctor.kwargs)))
    ours = ours.to(S.pb_dtype(getattr(torch, dtype_name)))
    if getattr(info, "is_lazy", False):
        # A lazy module has no state to copy before its first call: both infer their shapes from a
        # dry run on the forward input, and become their eager class (the load checks the shapes).
        forward = module_input.forward_input
        with torch.no_grad():
            theirs(*fresh(forward.args), **fresh(forward.kwargs))
        with pullback.no_grad():
            ours(*S.to_pb(fresh(forward.args)), **S.to_pb(fresh(forward.kwargs)))
        assert type(ours).__name__ == type(theirs).__name__, \
            f"after its first call the module is a {type(ours).__name__}, torch's a {type(theirs).__name__}"
    ours.load_state_dict(S.to_pb(theirs.state_dict()))
    return theirs, ours


def check_module(info, module_input, dtype_name, mode, seed):
    """Forward outputs, buffers after the forward, and input and parameter gradients of one input."""
    theirs, ours = build_modules(info, module_input, dtype_name)
    theirs.train(mode == "train")
    ours.train(mode == "train")
    forward = module_input.forward_input
    torch_args = fresh((forward.args, forward.kwargs))
    pb_args = S.to_pb(torch_args)
    expected = S._expected(lambda: theirs(*torch_args[0], **torch_args[1]))
    actual = ours(*pb_args[0], **pb_args[1])
    random = module_name(info) in RANDOM_MODULES
    if random:
        S.assert_same_meta(actual, expected)
        assert_same_tensors(dict(ours.named_buffers()), dict(theirs.named_buffers()), "buffer")
        return
    reference = None
    if dtype_name in S.spec_referee.TOLERANCES:
        reference = S.Reference(lambda: float64_run(info, module_input, dtype_name, mode, seed))
    S.assert_same(actual, expected, reference=S._part(reference, lambda r: r["output"]))
    assert_same_tensors(dict(ours.named_buffers()), dict(theirs.named_buffers()), "buffer",
                        reference=S._part(reference, lambda r: r["buffers"]))
    assert_same_gradients(ours, actual, S.leaves(pb_args), theirs, expected, S.leaves(torch_args), seed,
                          reference=S._part(reference, lambda r: r["gradients"]))


def float64_run(info, module_input, dtype_name, mode, seed):
    """The referee's float64 rerun of one input with torch: the module built as ``build_modules``
    builds it, in ``dtype_name``, then upcast to float64 (parameters and buffers exactly), the
    forward inputs upcast alike, the cotangents the ``dtype_name`` run's. Returns the output, the
    buffers after the forward and the gradients."""
    ctor, forward = module_input.constructor_input, module_input.forward_input
    torch.manual_seed(0)
    module = info.module_cls(*fresh(ctor.args), **fresh(ctor.kwargs)).to(getattr(torch, dtype_name))
    module = module.to(torch.float64).train(mode == "train")
    args, kwargs = S.as_float64((forward.args, forward.kwargs))
    out = module(*args, **kwargs)
    return {"output": out, "buffers": dict(module.named_buffers()),
            "gradients": gradients(torch, module, out, S.leaves((args, kwargs)), seed, round_to=dtype_name)}


def assert_same_tensors(actual, expected, what, reference=None):
    """Two ``{name: tensor}`` dicts: the same names, and for each the same values, dtype and shape
    (refereed against ``reference``'s float64 dict where given)."""
    assert sorted(actual) == sorted(expected), f"{what}s {sorted(actual)}, torch's are {sorted(expected)}"
    for name, value in expected.items():
        S.assert_same(actual[name], value, what=f"{what} {name}",
                      reference=S._part(reference, lambda r, name=name: r[name]))


def _flatten(out):
    """Nested outputs (LSTM's ``(output, (h_n, c_n))``) as one flat list."""
    if isinstance(out, (list, tuple)):
        return [leaf for o in out for leaf in _flatten(o)]
    return [out]


def gradients(lib, module, out, inputs, seed, round_to=None):
    """VJPs of the module's outputs with seeded random cotangents: (input grads, {param: grad})
    (``round_to``: see ``torch_spec.draw``)."""
    outs = S.differentiable_outputs(_flatten(out))
    params = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    wrt = list(inputs) + [p for _, p in params]
    if not outs or not wrt:
        return None
    rng = np.random.default_rng(seed)
    cotangents = [S.draw(lib, rng, o, round_to) for o in outs]
    grads = [None if g is None else g.detach().numpy().copy()
             for g in lib.autograd.grad(outs, wrt, cotangents, allow_unused=True)]
    return grads[:len(inputs)], dict(zip((name for name, _ in params), grads[len(inputs):]))


def assert_same_gradients(ours, actual, pb_inputs, theirs, expected, torch_inputs, seed, reference=None):
    """Input and parameter gradients, refereed against ``reference``'s float64 ones where given."""
    mine = gradients(pullback, ours, actual, pb_inputs, seed)
    torchs = gradients(torch, theirs, expected, torch_inputs, seed)
    assert (mine is None) == (torchs is None), "torch and pullback differ on what is differentiable"
    if torchs is None:
        return
    S.assert_same_gradients(mine[0], torchs[0], what="input grad", reference=S._part(reference, lambda r: r[0]))
    assert sorted(mine[1]) == sorted(torchs[1]), f"parameters {sorted(mine[1])}, torch's are {sorted(torchs[1])}"
    for name in torchs[1]:
        S.assert_same_gradients([mine[1][name]], [torchs[1][name]], what=f"grad of {name}",
                                reference=S._part(reference, lambda r, name=name: [r[1][name]]))


def module_error_inputs(info):
    """torch's ErrorModuleInputs for one entry (empty where it has none)."""
    if info.module_error_inputs_func is None:
        return ()
    return tuple(info.module_error_inputs_func(info, device="cpu", dtype=torch.float64, requires_grad=False,
                                               training=True))


def float32_to_float64(module):
    """``module`` with its float32 parameters and buffers (pullback's default dtype) made float64, as
    the error inputs' tensors are; every other dtype kept, since a dtype the error input chose (a
    float16 weight) may be the error itself (``.double()`` would hide it)."""
    for tensor in [*module.parameters(), *module.buffers()]:
        if tensor.dtype is pullback.float32:
            tensor.data = tensor.data.double()
    return module


def check_module_error(info, error_input):
    """pullback raises torch's exception type with a message matching torch's, at construction or
    in the forward as torch does."""
    import re
    from torch.testing._internal.common_modules import ModuleErrorEnum
    module_input = error_input.module_error_input
    ctor, forward = module_input.constructor_input, module_input.forward_input
    expected, regex = error_input.error_type, error_input.error_regex
    constructing = error_input.error_on == ModuleErrorEnum.CONSTRUCTION_ERROR
    try:
        module = float32_to_float64(pullback_module_cls(info)(*S.to_pb(ctor.args), **S.to_pb(ctor.kwargs)))
        stage = "forward"
        module(*S.to_pb(forward.args), **S.to_pb(forward.kwargs))
    except S.Unsupported:
        raise
    except Exception as e:  # noqa: BLE001  (comparing exception types is the point)
        assert isinstance(e, expected), f"raises {type(e).__name__}: {str(e)[:200]}; torch: {expected.__name__} {regex!r}"
        assert re.search(regex, str(e)), f"message {str(e)[:200]!r}; torch's: {regex!r}"
        assert constructing == (locals().get("stage") is None), "raised at another stage than torch"
        return
    raise AssertionError(f"raises nothing; torch raises {expected.__name__}: {regex!r}")
