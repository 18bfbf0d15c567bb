"""Shared helpers for the op-table tests: run an op, flatten its outputs, take finite differences."""
import zlib

import numpy as np

import pullback


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def flat_output(m, out):
    """One 1-D Tensor from an op's output (a Tensor, or a list of Tensors)."""
    if isinstance(out, (list, tuple)):
        return m.cat([o.reshape(-1) for o in out])
    return out.reshape(-1)


def vjp_of(op, arrays, v, create_graph=False):
    """The gradients of <v, f(x)> with respect to every input (None where unused)."""
    xs = [pullback.tensor(a, requires_grad=True) for a in arrays]
    out = flat_output(pullback, op.fn(pullback, *xs))
    grads = pullback.autograd.grad(out, xs, pullback.tensor(v), allow_unused=True, create_graph=create_graph)
    return xs, grads


def directional_fd(fn, arrays, directions, eps=1e-6):
    """Central finite difference of the scalar function ``fn(arrays)`` along ``directions``."""
    plus = fn([a + eps * u for a, u in zip(arrays, directions)])
    minus = fn([a - eps * u for a, u in zip(arrays, directions)])
    return (plus - minus) / (2 * eps)


def inner(grads, directions):
    return sum(float((g.detach().numpy() * u).sum()) for g, u in zip(grads, directions) if g is not None)
