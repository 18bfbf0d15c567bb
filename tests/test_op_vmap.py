"""vmap over every op in the table, for every in_dims combination: it equals a Python loop over
the batch, stacked."""
import itertools

import numpy as np
import pytest

import pullback
from pullback.func import vmap
from op_db import OPS, sample_inputs
from _harness import rng_for, flat_output

BATCH = 3


def _cases():
    for op in OPS:
        k = len(op.shapes)
        combos = [c for c in itertools.product([0, None], repeat=k) if any(d is not None for d in c)]
        combos.append(tuple(-1 for _ in range(k)))   # the batch dimension last
        for combo in combos:
            yield pytest.param(op, combo, id=f"{op.name}-{''.join('n' if d is None else str(d) for d in combo)}")


@pytest.mark.parametrize("op,in_dims", list(_cases()))
def test_vmap_equals_a_loop(op, in_dims):
    rng = rng_for(op.name + "vmap")
    samples = [sample_inputs(op, rng) for _ in range(BATCH)]
    args = []
    for i, d in enumerate(in_dims):
        if d is None:
            args.append(pullback.tensor(samples[0][i]))
        else:
            args.append(pullback.tensor(np.stack([s[i] for s in samples], axis=d)))

    def f(*xs):
        return flat_output(pullback, op.fn(pullback, *xs))

    if "data_dependent" in op.tags:  # a batched mask: each sample's output has its own size
        with pytest.raises(RuntimeError, match="vmap: .*cannot do per sample"):
            vmap(f, in_dims=in_dims)(*args)
        return
    with pullback.no_grad():
        batched = vmap(f, in_dims=in_dims)(*args)
        loop = []
        for b in range(BATCH):
            xs = [pullback.tensor(samples[0][i]) if d is None else pullback.tensor(samples[b][i])
                  for i, d in enumerate(in_dims)]
            loop.append(f(*xs).numpy())
    np.testing.assert_allclose(batched.numpy(), np.stack(loop), rtol=1e-10, atol=1e-12)
