"""``vmap``: a function of one sample, run on a whole batch at once."""
import functools

from .._tensor import Tensor
from .._ops import shape as S
from .. import _levels
from ._batching import BatchedTensor, wrap


def _flatten(tree):
    """Leaves of nested tuples, lists and dicts, and a function rebuilding the structure."""
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(x) for x in tree]
        leaves = [leaf for p in parts for leaf in p[0]]

        def rebuild(values, parts=parts, kind=type(tree)):
            out, k = [], 0
            for leaves_i, rebuild_i in parts:
                out.append(rebuild_i(values[k:k + len(leaves_i)]))
                k += len(leaves_i)
            return kind(out) if kind in (tuple, list) else kind(*out)
        return leaves, rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, rebuild = _flatten([tree[k] for k in keys])
        return leaves, lambda values: dict(zip(keys, rebuild(values)))
    return [tree], lambda values: values[0]


class _StructureMismatch(Exception):
    pass


def _broadcast_dims(dims, tree):
    """``in_dims``/``out_dims`` per leaf of ``tree``: a tree of the same structure, where one
    int or None stands for a whole subtree (raises _StructureMismatch otherwise)."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(_flatten(tree)[0])
    if isinstance(tree, (tuple, list)) and type(dims) is type(tree) and len(dims) == len(tree):
        return [d for sub, t in zip(dims, tree) for d in _broadcast_dims(sub, t)]
    if isinstance(tree, dict) and isinstance(dims, dict) and list(dims) == list(tree):
        return [d for k in tree for d in _broadcast_dims(dims[k], tree[k])]
    raise _StructureMismatch


def _tree_spec(tree, depth=0):
    """The structure of a tree as torch's pytree ``TreeSpec`` prints it (for error texts)."""
    if not isinstance(tree, (tuple, list, dict)):
        return "*"
    children = list(tree.values()) if isinstance(tree, dict) else list(tree)
    context = list(tree) if isinstance(tree, dict) else None
    joined = (",\n" + "  " * (depth + 1)).join(_tree_spec(c, depth + 1) for c in children)
    return f"TreeSpec({type(tree).__name__}, {context}, [{joined}])"


def _func_name(func):
    if isinstance(func, functools.partial):
        return f"functools.partial({_func_name(func.func)}, ...)"
    return getattr(func, "__name__", repr(func))


def _dims_per_leaf(dims, tree, what, prefix):
    try:
        return _broadcast_dims(dims, tree)
    except _StructureMismatch:
        subject = "inputs" if what == "in_dims" else "outputs"
        raise ValueError(f"{prefix}{what} is not compatible with the structure of `{subject}`. {what} has structure "
                         f"{_tree_spec(dims)} but {subject} has structure {_tree_spec(tree)}.") from None


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Vectorizes ``func`` over a batch dimension of its inputs.

    ``func`` is written for one sample; ``vmap(func)`` takes inputs with an extra dimension
    (``in_dims``: per argument, an int or None for unbatched; nested tuples/lists/dicts follow the
    arguments' structure) and returns outputs with that dimension at ``out_dims``. Every
    primitive runs once on the whole batch through its batching rule: no per-sample loop.

    Args:
        randomness: ``'error'`` (random ops inside raise), ``'different'`` (each sample draws its
            own) or ``'same'`` (one draw shared by the batch).
        chunk_size: run the batch in chunks of this size (bounds peak memory).

    Example::

        >>> x = pullback.randn(5, 3)
        >>> pullback.vmap(lambda row: (row * row).sum())(x).shape
        pullback.Size([5])
    """
    if not (out_dims is None or isinstance(out_dims, (int, tuple, list, dict))):
        raise ValueError(f"vmap({_func_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
                         "python collection of ints representing where in the outputs the vmapped dimension should "
                         "appear.")
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")

    name = _func_name(func)
    out_prefix = f"vmap({name}, ..., out_dims={out_dims})(<inputs>): "

    @functools.wraps(func)
    def batched(*args, **kwargs):
        prefix = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): "
        if not isinstance(in_dims, (int, tuple)):
            raise ValueError(f"{prefix}expected `in_dims` to be int or a (potentially nested) tuple matching the "
                             f"structure of inputs, got: {type(in_dims)}.")
        if not args:
            raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
                             "trying to vmap over a function with no inputs. The latter is unsupported.")
        leaves, rebuild = _flatten(args)
        dims = _dims_per_leaf(in_dims, args, "in_dims", prefix)
        sizes = []
        for leaf, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(leaf, Tensor):
                raise ValueError(f"{prefix}Got in_dim={d} for an input but the input is of type {type(leaf)}. "
                                 "We cannot vmap over non-Tensor arguments, please use None as the respective in_dim")
            if not -leaf.ndim <= d < max(leaf.ndim, 1) or leaf.ndim == 0:
                raise ValueError(f"{prefix}Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                                 f"{leaf.ndim} so expected in_dim to satisfy -{leaf.ndim} <= in_dim < {leaf.ndim}.")
            sizes.append(leaf.shape[d % leaf.ndim])
        if not sizes:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        if len(set(sizes)) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sizes} for the mapped dimension")
        n = sizes[0]
        if chunk_size is not None and chunk_size < n:
            return _chunked(n, leaves, dims, rebuild, kwargs)
        return _run(leaves, dims, rebuild, kwargs, n)

    def _chunked(n, leaves, dims, rebuild, kwargs):
        pieces = []
        for start in range(0, n, chunk_size):
            part = [leaf if d is None else S.narrow(leaf, d % leaf.ndim, start, min(chunk_size, n - start))
                    for leaf, d in zip(leaves, dims)]
            pieces.append(_run(part, dims, rebuild, kwargs, min(chunk_size, n - start)))
        first_leaves, out_rebuild = _flatten(pieces[0])
        od = _dims_per_leaf(_single_output_dims(out_dims, pieces[0]), pieces[0], "out_dims", out_prefix)
        columns = [[_flatten(p)[0][i] for p in pieces] for i in range(len(first_leaves))]
        return out_rebuild([S.cat(col, d) for col, d in zip(columns, od)])

    def _run(leaves, dims, rebuild, kwargs, n):
        entry = _levels.push(_levels.VMAP, size=n, randomness=randomness)
        level = entry.number
        try:
            wrapped = [leaf if d is None else wrap(leaf, d % leaf.ndim, level) for leaf, d in zip(leaves, dims)]
            out = func(*rebuild(wrapped), **kwargs)
        finally:
            _levels.pop(entry)
        out_leaves, out_rebuild = _flatten(out)
        od = _dims_per_leaf(_single_output_dims(out_dims, out), out, "out_dims", out_prefix)
        return out_rebuild([_unwrap(o, d, level, n, name) for o, d in zip(out_leaves, od)])

    return batched


def _single_output_dims(out_dims, out):
    """torch accepts ``out_dims=(d,)`` for a function returning one Tensor."""
    if isinstance(out_dims, tuple) and len(out_dims) == 1 and isinstance(out, Tensor):
        return out_dims[0]
    return out_dims


def _unwrap(out, out_dim, level, n, name):
    if not isinstance(out, Tensor):
        if out_dim is None:
            return out
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(out)}. Did you mean to "
                         "set out_dims= to None for output?")
    if isinstance(out, BatchedTensor) and out._level == level:
        value, bdim = out._value, out._bdim
        if out_dim is None:
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
        return S.movedim(value, bdim, out_dim % value.ndim) if bdim != out_dim % value.ndim else value
    if out_dim is None:
        return out
    # An output that does not depend on the batch is broadcast to it, as PyTorch does.
    expanded = S.unsqueeze(out, 0).expand(n, *out.shape) if out.ndim else S.unsqueeze(out, 0).expand(n)
    return S.movedim(expanded, 0, out_dim % expanded.ndim) if out_dim else expanded


__all__ = ["vmap"]
