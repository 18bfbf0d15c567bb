"""inf and nan arithmetic is silent, as PyTorch's is: NumPy's floating-point RuntimeWarnings raised
inside pullback are filtered (pullback/_backend.py), while the user's own NumPy code keeps them."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pullback

PROGRAM = textwrap.dedent("""
    import warnings
    warnings.simplefilter("error")            # any warning that escapes fails the program
    import numpy as np
    import pullback as t
    x = t.tensor([0., -1., 1e30, float("inf"), float("nan")], requires_grad=True)
    for name in ["log", "sqrt", "rsqrt", "reciprocal", "exp", "log1p", "log2", "log10", "acos", "asin",
                 "atanh", "tan", "sinh", "cosh", "expm1", "sigmoid", "tanh"]:
        getattr(t, name)(x).sum().backward()
    x / t.tensor(0.); x * x; x ** 2; t.tensor([0.]) / t.tensor([0.]); t.tensor([1e38]) * 10
    t.tensor([1e30, 1e-30]).pow(10); t.tensor([1e30, 1e30]).prod(); x.sum()
    t.nn.functional.softplus(x); t.nn.functional.log_softmax(x, 0); t.nn.functional.softmax(x, 0)
    t.logsumexp(x, 0)
    try:
        np.log(np.zeros(1))                   # the user's own NumPy call still warns
    except RuntimeWarning as e:
        print("numpy warns:", e)
""")


def test_inf_and_nan_arithmetic_is_silent_but_numpy_keeps_its_warnings():
    out = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "numpy warns: divide by zero encountered in log"


def test_the_silenced_values_are_torch_values():
    torch = pytest.importorskip("torch")
    values = [0., -1., 1e30, float("inf"), float("nan")]
    for name in ["log", "sqrt", "reciprocal", "exp", "atanh", "cosh"]:
        ours = getattr(pullback, name)(pullback.tensor(values)).numpy()
        theirs = getattr(torch, name)(torch.tensor(values)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, err_msg=name)   # (nan equals nan here)
    both_infinities = [float("inf"), -float("inf")]
    np.testing.assert_array_equal(pullback.tensor(both_infinities).sum().numpy(),
                                  torch.tensor(both_infinities).sum().numpy())
