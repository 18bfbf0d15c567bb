"""Compressed evaluation: one product per colour, all colours in one vmapped JVP or one batched
backward pass, then every nonzero read off by precomputed index maps.

Forward mode seeds colour ``c`` with the sum of the unit vectors of its columns, ``v_c``; since
no two of those columns share a row, ``(J v_c)[i] = J[i, j]`` for the one column ``j`` of colour
``c`` that row ``i`` has. Reverse mode does the same with rows and ``u_c^T J``. A Hessian's
columns are seeded as forward mode's and the products ``H v_c`` come from one batched
double-backward pass (H is symmetric, so ``v_c^T H = (H v_c)^T``).
"""
import numpy as np


class Decompression:
    """The seeds and index maps of one pattern and colouring."""

    def __init__(self, pattern, colors, mode):
        import scipy.sparse
        self.pattern = scipy.sparse.csr_array(pattern)
        self.pattern.sort_indices()
        self.mode = mode
        self.colors = colors
        self.n_colors = int(colors.max()) + 1 if len(colors) else 0
        m, n = self.pattern.shape
        rows = np.repeat(np.arange(m), np.diff(self.pattern.indptr))
        cols = self.pattern.indices
        # J[rows[k], cols[k]] is product colors[...] at the other index.
        if mode == "symmetric":
            # A star colouring: H[i, j] is in j's colour at row i where j is i's only neighbour of
            # that colour, else in i's colour at row j (the star condition makes one of them so).
            import scipy.sparse
            one_hot = scipy.sparse.csr_array((np.ones(n), (np.arange(n), colors)), shape=(n, self.n_colors))
            counts = (scipy.sparse.csr_array(self.pattern, dtype=np.float64) @ one_hot).toarray()
            alone = counts[rows, colors[cols]] == 1
            self.read = (np.where(alone, colors[cols], colors[rows]), np.where(alone, rows, cols))
        else:
            self.read = (colors[rows], cols) if mode == "reverse" else (colors[cols], rows)
        seeded = m if mode == "reverse" else n  # (symmetric: columns, as forward mode)
        self._seeds = np.zeros((self.n_colors, seeded))
        self._seeds[colors, np.arange(seeded)] = 1.0

    def seeds(self, x):
        from .._creation import tensor
        return tensor(self._seeds, dtype=x.dtype)

    def __call__(self, products):
        import scipy.sparse
        values = products[self.read] if self.pattern.nnz else np.zeros(0)
        p = self.pattern
        return scipy.sparse.csr_array((values, p.indices.copy(), p.indptr.copy()), shape=p.shape)


def compressed_products(f, x, seeds, mode):
    """The products of the Jacobian of ``f`` at ``x`` with each seed (a Tensor), as a NumPy
    array of shape (colours, elements): ``J v`` (forward), ``u^T J`` (reverse) or, where ``f`` is
    a gradient function built with ``create_graph``, ``H v`` (hessian)."""
    if seeds.shape[0] == 0:
        return np.zeros((0, 0))
    return product_tensor(f, x, seeds, mode).numpy()


def product_tensor(f, x, seeds, mode):
    """``compressed_products`` as a Tensor (what a prepared Jacobian compiles and replays)."""
    from .. import autograd
    if mode == "forward":
        from ..func import jvp, vmap
        point = x.detach()
        shaped = seeds.reshape((seeds.shape[0],) + tuple(x.shape))
        return vmap(lambda v: jvp(f, (point,), (v,))[1].reshape(-1))(shaped).detach()
    x0 = x.detach().requires_grad_(True)
    with autograd.grad_mode.enable_grad():
        y = f(x0).reshape(-1)
    (products,) = autograd.grad(y, x0, seeds, is_grads_batched=True, allow_unused=True, materialize_grads=True)
    return products.detach().reshape(seeds.shape[0], -1)
