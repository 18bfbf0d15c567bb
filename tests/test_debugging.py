"""Anomaly mode on real NaNs, saved-tensor hooks, node hooks, checkpointing, and graph pictures."""
import re
import tracemalloc
import warnings

import numpy as np
import pytest

import pullback
import pullback.nn as nn
from pullback.autograd import detect_anomaly, set_detect_anomaly
from pullback.autograd.graph import saved_tensors_hooks, to_dot, render
from pullback.utils.checkpoint import checkpoint, checkpoint_sequential


# ------------------------------------------------------------------ anomaly
@pytest.mark.parametrize("make, node", [
    (lambda a: (pullback.sqrt(a) * 0).sum(), "SqrtBackward0"),          # 0 / 0 at sqrt(0)
    (lambda a: (pullback.log(a) * 0).sum(), "LogBackward0"),            # 0 / 0 at log(0)
])
def test_anomaly_mode_names_the_nan_and_its_forward_line(make, node):
    a = pullback.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = detect_anomaly()
    with mode, warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        loss = make(a)
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    assert str(info.value) == f"Function '{node}' returned nan values in its 0th output."
    texts = [str(w.message) for w in caught]
    assert any(t.startswith(f"Error detected in {node}. Traceback of forward call that caused the error:")
               and "test_debugging.py" in t for t in texts)


def test_without_anomaly_mode_nan_passes_silently_as_in_pytorch():
    a = pullback.tensor([0.0], requires_grad=True)
    y = (pullback.sqrt(a) * 0).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # no RuntimeWarning from NumPy's 0/0 either
        y.backward()
    assert np.isnan(a.grad.item())


def test_anomaly_mode_names_where_a_saved_tensor_was_modified_and_where_the_graph_was_made():
    with set_detect_anomaly(True):
        x = pullback.randn(3, requires_grad=True)
        y = x * 2
        z = y * y
        y.add_(1)  # the line the error must name
        with pytest.raises(RuntimeError) as info:
            z.sum().backward()
        message = str(info.value)
        assert "Hint: the backtrace further above shows the operation that failed" in message
        assert re.search(r"last modified in place at .*test_debugging.py:\d+ \(y.add_\(1\)", message)
        w = (x * x).sum()
        w.backward()
        with pytest.raises(RuntimeError) as info:
            w.backward()
        assert "was made by the forward call at" in str(info.value) and "test_debugging.py" in str(info.value)


# ----------------------------------------------------- saved tensor hooks
def test_saved_tensors_hooks_pack_and_unpack():
    packed = []

    def pack(t):
        packed.append(t.shape)
        return t.detach().numpy().astype(np.float16)  # "compress" the saved value

    def unpack(a):
        return pullback.tensor(a.astype(np.float32))

    x = pullback.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with saved_tensors_hooks(pack, unpack):
        y = (x * x).sum()
    assert packed == [(3,), (3,)]
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


# -------------------------------------------------------------- checkpoint
def _deep_mlp(width, depth):
    pullback.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers)


def test_checkpoint_gives_identical_gradients():
    model = _deep_mlp(16, 6)
    model.insert(3, nn.Dropout(0.3)) if hasattr(model, "insert") else None
    x = pullback.randn(4, 16, requires_grad=True)

    def grads(run):
        model.zero_grad()
        x.grad = None
        pullback.manual_seed(7)
        run().pow(2).sum().backward()
        return [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]

    plain = grads(lambda: model(x))
    for run in (lambda: checkpoint(model, x, use_reentrant=False),
                lambda: checkpoint_sequential(model, 3, x),
                lambda: checkpoint(lambda t: model(t), x, use_reentrant=True)):
        for a, b in zip(plain, grads(run)):
            np.testing.assert_array_equal(a, b)
    # autograd.grad through a checkpoint reaches the parameters inside, too
    out = checkpoint(model, x, use_reentrant=False).sum()
    gs = pullback.autograd.grad(out, list(model.parameters()))
    assert all(g is not None for g in gs)


def _memory(run):
    """(bytes held by the graph after forward, peak bytes during forward + backward)."""
    tracemalloc.start()
    out = run()
    held = tracemalloc.get_traced_memory()[0]
    out.sum().backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return held, peak


def test_checkpoint_lowers_memory():
    # The case: 32 layers, width 1024, batch 256 (about 2 s). The .grad buffers exist
    # before measuring, as in a training loop, so what is measured is activations and temporaries.
    model = _deep_mlp(1024, 32)
    x = pullback.randn(256, 1024)
    model(x).sum().backward()
    model.zero_grad(set_to_none=False)
    held, peak = _memory(lambda: model(x))
    held_ckpt, peak_ckpt = _memory(lambda: checkpoint_sequential(model, 4, x))
    assert held_ckpt < 0.4 * held      # 3 segment boundaries + the last segment, instead of all 32 layers
    assert peak_ckpt < 0.6 * peak, (peak / 2 ** 20, peak_ckpt / 2 ** 20)


# ------------------------------------------------------------------ pictures
def _parse(dot):
    nodes = dict(re.findall(r'^\s+(\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M))
    edges = re.findall(r"^\s+(\w+) -> (\w+)", dot, re.M)
    return nodes, edges


def test_to_dot_matches_the_graph():
    w = pullback.randn(3, requires_grad=True)
    x = pullback.randn(3)
    y = (pullback.sin(x * w) * w).sum()
    nodes, edges = _parse(to_dot(y, params={"w": w}, show_saved=True))
    labels = sorted(nodes.values())
    assert labels.count("MulBackward0") == 2 and "SinBackward0" in labels and "SumBackward0" in labels
    assert "w\\n(3)" in labels and "()" in labels  # the leaf by name and shape, the output's shape
    by_label = {}
    for key, label in nodes.items():
        by_label.setdefault(label, []).append(key)
    leaf = by_label["w\\n(3)"][0]
    assert sum(1 for a, b in edges if a == leaf) == 2  # w feeds both multiplications
    assert any(label.startswith("x (3)") or label.startswith("y (3)") for label in labels)  # saved values
    # every node but the output has a path to the output
    assert len(set(a for a, _ in edges)) == len(nodes) - 1


def test_render_writes_dot_or_explains(tmp_path):
    y = (pullback.randn(2, requires_grad=True) * 2).sum()
    path = render(y, str(tmp_path / "g.dot"))
    assert open(path).read().startswith("digraph {")
    import shutil
    if shutil.which("dot") is None:
        with pytest.raises(RuntimeError, match="apt-get install graphviz"):
            render(y, str(tmp_path / "g.svg"))
    else:
        assert open(render(y, str(tmp_path / "g.svg"))).read().lstrip().startswith("<?xml")
