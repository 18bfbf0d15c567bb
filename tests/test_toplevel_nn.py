"""torch.conv2d, torch.pixel_shuffle, torch.dropout...: the nn.functional operations torch also
exposes at the top level, called positionally as torch's are, against torch's results and gradients."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import pullback
from pullback.nn._toplevel import EXPORTS

rng = np.random.default_rng(0)


def arr(*shape):
    return rng.standard_normal(shape)


# name: (float64 arrays, then the other positional arguments)
CASES = {
    "conv1d": ([arr(2, 3, 7), arr(4, 3, 3), arr(4)], [1, 1]),
    "conv2d": ([arr(1, 2, 5, 5), arr(3, 2, 3, 3), arr(3)], [2, 1, 1, 1]),
    "conv3d": ([arr(1, 2, 4, 4, 4), arr(2, 2, 2, 2, 2)], [None, 1, 0]),
    "conv_transpose1d": ([arr(2, 3, 5), arr(3, 2, 3)], [None, 2]),
    "conv_transpose2d": ([arr(1, 2, 4, 4), arr(2, 3, 3, 3), arr(3)], [1, 1]),
    "conv_transpose3d": ([arr(1, 2, 3, 3, 3), arr(2, 1, 2, 2, 2)], []),
    "avg_pool1d": ([arr(2, 3, 8)], [3, 2, 1]),
    "adaptive_avg_pool1d": ([arr(2, 3, 7)], [3]),
    "max_pool1d": ([arr(2, 3, 8)], [2]),
    "max_pool2d": ([arr(1, 2, 6, 6)], [3, 2, 1]),
    "max_pool3d": ([arr(1, 2, 4, 4, 4)], [2]),
    "pixel_shuffle": ([arr(1, 8, 2, 3)], [2]),
    "pixel_unshuffle": ([arr(1, 2, 4, 6)], [2]),
    "channel_shuffle": ([arr(1, 6, 2, 2)], [3]),
    "celu": ([arr(3, 4)], [0.7]),
    "selu": ([arr(3, 4)], []),
    "hardshrink": ([arr(3, 4)], [0.3]),
    "threshold": ([arr(3, 4)], [0.1, -2.0]),
    "prelu": ([arr(2, 3, 4), np.array([0.1, 0.2, 0.3])], []),
    "cosine_similarity": ([arr(3, 5), arr(3, 5)], [1]),
    "pairwise_distance": ([arr(3, 5), arr(3, 5)], [1.5]),
    "pdist": ([arr(4, 3)], [2]),
    "bilinear": ([arr(3, 2), arr(3, 4), arr(5, 2, 4), arr(5)], []),
    "rms_norm": ([arr(2, 3, 4)], [(3, 4)]),
    "dropout": ([arr(3, 4)], [0.5, False]),
    "alpha_dropout": ([arr(3, 4)], [0.5, False]),
    "feature_alpha_dropout": ([arr(3, 4)], [0.5, False]),
}
class Fixed:
    """A float array that becomes a Tensor which does not require grad."""

    def __init__(self, array):
        self.array = array


# torch's own top-level signatures (different from nn.functional's): every argument positional, in
# torch's order; float arrays become Tensors that require grad, integer arrays plain Tensors
log_probs = np.log(np.random.default_rng(1).dirichlet(np.ones(4), size=(6, 2)))
SIGNATURE_CASES = {
    "embedding": [arr(5, 3), np.array([[0, 2], [4, 2]]), 2, False, False],
    "layer_norm": [arr(2, 3, 4), (3, 4), arr(3, 4), arr(3, 4), 1e-5, True],
    "group_norm": [arr(2, 4, 3), 2, arr(4), arr(4), 1e-5, True],
    "batch_norm": [arr(4, 3, 2), arr(3), arr(3), None, None, True, 0.1, 1e-5, False],
    "instance_norm": [arr(2, 3, 4), arr(3), arr(3), None, None, True, 0.1, 1e-5, False],
    "kl_div": [np.log(np.full((3, 4), 0.25)) + arr(3, 4) * 0.1, np.full((3, 4), 0.25), 1],
    "binary_cross_entropy_with_logits": [arr(3, 4), np.full((3, 4), 0.3), None, Fixed(np.linspace(0.5, 2, 4)), 2],
    "cosine_embedding_loss": [arr(3, 5), arr(3, 5), np.array([1, -1, 1]), 0.2, 0],
    "hinge_embedding_loss": [arr(3, 4), np.array([[1, -1, 1, -1]] * 3), 1.0, 2],
    "margin_ranking_loss": [arr(5), arr(5), np.array([1, -1, 1, 1, -1]), 0.1, 1],
    "poisson_nll_loss": [arr(3, 4), np.abs(arr(3, 4)), True, False, 1e-8, 1],
    "triplet_margin_loss": [arr(3, 4), arr(3, 4), arr(3, 4), 1.0, 2, 1e-6, True, 0],
    "ctc_loss": [log_probs, np.array([[1, 2], [3, 3]]), [6, 5], [2, 2], 0, 1, False],
    "rrelu": [arr(3, 4), 0.1, 0.3, False],
    "adaptive_max_pool1d": [arr(2, 3, 7), 3],
}
SIGNATURE_CASES.update(dropout=[arr(3, 4), 0.5, False], alpha_dropout=[arr(3, 4), 0.5, False],
                       feature_alpha_dropout=[arr(3, 4), 0.5, False])
IN_PLACE = {"celu_": [0.7], "selu_": [], "relu_": [], "threshold_": [0.1, -2.0]}


def test_every_export_is_covered_and_is_a_torch_top_level_function():
    assert set(EXPORTS) == set(CASES) | set(IN_PLACE) | set(SIGNATURE_CASES)
    for name in EXPORTS:
        assert callable(getattr(torch, name)) and getattr(pullback, name) is EXPORTS[name]


def _arguments(m, spec):
    def convert(a):
        if isinstance(a, np.ndarray):
            return m.tensor(a, requires_grad=a.dtype.kind == "f")
        if isinstance(a, Fixed):
            return m.tensor(a.array)
        return a
    return [convert(a) for a in spec]


@pytest.mark.parametrize("name", sorted(SIGNATURE_CASES))
def test_torch_top_level_signatures(name):
    ours, theirs = _arguments(pullback, SIGNATURE_CASES[name]), _arguments(torch, SIGNATURE_CASES[name])
    out, expected = getattr(pullback, name)(*ours), getattr(torch, name)(*theirs)
    if name == "adaptive_max_pool1d":
        np.testing.assert_array_equal(out[1].numpy(), expected[1].numpy())
        out, expected = out[0], expected[0]
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    cotangent = rng.standard_normal(tuple(expected.shape))
    out.backward(pullback.tensor(cotangent))
    expected.backward(torch.tensor(cotangent))
    for a, b in zip(ours, theirs):
        if isinstance(b, torch.Tensor) and b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_reduction_codes_and_their_errors_as_torch():
    x, y = np.log(np.full((3, 4), 0.25)) + arr(3, 4) * 0.1, np.full((3, 4), 0.25)
    for code in (0, 1, 2, 7):   # any other code is no reduction, as ATen's
        np.testing.assert_allclose(pullback.kl_div(pullback.tensor(x), pullback.tensor(y), code).numpy(),
                                   torch.kl_div(torch.tensor(x), torch.tensor(y), code).numpy(), rtol=1e-12)
    with pytest.raises(TypeError) as theirs:
        torch.kl_div(torch.tensor(x), torch.tensor(y), "mean")
    with pytest.raises(TypeError, match=r"^" + __import__("re").escape(str(theirs.value)) + "$"):
        pullback.kl_div(pullback.tensor(x), pullback.tensor(y), "mean")


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    arrays, rest = CASES[name]
    ours = [pullback.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = getattr(pullback, name)(*ours, *rest), getattr(torch, name)(*theirs, *rest)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    # torch's CELU backward scales by 1 / float32(alpha) (its derivative formula casts alpha to a
    # float), 1e-8 away from the exact 1 / alpha pullback uses
    grad_rtol = 1e-7 if name == "celu" else 1e-10
    cotangent = rng.standard_normal(tuple(expected.shape))
    out.backward(pullback.tensor(cotangent))
    expected.backward(torch.tensor(cotangent))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=grad_rtol, atol=1e-12)


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_forms_match_torch(name):
    x = arr(3, 4)
    ours, theirs = pullback.tensor(x), torch.tensor(x)
    result = getattr(pullback, name)(ours, *IN_PLACE[name])
    getattr(torch, name)(theirs, *IN_PLACE[name])
    assert result is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15, atol=0)


def test_dropout_in_training_keeps_torch_scaling():
    out = pullback.dropout(pullback.ones(1000), 0.25, True).numpy()
    assert set(np.unique(out)) <= {np.float32(0.0), np.float32(1 / 0.75)} and 0.15 < (out == 0).mean() < 0.35


@pytest.mark.parametrize("argument", ["weight", "pos_weight"])
def test_bce_with_logits_weights_that_require_grad_raise_as_torch(argument):
    def call(m):
        x, y = m.zeros(3, 4, requires_grad=True), m.full((3, 4), 0.5)
        return m.nn.functional.binary_cross_entropy_with_logits(x, y, **{argument: m.ones(4, requires_grad=True)})
    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError) as ours:
        call(pullback)
    assert str(ours.value) == str(theirs.value)
    with pullback.no_grad():
        call(pullback)   # (without grad mode nothing would flow into it: allowed, as torch's)
    with torch.no_grad():
        call(torch)
