"""The JVP rules written for primitives that fell back to the double-VJP rule before they were
declared: against float64 central differences and against torch's forward mode."""
import numpy as np
import pytest

import pullback as pb
import pullback.nn.functional as F
from pullback.func import jacfwd, jacrev

RNG = np.random.default_rng(7)


def central_jacobian(f, x, eps=1e-6):
    """d f(x).flatten() / d x.flatten() by central differences (f on NumPy float64 arrays)."""
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))).reshape(-1) / (2 * eps))
    return np.stack(cols, axis=-1)


def on_arrays(fn):
    return lambda a: fn(pb.tensor(a)).numpy()


CASES = {
    "norm_p2_dim1": lambda x: pb.norm(x, 2, dim=1),
    "norm_p3": lambda x: pb.norm(x, 3),
    "norm_p1.5_keepdim": lambda x: pb.norm(x, 1.5, dim=0, keepdim=True),
    "norm_inf": lambda x: pb.norm(x, float("inf"), dim=1),
    "nuclear_norm": lambda x: pb.norm(x, "nuc"),
    "cross_entropy_mean": lambda x: F.cross_entropy(x, pb.tensor([0, 2, 1])),
    "cross_entropy_none": lambda x: F.cross_entropy(x, pb.tensor([0, 2, 1]), reduction="none"),
    "cross_entropy_weight_ignore": lambda x: F.cross_entropy(
        x, pb.tensor([0, 2, 1]), weight=pb.tensor([1.0, 2.0, 0.5], dtype=pb.float64), ignore_index=2),
}


@pytest.mark.parametrize("name", CASES)
def test_jvp_matches_central_differences(name):
    fn = CASES[name]
    x = RNG.standard_normal((3, 3))
    jac = jacfwd(fn)(pb.tensor(x)).numpy().reshape(-1, x.size)
    np.testing.assert_allclose(jac, central_jacobian(on_arrays(fn), x).reshape(-1, x.size), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", [n for n in CASES if n != "nuclear_norm"])
def test_forward_over_reverse_matches_torch(name):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    torch_cases = {
        "norm_p2_dim1": lambda x: torch.norm(x, 2, dim=1),
        "norm_p3": lambda x: torch.norm(x, 3),
        "norm_p1.5_keepdim": lambda x: torch.norm(x, 1.5, dim=0, keepdim=True),
        "norm_inf": lambda x: torch.norm(x, float("inf"), dim=1),
        "cross_entropy_mean": lambda x: TF.cross_entropy(x, torch.tensor([0, 2, 1])),
        "cross_entropy_none": lambda x: TF.cross_entropy(x, torch.tensor([0, 2, 1]), reduction="none"),
        "cross_entropy_weight_ignore": lambda x: TF.cross_entropy(
            x, torch.tensor([0, 2, 1]), weight=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64), ignore_index=2),
    }
    x = RNG.standard_normal((3, 3))
    ours = jacfwd(jacrev(lambda a: CASES[name](a).sum()))(pb.tensor(x)).numpy()
    theirs = torch.func.jacfwd(torch.func.jacrev(lambda a: torch_cases[name](a).sum()))(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_nuclear_norm_jvp_matches_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4))
    ours = jacfwd(lambda a: pb.norm(a, "nuc"))(pb.tensor(x)).numpy()
    theirs = torch.func.jacfwd(lambda a: torch.norm(a, "nuc"))(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
