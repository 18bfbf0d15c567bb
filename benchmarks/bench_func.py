"""Jacobians, Hessians and per-sample gradients (issue 4), side by side with torch.func.

    OMP_NUM_THREADS=1 python benchmarks/bench_func.py
"""
import os
import sys
import tracemalloc

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(__file__))
import pullback  # noqa: E402
from pullback import func  # noqa: E402
from pullback.autograd.functional import jacobian  # noqa: E402
from bench_core import interleaved, report, torch  # noqa: E402


def mlp_fn(m, seed=0):
    rng = np.random.default_rng(seed)
    W1 = m.tensor(rng.standard_normal((256, 256)).astype(np.float32) / 16)
    W2 = m.tensor(rng.standard_normal((128, 256)).astype(np.float32) / 16)
    x = m.tensor(rng.standard_normal(256).astype(np.float32))
    return (lambda v: m.tanh(W2 @ m.tanh(W1 @ v))), x


def row_by_row(m, f, x):
    """The tutorial's Jacobian: one backward per output row."""
    rows = []
    for i in range(128):
        xc = x.detach().requires_grad_(True)
        y = f(xc)
        v = m.zeros(128)
        v[i] = 1.0
        y.backward(v)
        rows.append(xc.grad)
    return m.stack(rows)


def main():
    f_pb, x_pb = mlp_fn(pullback)
    cases = {"pullback jacrev": lambda: func.jacrev(f_pb)(x_pb),
             "pullback jacobian(vectorize)": lambda: jacobian(f_pb, x_pb, vectorize=True),
             "pullback jacfwd": lambda: func.jacfwd(f_pb)(x_pb),
             "pullback row by row": lambda: row_by_row(pullback, f_pb, x_pb)}
    if torch is not None:
        f_t, x_t = mlp_fn(torch)
        cases.update({"torch jacrev": lambda: torch.func.jacrev(f_t)(x_t),
                      "torch jacfwd": lambda: torch.func.jacfwd(f_t)(x_t)})
    J = func.jacrev(f_pb)(x_pb).numpy()
    assert np.allclose(J, row_by_row(pullback, f_pb, x_pb).numpy(), atol=1e-5)
    assert np.allclose(J, func.jacfwd(f_pb)(x_pb).numpy(), atol=1e-5)
    report("Jacobian of tanh(W2 tanh(W1 x)), x in R^256, W1 256x256, W2 128x256",
           interleaved(cases, rounds=10, inner=2), base="pullback jacrev")

    rng = np.random.default_rng(1)
    W = rng.standard_normal((64, 128)).astype(np.float32) / 8
    xh = rng.standard_normal(128).astype(np.float32)
    Wp, xp = pullback.tensor(W), pullback.tensor(xh)
    cases = {"pullback hessian": lambda: func.hessian(lambda v: (pullback.tanh(Wp @ v) ** 2).sum())(xp)}
    if torch is not None:
        Wt, xt = torch.tensor(W), torch.tensor(xh)
        cases["torch hessian"] = lambda: torch.func.hessian(lambda v: (torch.tanh(Wt @ v) ** 2).sum())(xt)
    report("Hessian of sum(tanh(W x)^2), W 64x128", interleaved(cases, rounds=10, inner=2), base="pullback hessian")

    def per_sample(m, F):
        m.manual_seed(0)
        model = m.nn.Sequential(m.nn.Linear(784, 256), m.nn.ReLU(), m.nn.Linear(256, 10))
        params = {k: v.detach() for k, v in model.named_parameters()}
        x = m.randn(64, 784)
        y = m.randint(0, 10, (64,))

        def loss(p, xi, yi):
            return m.nn.functional.cross_entropy(F.functional_call(model, p, (xi.unsqueeze(0),)), yi.unsqueeze(0))

        def loop():
            out = []
            for i in range(64):
                model.zero_grad()
                m.nn.functional.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
                out.append([p.grad.clone() for p in model.parameters()])
            return out
        return (lambda: F.vmap(F.grad(loss), in_dims=(None, 0, 0))(params, x, y)), loop

    vm, loop = per_sample(pullback, func)
    cases = {"pullback vmap(grad)": vm, "pullback loop": loop}
    if torch is not None:
        tvm, _ = per_sample(torch, torch.func)
        cases["torch vmap(grad)"] = tvm
    report("per-sample gradients, 784-256-10 MLP, batch 64", interleaved(cases, rounds=10, inner=1),
           base="pullback vmap(grad)")

    big = pullback.randn(4096, 64)
    W = pullback.randn(4096, 64) / 8

    def peak(chunk):
        tracemalloc.start()
        J = func.jacrev(lambda v: pullback.tanh(W @ v), chunk_size=chunk)(big[0])
        p = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert tuple(J.shape) == (4096, 64)
        return p
    print(f"\nJacobian with 4096 outputs (64 inputs): peak memory {peak(None) / 2**20:.1f} MiB without chunking, "
          f"{peak(256) / 2**20:.1f} MiB with chunk_size=256")


if __name__ == "__main__":
    main()
