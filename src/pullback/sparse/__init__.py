"""Sparse Jacobians and Hessians: automatic sparsity detection, colouring, compressed evaluation.

    >>> import pullback as torch
    >>> def f(x):                       # a 1-D stencil: each output reads three neighbours
    ...     return x[:-2] - 2 * x[1:-1] + x[2:] + torch.sin(x[1:-1])
    >>> x = torch.randn(10_000, dtype=torch.float64)
    >>> J = torch.sparse.jacobian(f, x)  # a scipy.sparse.csr_array, from 3 JVPs instead of 10,000
    >>> jac = torch.sparse.prepare_jacobian(f, x)   # detect and colour once ...
    >>> J = jac(x)                                   # ... evaluate many times (Newton iterations)

The pattern comes from the primitives' sparsity rules (see ``_trace.py`` for what it promises),
the colouring groups columns (forward mode, JVPs) or rows (reverse mode, VJPs) that share nothing,
and one vmapped JVP or VJP over the colours gives every nonzero. Results are SciPy sparse arrays.
"""
from . import _trace
from ._coloring import column_coloring, row_coloring, star_coloring
from ._picture import spy

__all__ = ["jacobian_sparsity", "hessian_sparsity", "jacobian", "hessian", "prepare_jacobian",
           "prepare_hessian", "column_coloring", "row_coloring", "star_coloring", "spy"]


def _check_input(x, fn):
    from .._tensor import Tensor
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'x' must be Tensor, not {type(x).__name__}")
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{fn}(): only Tensors of floating point dtype can have derivatives, got {x.dtype}")


def jacobian_sparsity(f, x):
    """The sparsity pattern of the Jacobian of ``f`` at ``x``.

    Args:
        f (callable): a function of one Tensor returning one Tensor.
        x (Tensor): where to trace ``f``; any shape, floating point.

    Returns:
        A ``scipy.sparse.csr_array`` of bools, shape ``(f(x).numel(), x.numel())``: entry
        ``(i, j)`` is True where ``f(x).flatten()[i]`` can depend on ``x.flatten()[j]``. It is found
        by propagating index sets through the primitives, not by evaluating derivatives, and holds
        at every point where ``f`` takes the same branches and data-dependent indices.
    """
    _check_input(x, "jacobian_sparsity")
    return _trace.trace(f, x)[1]


def _gradient_of(f):
    from .. import autograd

    def gradient(x):
        y = f(x)
        if y.numel() != 1:
            raise RuntimeError("hessian_sparsity(): the function must return a Tensor with a single element, "
                               f"got one of shape {tuple(y.shape)}")
        (g,) = autograd.grad(y.reshape(()), x, create_graph=True, allow_unused=True, materialize_grads=True)
        return g.reshape(-1)
    return gradient


def hessian_sparsity(f, x):
    """The sparsity pattern of the Hessian of a scalar ``f`` at ``x``: the Jacobian pattern of its
    gradient, traced through the backward pass (symmetrised).

    Returns:
        A symmetric ``scipy.sparse.csr_array`` of bools, shape ``(x.numel(), x.numel())``.
    """
    _check_input(x, "hessian_sparsity")
    p = _trace.trace(_gradient_of(f), x)[1]
    import scipy.sparse
    p = scipy.sparse.csr_array(p + p.T, dtype=bool)
    p.sort_indices()
    return p


class PreparedJacobian:
    """A Jacobian whose sparsity pattern and colouring are found once (``prepare_jacobian``):
    calling it with a new ``x`` of the same shape evaluates only the compressed products.

    Attributes:
        sparsity: the pattern (``scipy.sparse.csr_array`` of bools).
        colors: the colour of each column (forward mode) or row (reverse mode).
        mode: ``"forward"`` or ``"reverse"``.
    """

    _products = None  # the compiled evaluation, made at the first call

    def __init__(self, f, x, sparsity, mode):
        from ._compressed import Decompression
        self.f = self._user_f = f
        self.shape = tuple(x.shape)
        self.sparsity = sparsity
        if mode not in (None, "forward", "reverse"):
            raise ValueError(f"prepare_jacobian(): mode must be None, 'forward' or 'reverse', got {mode!r}")
        if mode is None:
            columns, rows = column_coloring(sparsity), row_coloring(sparsity)
            n_columns = columns.max() + 1 if len(columns) else 0
            n_rows = rows.max() + 1 if len(rows) else 0
            mode, colors = ("forward", columns) if n_columns <= n_rows else ("reverse", rows)
        else:
            colors = column_coloring(sparsity) if mode == "forward" else row_coloring(sparsity)
        self.mode = mode
        self.colors = colors
        self._decompress = Decompression(sparsity, colors, mode)

    @property
    def n_colors(self):
        """How many products one evaluation costs."""
        return int(self.colors.max()) + 1 if len(self.colors) else 0

    def __call__(self, x):
        if tuple(x.shape) != self.shape:
            raise RuntimeError(f"prepared Jacobian: expected x of shape {self.shape}, got {tuple(x.shape)}")
        if not self.sparsity.nnz:  # nothing depends on x: no product to take
            return self._decompress(None)
        seeds = self._decompress.seeds(x)
        if self._products is None:
            # The products are compiled (pullback.compile): from the third call on, one replay of
            # the vmapped JVP's (or batched VJP's) array operations. A function the recorder cannot
            # replay stays eager, silently: the results are the same either way.
            from .._compile import CompiledCallable
            from ._compressed import product_tensor
            self._products = CompiledCallable(lambda x, seeds: product_tensor(self.f, x, seeds, self.mode),
                                              guard_also=(self._user_f,), warn=False)
        return self._decompress(self._products(x, seeds).numpy())

    def __repr__(self):
        m, n = self.sparsity.shape
        return (f"PreparedJacobian({m}x{n}, {self.sparsity.nnz} nonzeros, {self.n_colors} colors, "
                f"mode={self.mode!r})")


class PreparedHessian(PreparedJacobian):
    """A Hessian whose pattern and colouring are found once (``prepare_hessian``); each call costs
    one vmapped Hessian-vector product per colour."""

    def __init__(self, f, x, sparsity):
        from ._compressed import Decompression
        self.f, self._user_f = _gradient_of(f), f
        self.shape = tuple(x.shape)
        self.sparsity = sparsity
        self.mode = "hessian"  # products H v from a batched double backward
        columns, star = column_coloring(sparsity), star_coloring(sparsity)
        if star is not None and len(star) and star.max() < columns.max():
            self.colors, recovery = star, "symmetric"
        else:
            self.colors, recovery = columns, "forward"
        self.coloring = "star" if recovery == "symmetric" else "column"
        self._decompress = Decompression(sparsity, self.colors, recovery)

    def __repr__(self):
        n = self.sparsity.shape[0]
        return f"PreparedHessian({n}x{n}, {self.sparsity.nnz} nonzeros, {self.n_colors} colors, {self.coloring} coloring)"


def prepare_jacobian(f, x, *, mode=None):
    """Detects the Jacobian's sparsity pattern of ``f`` at ``x`` and colours it, once.

    Args:
        f (callable): a function of one Tensor returning one Tensor.
        x (Tensor): a point of the shape later calls will use.
        mode (str, optional): ``"forward"`` (JVPs over column colours), ``"reverse"`` (VJPs over
            row colours), or None to pick the one with fewer colours. Default: None.

    Returns:
        A callable ``jac(x)`` returning the Jacobian at ``x`` as a ``scipy.sparse.csr_array`` of
        shape ``(f(x).numel(), x.numel())``; it exposes ``.sparsity``, ``.colors`` and ``.mode``.
    """
    return PreparedJacobian(f, x, jacobian_sparsity(f, x), mode)


def prepare_hessian(f, x):
    """Detects the Hessian's sparsity pattern of a scalar ``f`` at ``x`` and colours it, once;
    returns a callable ``hess(x)`` giving the Hessian as a ``scipy.sparse.csr_array``."""
    return PreparedHessian(f, x, hessian_sparsity(f, x))


def jacobian(f, x, *, mode=None):
    """The Jacobian of ``f`` at ``x`` as a ``scipy.sparse.csr_array`` of shape
    ``(f(x).numel(), x.numel())``, from as many JVPs (or VJPs) as the pattern needs colours.

    Args:
        f (callable): a function of one Tensor returning one Tensor.
        x (Tensor): the point; any shape, floating point.
        mode (str, optional): ``"forward"``, ``"reverse"`` or None (fewer colours). Default: None.
    """
    return prepare_jacobian(f, x, mode=mode)(x)


def hessian(f, x):
    """The Hessian of a scalar ``f`` at ``x`` as a ``scipy.sparse.csr_array`` of shape
    ``(x.numel(), x.numel())``, from one Hessian-vector product per colour."""
    return prepare_hessian(f, x)(x)
