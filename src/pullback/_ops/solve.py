"""The solve family: linear systems and the factorizations that solve them: det, inv, solve, Cholesky, LU, triangular solves.

Every primitive acts on the trailing two dims (matrices) and broadcasts the leading (batch) dims of
its inputs, as torch's do. The forwards are LAPACK (NumPy's batched routines where they exist,
SciPy's LAPACK/BLAS wrappers over the batch otherwise; SciPy is imported when first used). The VJP
and JVP rules are written in pullback's own ops, so gradients of gradients come free; where a
plain backward pass (arrays, no ``create_graph``) can reuse a factorization, the rule does so.

Gradient conventions follow torch's: the Cholesky VJP is Murray's (2016) symmetric one, the det VJP
is the cofactor matrix (an SVD for singular matrices, as torch's), the LU VJP and JVP are torch's
(square, wide and tall matrices), and cholesky_solve and cholesky_inverse differentiate their factor
as a full matrix (``A = L L^T`` for any ``L``). Errors are torch's texts; a singular or indefinite
matrix raises ``pullback.linalg.LinAlgError`` (a RuntimeError, as ``torch.linalg.LinAlgError``).
"""
import collections

from .._backend import B
from .. import _dtype as D
from ._registry import primitive, Joint, broadcast_shape, PER_MATRIX
from . import _registry
from . import _vmap_rules as V
from ._api import public, NAMESPACES
from ._rules import is_tensor, check_tensor
from .._out import write_out


class LinAlgError(RuntimeError):
    """Raised when a linear algebra routine fails on its input (a singular matrix, one that is not
    positive-definite), as ``torch.linalg.LinAlgError``: a RuntimeError."""


LinAlgError.__module__ = "pullback.linalg"
NAMESPACES["linalg"]["LinAlgError"] = LinAlgError


# ------------------------------------------------------------------ LAPACK over the batch
_FUNCS = {}


def _lapack(name, dtype):
    """SciPy's LAPACK (or BLAS, for ``trsm``) routine ``name`` for arrays of ``dtype``."""
    key = (name, dtype.char)
    fn = _FUNCS.get(key)
    if fn is None:
        import scipy.linalg
        prefix = {"f": "s", "d": "d", "F": "c", "D": "z"}[dtype.char]
        module = scipy.linalg.blas if name == "trsm" else scipy.linalg.lapack
        fn = _FUNCS[key] = getattr(module, prefix + name)
    return fn


def _batches(*arrays):
    """The broadcast batch shape of some stacks of matrices, and each broadcast to it."""
    batch = B.broadcast_shapes(*[a.shape[:-2] for a in arrays])
    return batch, [B.broadcast_to(a, batch + a.shape[-2:]) for a in arrays]


def _fortran_stack(shape, dtype):
    """An empty stack of matrices each stored column-major (as LAPACK takes them: no copies)."""
    return B.swapaxes(B.empty(shape[:-2] + (shape[-1], shape[-2]), dtype), -1, -2)


def _getrf(a):
    """Batched LU with partial pivoting: (LU, pivots (0-based, int32), info (int32, batch shape)).
    The LU matrices are stored column-major, so later LAPACK calls take them without a copy."""
    batch, k = a.shape[:-2], min(a.shape[-2:])
    piv = B.empty(batch + (k,), B.int32)
    info = B.zeros(batch, B.int32)
    f = _lapack("getrf", a.dtype) if k else None
    if not batch and k:
        lu, piv, i = f(a)
        return lu, piv, B.asarray(max(i, 0), dtype=B.int32)
    lu = _fortran_stack(a.shape, a.dtype)
    if k == 0 or lu.size == 0:
        if not k:
            lu[...] = a
        return lu, piv, info
    for idx in B.ndindex(batch):
        lu[idx], piv[idx], info[idx] = f(a[idx])
    info[info < 0] = 0  # (an argument error cannot happen: the arrays are checked)
    return lu, piv, info


def _getri(lu, piv, info):
    """The inverses from batched LU factors; a singular matrix's (info > 0) is LAPACK's getrs of
    the identity (infinities and NaNs, as torch's)."""
    out = B.empty(lu.shape, lu.dtype)
    n = lu.shape[-1]
    if out.size == 0:
        return out
    f = _lapack("getri", lu.dtype)
    lwork = _getri_lwork(n, lu.dtype)
    if lu.ndim == 2 and not info:
        return f(lu, piv, lwork=lwork)[0]
    with B.errstate(all="ignore"):
        for idx in B.ndindex(lu.shape[:-2]):
            if info[idx]:
                out[idx] = _getrs(lu[idx], piv[idx], B.eye(n, dtype=lu.dtype))
            else:
                out[idx] = f(lu[idx], piv[idx], lwork=lwork)[0]
    return out


_LWORK = {}


def _getri_lwork(n, dtype):
    """getri's optimal workspace (SciPy's default is unblocked: twice as slow on large matrices)."""
    key = (n, dtype.char)
    if key not in _LWORK:
        _LWORK[key] = max(int(_lapack("getri_lwork", dtype)(n)[0]), 1)
    return _LWORK[key]


def _slogdet_from_lu(lu, piv):
    d = B.diagonal(lu, axis1=-2, axis2=-1)
    swaps = B.count_nonzero(piv != B.arange(piv.shape[-1], dtype=piv.dtype), axis=-1)
    with B.errstate(divide="ignore"):
        sign = B.prod(B.sign(d), axis=-1) * B.where(swaps % 2, -1.0, 1.0)
        return sign.astype(lu.dtype), B.sum(B.log(B.abs(d)), axis=-1).astype(lu.dtype)


def _getrs(lu, piv, b, trans=0):
    """Solves ``A X = B`` (``A^T X = B`` with ``trans=1``) from the LU of ``A``, over the broadcast batch."""
    if b.ndim == 2 and lu.ndim == 2 and b.size:  # one system: no batch to walk
        return _lapack("getrs", b.dtype)(lu, piv, b, trans=trans)[0]
    batch = B.broadcast_shapes(lu.shape[:-2], piv.shape[:-1], b.shape[:-2])
    out = B.empty(batch + b.shape[-2:], b.dtype)
    if out.size == 0:
        return out
    lu = B.broadcast_to(lu, batch + lu.shape[-2:])
    piv = B.broadcast_to(piv, batch + piv.shape[-1:])
    b = B.broadcast_to(b, batch + b.shape[-2:])
    f = _lapack("getrs", b.dtype)
    for idx in B.ndindex(batch):
        out[idx] = f(lu[idx], piv[idx], b[idx], trans=trans)[0]
    return out


def _trsm(a, b, upper, unitriangular, side=0):
    """``A^{-1} B`` (``B A^{-1}`` with ``side=1``) for triangular ``A`` (only its triangle read) over
    the broadcast batch. BLAS's trsm, as torch's: a zero on the diagonal gives infinities, not an error."""
    if a.ndim == 2 and b.ndim == 2 and b.size:
        return _lapack("trsm", b.dtype)(1.0, a, b, side=side, lower=not upper, diag=int(unitriangular))
    batch, (a, b) = _batches(a, b)
    out = B.empty(batch + b.shape[-2:], b.dtype)
    if out.size == 0:
        return out
    f = _lapack("trsm", b.dtype)
    for idx in B.ndindex(batch):
        out[idx] = f(1.0, a[idx], b[idx], side=side, lower=not upper, diag=int(unitriangular))
    return out


def _mTa(a):
    return B.swapaxes(a, -1, -2)


def _many_small(a):
    """Many small matrices (a vmap, a batch): NumPy's batched routines beat a loop of LAPACK calls."""
    return a.ndim > 2 and 0 < a.shape[-1] <= 64 and a.size > 4 * a.shape[-1] * a.shape[-2]


def _no_lu(a):
    """The LU outputs of a forward that ran NumPy's batched routine (their last dims are 0)."""
    batch = a.shape[:-2]
    return B.empty(batch + (0, 0), a.dtype), B.empty(batch + (0,), B.int32)


def _raise_for(info, fn, text, error=None):
    """torch's LinAlgError (or ``error``) for the first failing matrix of a batch (``text`` formats its info)."""
    bad = B.flatnonzero(info)
    if not bad.size:
        return
    first = int(bad[0])
    where = "" if info.ndim == 0 else f"(Batch element {first}): "
    raise (error or LinAlgError)(f"{fn}: {where}{text(int(info.reshape(-1)[first]))}")


def _singular_solve(_):
    return "The solver failed because the input matrix is singular."


def _singular_inv(k):
    return (f"The diagonal element {k} is zero, the inversion could not be completed because the input matrix "
            "is singular.")


def _not_pd(k):
    return (f"The factorization could not be completed because the input is not positive-definite "
            f"(the leading minor of order {k} is not positive-definite).")


# ------------------------------------------------------------------ helpers in pullback ops
def _mT(x):
    return _transpose(x, dim0=x.ndim - 2, dim1=x.ndim - 1)


def _sum_matrix(x):
    """The sum over the last two dims, kept as dims of size one."""
    return _sum(x, axis=(x.ndim - 2, x.ndim - 1), keepdim=True)


def _as_matrix_scalar(g):
    """A batch of scalars as a batch of 1 x 1 matrices (to scale matrices)."""
    return _reshape(g, shape=tuple(g.shape) + (1, 1))


def _add(a, b):
    return b if a is None else a if b is None else a + b


def _batch_matrices(prim, values, bdims, params, size):
    """The batching rule of the matrix primitives: they broadcast their batch dims, so each batched
    input goes to the front with the others' logical rank; unbatched inputs broadcast."""
    rank = max(V.logical_ndim(v, d) for v, d in zip(values, bdims) if hasattr(v, "ndim"))
    args = tuple(V.align(v, d, rank) if d is not None else v for v, d in zip(values, bdims))
    out = prim.bind(args, params)
    return out, ((0,) * len(out) if isinstance(out, tuple) else 0)


_named_types = {}


def _named(name, fields):
    """A named tuple type that prints as ``pullback.return_types.<name>(...)``, as torch's do."""
    if name not in _named_types:
        base = collections.namedtuple(name, fields)

        def __repr__(self):
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
            return f"pullback.return_types.{name}(\n{body})"
        _named_types[name] = type(name, (base,), {"__repr__": __repr__, "__slots__": ()})
    return _named_types[name]


# ------------------------------------------------------------------ checks (torch's texts)
_kernel_name = D.kernel_name


_check_tensor = check_tensor


def _check_float(x, fn, kernel=None):
    """torch's error for a dtype LAPACK does not take: integers and bools, and half precision
    (refused by the function, or, given ``kernel``, by the kernel it dispatches to)."""
    if x.dtype is D.float16:
        if kernel is not None:
            raise NotImplementedError(f'"{kernel}" not implemented for \'{_kernel_name(x.dtype)}\'')
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got {_kernel_name(x.dtype)}")
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {_kernel_name(x.dtype)}")


def _check_kernel_dtype(x, kernel):
    """A kernel that refuses what is not float or complex (torch's NotImplementedError)."""
    if x.dtype is D.float16 or not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_kernel_name(x.dtype)}\'')


def _check_square(A, fn, name="A", prefix=True):
    head = f"{fn}: " if prefix else ""
    if A.ndim < 2:
        raise RuntimeError(f"{head}The input tensor {name} must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{head}{name} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _check_matrix_input(A, fn, arg="A", kernel=None):
    _check_tensor(A, fn.replace(".", "_"), arg, 1)
    _check_square(A, fn)
    _check_float(A, fn, kernel)


def _check_same_dtype(A, B_, fn, a="A", b="B"):
    if A.dtype is not B_.dtype:
        raise RuntimeError(f"{fn}: Expected {a} and {b} to have the same dtype, but found {a} of type "
                           f"{_kernel_name(A.dtype)} and {b} of type {_kernel_name(B_.dtype)} instead")


def _named_out(name, fields, results, out, fn, inputs):
    """The named tuple ``name`` of ``results``, or, with ``out`` (a tuple of Tensors, one per
    field, as torch's ``out=``), the results written into it (a ``<name>_out`` named tuple)."""
    if out is None:
        return _named(name, fields)(*results)
    if isinstance(out, _registry._Tensor) or not isinstance(out, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}")
    if len(out) != len(results):
        raise TypeError(f"expected tuple of {len(results)} elements but got {len(out)}")
    written = [write_out(o, r, fn, inputs) for o, r in zip(out, results)]
    return _named(name + "_out", fields)(*written)


def _write(out, result, fn, inputs):
    if out is None:
        return result
    return write_out(out, result, fn, inputs)


# ================================================================== solve
def _matrix_form(x, left, vector):
    """A right-hand side (or solution) as the matrices of A' X' = B' (A' = A, or A^T for X A = B)."""
    if vector:
        x = _reshape(x, shape=tuple(x.shape) + (1,))
    return x if left else _mT(x)


def _from_matrix_form(x, left, vector):
    x = x if left else _mT(x)
    return _reshape(x, shape=tuple(x.shape[:-1])) if vector else x


def _solve_impl(a, b, fn, left, vector):
    if _many_small(a):
        try:
            bm = b[..., None] if vector else b
            x = B.linalg.solve(a if left else _mTa(a), bm if left else _mTa(bm))
            x = x if left else _mTa(x)
            return ((x[..., 0] if vector else x),) + _no_lu(a) + (B.zeros(a.shape[:-2], B.int32),)
        except B.linalg.LinAlgError:  # a singular matrix: LAPACK's info from the factorization
            pass
    lu, piv, info = _getrf(a if left else _mTa(a))
    if fn is not None:
        _raise_for(info, fn, _singular_solve)
    bm = b[..., None] if vector else b
    x = _getrs(lu, piv, bm if left else _mTa(bm))
    x = x if left else _mTa(x)
    return (x[..., 0] if vector else x), lu, piv, info


def _solve_vjp(g, a, ans, left, vector, needs):
    gx = g[0]
    if gx is None:
        return (None, None)
    xm, gxm = _matrix_form(ans[0], left, vector), _matrix_form(gx, left, vector)
    if type(gx) is B.ndarray and ans[1].shape[-1] == a.shape[-1]:  # a plain backward pass: the forward's LU
        gbm = _getrs(ans[1], ans[2], gxm, trans=1)
    else:                       # written in ops: differentiable again
        gbm = solve_(_mT(a if left else _mT(a)), gxm, fn=None, left=True, vector=False)[0]
    ga = None
    if needs[0]:
        ga = -matmul_(gbm, _mT(xm))
        ga = ga if left else _mT(ga)
    return (ga, _from_matrix_form(gbm, left, vector) if needs[1] else None)


def _solve_jvp(primals, tangents, params, outputs):
    (a, _), (ta, tb) = primals, tangents
    left, vector = params["left"], params["vector"]
    rhs = _matrix_form(tb, left, vector) if tb is not None else None
    if ta is not None:
        rhs = _add(rhs, -matmul_(ta if left else _mT(ta), _matrix_form(outputs[0], left, vector)))
    dx = solve_(a if left else _mT(a), rhs, fn=None, left=True, vector=False)[0]
    return (_from_matrix_form(dx, left, vector), None, None, None)


def _batch_solve(prim, values, bdims, params, size):
    if not params["vector"]:
        return _batch_matrices(prim, values, bdims, params, size)
    (a, b), (da, db) = values, bdims   # a batch of vectors: as columns (matrices), then back
    b = V.to_front(b, db)
    b = _reshape(b, shape=tuple(b.shape) + (1,))
    (x, lu, piv, info), dims = _batch_matrices(prim, (a, b), (da, None if db is None else 0),
                                               dict(params, vector=False), size)
    return (_reshape(x, shape=tuple(x.shape[:-1])), lu, piv, info), dims


# X = A^{-1} B (X A = B with left=False; B a vector or a batch of them with vector), and the LU
# factors and pivots of A (A^T with left=False) and LAPACK's info.
solve_ = primitive("linalg_solve", _solve_impl, inputs="a b", out_dtype="keep", outputs=4,
                   nondiff_outputs=(1, 2, 3), grad_name="LinalgSolveExBackward0", vjp=Joint(_solve_vjp),
                   jvp=_solve_jvp, batch=_batch_solve,
                   sparsity=PER_MATRIX)


def _solve(A, B_, left, fn, raise_as):
    _check_tensor(A, fn.replace(".", "_"), "A", 1)
    _check_tensor(B_, fn.replace(".", "_"), "B", 2)
    _check_float(A, fn, "lu_cpu")
    _check_same_dtype(A, B_, fn)
    _check_square(A, fn)
    if B_.ndim == 0:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    vector = B_.ndim == 1 or (B_.ndim == A.ndim - 1 and tuple(B_.shape) == tuple(A.shape[:-1]))
    bm = tuple(B_.shape) + (1,) if vector else tuple(B_.shape)  # B as matrices
    n = A.shape[-1]
    if (bm[-2] if left else bm[-1]) != n:
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({A.shape[-2]}x{n} and {bm[-2]}x{bm[-1]})")
    if vector and not left:
        raise RuntimeError(f"{fn}: Vector broadcasting of the left hand side is not supported for left=False. "
                           "In this case linalg.solve is equivalent to B / A.squeeze(-1)")
    broadcast_shape((bm[:-2], tuple(A.shape[:-2])))
    x, _, _, info = solve_(A, B_, fn=raise_as, left=bool(left), vector=vector)
    return x, info


@public("linalg.solve")
def linalg_solve(A, B, *, left=True, out=None):
    """The solution ``X`` of the linear system ``A X = B`` (``X A = B`` with ``left=False``), as
    ``torch.linalg.solve``. ``B`` is a vector (or a batch of vectors) when it is 1-D or has the
    shape of ``A`` without its last dim. Batch dims broadcast. Raises
    ``pullback.linalg.LinAlgError`` when ``A`` is singular.

    Args:
        A (Tensor): square matrices ``(*, n, n)``.
        B (Tensor): right-hand sides ``(*, n, k)`` or ``(*, n)``.
        left (bool, optional): solve ``A X = B`` (True) or ``X A = B``. Default: True.
        out (Tensor, optional): the output tensor.

    Example::

        >>> A = pullback.tensor([[2.0, 0.0], [0.0, 4.0]])
        >>> pullback.linalg.solve(A, pullback.tensor([2.0, 2.0]))
        tensor([1.0000, 0.5000])
    """
    x, _ = _solve(A, B, left, "linalg.solve", "torch.linalg.solve")
    return _write(out, x, "linalg_solve", (A, B))


@public("linalg.solve_ex")
def linalg_solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """``linalg.solve`` that also returns LAPACK's ``info`` (nonzero for a singular matrix, whose
    result is then not meaningful) instead of raising, unless ``check_errors``.

    Returns a named tuple ``(result, info)``.

    Args:
        A (Tensor): square matrices ``(*, n, n)``.
        B (Tensor): right-hand sides ``(*, n, k)`` or ``(*, n)``.
        left (bool, optional): solve ``A X = B`` (True) or ``X A = B``. Default: True.
        check_errors (bool, optional): raise for a singular matrix. Default: False.
        out (tuple, optional): output tensors.
    """
    x, info = _solve(A, B, left, "linalg.solve_ex", "torch.linalg.solve_ex" if check_errors else None)
    return _named_out("linalg_solve_ex", ["result", "info"], (x, info), out, "linalg_solve_ex", (A, B))


# ================================================================== inverse
def _inv_impl(a, fn):
    if _many_small(a):
        try:
            return B.linalg.inv(a), B.zeros(a.shape[:-2], B.int32)
        except B.linalg.LinAlgError:
            pass
    lu, piv, info = _getrf(a)
    if fn is not None:
        _raise_for(info, fn, _singular_inv)
    return _getri(lu, piv, info), info


def _inv_vjp(g, ans):
    # d(A^{-1}) = -A^{-1} dA A^{-1}
    if g[0] is None:
        return (None,)
    inv = ans[0]
    return (-matmul_(matmul_(_mT(inv), g[0]), _mT(inv)),)


inv_ = primitive("linalg_inv", _inv_impl, inputs="a", out_dtype="keep", outputs=2, nondiff_outputs=(1,),
                 grad_name="LinalgInvExBackward0", vjp=Joint(_inv_vjp),
                 jvp=lambda primals, tangents, params, outputs: (
                     -matmul_(matmul_(outputs[0], tangents[0]), outputs[0]), None),
                 batch=_batch_matrices,
                 sparsity=PER_MATRIX)


@public("linalg.inv")
def linalg_inv(A, *, out=None):
    """The inverse of each square matrix of ``A``, as ``torch.linalg.inv`` (``torch.inverse``).
    Raises ``pullback.linalg.LinAlgError`` for a singular matrix.

    Args:
        A (Tensor): square matrices ``(*, n, n)``.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.linalg.inv(pullback.tensor([[2.0, 0.0], [0.0, 4.0]])).diagonal()
        tensor([0.5000, 0.2500])
    """
    _check_matrix_input(A, "linalg.inv")
    return _write(out, inv_(A, fn="linalg.inv")[0], "linalg_inv", (A,))


@public(method=True)
def inverse(input, *, out=None):
    """The inverse of each square matrix of ``input``: ``linalg.inv``, as ``torch.inverse``."""
    _check_tensor(input, "inverse", "input", 1)
    return linalg_inv(input, out=out)


@public("linalg.inv_ex")
def linalg_inv_ex(A, *, check_errors=False, out=None):
    """``linalg.inv`` that returns ``(inverse, info)`` (info nonzero for a singular matrix) instead
    of raising, unless ``check_errors``.

    Args:
        A (Tensor): square matrices ``(*, n, n)``.
        check_errors (bool, optional): raise for a singular matrix. Default: False.
        out (tuple, optional): output tensors.
    """
    _check_tensor(A, "linalg_inv_ex", "A", 1)
    _check_square(A, "linalg.inv_ex")
    _check_float(A, "linalg.inv")
    inverse, info = inv_(A, fn="linalg.inv_ex" if check_errors else None)
    return _named_out("linalg_inv_ex", ["inverse", "info"], (inverse, info), out, "linalg_inv_ex", (A,))


# ================================================================== determinants
def _cofactor_one(m):
    """The cofactor matrix det(A) A^{-T} of one matrix; by an SVD where A is singular (as torch's
    det backward does): det(U) det(V) U diag(prod_{j != i} s_j) V^T."""
    try:
        return B.linalg.det(m) * _mTa(B.linalg.inv(m))
    except B.linalg.LinAlgError:
        u, s, vh = B.linalg.svd(m)
        left = B.concatenate([B.ones(1, s.dtype), B.cumprod(s[:-1])])
        right = B.concatenate([B.cumprod(s[::-1][:-1])[::-1], B.ones(1, s.dtype)])
        return (B.linalg.det(u) * B.linalg.det(vh)) * ((u * (left * right)) @ vh)


def _cofactor_impl(a):
    lu, piv, info = _getrf(a)
    if not info.any():
        sign, logabsdet = _slogdet_from_lu(lu, piv)
        return (sign * B.exp(logabsdet))[..., None, None] * _mTa(_getri(lu, piv, info))
    out = B.empty(a.shape, a.dtype)
    for idx in B.ndindex(a.shape[:-2]):
        out[idx] = _cofactor_one(a[idx])
    return out


def _cofactor_vjp(g, a, ans):
    # C = det(A) A^{-T}: dC = tr(A^{-1} dA) C - C dA^T A^{-T}, whose adjoint is
    # <G, C> A^{-T} - det(A) A^{-T} G^T A^{-T} (a nonsingular A: the second order of det)
    if a.shape[-1] == 1:  # the cofactor of a 1 x 1 matrix is the constant 1 (exactly zero, not rounding)
        return g * 0
    ait = _mT(inv_(a, fn=None)[0])
    return _sum_matrix(g * ans) * ait - _as_matrix_scalar(det_(a)) * matmul_(matmul_(ait, _mT(g)), ait)


def _cofactor_jvp(primals, tangents, params, outputs):
    ait = _mT(inv_(primals[0], fn=None)[0])
    c, t = outputs[0], tangents[0]
    return (_sum_matrix(ait * t) * c - matmul_(matmul_(c, _mT(t)), ait),)


# The cofactor matrix det(A) A^{-T}: det's gradient, finite for singular matrices.
cofactor_ = primitive("cofactor", _cofactor_impl, inputs="a", out_dtype="keep", vjp=_cofactor_vjp,
                      jvp=_cofactor_jvp, batch=_batch_matrices,
                      sparsity=PER_MATRIX)


def _det_impl(a):
    return B.asarray(B.linalg.det(a), dtype=a.dtype)


det_ = primitive("linalg_det", _det_impl, inputs="a", out_dtype="keep", grad_name="LinalgDetBackward0",
                 vjp=lambda g, a: _as_matrix_scalar(g) * cofactor_(a),
                 jvp=lambda primals, tangents, params, outputs: (
                     _sum(cofactor_(primals[0]) * tangents[0], axis=(primals[0].ndim - 2, primals[0].ndim - 1),
                          keepdim=False),),
                 batch=_batch_matrices,
                 sparsity=PER_MATRIX)


@public("linalg.det")
def linalg_det(A, *, out=None):
    """The determinant of each square matrix of ``A``, as ``torch.linalg.det`` (``torch.det``).
    Its gradient is the cofactor matrix, finite for singular matrices too.

    Args:
        A (Tensor): square matrices ``(*, n, n)``.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.linalg.det(pullback.tensor([[2.0, 1.0], [1.0, 3.0]]))
        tensor(5.)
    """
    _check_matrix_input(A, "linalg.det", kernel="lu_cpu")
    return _write(out, det_(A), "linalg_det", (A,))


@public(method=True)
def det(input):
    """The determinant of each square matrix of ``input``: ``linalg.det``, as ``torch.det``."""
    _check_tensor(input, "det", "input", 1)
    return linalg_det(input)


def _slogdet_impl(a):
    if _many_small(a):
        sign, logabsdet = B.linalg.slogdet(a)
        return (sign.astype(a.dtype, copy=False), logabsdet.astype(a.dtype, copy=False)) + _no_lu(a)
    lu, piv, _ = _getrf(a)
    return _slogdet_from_lu(lu, piv) + (lu, piv)


def _slogdet_vjp(g, a, ans):
    # d log|det A| = tr(A^{-1} dA): the cotangent g A^{-T} (the sign is piecewise constant)
    gl = g[1]
    if gl is None:
        return (None,)
    if type(gl) is B.ndarray and ans[2].shape[-1] == a.shape[-1]:  # a plain backward pass: the forward's LU
        lu, piv = ans[2], ans[3]
        singular = (B.diagonal(lu, axis1=-2, axis2=-1) == 0).any(-1).astype(B.int32)
        return (gl[..., None, None] * _mTa(_getri(lu, piv, singular)),)
    return (_as_matrix_scalar(gl) * _mT(inv_(a, fn=None)[0]),)


# (sign, logabsdet, and the LU factors and pivots); the sign requires grad as torch's does (its
# gradient is zero).
slogdet_ = primitive("linalg_slogdet", _slogdet_impl, inputs="a", out_dtype="keep", outputs=4,
                     nondiff_outputs=(2, 3), grad_name="LinalgSlogdetBackward0", vjp=Joint(_slogdet_vjp),
                     jvp=lambda primals, tangents, params, outputs: (None, _sum(
                         _mT(inv_(primals[0], fn=None)[0]) * tangents[0],
                         axis=(primals[0].ndim - 2, primals[0].ndim - 1), keepdim=False), None, None),
                     batch=_batch_matrices,
                     sparsity=PER_MATRIX)


@public("linalg.slogdet")
def linalg_slogdet(A, *, out=None):
    """The sign and the log of the absolute value of the determinant of each square matrix of
    ``A``, as ``torch.linalg.slogdet``: a named tuple ``(sign, logabsdet)``. For a singular matrix
    the sign is 0 and ``logabsdet`` is ``-inf``. Gradients flow through ``logabsdet``.

    Args:
        A (Tensor): square matrices ``(*, n, n)``.
        out (tuple, optional): output tensors.

    Example::

        >>> pullback.linalg.slogdet(pullback.tensor([[-2.0, 0.0], [0.0, 3.0]])).sign
        tensor(-1.)
    """
    _check_matrix_input(A, "linalg.slogdet")
    sign, logabsdet, _, _ = slogdet_(A)
    return _named_out("linalg_slogdet", ["sign", "logabsdet"], (sign, logabsdet), out, "linalg_slogdet", (A,))


@public(method=True)
def slogdet(input, *, out=None):
    """``(sign, logabsdet)`` of the determinant of each square matrix: ``linalg.slogdet``, as
    ``torch.slogdet``."""
    _check_tensor(input, "slogdet", "input", 1)
    return linalg_slogdet(input, out=out)


@public(method=True)
def logdet(input):
    """The log of the determinant of each square matrix of ``input``, as ``torch.logdet``: NaN
    where the determinant is negative, ``-inf`` where it is zero.

    Args:
        input (Tensor): square matrices ``(*, n, n)``.

    Example::

        >>> pullback.logdet(pullback.tensor([[2.0, 0.0], [0.0, 3.0]]))
        tensor(1.7918)
    """
    _check_matrix_input(input, "logdet", "input")
    sign, logabsdet, _, _ = slogdet_(input)
    return where(sign == -1, float("nan"), logabsdet)


# ================================================================== triangular solves
def _tri_mask(x, upper, unitriangular):
    """The part of ``x`` a triangular solve reads: its triangle (without the diagonal when unit)."""
    return _triu(x, diagonal=int(unitriangular)) if upper else _tril(x, diagonal=-int(unitriangular))


def _solve_tri_vjp(g, a, ans, upper, unitriangular, needs):
    gb = solve_triangular_(_mT(a), g, upper=not upper, unitriangular=unitriangular)
    ga = _tri_mask(-matmul_(gb, _mT(ans)), upper, unitriangular) if needs[0] else None
    return (ga, gb if needs[1] else None)


def _solve_tri_jvp(primals, tangents, params, outputs):
    (a, _), (ta, tb) = primals, tangents
    upper, unit = params["upper"], params["unitriangular"]
    rhs = _add(tb, -matmul_(_tri_mask(ta, upper, unit), outputs[0]) if ta is not None else None)
    return (solve_triangular_(a, rhs, upper=upper, unitriangular=unit),)


# X = A^{-1} B for triangular A (only its triangle is read).
solve_triangular_ = primitive("linalg_solve_triangular", _trsm, inputs="a b", out_dtype="keep",
                              grad_name="LinalgSolveTriangularBackward0", vjp=Joint(_solve_tri_vjp),
                              jvp=_solve_tri_jvp, batch=_batch_matrices,
                              sparsity=PER_MATRIX)


def _solve_tri_right_vjp(g, a, ans, upper, unitriangular, needs):
    # X = B A^{-1}: gB = g A^{-T}, gA = -X^T gB (on A's triangle)
    gb = solve_triangular_right_(_mT(a), g, upper=not upper, unitriangular=unitriangular)
    ga = _tri_mask(-matmul_(_mT(ans), gb), upper, unitriangular) if needs[0] else None
    return (ga, gb if needs[1] else None)


def _solve_tri_right_jvp(primals, tangents, params, outputs):
    (a, _), (ta, tb) = primals, tangents
    upper, unit = params["upper"], params["unitriangular"]
    rhs = _add(tb, -matmul_(outputs[0], _tri_mask(ta, upper, unit)) if ta is not None else None)
    return (solve_triangular_right_(a, rhs, upper=upper, unitriangular=unit),)


# X = B A^{-1} for triangular A: solve_triangular(left=False).
solve_triangular_right_ = primitive(
    "linalg_solve_triangular_right", lambda a, b, upper, unitriangular: _trsm(a, b, upper, unitriangular, side=1),
    inputs="a b", out_dtype="keep", grad_name="LinalgSolveTriangularBackward0", vjp=Joint(_solve_tri_right_vjp),
    jvp=_solve_tri_right_jvp, batch=_batch_matrices, sparsity=PER_MATRIX)


def _triangular_solve_vjp(g, b, a, ans, upper, transpose, unitriangular, needs):
    # X = op(A)^{-1} b, op(A) = A or A^T: the VJP of solve_triangular with op(A), mapped back to A
    a_ = _mT(a) if transpose else a
    up = upper != transpose
    gb = solve_triangular_(_mT(a_), g, upper=not up, unitriangular=unitriangular)
    ga = None
    if needs[1]:
        ga = _tri_mask(-matmul_(gb, _mT(ans)), up, unitriangular)
        ga = _mT(ga) if transpose else ga
    return (gb if needs[0] else None, ga)


def _triangular_solve_jvp(primals, tangents, params, outputs):
    (_, a), (tb, ta) = primals, tangents
    transpose, unit = params["transpose"], params["unitriangular"]
    up = params["upper"] != transpose
    a_ = _mT(a) if transpose else a
    rhs = tb
    if ta is not None:
        rhs = _add(rhs, -matmul_(_tri_mask(_mT(ta) if transpose else ta, up, unit), outputs[0]))
    return (solve_triangular_(a_, rhs, upper=up, unitriangular=unit),)


# torch.triangular_solve's solution: op(A)^{-1} b, op(A) = A or A^T (transpose).
triangular_solve_ = primitive(
    "triangular_solve", lambda b, a, upper, transpose, unitriangular: _trsm(
        _mTa(a) if transpose else a, b, upper != transpose, unitriangular),
    inputs="b a", out_dtype="keep", grad_name="TriangularSolveBackward0", vjp=Joint(_triangular_solve_vjp),
    jvp=_triangular_solve_jvp, batch=_batch_matrices, sparsity=PER_MATRIX)


@public("linalg.solve_triangular")
def linalg_solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """The solution of ``A X = B`` (``X A = B`` with ``left=False``) for triangular ``A``, as
    ``torch.linalg.solve_triangular``: only the upper (``upper=True``) or lower triangle of ``A`` is
    read, and its diagonal is taken to be ones with ``unitriangular``. Batch dims broadcast.

    Args:
        A (Tensor): triangular matrices ``(*, n, n)``.
        B (Tensor): right-hand sides ``(*, n, k)`` (``(*, k, n)`` with ``left=False``).
        upper (bool): whether ``A`` is upper triangular.
        left (bool, optional): solve ``A X = B`` (True) or ``X A = B``. Default: True.
        unitriangular (bool, optional): the diagonal of ``A`` is all ones. Default: False.
        out (Tensor, optional): the output tensor.

    Example::

        >>> A = pullback.tensor([[2.0, 1.0], [0.0, 4.0]])
        >>> pullback.linalg.solve_triangular(A, pullback.tensor([[3.0], [4.0]]), upper=True)
        tensor([[1.],
                [1.]])
    """
    fn = "linalg.solve_triangular"
    _check_tensor(A, "linalg_solve_triangular", "input", 1)
    _check_tensor(B, "linalg_solve_triangular", "B", 2)
    _check_square(A, fn)
    if B.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({A.shape[-2]}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    broadcast_shape((tuple(B.shape[:-2]), tuple(A.shape[:-2])))
    _check_kernel_dtype(A, "triangular_solve_cpu")
    if B.dtype is not A.dtype:  # torch computes in A's dtype
        B = B.to(A.dtype)
    if left:
        x = solve_triangular_(A, B, upper=bool(upper), unitriangular=bool(unitriangular))
    else:
        x = solve_triangular_right_(A, B, upper=bool(upper), unitriangular=bool(unitriangular))
    return _write(out, x, "linalg_solve_triangular", (A, B))


@public(method=True)
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """The solution of ``A X = input`` (``A^T X = input`` with ``transpose``) for triangular ``A``, as
    the deprecated ``torch.triangular_solve``: a named tuple ``(solution, cloned_coefficient)``.

    Args:
        input (Tensor): right-hand sides ``(*, m, k)``.
        A (Tensor): triangular matrices ``(*, m, m)``.
        upper (bool, optional): whether ``A`` is upper triangular. Default: True.
        transpose (bool, optional): solve with ``A^T``. Default: False.
        unitriangular (bool, optional): the diagonal of ``A`` is all ones. Default: False.
    """
    _check_tensor(input, "triangular_solve", "input", 1)
    _check_tensor(A, "triangular_solve", "A", 2)
    if input.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has "
                           f"{input.ndim} dimensions instead")
    if A.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected A to have at least 2 dimensions, but it has "
                           f"{A.ndim} dimensions instead")
    _check_square(A, "triangular_solve", prefix=False)
    if A.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for triangular_solve: each A matrix is {A.shape[-2]} by "
                           f"{A.shape[-1]} but each b matrix is {input.shape[-2]} by {input.shape[-1]}")
    if A.dtype is not input.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_kernel_name(input.dtype)} and A of type {_kernel_name(A.dtype)} instead.")
    _check_kernel_dtype(A, "triangular_solve_cpu")
    batch = broadcast_shape((tuple(input.shape[:-2]), tuple(A.shape[:-2])))
    coefficient = _expand(A, shape=batch + tuple(A.shape[-2:])) if tuple(A.shape[:-2]) != batch else A
    solution = triangular_solve_(input, A, upper=bool(upper), transpose=bool(transpose),
                                 unitriangular=bool(unitriangular))
    return _named_out("triangular_solve", ["solution", "cloned_coefficient"], (solution, clone(coefficient)), out,
                      "triangular_solve", (input, A))


# ================================================================== Cholesky
def _cholesky_impl(a, fn, upper):
    if upper:  # U = L(A^T)^T reads the upper triangle, as torch's upper=True does
        L, info = _cholesky_impl(_mTa(a), fn, False)
        return _mTa(L), info
    batch, n = a.shape[:-2], a.shape[-1]
    if n < 32 and batch:  # many small matrices: NumPy's batched routine, LAPACK's info on failure
        try:
            return B.linalg.cholesky(a), B.zeros(batch, B.int32)
        except B.linalg.LinAlgError:
            pass
    if not batch and n:  # one matrix (see below)
        u, i = _lapack("potrf", a.dtype)(_mTa(a), lower=0, clean=1)
        if fn is not None and i > 0:
            _raise_for(B.asarray(i), fn, _not_pd)
        return _mTa(u), B.asarray(max(i, 0), dtype=B.int32)
    out = B.empty(a.shape, a.dtype)
    info = B.zeros(batch, B.int32)
    if out.size:
        # potrf on the transposed view (column-major: no copy) reading its upper triangle, the
        # lower one of A: A = U^T U with U = L^T.
        f = _lapack("potrf", a.dtype)
        for idx in B.ndindex(batch):
            u, info[idx] = f(_mTa(a[idx]), lower=0, clean=1)
            out[idx] = _mTa(u)
    if fn is not None:
        _raise_for(info, fn, _not_pd)
    return out, info


def _cholesky_vjp(g, ans, upper):
    # Murray (2016), as torch: with P = Phi(L^T gL) made symmetric, gA = L^{-T} P L^{-1}
    # (for U = L^T: L = U^T, gL = gU^T, and the same symmetric gA).
    gl = g[0]
    if gl is None:
        return (None,)
    L = ans[0]
    if upper:
        L, gl = _mT(L), _mT(gl)
    if type(gl) is B.ndarray:  # a plain backward pass: the same in NumPy and BLAS, without dispatch
        p = B.tril(_mTa(L) @ gl)
        p = 0.5 * (p + _mTa(B.tril(p, -1)))
        return (_trsm(L, _trsm(_mTa(L), p, True, False), False, False, side=1),)
    Lt = _mT(L)
    p = _tril(matmul_(Lt, gl), diagonal=0)
    p = 0.5 * (p + _mT(_tril(p, diagonal=-1)))
    ga = solve_triangular_(Lt, p, upper=True, unitriangular=False)                    # L^{-T} P
    return (_mT(solve_triangular_(Lt, _mT(ga), upper=True, unitriangular=False)),)     # ... L^{-1}


def _cholesky_jvp(primals, tangents, params, outputs):
    # dL = L Phi(L^{-1} dA L^{-T}), Phi: the lower triangle with the diagonal halved
    L, t = outputs[0], tangents[0]
    if params["upper"]:  # U = L(A^T)^T
        L, t = _mT(L), _mT(t)
    m = solve_triangular_(L, t, upper=False, unitriangular=False)
    m = _mT(solve_triangular_(L, _mT(m), upper=False, unitriangular=False))
    phi = _tril(m, diagonal=-1) + 0.5 * _tril(_triu(m, diagonal=0), diagonal=0)
    dl = matmul_(L, phi)
    return (_mT(dl) if params["upper"] else dl, None)


# The lower Cholesky factor L (A = L L^T, the lower triangle of A read) and LAPACK's info.
cholesky_ = primitive("linalg_cholesky", _cholesky_impl, inputs="a", out_dtype="keep", outputs=2,
                      nondiff_outputs=(1,), grad_name="LinalgCholeskyExBackward0", vjp=Joint(_cholesky_vjp),
                      jvp=_cholesky_jvp, batch=_batch_matrices,
                      sparsity=PER_MATRIX)
# The same, as the deprecated torch.cholesky, whose backward node torch names apart.
cholesky_old_ = primitive("cholesky", _cholesky_impl, inputs="a", out_dtype="keep", outputs=2,
                          nondiff_outputs=(1,), grad_name="CholeskyBackward0", vjp=Joint(_cholesky_vjp),
                          jvp=_cholesky_jvp, batch=_batch_matrices,
                          sparsity=PER_MATRIX)


def _cholesky(A, upper, fn, raise_as, arg="input"):
    _check_tensor(A, fn.replace(".", "_"), arg, 1)
    _check_square(A, fn)
    _check_float(A, fn, "cholesky_cpu")
    return (cholesky_old_ if fn == "cholesky" else cholesky_)(A, fn=raise_as, upper=bool(upper))


@public("linalg.cholesky")
def linalg_cholesky(A, *, upper=False, out=None):
    """The Cholesky factor of each symmetric positive-definite matrix of ``A``, as
    ``torch.linalg.cholesky``: lower ``L`` with ``A = L L^T`` (upper ``U = L^T`` with ``upper``).
    Only the lower (upper) triangle of ``A`` is read. Raises ``pullback.linalg.LinAlgError`` for a
    matrix that is not positive-definite.

    Args:
        A (Tensor): symmetric positive-definite matrices ``(*, n, n)``.
        upper (bool, optional): return the upper factor. Default: False.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.linalg.cholesky(pullback.tensor([[4.0, 2.0], [2.0, 5.0]]))
        tensor([[2., 0.],
                [1., 2.]])
    """
    return _write(out, _cholesky(A, upper, "linalg.cholesky", "linalg.cholesky")[0], "linalg_cholesky", (A,))


@public("linalg.cholesky_ex")
def linalg_cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """``linalg.cholesky`` that returns ``(L, info)`` (info ``k > 0``: the leading minor of order
    ``k`` is not positive-definite) instead of raising, unless ``check_errors``.

    Args:
        A (Tensor): symmetric matrices ``(*, n, n)``.
        upper (bool, optional): return the upper factor. Default: False.
        check_errors (bool, optional): raise for a matrix that is not positive-definite. Default: False.
        out (tuple, optional): output tensors.
    """
    L, info = _cholesky(A, upper, "linalg.cholesky_ex", "linalg.cholesky_ex" if check_errors else None)
    return _named_out("linalg_cholesky_ex", ["L", "info"], (L, info), out, "linalg_cholesky_ex", (A,))


@public(method=True)
def cholesky(input, upper=False, *, out=None):
    """The Cholesky factor of symmetric positive-definite matrices, as the deprecated
    ``torch.cholesky`` (``linalg.cholesky`` is the same with ``upper`` a keyword).

    Args:
        input (Tensor): symmetric positive-definite matrices ``(*, n, n)``.
        upper (bool, optional): return the upper factor. Default: False.
        out (Tensor, optional): the output tensor.
    """
    return _write(out, _cholesky(input, upper, "cholesky", "cholesky", "input")[0], "cholesky", (input,))


def _potrs(b, l):
    if b.ndim == 2 and l.ndim == 2 and b.size:
        return _lapack("potrs", b.dtype)(l, b, lower=1)[0]
    batch, (b, l) = _batches(b, l)
    out = B.empty(b.shape, b.dtype)
    if out.size == 0:
        return out
    f = _lapack("potrs", b.dtype)
    for idx in B.ndindex(batch):
        out[idx] = f(l[idx], b[idx], lower=1)[0]
    return out


def _cholesky_solve_vjp(g, l, ans, needs):
    # X = (L L^T)^{-1} B with L a full matrix (torch's convention): gB = A^{-1} g, and with
    # S = gB X^T + X gB^T, gL = -S L.
    gb = cholesky_solve_(g, l)
    gl = None
    if needs[1]:
        s = matmul_(gb, _mT(ans))
        gl = -matmul_(s + _mT(s), l)
    return (gb if needs[0] else None, gl)


def _cholesky_solve_jvp(primals, tangents, params, outputs):
    (_, l), (tb, tl) = primals, tangents
    rhs = tb
    if tl is not None:
        da = matmul_(tl, _mT(l))
        rhs = _add(rhs, -matmul_(da + _mT(da), outputs[0]))
    return (cholesky_solve_(rhs, l),)


cholesky_solve_ = primitive("cholesky_solve", _potrs, inputs="b l", out_dtype="keep",
                            grad_name="CholeskySolveBackward0", vjp=Joint(_cholesky_solve_vjp),
                            jvp=_cholesky_solve_jvp, batch=_batch_matrices,
                            sparsity=PER_MATRIX)


@public(method=True)
def cholesky_solve(input, input2, upper=False, *, out=None):
    """The solution of ``A X = input`` given the Cholesky factor ``input2`` of ``A``, as
    ``torch.cholesky_solve``: ``A = L L^T`` (``A = U^T U`` with ``upper``). Batch dims broadcast.

    Args:
        input (Tensor): right-hand sides ``(*, n, k)``.
        input2 (Tensor): Cholesky factors ``(*, n, n)``.
        upper (bool, optional): ``input2`` is upper triangular. Default: False.
        out (Tensor, optional): the output tensor.
    """
    _check_tensor(input, "cholesky_solve", "input", 1)
    _check_tensor(input2, "cholesky_solve", "input2", 2)
    if input.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {input.ndim} dimensions instead")
    if input2.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {input2.ndim} dimensions instead")
    if input2.shape[-1] != input2.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {input2.shape[-2]} by "
                           f"{input2.shape[-1]} matrices")
    if input2.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is {input2.shape[-2]} by "
                           f"{input2.shape[-1]} but each b matrix is {input.shape[-2]} by {input.shape[-1]}")
    if input.dtype is not input2.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_kernel_name(input.dtype)} "
                           f"and A of type {_kernel_name(input2.dtype)} instead.")
    _check_kernel_dtype(input2, "cholesky_solve_cpu")
    broadcast_shape((tuple(input.shape[:-2]), tuple(input2.shape[:-2])))
    x = cholesky_solve_(input, _mT(input2) if upper else input2)
    return _write(out, x, "cholesky_solve", (input, input2))


def _cholesky_inverse_impl(l):
    with B.errstate(all="ignore"):
        return _potrs(B.broadcast_to(B.eye(l.shape[-1], dtype=l.dtype), l.shape), l)


def _cholesky_inverse_vjp(g, l, ans):
    # torch's convention (L a full matrix): gL = -A^{-1} (g + g^T) A^{-1} L
    s = matmul_(matmul_(ans, g + _mT(g)), ans)
    return -matmul_(s, l)


def _cholesky_inverse_jvp(primals, tangents, params, outputs):
    l, tl, inv = primals[0], tangents[0], outputs[0]
    da = matmul_(tl, _mT(l))
    return (-matmul_(matmul_(inv, da + _mT(da)), inv),)


cholesky_inverse_ = primitive("cholesky_inverse", _cholesky_inverse_impl, inputs="l", out_dtype="keep",
                              vjp=_cholesky_inverse_vjp, jvp=_cholesky_inverse_jvp, batch=_batch_matrices,
                              sparsity=PER_MATRIX)


@public(method=True)
def cholesky_inverse(input, upper=False, *, out=None):
    """The inverse of ``A`` from its Cholesky factor ``input``, as ``torch.cholesky_inverse``:
    ``(L L^T)^{-1}`` (``(U^T U)^{-1}`` with ``upper``).

    Args:
        input (Tensor): Cholesky factors ``(*, n, n)``.
        upper (bool, optional): ``input`` is upper triangular. Default: False.
        out (Tensor, optional): the output tensor.
    """
    _check_tensor(input, "cholesky_inverse", "input", 1)
    if input.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    _check_square(input, "cholesky_inverse")
    _check_kernel_dtype(input, "cholesky_inverse_out_cpu")
    return _write(out, cholesky_inverse_(_mT(input) if upper else input), "cholesky_inverse", (input,))


# ================================================================== LU
def _lu_factor_impl(a, fn):
    lu, piv, info = _getrf(a)
    if fn is not None:
        _raise_for(info, fn, lambda k: f"U[{k},{k}] is zero and using it on lu_solve would result in a division by "
                   "zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or "
                   "linalg.lu_factor_ex(A, pivot)", RuntimeError)
    return lu, piv + 1, info  # torch's pivots count from 1, as LAPACK's


def _permutation_impl(piv, m, dtype):
    """The permutation matrices P (A = P L U) of LAPACK's 1-based row swaps ``piv``, over the batch."""
    batch, k = piv.shape[:-1], piv.shape[-1]
    perm = B.broadcast_to(B.arange(m), batch + (m,)).copy()
    for i in range(k):
        j = (piv[..., i:i + 1] - 1).astype(B.intp)
        here = perm[..., i:i + 1].copy()
        perm[..., i:i + 1] = B.take_along_axis(perm, j, axis=-1)
        B.put_along_axis(perm, j, here, axis=-1)
    out = B.zeros(batch + (m, m), dtype)
    B.put_along_axis(out, perm[..., None, :], 1, axis=-2)  # P[perm[j], j] = 1
    return out


# The permutation matrices of pivots (not differentiable: the pivots are integers).
permutation_ = primitive("lu_permutation", _permutation_impl, inputs="piv", out_dtype="keep",
                         batch=V.trailing_dims_rule)


def _select(m, n, dtype):
    """The m x n matrix with ones on its diagonal: X @ it keeps (pads) the first columns of X."""
    return B.eye(m, n, dtype=dtype)


def _unpack_parts(lu, m, n):
    """The strictly lower (m x k) and upper (k x n) parts of packed LU factors, in pullback ops."""
    k = min(m, n)
    dt = _np_dtype(lu)
    low, up = _tril(lu, diagonal=-1), _triu(lu, diagonal=0)
    if n > k:
        low = matmul_(low, _select(n, k, dt))
    if m > k:
        up = matmul_(_select(k, m, dt), up)
    return low, up


def _unpack(lu, m, n):
    """L (m x k, unit diagonal) and U (k x n) from packed LU factors, in pullback ops."""
    low, up = _unpack_parts(lu, m, n)
    return low + B.eye(m, min(m, n), dtype=_np_dtype(lu)), up


def _lu_unpack_impl(lu):
    m, n = lu.shape[-2:]
    k = min(m, n)
    return B.tril(lu[..., :, :k], -1) + B.eye(m, k, dtype=lu.dtype), B.triu(lu[..., :k, :])


def _lu_unpack_vjp(g, lu_shape):
    # the adjoint of taking the strict lower part into L and the upper part into U
    m, n = lu_shape[-2:]
    k = min(m, n)
    gl, gu = g
    dt = _np_dtype(gl if gl is not None else gu)
    if gl is not None:
        gl = _tril(gl if n == k else matmul_(gl, _select(k, n, dt)), diagonal=-1)
    if gu is not None:
        gu = _triu(gu if m == k else matmul_(_select(m, k, dt), gu), diagonal=0)
    return (_add(gl, gu),)


# L and U from packed LU factors.
lu_unpack_ = primitive("lu_unpack", _lu_unpack_impl, inputs="lu", out_dtype="keep", outputs=2,
                       grad_name="LuUnpackBackward0", vjp=Joint(_lu_unpack_vjp),
                       jvp=lambda primals, tangents, params, outputs: _unpack_parts(
                           tangents[0], *primals[0].shape[-2:]),
                       batch=_batch_matrices,
                       sparsity=PER_MATRIX)


def _lu_solve_trans(left, adjoint):
    """The LAPACK trans flag of lu_solve on the matrices B (left) or B^T (X A = B is A^T X^T = B^T)."""
    return int(adjoint) if left else int(not adjoint)


def _lu_solve_impl(lu, piv, b, left, adjoint):
    x = _getrs(lu, piv - 1, b if left else _mTa(b), _lu_solve_trans(left, adjoint))
    return x if left else _mTa(x)


def _lu_solve_vjp(g, lu, piv, ans, left, adjoint, needs):
    # op(A) Xm = Bm (op(A) = A or A^T): gBm = op(A)^{-T} gXm and g op(A) = -gBm Xm^T; then, from
    # A = P L U, gL = tril(P^T gA U^T, -1) and gU = triu(L^T P^T gA), packed as LU is.
    trans = _lu_solve_trans(left, adjoint)
    xm, gxm = (ans, g) if left else (_mT(ans), _mT(g))
    gbm = lu_solve_(lu, piv, gxm, left=True, adjoint=not trans)
    glu = None
    if needs[0]:
        gop = -matmul_(gbm, _mT(xm))
        ga = _mT(gop) if trans else gop
        n = lu.shape[-1]
        L, U = _unpack(lu, n, n)
        P = _permutation_impl(_data(piv), n, _np_dtype(lu))
        gr = matmul_(_mTa(P), ga)
        glu = _tril(matmul_(gr, _mT(U)), diagonal=-1) + _triu(matmul_(_mT(L), gr), diagonal=0)
    return (glu, None, (gbm if left else _mT(gbm)) if needs[2] else None)


def _batch_lu_solve(prim, values, bdims, params, size):
    (lu, piv, b), (dl, dp, db) = values, bdims
    rank = max(V.logical_ndim(lu, dl), V.logical_ndim(piv, dp) + 1, V.logical_ndim(b, db))
    lu = V.align(lu, dl, rank) if dl is not None else lu
    piv = V.align(piv, dp, rank - 1) if dp is not None else piv
    b = V.align(b, db, rank) if db is not None else b
    return prim.bind((lu, piv, b), params), 0


# X = A^{-1} B from the packed LU factors and 1-based pivots of A (X A = B with left=False,
# A^T for A with adjoint).
def _lu_solve_jvp(primals, tangents, params, outputs):
    # op(A) X = B (X op(A) = B with left=False): dX = op(A)^{-1} (dB - d op(A) X), dA = P (dL U + L dU)
    (lu, piv, _), (tlu, _, tb) = primals, tangents
    left, adjoint = params["left"], params["adjoint"]
    rhs = tb
    if tlu is not None:
        n = lu.shape[-1]
        L, U = _unpack(lu, n, n)
        P = _permutation_impl(_data(piv), n, _np_dtype(lu))
        da = matmul_(P, matmul_(_tril(tlu, diagonal=-1), U) + matmul_(L, _triu(tlu, diagonal=0)))
        dop = _mT(da) if adjoint else da
        rhs = _add(rhs, -(matmul_(dop, outputs[0]) if left else matmul_(outputs[0], dop)))
    return (lu_solve_(lu, piv, rhs, left=left, adjoint=adjoint),)


lu_solve_ = primitive("linalg_lu_solve", _lu_solve_impl, inputs="lu piv b", out_dtype="keep",
                      grad_name="LinalgLuSolveBackward0", vjp=Joint(_lu_solve_vjp), jvp=_lu_solve_jvp,
                      batch=_batch_lu_solve,
                      sparsity=PER_MATRIX)


def _np_dtype(x):
    return x.dtype if type(x) is B.ndarray else x.dtype.np


def _data(x):
    return x if type(x) is B.ndarray else x._data


def _solve_right(a, b, upper, unitriangular=False):
    """X with X A = B for triangular A."""
    return solve_triangular_right_(a, b, upper=upper, unitriangular=unitriangular)


def _lu_backward(gl, gu, L, U, P, m, n):
    """torch's linalg_lu backward: the cotangent of A = P L U from those of L and U (either may be
    None), in pullback ops (square, wide and tall A)."""
    dt = _np_dtype(L)
    Lh, Uh = _mT(L), _mT(U)
    if m == n:
        ga = _tril(matmul_(Lh, gl), diagonal=-1) if gl is not None else None
        if gu is not None:
            ga = _add(ga, _triu(matmul_(gu, Uh), diagonal=0))
        ga = _solve_right(Uh, ga, upper=False)
        ga = solve_triangular_(Lh, ga, upper=True, unitriangular=True)
    elif m < n:  # wide: U = [U1 U2], U1 square
        E = _select(n, m, dt)
        ga = matmul_(Lh, gl) if gl is not None else None
        if gu is not None:
            ga = _add(ga, -matmul_(_triu(gu, diagonal=0), Uh))
        ga = _solve_right(_mT(matmul_(U, E)), _tril(ga, diagonal=-1), upper=False)
        if gu is not None:
            rest = B.eye(n, dtype=dt) - E @ _mTa(E)  # keeps the last n - m columns
            ga = matmul_(ga + _triu(matmul_(gu, E), diagonal=0), _mTa(E)) + matmul_(gu, rest)
        else:
            ga = matmul_(ga, _mTa(E))
        ga = solve_triangular_(Lh, ga, upper=True, unitriangular=True)
    else:  # tall: L = [L1; L2], L1 square
        E = _select(m, n, dt)
        ga = matmul_(gu, Uh) if gu is not None else None
        if gl is not None:
            ga = _add(ga, -matmul_(Lh, _tril(gl, diagonal=-1)))
        ga = solve_triangular_(_mT(matmul_(_mTa(E), L)), _triu(ga, diagonal=0), upper=True, unitriangular=True)
        if gl is not None:
            rest = B.eye(m, dtype=dt) - E @ _mTa(E)  # keeps the last m - n rows
            ga = matmul_(E, ga + _tril(matmul_(_mTa(E), gl), diagonal=-1)) + matmul_(rest, gl)
        else:
            ga = matmul_(E, ga)
        ga = _solve_right(Uh, ga, upper=False)
    return matmul_(P, ga)


def _lu_factor_vjp(g, ans, a_shape):
    glu = g[0]
    if glu is None:
        return (None,)
    m, n = a_shape[-2:]
    k = min(m, n)
    if m == 0 or n == 0:
        return (glu * 0,)
    lu, piv = ans[0], ans[1]
    L, U = _unpack(lu, m, n)
    P = _permutation_impl(_data(piv), m, _np_dtype(lu))
    dt = _np_dtype(lu)
    gl, gu = _tril(glu, diagonal=-1), _triu(glu, diagonal=0)
    if n > k:
        gl = matmul_(gl, _select(n, k, dt))
    if m > k:
        gu = matmul_(_select(k, m, dt), gu)
    return (_lu_backward(gl, gu, L, U, P, m, n),)


def _lu_factor_jvp(primals, tangents, params, outputs):
    # torch's linalg_lu_jvp: with M = L1^{-1} (P^T dA)_1 U1^{-1} on the square part, dL1 = L1 tril(M, -1)
    # and dU1 = triu(M) U1; the rest of U (wide) or of L (tall) follows from P^T dA = dL U + L dU.
    t = tangents[0]
    m, n = t.shape[-2:]
    if m == 0 or n == 0:
        return (t * 0, None, None)
    lu, piv = outputs[0], outputs[1]
    dt = _np_dtype(lu)
    L, U = _unpack(lu, m, n)
    P = _permutation_impl(_data(piv), m, dt)
    da = matmul_(_mTa(P), t)
    if m <= n:
        E = _select(n, m, dt)
        u1 = U if m == n else matmul_(U, E)
        M = _solve_right(u1, solve_triangular_(L, da if m == n else matmul_(da, E), upper=False,
                                               unitriangular=True), upper=True)
        dl = matmul_(L, _tril(M, diagonal=-1))
        du = _triu(solve_triangular_(L, da - matmul_(dl, U), upper=False, unitriangular=True), diagonal=0)
        return ((dl if m == n else matmul_(dl, _mTa(E))) + du, None, None)
    E = _select(m, n, dt)
    l1 = matmul_(_mTa(E), L)
    M = _solve_right(U, solve_triangular_(l1, matmul_(_mTa(E), da), upper=False, unitriangular=True), upper=True)
    du = matmul_(_triu(M, diagonal=0), U)
    dl = _solve_right(U, da - matmul_(L, du), upper=True)
    return (_tril(dl, diagonal=-1) + matmul_(E, du), None, None)


# Packed LU factors (L below the diagonal, U on and above it), 1-based pivots and LAPACK's info.
lu_factor_ = primitive("linalg_lu_factor", _lu_factor_impl, inputs="a", out_dtype="keep", outputs=3,
                       nondiff_outputs=(1, 2), grad_name="LinalgLuFactorExBackward0", vjp=Joint(_lu_factor_vjp),
                       jvp=_lu_factor_jvp, batch=_batch_matrices,
                       sparsity=PER_MATRIX)


def _lu_factor(A, pivot, fn, raise_as):
    _check_tensor(A, fn.replace(".", "_"), "A", 1)
    if A.ndim < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: "
                           f"[{', '.join(map(str, A.shape))}] instead")
    _check_kernel_dtype(A, "lu_cpu")
    if not pivot:
        raise RuntimeError(f"{fn}: LU without pivoting is not implemented on the CPU")
    return lu_factor_(A, fn=raise_as)


@public("linalg.lu_factor")
def linalg_lu_factor(A, *, pivot=True, out=None):
    """The LU factorization with partial pivoting of each matrix of ``A`` (``A = P L U``), packed as
    torch.linalg.lu_factor packs it: a named tuple ``(LU, pivots)``, ``L`` (unit diagonal) below the
    diagonal of ``LU`` and ``U`` on and above it, ``pivots`` LAPACK's 1-based row swaps (int32).
    Rectangular matrices are allowed. Raises for a singular matrix (see ``lu_factor_ex``).

    Args:
        A (Tensor): matrices ``(*, m, n)``.
        pivot (bool, optional): pivot (the only choice on the CPU). Default: True.
        out (tuple, optional): output tensors.
    """
    LU, pivots, _ = _lu_factor(A, pivot, "linalg.lu_factor", "torch.linalg.lu_factor")
    return _named_out("linalg_lu_factor", ["LU", "pivots"], (LU, pivots), out, "linalg_lu_factor", (A,))


@public("linalg.lu_factor_ex")
def linalg_lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """``linalg.lu_factor`` that also returns LAPACK's ``info`` (``k > 0``: ``U[k-1, k-1]`` is zero)
    instead of raising, unless ``check_errors``: a named tuple ``(LU, pivots, info)``.

    Args:
        A (Tensor): matrices ``(*, m, n)``.
        pivot (bool, optional): pivot (the only choice on the CPU). Default: True.
        check_errors (bool, optional): raise for a singular matrix. Default: False.
        out (tuple, optional): output tensors.
    """
    LU, pivots, info = _lu_factor(A, pivot, "linalg.lu_factor_ex",
                                  "torch.linalg.lu_factor_ex" if check_errors else None)
    return _named_out("linalg_lu_factor_ex", ["LU", "pivots", "info"], (LU, pivots, info), out,
                      "linalg_lu_factor_ex", (A,))


@public(method=True)
def lu(A, pivot=True, get_infos=False, out=None):
    """The packed LU factorization, as the deprecated ``torch.lu``: ``(A_LU, pivots)``, and
    ``infos`` too with ``get_infos``. It never raises for a singular matrix.

    Args:
        A (Tensor): matrices ``(*, m, n)``.
        pivot (bool, optional): pivot (the only choice on the CPU). Default: True.
        get_infos (bool, optional): also return LAPACK's info. Default: False.
    """
    LU, pivots, info = _lu_factor(A, pivot, "linalg.lu_factor", None)
    results = (LU, pivots, info) if get_infos else (LU, pivots)
    if out is None:
        return results
    return tuple(_named_out("lu", ["LU", "pivots", "info"][:len(results)], results, out, "lu", (A,)))


def _check_pivots(LU_data, LU_pivots, fn):
    _check_tensor(LU_pivots, fn, "LU_pivots", 2)
    if LU_pivots.dtype is not D.int32:
        raise RuntimeError(f"{fn}: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                           "Note: this function is intended to be used with the output produced by "
                           "torch.linalg.lu_factor")


@public()
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """``P, L, U`` from packed LU factors and pivots (as ``linalg.lu_factor`` returns them), as
    ``torch.lu_unpack``: a named tuple; ``L`` and ``U`` (``P``) are empty unless ``unpack_data``
    (``unpack_pivots``). Gradients flow to ``LU_data``.

    Args:
        LU_data (Tensor): packed LU factors ``(*, m, n)``.
        LU_pivots (Tensor): pivots ``(*, min(m, n))``, int32.
        unpack_data (bool, optional): return L and U. Default: True.
        unpack_pivots (bool, optional): return P. Default: True.
    """
    _check_tensor(LU_data, "lu_unpack", "LU_data", 1)
    _check_tensor(LU_pivots, "lu_unpack", "LU_pivots", 2)
    if LU_data.ndim < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: "
                           f"[{', '.join(map(str, LU_data.shape))}] instead")
    m, n = LU_data.shape[-2:]
    empty = LU_data.new_zeros((0,)) if hasattr(LU_data, "new_zeros") else None
    if unpack_data:
        L, U = lu_unpack_(LU_data)
    else:
        L = U = empty
    if unpack_pivots:
        _check_pivots(LU_data, LU_pivots, "torch.lu_unpack")
        P = permutation_(LU_pivots, m=m, dtype=LU_data._data.dtype)
        batch = tuple(LU_data.shape[:-2])
        if tuple(P.shape[:-2]) != batch:
            P = _expand(P, shape=batch + (m, m))
    else:
        P = empty
    return _named_out("lu_unpack", ["P", "L", "U"], (P, L, U), out, "lu_unpack", (LU_data,))


@public("linalg.lu")
def linalg_lu(A, *, pivot=True, out=None):
    """The LU factorization with partial pivoting ``A = P L U`` of each matrix of ``A``, as
    ``torch.linalg.lu``: a named tuple ``(P, L, U)``, ``L`` (m x k) unit lower triangular and ``U``
    (k x n) upper triangular, k = min(m, n). It never raises for a singular matrix.

    Args:
        A (Tensor): matrices ``(*, m, n)``.
        pivot (bool, optional): pivot (the only choice on the CPU). Default: True.
        out (tuple, optional): output tensors.

    Example::

        >>> P, L, U = pullback.linalg.lu(pullback.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> U
        tensor([[3.0000, 4.0000],
                [0.0000, 0.6667]])
    """
    _check_tensor(A, "linalg_lu", "A", 1)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.lu: Expected tensor with 2 or more dimensions. Got size: "
                           f"[{', '.join(map(str, A.shape))}] instead")
    _check_kernel_dtype(A, "lu_cpu")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, pivots, _ = lu_factor_(A, fn=None)
    P, L, U = lu_unpack(LU, pivots)
    return _named_out("linalg_lu", ["P", "L", "U"], (P, L, U), out, "linalg_lu", (A,))


@public("linalg.lu_solve")
def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """The solution of ``A X = B`` from the LU factorization of ``A`` (``linalg.lu_factor``'s), as
    ``torch.linalg.lu_solve``: ``X A = B`` with ``left=False``, ``A^H`` for ``A`` with ``adjoint``.
    Batch dims broadcast. Gradients flow to ``LU`` and ``B``.

    Args:
        LU (Tensor): packed LU factors ``(*, n, n)``.
        pivots (Tensor): pivots ``(*, n)``, int32.
        B (Tensor): right-hand sides ``(*, n, k)`` (``(*, k, n)`` with ``left=False``).
        left (bool, optional): solve ``A X = B`` (True) or ``X A = B``. Default: True.
        adjoint (bool, optional): solve with ``A^H``. Default: False.
        out (Tensor, optional): the output tensor.
    """
    fn = "linalg.lu_solve"
    _check_tensor(LU, "linalg_lu_solve", "LU", 1)
    _check_tensor(pivots, "linalg_lu_solve", "pivots", 2)
    _check_tensor(B, "linalg_lu_solve", "B", 3)
    _check_square(LU, "torch.linalg.lu_solve")
    _check_float(LU, "torch.linalg.lu_solve")
    if B.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    n = LU.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if pivots.ndim < 1 or pivots.shape[-1] != n:
        raise RuntimeError(f"{fn}: Number of pivots per batch should be same as the dimension of the matrix")
    if tuple(pivots.shape[:-1]) != tuple(LU.shape[:-2]):
        raise RuntimeError(f"{fn}: Expected LU.shape[:-1] and pivots.shape to be the same, but got pivots with "
                           f"shape {list(pivots.shape)} instead")
    if pivots.dtype is not D.int32:
        raise RuntimeError(f"{fn}: pivots should be a Tensor of scalar type torch.int32")
    _check_same_dtype(LU, B, fn, "LU", "B")
    broadcast_shape((tuple(B.shape[:-2]), tuple(LU.shape[:-2])))
    x = lu_solve_(LU, pivots, B, left=bool(left), adjoint=bool(adjoint))
    return _write(out, x, "linalg_lu_solve", (LU, B))


@public(method=True)
def lu_solve(input, LU_data, LU_pivots, *, out=None):
    """The solution of ``A X = input`` from the LU factorization of ``A``, as the deprecated
    ``torch.lu_solve`` (``linalg.lu_solve(LU_data, LU_pivots, input)``).

    Args:
        input (Tensor): right-hand sides ``(*, n, k)``.
        LU_data (Tensor): packed LU factors ``(*, n, n)``.
        LU_pivots (Tensor): pivots ``(*, n)``, int32.
        out (Tensor, optional): the output tensor.
    """
    _check_tensor(input, "lu_solve", "input", 1)
    _check_tensor(LU_data, "lu_solve", "LU_data", 2)
    _check_tensor(LU_pivots, "lu_solve", "LU_pivots", 3)
    return linalg_lu_solve(LU_data, LU_pivots, input, out=out)


# ================================================================== matrix_power, trace
@public("linalg.matrix_power")
def linalg_matrix_power(A, n, *, out=None):
    """``A`` raised to the integer power ``n`` (matrix products; ``n < 0`` inverts first, ``n = 0``
    gives identities), as ``torch.linalg.matrix_power``.

    Args:
        A (Tensor): square matrices ``(*, m, m)``.
        n (int): the exponent.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.linalg.matrix_power(pullback.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
        tensor([[1., 3.],
                [0., 1.]])
    """
    _check_tensor(A, "linalg_matrix_power", "input", 1)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    _check_square(A, "linalg.matrix_power")
    if n == 0:
        eye = B.eye(A.shape[-1], dtype=A._data.dtype)
        result = A * 0 + eye if A.dtype.is_floating_point else _expand(A * 0 + eye, shape=tuple(A.shape))
    else:
        a = A
        if n < 0:
            _check_float(A, "linalg.inv")
            a = inv_(A, fn="linalg.inv")[0]
            n = -n
        if n == 1:
            result = clone(a)
        elif n == 2:
            result = matmul_(a, a)
        elif n == 3:
            result = matmul_(matmul_(a, a), a)
        else:  # torch's order: the bits of n from the least significant, squaring as it goes
            z = result = None
            while n > 0:
                bit, n = n % 2, n // 2
                z = a if z is None else matmul_(z, z)
                if bit:
                    result = z if result is None else matmul_(result, z)
    return _write(out, result, "linalg_matrix_power", (A,))


@public(method=True)
def matrix_power(input, n, *, out=None):
    """``input`` raised to the integer power ``n``: ``linalg.matrix_power``, as ``torch.matrix_power``."""
    _check_tensor(input, "matrix_power", "input", 1)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    return linalg_matrix_power(input, n, out=out)


@public(method=True)
def trace(input):
    """The sum of the main diagonal of a 2-D ``input``, as ``torch.trace`` (integers sum to int64).

    Example::

        >>> pullback.trace(pullback.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(5.)
    """
    _check_tensor(input, "trace", "input", 1)
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype is D.bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return _diagonal(input, offset=0, dim1=0, dim2=1).sum()


# Imported last: the families below import their neighbours, not this module.
from .linalg import matmul_  # noqa: E402
from .shape import _reshape, _expand, _transpose, _tril, _triu, _diagonal  # noqa: E402
from .reduction import _sum  # noqa: E402
from .elementwise import clone  # noqa: E402
from .functions import where  # noqa: E402
