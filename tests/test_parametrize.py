"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm) and the old
hook-based weight_norm / spectral_norm, against torch: classes, state dict keys, values,
gradients (and finite differences), errors."""
import copy
import pickle
import warnings

import numpy as np
import pytest
torch = pytest.importorskip("torch")  # the oracle: these tests compare with torch


import pullback  # noqa: E402
import pullback.nn as pnn
from pullback.nn.utils import parametrize as PP
from torch.nn.utils import parametrize as TP


def pb(t):
    return pullback.tensor(t.detach().numpy().copy())


def np_(x):
    return x.detach().numpy()


def close(a, b, tol=1e-12):
    np.testing.assert_allclose(np_(a), np_(b), rtol=tol, atol=tol)


def load_from_torch(pmod, tmod):
    """pullback module <- torch module's state dict (same keys)."""
    pmod.load_state_dict({k: pb(v) for k, v in tmod.state_dict().items()})


def same_error(fn_torch, fn_pb):
    """Both raise; the same exception type and message (dtype names and module paths unified)."""
    with pytest.raises(Exception) as te:
        fn_torch()
    with pytest.raises(Exception) as pe:
        fn_pb()
    assert type(pe.value).__name__ == type(te.value).__name__
    assert str(pe.value).replace("pullback.", "torch.") == str(te.value)


# --------------------------------------------------------------- parametrizations used below
def both(name, body):
    """The same parametrization class in torch and pullback (``body(lib)`` gives the methods)."""
    return (type(name, (torch.nn.Module,), body(torch)), type(name, (pnn.Module,), body(pullback)))


Symmetric = both("Symmetric", lambda lib: {"forward": lambda self, X: X.triu() + X.triu(1).transpose(-1, -2)})
Double = both("Double", lambda lib: {"forward": lambda self, X: 2 * X, "right_inverse": lambda self, X: X / 2})
Square = both("Square", lambda lib: {"forward": lambda self, X: X * X})
Sum2 = both("Sum2", lambda lib: {"forward": lambda self, a, b: a + b,
                                 "right_inverse": lambda self, X: (X * 0.25, X * 0.75)})
NotTensor = both("NotTensor", lambda lib: {"forward": lambda self, X: 3})
ToDouble = both("ToDouble", lambda lib: {"forward": lambda self, X: X.double()})
FirstRow = both("FirstRow", lambda lib: {"forward": lambda self, X: X[0]})
BadInverse = both("BadInverse", lambda lib: {"forward": lambda self, X: X, "right_inverse": lambda self, X: 3})
BadTuple = both("BadTuple", lambda lib: {"forward": lambda self, a, b: a + b,
                                         "right_inverse": lambda self, X: (X, 3)})
InverseDouble = both("InverseDouble", lambda lib: {"forward": lambda self, X: X,
                                                   "right_inverse": lambda self, X: X.double()})
InverseRow = both("InverseRow", lambda lib: {"forward": lambda self, X: X, "right_inverse": lambda self, X: X[0]})


def pair(in_f=3, out_f=3):
    """A torch Linear and a pullback Linear with the same float64 weights."""
    torch.manual_seed(0)
    t = torch.nn.Linear(in_f, out_f).double()
    p = pnn.Linear(in_f, out_f).double()
    load_from_torch(p, t)
    return t, p


# ----------------------------------------------------------------------------- parametrize
def test_register_swaps_class_and_moves_the_tensor():
    t, p = pair()
    TP.register_parametrization(t, "weight", Symmetric[0]())
    PP.register_parametrization(p, "weight", Symmetric[1]())
    assert type(p).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert type(p).__bases__ == (pnn.Linear,)
    assert list(p.state_dict()) == list(t.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in p.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert repr(p) == repr(t)
    assert isinstance(p.parametrizations, pnn.ModuleDict)
    assert isinstance(p.parametrizations.weight, PP.ParametrizationList)
    assert isinstance(p.parametrizations.weight.original, pnn.Parameter)
    close(p.weight, t.weight)
    assert PP.is_parametrized(p) and PP.is_parametrized(p, "weight") and not PP.is_parametrized(p, "bias")
    assert not PP.is_parametrized(pnn.Linear(2, 2))
    assert PP.type_before_parametrizations(p) is pnn.Linear
    assert PP.type_before_parametrizations(pnn.ReLU()) is pnn.ReLU


def test_gradients_reach_original():
    t, p = pair()
    TP.register_parametrization(t, "weight", Symmetric[0]())
    PP.register_parametrization(p, "weight", Symmetric[1]())
    x = np.random.default_rng(0).standard_normal((4, 3))
    t(torch.tensor(x)).pow(2).sum().backward()
    p(pullback.tensor(x)).pow(2).sum().backward()
    close(p.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad)
    close(p.bias.grad, t.bias.grad)


def test_gradient_by_finite_differences():
    _, p = pair()
    PP.register_parametrization(p, "weight", Square[1]())
    x = pullback.tensor(np.random.default_rng(1).standard_normal((4, 3)))
    original = p.parametrizations.weight.original

    def f(w):
        with pullback.no_grad():
            original.copy_(w)
        return p(x).sum()
    p(x).sum().backward()
    grad = original.grad.detach().numpy()
    w0 = original.detach().clone()
    rng = np.random.default_rng(2)
    for _ in range(3):
        d = pullback.tensor(rng.standard_normal((3, 3)))
        fd = (float(f(w0 + 1e-6 * d)) - float(f(w0 - 1e-6 * d))) / 2e-6
        assert abs(fd - float((grad * d.numpy()).sum())) < 1e-7


def test_right_inverse_on_assignment_and_chaining():
    t, p = pair()
    for mod, lib, k in ((t, TP, 0), (p, PP, 1)):
        lib.register_parametrization(mod, "weight", Double[k]())
        lib.register_parametrization(mod, "weight", Double[k]())
    assert list(p.state_dict()) == list(t.state_dict())
    assert repr(p.parametrizations.weight) == repr(t.parametrizations.weight)
    close(p.weight, t.weight)
    orig = p.parametrizations.weight.original
    x = np.arange(9.0).reshape(3, 3)
    t.weight = torch.tensor(x)
    p.weight = pullback.tensor(x)
    assert p.parametrizations.weight.original is orig           # set in place: optimizers keep it
    close(p.parametrizations.weight.original, t.parametrizations.weight.original)
    close(p.weight, torch.tensor(x))


def test_right_inverse_returning_a_tuple():
    t, p = pair()
    TP.register_parametrization(t, "weight", Sum2[0](), unsafe=True)
    PP.register_parametrization(p, "weight", Sum2[1](), unsafe=True)
    keys = ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert list(p.state_dict()) == list(t.state_dict()) == keys
    assert all(isinstance(getattr(p.parametrizations.weight, f"original{i}"), pnn.Parameter) for i in (0, 1))
    close(p.weight, t.weight)
    t.weight = torch.ones(3, 3, dtype=torch.float64)
    p.weight = pullback.ones(3, 3, dtype=pullback.float64)
    close(p.parametrizations.weight.original1, t.parametrizations.weight.original1)
    PP.remove_parametrizations(p, "weight")
    TP.remove_parametrizations(t, "weight")
    assert type(p) is pnn.Linear and isinstance(p.weight, pnn.Parameter) and p.weight.requires_grad
    close(p.weight, t.weight)


def test_buffer_parametrization():
    t, p = torch.nn.BatchNorm1d(3), pnn.BatchNorm1d(3)
    TP.register_parametrization(t, "running_mean", Double[0]())
    PP.register_parametrization(p, "running_mean", Double[1]())
    assert list(p.state_dict()) == list(t.state_dict())
    assert not isinstance(p.parametrizations.running_mean.original, pnn.Parameter)


def test_remove_parametrizations():
    t, p = pair()
    orig = p.weight
    for mod, lib, k in ((t, TP, 0), (p, PP, 1)):
        lib.register_parametrization(mod, "weight", Double[k]())
        lib.register_parametrization(mod, "bias", Double[k]())
    assert p.parametrizations.weight.original is orig
    with torch.no_grad():
        t.parametrizations.weight.original.mul_(3)
    with pullback.no_grad():
        p.parametrizations.weight.original.mul_(3)
    TP.remove_parametrizations(t, "weight")                         # keeps the parametrized value
    PP.remove_parametrizations(p, "weight")
    assert p.weight is orig and type(p).__name__ == "ParametrizedLinear"
    close(p.weight, t.weight)
    TP.remove_parametrizations(t, "bias", leave_parametrized=False)  # the original itself
    PP.remove_parametrizations(p, "bias", leave_parametrized=False)
    close(p.bias, t.bias)
    assert type(p) is pnn.Linear and not hasattr(p, "parametrizations")
    assert list(p.state_dict()) == list(t.state_dict()) == ["weight", "bias"]


def test_cached():
    _, p = pair()
    PP.register_parametrization(p, "weight", Symmetric[1]())
    assert p.weight is not p.weight
    with PP.cached():
        a = p.weight
        with PP.cached():
            assert p.weight is a
        assert p.weight is a
    assert p.weight is not a


def test_state_dicts_load_across_libraries():
    t, p = pair()
    TP.register_parametrization(t, "weight", Double[0]())
    PP.register_parametrization(p, "weight", Double[1]())
    with torch.no_grad():
        t.parametrizations.weight.original.normal_()
    load_from_torch(p, t)
    close(p.weight, t.weight)
    with pullback.no_grad():
        p.parametrizations.weight.original.mul_(-1)
    t.load_state_dict({k: torch.tensor(np_(v)) for k, v in p.state_dict().items()})
    close(p.weight, t.weight)


def test_pickle_refused_deepcopy_works():
    t, p = pair()
    TP.register_parametrization(t, "weight", Symmetric[0]())
    PP.register_parametrization(p, "weight", Symmetric[1]())
    same_error(lambda: pickle.dumps(t), lambda: pickle.dumps(p))
    q = copy.deepcopy(p)
    assert type(q).__name__ == "ParametrizedLinear"
    assert q.parametrizations.weight.original is not p.parametrizations.weight.original
    close(q.weight, p.weight)


def test_transfer_parametrizations_and_params():
    t, p = pair()
    t2, p2 = pair()
    TP.register_parametrization(t, "weight", Double[0]())
    PP.register_parametrization(p, "weight", Double[1]())
    TP.transfer_parametrizations_and_params(t, t2)
    PP.transfer_parametrizations_and_params(p, p2)
    assert list(p2.state_dict()) == list(t2.state_dict())
    close(p2.weight, t2.weight)
    close(p2.parametrizations.weight.original, p.parametrizations.weight.original)


def _fresh():
    return torch.nn.Linear(3, 3), pnn.Linear(3, 3)


@pytest.mark.parametrize("cls", [NotTensor, ToDouble, FirstRow, BadInverse, BadTuple, InverseDouble, InverseRow],
                         ids=lambda c: c[0].__name__)
def test_errors_on_first_registration(cls):
    t, p = _fresh()
    same_error(lambda: TP.register_parametrization(t, "weight", cls[0]()),
               lambda: PP.register_parametrization(p, "weight", cls[1]()))


@pytest.mark.parametrize("cls", [NotTensor, ToDouble, FirstRow, InverseDouble, InverseRow, BadInverse],
                         ids=lambda c: c[0].__name__)
def test_errors_on_chained_registration(cls):
    t, p = _fresh()
    TP.register_parametrization(t, "weight", Symmetric[0]())
    PP.register_parametrization(p, "weight", Symmetric[1]())
    same_error(lambda: TP.register_parametrization(t, "weight", cls[0]()),
               lambda: PP.register_parametrization(p, "weight", cls[1]()))


def test_other_errors():
    t, p = _fresh()
    same_error(lambda: TP.register_parametrization(t, "foo", Symmetric[0]()),
               lambda: PP.register_parametrization(p, "foo", Symmetric[1]()))
    same_error(lambda: TP.remove_parametrizations(t, "bias"), lambda: PP.remove_parametrizations(p, "bias"))
    TP.register_parametrization(t, "weight", Symmetric[0]())
    PP.register_parametrization(p, "weight", Symmetric[1]())
    same_error(lambda: setattr(t, "weight", torch.zeros(3, 3)), lambda: setattr(p, "weight", pullback.zeros(3, 3)))
    same_error(lambda: setattr(t, "weight", torch.nn.Parameter(torch.zeros(3, 3))),
               lambda: setattr(p, "weight", pnn.Parameter(pullback.zeros(3, 3))))
    same_error(lambda: TP.remove_parametrizations(t, "bias"), lambda: PP.remove_parametrizations(p, "bias"))
    same_error(lambda: TP.ParametrizationList([], torch.zeros(2)),
               lambda: PP.ParametrizationList([], pullback.zeros(2)))
    t, p = _fresh()
    TP.register_parametrization(t, "weight", Sum2[0](), unsafe=True)
    PP.register_parametrization(p, "weight", Sum2[1](), unsafe=True)
    same_error(lambda: TP.remove_parametrizations(t, "weight", leave_parametrized=False),
               lambda: PP.remove_parametrizations(p, "weight", leave_parametrized=False))
    same_error(lambda: setattr(t, "weight", torch.zeros(3, 3, dtype=torch.float64)),
               lambda: setattr(p, "weight", pullback.zeros(3, 3, dtype=pullback.float64)))
    t.parametrizations.weight[0].right_inverse = lambda X: [X]
    p.parametrizations.weight[0].right_inverse = lambda X: [X]
    same_error(lambda: setattr(t, "weight", torch.zeros(3, 3)), lambda: setattr(p, "weight", pullback.zeros(3, 3)))
    t.parametrizations.weight[0].right_inverse = lambda X: 5
    p.parametrizations.weight[0].right_inverse = lambda X: 5
    same_error(lambda: setattr(t, "weight", torch.zeros(3, 3)), lambda: setattr(p, "weight", pullback.zeros(3, 3)))


# ------------------------------------------------------------------- parametrizations.weight_norm
def _conv_pair():
    torch.manual_seed(1)
    t = torch.nn.Conv2d(2, 3, 3).double()
    p = pnn.Conv2d(2, 3, 3).double()
    load_from_torch(p, t)
    return t, p


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, None])
def test_norm_except_dim_and_weight_norm_primitive(dim):
    from pullback.nn.utils.weight_norm import norm_except_dim, _weight_norm
    v = torch.randn(2, 3, 4, dtype=torch.float64)
    d = -1 if dim is None else dim
    close(norm_except_dim(pb(v), 2, d), torch.norm_except_dim(v, 2, d))
    g = torch.norm_except_dim(v, 2, d) * 1.5
    close(_weight_norm(pb(v), pb(g), d), torch._weight_norm(v, g, d))


@pytest.mark.parametrize("dim", [0, 1, -1, None])
@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_weight_norm_parametrization(kind, dim):
    t, p = pair(3, 4) if kind == "linear" else _conv_pair()
    torch.nn.utils.parametrizations.weight_norm(t, dim=dim)
    pnn.utils.parametrizations.weight_norm(p, dim=dim)
    keys = ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert list(p.state_dict()) == list(t.state_dict()) == keys
    assert repr(p) == repr(t)
    for k in keys:
        close(p.state_dict()[k], t.state_dict()[k])
    with torch.no_grad():
        t.parametrizations.weight.original0.mul_(1.7)
    load_from_torch(p, t)
    x = torch.randn(2, 3, dtype=torch.float64) if kind == "linear" else torch.randn(2, 2, 5, 5, dtype=torch.float64)
    out_t, out_p = t(x), p(pb(x))
    close(out_p, out_t)
    out_t.pow(2).sum().backward()
    out_p.pow(2).sum().backward()
    for i in (0, 1):
        close(getattr(p.parametrizations.weight, f"original{i}").grad,
              getattr(t.parametrizations.weight, f"original{i}").grad, 1e-10)


def test_weight_norm_gradcheck():
    _, p = pair(3, 4)
    pnn.utils.parametrizations.weight_norm(p)
    x = pullback.tensor(np.random.default_rng(3).standard_normal((2, 3)))
    wn = p.parametrizations.weight[0]
    g = p.parametrizations.weight.original0.detach().clone().requires_grad_(True)
    v = p.parametrizations.weight.original1.detach().clone().requires_grad_(True)
    assert pullback.autograd.gradcheck(lambda g, v: pnn.functional.linear(x, wn(g, v)), (g, v))
    assert pullback.autograd.gradgradcheck(lambda g, v: pnn.functional.linear(x, wn(g, v)), (g, v))


# ---------------------------------------------------------------- parametrizations.spectral_norm
def _sgd_steps(t, p, x, steps=4):
    """Training steps in both libraries: outputs, gradients, buffers compared at each."""
    opt_t = torch.optim.SGD(t.parameters(), lr=0.1)
    opt_p = pullback.optim.SGD(p.parameters(), lr=0.1)
    for _ in range(steps):
        opt_t.zero_grad()
        opt_p.zero_grad()
        out_t, out_p = t(x), p(pb(x))
        close(out_p, out_t, 1e-10)
        out_t.pow(2).sum().backward()
        out_p.pow(2).sum().backward()
        for (n, a), (m, b) in zip(t.named_parameters(), p.named_parameters(), strict=True):
            assert n == m
            close(b.grad, a.grad, 1e-9)
        for (n, a), (m, b) in zip(t.named_buffers(), p.named_buffers(), strict=True):
            assert n == m
            close(b, a, 1e-10)
        opt_t.step()
        opt_p.step()


SN_CASES = {
    "linear": (lambda lib: lib.nn.Linear(4, 5), (3, 4)),
    "conv2d": (lambda lib: lib.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    "conv_transpose2d": (lambda lib: lib.nn.ConvTranspose2d(2, 3, 3), (2, 2, 4, 4)),
}


@pytest.mark.parametrize("case", list(SN_CASES))
@pytest.mark.parametrize("iters", [1, 3])
def test_spectral_norm_parametrization(case, iters):
    make, shape = SN_CASES[case]
    torch.manual_seed(2)
    t, p = make(torch).double(), make(pullback).double()
    load_from_torch(p, t)
    torch.nn.utils.parametrizations.spectral_norm(t, n_power_iterations=iters)
    pnn.utils.parametrizations.spectral_norm(p, n_power_iterations=iters)
    assert list(p.state_dict()) == list(t.state_dict())
    assert p.parametrizations.weight[0].dim == t.parametrizations.weight[0].dim
    load_from_torch(p, t)  # torch's random u and v: the streams differ
    x = torch.randn(*shape, dtype=torch.float64)
    _sgd_steps(t, p, x)
    t.eval()
    p.eval()
    u = p.parametrizations.weight[0]._u.detach().clone()
    close(p(pb(x)), t(x), 1e-10)
    close(p.parametrizations.weight[0]._u, u, 0)        # eval mode: no power iteration
    close(p.weight, t.weight, 1e-10)


def test_spectral_norm_one_dim_weight_and_errors():
    t, p = torch.nn.Linear(3, 3), pnn.Linear(3, 3)
    torch.nn.utils.parametrizations.spectral_norm(t, "bias")
    pnn.utils.parametrizations.spectral_norm(p, "bias")
    load_from_torch(p, t)
    close(p.bias, t.bias, 1e-6)   # float32: normalize
    t, p = _fresh()
    same_error(lambda: torch.nn.utils.parametrizations.spectral_norm(t, "foo"),
               lambda: pnn.utils.parametrizations.spectral_norm(p, "foo"))
    same_error(lambda: torch.nn.utils.parametrizations.spectral_norm(t, dim=2),
               lambda: pnn.utils.parametrizations.spectral_norm(p, dim=2))
    same_error(lambda: torch.nn.utils.parametrizations.spectral_norm(t, n_power_iterations=0),
               lambda: pnn.utils.parametrizations.spectral_norm(p, n_power_iterations=0))


# ------------------------------------------------------------------ parametrizations.orthogonal
def _holder(lib, shape):
    """A module with one float64 Parameter ``weight`` of ``shape`` (a batch of matrices too)."""
    m = lib.nn.Module()
    m.weight = lib.nn.Parameter(lib.zeros(*shape, dtype=lib.float64))
    return m


ORTH_SHAPES = [(3, 3), (5, 3), (3, 5), (2, 4, 4), (2, 3, 5)]


@pytest.mark.parametrize("trivial", [True, False], ids=["base", "no_base"])
@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder", None])
@pytest.mark.parametrize("shape", ORTH_SHAPES, ids=str)
def test_orthogonal(shape, orth_map, trivial):
    torch.manual_seed(4)
    t, p = _holder(torch, shape), _holder(pullback, shape)
    with torch.no_grad():
        t.weight.normal_()
    load_from_torch(p, t)
    torch.nn.utils.parametrizations.orthogonal(t, orthogonal_map=orth_map, use_trivialization=trivial)
    pnn.utils.parametrizations.orthogonal(p, orthogonal_map=orth_map, use_trivialization=trivial)
    assert list(p.state_dict()) == list(t.state_dict())
    assert p.parametrizations.weight[0].orthogonal_map.name == t.parametrizations.weight[0].orthogonal_map.name
    noise = 0.3 * torch.randn(*shape, dtype=torch.float64)
    if t.parametrizations.weight[0].orthogonal_map.name == "householder":
        noise = noise.tril(-1) if shape[-2] >= shape[-1] else noise.triu(1)   # the diagonal holds signs
    with torch.no_grad():   # move off the starting point (-I with a base): a generic X
        t.parametrizations.weight.original.add_(noise)
    load_from_torch(p, t)   # torch's base (its random completion of a tall matrix) too
    close(p.weight, t.weight, 1e-10)
    q = p.weight.detach().numpy()
    gram = q.swapaxes(-1, -2) @ q if shape[-2] >= shape[-1] else q @ q.swapaxes(-1, -2)
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(min(shape[-2:])), gram.shape), atol=1e-10)
    probe = torch.randn(*shape, dtype=torch.float64)
    (t.weight * probe).sum().backward()
    (p.weight * pb(probe)).sum().backward()
    close(p.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad, 1e-9)
    # assignment: an orthonormal matrix comes back as it was (or the maps refuse, as torch's do)
    target = torch.linalg.qr(torch.randn(*shape, dtype=torch.float64) if shape[-2] >= shape[-1]
                             else torch.randn(*shape, dtype=torch.float64).mT)[0]
    target = target if shape[-2] >= shape[-1] else target.mT
    map_name = t.parametrizations.weight[0].orthogonal_map.name
    if not trivial and map_name != "householder":
        same_error(lambda: setattr(t, "weight", target), lambda: setattr(p, "weight", pb(target)))
        return
    t.weight = target
    p.weight = pb(target)
    close(p.weight, target, 1e-10)
    close(p.weight, t.weight, 1e-10)
    close(p.parametrizations.weight.original, t.parametrizations.weight.original, 1e-10)


def test_orthogonal_training_steps():
    torch.manual_seed(5)
    t, p = torch.nn.Linear(3, 5).double(), pnn.Linear(3, 5).double()
    torch.nn.utils.parametrizations.orthogonal(t)
    pnn.utils.parametrizations.orthogonal(p)
    load_from_torch(p, t)
    _sgd_steps(t, p, torch.randn(4, 3, dtype=torch.float64))


def test_orthogonal_gradcheck():
    for orth_map in ("matrix_exp", "cayley", "householder"):
        m = _holder(pullback, (4, 3))
        pnn.utils.parametrizations.orthogonal(m, orthogonal_map=orth_map, use_trivialization=False)
        f = m.parametrizations.weight[0]
        x = pullback.tensor(np.random.default_rng(6).standard_normal((4, 3)) * 0.5, requires_grad=True)
        if orth_map == "householder":   # the diagonal holds the columns' signs, not parameters
            assert pullback.autograd.gradcheck(lambda y: f(y.tril(-1) + pullback.eye(4, 3, dtype=y.dtype)), (x,))
        else:
            assert pullback.autograd.gradcheck(f, (x,))


def test_orthogonal_errors():
    t, p = _fresh()
    same_error(lambda: torch.nn.utils.parametrizations.orthogonal(t, "bias"),
               lambda: pnn.utils.parametrizations.orthogonal(p, "bias"))
    same_error(lambda: torch.nn.utils.parametrizations.orthogonal(t, "foo"),
               lambda: pnn.utils.parametrizations.orthogonal(p, "foo"))
    same_error(lambda: torch.nn.utils.parametrizations.orthogonal(t, orthogonal_map="qr"),
               lambda: pnn.utils.parametrizations.orthogonal(p, orthogonal_map="qr"))
    torch.nn.utils.parametrizations.orthogonal(t)
    pnn.utils.parametrizations.orthogonal(p)
    same_error(lambda: setattr(t, "weight", torch.zeros(3, 2)), lambda: setattr(p, "weight", pullback.zeros(3, 2)))


# ----------------------------------------------------------------- old-style weight norm, spectral norm
def test_old_weight_norm():
    t, p = pair(3, 4)
    with pytest.warns(FutureWarning) as wt:
        torch.nn.utils.weight_norm(t)
    with pytest.warns(FutureWarning) as wp:
        pnn.utils.weight_norm(p)
    assert str(wp[0].message) == str(wt[0].message)
    assert list(p.state_dict()) == list(t.state_dict()) == ["bias", "weight_g", "weight_v"]
    close(p.weight_g, t.weight_g)
    assert p.weight.grad_fn is not None and not isinstance(p.weight, pnn.Parameter)
    with torch.no_grad():
        t.weight_g.mul_(2)
    load_from_torch(p, t)
    x = torch.randn(2, 3, dtype=torch.float64)
    out_t, out_p = t(x), p(pb(x))
    close(out_p, out_t)
    out_t.sum().backward()
    out_p.sum().backward()
    close(p.weight_g.grad, t.weight_g.grad)
    close(p.weight_v.grad, t.weight_v.grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: torch.nn.utils.weight_norm(t), lambda: pnn.utils.weight_norm(p))
    same_error(lambda: torch.nn.utils.remove_weight_norm(t, "bias"), lambda: pnn.utils.remove_weight_norm(p, "bias"))
    torch.nn.utils.remove_weight_norm(t)
    pnn.utils.remove_weight_norm(p)
    assert list(p.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    assert isinstance(p.weight, pnn.Parameter) and not p._forward_pre_hooks
    close(p.weight, t.weight)


@pytest.mark.parametrize("dim", [1, None])
def test_old_weight_norm_dims(dim):
    t, p = _conv_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(t, dim=dim)
        pnn.utils.weight_norm(p, dim=dim)
    close(p.weight_g, t.weight_g)
    x = torch.randn(1, 2, 4, 4, dtype=torch.float64)
    close(p(pb(x)), t(x))


@pytest.mark.parametrize("case", list(SN_CASES))
def test_old_spectral_norm(case):
    make, shape = SN_CASES[case]
    torch.manual_seed(3)
    t, p = make(torch).double(), make(pullback).double()
    load_from_torch(p, t)
    torch.nn.utils.spectral_norm(t, n_power_iterations=2)
    pnn.utils.spectral_norm(p, n_power_iterations=2)
    assert list(p.state_dict()) == list(t.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    load_from_torch(p, t)
    x = torch.randn(*shape, dtype=torch.float64)
    _sgd_steps(t, p, x)
    t.eval()
    p.eval()
    u = p.weight_u.detach().clone()
    close(p(pb(x)), t(x), 1e-10)
    close(p.weight_u, u, 0)
    same_error(lambda: torch.nn.utils.spectral_norm(t), lambda: pnn.utils.spectral_norm(p))
    same_error(lambda: torch.nn.utils.remove_spectral_norm(t, "bias"),
               lambda: pnn.utils.remove_spectral_norm(p, "bias"))
    torch.nn.utils.remove_spectral_norm(t)
    pnn.utils.remove_spectral_norm(p)
    assert list(p.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    close(p.weight, t.weight, 1e-10)


def test_old_spectral_norm_errors():
    t, p = _fresh()
    same_error(lambda: torch.nn.utils.spectral_norm(t, n_power_iterations=0),
               lambda: pnn.utils.spectral_norm(p, n_power_iterations=0))
    same_error(lambda: torch.nn.utils.spectral_norm(t, "foo"), lambda: pnn.utils.spectral_norm(p, "foo"))


def test_functional_call_and_func_grad_through_a_parametrization():
    t, p = pair(3, 4)
    torch.nn.utils.parametrizations.weight_norm(t)
    pnn.utils.parametrizations.weight_norm(p)
    x = torch.randn(2, 3, dtype=torch.float64)
    gt = torch.func.grad(lambda ps: torch.func.functional_call(t, ps, (x,)).pow(2).sum())(dict(t.named_parameters()))
    gp = pullback.func.grad(lambda ps: pullback.func.functional_call(p, ps, (pb(x),)).pow(2).sum())(
        dict(p.named_parameters()))
    assert list(gp) == list(gt)
    for k in gt:
        close(gp[k], gt[k], 1e-10)
