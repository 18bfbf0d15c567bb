"""Linear algebra primitives: matmul in every rank combination, einsum, addmm."""
import math

from .._backend import B, ndarray
from .. import _dtype as D
from ._registry import primitive, Joint, Decompose, broadcast_shape, MULTILINEAR, TRANSPOSE
from . import _vmap_rules as V
from ._api import public
from ._rules import is_tensor


def _mT(x):
    return _transpose(x, dim0=x.ndim - 2, dim1=x.ndim - 1)


def _matmul_vjp(g, x, y, needs):
    xr, yr = x.ndim, y.ndim
    if xr == 1 and yr == 1:                      # dot: scalar g
        return (g * y if needs[0] else None, g * x if needs[1] else None)
    if xr >= 2 and yr >= 2:                      # the common case, without reshapes
        return (matmul_(g, _mT(y)) if needs[0] else None,   # the engine sums broadcast batch dims
                matmul_(_mT(x), g) if needs[1] else None)
    # Lift 1-D operands to matrices (a row for x, a column for y), as matmul itself does.
    xe = _reshape(x, shape=(1,) + tuple(x.shape)) if xr == 1 else x
    ye = _reshape(y, shape=tuple(y.shape) + (1,)) if yr == 1 else y
    gshape = tuple(g.shape)
    if xr == 1:
        gshape = gshape[:-1] + (1,) + gshape[-1:] if yr > 1 else gshape
    if yr == 1:
        gshape = gshape + (1,)
    ge = _reshape(g, shape=gshape)
    gx = gy = None
    if needs[0]:
        gx = matmul_(ge, _mT(ye))                 # the engine sums broadcast batch dims away
        if xr == 1:
            gx = _reshape(gx, shape=tuple(gx.shape[:-2]) + (gx.shape[-1],))
    if needs[1]:
        gy = matmul_(_mT(xe), ge)
        if yr == 1:
            gy = _reshape(gy, shape=tuple(gy.shape[:-1]))
    return (gx, gy)


def _matmul_name(params, shapes):
    rx, ry = len(shapes[0]), len(shapes[1])
    if rx == 1 and ry == 1:
        return "DotBackward0"
    if rx == 2 and ry == 1:
        return "MvBackward0"
    if rx == 1 and ry == 2:
        return "SqueezeBackward4"
    if rx == 2 and ry == 2:
        return "MmBackward0"
    return "UnsafeViewBackward0"  # (torch's matmul ends batched products with a view; bmm_ is BmmBackward0)


def _batch_matmul(prim, values, bdims, params, size):
    (x, y), (dx, dy) = values, bdims
    rx, ry = V.logical_ndim(x, dx), V.logical_ndim(y, dy)
    # The common cases as one GEMM each (a batched matmul of B small products is much slower).
    if dy is None and ry == 2 and rx in (1, 2):                  # batched x @ shared matrix
        x = V.to_front(x, dx)
        flat = _reshape(x, shape=(-1, x.shape[-1])) if rx == 2 else x
        out = prim.bind((flat, y), params)
        return (_reshape(out, shape=(x.shape[0], x.shape[1], y.shape[1])) if rx == 2 else out), 0
    if dx is None and rx == 2 and ry == 1:                       # shared matrix @ batched vector
        return prim.bind((V.to_front(y, dy), _transpose(x, dim0=0, dim1=1)), params), 0
    if dx is None and rx == 2 and ry == 2:                       # shared matrix @ batched matrices
        y = V.to_front(y, dy)                                      # (B, k, n)
        nb, k, n = y.shape
        flat = _reshape(_transpose(y, dim0=0, dim1=1), shape=(k, nb * n))
        out = _reshape(prim.bind((x, flat), params), shape=(x.shape[0], nb, n))
        return _transpose(out, dim0=0, dim1=1), 0
    if dx is not None:
        x = V.to_front(x, dx)
        if rx == 1:
            x = _reshape(x, shape=(x.shape[0], 1, x.shape[1]))
    elif rx == 1:
        x = _reshape(x, shape=(1,) + tuple(x.shape))
    if dy is not None:
        y = V.to_front(y, dy)
        if ry == 1:
            y = _reshape(y, shape=(y.shape[0], y.shape[1], 1))
    elif ry == 1:
        y = _reshape(y, shape=tuple(y.shape) + (1,))
    rank = max(rx, ry, 2)
    if dx is not None:
        x = V.align(x, 0, rank)
    elif dy is not None:
        x = _reshape(x, shape=(1,) * (rank + 1 - x.ndim) + tuple(x.shape))
    if dy is not None:
        y = V.align(y, 0, rank)
    elif dx is not None:
        y = _reshape(y, shape=(1,) * (rank + 1 - y.ndim) + tuple(y.shape))
    out = prim.bind((x, y), params)
    if rx == 1 and ry == 1:
        out = _reshape(out, shape=(out.shape[0],))
    elif rx == 1:
        out = _reshape(out, shape=tuple(out.shape[:-2]) + (out.shape[-1],))
    elif ry == 1:
        out = _reshape(out, shape=tuple(out.shape[:-1]))
    return out, 0


def _matmul_sparsity(prim, node, args, outputs, carriers):
    """out[..., i, j] = sum_l x[..., i, l] y[..., l, j]: out[i, j] depends on x[i, l] where y[l, j]
    may be nonzero, and on y[l, j] where x[i, l] may be. An operand that depends on the input may
    be nonzero anywhere; a constant one only where it is (its zeros are the same at every point)."""
    import scipy.sparse as sp
    x, y = (a._data for a in args)
    xm = x.reshape(1, -1) if x.ndim == 1 else x  # vectors as one-row / one-column matrices
    ym = y.reshape(-1, 1) if y.ndim == 1 else y
    maybe_x = B.ones(xm.shape, dtype=bool) if 0 in carriers else xm != 0
    maybe_y = B.ones(ym.shape, dtype=bool) if 1 in carriers else ym != 0
    batch = B.broadcast_shapes(xm.shape[:-2], ym.shape[:-2])
    n, k, p = xm.shape[-2], xm.shape[-1], ym.shape[-1]
    x_batches = B.broadcast_to(B.arange(int(B.prod(xm.shape[:-2], dtype=B.int64))).reshape(xm.shape[:-2]), batch).ravel()
    y_batches = B.broadcast_to(B.arange(int(B.prod(ym.shape[:-2], dtype=B.int64))).reshape(ym.shape[:-2]), batch).ravel()
    mx = maybe_x.reshape(-1, n, k)
    my = maybe_y.reshape(-1, k, p)
    blocks = {0: [], 1: []}
    for b, (xb, yb) in enumerate(zip(x_batches, y_batches)):
        if 0 in carriers:  # rows (i, j), columns (i, l): y[l, j]
            blocks[0].append((b, xb, sp.kron(sp.identity(n), sp.csr_array(my[yb].T))))
        if 1 in carriers:  # rows (i, j), columns (l, j): x[i, l]
            blocks[1].append((b, yb, sp.kron(sp.csr_array(mx[xb]), sp.identity(p))))
    n_out = outputs[0]._data.size
    matrices = {}
    for i, parts in blocks.items():
        if i not in carriers:
            continue
        size = args[i]._data.size
        rows, cols = [], []
        for b, ib, block in parts:
            block = sp.coo_array(block)
            rows.append(block.row + b * n * p)
            cols.append(block.col + ib * block.shape[1])
        rows, cols = B.concatenate(rows), B.concatenate(cols)
        matrices[i] = sp.csr_array((B.ones(len(rows)), (rows, cols)), shape=(n_out, size))
    return [matrices]


matmul_ = primitive("matmul", B.matmul, inputs="x y", grad_name=_matmul_name, vjp=Joint(_matmul_vjp),
                    jvp=MULTILINEAR, batch=_batch_matmul, sparsity=_matmul_sparsity)
# A vector times a stack of matrices: NumPy's matmul sums in another order than PyTorch's (float32
# results differ in the last digits); einsum sums over k in order, as PyTorch does. The same op
# otherwise (its rules are matmul's), kept apart so that the common matmul pays nothing for it.
vecmat_ = primitive("matmul", lambda x, y: B.einsum("k,...kj->...j", x, y), inputs="x y", grad_name=_matmul_name,
                    vjp=Joint(_matmul_vjp), jvp=MULTILINEAR,
                    batch=lambda prim, *rest: _batch_matmul(matmul_, *rest), sparsity=_matmul_sparsity)


# torch.bmm: the same op under its own node name (torch.matmul of 3-D operands ends with a view).
bmm_ = primitive("matmul", B.matmul, inputs="x y", grad_name="BmmBackward0", vjp=Joint(_matmul_vjp),
                 jvp=MULTILINEAR, batch=lambda prim, *rest: _batch_matmul(matmul_, *rest), sparsity=_matmul_sparsity)


# ----------------------------------------------------------- matmul's checks
_kernel_name = D.kernel_name


def _dims(shape):
    return "x".join(map(str, shape))


def bmm_error(x, y):
    """The RuntimeError of ``bmm`` for 3-D operands that do not fit (or None)."""
    b, _, k = x.shape
    if tuple(y.shape[:2]) != (b, k):
        return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but got: "
                            f"[{y.shape[0]}, {y.shape[1]}].")
    if x.dtype is not y.dtype:
        return RuntimeError(f"expected scalar type {_kernel_name(x.dtype)} but found {_kernel_name(y.dtype)}")
    return None


def matmul_error(x, y):
    """The RuntimeError of ``matmul(x, y)`` (at least 1-D each) whose shapes or dtypes do not fit, or None.

    torch folds the operands onto one kernel (dot, mv, mm or bmm) and each words its own errors:
    the batch dims of a 3-D or larger ``x`` fold into rows when ``y`` is 1-D or 2-D, and every
    other rank combination broadcasts the batch dims and runs bmm over their product. Batch dims
    that do not broadcast are only looked for here when another error is to be worded.
    """
    a, b = tuple(x.shape), tuple(y.shape)
    if len(a) == 1 and len(b) == 1:
        if x.dtype is not y.dtype:
            return RuntimeError("dot : expected both vectors to have same dtype, but found "
                                f"{_kernel_name(x.dtype)} and {_kernel_name(y.dtype)}")
        if a != b:
            return RuntimeError(f"inconsistent tensor size, expected tensor [{a[0]}] and src [{b[0]}] to have the "
                                f"same number of elements, but got {a[0]} and {b[0]} elements respectively")
        return None
    if len(b) == 1:  # mv, over the rows of every matrix of x
        rows = math.prod(a[:-1])
        if a[-1] != b[0]:
            return RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{a[-1]}), vec ({b[0]})")
        if x.dtype is not y.dtype:
            return RuntimeError(f"addmv input tensors must have the same dtype, but got {_kernel_name(y.dtype)}, "
                                f"{_kernel_name(x.dtype)}, and {_kernel_name(y.dtype)}")
        return None
    if len(b) == 2:  # mm, with a 1-D x as one row and the batch dims of x folded into rows
        rows = math.prod(a[:-1])
        if a[-1] != b[0]:
            return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a[-1]} and {_dims(b)})")
        if x.dtype is not y.dtype:  # mm names the C++ types (float != double)
            return RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {D.CPP_TYPE_NAMES[x.dtype]} "
                                f"!= {D.CPP_TYPE_NAMES[y.dtype]}")
        return None
    if a[-1] == b[-2] and x.dtype is y.dtype:
        return None  # the batch dims may still not broadcast: the kernel finds that (see matmul)
    batch = math.prod(broadcast_shape((a[:-2], b[:-2])))  # bmm over the broadcast batch dims, checked first
    if a[-1] != b[-2]:
        return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {a[-1]}] "
                            f"but got: [{batch}, {b[-2]}].")
    if x.dtype is not y.dtype:
        return RuntimeError(f"expected scalar type {_kernel_name(x.dtype)} but found {_kernel_name(y.dtype)}")
    return None


def _addmm_vjp(g, a, b, beta, alpha, needs):
    return (g * beta if needs[0] else None,
            matmul_(g, _mT(b)) * alpha if needs[1] else None,
            matmul_(_mT(a), g) * alpha if needs[2] else None)


def _addmm_jvp(primals, tangents, params, outputs):
    (c, a, b), (tc, ta, tb) = primals, tangents
    terms = [tc * params["beta"] if tc is not None else None,
             matmul_(ta, b) * params["alpha"] if ta is not None else None,
             matmul_(a, tb) * params["alpha"] if tb is not None else None]
    return (_total(terms),)


def _total(terms):
    """The sum of the terms that are not None (None if all are)."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    return total


addmm_ = primitive("addmm", lambda c, a, b, beta, alpha: beta * c + alpha * (a @ b), inputs="c a b",
                   vjp=Joint(_addmm_vjp), jvp=_addmm_jvp,
                   batch=Decompose(lambda c, a, b, beta, alpha: c * beta + matmul_(a, b) * alpha))


def _einsum_operand_grad(g, operands, subs, out_sub, k, shape):
    """The cotangent of operand k: g contracted with every other operand, broadcast over the
    indices that only operand k carries, and put on the diagonals its repeated indices name."""
    target = subs[k]
    letters = "".join(dict.fromkeys(target))             # each index once, in order
    sizes = dict(zip(target, shape))
    others = [(s, op) for i, (s, op) in enumerate(zip(subs, operands)) if i != k]
    available = set(out_sub).union(*[set(s) for s, _ in others]) if others else set(out_sub)
    present = "".join(c for c in letters if c in available)
    spec = ",".join([out_sub] + [s for s, _ in others]) + "->" + present
    r = einsum_(g, *[op for _, op in others], equation=spec)
    if present != letters:
        r = _reshape(r, shape=tuple(sizes[c] if c in present else 1 for c in letters))
        r = _expand(r, shape=tuple(sizes[c] for c in letters))
    if letters != target:
        r = _onto_diagonals(r, letters, target, sizes)
    return r


def _onto_diagonals(r, letters, target, sizes):
    """``r`` (indexed by ``letters``) as a tensor indexed by ``target``, where a letter repeats: zero
    off the diagonals that letter names, as only the elements on them are read by the forward."""
    spare = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in target)
    seen, renamed, eyes = set(), "", []
    for c in target:
        if c in seen:
            fresh = next(spare)
            eyes.append((c + fresh, B.eye(sizes[c], dtype=getattr(r.dtype, "np", r.dtype))))
            c = fresh
        seen.add(c)
        renamed += c
    spec = ",".join([letters] + [s for s, _ in eyes]) + "->" + renamed
    return einsum_(r, *[e for _, e in eyes], equation=spec)


def _einsum_vjp(g, xs, shapes, equation, needs):
    lhs, out_sub = equation.split("->")
    subs = lhs.split(",")
    return [_einsum_operand_grad(g, xs, subs, out_sub, k, shapes[k]) if need else None
            for k, need in enumerate(needs)]


def _batch_einsum(prim, values, bdims, params, size):
    lhs, out_sub = params["equation"].split("->")
    subs = lhs.split(",")
    used = set(params["equation"])
    letter = next(c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in used)
    args, new_subs = [], []
    for v, d, s in zip(values, bdims, subs):
        if d is None:
            args.append(v)
            new_subs.append(s)
        else:
            args.append(V.to_front(v, d))
            new_subs.append(letter + s)
    equation = ",".join(new_subs) + "->" + letter + out_sub
    return prim.bind(tuple(args), dict(params, equation=equation)), 0


einsum_ = primitive("einsum", lambda *xs, equation: B.einsum(equation, *xs, optimize=len(xs) > 2),
                    variadic=True, vjp=Joint(_einsum_vjp), jvp=MULTILINEAR, batch=_batch_einsum)


def _normalize_equation(equation, operands):
    """An explicit '->' equation without spaces or ellipses (they are expanded to letters)."""
    eq = equation.replace(" ", "")
    if "->" not in eq:
        lhs = eq
        letters = [c for c in lhs.replace(",", "").replace(".", "") if lhs.count(c) == 1]
        out = ("..." if "..." in lhs else "") + "".join(sorted(letters))
        eq = lhs + "->" + out
    if "..." in eq:
        lhs, out = eq.split("->")
        used = set(eq)
        free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
        subs = lhs.split(",")
        n_ell = max(op.ndim - (len(s) - 3) for s, op in zip(subs, operands) if "..." in s)
        ell = "".join(free[:n_ell])
        new = []
        for s, op in zip(subs, operands):
            if "..." in s:
                k = op.ndim - (len(s) - 3)
                s = s.replace("...", ell[n_ell - k:])
            new.append(s)
        eq = ",".join(new) + "->" + out.replace("...", ell)
    return eq


@public()
def einsum(equation, *operands):
    """Einstein summation, as ``torch.einsum``: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    Example::

        >>> a = pullback.ones(2, 3); b = pullback.ones(3, 4)
        >>> pullback.einsum("ij,jk->ik", a, b).shape
        pullback.Size([2, 4])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, op in enumerate(operands):
        if not is_tensor(op):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not {type(op).__name__}")
    return einsum_(*operands, equation=_normalize_equation(equation, operands))


# ------------------------------------------------------------------ nuclear norm
def _svd(x):
    return B.linalg.svd(x, full_matrices=False)  # U, S, V^T, thin


def _mTa(a):
    return B.swapaxes(a, -1, -2)


def _polar_vjp(g, x):
    """The VJP of Q = U V^T (A = U S V^T): with X = U^T G V, U ((X - X^T) / (s_i + s_j)) V^T, plus,
    for a non-square A, the part of G outside the column (row) space of U (V), scaled by 1 / s."""
    if is_tensor(g):
        raise RuntimeError("norm(p='nuc'): derivatives beyond the second order are not implemented")
    u, s, vh = _svd(x)
    v = _mTa(vh)
    X = _mTa(u) @ g @ v
    r = u @ ((X - _mTa(X)) / (s[..., :, None] + s[..., None, :])) @ vh
    m, n = x.shape[-2:]
    if m > n:
        r = r + (g @ v - u @ X) / s[..., None, :] @ vh
    elif m < n:
        r = r + u @ ((_mTa(u) @ g - X @ vh) / s[..., :, None])
    return r


# Q = U V^T, the orthogonal factor of the polar decomposition A = Q H: the nuclear norm's gradient.
polar_ = primitive("polar", lambda x: B.matmul(*_svd(x)[::2]), out_dtype="float", vjp=_polar_vjp,
                   jvp=TRANSPOSE, batch=V.trailing_dims_rule)

# d ||X||_* = <U V^T, dX> (distinct nonzero singular values; at the others, the subgradient torch picks).
nuclear_norm = primitive("nuclear_norm", lambda x: B.linalg.svd(x, compute_uv=False).sum(-1), out_dtype="float",
                         grad_name="SumBackward1",  # torch sums the singular values
                         vjp=lambda g, x: _reshape(g, shape=tuple(g.shape) + (1, 1)) * polar_(x),
                         jvp=lambda primals, tangents, params, outputs: (
                             _sum(polar_(primals[0]) * tangents[0], axis=(primals[0].ndim - 2, primals[0].ndim - 1),
                                  keepdim=False),),
                         batch=V.trailing_dims_rule)


# --------------------------------------------------------------------- linear
def _linear_impl(x, w, b=None):
    out = B.matmul(x, w.T)
    if b is not None:
        out += b
    return out


def _linear_vjp(g, x, w, needs):
    # y = x W^T + b over any leading dims of x: the batch dims are flattened into one.
    if type(g) is ndarray and g.ndim == 2 and x.ndim == 2:
        # The common case without create_graph, straight in NumPy (the composite below is what a
        # second-order pass differentiates; the op table checks both).
        return (g @ w if needs[0] else None, g.T @ x if needs[1] else None) + (
            (B.add.reduce(g, 0) if needs[2] else None,) if len(needs) > 2 else ())
    out_features, in_features = w.shape
    g2 = _reshape(g, shape=(-1, out_features)) if g.ndim != 2 else g
    gx = gw = gb = None
    if needs[0]:
        gx = matmul_(g, w)
    if needs[1]:
        x2 = _reshape(x, shape=(-1, in_features)) if x.ndim != 2 else x
        gw = matmul_(_mT(g2), x2) if x.ndim > 1 else matmul_(_reshape(g2, shape=(out_features, 1)),
                                                             _reshape(x, shape=(1, in_features)))
    if len(needs) > 2 and needs[2]:
        gb = _sum(g2, axis=(0,), keepdim=False)
    return (gx, gw, gb) if len(needs) > 2 else (gx, gw)


def _linear_name(params, shapes):
    has_bias = len(shapes) > 2
    if len(shapes[0]) == 2:
        return "AddmmBackward0" if has_bias else "MmBackward0"
    if len(shapes[0]) == 1 and not has_bias:
        return "SqueezeBackward4"
    return "ViewBackward0" if has_bias else "UnsafeViewBackward0"


# Two primitives (with and without bias) so that each has a fixed number of inputs.
def _linear_jvp(primals, tangents, params, outputs):
    x, w, tx, tw = primals[0], primals[1], tangents[0], tangents[1]
    terms = [linear_nobias_(tx, w) if tx is not None else None,
             linear_nobias_(x, tw) if tw is not None else None,
             tangents[2] if len(tangents) > 2 else None]
    return (_total(terms),)


# Two primitives (with and without bias) so that each has a fixed number of inputs. Under vmap
# each is a matmul (and an add), which batch by their own rules.
linear_ = primitive("linear", _linear_impl, inputs="x w b", grad_name=_linear_name, vjp=Joint(_linear_vjp),
                    jvp=_linear_jvp, batch=Decompose(lambda x, w, b: matmul_(x, _transpose(w, dim0=0, dim1=1)) + b))
linear_nobias_ = primitive("linear_nobias", _linear_impl, inputs="x w", grad_name=_linear_name,
                           vjp=Joint(_linear_vjp), jvp=_linear_jvp,
                           batch=Decompose(lambda x, w: matmul_(x, _transpose(w, dim0=0, dim1=1))))


# Imported last: shape and reduction import this module's neighbours, not this module.
from .shape import _reshape, _expand, _transpose  # noqa: E402
from .reduction import _sum  # noqa: E402
