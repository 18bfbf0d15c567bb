"""Colourings that compress a sparse Jacobian or Hessian into a few products.

Columns that share no row may be seeded together: one JVP with the sum of their unit vectors gives
each of their entries unmixed (Curtis, Powell and Reid 1974). Finding few such groups is colouring
the columns' intersection graph (a distance-2 colouring of the bipartite graph of the pattern):
greedy, in the better of largest-first and smallest-last order (Gebremedhin, Manne and Pothen, "What
color is your Jacobian? Graph coloring for computing derivatives", SIAM Review 2005). Rows are
coloured the same way on the transpose, for VJPs.

For a symmetric Hessian a star colouring (neighbours differ, and every path on four vertices uses
at least three colours) needs fewer colours still, and each entry is still read directly from one
product (``_compressed.py``); ``prepare_hessian`` takes it where it has fewer colours than the
columns' colouring.
"""
import numpy as np


def column_coloring(pattern):
    """Colours for the columns of ``pattern`` (a ``scipy.sparse`` array): two columns that share a
    row get different colours. Returns an int64 array, colours 0, 1, ..."""
    import scipy.sparse
    p = scipy.sparse.csc_array(pattern, dtype=np.float64)
    conflicts = scipy.sparse.csr_array(p.T @ p)  # columns sharing a row
    conflicts.setdiag(0)
    conflicts.eliminate_zeros()
    indptr, indices = conflicts.indptr, conflicts.indices
    starts, neighbours = indptr.tolist(), indices.tolist()
    largest_first = _greedy(np.argsort(-np.diff(indptr), kind="stable").tolist(), starts, neighbours)
    smallest_last = _greedy(_smallest_last(starts, neighbours), starts, neighbours)
    best = min((smallest_last, largest_first), key=lambda c: max(c, default=-1))
    return np.array(best, dtype=np.int64)


def _greedy(order, starts, neighbours):
    """Each vertex in ``order`` takes the smallest colour none of its neighbours has."""
    colors = [-1] * (len(starts) - 1)
    for v in order:  # (plain lists: a vertex has a handful of neighbours)
        taken = {colors[w] for w in neighbours[starts[v]:starts[v + 1]]}
        c = 0
        while c in taken:
            c += 1
        colors[v] = c
    return colors


def _smallest_last(starts, neighbours):
    """Matula and Beck's smallest-last order: repeatedly remove a vertex of least remaining degree,
    colour in the reverse order of removal (a bucket queue: linear time). On stencils it needs
    fewer colours than largest-first (9 against 11 on a two-field 5-point stencil)."""
    n = len(starts) - 1
    degree = [starts[v + 1] - starts[v] for v in range(n)]
    buckets = [set() for _ in range(max(degree, default=0) + 1)]
    for v, d in enumerate(degree):
        buckets[d].add(v)
    removed = bytearray(n)
    order, low = [], 0
    for _ in range(n):
        while not buckets[low]:
            low += 1
        v = buckets[low].pop()
        removed[v] = 1
        order.append(v)
        for w in neighbours[starts[v]:starts[v + 1]]:
            if not removed[w]:
                d = degree[w]
                buckets[d].discard(w)
                degree[w] = d - 1
                buckets[d - 1].add(w)
        low = max(low - 1, 0)
    order.reverse()
    return order


def row_coloring(pattern):
    """Colours for the rows of ``pattern``: two rows that share a column get different colours."""
    return column_coloring(pattern.T)



def star_coloring(pattern, budget=2_000_000):
    """A star colouring of a symmetric pattern's adjacency graph (the diagonal ignored): neighbours
    get different colours and every path on four vertices uses at least three, so each Hessian
    entry is read directly from one Hessian-vector product (``H[i, j]`` from the product of
    ``j``'s colour where ``j`` is the only neighbour of ``i`` in it, else from ``i``'s colour in
    row ``j``). Greedy, largest degree first (Gebremedhin, Manne and Pothen 2005, Algorithm 4.1).

    It looks three steps out from each vertex; where that would cost more than ``budget`` steps in
    all (dense rows), returns None and the caller colours columns instead.
    """
    import scipy.sparse
    p = scipy.sparse.csr_array(pattern, dtype=np.float64, copy=True)  # (setdiag must not reach the caller's)
    p.setdiag(0)
    p.eliminate_zeros()
    starts, ends = p.indptr[:-1].tolist(), p.indptr[1:].tolist()
    flat = p.indices.tolist()
    neighbours = [flat[s:e] for s, e in zip(starts, ends)]
    degree = np.diff(p.indptr)
    if int((degree.astype(np.int64) ** 3).sum()) > budget:
        return None
    colors = [-1] * p.shape[0]
    for v in np.argsort(-degree, kind="stable").tolist():
        forbidden = set()
        for w in neighbours[v]:
            cw = colors[w]
            if cw >= 0:
                forbidden.add(cw)
            for x in neighbours[w]:
                cx = colors[x]
                if cx < 0 or cx in forbidden:
                    continue
                if cw < 0:
                    forbidden.add(cx)  # v and x two steps apart through an uncoloured w
                elif any(colors[y] == cw for y in neighbours[x] if y != w):
                    forbidden.add(cx)  # v, w, x, y would alternate two colours
        c = 0
        while c in forbidden:
            c += 1
        colors[v] = c
    return np.array(colors, dtype=np.int64)
