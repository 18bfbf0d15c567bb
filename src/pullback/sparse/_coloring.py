"""Colourings that compress a sparse Jacobian or Hessian into a few products.

Columns that share no row may be seeded together: one JVP with the sum of their unit vectors gives
each of their entries unmixed (Curtis, Powell and Reid 1974). Finding few such groups is colouring
the columns' intersection graph (a distance-2 colouring of the bipartite graph of the pattern);
greedy in largest-first order is the classic choice (Gebremedhin, Manne and Pothen, "What color is
your Jacobian? Graph coloring for computing derivatives", SIAM Review 2005). Rows are coloured the
same way on the transpose, for VJPs.

For a symmetric Hessian a star colouring (every path on four vertices uses at least three colours)
needs fewer colours still; here, as a first step, a Hessian's columns are coloured as a Jacobian's
(each entry read directly from one Hessian-vector product), which is valid and, for banded
Hessians such as a chained Rosenbrock function's, as small.
"""
import numpy as np


def column_coloring(pattern):
    """Colours for the columns of ``pattern`` (a ``scipy.sparse`` array): two columns that share a
    row get different colours. Returns an int64 array, colours 0, 1, ..."""
    import scipy.sparse
    p = scipy.sparse.csc_array(pattern, dtype=np.float64)
    n = p.shape[1]
    conflicts = scipy.sparse.csr_array(p.T @ p)  # columns sharing a row
    conflicts.setdiag(0)
    conflicts.eliminate_zeros()
    indptr, indices = conflicts.indptr, conflicts.indices
    order = np.argsort(-np.diff(indptr), kind="stable")  # largest degree first
    starts, neighbours = indptr.tolist(), indices.tolist()
    colors = [-1] * n
    for v in order.tolist():  # (plain lists: a vertex has a handful of neighbours)
        taken = {colors[w] for w in neighbours[starts[v]:starts[v + 1]]}
        c = 0
        while c in taken:
            c += 1
        colors[v] = c
    return np.array(colors, dtype=np.int64)


def row_coloring(pattern):
    """Colours for the rows of ``pattern``: two rows that share a column get different colours."""
    return column_coloring(pattern.T)

