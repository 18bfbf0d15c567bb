"""Printing follows PyTorch's default format: checked on literal examples, and against torch on
many arrays (magnitudes, shapes, dtypes, summarization) where torch is installed."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import pullback

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def test_literal_examples():
    assert repr(pullback.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(pullback.tensor([0.5, 1.0, -0.5])) == "tensor([ 0.5000,  1.0000, -0.5000])"
    assert repr(pullback.tensor([[4.0, 0.0], [3.0, 2.0], [0.0, 6.0]])) == (
        "tensor([[4., 0.],\n        [3., 2.],\n        [0., 6.]])")
    assert repr(pullback.tensor([1, 2, 3])) == "tensor([1, 2, 3])"
    assert repr(pullback.tensor([True, False])) == "tensor([ True, False])"
    assert repr(pullback.tensor(3.5)) == "tensor(3.5000)"
    assert repr(pullback.tensor([1.0], dtype=pullback.float64)) == "tensor([1.], dtype=pullback.float64)"
    assert repr(pullback.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(pullback.zeros(0)) == "tensor([])"
    assert repr(pullback.zeros(2, 0)) == "tensor([], size=(2, 0))"
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(pullback.sin(x * 0)) == "tensor([0., 0.], grad_fn=<SinBackward0>)"
    assert repr(pullback.Size([2, 3])) == "pullback.Size([2, 3])"
    assert f"{pullback.tensor(2.5):.2f}" == "2.50"


def _same_as_torch(array):
    ours = repr(pullback.tensor(array)).replace("pullback.", "torch.")
    theirs = repr(torch.tensor(array))
    assert ours == theirs


@needs_torch
@pytest.mark.parametrize("array", [
    np.array([1e8, 1.0], dtype=np.float32), np.array([1e9, 2.0]), np.array([0.1, 123456.0], dtype=np.float32),
    np.array([np.nan, np.inf, -np.inf, 1.0], dtype=np.float32), np.array([np.nan, 2.0], dtype=np.float32),
    np.arange(2000, dtype=np.float32).reshape(40, 50), np.arange(1500, dtype=np.int64),
    np.linspace(-1, 1, 30, dtype=np.float32).reshape(2, 3, 5), np.array([[1, -200], [30000, 4]], dtype=np.int32),
    np.array([1.5, 2.0], dtype=np.float16), np.zeros((2, 3, 0), dtype=np.float32), np.array([-0.0, 0.0], dtype=np.float32),
    np.random.default_rng(0).standard_normal((7, 13)).astype(np.float32) * 1e-3,
    np.random.default_rng(1).standard_normal((3, 40)).astype(np.float32),
    np.full(4, -1.17549435e-38), np.full(5, 1e-8, dtype=np.float32), np.full(5, -10 ** 6, dtype=np.int32),
    np.array(7, dtype=np.int8), np.array([True]), np.array([[1e-10, 1.0]], dtype=np.float64),
], ids=lambda a: f"{a.dtype}{a.shape}")
def test_matches_torch_on_examples(array):
    _same_as_torch(array)


@needs_torch
@settings(max_examples=300, deadline=None)
@given(st.one_of(
    hnp.arrays(dtype=st.sampled_from([np.float32, np.float64]),
               shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=6),
               elements=st.floats(-1e6, 1e6, width=32) | st.sampled_from([0.0, 1.0, -2.0, 0.5, 1e-5, 3e7])),
    hnp.arrays(dtype=st.sampled_from([np.int64, np.int32]),
               shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=6),
               elements=st.integers(-10 ** 6, 10 ** 6))))
def test_matches_torch_on_random_arrays(array):
    _same_as_torch(array)


@needs_torch
def test_grad_fn_suffix_wraps_like_torch():
    values = np.linspace(-1, 1, 12).reshape(2, 6)
    ours = pullback.tensor(values, requires_grad=True) * 2
    theirs = torch.tensor(values, requires_grad=True) * 2
    assert repr(ours).replace("pullback.", "torch.") == repr(theirs)
