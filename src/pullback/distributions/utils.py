"""Helpers shared by the distributions (as ``torch.distributions.utils``)."""
import numbers

import numpy as _np

import pullback as _t

euler_constant = 0.57721566490153286060


def _finfo(dtype):
    return _np.finfo(_np.dtype(str(dtype).split(".")[-1]))


def broadcast_all(*values):
    """Broadcast numbers and Tensors together; numbers take the Tensors' dtype (or the default)."""
    if not all(isinstance(v, (_t.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
                         "implementing __torch_function__.")
    if not all(isinstance(v, _t.Tensor) for v in values):
        dtype = _t.get_default_dtype()
        for v in values:
            if isinstance(v, _t.Tensor):
                dtype = v.dtype
                break
        values = [v if isinstance(v, _t.Tensor) else _t.tensor(v, dtype=dtype) for v in values]
    return _t.broadcast_tensors(*values)


def _sum_rightmost(value, dim):
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def clamp_probs(probs):
    eps = float(_finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    if is_binary:
        return _t.sigmoid(logits)
    return _t.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary=False):
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return _t.log(ps_clamped) - _t.log1p(-ps_clamped)
    return _t.log(ps_clamped)


class lazy_property:
    """A property computed once per instance, then stored in its ``__dict__``."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with _t.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def tril_matrix_to_vec(mat, diag=0):
    n = mat.shape[-1]
    rows, cols = _np.tril_indices(n, diag)
    return mat[..., _t.tensor(rows), _t.tensor(cols)]


def _standard_normal(shape, dtype):
    return _t.randn(tuple(shape), dtype=dtype)


def _cholesky(a):
    """Lower Cholesky factor of ``a`` (..., n, n), differentiable (pullback.linalg.cholesky where present)."""
    import pullback.linalg as la
    if hasattr(la, "cholesky"):
        return la.cholesky(a)
    n = a.shape[-1]
    if n == 0:
        return a * 0
    # torch's cholesky reads the lower triangle, and its gradient is symmetric: the value of the
    # symmetric matrix built from the lower triangle, the gradient of (a + a^T) / 2
    sym = (a + a.mT) / 2
    lower = a.detach().tril()
    a = sym + (lower + lower.tril(-1).mT - sym.detach())
    cols = []
    check = True
    for j in range(n):
        v = a[..., :, j]
        if j:
            lc = _t.stack(cols, -1)                                    # (..., n, j): the columns so far
            v = v - (lc @ lc[..., j, :].unsqueeze(-1)).squeeze(-1)
        if check:
            try:
                pivot = v[..., j].detach().numpy()
            except RuntimeError:            # batched under vmap: the values cannot be read
                check = False
            else:
                if not (pivot > 0).all():
                    raise RuntimeError("linalg.cholesky: The factorization could not be completed because the "
                                       f"input is not positive-definite (the leading minor of order {j + 1} is "
                                       "not positive-definite).")
        d = _t.sqrt(v[..., j:j + 1])
        mask = _t.tensor(_np.arange(n) >= j).to(a.dtype)
        cols.append(v / d * mask)
    return _t.stack(cols, -1)


def _solve_lower(l, b):
    """``l^{-1} b`` for lower-triangular ``l`` (..., n, n) and ``b`` (..., n, m), broadcasting batch dims."""
    import pullback.linalg as la
    if hasattr(la, "solve_triangular"):
        return la.solve_triangular(l, b, upper=False)
    batch = _t.broadcast_shapes(tuple(l.shape[:-2]), tuple(b.shape[:-2])) if hasattr(_t, "broadcast_shapes") \
        else tuple(_np.broadcast_shapes(tuple(l.shape[:-2]), tuple(b.shape[:-2])))
    n, m = l.shape[-1], b.shape[-1]
    l = l.expand(tuple(batch) + (n, n))
    b = b.expand(tuple(batch) + (n, m))
    rows = []
    for i in range(n):
        r = b[..., i, :]
        if i:
            r = r - (l[..., i:i + 1, :i] @ _t.stack(rows, -2))[..., 0, :]
        rows.append(r / l[..., i, i:i + 1])
    if not rows:
        return b
    return _t.stack(rows, -2)


def _broadcast_shape(*shapes):
    return _t.Size(_np.broadcast_shapes(*[tuple(s) for s in shapes]))
