"""vmap's batching rules for the family shorthands, and the helpers specific rules are written with.

A batching rule runs on the values under one vmap level, unwrapped: ``values`` are Tensors (or
constants), ``bdims`` their batch dims (None: not batched at this level), ``size`` the batch size.
It returns the output(s) and their batch dims. Rules call primitives, so they record a graph and
batch again under an outer vmap like any other code. The interpreter that unwraps and wraps is
``func/_batching.py``; each primitive names its rule in its declaration (``batch=``).
"""
from .._backend import B
from . import _registry


def to_front(x, bdim):
    """``x`` with its batch dimension moved to 0 (``x`` unchanged if unbatched)."""
    if bdim is None or bdim == 0:
        return x
    return S.movedim(x, bdim, 0)


def logical_ndim(x, bdim):
    """The rank of one sample of ``x``."""
    nd = x.ndim if hasattr(x, "ndim") else 0
    return nd - (1 if bdim is not None else 0)


def align(x, bdim, rank):
    """A batched value moved to the front, with singleton dims so its logical rank is ``rank``."""
    x = to_front(x, bdim)
    missing = rank - (x.ndim - 1)
    if missing > 0:
        x = S._reshape(x, shape=(x.shape[0],) + (1,) * missing + tuple(x.shape[1:]))
    return x


def expand_batch(x, bdim, size):
    """``x`` with the batch dim at the front; an unbatched value broadcast to the batch ``size``."""
    if bdim is not None:
        return to_front(x, bdim)
    if not hasattr(x, "shape"):
        x = _registry._Tensor._make(B.asarray(x))
    return S._expand(S._reshape(x, shape=(1,) + tuple(x.shape)), shape=(size,) + tuple(x.shape))


def shift_axis(axis, logical_ndim):
    """A primitive's ``axis`` parameter (None, an int or a tuple) moved past a leading batch dim."""
    if axis is None:
        return tuple(range(1, logical_ndim + 1))
    if isinstance(axis, tuple):
        return tuple(a + 1 for a in axis)
    return axis + 1


def elementwise_rule(prim, values, bdims, params, size):
    rank = max(logical_ndim(v, d) for v, d in zip(values, bdims))
    args = tuple(align(v, d, rank) if d is not None else v for v, d in zip(values, bdims))
    return prim.bind(args, params), 0


def all_batched_rule(prim, values, bdims, params, size):
    args = tuple(expand_batch(v, d, size) if hasattr(v, "shape") or d is not None else v
                 for v, d in zip(values, bdims))
    return prim.bind(args, params), 0


def reduction_rule(prim, values, bdims, params, size):
    x = to_front(values[0], bdims[0])
    nd = x.ndim - 1
    out = prim.bind((x,), dict(params, axis=shift_axis(params["axis"], nd)))
    return out, (0 if not isinstance(out, tuple) else (0,) * len(out))


def single_axis_reduction_rule(prim, values, bdims, params, size):
    """A reduction whose ``axis`` is one dim or None (prod, argmax): None flattens each sample."""
    if params["axis"] is not None:
        return reduction_rule(prim, values, bdims, params, size)
    x = to_front(values[0], bdims[0])
    flat = S._reshape(x, shape=(x.shape[0], -1))
    out = prim.bind((flat,), dict(params, axis=1))
    if params.get("keepdim"):
        out = S._reshape(out, shape=(x.shape[0],) + (1,) * (x.ndim - 1))
    return out, 0


def along_axis_rule(prim, values, bdims, params, size):
    x = to_front(values[0], bdims[0])
    out = prim.bind((x,), dict(params, axis=shift_axis(params["axis"], x.ndim - 1)))
    return out, (0 if not isinstance(out, tuple) else (0,) * len(out))


def trailing_dims_rule(prim, values, bdims, params, size):
    """One input whose op reads only its trailing dims (tril, svd-based norms): batch to the front."""
    return prim.bind((to_front(values[0], bdims[0]),), params), 0


def not_batchable(prim, values, bdims, params, size):
    raise RuntimeError(f"vmap: no batching rule for the primitive {prim.name!r} with batched inputs.")


RULES = {"elementwise": elementwise_rule, "reduction": reduction_rule, "along_axis": along_axis_rule,
                   "all_batched": all_batched_rule}

from . import shape as S  # noqa: E402  (a module, used when rules run: shape declares rules from here)
