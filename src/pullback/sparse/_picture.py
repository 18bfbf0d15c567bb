"""A text picture of a sparsity pattern, for the REPL."""
import numpy as np


def spy(pattern, width=64, height=32):
    """A picture of ``pattern`` (any ``scipy.sparse`` array or matrix) in characters: each
    character stands for a block of entries, ``#`` where the block holds a nonzero and ``.``
    where it holds none, under a line with the shape, the nonzeros and the density.

    Args:
        pattern: the sparsity pattern.
        width (int, optional): the most characters per line. Default: 64.
        height (int, optional): the most lines. Default: 32.

    Returns:
        str
    """
    import scipy.sparse
    p = scipy.sparse.coo_array(pattern)
    m, n = p.shape
    cols, rows = max(1, min(width, n)), max(1, min(height, m))
    grid = np.zeros((rows, cols), dtype=bool)
    if p.nnz:
        keep = p.data != 0
        grid[p.row[keep] * rows // max(m, 1), p.col[keep] * cols // max(n, 1)] = True
    density = p.nnz / (m * n) if m * n else 0.0
    lines = [f"{m}x{n}, {p.nnz} nonzeros ({100 * density:.3g}%)"]
    lines += ["".join("#" if v else "." for v in line) for line in grid]
    return "\n".join(lines)
