"""Dependence matrices: which output elements of one primitive call depend on which input elements.

A primitive's sparsity rule (its declaration's ``sparsity=``) gives, for each output and each input
that carries a pattern, either

- ``("rows", idx)``: output element ``o`` depends on input element ``idx[o]`` alone (-1: on none),
- a ``scipy.sparse`` matrix ``M`` of shape (output elements, input elements), or
- ``"dense"``: on every element of the input.

The tracer (``_trace.py``) turns these into patterns: ``P_out = sum_i M_i @ P_i``. Every rule here
is structural: it looks at shapes, parameters and index arguments, never at the derivative's value,
so a pattern holds at every point where the program takes the same indices.
"""
import numpy as np


def _sparse():
    import scipy.sparse
    return scipy.sparse


def _numel(shape):
    return int(np.prod(shape, dtype=np.int64))


def _broadcast_rows(in_shape, out_shape):
    """For each element of ``out_shape``, the element of ``in_shape`` broadcast into it."""
    n = _numel(in_shape)
    if tuple(in_shape) == tuple(out_shape):
        return None  # the identity
    return np.broadcast_to(np.arange(n).reshape(in_shape), out_shape).ravel()


def elementwise(prim, node, args, outputs, carriers):
    """Output element i depends on element i of each input, broadcast."""
    result = []
    for out in outputs:
        shape = out._data.shape
        result.append({i: ("rows", _broadcast_rows(args[i]._data.shape, shape)) for i in carriers})
    return result


def _group_matrix(groups, n_groups):
    """The (groups x elements) 0/1 matrix putting element e in group ``groups[e]``."""
    n = len(groups)
    return _sparse().csr_array((np.ones(n), (groups, np.arange(n))), shape=(n_groups, n))


def _reduced_groups(shape, axes):
    kept = tuple(1 if d in axes else size for d, size in enumerate(shape))
    return np.broadcast_to(np.arange(_numel(kept)).reshape(kept), shape).ravel(), _numel(kept)


def _axes(axis, ndim):
    if axis is None:
        return set(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return {a % ndim for a in axes} if ndim else set()


def reduction(prim, node, args, outputs, carriers):
    """An output element depends on the input elements reduced into it (``axis``; None: all)."""
    (i,) = carriers
    shape = args[i]._data.shape
    groups, n_groups = _reduced_groups(shape, _axes(node.params.get("axis"), len(shape)))
    result = []
    for out in outputs:
        if out._data.size != n_groups:  # not the reduction this rule reads: stay safe
            result.append({i: "dense"})
        else:
            result.append({i: _group_matrix(groups, n_groups)})
    return result


def along_axis(prim, node, args, outputs, carriers):
    """An output element depends on the line of input elements along ``axis`` through it."""
    (i,) = carriers
    shape = args[i]._data.shape
    groups, n_groups = _reduced_groups(shape, _axes(node.params.get("axis"), len(shape)))
    lines = _group_matrix(groups, n_groups)
    line_matrix = (lines.T @ lines).tocsr()
    return [{i: line_matrix} if out._data.shape == shape else {i: "dense"} for out in outputs]


def _numbered_inputs(args, carriers, start):
    """The arguments with each carrier replaced by element numbers (float64), one run of numbers
    per carrier from ``start``; returns them and where each carrier's run starts."""
    values = [a._data if hasattr(a, "_data") else a for a in args]
    starts = {}
    for i in carriers:
        shape = values[i].shape
        starts[i] = start
        values[i] = (np.arange(_numel(shape), dtype=np.float64) + start).reshape(shape)
        start += _numel(shape)
    return values, starts


def index_map(prim, node, args, outputs, carriers):
    """Each output element is a copy of at most one input element: the forward, run on the
    carriers' element numbers, returns for each output element the number it copied. It runs
    twice, the numbers shifted by their count the second time: a copied number moves with the
    shift, anything else (a padding constant, a zero) stays and depends on nothing."""
    sizes = {i: args[i]._data.size for i in carriers}
    shift = float(sum(sizes.values()))
    first, starts = _numbered_inputs(args, carriers, 1.0)
    second, _ = _numbered_inputs(args, carriers, 1.0 + shift)
    runs = [prim.impl(*values, **node.params) for values in (first, second)]
    runs = [r if isinstance(r, tuple) else (r,) for r in runs]
    result = []
    for k, out in enumerate(outputs):
        if k in prim.nondiff_outputs:
            result.append({})
            continue
        a = np.asarray(runs[0][k], dtype=np.float64).ravel()
        b = np.asarray(runs[1][k], dtype=np.float64).ravel()
        copied = (b - a == shift) & (a == np.floor(a))
        matrices = {}
        for i, start in starts.items():
            rows = np.flatnonzero(copied & (a >= start) & (a < start + sizes[i]))
            elements = (a[rows] - start).astype(np.int64)
            matrices[i] = _sparse().csr_array((np.ones(len(rows)), (rows, elements)), shape=(out._data.size, sizes[i]))
        result.append(matrices)
    return result


def scatter(prim, node, args, outputs, carriers):
    """Each input element goes to at most one output element (several may add up there): the
    VJP, run on the output's element numbers, returns for each input element the output element
    whose cotangent it copies."""
    (out,) = outputs
    n_out = out._data.size
    numbered = (np.arange(n_out, dtype=np.float64) + 1).reshape(out._data.shape)
    needs = tuple(i in carriers for i in range(len(args)))
    cotangents = node.apply([numbered], needs, False)
    matrices = {}
    for i in carriers:
        r = cotangents[i]
        shape = args[i]._data.shape
        if not isinstance(r, np.ndarray) or r.shape != shape:
            matrices[i] = "dense"  # (broadcast or zero: not a copy this rule can read)
            continue
        r = r.ravel()
        inside = np.isfinite(r) & (r == np.floor(r)) & (r >= 1) & (r <= n_out)
        elements = np.flatnonzero(inside)
        matrices[i] = _sparse().csr_array((np.ones(len(elements)), ((r[elements] - 1).astype(np.int64), elements)),
                                          shape=(n_out, r.size))
    return [matrices]


def dense(prim, node, args, outputs, carriers):
    """Every output element depends on every input element: true of any primitive."""
    return [{i: "dense" for i in carriers} for _ in outputs]


def per_matrix(prim, node, args, outputs, carriers):
    """The sparsity rule of an op on a stack of matrices: an output element depends on every
    element of the matrix (of each input) in its own batch position, on nothing in the others. The
    inputs' batch dims (all but their last two) broadcast; an output keeps them in front."""
    sparse = _sparse()
    shapes = {i: args[i]._data.shape for i in range(len(args)) if hasattr(args[i], "_data")}
    batch = np.broadcast_shapes(*[s[:-2] for s in shapes.values()])
    n_batch = _numel(batch)
    result = []
    for out in outputs:
        o_shape = out._data.shape
        matrices = {}
        for i in carriers:
            i_shape = shapes[i]
            n_in = _numel(i_shape)
            if out._data.size == 0 or n_in == 0 or tuple(o_shape[:len(batch)]) != tuple(batch):
                matrices[i] = sparse.csr_array((out._data.size, n_in)) if out._data.size * n_in == 0 \
                    else "dense"
                continue
            per_out = out._data.size // n_batch
            in_batch = i_shape[:-2]
            n_in_batch = _numel(in_batch)
            # the input matrix each output batch position reads (after broadcasting)
            source = np.broadcast_to(np.arange(n_in_batch).reshape((1,) * (len(batch) - len(in_batch)) + in_batch),
                                    batch).ravel()
            rows = np.repeat(source, per_out)                       # output element -> input matrix
            per_in = n_in // n_in_batch
            reads = sparse.csr_array((np.ones(out._data.size), (np.arange(out._data.size), rows)),
                                           shape=(out._data.size, n_in_batch))
            members = sparse.csr_array((np.ones(n_in), (np.repeat(np.arange(n_in_batch), per_in), np.arange(n_in))),
                                             shape=(n_in_batch, n_in))
            matrices[i] = (reads @ members).tocsr()
        result.append(matrices)
    return result


RULES = {"elementwise": elementwise, "reduction": reduction, "along_axis": along_axis,
         "index_map": index_map, "scatter": scatter, "per_matrix": per_matrix,
         "dense": dense}
