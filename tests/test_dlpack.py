"""DLPack: zero-copy exchange with NumPy and torch, both ways, and torch's errors."""
import numpy as np
import pytest

import pullback


def test_numpy_both_ways_share_memory():
    a = np.arange(4.0)
    t = pullback.from_dlpack(a)
    t[1] = -1.0
    assert a[1] == -1.0
    back = np.from_dlpack(t)
    back[2] = 5.0
    assert t[2].item() == 5.0
    assert pullback.from_dlpack(pullback.utils.dlpack.to_dlpack(t)).tolist() == [0.0, -1.0, 5.0, 3.0]


def test_torch_both_ways_share_memory_and_dtype():
    torch = pytest.importorskip("torch")
    x = torch.arange(6, dtype=torch.int32).reshape(2, 3)
    p = pullback.from_dlpack(x)
    assert p.dtype is pullback.int32 and p.shape == (2, 3)
    p[0, 0] = 42
    assert x[0, 0].item() == 42
    q = pullback.linspace(0, 1, 5)
    t = torch.from_dlpack(q)
    t[-1] = 7.0
    assert q[-1].item() == 7.0 and t.dtype is torch.float32


def test_exporting_a_tensor_that_requires_grad_raises_torchs_error():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="Can't export tensors that require gradient, use tensor.detach()"):
        torch.from_dlpack(pullback.ones(2, requires_grad=True))
    assert torch.from_dlpack(pullback.ones(2, requires_grad=True).detach()).tolist() == [1.0, 1.0]


def test_from_dlpack_refuses_what_is_not_dlpack():
    with pytest.raises(TypeError, match="__dlpack__"):
        pullback.from_dlpack([1.0, 2.0])
    assert pullback.Tensor.__dlpack_device__(pullback.ones(1)) == (1, 0)
