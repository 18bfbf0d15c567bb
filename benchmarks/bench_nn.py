"""nn benchmarks (issue 3), side by side with PyTorch and hand-written NumPy, as ratios.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_nn.py

Each case builds the same model in every library; candidates run in interleaved rounds and the
medians are compared.
"""
import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(__file__))
import pullback  # noqa: E402
from bench_core import interleaved, report, torch  # noqa: E402


def seed_mlp(m, batch=32):
    """The tutorial's model: Linear(10, 64), ReLU, Linear(64, 10), cross_entropy; forward + backward."""
    m.manual_seed(0)
    model = m.nn.Sequential(m.nn.Linear(10, 64), m.nn.ReLU(), m.nn.Linear(64, 10))
    x = m.randn(batch, 10)
    y = m.randint(0, 10, (batch,))

    def run():
        model.zero_grad()
        m.nn.functional.cross_entropy(model(x), y).backward()
    return run


def big_mlp(m, batch=512):
    """784-1024-1024-10, float32: forward + backward + SGD step."""
    m.manual_seed(0)
    model = m.nn.Sequential(m.nn.Linear(784, 1024), m.nn.ReLU(), m.nn.Linear(1024, 1024), m.nn.ReLU(),
                            m.nn.Linear(1024, 10))
    opt = m.optim.SGD(model.parameters(), lr=0.01)
    x = m.randn(batch, 784)
    y = m.randint(0, 10, (batch,))

    def run():
        opt.zero_grad()
        m.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return run


def big_mlp_numpy(batch=512):
    """The same step written by hand in NumPy (forward, backward, SGD)."""
    rng = np.random.default_rng(0)
    sizes = [784, 1024, 1024, 10]
    ws = [(rng.standard_normal((o, i)) / np.sqrt(i)).astype(np.float32) for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(o, np.float32) for o in sizes[1:]]
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)

    def run():
        hs = [x]
        h = x
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = h @ w.T + b
            if i < 2:
                h = np.maximum(h, 0)
            hs.append(h)
        z = h - h.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        p[np.arange(batch), y] -= 1
        g = p / batch
        for i in range(2, -1, -1):
            gw = g.T @ hs[i]
            gb = g.sum(0)
            if i:
                g = (g @ ws[i]) * (hs[i] > 0)
            ws[i] -= 0.01 * gw
            bs[i] -= 0.01 * gb
    return run


def gradient_penalty(m, batch=64):
    """The tutorial's penalty with a 784-256-1 critic (LeakyReLU 0.2), then backward into the critic."""
    m.manual_seed(0)
    critic = m.nn.Sequential(m.nn.Flatten(), m.nn.Linear(784, 256), m.nn.LeakyReLU(0.2), m.nn.Linear(256, 1))
    real = m.randn(batch, 1, 28, 28)
    fake = m.randn(batch, 1, 28, 28)

    def run():
        critic.zero_grad()
        alpha = m.rand(batch, 1, 1, 1)
        interpolated = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        out = critic(interpolated)
        g = m.autograd.grad(out, interpolated, m.ones_like(out), create_graph=True)[0]
        penalty = ((g.view(batch, -1).norm(2, dim=1) - 1) ** 2).mean()
        penalty.backward()
    return run


def small_cnn(m, batch=64):
    """Conv 3x3 x16, ReLU, max-pool 2, Linear to 10: forward + backward on 28x28 images."""
    m.manual_seed(0)
    model = m.nn.Sequential(m.nn.Conv2d(1, 16, 3, padding=1), m.nn.ReLU(), m.nn.MaxPool2d(2), m.nn.Flatten(),
                            m.nn.Linear(16 * 14 * 14, 10))
    x = m.randn(batch, 1, 28, 28)
    y = m.randint(0, 10, (batch,))

    def run():
        model.zero_grad()
        m.nn.functional.cross_entropy(model(x), y).backward()
    return run


def lstm(m, layers=2, hidden=128, seq=32, batch=16, features=64):
    """nn.LSTM, 2 layers, hidden 128, float32, a (32, 16, 64) sequence: forward + backward of the
    outputs' sum and the final states'."""
    m.manual_seed(0)
    model = m.nn.LSTM(features, hidden, layers)
    x = m.randn(seq, batch, features)

    def run():
        model.zero_grad()
        out, (h, c) = model(x)
        (out.sum() + h.sum() + c.sum()).backward()
    return run


def transformer_layer(m, d_model=128, nhead=4, seq=64, batch=8):
    """nn.TransformerEncoderLayer (d_model 128, 4 heads, feed-forward 512, no dropout), float32,
    batch_first (8, 64, 128): forward + backward of the output's sum."""
    m.manual_seed(0)
    layer = m.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model, dropout=0.0, batch_first=True)
    x = m.randn(batch, seq, d_model, requires_grad=True)

    def run():
        layer.zero_grad()
        x.grad = None
        layer(x).sum().backward()
    return run


def main(only=None):
    cases = [
        ("seed MLP 10-64-10, batch 32, cross_entropy: forward + backward", seed_mlp, {}, 40, 20),
        ("MLP 784-1024-1024-10, batch 512, float32: forward + backward + SGD step", big_mlp,
         {"numpy": big_mlp_numpy()}, 10, 1),
        ("gradient penalty, 784-256-1 critic, 64 images: penalty + backward", gradient_penalty, {}, 20, 5),
        ("CNN conv3x3x16 + pool + linear, 64 x 28x28: forward + backward", small_cnn, {}, 10, 2),
        ("LSTM 2 layers, hidden 128, sequence 32, batch 16, float32: forward + backward", lstm, {}, 10, 2),
        ("TransformerEncoderLayer d_model 128, 4 heads, sequence 64, batch 8, float32: forward + backward",
         transformer_layer, {}, 10, 2),
    ]
    for title, make, extra, rounds, inner in cases:
        if only and not any(word.lower() in title.lower() for word in only):
            continue
        candidates = {"pullback": make(pullback)}
        if torch is not None:
            candidates["torch"] = make(torch)
        candidates.update(extra)
        report(title, interleaved(candidates, rounds=rounds, inner=inner))


if __name__ == "__main__":
    main(sys.argv[1:])   # words: run only the cases whose titles contain one (``bench_nn.py LSTM``)
