"""The decompositions family: spectral and orthogonal decompositions and what is built on them: qr, eigh, svd, pinv, lstsq, matrix functions.

Each decomposition is one primitive with several outputs (``eigh``: eigenvalues and eigenvectors;
``svd``: U, S, Vh; ``qr``: Q, R). Their VJP rules are written in pullback's own ops on the saved
outputs (so gradients of gradients come free), after the formulas PyTorch uses (Giles 2008; the SVD
with its non-square terms; the QR of a tall or a wide matrix), and so are their JVPs (the
perturbation formulas of the same factorizations). They batch over leading dims by moving the batch dim to the front: NumPy's
``linalg`` already works on stacks of matrices. The norms, pinv, lstsq, matrix_rank, cond,
multi_dot and the small helpers are composites of these and of the other families' ops.
"""
import builtins
import collections
import math
import warnings

from .._backend import B
from .. import _dtype as D
from ._registry import primitive, Joint, broadcast_shape, PER_MATRIX
from . import _vmap_rules as V
from ._api import public, NAMESPACES
from ._rules import is_tensor, check_tensor, wrap_dim, wrap_dims
from .. import _creation
from .._levels import batched
from .._out import write_out
from ..autograd import grad_mode

# ------------------------------------------------------------------ helpers (arrays and Tensors)
def _np_dtype(x):
    return getattr(x.dtype, "np", x.dtype)


def _mT(x):
    nd = x.ndim
    return _transpose(x, dim0=nd - 2, dim1=nd - 1)


def _mm(a, b):
    return matmul_(a, b)


def _diag(x):
    """The main diagonals of a stack of matrices."""
    nd = x.ndim
    return _diagonal(x, offset=0, dim1=nd - 2, dim2=nd - 1)


def _unsq(x, axis):
    shape = list(x.shape)
    shape.insert(axis if axis >= 0 else len(shape) + 1 + axis, 1)
    return _reshape(x, shape=tuple(shape))


def _eye(n, like):
    return B.eye(n, dtype=_np_dtype(like))


def _embed(v):
    """A stack of diagonal matrices with the vectors ``v`` on their diagonals."""
    return _unsq(v, -1) * _eye(v.shape[-1], v)


_RESULT_TYPES = {}


def _result_type(name, fields):
    """A named tuple that prints as ``pullback.return_types.<name>(...)``, as torch's do."""
    if name not in _RESULT_TYPES:
        base = collections.namedtuple(name, fields)

        def __repr__(self):
            inner = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
            return f"pullback.return_types.{name}(\n{inner})"
        _RESULT_TYPES[name] = type(name, (base,), {"__repr__": __repr__, "__slots__": ()})
    return _RESULT_TYPES[name]


_type_name = D.kernel_name


_check_tensor = check_tensor


def _check_matrix(A, fn, name="A"):
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor {name} must have at least 2 dimensions.")


def _check_square(A, fn, name="A"):
    _check_matrix(A, fn, name)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{fn}: {name} must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def _check_floating(A, fn, low_precision=True):
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {_type_name(A.dtype)}")


def _check_lapack(A, kernel):
    """LAPACK has no half precision: torch's kernel is not implemented for it."""
    if A.dtype.is_floating_point and A.dtype.itemsize < 4:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(A.dtype)}\'')


def _written(out, result, fn, inputs):
    if out is None:
        return result
    if isinstance(result, tuple):
        return type(result)(*[write_out(o, r, fn, inputs) for o, r in zip(out, result)])
    return write_out(out, result, fn, inputs)


def _batch_front(prim, values, bdims, params, size):
    """One input whose op reads only its trailing (matrix) dims: the batch dim to the front."""
    out = prim.bind((V.to_front(values[0], bdims[0]),), params)
    return out, ((0,) * len(out) if isinstance(out, tuple) else 0)


def _batch_all(prim, values, bdims, params, size):
    out, _ = V.all_batched_rule(prim, values, bdims, params, size)
    return out, ((0,) * len(out) if isinstance(out, tuple) else 0)


# ----------------------------------------------------------------------------------- eigh
def _eigh_impl(x, uplo):
    try:
        w, v = B.linalg.eigh(x, UPLO=uplo)
    except B.linalg.LinAlgError:
        raise _linalg_error("linalg.eigh: The algorithm failed to converge because the input matrix is "
                            "ill-conditioned or has too many repeated eigenvalues.") from None
    return w, v


def _eigh_vjp(g, ans):
    """Giles (2008): A_bar = V (diag(L_bar) + skew(V^T V_bar) / E) V^T, E_ij = L_j - L_i (the
    diagonal of E set to 1: the skew part is zero there). Degenerate eigenvalues give inf/nan where
    V_bar asks for the ill-defined directions, as torch's does."""
    gL, gV = g
    L, Q = ans
    if gV is None:
        if gL is None:
            return (None,)
        return (_mm(Q * _unsq(gL, -2), _mT(Q)),)
    X = _mm(_mT(Q), gV)
    X = (X - _mT(X)) * 0.5
    E = _unsq(L, -2) - _unsq(L, -1) + _eye(L.shape[-1], L)
    X = X / E
    if gL is not None:
        X = X + _embed(gL)
    return (_mm(_mm(Q, X), _mT(Q)),)


def _eigh_jvp(primals, tangents, params, outputs):
    """dP = V^T dA V: dL = diag(dP), dV = V (dP / E), its diagonal zero (as torch's, on dA as given)."""
    dA = tangents[0]
    L, Q = outputs
    dP = _mm(_mm(_mT(Q), dA), Q)
    E = _unsq(L, -2) - _unsq(L, -1)
    n = L.shape[-1]
    off = 1.0 - _eye(n, L)
    dV = _mm(Q, dP * off / (E + _eye(n, L)))
    return _diag(dP) * 1.0, dV


eigh_ = primitive("linalg_eigh", _eigh_impl, outputs=2, out_dtype="float", grad_name="LinalgEighBackward0",
                  vjp=Joint(lambda g, ans, needs: _eigh_vjp(g, ans)), jvp=_eigh_jvp, batch=_batch_front, sparsity=PER_MATRIX)


def _check_uplo(UPLO):
    if not isinstance(UPLO, str) or len(UPLO) != 1 or UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def _eigh(A, UPLO, fn):
    _check_tensor(A, fn.replace(".", "_"), "input")
    _check_square(A, "linalg.eigh")
    if not A.dtype.is_floating_point:
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for \'{_type_name(A.dtype)}\'')
    _check_lapack(A, "linalg_eigh_cpu")
    return eigh_.bind((A,), {"uplo": _check_uplo(UPLO)})


@public("linalg.eigh")
def eigh(A, UPLO="L", *, out=None):
    """The eigenvalue decomposition of symmetric matrices: ``A = Q diag(L) Q^T``.

    Only the lower (``UPLO='L'``) or upper (``'U'``) triangle of ``A`` is read. Returns a named
    tuple ``(eigenvalues, eigenvectors)``, the eigenvalues in ascending order. The gradient is
    well defined only where the eigenvalues are distinct (and the loss is independent of the signs
    of the eigenvectors).

    Args:
        A (Tensor): a ``(*, n, n)`` tensor of symmetric matrices.
        UPLO ('L', 'U', optional): which triangle to read. Default: ``'L'``.
        out (tuple, optional): the output tuple of two tensors.

    Example::

        >>> pullback.linalg.eigh(pullback.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        tensor([1., 3.])
    """
    L, Q = _eigh(A, UPLO, "linalg.eigh")
    return _written(out, _result_type("linalg_eigh", ["eigenvalues", "eigenvectors"])(L, Q), "linalg.eigh", (A,))


@public("linalg.eigvalsh")
def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues of symmetric matrices, in ascending order (see ``linalg.eigh``).

    Example::

        >>> pullback.linalg.eigvalsh(pullback.tensor([[2.0, 1.0], [1.0, 2.0]]))
        tensor([1., 3.])
    """
    return _written(out, _eigh(A, UPLO, "linalg.eigvalsh")[0], "linalg.eigvalsh", (A,))


# ------------------------------------------------------------------------------------ svd
def _linalg_error(message):
    """torch's LinAlgError (a RuntimeError) where the solve family declares it, else a RuntimeError."""
    return NAMESPACES["linalg"].get("LinAlgError", RuntimeError)(message)


_SVD_FAILED = ("linalg.svd: The algorithm failed to converge because the input matrix contained non-finite "
               "values.")


def _np_svd(x, **kwargs):
    try:
        return B.linalg.svd(x, **kwargs)
    except B.linalg.LinAlgError:
        raise _linalg_error(_SVD_FAILED) from None


def _svd_impl(x, full_matrices):
    u, s, vh = _np_svd(x, full_matrices=full_matrices)
    return u, s, vh


def _svd_vjp(g, ans, full_matrices):
    """PyTorch's svd_backward: with S2 = S^2 and E_ij = S2_j - S2_i, the part inside the singular
    subspaces ``(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)``, plus, for a tall (wide) A, the
    part of gU (gV) outside the column (row) space, divided by S. With full_matrices, only the
    first k columns of U (rows of Vh) enter the gradient (the others are not unique)."""
    gU, gS, gVh = g
    U, S, Vh = ans
    k = S.shape[-1]
    if full_matrices:
        U, Vh = U[..., :, :k], Vh[..., :k, :]
        gU = gU[..., :, :k] if gU is not None else None
        gVh = gVh[..., :k, :] if gVh is not None else None
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        if gS is None:
            return (None,)
        return (_mm(U * _unsq(gS, -2), Vh),)
    S2 = S * S
    E = _unsq(S2, -2) - _unsq(S2, -1) + _eye(k, S)
    UhgU = VhgV = None
    if gU is not None:
        UhgU = _mm(_mT(U), gU)
        UhgU = UhgU - _mT(UhgU)
    if gVh is not None:
        VhgV = _mm(Vh, _mT(gVh))
        VhgV = VhgV - _mT(VhgV)
    if UhgU is not None and VhgV is not None:
        gA = (UhgU * _unsq(S, -2) + _unsq(S, -1) * VhgV) / E
    elif UhgU is not None:
        gA = UhgU / E * _unsq(S, -2)
    else:
        gA = _unsq(S, -1) * (VhgV / E)
    if gS is not None:
        gA = gA + _embed(gS)
    if m > k and gU is not None:
        gA = _mm(U, gA)
        gUSinv = gU / _unsq(S, -2)
        gA = gA + gUSinv - _mm(U, _mm(_mT(U), gUSinv))
        gA = _mm(gA, Vh)
    elif n > k and gVh is not None:
        gA = _mm(gA, Vh)
        SinvgVh = gVh / _unsq(S, -1)
        gA = gA + SinvgVh - _mm(_mm(SinvgVh, _mT(Vh)), Vh)
        gA = _mm(U, gA)
    else:
        gA = _mm(U, _mm(gA, Vh))
    return (gA,)


def _svd_jvp(primals, tangents, params, outputs):
    """With dP = U^T dA V: dS = diag(dP); U^T dU = F o (dP S + S dP^T) and V^T dV = F o (S dP + dP^T S),
    F_ij = 1 / (S_j^2 - S_i^2) off the diagonal, plus for a tall (wide) A the part of dA V (dA^T U)
    outside the span of U (V), divided by S."""
    dA = tangents[0]
    U, S, Vh = outputs
    m, n = U.shape[-2], Vh.shape[-1]
    k = S.shape[-1]
    pad_u = pad_v = 0
    if params["full_matrices"]:   # the extra columns of U (rows of Vh) are not unique: zero tangents, as torch's
        pad_u, pad_v = m - k, n - k
        U, Vh = U[..., :, :k], Vh[..., :k, :]
    V_ = _mT(Vh)
    dAV = _mm(dA, V_)
    dP = _mm(_mT(U), dAV)
    S2 = S * S
    eye = _eye(k, S)
    F = (1.0 - eye) / (_unsq(S2, -2) - _unsq(S2, -1) + eye)
    Sr, Sc = _unsq(S, -2), _unsq(S, -1)           # S as a row (scales columns) and as a column
    dPt = _mT(dP)
    dU = _mm(U, F * (dP * Sr + Sc * dPt))
    dV = _mm(V_, F * (Sc * dP + dPt * Sr))
    if m > k:
        dU = dU + (dAV - _mm(U, dP)) / Sr
    if n > k:
        dV = dV + (_mm(_mT(dA), U) - _mm(V_, dPt)) / Sr
    dVh = _mT(dV)
    if pad_u:
        dU = _cat(dU, U[..., :, :1] * 0 * _zeros_row(pad_u, U), axis=dU.ndim - 1)
    if pad_v:
        dVh = _cat(dVh, _mT(V_[..., :, :1] * 0 * _zeros_row(pad_v, V_)), axis=dVh.ndim - 2)
    return dU, _diag(dP) * 1.0, dVh


def _zeros_row(count, like):
    return B.zeros((1, count), dtype=_np_dtype(like))


svd_ = primitive("linalg_svd", _svd_impl, outputs=3, out_dtype="float", grad_name="LinalgSvdBackward0",
                 vjp=Joint(lambda g, ans, full_matrices, needs: _svd_vjp(g, ans, full_matrices)),
                 jvp=_svd_jvp, batch=_batch_front, sparsity=PER_MATRIX)


def _svd(A, full_matrices, fn):
    _check_tensor(A, fn.replace(".", "_"))
    _check_matrix(A, fn)
    _check_floating(A, fn)
    _check_lapack(A, "linalg_svd_cpu")
    return svd_.bind((A,), {"full_matrices": bool(full_matrices)})


@public("linalg.svd")
def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    """The singular value decomposition ``A = U diag(S) Vh``.

    Returns a named tuple ``(U, S, Vh)``, the singular values in descending order. With
    ``full_matrices=False``, U is ``(*, m, k)`` and Vh ``(*, k, n)`` (k = min(m, n)). Gradients are
    well defined where the singular values are distinct and nonzero, for losses that do not depend
    on the signs of the singular vectors; with ``full_matrices=True`` only the first k columns of U
    (rows of Vh) enter the gradient.

    Args:
        A (Tensor): a ``(*, m, n)`` tensor.
        full_matrices (bool, optional): full (square) U and Vh. Default: True.
        driver (str, optional): CUDA only in torch: any value raises its error (the CPU uses gesdd).
        out (tuple, optional): the output tuple of three tensors.

    Example::

        >>> pullback.linalg.svd(pullback.tensor([[3.0, 0.0], [0.0, -2.0]])).S
        tensor([3., 2.])
    """
    _check_driver(driver)
    U, S, Vh = _svd(A, full_matrices, "linalg.svd")
    return _written(out, _result_type("linalg_svd", ["U", "S", "Vh"])(U, S, Vh), "linalg.svd", (A,))


def _check_driver(driver):
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")


@public("linalg.svdvals")
def svdvals(A, *, driver=None, out=None):
    """The singular values of ``A``, in descending order (see ``linalg.svd``).

    Example::

        >>> pullback.linalg.svdvals(pullback.tensor([[3.0, 0.0], [0.0, -2.0]]))
        tensor([3., 2.])
    """
    _check_tensor(A, "linalg_svdvals")
    _check_driver(driver)
    return _written(out, _svd(A, False, "linalg.svd")[1], "linalg.svdvals", (A,))


@public("svd", method=True)
def svd(input, some=True, compute_uv=True, *, out=None):
    """The singular value decomposition ``input = U diag(S) V^T`` (torch's older ``svd``: it returns
    V, not Vh).

    With ``some=True`` the reduced decomposition; with ``compute_uv=False`` U and V are zero
    matrices of the full shapes (only S is computed, and only S has a gradient).

    Example::

        >>> pullback.svd(pullback.tensor([[3.0, 0.0], [0.0, -2.0]])).S
        tensor([3., 2.])
    """
    _check_tensor(input, "svd", "input")
    if compute_uv:
        U, S, Vh = _svd(input, not some, "linalg.svd")
        V_ = _mT(Vh)
    else:
        S = _svd(input, False, "linalg.svd")[1]
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        U = _creation.zeros(batch + (m, m), dtype=S.dtype)
        V_ = _creation.zeros(batch + (n, n), dtype=S.dtype)
    return _written(out, _result_type("svd", ["U", "S", "V"])(U, S, V_), "svd", (input,))


# ------------------------------------------------------------------------------------- qr
def _qr_impl(x, mode):
    if mode == "r":
        r = B.linalg.qr(x, mode="r")
        return B.zeros((0,), dtype=x.dtype), r
    q, r = B.linalg.qr(x, mode=mode)
    return q, r


def _trsolve_impl(b, r, trans):
    """``b @ op(R)^-1`` for upper-triangular R (op(R) = R^T with ``trans``), by triangular solves."""
    import scipy.linalg
    out_shape = B.broadcast_shapes(b.shape[:-2], r.shape[:-2]) + b.shape[-2:]
    if math.prod(out_shape) == 0:
        return B.zeros(out_shape, dtype=b.dtype)
    n = r.shape[-1]
    bt = B.broadcast_to(B.swapaxes(b, -1, -2), out_shape[:-2] + (b.shape[-1], b.shape[-2])).reshape((-1, n, b.shape[-2]))
    rr = B.broadcast_to(r, out_shape[:-2] + (n, n)).reshape((-1, n, n))
    out = B.empty_like(bt)
    for i in range(bt.shape[0]):   # X op(R) = b  <=>  op(R)^T X^T = b^T
        out[i] = scipy.linalg.solve_triangular(rr[i], bt[i], trans=0 if trans else 1, lower=False,
                                               check_finite=False)
    return B.swapaxes(out.reshape(out_shape[:-2] + (n, b.shape[-2])), -1, -2)


def _trsolve_vjp(g, ans, r, trans, needs):
    gb = trsolve_(g, r, trans=not trans)     # G op(R)^-T
    gr = None
    if needs[1]:
        gop = -_mm(_mT(ans), gb)
        gr = _triu(_mT(gop) if trans else gop, diagonal=0)
    return (gb if needs[0] else None, gr)


# X = b op(R)^-1 for an upper-triangular R (its strict lower triangle is not read): the QR VJP's
# division by R^T, as triangular solves (an explicit inverse loses float32 digits).
def _trsolve_jvp(primals, tangents, params, outputs):
    """dX = (db - X d op(R)) op(R)^-1."""
    (_, r), (db, dr), X = primals, tangents, outputs[0]
    rhs = db
    if dr is not None:
        dop = _triu(dr, diagonal=0)
        t = _mm(X, _mT(dop) if params["trans"] else dop)
        rhs = -t if rhs is None else rhs - t
    return (trsolve_(rhs, r, trans=params["trans"]),)


trsolve_ = primitive("triangular_solve", _trsolve_impl, inputs="b r", out_dtype="float",
                     grad_name="LinalgSolveTriangularBackward0", vjp=Joint(_trsolve_vjp), jvp=_trsolve_jvp,
                     batch=_batch_all, sparsity=PER_MATRIX)


def _copyltu(M):
    """The symmetric matrix whose lower triangle is M's."""
    low = _tril(M, diagonal=-1)
    return low + _mT(low) + _embed(_diag(M))


def _qr_square_vjp(Q, R, gQ, gR):
    """m >= n, reduced: gA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q."""
    M = None
    if gR is not None:
        M = _mm(R, _mT(gR))
    if gQ is not None:
        t = _mm(_mT(gQ), Q)
        M = -t if M is None else M - t
    b = _mm(Q, _copyltu(M))
    if gQ is not None:
        b = b + gQ
    return trsolve_(b, R, trans=True)


def _qr_vjp(g, ans, mode):
    gQ, gR = g
    Q, R = ans
    if gQ is None and gR is None:
        return (None,)
    m, n = Q.shape[-2], R.shape[-1]
    if m >= n:
        return (_qr_square_vjp(Q, R, gQ, gR),)
    # A wide A = Q [X | Y] R: X = Q R1 is square; Y = Q R2 moves Q's cotangent by Y gR2^T.
    R1, R2 = R[..., :, :m], R[..., :, m:]
    gR1 = gR[..., :, :m] if gR is not None else None
    gR2 = gR[..., :, m:] if gR is not None else None
    Y = _mm(Q, R2)
    if gR2 is not None:
        gQ = _mm(Y, _mT(gR2)) if gQ is None else gQ + _mm(Y, _mT(gR2))
    gX = _qr_square_vjp(Q, R1, gQ, gR1)
    gY = _mm(Q, gR2) if gR2 is not None else Y * 0
    return (_cat(gX, gY, axis=gX.ndim - 1),)


def _qr_vjp_checked(g, ans, mode, x_shape):
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                           "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                           "linalg.qr.")
    if mode == "complete" and x_shape[-2] > x_shape[-1]:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    return _qr_vjp(g, ans, mode)


def _qr_square_jvp(Q, R, dA):
    """m >= n: with C = Q^T dA R^-1 and Omega = tril(C, -1) - tril(C, -1)^T (Q^T dQ, antisymmetric):
    dR = (C - Omega) R, dQ = dA R^-1 - Q (C - Omega)."""
    dAR = trsolve_(dA, R, trans=False)
    C = _mm(_mT(Q), dAR)
    low = _tril(C, diagonal=-1)
    T = C - low + _mT(low)
    return dAR - _mm(Q, T), _mm(T, R)


def _qr_jvp(primals, tangents, params, outputs):
    dA = tangents[0]
    Q, R = outputs
    mode = params["mode"]
    m, n = primals[0].shape[-2], primals[0].shape[-1]
    if mode == "r" or (mode == "complete" and m > n):
        raise RuntimeError("linalg.qr: forward-mode derivatives need Q (mode='reduced', or 'complete' with "
                           "nrows <= ncols)")
    if m >= n:
        return _qr_square_jvp(Q, R, dA)
    dQ, dR1 = _qr_square_jvp(Q, R[..., :, :m], dA[..., :, :m])
    dR2 = _mm(_mT(Q), dA[..., :, m:] - _mm(dQ, R[..., :, m:]))
    return dQ, _cat(dR1, dR2, axis=dR1.ndim - 1)


qr_ = primitive("linalg_qr", _qr_impl, outputs=2, out_dtype="float", grad_name="LinalgQrBackward0",
                vjp=Joint(lambda g, ans, mode, x_shape, needs: _qr_vjp_checked(g, ans, mode, x_shape)),
                jvp=_qr_jvp, batch=_batch_front, sparsity=PER_MATRIX)


def _qr(A, mode, fn):
    _check_tensor(A, fn.replace(".", "_"))
    _check_matrix(A, fn)
    _check_floating(A, fn)
    _check_lapack(A, "geqrf_cpu")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    return qr_.bind((A,), {"mode": mode})


@public("linalg.qr")
def linalg_qr(A, mode="reduced", *, out=None):
    """The QR decomposition ``A = Q R``: Q with orthonormal columns, R upper triangular.

    Args:
        A (Tensor): a ``(*, m, n)`` tensor.
        mode ('reduced', 'complete', 'r'): Q is ``(*, m, k)`` and R ``(*, k, n)`` (k = min(m, n)),
            Q is ``(*, m, m)`` and R ``(*, m, n)``, or only R is computed (Q is empty). Default:
            ``'reduced'``.
        out (tuple, optional): the output tuple of two tensors.

    Example::

        >>> Q, R = pullback.linalg.qr(pullback.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> pullback.allclose(Q @ R, pullback.tensor([[1.0, 2.0], [3.0, 4.0]]))
        True
    """
    Q, R = _qr(A, mode, "linalg.qr")
    return _written(out, _result_type("linalg_qr", ["Q", "R"])(Q, R), "linalg.qr", (A,))


@public("qr", method=True)
def qr(input, some=True, *, out=None):
    """The QR decomposition (torch's older ``qr``): ``some=True`` is ``mode='reduced'``, ``False``
    is ``mode='complete'``.

    Example::

        >>> pullback.qr(pullback.tensor([[3.0, 0.0], [4.0, 5.0]])).R.shape
        pullback.Size([2, 2])
    """
    _check_tensor(input, "qr", "input")
    Q, R = _qr(input, "reduced" if some else "complete", "linalg.qr")
    return _written(out, _result_type("qr", ["Q", "R"])(Q, R), "qr", (input,))


# ---------------------------------------------------------------------------------- norms
def _check_norm_dtype(dtype, A, fn):
    if dtype is None:
        return
    if not dtype.is_floating_point:
        raise RuntimeError(f"{fn}: dtype should be floating point or complex, but got {_type_name(dtype)}")
    if dtype.itemsize < A.dtype.itemsize:
        raise RuntimeError(f"{fn}: the dtype of the input ({_type_name(A.dtype)}) should be convertible without "
                           f"narrowing to the specified dtype ({_type_name(dtype)})")


def _vector_norm(x, ord, dim, keepdim, dtype):
    _check_floating(x, "linalg.vector_norm")
    _check_norm_dtype(dtype, x, "linalg.vector_norm")
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(dim, int):
        dim = (dim,)
    ord = builtins.float(ord)
    try:
        return R.vector_norm.bind((x,), {"ord": ord, "axis": wrap_dims(dim, x.ndim), "keepdim": bool(keepdim)})
    except RuntimeError as e:  # an inf norm over an empty dim: torch names the dim as the user wrote it
        if "on the dimension " not in str(e):
            raise
        empty = next(d for d in dim if x.shape[wrap_dim(d, x.ndim)] == 0)
        raise RuntimeError(f"linalg.vector_norm cannot compute the {'-' if ord < 0 else ''}inf norm on the dimension "
                           f"{empty}because this dimension is empty and the operation does not have an identity") from None


@public("linalg.vector_norm")
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements when None).

    Args:
        x (Tensor): a floating point tensor.
        ord (number, optional): ``inf``, ``-inf``, 0 (the number of nonzeros) or any other number:
            ``sum(|x|**ord) ** (1 / ord)``. Default: 2.
        dim (int or tuple of ints, optional): the dims to reduce. Default: all of them.
        keepdim (bool, optional): keep the reduced dims, with size 1. Default: False.
        dtype (dtype, optional): ``x`` is cast to it first.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.linalg.vector_norm(pullback.tensor([3.0, -4.0]))
        tensor(5.)
    """
    if not is_tensor(x):
        raise TypeError(f"linalg_vector_norm(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if isinstance(ord, str) or not isinstance(ord, (int, float)) and not is_tensor(ord):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {type(ord).__name__}")
    return _written(out, _vector_norm(x, ord, dim, keepdim, dtype), "linalg.vector_norm", (x,))


def _matrix_norm(A, ord, dim, keepdim, dtype):
    fn = "linalg.matrix_norm"
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"{fn}: Order {ord} not supported.")
    else:
        ord = builtins.float(ord)
        if abs(ord) not in (1.0, 2.0, math.inf):
            raise RuntimeError(f"{fn}: Order {_number_text(ord)} not supported.")
    _check_matrix(A, fn)
    _check_floating(A, fn)
    if (ord == "nuc" or not isinstance(ord, str) and abs(ord) == 2.0) and not _float_or_double(A):
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got {_type_name(A.dtype)}")
    dim = tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)
    if len(dim) != 2:
        raise RuntimeError(f"{fn}: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    d0, d1 = wrap_dim(dim[0], A.ndim), wrap_dim(dim[1], A.ndim)
    if d0 == d1:
        raise RuntimeError(f"{fn}: dims must be different. Got ({d0}, {d1})")
    _check_norm_dtype(dtype, A, fn)
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return _vector_norm(A, 2, (d0, d1), keepdim, None)
    if ord == "nuc" or abs(ord) == 2.0:
        S = _svd(S_.movedim(A, (d0, d1), (-2, -1)), False, "linalg.svdvals")[1]
        result = S.sum(-1) if ord == "nuc" else _extremum(S, -1, False, ord > 0)
        if keepdim:
            for a in sorted((d0, d1)):
                result = S_.unsqueeze(result, a)
        return result
    if ord == math.inf or ord == -math.inf:   # the 1-norm of the transposed matrix
        d0, d1 = d1, d0
    first = _vector_norm(A, 1, (d0,), keepdim, None)
    if not keepdim and d0 < d1:
        d1 -= 1
    return _extremum(first, d1, keepdim, ord > 0)


def _extremum(x, dim, keepdim, largest):
    """The max (min) over ``dim`` of nonnegative values; the max of none of them is 0, as torch's
    matrix norms give (the min of none raises amin's error)."""
    if largest and x.shape[dim] == 0:
        return x.sum(dim, keepdim=keepdim)
    return (F.amax if largest else F.amin)(x, dim, keepdim)


def _number_text(x):
    """A double as C++ streams print it (3 for 3.0)."""
    if not math.isfinite(x):
        return "nan" if x != x else "inf" if x > 0 else "-inf"
    return str(int(x)) if x == int(x) and abs(x) < 1e16 else repr(x)


@public("linalg.matrix_norm")
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """The matrix ``ord``-norm of the matrices of ``A`` (over the two dims ``dim``).

    Args:
        A (Tensor): a floating point tensor with at least 2 dims.
        ord: ``'fro'`` (Frobenius), ``'nuc'`` (nuclear), ``inf``/``-inf`` (max/min row sum of
            absolute values), 1/-1 (max/min column sum), 2/-2 (largest/smallest singular value).
            Default: ``'fro'``.
        dim (2-tuple of ints, optional): the matrix dims. Default: ``(-2, -1)``.
        keepdim (bool, optional): keep the reduced dims, with size 1. Default: False.
        dtype (dtype, optional): ``A`` is cast to it first.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.linalg.matrix_norm(pullback.tensor([[1.0, -2.0], [3.0, 4.0]]), 1)
        tensor(6.)
    """
    _check_tensor(A, "linalg_matrix_norm", "input")
    return _written(out, _matrix_norm(A, ord, dim, keepdim, dtype), "linalg.matrix_norm", (A,))


@public("linalg.norm")
def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    """A vector or matrix norm: ``vector_norm`` over one dim (or over all elements when ``ord`` and
    ``dim`` are None), ``matrix_norm`` over two dims (or of a 2-D ``A`` when ``ord`` is given).

    Example::

        >>> pullback.linalg.norm(pullback.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(5.)
    """
    _check_tensor(A, "linalg_norm", "input")
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                               f"[{', '.join(map(str, dim))}]")
    elif ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D.")
    if isinstance(ord, str):
        result = _matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype)
    elif ord is not None and (dim is not None and len(dim) == 2 or dim is None and A.ndim == 2):
        result = _matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype)
    else:
        result = _vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype)
    return _written(out, result, "linalg.norm", (A,))


# ------------------------------------------------------------------------- pinv, lstsq, rank
def _pinv_impl(x, atol, rtol, hermitian):
    if hermitian:
        w, v = _eigh_impl(x, "L")
        s_abs = B.abs(w)
        top = s_abs.max(-1, keepdims=True, initial=0.0) if w.shape[-1] else s_abs[..., :1]
        tol = B.maximum(B.asarray(atol)[..., None], B.asarray(rtol)[..., None] * top)
        with B.errstate(divide="ignore"):
            inv = B.where(s_abs > tol, 1.0 / B.where(s_abs > tol, w, 1.0), 0.0).astype(x.dtype)
        return B.matmul(v * inv[..., None, :], B.swapaxes(v, -1, -2))
    u, s, vh = _np_svd(x, full_matrices=False)
    tol = B.maximum(B.asarray(atol)[..., None], B.asarray(rtol)[..., None] * s[..., :1])
    inv = B.where(s > tol, 1.0 / B.where(s > tol, s, 1.0), 0.0).astype(x.dtype)
    return B.matmul(B.swapaxes(vh, -1, -2) * inv[..., None, :], B.swapaxes(u, -1, -2))


def _pinv_vjp(g, x, ans):
    """PyTorch's pinv_backward: the derivative of the pseudo-inverse where the rank is constant."""
    m, n = x.shape[-2], x.shape[-1]
    pinvAh = _mT(ans)
    gh = _mT(g)
    if m <= n:
        K = _mm(gh, ans)
        KpinvAh = _mm(K, pinvAh)
        return (-_mT(_mm(ans, K)) + KpinvAh - _mm(_mm(x, ans), KpinvAh)
                + _mm(_mm(pinvAh, ans), gh - _mm(K, x)))
    K = _mm(ans, gh)
    pinvAhK = _mm(pinvAh, K)
    return (-_mT(_mm(K, ans)) + _mm(_mm(gh - _mm(x, K), ans), pinvAh) + pinvAhK
            - _mm(_mm(pinvAhK, ans), x))


def _batch_pinv(prim, values, bdims, params, size):
    if B.ndim(params["atol"]) or B.ndim(params["rtol"]):   # per-matrix tolerances: one batch dim more
        params = dict(params, atol=B.asarray(params["atol"])[None], rtol=B.asarray(params["rtol"])[None])
    return prim.bind((V.to_front(values[0], bdims[0]),), params), 0


def _pinv_jvp(primals, tangents, params, outputs):
    """Golub and Pereyra: dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X."""
    A, dA, X = primals[0], tangents[0], outputs[0]
    dAt, Xt = _mT(dA), _mT(X)
    AX, XA = _mm(A, X), _mm(X, A)
    m, n = A.shape[-2], A.shape[-1]
    return (-_mm(_mm(X, dA), X) + _mm(_mm(X, Xt), _mm(dAt, _eye(m, A) - AX))
            + _mm(_mm(_eye(n, A) - XA, dAt), _mm(Xt, X)),)


pinv_ = primitive("linalg_pinv", _pinv_impl, out_dtype="float", grad_name="LinalgPinvBackward0",
                  vjp=_pinv_vjp, jvp=_pinv_jvp, batch=_batch_pinv, sparsity=PER_MATRIX)


def _tolerances(A, atol, rtol, fn):
    """torch's atol and rtol: rtol defaults to eps * max(m, n), or to 0 where atol > 0 is given."""
    def value(t):
        if t is None:
            return None
        if is_tensor(t):
            if _levels_batched(t):
                raise RuntimeError(f"vmap: {fn} takes tolerances that vmap does not batch")
            return B.asarray(t._data, dtype=A.dtype.np)
        return B.asarray(builtins.float(t), dtype=A.dtype.np)
    a, r = value(atol), value(rtol)
    if r is None:
        eps = B.finfo(A.dtype.np).eps * builtins.max(A.shape[-2], A.shape[-1])
        r = B.asarray(eps if a is None or not B.any(a > 0) else 0.0, dtype=A.dtype.np)
        if a is not None and a.ndim:
            r = B.where(a > 0, 0.0, eps).astype(A.dtype.np)
    if a is None:
        a = B.zeros((), dtype=A.dtype.np)
    return a, r


def _float_or_double(t):
    return t.dtype.is_floating_point and t.dtype.itemsize >= 4


def _levels_batched(t):
    return batched(t)


def _pinv(A, atol, rtol, hermitian, fn="linalg.pinv"):
    _check_tensor(A, "linalg_pinv", "input")
    if A.ndim < 2 or not A.dtype.is_floating_point or A.dtype.itemsize < 4:
        raise RuntimeError(f"{fn}({_type_name(A.dtype)}{{{list(A.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    if hermitian:
        _check_square(A, "linalg.eigh")
    a, r = _tolerances(A, atol, rtol, fn)
    return pinv_.bind((A,), {"atol": a, "rtol": r, "hermitian": bool(hermitian)})


@public("linalg.pinv")
def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The (Moore-Penrose) pseudo-inverse of the matrices of ``A``.

    Singular values at or below ``max(atol, rtol * largest)`` are treated as zero. ``rtol``
    defaults to ``eps * max(m, n)``, or to 0 where ``atol > 0`` is given; the older ``rcond`` is
    ``rtol``.

    Args:
        A (Tensor): a ``(*, m, n)`` tensor.
        hermitian (bool, optional): ``A`` is symmetric (only its lower triangle is read; an
            eigendecomposition is used). Default: False.
        atol, rtol (float or Tensor, optional): the absolute and relative tolerances.

    Example::

        >>> pullback.linalg.pinv(pullback.tensor([[2.0, 0.0], [0.0, 0.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.0000]])
    """
    if rcond is not None:
        atol, rtol = 0.0, rcond
    return _written(out, _pinv(A, atol, rtol, hermitian), "linalg.pinv", (A,))


@public("pinverse", method=True)
def pinverse(input, rcond=1e-15):
    """The pseudo-inverse of ``input``: ``linalg.pinv(input, rtol=rcond)``.

    Example::

        >>> pullback.pinverse(pullback.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    _check_tensor(input, "pinverse", "input")
    return _pinv(input, 0.0, rcond, False)


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


@public("linalg.lstsq")
def lstsq(A, B_, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B``, as a named tuple ``(solution, residuals, rank,
    singular_values)``.

    The solution is the minimum-norm one, ``pinv(A) @ B`` (its gradient is the pseudo-inverse's). As
    for torch's CPU default driver ``gelsy``, ``residuals`` and ``singular_values`` are empty and
    ``rank`` is computed; ``gelsd`` and ``gelss`` also give the singular values and, for a tall A of
    full rank, the squared residuals of each column; ``gels`` assumes full rank (no rank).

    Args:
        A (Tensor): ``(*, m, n)``.
        B (Tensor): ``(*, m, k)`` (or ``(*, m)``).
        rcond (float, optional): singular values below ``rcond`` times the largest are treated as
            zero. Default: ``eps * max(m, n)``.
        driver (str, optional): one of ``gels``, ``gelsy`` (the default), ``gelsd``, ``gelss``.

    Example::

        >>> A = pullback.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
        >>> pullback.linalg.lstsq(A, pullback.tensor([[1.0], [2.0], [3.0]])).solution
        tensor([[1.],
                [2.]])
    """
    _check_tensor(A, "linalg_lstsq", "self")
    _check_tensor(B_, "linalg_lstsq", "b", 2)
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if not _float_or_double(A) or not _float_or_double(B_):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dtype is not B_.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {_type_name(A.dtype)} and other's dtype {_type_name(B_.dtype)}")
    driver = "gelsy" if driver is None else driver
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    vector = B_.ndim == A.ndim - 1
    if B_.shape[-2 if not vector else -1] != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    broadcast_shape((tuple(A.shape[:-2]), tuple(B_.shape[:-1 if vector else -2])))  # torch's error if not
    m, n = A.shape[-2:]
    rtol = rcond if rcond is not None and rcond > 0 else None
    P = _pinv(A, None if rtol is None else 0.0, rtol, False)
    X = _mm(P, B_) if not vector else _mm(P, _unsq(B_, -1))[..., 0]
    empty = A.new_zeros((0,))
    rank, sv, residuals = A.new_zeros((0,), dtype=D.int64), empty, empty
    if driver != "gels":
        with _no_grad():
            S = svd_.bind((A.detach(),), {"full_matrices": False})[1]
            tol = S[..., :1] * (rtol if rtol is not None else B.finfo(A.dtype.np).eps * builtins.max(m, n))
            rank = (S > tol).sum(-1) if S.shape[-1] else _creation.zeros(tuple(A.shape[:-2]), dtype=D.int64)
            if driver in ("gelsd", "gelss"):
                sv = S
    if m > n and driver != "gelsy" and (driver == "gels" or bool((rank == n).all())):
        r = _mm(A, X if not vector else _unsq(X, -1)) - (B_ if not vector else _unsq(B_, -1))
        residuals = (r * r).sum(-2)  # (a vector B is one column: one residual)
    return _result_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])(X, residuals, rank, sv)


def _rank_inputs(A, atol, rtol, hermitian, fn):
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor input must have at least 2 dimensions.")
    if not _float_or_double(A):
        raise RuntimeError("This function doesn't handle types other than float and double")
    with _no_grad():
        if hermitian:
            S = eigh_.bind((A.detach(),), {"uplo": "L"})[0].abs()
        else:
            S = svd_.bind((A.detach(),), {"full_matrices": False})[1]
        a, r = _tolerances(A, atol, rtol, fn)
        if S.shape[-1] == 0:
            return _creation.zeros(tuple(A.shape[:-2]), dtype=D.int64)
        top = F.amax(S, -1, True)
        tol = E.maximum(top * r[..., None], a[..., None].astype(A.dtype.np))
        return (S > tol).sum(-1)


@public("linalg.matrix_rank")
def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The numerical rank of the matrices of ``A``: the number of singular values above
    ``max(atol, rtol * largest)`` (``rtol`` defaults to ``eps * max(m, n)``, or to 0 where
    ``atol > 0`` is given; the older ``tol`` is ``atol``).

    Example::

        >>> pullback.linalg.matrix_rank(pullback.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(1)
    """
    _check_tensor(A, "linalg_matrix_rank", "input")
    if tol is not None:
        atol, rtol = tol, 0.0
    return _written(out, _rank_inputs(A, atol, rtol, hermitian, "torch.linalg.matrix_rank"), "linalg.matrix_rank",
                    (A,))


@public("linalg.cond")
def cond(A, p=None, *, out=None):
    """The condition number of the matrices of ``A`` in the matrix norm ``p``: the ratio of the
    largest to the smallest singular value for ``p`` None, 2 (and its inverse for -2); for
    ``'fro'``, ``'nuc'``, inf, -inf, 1, -1: ``norm(A, p) * norm(inv(A), p)`` (square A).

    Example::

        >>> pullback.linalg.cond(pullback.tensor([[2.0, 0.0], [0.0, 0.5]]))
        tensor(4.)
    """
    _check_tensor(A, "linalg_cond", "input")
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    valid = (None, "fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)
    if not any(p == v and type(p) is not bool and (isinstance(p, str) == isinstance(v, str)) for v in valid):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {_number_text(p) if isinstance(p, float) else p}")
    if p is None or (not isinstance(p, str) and abs(p) == 2):
        S = _svd(A, False, "linalg.svd")[1]
        if S.shape[-1] == 0:
            result = S.sum(-1)
        elif p == -2:
            result = S[..., -1] / S[..., 0]
        else:
            result = S[..., 0] / S[..., -1]
        return _written(out, result, "linalg.cond", (A,))
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    _check_floating(A, "linalg.cond")
    if A.numel() == 0:
        return _written(out, A.sum((-2, -1)), "linalg.cond", (A,))
    _check_inverse_dtype(A)
    singular = _singular(A)   # torch: inf where LU finds an exact zero pivot (and no error)
    if singular.any():
        A_ = E.where(_creation_tensor(singular[..., None, None]), _eye(A.shape[-1], A), A)
    else:
        A_ = A
    Ainv = _inverse(A_)
    result = _matrix_norm(A, p, (-2, -1), False, None) * _matrix_norm(Ainv, p, (-2, -1), False, None)
    if singular.any():
        result = E.where(singular, math.inf, result)
    return _written(out, result, "linalg.cond", (A,))


def _singular(A):
    """Per matrix, whether LU factorization meets an exact zero pivot (NumPy's inv refuses it)."""
    if _levels_batched(A):   # per-sample values cannot be read under vmap: no matrix is taken as singular
        return B.zeros(tuple(A.shape[:-2]), dtype=bool)
    a = A.detach().numpy()
    flat = a.reshape((-1,) + a.shape[-2:])
    out = B.zeros(flat.shape[0], dtype=bool)
    for i, m in enumerate(flat):
        try:
            B.linalg.inv(m)
        except B.linalg.LinAlgError:
            out[i] = True
    return out.reshape(a.shape[:-2])


def _creation_tensor(a):
    return _creation.tensor(a)


def _linalg_namespace():
    return type("ns", (), NAMESPACES["linalg"])


def _no_grad():
    return grad_mode.no_grad()


# ---------------------------------------------------------------------------- matrix_exp
def _expm_impl(x):
    import scipy.linalg
    if x.size == 0:
        return B.zeros(x.shape, dtype=x.dtype)
    # float32 in float64, rounded once: NumPy's float32 expm loses digits where torch's keeps them
    out = scipy.linalg.expm(x.astype(B.float64, copy=False)).astype(x.dtype, copy=False)
    bad = ~B.isfinite(x).all(axis=(-2, -1))
    if bad.any():   # torch's series spreads a NaN or inf over the whole matrix (scipy keeps some zeros)
        out[bad] = B.nan
    return out


def _block_upper(a, b):
    """The upper-right block of expm([[a, b], [0, a]]): the derivative of expm at a in the
    direction b (Mathias 1996)."""
    n, nd = a.shape[-1], a.ndim
    top = _cat(a, b, axis=nd - 1)
    bottom = _cat(a * 0, a, axis=nd - 1)
    big = matrix_exp_(_cat(top, bottom, axis=nd - 2))
    return big[..., :n, n:]


matrix_exp_ = primitive("linalg_matrix_exp", _expm_impl, out_dtype="float", grad_name="LinalgMatrixExpBackward0",
                        vjp=lambda g, x: _block_upper(_mT(x), g),
                        jvp=lambda primals, tangents, params, outputs: (_block_upper(primals[0], tangents[0]),),
                        batch=_batch_front, sparsity=PER_MATRIX)


@public(("matrix_exp", "linalg.matrix_exp"), method=True)
def matrix_exp(A):
    """The matrix exponential ``sum_k A^k / k!`` of the square matrices of ``A``.

    Example::

        >>> pullback.linalg.matrix_exp(pullback.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    _check_tensor(A, "linalg_matrix_exp", "input")
    _check_square(A, "linalg.matrix_exp")
    _check_floating(A, "linalg.matrix_exp")
    return matrix_exp_.bind((A,), {})


# ------------------------------------------------------------------ products and small helpers
def _cpp_type(dtype):
    return D.CPP_TYPE_NAMES[dtype]


@public("linalg.multi_dot")
def multi_dot(tensors, *, out=None):
    """The product of two or more matrices, left to right; the first may be a row vector and the
    last a column vector (1-D), as ``torch.linalg.multi_dot``.

    Example::

        >>> pullback.linalg.multi_dot([pullback.ones(3), pullback.ones(3, 2), pullback.ones(2)])
        tensor(6.)
    """
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        _check_tensor(t, "linalg_multi_dot", "tensors")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    for i in range(1, n - 1):
        if tensors[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {tensors[i].ndim}D")
    for i in range(1, n):
        if tensors[i].dtype is not first.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_cpp_type(first.dtype)} and tensor {i} {_cpp_type(tensors[i].dtype)}")
    mats = [tensors[0] if tensors[0].ndim == 2 else _unsq(tensors[0], 0)] + tensors[1:-1] + \
        [last if last.ndim == 2 else _unsq(last, -1)]
    for i in range(n - 1):
        if mats[i].shape[-1] != mats[i + 1].shape[0]:
            a = list(tensors[i].shape) if i else list(mats[0].shape)
            b = list(tensors[i + 1].shape) if i + 1 < n - 1 else list(mats[-1].shape)
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes [{', '.join(map(str, a))}] and "
                               f"[{', '.join(map(str, b))}] cannot be multiplied")
    result = mats[0]
    for m in mats[1:]:
        result = _mm(result, m)
    if first.ndim == 1 and last.ndim == 1:
        result = _reshape(result, shape=())
    elif first.ndim == 1:
        result = _reshape(result, shape=(result.shape[-1],))
    elif last.ndim == 1:
        result = _reshape(result, shape=(result.shape[0],))
    return _written(out, result, "linalg.multi_dot", tuple(tensors))


@public("linalg.vecdot")
def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of the vectors of ``x`` and ``y`` along ``dim`` (they broadcast).

    Example::

        >>> pullback.linalg.vecdot(pullback.tensor([1.0, 2.0]), pullback.tensor([3.0, 4.0]))
        tensor(11.)
    """
    _check_tensor(x, "linalg_vecdot", "x")
    _check_tensor(y, "linalg_vecdot", "y", 2)
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_type_name(x.dtype)} and y of type {_type_name(y.dtype)} instead")
    return _written(out, (x * y).sum(dim), "linalg.vecdot", (x, y))


def _cross(x, y, dim, fn):
    if x.dtype is not y.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(x.dtype)} but found {_type_name(y.dtype)}")
    if x.ndim != y.ndim:
        raise RuntimeError(f"{fn}: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, builtins.max(x.ndim, y.ndim))
    if x.shape[d] != 3 or y.shape[d] != 3:
        raise RuntimeError(f"{fn}: inputs dimension {dim} must have length 3. Got {x.shape[d]} and {y.shape[d]}")
    x, y = S_.broadcast_tensors(x, y)

    def part(t, i):
        return S_.select(t, d, i)
    x0, x1, x2 = (part(x, i) for i in range(3))
    y0, y1, y2 = (part(y, i) for i in range(3))
    return S_.stack([x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0], d)


@public("linalg.cross")
def linalg_cross(input, other, *, dim=-1, out=None):
    """The cross product of the 3-vectors of ``input`` and ``other`` along ``dim`` (they broadcast).

    Example::

        >>> pullback.linalg.cross(pullback.tensor([1.0, 0.0, 0.0]), pullback.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
    """
    _check_tensor(input, "linalg_cross", "input")
    _check_tensor(other, "linalg_cross", "other", 2)
    return _written(out, _cross(input, other, dim, "linalg.cross"), "linalg.cross", (input, other))


@public("cross", method=True)
def cross(input, other, dim=None, *, out=None):
    """The cross product along ``dim``; with ``dim=None``, along the first dim of size 3 (torch's
    deprecated default, with its warning).

    Example::

        >>> pullback.cross(pullback.tensor([1.0, 0.0, 0.0]), pullback.tensor([0.0, 1.0, 0.0]), dim=0)
        tensor([0., 0., 1.])
    """
    _check_tensor(input, "cross", "input")
    _check_tensor(other, "cross", "other", 2)
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = broadcast_shape((tuple(input.shape), tuple(other.shape)))
        dim = next((i for i, n in enumerate(shape) if n == 3), -1)
    return _written(out, _cross(input, other, dim, "linalg.cross"), "cross", (input, other))


@public("linalg.diagonal")
def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of the matrices of ``A`` (``diagonal`` with the matrix dims last by default).

    Example::

        >>> pullback.linalg.diagonal(pullback.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([1., 4.])
    """
    _check_tensor(A, "linalg_diagonal", "A")
    return S_.diagonal(A, offset, dim1, dim2)


@public("linalg.vander")
def vander(x, *, N=None):
    """The Vandermonde matrices of the vectors of ``x``: ``x[..., i] ** j`` for ``j`` in
    ``0..N-1`` (increasing powers, as ``torch.linalg.vander``). ``N`` defaults to ``x.size(-1)``.

    Example::

        >>> pullback.linalg.vander(pullback.tensor([1, 2, 3]))
        tensor([[1, 1, 1],
                [1, 2, 4],
                [1, 3, 9]])
    """
    _check_tensor(x, "linalg_vander", "x")
    if x.dtype is D.bool or x.dtype.is_floating_point and x.dtype.itemsize < 4:
        raise RuntimeError(f"linalg.vander supports floating point, complex, and integer tensors, but got "
                           f"{_type_name(x.dtype)}")
    n = N if N is not None else (x.shape[-1] if x.ndim else 0)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    if x.ndim == 0:
        x = _reshape(x, shape=(1,))
    # The powers by repeated products: exact polynomials, whose derivatives are too (the
    # constant first column has none).
    cols = [_creation.ones(tuple(x.shape), dtype=x.dtype), x]
    for _ in range(n - 2):
        cols.append(cols[-1] * x)
    return S_.stack(cols, -1)


# --------------------------------------------------------- householder_product, tensorinv/solve
@public("linalg.householder_product")
def householder_product(A, tau, *, out=None):
    """The first n columns of the product ``H_1 ... H_k`` of Householder reflectors
    ``H_i = I - tau_i v_i v_i^T``, ``v_i`` being column i of ``A`` below the diagonal with a 1 on it
    (LAPACK's orgqr; what ``geqrf`` returns). Written in other ops: differentiable to any order.

    Example::

        >>> pullback.linalg.householder_product(pullback.zeros(2, 2), pullback.zeros(1))
        tensor([[1., 0.],
                [0., 1.]])
    """
    fn = "torch.linalg.householder_product"
    _check_tensor(A, "linalg_householder_product", "input")
    _check_tensor(tau, "linalg_householder_product", "tau", 2)
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise RuntimeError(f"{fn}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    k = tau.shape[-1] if tau.ndim else 1
    if n < k:
        raise RuntimeError(f"{fn}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{fn}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"[{', '.join(map(str, tau.shape[:-1]))}]")
    if tau.dtype is not A.dtype:
        raise RuntimeError(f"{fn}: tau dtype {_type_name(tau.dtype)} does not match input dtype {_type_name(A.dtype)}")
    if not _float_or_double(A):
        raise NotImplementedError(f'"orgqr_cpu" not implemented for \'{_type_name(A.dtype)}\'')
    Vs = S_.tril(A, -1) + B.eye(m, n, dtype=A.dtype.np)
    # The identity, on the graphs of A and tau (with no reflector, torch's result still has them).
    Q = A[..., :, :1] * 0 + _unsq(tau.sum(-1, keepdim=True), -1) * 0 + _eye(m, A)
    for i in range(k):
        v = Vs[..., :, i:i + 1]
        Q = Q - _mm(_mm(Q, v) * _unsq(tau[..., i:i + 1], -1), _mT(v))
    return _written(out, Q[..., :, :n], "linalg.householder_product", (A, tau))


def _inverse(A):
    inv = getattr(_linalg_namespace(), "inv", None)
    if inv is not None:
        return inv(A)
    _check_inverse_dtype(A)
    return pinv(A)


def _check_inverse_dtype(A):
    if not _float_or_double(A):
        raise RuntimeError(f"linalg.inv: Low precision dtypes not supported. Got {_type_name(A.dtype)}")


@public("linalg.tensorinv")
def tensorinv(A, ind=2, *, out=None):
    """The tensor inverse: ``A`` seen as a square matrix ``prod(shape[:ind]) x prod(shape[ind:])``,
    inverted, with the shape ``shape[ind:] + shape[:ind]``.

    Example::

        >>> pullback.linalg.tensorinv(pullback.eye(6).reshape(2, 3, 6), ind=2).shape
        pullback.Size([6, 2, 3])
    """
    _check_tensor(A, "linalg_tensorinv", "input")
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    inv = _inverse(A.reshape(rows, cols))
    return _written(out, inv.reshape(*(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))), "linalg.tensorinv", (A,))


@public("linalg.tensorsolve")
def tensorsolve(A, B_, dims=None, *, out=None):
    """The ``X`` with ``tensordot(A, X, X.ndim) == B``: ``A`` (its ``dims`` moved last) seen as a
    square matrix ``prod(B.shape) x prod(rest)``.

    Example::

        >>> A = pullback.eye(6).reshape(6, 2, 3)
        >>> pullback.linalg.tensorsolve(A, pullback.ones(6)).shape
        pullback.Size([2, 3])
    """
    _check_tensor(A, "linalg_tensorsolve", "input")
    _check_tensor(B_, "linalg_tensorsolve", "other", 2)
    if dims is not None:
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        A = S_.movedim(A, dims, tuple(range(A.ndim - len(dims), A.ndim)))
    rows = math.prod(A.shape[:B_.ndim])
    rest = tuple(A.shape[B_.ndim:])
    if math.prod(rest) != rows:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {math.prod(rest)} != {rows}")
    if A.dtype is not B_.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_type_name(A.dtype)} and B of type {_type_name(B_.dtype)} instead")
    A2, b = A.reshape(rows, rows), B_.reshape(rows)
    solve = getattr(_linalg_namespace(), "solve", None)
    x = solve(A2, b) if solve is not None else _mm(pinv(A2), b)
    return _written(out, x.reshape(*rest), "linalg.tensorsolve", (A, B_))


# ---------------------------------------------------------------------------- geqrf, ormqr
def _geqrf_impl(x):
    m, n = x.shape[-2:]
    if x.size == 0:
        return B.zeros(x.shape, dtype=x.dtype), B.zeros(tuple(x.shape[:-2]) + (min(m, n),), dtype=x.dtype)
    h, tau = B.linalg.qr(x, mode="raw")           # LAPACK's (column-major) output, transposed
    return B.ascontiguousarray(B.swapaxes(h, -1, -2)).astype(x.dtype, copy=False), tau.astype(x.dtype, copy=False)


def _geqrf_no_derivative(*args):
    raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


# LAPACK's geqrf: R above the diagonal, the Householder vectors below it, and their scales tau.
# torch records a node whose derivative is not implemented: so does pullback (it raises when used).
geqrf_ = primitive("geqrf", _geqrf_impl, outputs=2, out_dtype="float", grad_name="GeqrfBackward0",
                   vjp=Joint(lambda g, needs: _geqrf_no_derivative()),
                   jvp=lambda primals, tangents, params, outputs: _geqrf_no_derivative(), batch=_batch_front, sparsity=PER_MATRIX)


@public("geqrf", method=True)
def geqrf(input, *, out=None):
    """LAPACK's QR factorization in its compact form: a named tuple ``(a, tau)``, R on and above the
    diagonal of ``a``, the Householder vectors below it (see ``linalg.householder_product`` and
    ``ormqr``). Not differentiable, as torch's.

    Example::

        >>> a, tau = pullback.geqrf(pullback.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> a[0, 0]
        tensor(-5.)
    """
    _check_tensor(input, "geqrf", "input")
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if not _float_or_double(input):
        raise NotImplementedError(f'"geqrf_cpu" not implemented for \'{_type_name(input.dtype)}\'')
    a, tau = geqrf_.bind((input,), {})
    return _written(out, _result_type("geqrf", ["a", "tau"])(a, tau), "geqrf", (input,))


@public("ormqr", method=True)
def ormqr(input, tau, other, left=True, transpose=False, *, out=None):
    """``other`` multiplied by the Q of a ``geqrf`` factorization without forming it: ``Q @ other``
    (``left``) or ``other @ Q``, with ``Q^T`` where ``transpose``. Q is the product of the reflectors
    ``H_i = I - tau_i v_i v_i^T`` stored in ``input`` and ``tau``; written in other ops, so
    differentiable to any order.

    Example::

        >>> a, tau = pullback.geqrf(pullback.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> pullback.ormqr(a, tau, pullback.eye(2)).abs()
        tensor([[0.6000, 0.8000],
                [0.8000, 0.6000]])
    """
    fn = "torch.ormqr"
    _check_tensor(input, "ormqr", "input")
    _check_tensor(tau, "ormqr", "input2", 2)
    _check_tensor(other, "ormqr", "input3", 3)
    if input.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    if other.ndim < 2:
        raise RuntimeError(f"{fn}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    if other.shape[side] != input.shape[-2]:
        raise RuntimeError(f"{fn}: other.shape[{side}] must be equal to input.shape[-2]")
    if tau.shape[-1] != min(other.shape[side], input.shape[-1]):
        raise RuntimeError(f"{fn}: tau.shape[-1] must be equal to min(other.shape[{side}], input.shape[-1])")
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(f"{fn}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {input.ndim}")
    if input.ndim > 2:
        if tuple(tau.shape[:-1]) != tuple(input.shape[:-2]):
            raise RuntimeError(f"{fn}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                               f"[{', '.join(map(str, tau.shape[:-1]))}]")
        if tuple(other.shape[:-2]) != tuple(input.shape[:-2]):
            raise RuntimeError(f"{fn}: Expected batch dimensions of other to be equal to input.shape[:-2], but got "
                               f"[{', '.join(map(str, other.shape[:-2]))}]")
    if tau.dtype is not input.dtype:
        raise RuntimeError(f"{fn}: Expected input and tau to have the same dtype, but input has dtype"
                           f"{_type_name(input.dtype)} and tau has dtype {_type_name(tau.dtype)}")
    if other.dtype is not input.dtype:
        raise RuntimeError(f"{fn}: Expected input and other to have the same dtype, but input has dtype"
                           f"{_type_name(input.dtype)} and other has dtype {_type_name(other.dtype)}")
    if not _float_or_double(input):
        raise NotImplementedError(f'"ormqr_cpu" not implemented for \'{_type_name(input.dtype)}\'')
    m, k = input.shape[-2], tau.shape[-1]
    Vs = S_.tril(input, -1) + B.eye(m, input.shape[-1], dtype=input.dtype.np)
    C = other
    # Q = H_1 ... H_k: Q C applies H_k first, Q^T C H_1 first; C Q applies H_1 first, C Q^T H_k first.
    order = range(k) if left == bool(transpose) else range(k - 1, -1, -1)
    for i in order:
        v = Vs[..., :, i:i + 1]
        t = _unsq(tau[..., i:i + 1], -1)
        if left:
            C = C - _mm(v * t, _mm(_mT(v), C))
        else:
            C = C - _mm(_mm(C, v) * t, _mT(v))
    if k == 0:   # no reflector: Q is the identity, the result still on the graphs of the inputs
        C = C + (input.sum() + tau.sum()) * 0
    return _written(out, C, "ormqr", (input, tau, other))


# Imported last: the families import each other.
from .shape import _reshape, _transpose, _diagonal, _tril, _triu, _cat  # noqa: E402
from .linalg import matmul_  # noqa: E402
from . import reduction as R  # noqa: E402
from . import elementwise as E  # noqa: E402
from . import functions as F  # noqa: E402
from . import shape as S_  # noqa: E402
