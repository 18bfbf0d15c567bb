"""The backward engine's phases against torch: the order nodes run in (seen by hooks), cotangents
of 0-dim chains, buffers summed from several consumers and outputs, a leaf as the root, and
``sum_to`` (now beside the other unbroadcasting helpers in ``_ops/_rules.py``)."""
import numpy as np
import pytest

import pullback
from pullback._ops._rules import is_broadcastable_to, sum_to

torch = pytest.importorskip("torch")


def _hook_order(m, build):
    """The names of the tensors whose hooks ran, in order, in one backward of ``build(m, x)``."""
    order = []
    x = m.tensor([0.3, -0.7, 1.1], dtype=m.float64, requires_grad=True)
    named = build(m, x)
    for name, t in named.items():
        t.register_hook(lambda g, name=name: order.append(name))
    named["out"].sum().backward()
    return order, x.grad.numpy()


def _branches(m, x):
    # Nodes become ready out of creation order: `c` (made last) is ready before `a` and `b` are,
    # and `b` is ready while the later-created `d` is still waiting for `e`.
    a = x.sin()
    b = x * 2.0
    c = a.exp()
    d = b + c
    e = d.tanh() * a
    out = e + d
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "out": out}


def _ladder(m, x):
    # Ten rungs, each used by the next rung and by the output: many nodes ready at once.
    named, y, total = {}, x, 0.0
    for k in range(10):
        y = (y * 0.9).cos()
        named[f"r{k}"] = y
        total = total + y * (k + 1)
    named["out"] = total
    return named


@pytest.mark.parametrize("build", [_branches, _ladder])
def test_nodes_run_in_torch_order_and_gradients_match(build):
    order, grad = _hook_order(pullback, build)
    torch_order, torch_grad = _hook_order(torch, build)
    assert order == torch_order
    np.testing.assert_allclose(grad, torch_grad, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chain_of_0_dim_ops(dtype):
    # Arithmetic on 0-dim arrays gives NumPy scalars: the engine takes them as cotangents.
    def run(m):
        x = m.tensor(0.75, dtype=getattr(m, dtype), requires_grad=True)
        y = x
        for _ in range(50):
            y = y * 1.01 + y.sin() * 0.1
        y.backward()
        return x.grad
    g, tg = run(pullback), run(torch)
    assert g.shape == tg.shape == ()
    assert str(g.dtype).split(".")[1] == str(tg.dtype).split(".")[1]
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-5 if dtype == "float32" else 1e-12)


def test_buffers_sum_contributions_of_several_consumers_and_outputs():
    def run(m):
        x = m.tensor(np.linspace(-1.0, 1.0, 6), requires_grad=True)
        p, q = x.split(3)            # a node with two outputs, each used twice
        y = (p * q).sum() + (p.exp() + q.sin()).sum() + x.sum() + x.sum()
        g = m.ones(())
        y.backward(g)
        y2 = (x * x).sum()
        y2.backward()                # accumulates into the .grad of the first pass
        return x.grad.numpy()
    np.testing.assert_allclose(run(pullback), run(torch), rtol=1e-12)


def test_user_gradients_are_never_written_into():
    # A buffered first contribution is held by reference: a later one is summed into a copy.
    v = pullback.tensor([1.0, 2.0, 3.0])
    x = pullback.tensor([0.5, 0.25, 2.0], requires_grad=True)
    y = x * 1.0
    (y + y).backward(v)
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    xt = torch.tensor([0.5, 0.25, 2.0], requires_grad=True)
    yt = xt * 1.0
    (yt + yt).backward(torch.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_grad_of_a_leaf_root_with_respect_to_itself():
    def run(m):
        x = m.tensor([1.0, -2.0, 4.0], requires_grad=True)
        v = m.tensor([0.5, 3.0, -1.0])
        (g,) = m.autograd.grad(x, [x], v)
        return g.numpy(), x.grad
    (g, grad), (tg, tgrad) = run(pullback), run(torch)
    np.testing.assert_array_equal(g, tg)
    assert grad is None and tgrad is None


@pytest.mark.parametrize("shape, target", [((2, 3), (1, 3)), ((2, 3), (2, 1)), ((4, 2, 3), (3,)),
                                           ((4, 2, 3), (2, 1)), ((2, 3), (2, 3)), ((5,), ()),
                                           ((3, 1, 2), (1, 1, 1))])
def test_sum_to_matches_torch_sum_to_size(shape, target):
    a = np.random.default_rng(0).standard_normal(shape)
    expected = torch.tensor(a).sum_to_size(target).numpy()
    assert is_broadcastable_to(target, shape)
    r = sum_to(a, target)
    assert tuple(np.shape(r)) == target
    np.testing.assert_allclose(r, expected, rtol=1e-12)
    # On Tensors it is differentiable: the gradient broadcasts the cotangent back.
    x = pullback.tensor(a, requires_grad=True)
    w = np.random.default_rng(1).standard_normal(target)
    (sum_to(x, target) * pullback.tensor(w)).sum().backward()
    xt = torch.tensor(a, requires_grad=True)
    (xt.sum_to_size(target) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape, target", [((3,), (2,)), ((2, 3), (3,)), ((1, 2), (2, 1))])
def test_is_broadcastable_to_refuses_what_torch_refuses(shape, target):
    with pytest.raises(RuntimeError):
        torch.zeros(shape).expand(target)
    assert not is_broadcastable_to(shape, target)


def test_inference_tensors_report_is_inference_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (pullback, torch):
        x = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            inside = x * 2
        outside = x * 2
        assert (inside.is_inference(), outside.is_inference()) == (True, False)


def test_modes_stay_per_thread_with_the_fast_path_counts():
    # bind skips the thread-local read while no thread has left a mode's default: a thread under
    # no_grad / inference_mode / anomaly mode must not change what another records, and the counts
    # come back to 0.
    import threading
    from pullback.autograd import anomaly_mode, grad_mode
    x = pullback.ones(2, requires_grad=True)
    entered, release, seen = threading.Event(), threading.Event(), {}

    def other():
        with pullback.no_grad(), pullback.inference_mode(), pullback.autograd.detect_anomaly():
            seen["inside"] = (x * 2).requires_grad
            entered.set()
            release.wait()

    worker = threading.Thread(target=other)
    worker.start()
    entered.wait()
    y = x * 2
    assert y.requires_grad and not y.is_inference() and not pullback.is_anomaly_enabled()
    release.set()
    worker.join()
    assert seen["inside"] is False
    assert grad_mode.GRAD_OFF_THREADS[0] == grad_mode.INFERENCE_THREADS[0] == anomaly_mode.ENABLED_THREADS[0] == 0
