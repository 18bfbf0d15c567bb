"""torch.conv2d, torch.pixel_shuffle, torch.dropout...: the nn.functional operations torch also
exposes at the top level, called positionally as torch's are, against torch's results and gradients."""
import numpy as np
import pytest
import torch

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
IN_PLACE = {"celu_": [0.7], "selu_": [], "relu_": [], "threshold_": [0.1, -2.0]}


def test_every_export_is_covered_and_is_a_torch_top_level_function():
    assert set(EXPORTS) == set(CASES) | set(IN_PLACE)
    for name in EXPORTS:
        assert callable(getattr(torch, name)) and getattr(pullback, name) is EXPORTS[name]


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
