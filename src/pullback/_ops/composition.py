"""The composition family: fused arithmetic (addcmul, addmv, baddbmm...), products (kron, tensordot, inner), splitting and stacking, scatters into slices and diagonals, index_add/index_copy/index_fill, and the statistics built on them (cov, diff, trapezoid).

The fused ops are primitives of their own (one pass, torch's backward names); the rest are
composites of other primitives, exact and differentiable through them.
"""
import builtins
import itertools
import math
import warnings

from .._backend import B
from .. import _dtype as D
from .. import _levels
from .. import _creation  # (a module: it sits above the ops and imports them)
from ._registry import primitive, Joint, Decompose, broadcast_shape, refuse_batched, ELEMENTWISE
from ._api import public
from ._rules import is_tensor, wrap_dim
from . import elementwise as E
from . import functions as F
from . import indexing as I
from . import linalg as L
from . import shape as S
from . import reduction as R
from .functions import _check_tensor, _written
from .._out import write_out
from . import _vmap_rules as V

_INT_KINDS = "iub"


def _kernel(dtype):
    return dtype._tensor_type[:-6]  # FloatTensor -> Float


def _scalar_for(dtype, value, name=None):
    """A fused op's scalar (``value``, ``beta``, ``alpha``) as torch casts it to the result dtype:
    integral results take integers only (a float is refused where ``name`` is given, else truncated)."""
    if dtype.is_floating_point or isinstance(value, (bool, B.bool_)):
        return value
    if isinstance(value, (builtins.float, B.floating)):
        if name is not None:
            raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
        return int(value)
    return value


# ------------------------------------------------------------- addcmul, addcdiv
def _accumulate(x, p, value):
    """``x + value * p``, reusing the temporary ``p`` where it has the result's shape and dtype."""
    if p.dtype.kind == "f" and isinstance(p, B.ndarray) and p.dtype == B.result_type(x, p) and \
            p.shape == B.broadcast_shapes(B.shape(x), p.shape):
        if value != 1:
            B.multiply(p, value, out=p)
        return B.add(x, p, out=p)
    return B.add(x, p if value == 1 else B.multiply(p, value))


def _addcmul_impl(x, t1, t2, value=1):
    return _accumulate(x, B.multiply(t1, t2), value)


def _addcdiv_impl(x, t1, t2, value=1):
    return _accumulate(x, B.true_divide(t1, t2), value)


addcmul_ = primitive("addcmul", _addcmul_impl, inputs="x t1 t2", broadcasting=True, jvp=ELEMENTWISE,
                     batch=ELEMENTWISE,
                     vjp=(lambda g: g,
                          lambda g, t2, value: g * t2 * value,
                          lambda g, t1, value: g * t1 * value))
addcdiv_ = primitive("addcdiv", _addcdiv_impl, inputs="x t1 t2", broadcasting=True, jvp=ELEMENTWISE,
                     batch=ELEMENTWISE,
                     vjp=(lambda g: g,
                          lambda g, t2, value: g * value / t2,
                          lambda g, t1, t2, value: -g * value * t1 / (t2 * t2)))


def _fused_elementwise(prim, fn, input, tensor1, tensor2, value, out):
    _check_tensor(input, fn)
    _check_tensor(tensor1, fn, "tensor1", 2)
    _check_tensor(tensor2, fn, "tensor2", 3)
    dt = D.result_type(input, tensor1, tensor2)
    if fn == "addcdiv" and tensor1.dtype.category < 2 and tensor2.dtype.category < 2:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform "
            "a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as "
            "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
            "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter "
            "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    if dt is D.bool:
        raise E.not_implemented(f"{fn}_cpu_out", dt)
    return _written(out, prim.bind((input, tensor1, tensor2), {"value": _scalar_for(dt, value)}), fn,
                    (input, tensor1, tensor2))


@public(method=True, inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 * tensor2``, elementwise, with broadcasting.

    Args:
        input (Tensor): the tensor to add to.
        tensor1 (Tensor): the first factor.
        tensor2 (Tensor): the second factor.
        value (Number, optional): the multiplier of the product. Default: 1.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.addcmul(pullback.zeros(2), pullback.tensor([1., 2.]), pullback.tensor([3., 4.]), value=0.5)
        tensor([1.5000, 4.0000])
    """
    return _fused_elementwise(addcmul_, "addcmul", input, tensor1, tensor2, value, out)


@public(method=True, inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 / tensor2``, elementwise, with broadcasting (integer ``tensor1`` and
    ``tensor2`` are refused, as in torch).

    Args:
        input (Tensor): the tensor to add to.
        tensor1 (Tensor): the numerator.
        tensor2 (Tensor): the denominator.
        value (Number, optional): the multiplier of the quotient. Default: 1.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.addcdiv(pullback.zeros(2), pullback.tensor([1., 2.]), pullback.tensor([4., 4.]))
        tensor([0.2500, 0.5000])
    """
    return _fused_elementwise(addcdiv_, "addcdiv", input, tensor1, tensor2, value, out)


# ---------------------------------------- addmv, addr, baddbmm, addbmm: c * beta + (a . b) * alpha
def _outer(a, b):
    return E.mul(S._reshape(a, shape=(a.shape[0], 1)), S._reshape(b, shape=(1, b.shape[0])))


def _batch_sum_product(a, b):
    """sum over the batch of a[i] @ b[i]: one matrix product of (n, B*k) and (B*k, m)."""
    nb, n, k = a.shape
    m = b.shape[2]
    left = S._reshape(S._permute(a, dims=(1, 0, 2)), shape=(n, nb * k))
    return L.matmul_(left, S._reshape(b, shape=(nb * k, m)))


_PRODUCTS = {
    "addmv": (L.matmul_,
              lambda g, a, b: _outer(g, b),
              lambda g, a, b: L.matmul_(L._mT(a), g)),
    "addr": (_outer,
             lambda g, a, b: L.matmul_(g, b),
             lambda g, a, b: L.matmul_(L._mT(g), a)),
    "baddbmm": (L.matmul_,
                lambda g, a, b: L.matmul_(g, L._mT(b)),
                lambda g, a, b: L.matmul_(L._mT(a), g)),
    "addbmm": (_batch_sum_product,
               lambda g, a, b: L.matmul_(g, L._mT(b)),
               lambda g, a, b: L.matmul_(L._mT(a), g)),
}


def _fused_product(name):
    product, grad_a, grad_b = _PRODUCTS[name]

    def impl(c, a, b, beta, alpha):
        p = product(a, b)
        fresh = p.dtype.kind == "f" and p.dtype == c.dtype  # a temporary the result may reuse
        if alpha != 1:
            p = B.multiply(p, alpha, out=p) if fresh and isinstance(alpha, (int, builtins.float)) else \
                B.multiply(p, alpha)
        if beta == 0:  # torch ignores the input then (its NaNs included)
            return B.broadcast_to(p, broadcast_shape((c.shape, p.shape))).copy()
        scaled = c if beta == 1 else B.multiply(c, beta)
        if fresh and p.shape == broadcast_shape((c.shape, p.shape)):
            return B.add(p, scaled, out=p)
        return B.add(scaled, p)

    def vjp(g, a, b, beta, alpha, needs):
        return (g * beta if needs[0] else None,
                grad_a(g, a, b) * alpha if needs[1] else None,
                grad_b(g, a, b) * alpha if needs[2] else None)

    def jvp(primals, tangents, params, outputs):
        (_, a, b), (tc, ta, tb) = primals, tangents
        beta, alpha = params["beta"], params["alpha"]
        terms = [tc * beta if tc is not None else None,
                 product(ta, b) * alpha if ta is not None else None,
                 product(a, tb) * alpha if tb is not None else None]
        total = L._total(terms)
        if total is not None and tuple(total.shape) != tuple(outputs[0].shape):
            total = S._expand(total, shape=tuple(outputs[0].shape))
        return (total,)

    def decomposed(c, a, b, beta, alpha):
        p = product(a, b) * alpha
        return p + c * 0 if beta == 0 else c * beta + p  # (c * 0: the shape; vmap sees no NaN issue here)

    return primitive(name, impl, inputs="c a b", vjp=Joint(vjp), jvp=jvp, batch=Decompose(decomposed))


addmv_ = _fused_product("addmv")
addr_ = _fused_product("addr")
baddbmm_ = _fused_product("baddbmm")
addbmm_ = _fused_product("addbmm")


def _run_fused(prim, fn, input, a, b, beta, alpha, out, out_shape):
    dt = D.result_type(input, a, b)
    checked = fn == "addr"  # addr refuses float scalars for integral results; the others truncate them
    beta = _scalar_for(dt, beta, "beta" if checked else None)
    alpha = _scalar_for(dt, alpha, "alpha" if checked else None)
    S.expand(input, out_shape)  # torch's error where the input does not broadcast to the product
    return _written(out, prim.bind((input, a, b), {"beta": beta, "alpha": alpha}), fn, (input, a, b))


@public(method=True, inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``: a matrix-vector product added to ``input``.

    Args:
        input (Tensor): the vector to add (broadcast to ``mat.shape[0]``); ignored when ``beta`` is 0.
        mat (Tensor): a matrix (n x m).
        vec (Tensor): a vector of size m.
        beta (Number, optional): the multiplier of ``input``. Default: 1.
        alpha (Number, optional): the multiplier of the product. Default: 1.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.addmv(pullback.ones(2), pullback.ones(2, 3), pullback.ones(3))
        tensor([4., 4.])
    """
    _check_tensor(input, "addmv")
    _check_tensor(mat, "addmv", "mat", 2)
    _check_tensor(vec, "addmv", "vec", 3)
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}")
    n, m = mat.shape
    if vec.shape[0] != m or not (input.ndim <= 1 and (input.numel() == 1 or tuple(input.shape) == (n,))):
        raise RuntimeError(f"size mismatch, got input ({', '.join(map(str, input.shape))}), mat ({n}x{m}), "
                           f"vec ({vec.shape[0]})")
    if not (input.dtype is mat.dtype is vec.dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_kernel(input.dtype)}, "
                           f"{_kernel(mat.dtype)}, and {_kernel(vec.dtype)}")
    if mat.dtype is D.bool:
        raise E.not_implemented("addmv_impl_cpu", D.bool)
    return _run_fused(addmv_, "addmv", input, mat, vec, beta, alpha, out, (n,))


@public(method=True, inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * outer(vec1, vec2)``.

    Args:
        input (Tensor): the matrix to add (broadcast to n x m); ignored when ``beta`` is 0.
        vec1 (Tensor): a vector of size n.
        vec2 (Tensor): a vector of size m.
        beta (Number, optional): the multiplier of ``input``. Default: 1.
        alpha (Number, optional): the multiplier of the outer product. Default: 1.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.addr(pullback.zeros(2, 2), pullback.tensor([1., 2.]), pullback.tensor([1., 3.]))
        tensor([[1., 3.],
                [2., 6.]])
    """
    _check_tensor(input, "addr")
    _check_tensor(vec1, "addr", "vec1", 2)
    _check_tensor(vec2, "addr", "vec2", 3)
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    dt = D.result_type(input, vec1, vec2)
    if dt is D.bool:
        for name, s in (("beta", beta), ("alpha", alpha)):
            if isinstance(s, (builtins.float, B.floating)):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
        beta, alpha = builtins.bool(beta), builtins.bool(alpha)
    return _run_fused(addr_, "addr", input, vec1, vec2, beta, alpha, out, (vec1.shape[0], vec2.shape[0]))


def _check_batches(fn, input, batch1, batch2):
    _check_tensor(input, fn)
    _check_tensor(batch1, fn, "batch1", 2)
    _check_tensor(batch2, fn, "batch2", 3)
    if batch1.ndim >= 2 and batch2.ndim >= 3:  # torch expands the input first
        lead = (batch1.shape[0],) if fn == "baddbmm" else ()
        S.expand(input, lead + (batch1.shape[1], batch2.shape[2]))
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")


@public(method=True, inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)``.

    Args:
        input (Tensor): the tensor to add (broadcast to b x n x p); ignored when ``beta`` is 0.
        batch1 (Tensor): b matrices n x m.
        batch2 (Tensor): b matrices m x p.
        beta (Number, optional): the multiplier of ``input``. Default: 1.
        alpha (Number, optional): the multiplier of the products. Default: 1.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.baddbmm(pullback.zeros(2, 1, 1), pullback.ones(2, 1, 3), pullback.ones(2, 3, 1)).shape
        pullback.Size([2, 1, 1])
    """
    _check_batches("baddbmm", input, batch1, batch2)
    nb, n, m = batch1.shape
    if tuple(batch2.shape[:2]) != (nb, m):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{nb}, {m}] but got: "
                           f"[{batch2.shape[0]}, {batch2.shape[1]}].")
    if not (input.dtype is batch1.dtype is batch2.dtype):
        raise RuntimeError(f"expected scalar type {_kernel(input.dtype)} but found "
                           f"{_kernel(batch1.dtype if batch1.dtype is not input.dtype else batch2.dtype)}")
    return _run_fused(baddbmm_, "baddbmm", input, batch1, batch2, beta, alpha, out, (nb, n, batch2.shape[2]))


@public(method=True, inplace=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_i batch1[i] @ batch2[i]``: the products of a batch, summed.

    Args:
        input (Tensor): the matrix to add (broadcast to n x p); ignored when ``beta`` is 0.
        batch1 (Tensor): b matrices n x m.
        batch2 (Tensor): b matrices m x p.
        beta (Number, optional): the multiplier of ``input``. Default: 1.
        alpha (Number, optional): the multiplier of the sum of products. Default: 1.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.addbmm(pullback.zeros(1, 1), pullback.ones(2, 1, 3), pullback.ones(2, 3, 1))
        tensor([[6.]])
    """
    _check_batches("addbmm", input, batch1, batch2)
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {batch1.shape[0]} and "
                           f"{batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]} and "
                           f"{batch2.shape[1]}x{batch2.shape[2]})")
    for other in (batch1, batch2):
        if other.dtype is not input.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_kernel(input.dtype)} and "
                               f"{_kernel(other.dtype)}")
    return _run_fused(addbmm_, "addbmm", input, batch1, batch2, beta, alpha, out,
                      (batch1.shape[1], batch2.shape[2]))


# ------------------------------------------------------------------ vdot, kron, tensordot
vdot_ = primitive("vdot", lambda x, y: B.asarray(B.dot(x, y)), inputs="x y",
                  vjp=(lambda g, y: g * y, lambda g, x: g * x), jvp="multilinear",
                  batch=Decompose(lambda x, y: L.matmul_(x, y)))


@public(method=True)
def vdot(input, other, *, out=None):
    """The dot product of two 1-D tensors, the first conjugated (for real tensors, ``dot``).

    Args:
        input (Tensor): a 1-D tensor.
        other (Tensor): a 1-D tensor of the same size and dtype.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.vdot(pullback.tensor([1., 2.]), pullback.tensor([3., 4.]))
        tensor(11.)
    """
    _check_tensor(input, "vdot")
    _check_tensor(other, "vdot", "other", 2)
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{_kernel(input.dtype)} and {_kernel(other.dtype)}")
    n, m = input.shape[0], other.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
                           f"of elements, but got {n} and {m} elements respectively")
    if input.dtype is D.bool:
        raise E.not_implemented("dot", D.bool)
    return _written(out, vdot_.bind((input, other), {}), "vdot", (input, other))


@public(method=True)
def kron(input, other, *, out=None):
    """The Kronecker product: ``out[i * other.shape + j] = input[i] * other[j]`` over every dim, the
    shorter shape padded with leading ones.

    Args:
        input (Tensor): the first operand.
        other (Tensor): the second operand.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.kron(pullback.eye(2), pullback.ones(1, 2))
        tensor([[1., 1., 0., 0.],
                [0., 0., 1., 1.]])
    """
    _check_tensor(input, "kron")
    _check_tensor(other, "kron", "other", 2)
    nd = builtins.max(input.ndim, other.ndim)
    a = (1,) * (nd - input.ndim) + tuple(input.shape)
    b = (1,) * (nd - other.ndim) + tuple(other.shape)
    left = S._reshape(input, shape=tuple(s for d in a for s in (d, 1)))
    right = S._reshape(other, shape=tuple(s for d in b for s in (1, d)))
    product = E.mul(left, right)
    return _written(out, S._unsafe_view(product, shape=tuple(x * y for x, y in zip(a, b))), "kron",
                    (input, other))


def _tensordot_dims(dims, a, b):
    if is_tensor(dims):
        if dims.numel() > 1:
            return dims[0].tolist(), dims[1].tolist()
        dims = int(dims.item())
    if isinstance(dims, (list, tuple)):
        if len(dims) != 2:
            raise RuntimeError("tensordot expects dims to be a pair of lists of dims")
        dims_a, dims_b = dims
        for pos, (name, d) in enumerate((("dims_self", dims_a), ("dims_other", dims_b))):
            if not isinstance(d, (list, tuple)):
                raise TypeError(f"tensordot(): argument '{name}' (position {pos + 3}) must be tuple of ints, not "
                                f"{type(d).__name__}")
        return list(dims_a), list(dims_b)
    if dims < 0:
        raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
    if dims > a.ndim or dims > b.ndim:
        raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
    return list(range(a.ndim - dims, a.ndim)), list(range(dims))


@public()
def tensordot(a, b, dims=2, out=None):
    """Contracts ``a`` and ``b`` over the dims ``dims`` names: an int ``d`` (the last ``d`` of ``a``
    with the first ``d`` of ``b``) or two lists of dims.

    Args:
        a (Tensor): the left operand.
        b (Tensor): the right operand.
        dims (int or tuple of two lists of int): the dims to contract. Default: 2.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.tensordot(pullback.ones(2, 3), pullback.ones(3, 4), dims=1).shape
        pullback.Size([2, 4])
    """
    _check_tensor(a, "tensordot", "a", 1)
    _check_tensor(b, "tensordot", "b", 2)
    dims_a, dims_b = _tensordot_dims(dims, a, b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    dims_a = [wrap_dim(d, a.ndim) for d in dims_a]
    dims_b = [wrap_dim(d, b.ndim) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            if a.shape[da] == 1:  # a size-1 dim broadcasts: the other operand is summed over its dim
                b = R._sum(b, axis=(db,), keepdim=True)
                continue
            if b.shape[db] == 1:
                a = R._sum(a, axis=(da,), keepdim=True)
                continue
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[da]} in dim {da} "
                               f"and second has size {b.shape[db]} in dim {db}")
    if a.dtype is D.bool:
        raise E.not_implemented("addmm_impl_cpu_", D.bool)
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = math.prod(a.shape[d] for d in dims_a)
    left = S._reshape(S.permute(a, tuple(free_a + dims_a)), shape=(math.prod(a.shape[d] for d in free_a), k))
    right = S._reshape(S.permute(b, tuple(dims_b + free_b)), shape=(k, math.prod(b.shape[d] for d in free_b)))
    shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return _written(out, S._reshape(L.matmul_(left, right), shape=shape), "tensordot", (a, b))


# ------------------------------------------------------------------ at least n dims, stacking
def _atleast(tensors, fn, shape_of):
    single = len(tensors) == 1 and is_tensor(tensors[0])
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        _check_tensor(t, fn)
        shape = shape_of(tuple(t.shape))
        out.append(t if shape is None else (S._unsqueeze(t, shape=shape) if t.ndim else S._reshape(t, shape=shape)))
    return out[0] if single else tuple(out)


@public()
def atleast_1d(*tensors):
    """Each tensor viewed with at least one dim (a 0-dim tensor becomes shape ``(1,)``); one tensor
    gives a tensor, several (or a list) a tuple.

    Args:
        tensors (Tensor or list of Tensors): the tensors (several arguments, or one list or tuple).

    Example::

        >>> pullback.atleast_1d(pullback.tensor(2.)).shape
        pullback.Size([1])
    """
    return _atleast(tensors, "atleast_1d", lambda s: (1,) if not s else None)


@public()
def atleast_2d(*tensors):
    """Each tensor viewed with at least two dims: ``()`` -> ``(1, 1)``, ``(n,)`` -> ``(1, n)``.

    Args:
        tensors (Tensor or list of Tensors): the tensors (several arguments, or one list or tuple).

    Example::

        >>> pullback.atleast_2d(pullback.ones(3)).shape
        pullback.Size([1, 3])
    """
    return _atleast(tensors, "atleast_2d", lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else None)


@public()
def atleast_3d(*tensors):
    """Each tensor viewed with at least three dims: ``()`` -> ``(1, 1, 1)``, ``(n,)`` -> ``(1, n, 1)``,
    ``(m, n)`` -> ``(m, n, 1)``.

    Args:
        tensors (Tensor or list of Tensors): the tensors (several arguments, or one list or tuple).

    Example::

        >>> pullback.atleast_3d(pullback.ones(2, 3)).shape
        pullback.Size([2, 3, 1])
    """
    return _atleast(tensors, "atleast_3d",
                    lambda s: (1, 1, 1) if not s else (1,) + s + (1,) if len(s) == 1 else s + (1,) if len(s) == 2
                    else None)


@public()
def column_stack(tensors, *, out=None):
    """Stacks tensors as columns: 0-dim and 1-dim tensors become columns ``(n, 1)``, then ``hstack``.

    Args:
        tensors (sequence of Tensors): the columns (0-, 1-dim) and blocks of columns (2-dim).
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.column_stack([pullback.ones(2), pullback.zeros(2, 2)]).shape
        pullback.Size([2, 3])
    """
    tensors = S._check_tensors(tensors, "column_stack")
    columns = [S._reshape(t, shape=(t.numel(), 1)) if t.ndim < 2 else t for t in tensors]
    return _written(out, S.cat(columns, 1), "column_stack", tuple(tensors))


@public()
def dstack(tensors, *, out=None):
    """Stacks tensors depthwise: ``cat`` along dim 2 of their ``atleast_3d`` views.

    Args:
        tensors (sequence of Tensors): the tensors to stack.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.dstack([pullback.ones(2), pullback.zeros(2)]).shape
        pullback.Size([1, 2, 2])
    """
    tensors = S._check_tensors(tensors, "dstack")
    return _written(out, S.cat(list(atleast_3d(tensors)), 2), "dstack", tuple(tensors))


# ------------------------------------------------------------------------------------ splitting
def _sections_or_indices(value):
    """tensor_split's second argument: an int (sections) or a list of indices; a Tensor holds either."""
    if is_tensor(value):
        if value.dtype is not D.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{_kernel(value.dtype)}")
        if value.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {value.ndim} dims")
        return int(value.item()) if value.ndim == 0 else [int(i) for i in value.tolist()]
    if isinstance(value, (int, B.integer)):
        return int(value)
    if not isinstance(value, (list, tuple)) or not builtins.all(isinstance(i, (int, B.integer)) for i in value):
        raise TypeError(f"tensor_split() received an invalid combination of arguments - got (Tensor, "
                        f"{type(value).__name__}), but expected one of:\n"
                        " * (Tensor input, tuple of ints indices, int dim = 0)\n"
                        " * (Tensor input, Tensor tensor_indices_or_sections, int dim = 0)\n"
                        " * (Tensor input, int sections, int dim = 0)\n")
    return [int(i) for i in value]


def _slices(input, d, bounds):
    n = input.shape[d]
    pieces = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        lo, hi = builtins.min(builtins.max(lo, 0), n), builtins.min(builtins.max(hi, 0), n)
        pieces.append(S.narrow(input, d, lo, builtins.max(hi - lo, 0)))
    return tuple(pieces)


@public(method=True)
def tensor_split(input, indices_or_sections, dim=0):
    """Splits ``input`` along ``dim`` into views: ``sections`` pieces as equal as can be (the first
    ``n % sections`` one longer), or at the given ``indices``.

    Args:
        input (Tensor): the tensor to split.
        indices_or_sections (int, list of int or Tensor): the number of pieces, or where to cut.
        dim (int, optional): the dim to split along. Default: 0.

    Example::

        >>> [t.shape[0] for t in pullback.tensor_split(pullback.arange(7), 3)]
        [3, 2, 2]
    """
    _check_tensor(input, "tensor_split")
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dim(dim, input.ndim)
    value = _sections_or_indices(indices_or_sections)
    n = input.shape[d]
    if isinstance(value, int):
        if value <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {value}")
        size, extra = divmod(n, value)
        bounds = [0]
        for i in range(value):
            bounds.append(bounds[-1] + size + (1 if i < extra else 0))
        return _slices(input, d, bounds)
    return _slices(input, d, [0] + [i + n if i < 0 else i for i in value] + [n])


def _split_by(fn, input, indices_or_sections, min_dims, dim):
    _check_tensor(input, fn)
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{fn} requires a tensor with at least {min_dims} dimension, but got a tensor with "
                           f"{input.ndim} dimensions!")
    if isinstance(indices_or_sections, (int, B.integer)):
        n = input.shape[dim]
        if indices_or_sections == 0 or n % indices_or_sections:
            raise RuntimeError(f"torch.{fn} attempted to split along dimension {dim}, but the size of the dimension "
                               f"{n} is not divisible by the split_size {indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


@public(method=True)
def hsplit(input, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 of a 1-D tensor); a number of sections must divide the size.

    Args:
        input (Tensor): a tensor of 1 or more dims.
        indices_or_sections (int or list of int): the number of equal pieces, or where to cut.

    Example::

        >>> [t.shape for t in pullback.hsplit(pullback.ones(2, 4), 2)]
        [pullback.Size([2, 2]), pullback.Size([2, 2])]
    """
    return _split_by("hsplit", input, indices_or_sections, 1, 1 if is_tensor(input) and input.ndim > 1 else 0)


@public(method=True)
def vsplit(input, indices_or_sections):
    """``tensor_split`` along dim 0 of a tensor of 2 or more dims; sections must divide the size.

    Args:
        input (Tensor): a tensor of 2 or more dims.
        indices_or_sections (int or list of int): the number of equal pieces, or where to cut.

    Example::

        >>> [t.shape for t in pullback.vsplit(pullback.ones(4, 2), [1])]
        [pullback.Size([1, 2]), pullback.Size([3, 2])]
    """
    return _split_by("vsplit", input, indices_or_sections, 2, 0)


@public(method=True)
def dsplit(input, indices_or_sections):
    """``tensor_split`` along dim 2 of a tensor of 3 or more dims; sections must divide the size.

    Args:
        input (Tensor): a tensor of 3 or more dims.
        indices_or_sections (int or list of int): the number of equal pieces, or where to cut.

    Example::

        >>> [t.shape for t in pullback.dsplit(pullback.ones(1, 1, 4), 2)]
        [pullback.Size([1, 1, 2]), pullback.Size([1, 1, 2])]
    """
    return _split_by("dsplit", input, indices_or_sections, 3, 2)


@public(method=True)
def split_with_sizes(input, split_sizes, dim=0):
    """Splits ``input`` along ``dim`` into views of the given sizes (which must sum to its size).

    Args:
        input (Tensor): the input tensor.
        split_sizes (list of int): the sizes, summing to the size of ``dim``.
        dim (int, optional): the dim to split along. Default: 0.

    Example::

        >>> [t.shape[0] for t in pullback.split_with_sizes(pullback.arange(5), [2, 3])]
        [2, 3]
    """
    _check_tensor(input, "split_with_sizes")
    return S.split(input, [int(s) for s in split_sizes], dim)


# ------------------------------------------------------------------------ flips, rotations, ravel
@public(method=True)
def fliplr(input):
    """``input`` flipped left to right (along dim 1); at least 2-D.

    Args:
        input (Tensor): a tensor of 2 or more dims.

    Example::

        >>> pullback.fliplr(pullback.tensor([[1, 2], [3, 4]]))
        tensor([[2, 1],
                [4, 3]])
    """
    _check_tensor(input, "fliplr")
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return S.flip(input, (1,))


@public(method=True)
def flipud(input):
    """``input`` flipped upside down (along dim 0); at least 1-D.

    Args:
        input (Tensor): a tensor of 1 or more dims.

    Example::

        >>> pullback.flipud(pullback.tensor([1, 2, 3]))
        tensor([3, 2, 1])
    """
    _check_tensor(input, "flipud")
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return S.flip(input, (0,))


@public(method=True)
def rot90(input, k=1, dims=(0, 1)):
    """Rotates ``input`` by 90 degrees ``k`` times in the plane of ``dims``, from the first dim towards
    the second.

    Args:
        input (Tensor): the input tensor.
        k (int, optional): the number of rotations. Default: 1.
        dims (list of two ints, optional): the plane of rotation. Default: [0, 1].

    Example::

        >>> pullback.rot90(pullback.tensor([[1, 2], [3, 4]]))
        tensor([[2, 4],
                [1, 3]])
    """
    _check_tensor(input, "rot90")
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = wrap_dim(dims[0], input.ndim), wrap_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k %= 4
    if k == 1:
        return S.transpose(S.flip(input, (d1,)), d0, d1)
    if k == 2:
        return S.flip(input, (d0, d1))
    if k == 3:
        return S.transpose(S.flip(input, (d0,)), d0, d1)
    return input.clone()


@public(method=True)
def ravel(input):
    """``input`` flattened to 1-D (a view where the memory allows).

    Args:
        input (Tensor): the input tensor.

    Example::

        >>> pullback.ravel(pullback.ones(2, 3)).shape
        pullback.Size([6])
    """
    _check_tensor(input, "ravel")
    return S._reshape(input, shape=(input.numel(),))


# ------------------------------------------------------------------------------ diagonals, blocks
@public(method=True)
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonals (``offset``, over ``dim1`` and ``dim2``) are the last dim of ``input``,
    zero elsewhere: the adjoint of ``diagonal``.

    Args:
        input (Tensor): the input tensor.
        offset (int, optional): which diagonal (0: the main one, > 0 above, < 0 below). Default: 0.
        dim1 (int, optional): the first dim of the diagonals. Default: -2.
        dim2 (int, optional): the second dim of the diagonals. Default: -1.

    Example::

        >>> pullback.diag_embed(pullback.tensor([1., 2.]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    _check_tensor(input, "diag_embed")
    nd = input.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (input.shape[-1] if input.ndim else 1) + abs(offset)
    rest = iter(input.shape[:-1])
    shape = tuple(n if i in (d1, d2) else next(rest) for i in range(nd))
    x = input if input.ndim else S._reshape(input, shape=(1,))
    return S._diag_embed_op(x, shape=shape, offset=offset, dim1=d1, dim2=d2)


@public(method=True)
def diagflat(input, offset=0):
    """A matrix with ``input`` flattened on its ``offset``-th diagonal.

    Args:
        input (Tensor): the input tensor.
        offset (int, optional): which diagonal. Default: 0.

    Example::

        >>> pullback.diagflat(pullback.tensor([[1., 2.]]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    _check_tensor(input, "diagflat")
    flat = S._reshape(input, shape=(input.numel(),))
    n = flat.shape[0] + abs(offset)
    return S._diag_embed_op(flat, shape=(n, n), offset=offset, dim1=0, dim2=1)


@public()
def block_diag(*tensors):
    """The block diagonal matrix of the tensors (0-dim: 1 x 1 blocks, 1-dim: 1 x n rows), of their
    promoted dtype.

    Args:
        *tensors (Tensor): 0-, 1- or 2-dim tensors, the blocks in order.

    Example::

        >>> pullback.block_diag(pullback.ones(1, 1), pullback.ones(1, 2))
        tensor([[1., 0., 0.],
                [0., 1., 1.]])
    """
    blocks = []
    for i, t in enumerate(tensors):
        _check_tensor(t, "block_diag", "tensors", 1)
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
        blocks.append(S._reshape(t, shape=(1, 1)) if t.ndim == 0 else S._reshape(t, shape=(1, t.shape[0]))
                      if t.ndim == 1 else t)
    dt = D.result_type(*blocks) if blocks else D.get_default_dtype()
    width = builtins.sum(b.shape[1] for b in blocks)
    if not blocks:
        return _creation.zeros(1, 0)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        row = [_creation.zeros(r, left, dtype=dt), b if b.dtype is dt else b.to(dt),
               _creation.zeros(r, width - left - c, dtype=dt)]
        rows.append(S.cat(row, 1))
        left += c
    return S.cat(rows, 0)


# ----------------------------------------------------------------- grids, products, combinations
@public()
def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 0-D or 1-D tensors: the i-th output varies along dim i (``indexing='ij'``,
    the default) or, with ``'xy'``, the first two dims swapped (Cartesian indexing). Views.

    Args:
        *tensors (Tensor): 0- or 1-dim tensors of one dtype (or one list of them).
        indexing (str, optional): ``'ij'`` or ``'xy'``. Default: ``'ij'``, with torch's warning.

    Example::

        >>> [g.shape for g in pullback.meshgrid(pullback.ones(2), pullback.ones(3), indexing="ij")]
        [pullback.Size([2, 3]), pullback.Size([2, 3])]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        _check_tensor(t, "meshgrid", "tensors", 1)
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    if builtins.any(t.dtype is not tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    order = list(tensors)
    if swap:
        order[0], order[1] = order[1], order[0]
    shape = tuple(t.numel() for t in order)
    grids = []
    for i, t in enumerate(order):
        view = (1,) * i + (t.numel(),) + (1,) * (len(order) - i - 1)
        grids.append(S._expand(S._reshape(t, shape=view), shape=shape))
    if swap:  # the grids of the swapped inputs already have the Cartesian shape
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def _check_vector(t, fn):
    _check_tensor(t, fn, "tensors", 1)
    if t.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape [{', '.join(map(str, t.shape))}]")


@public()
def cartesian_prod(*tensors):
    """The Cartesian product of 1-D tensors: each row one combination, as ``itertools.product``
    orders them (one tensor: itself).

    Args:
        *tensors (Tensor): 1-dim tensors.

    Example::

        >>> pullback.cartesian_prod(pullback.tensor([1, 2]), pullback.tensor([3, 4]))
        tensor([[1, 3],
                [1, 4],
                [2, 3],
                [2, 4]])
    """
    for t in tensors:
        _check_vector(t, "cartesian_prod")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return S.stack([S._reshape(g, shape=(g.numel(),)) for g in grids], 1)


@public()
def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of the elements of a 1-D tensor, as ``itertools.combinations``
    (or ``combinations_with_replacement``) orders them: one per row.

    Args:
        input (Tensor): a 1-dim tensor.
        r (int, optional): the length of each combination. Default: 2.
        with_replacement (bool, optional): whether elements may repeat. Default: False.

    Example::

        >>> pullback.combinations(pullback.tensor([1, 2, 3]))
        tensor([[1, 2],
                [1, 3],
                [2, 3]])
    """
    _check_tensor(input, "combinations")
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape [{', '.join(map(str, input.shape))}]")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _creation.empty(0, dtype=input.dtype)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    index = B.array(rows, dtype=B.int64).reshape(len(rows), r)
    columns = [I.index_select(input, 0, _creation.tensor(index[:, j])) for j in range(r)]
    return S.stack(columns, 1)


# ------------------------------------------------------------------- scatters into slices, indices
def _same_size(src, target_shape):
    if tuple(src.shape) != tuple(target_shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{_sizes(src.shape)}, slice size = {_sizes(target_shape)}")


def _sizes(shape):
    return f"[{', '.join(map(str, shape))}]"


def _put_at(input, src, index, accumulate=False, name="IndexPutBackward0"):
    return I.named_index_put(input, src, index=index, accumulate=accumulate, name=name)


@public(method=True)
def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``src`` written at ``index`` along ``dim`` (where ``select`` reads).

    Args:
        input (Tensor): the input tensor.
        src (Tensor): the values, of the selected slice's shape.
        dim (int): the dim to select along.
        index (int): the index to select.

    Example::

        >>> pullback.select_scatter(pullback.zeros(2, 2), pullback.ones(2), 0, 0)
        tensor([[1., 1.],
                [0., 0.]])
    """
    _check_tensor(input, "select_scatter")
    _check_tensor(src, "select_scatter", "src", 2)
    target = S.select(input, dim, index)  # torch's errors for the dim and the index
    _same_size(src, target.shape)
    d = wrap_dim(dim, input.ndim)
    i = index + input.shape[d] if index < 0 else index
    return _put_at(input, src, (slice(None),) * d + (int(i),), name="SelectScatterBackward0")


@public(method=True)
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` with ``src`` written into the slice ``start:end:step`` of ``dim``.

    Args:
        input (Tensor): the input tensor.
        src (Tensor): the values, of the slice's shape.
        dim (int, optional): the dim to slice. Default: 0.
        start (int, optional): the first index.
        end (int, optional): the end (exclusive).
        step (int, optional): the step. Default: 1.

    Example::

        >>> pullback.slice_scatter(pullback.zeros(4), pullback.ones(2), start=1, end=3)
        tensor([0., 1., 1., 0.])
    """
    _check_tensor(input, "slice_scatter")
    _check_tensor(src, "slice_scatter", "src", 2)
    d = wrap_dim(dim, input.ndim)
    if step is not None and step <= 0:
        raise RuntimeError("slice step must be positive")
    index = (slice(None),) * d + (slice(start, end, step),)
    target = B.empty(tuple(input.shape), dtype=bool)[index].shape
    _same_size(src, target)
    return _put_at(input, src, index, name="SliceScatterBackward0")


@public(method=True)
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with ``src`` written on the diagonal ``diagonal(input, offset, dim1, dim2)``
    reads.

    Args:
        input (Tensor): the input tensor.
        src (Tensor): the values, of the diagonal's shape.
        offset (int, optional): which diagonal. Default: 0.
        dim1 (int, optional): the first dim of the diagonal. Default: 0.
        dim2 (int, optional): the second dim of the diagonal. Default: 1.

    Example::

        >>> pullback.diagonal_scatter(pullback.zeros(2, 2), pullback.ones(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    _check_tensor(input, "diagonal_scatter")
    _check_tensor(src, "diagonal_scatter", "src", 2)
    target = S.diagonal(input, offset, dim1, dim2)
    _same_size(src, target.shape)
    n = input.ndim
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    shape = tuple(input.shape)
    mask = S._diag_embed(_creation.ones(tuple(target.shape), dtype=D.bool), shape=shape, offset=offset,
                         dim1=d1, dim2=d2)
    placed = S._diag_embed(src if src.dtype is input.dtype else src.to(input.dtype), shape=shape, offset=offset,
                           dim1=d1, dim2=d2)
    return I.where_(mask, placed, input)


def _along(input, dim, index, fn):
    """The dim (wrapped), the index array (checked as torch's ``fn`` checks it, made non-negative)
    and the NumPy index that selects those entries along it; a 0-dim ``input`` is seen as one of
    one element."""
    if not is_tensor(index):
        raise TypeError(f"{fn}(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    d = wrap_dim(dim, input.ndim)
    if index.ndim > 1:
        if fn == "index_add":
            raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {index.ndim} with type: "
                             f"{_kernel(index.dtype)} and size: {list(index.shape)}")
        if fn == "index_copy":
            raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
        raise RuntimeError("Index has to be a vector/scalar")
    if fn == "index_add" and index.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {_kernel(index.dtype)}")
    if fn == "index_copy" and index.dtype is not D.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_kernel(index.dtype)}")
    if fn == "index_fill" and index.dtype is not D.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    refuse_batched(index, f"{fn}() with a batched index")
    idx = index._data.reshape(-1).astype(B.int64)
    return d, idx, (slice(None),) * d + (idx,)


def _check_bounds(input, d, idx, fn):
    size = input.shape[d] if input.ndim else 1
    if idx.size and (idx.min() < -size or idx.max() >= size):
        bad = idx[(idx < -size) | (idx >= size)][0]
        message = f"index {bad} is out of bounds for dimension {d} with size {size}"
        if fn == "index_add":
            raise RuntimeError(message)
        raise IndexError(("index_copy_(): " if fn == "index_copy" else "") + message)
    idx = B.where(idx < 0, idx + size, idx)
    return idx, (slice(None),) * d + (idx,)


def _indexed_shape(input, d, n):
    shape = list(input.shape)
    if shape:
        shape[d] = n
    return tuple(shape)


@public(method=True, inplace=True)
def index_add(input, dim, index, source, *, alpha=1, out=None):
    """A copy of ``input`` with ``alpha * source`` added at the entries ``index`` names along ``dim``
    (repeated indices add up).

    Args:
        input (Tensor): the tensor to add to.
        dim (int): the dimension to index along.
        index (Tensor): int64 or int32 indices, a vector.
        source (Tensor): the values: ``input``'s shape, with ``len(index)`` along ``dim``.
        alpha (Number, optional): the multiplier of ``source``. Default: 1.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.zeros(3).index_add(0, pullback.tensor([0, 0, 2]), pullback.tensor([1., 2., 3.]))
        tensor([3., 0., 3.])
    """
    _check_tensor(input, "index_add")
    _check_tensor(source, "index_add", "source", 4)
    d, idx, where = _along(input, dim, index, "index_add")
    if source.ndim and input.ndim and source.shape[d if d < source.ndim else 0] != idx.size \
            and source.ndim == input.ndim:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                         f"({source.shape[d]}), for dim: {d}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_add_(): self ({_kernel(input.dtype)}) and source ({_kernel(source.dtype)}) must "
                           "have the same scalar type")
    expected = _indexed_shape(input, d, idx.size)
    if tuple(source.shape) != expected and source.numel() != math.prod(expected) or source.ndim > 1 and \
            tuple(source.shape) != expected:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}")
    idx, where = _check_bounds(input, d, idx, "index_add")
    x = input if input.ndim else S._reshape(input, shape=(1,))
    alpha = _scalar_for(input.dtype, alpha)  # (an integral input takes alpha truncated, as torch does)
    v = source if alpha == 1 else E.mul(source, alpha)
    v = S._reshape(v, shape=_indexed_shape(x, d, idx.size))
    result = _put_at(x, v, where, accumulate=True, name="IndexAddBackward0")
    return _written(out, result if input.ndim else S._reshape(result, shape=()), "index_add", (input, source))


@public(method=True, inplace=True)
def index_copy(input, dim, index, source, *, out=None):
    """A copy of ``input`` with the entries ``index`` names along ``dim`` replaced by ``source``.

    Example::

        >>> pullback.zeros(3).index_copy(0, pullback.tensor([2, 0]), pullback.tensor([1., 2.]))
        tensor([2., 0., 1.])
    """
    _check_tensor(input, "index_copy")
    _check_tensor(source, "index_copy", "source", 4)
    d, idx, where = _along(input, dim, index, "index_copy")
    if source.ndim and input.ndim and source.ndim != input.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({source.ndim}), destination dimensionality ({input.ndim})")
    if source.ndim and input.ndim and source.shape[d] != idx.size:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                         f"({source.shape[d]})")
    expected = _indexed_shape(input, d, idx.size)
    if source.ndim and input.ndim and tuple(source.shape) != expected:
        rest = lambda shape: " ".join(str(v) for k, v in enumerate(shape) if k != d)  # noqa: E731
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                           f"slice shape: {rest(input.shape)} at dimension {d} and source slice shape: "
                           f"{rest(source.shape)} at dimension {d}.")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_kernel(input.dtype)} and (source) {_kernel(source.dtype)}")
    idx, where = _check_bounds(input, d, idx, "index_copy")
    x = input if input.ndim else S._reshape(input, shape=(1,))
    v = S._reshape(source, shape=_indexed_shape(x, d, idx.size))
    result = _put_at(x, v, where, name="IndexCopyBackward0")
    return _written(out, result if input.ndim else S._reshape(result, shape=()), "index_copy", (input, source))


@public(method=True, inplace=True)
def index_fill(input, dim, index, value):
    """A copy of ``input`` with the entries ``index`` names along ``dim`` set to ``value`` (a number
    or a 0-dim tensor).

    Args:
        input (Tensor): the input tensor.
        dim (int): the dimension to index along.
        index (LongTensor): the entries, a vector.
        value (Number or Tensor): the value (a 0-dim tensor is differentiable).

    Example::

        >>> pullback.zeros(2, 3).index_fill(1, pullback.tensor([0, 2]), 5.)
        tensor([[5., 0., 5.],
                [5., 0., 5.]])
    """
    _check_tensor(input, "index_fill")
    d, idx, where = _along(input, dim, index, "index_fill")
    if is_tensor(value) and value.ndim != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    idx, where = _check_bounds(input, d, idx, "index_fill")
    where = where[:-1] + (B.unique(idx),)  # each entry filled once (a tensor value's gradient counts it once)
    x = input if input.ndim else S._reshape(input, shape=(1,))
    result = _put_at(x, value, where, name="IndexFillBackward1" if is_tensor(value) else "IndexFillBackward0")
    return result if input.ndim else S._reshape(result, shape=())


@public(method=True, inplace=True)
def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``values`` written (added, with ``accumulate``) at ``input[indices]``,
    ``indices`` a tuple of index tensors: the out-of-place ``Tensor.index_put_``.

    Args:
        input (Tensor): the input tensor.
        indices (tuple of Tensors): long or bool index tensors, one per indexed dim.
        values (Tensor): the values, of ``input``'s dtype, broadcast to ``input[indices]``.
        accumulate (bool, optional): add instead of writing (repeated positions add up). Default: False.

    Example::

        >>> pullback.zeros(3).index_put((pullback.tensor([0, 0]),), pullback.tensor(1.), accumulate=True)
        tensor([2., 0., 0.])
    """
    _check_tensor(input, "index_put")
    _check_tensor(values, "index_put", "values", 3)
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' (position 2) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    if values.dtype is not input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_kernel(input.dtype)} for the destination and {_kernel(values.dtype)} for the source.")
    if accumulate:  # a bool (mask) index as the positions it selects: one advanced index, repeats added up
        expanded = []
        for i in indices:
            if is_tensor(i) and i.dtype is D.bool:
                refuse_batched(i, "index_put() with a batched mask")
                expanded.extend(_creation.tensor(n) for n in B.nonzero(i._data))
            else:
                expanded.append(i)
        indices = expanded
    first, basic, second = I.normalize_index(tuple(indices), tuple(input.shape))
    if second is None and not basic:
        return I.index_put(input, values, index=first, accumulate=builtins.bool(accumulate))
    out = input.clone()
    out[tuple(indices)] = values
    return out


@public(method=True)
def take(input, index, *, out=None):
    """The elements of ``input``, read as 1-D, at ``index`` (the result has ``index``'s shape).

    Args:
        input (Tensor): the input tensor.
        index (LongTensor): positions in ``input`` read as 1-D (negative ones count from the end).
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.take(pullback.tensor([[1, 2], [3, 4]]), pullback.tensor([0, 3]))
        tensor([1, 4])
    """
    _check_tensor(input, "take")
    _check_tensor(index, "take", "index", 2)
    if index.dtype is not D.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_kernel(index.dtype)}")
    n = input.numel()
    refuse_batched(index, "take() with a batched index")
    idx = index._data
    if idx.size and (n == 0 or idx.min() < -n or idx.max() >= n):
        bad = idx[(idx < -n) | (idx >= n)].flat[0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat = S._reshape(input, shape=(n,))
    idx = B.where(idx < 0, idx + n, idx)
    result = I.getitem(flat, index=(idx,), basic=False, name="TakeBackward0")
    return result if out is None else I._write_gathered(out, result, "take", (input, index))


@public(method=True, inplace=True)
def put(input, index, source, accumulate=False):
    """A copy of ``input`` with ``source`` written (added, with ``accumulate``) at the positions
    ``index`` names in ``input`` read as 1-D.

    Args:
        input (Tensor): the input tensor.
        index (LongTensor): positions in ``input`` read as 1-D.
        source (Tensor): the values, as many as ``index`` has, of ``input``'s dtype.
        accumulate (bool, optional): add instead of writing. Default: False.

    Example::

        >>> pullback.zeros(2, 2).put(pullback.tensor([3, 0]), pullback.tensor([1., 2.]))
        tensor([[2., 0.],
                [0., 1.]])
    """
    _check_tensor(input, "put")
    _check_tensor(index, "put", "index", 2)
    _check_tensor(source, "put", "source", 3)
    if index.dtype is not D.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_kernel(index.dtype)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_kernel(input.dtype)} and source.dtype = {_kernel(source.dtype)}")
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    n = input.numel()
    refuse_batched(index, "put() with a batched index")
    idx = index._data.reshape(-1)
    if idx.size and (n == 0 or idx.min() < -n or idx.max() >= n):
        bad = idx[(idx < -n) | (idx >= n)][0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    idx = B.where(idx < 0, idx + n, idx)
    values = S._reshape(source, shape=(idx.size,))
    if input.ndim:  # the flat positions as coordinates: one write into input itself
        return _put_at(input, values, tuple(B.unravel_index(idx, tuple(input.shape))), accumulate=bool(accumulate),
                       name="PutBackward0")
    flat = S._reshape(input, shape=(n,))
    result = _put_at(flat, values, (idx,), accumulate=bool(accumulate), name="PutBackward0")
    return S._reshape(result, shape=())


@public(method=True, inplace=True)
def masked_scatter(input, mask, source):
    """A copy of ``input`` with the elements where ``mask`` (a bool tensor broadcasting to it) is True
    replaced, in order, by the first elements of ``source``.

    Args:
        input (Tensor): the input tensor.
        mask (BoolTensor): where to write, broadcastable to ``input``.
        source (Tensor): the values, of ``input``'s dtype, read in order.

    Example::

        >>> pullback.zeros(3).masked_scatter(pullback.tensor([True, False, True]), pullback.tensor([1., 2., 3.]))
        tensor([1., 0., 2.])
    """
    _check_tensor(input, "masked_scatter")
    _check_tensor(mask, "masked_scatter", "mask", 2)
    _check_tensor(source, "masked_scatter", "source", 3)
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {_kernel(mask.dtype)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_kernel(input.dtype)} and {_kernel(source.dtype)}")
    shape = broadcast_shape((tuple(mask.shape), tuple(input.shape)))
    if shape != tuple(input.shape):
        input = S.expand(input, shape)
    refuse_batched(mask, "masked_scatter() with a batched mask")
    m = B.broadcast_to(mask._data, shape)
    count = int(m.sum())
    if count > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    values = S._reshape(source, shape=(source.numel(),))
    if count != source.numel():
        values = I.getitem(values, index=(slice(0, count),), basic=True)
    return _put_at(input, values, (m,), name="MaskedScatterBackward0")


# ------------------------------------------------------------------ repeats, index arithmetic
@public(method=True)
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeats each element of ``input`` (along ``dim``; the flattened input when None) ``repeats``
    times (an int, or a tensor of one count per element). ``repeat_interleave(counts)`` alone gives
    the indices ``0, 0, ..., 1, ...`` repeated as ``counts`` says.

    Args:
        input (Tensor): the input tensor.
        repeats (int or Tensor): the number of repeats, one for all or one per element.
        dim (int, optional): the dim to repeat along. Default: the flattened input.
        output_size (int, optional): the total length along ``dim`` (checked).

    Example::

        >>> pullback.repeat_interleave(pullback.tensor([1, 2]), 2)
        tensor([1, 1, 2, 2])
    """
    _check_tensor(input, "repeat_interleave")
    if repeats is None:  # the counts form
        counts = input
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.dtype not in (D.int64, D.int32):
            raise E.not_implemented("repeat_interleave_cpu", counts.dtype)
        refuse_batched(counts, "repeat_interleave() of batched counts")
        c = counts._data.reshape(-1)
        if c.size and c.min() < 0:
            raise RuntimeError("repeats can not be negative")
        result = B.repeat(B.arange(c.size, dtype=counts.dtype.np), c)
        if output_size is not None and output_size != result.size:
            raise RuntimeError("allocated size does not match required size")
        return _creation.tensor(result, dtype=counts.dtype)
    if is_tensor(repeats):
        if repeats.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if repeats.dtype not in (D.int64, D.int32):
            raise E.not_implemented("repeat_interleave_cpu", repeats.dtype)
        refuse_batched(repeats, "repeat_interleave() with batched repeats")
        counts = repeats._data.reshape(-1).astype(B.int64)
    else:
        if int(repeats) < 0:
            raise RuntimeError("Repeats must be non-negative")
        counts = B.asarray([int(repeats)], dtype=B.int64)
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    if dim is None:
        x = S._reshape(input, shape=(input.numel(),))
        d = 0
    else:
        d = wrap_dim(dim, input.ndim)
        x = input if input.ndim else S._reshape(input, shape=(1,))
    n = x.shape[d]
    if counts.size == 1:
        counts = B.full((n,), counts[0], dtype=B.int64)
    elif counts.size != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{counts.size} and input.size({d}) = {n}")
    index = B.repeat(B.arange(n, dtype=B.int64), counts)
    if output_size is not None and output_size != index.size:
        raise RuntimeError("allocated size does not match required size")
    return I.index_select(x, d, _creation.tensor(index))


@public()
def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    """The coordinates (a 2 x N tensor: rows, then columns) of the lower triangle of a ``row`` x ``col``
    matrix, the ``offset``-th diagonal and below, in row-major order.

    Args:
        row (int): the number of rows.
        col (int): the number of columns.
        offset (int, optional): the diagonal bounding the triangle. Default: 0.
        dtype (dtype, optional): int64 (the default) or int32.

    Example::

        >>> pullback.tril_indices(2, 2)
        tensor([[0, 1, 1],
                [0, 0, 1]])
    """
    return _triangle_indices(row, col, offset, dtype, B.tril_indices)


@public()
def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    """The coordinates (a 2 x N tensor: rows, then columns) of the upper triangle of a ``row`` x ``col``
    matrix, the ``offset``-th diagonal and above, in row-major order.

    Args:
        row (int): the number of rows.
        col (int): the number of columns.
        offset (int, optional): the diagonal bounding the triangle. Default: 0.
        dtype (dtype, optional): int64 (the default) or int32.

    Example::

        >>> pullback.triu_indices(2, 2)
        tensor([[0, 0, 1],
                [0, 1, 1]])
    """
    return _triangle_indices(row, col, offset, dtype, B.triu_indices)


def _triangle_indices(row, col, offset, dtype, fn):
    dtype = D.int64 if dtype is None else dtype
    if dtype not in (D.int64, D.int32):
        raise E.not_implemented("tril_indices" if fn is B.tril_indices else "triu_indices", dtype)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    if row == 0 or col == 0:
        return _creation.zeros(2, 0, dtype=dtype)
    r, c = fn(row, offset, col)
    return _creation.tensor(B.stack([r, c]).astype(dtype.np).reshape(2, -1), dtype=dtype)


@public()
def unravel_index(indices, shape):
    """The coordinates in an array of ``shape`` of flat (row-major) ``indices``: a tuple of tensors,
    one per dim, each of ``indices``' shape.

    Args:
        indices (Tensor): integer flat indices.
        shape (int or sequence of ints): the array's shape.

    Example::

        >>> pullback.unravel_index(pullback.tensor([4, 1]), (2, 3))
        (tensor([1, 0]), tensor([1, 1]))
    """
    if not is_tensor(indices):
        raise TypeError(f"expected 'indices' to be integer dtype, but got {type(indices)}")
    if indices.dtype.is_floating_point or indices.dtype is D.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, (int, B.integer)) else tuple(shape)
    for s in shape:
        if not isinstance(s, (int, B.integer)):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(s)}")
        if s < 0:
            raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    if 0 in shape:
        raise RuntimeError("ZeroDivisionError")
    refuse_batched(indices, "unravel_index() of batched indices")
    idx = indices._data.astype(B.int64)
    coords = []
    for s in reversed(shape):  # floor division and modulo, as torch computes them (no bounds check)
        coords.append(idx % s)
        idx = idx // s
    return tuple(_creation.tensor(c.astype(B.int64), dtype=D.int64) for c in reversed(coords))


# ---------------------------------------------------------------------------------- statistics
def _plus(a, b):
    return E.add(a, b, alpha=1)


def _minus(a, b):
    return E.sub(a, b, alpha=1)


def _spread_and_mean(fn, spread, input, dim, unbiased, keepdim, correction):
    _check_tensor(input, fn)
    if isinstance(dim, bool):  # the var_mean(input, unbiased) overload
        dim, unbiased = None, dim
    s = spread(input, dim, unbiased, keepdim, correction=correction)
    m = F.mean(input, dim, keepdim) if dim is not None else (
        F.mean(input) if not keepdim else F.mean(input, tuple(range(input.ndim)), True))
    return s, m


@public()
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The variance and the mean over ``dim``: a tuple ``(var(input, ...), mean(input, ...))``.

    Args:
        input (Tensor): the input tensor.
        dim (int or tuple of ints, optional): the dims to reduce. Default: all.
        unbiased (bool, optional): Bessel's correction (``correction=1``) or none.
        keepdim (bool, optional): keep the reduced dims with size 1. Default: False.
        correction (int, optional): subtracted from the number of elements. Default: 1.

    Example::

        >>> pullback.var_mean(pullback.tensor([1., 2., 3.]))
        (tensor(1.), tensor(2.))
    """
    return _spread_and_mean("var_mean", F.var, input, dim, unbiased, keepdim, correction)


@public()
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The standard deviation and the mean over ``dim``: ``(std(input, ...), mean(input, ...))``.

    Args:
        input (Tensor): the input tensor.
        dim (int or tuple of ints, optional): the dims to reduce. Default: all.
        unbiased (bool, optional): Bessel's correction (``correction=1``) or none.
        keepdim (bool, optional): keep the reduced dims with size 1. Default: False.
        correction (int, optional): subtracted from the number of elements. Default: 1.

    Example::

        >>> pullback.std_mean(pullback.tensor([1., 2., 3.]))
        (tensor(1.), tensor(2.))
    """
    return _spread_and_mean("std_mean", F.std, input, dim, unbiased, keepdim, correction)


def _as_float(x):
    return x if x.dtype.is_floating_point else x.to(D.get_default_dtype())


@public(method=True)
def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in columns; a
    1-D input is one variable), with frequency weights ``fweights`` and observation weights
    ``aweights``, divided by ``N - correction`` (weighted as NumPy's ``cov``).

    Args:
        input (Tensor): variables in rows, observations in columns (a 1-dim input is one variable).
        correction (int, optional): subtracted from the number (or weight) of observations. Default: 1.
        fweights (Tensor, optional): integer frequency weights, one per observation.
        aweights (Tensor, optional): floating point observation weights, one per observation.

    Example::

        >>> pullback.cov(pullback.tensor([[0., 1., 2.], [2., 1., 0.]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    _check_tensor(input, "cov")
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    x = input if input.ndim == 2 else S._reshape(input, shape=(1, input.numel()))
    n = x.shape[1]
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if weights.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                               f"{weights.ndim} dimensions")
        if name == "fweights":
            if weights.dtype.is_floating_point or weights.dtype is D.bool:
                raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                                   f"{_kernel(weights.dtype)} dtype")
            if weights.numel() and bool((weights._data < 0).any()):
                raise RuntimeError("cov(): fweights cannot be negative")
        else:
            if not weights.dtype.is_floating_point:
                raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                                   f"{_kernel(weights.dtype)} dtype")
            if weights.numel() and bool((weights._data < 0).any()):
                raise RuntimeError("cov(): aweights cannot be negative")
        if weights.numel() != n:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                               f"input but got {weights.numel()} != {n}")
        weights = S._reshape(weights, shape=(n,))
        w = weights if w is None else E.mul(w, weights)
    x = _as_float(x)
    if w is None:
        w_sum = n
        avg = R._mean(x, axis=(1,), keepdim=True)
        norm = n - correction
    else:
        w_sum = R._sum(w, axis=None, keepdim=False)
        avg = E.div(R._sum(E.mul(x, w), axis=(1,), keepdim=True), w_sum)
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = _minus(w_sum, correction)
        else:
            norm = _minus(w_sum, E.div(E.mul(R._sum(E.mul(w, aweights), axis=None, keepdim=False), correction),
                                      w_sum))
    if not _levels.batched(norm) and (norm if isinstance(norm, (int, builtins.float))
                                      else builtins.float(norm.item())) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm = 0 if isinstance(norm, (int, builtins.float)) else E.mul(norm, 0)
    xm = _minus(x, avg)
    weighted = xm if w is None else E.mul(xm, w)
    c = E.div(L.matmul_(xm, L._mT(weighted)), norm)
    return S.squeeze(c)


@public(method=True)
def corrcoef(input):
    """The Pearson correlation coefficients of the variables in the rows of ``input``: ``cov``
    normalised by the standard deviations, clipped to [-1, 1].

    Args:
        input (Tensor): variables in rows, observations in columns (a 1-dim input is one variable).

    Example::

        >>> pullback.corrcoef(pullback.tensor([[0., 1., 2.], [2., 1., 0.]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    _check_tensor(input, "corrcoef")
    if input.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    c = cov(input)
    if c.ndim == 0:
        return E.div(c, c)
    d = S.diagonal(c)
    stddev = E.sqrt(d)
    c = E.div(c, S._reshape(stddev, shape=(stddev.shape[0], 1)))
    c = E.div(c, S._reshape(stddev, shape=(1, stddev.shape[0])))
    return E.clamp_scalar(c, min=-1, max=1)


@public(method=True)
def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """The ``n``-th forward difference along ``dim``: ``out[i] = input[i + 1] - input[i]`` (for bool
    inputs, ``!=``), with ``prepend`` and ``append`` joined to ``input`` first.

    Args:
        input (Tensor): the input tensor.
        n (int, optional): how many times to difference. Default: 1.
        dim (int, optional): the dim to difference along. Default: -1.
        prepend (Tensor, optional): values joined before ``input`` along ``dim``.
        append (Tensor, optional): values joined after ``input`` along ``dim``.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.diff(pullback.tensor([1, 3, 6, 10]))
        tensor([2, 3, 4])
    """
    _check_tensor(input, "diff")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim)
    for other in (prepend, append):
        if other is not None and other.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    if n == 0:  # prepend and append are not joined then
        return _written(out, input.clone(), "diff", (input,))
    x = input
    if prepend is not None or append is not None:
        x = S.cat([t for t in (prepend, input, append) if t is not None], d)
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        hi = S.narrow(x, d, 1, size - 1)
        lo = S.narrow(x, d, 0, size - 1)
        x = E.logical_xor(hi, lo) if x.dtype is D.bool else _minus(hi, lo)
    return _written(out, x, "diff", (input,))


def _trapezoid_dx(y, x, dx, d, fn):
    if x is not None:
        if x.ndim == 1:
            if x.numel() != y.shape[d]:
                raise RuntimeError(f"{fn}: There must be one `x` value for each sample point")
            step = diff(x)
            return S._reshape(step, shape=tuple(step.shape[0] if k == d else 1 for k in range(y.ndim)))
        return diff(x, dim=d)
    return 1 if dx is None else dx


def _check_x(fn, y, x, dim):
    """torch's TypeError for a non-Tensor ``x`` (``dx`` is keyword-only)."""
    if x is not None and not is_tensor(x):
        got = ", ".join(["Tensor" if is_tensor(y) else type(y).__name__, type(x).__name__]
                        + ([] if dim == -1 else ["dim=int"]))
        raise TypeError(f"{fn}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                        + "".join(s + "\n" for s in _TRAPEZOID_SIGNATURES[fn]))


_TRAPEZOID_SIGNATURES = {
    "trapezoid": (" * (Tensor y, Tensor x, *, int dim = -1)", " * (Tensor y, *, Number dx = 1, int dim = -1)"),
    "trapz": (" * (Tensor y, *, float dx = 1, int dim = -1)", " * (Tensor y, Tensor x, *, int dim = -1)"),
    "cumulative_trapezoid": (" * (Tensor y, Tensor x, *, int dim = -1)", " * (Tensor y, *, Number dx = 1, int dim = -1)"),
}


@public()
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along ``dim``: the integral of ``y`` sampled at ``x`` (a tensor of
    coordinates) or at spacing ``dx`` (default 1).

    Args:
        y (Tensor): the values.
        x (Tensor, optional): the sample coordinates (1-dim, or ``y``'s shape).
        dx (Number, optional): the uniform spacing when ``x`` is not given. Default: 1.
        dim (int, optional): the dim to integrate along. Default: -1.

    Example::

        >>> pullback.trapezoid(pullback.tensor([1., 2., 3.]))
        tensor(4.)
    """
    _check_x("trapezoid", y, x, dim)
    return _trapezoid("trapezoid", y, x, dx, dim)


def _trapezoid(fn, y, x, dx, dim):
    _check_tensor(y, fn, "y", 1)
    d = wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        shape = tuple(s for k, s in enumerate(y.shape) if k != d)
        dt = y.dtype if y.dtype.is_floating_point else D.get_default_dtype()
        if x is not None and is_tensor(x):
            dt = D.result_type(y, x) if D.result_type(y, x).is_floating_point else dt
        return _creation.zeros(shape, dtype=dt)
    step = _trapezoid_dx(y, x, dx, d, fn)
    hi, lo = S.narrow(y, d, 1, n - 1), S.narrow(y, d, 0, n - 1)
    if is_tensor(step):
        return E.div(R._sum(E.mul(_plus(hi, lo), step), axis=(d,), keepdim=False), 2)
    total = _minus(R._sum(y, axis=(d,), keepdim=False),
                  E.mul(_plus(S.select(y, d, 0), S.select(y, d, -1)), 0.5))
    return E.mul(total, step)


@public()
def trapz(y, x=None, *, dx=None, dim=-1):
    """``trapezoid`` (its older name).

    Args:
        y (Tensor): the values.
        x (Tensor, optional): the sample coordinates.
        dx (Number, optional): the uniform spacing when ``x`` is not given. Default: 1.
        dim (int, optional): the dim to integrate along. Default: -1.

    Example::

        >>> pullback.trapz(pullback.tensor([1., 2., 3.]), dx=2.)
        tensor(8.)
    """
    _check_x("trapz", y, x, dim)
    return _trapezoid("trapz", y, x, dx, dim)


@public()
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral of ``y`` along ``dim`` (one element fewer than ``y``).

    Args:
        y (Tensor): the values.
        x (Tensor, optional): the sample coordinates (1-dim, or ``y``'s shape).
        dx (Number, optional): the uniform spacing when ``x`` is not given. Default: 1.
        dim (int, optional): the dim to integrate along. Default: -1.

    Example::

        >>> pullback.cumulative_trapezoid(pullback.tensor([1., 2., 3.]))
        tensor([1.5000, 4.0000])
    """
    _check_x("cumulative_trapezoid", y, x, dim)
    _check_tensor(y, "cumulative_trapezoid", "y", 1)
    d = wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        return E.mul(y, 1.0) if not y.dtype.is_floating_point else y.clone()
    step = _trapezoid_dx(y, x, dx, d, "cumulative_trapezoid")
    hi, lo = S.narrow(y, d, 1, n - 1), S.narrow(y, d, 0, n - 1)
    areas = E.div(E.mul(_plus(hi, lo), step), 2)
    return F.cumsum(areas, d)


@public(method=True, inplace=True)
def renorm(input, p, dim, maxnorm):
    """``input`` with each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to
    norm ``maxnorm``.

    Args:
        input (Tensor): the input tensor.
        p (float): the norm's exponent.
        dim (int): the dim whose slices are renormalised.
        maxnorm (float): the largest norm a slice keeps.

    Example::

        >>> pullback.renorm(pullback.tensor([[3., 4.], [0.3, 0.4]]), 2, 0, 1.)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    _check_tensor(input, "renorm")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_kernel(input.dtype)}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    d = wrap_dim(dim, input.ndim)
    others = tuple(k for k in range(input.ndim) if k != d)
    norms = F.norm(input, p, others, True)
    factor = I.where_(E.gt(norms, maxnorm), E.div(maxnorm, _plus(norms, 1e-7)), 1.0)
    return E.mul(input, factor)


# ------------------------------------------------------------------------- the *_copy variants
def _copy_variant(name, view, method=False):
    """``name``: the view ``view`` returns, copied (a new tensor, recorded in the graph)."""
    def fn(input, *args, out=None, **kwargs):
        _check_tensor(input, name)
        result = view(input, *args, **kwargs)
        if isinstance(result, (tuple, list)):
            result = tuple(r.clone() for r in result)
            if out is None:
                return result
            return [write_out(o, r, name, (input,)) for o, r in zip(out, result)]
        return _written(out, result.clone(), name, (input,))
    fn.__name__ = fn.__qualname__ = name
    args, shape = _COPY_EXAMPLES[name]
    tail = "[0].shape" if name in ("split_with_sizes_copy", "unbind_copy") else ".shape"
    fn.__doc__ = f"""A copy of ``input.{name[:-5]}(...)`` (the same arguments): a new tensor, not a view.

    Example::

        >>> pullback.{name}(pullback.ones(2, 3){args}){tail}
        pullback.Size({shape})
    """
    return public(name, method=method)(fn)


def _expand_view(input, size, *, implicit=False):
    return S.expand(input, tuple(size))


def _view_view(input, *size):
    return S.view(input, *size)


_COPY_EXAMPLES = {"t_copy": ("", [3, 2]), "expand_copy": (", (4, 2, 3)", [4, 2, 3]), "view_copy": (", (3, 2)", [3, 2]),
                  "alias_copy": ("", [2, 3]), "narrow_copy": (", 1, 0, 2", [2, 2]),
                  "permute_copy": (", (1, 0)", [3, 2]), "diagonal_copy": ("", [2]),
                  "split_with_sizes_copy": (", [1, 1]", [1, 3]), "unbind_copy": ("", [3]),
                  "unfold_copy": (", 1, 2, 1", [2, 2, 2]), "squeeze_copy": ("", [2, 3]),
                  "unsqueeze_copy": (", 0", [1, 2, 3]), "transpose_copy": (", 0, 1", [3, 2])}
t_copy = _copy_variant("t_copy", lambda input: S.t(input))
expand_copy = _copy_variant("expand_copy", _expand_view)
view_copy = _copy_variant("view_copy", _view_view)
alias_copy = _copy_variant("alias_copy", lambda input: input)


def _narrow_view(input, dim, start, length):
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if dim >= input.ndim:
        raise RuntimeError("Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an enhancement request "
                           "to PyTorch.)")
    size = input.shape[wrap_dim(dim, input.ndim)]
    s = start + size if isinstance(start, int) and start < 0 else start
    if isinstance(s, int) and not 0 <= s <= size:
        return S.narrow(input, dim, start, length)  # (its error for the start)
    if isinstance(s, int) and isinstance(length, int) and (length < 0 or s > size - length):
        raise RuntimeError(f"start ({s}) + length ({length}) exceeds dimension size ({size}).")
    return S.narrow(input, dim, start, length)


narrow_copy = _copy_variant("narrow_copy", _narrow_view, method=True)  # (torch's Tensor has this one)
permute_copy = _copy_variant("permute_copy", lambda input, dims: S.permute(input, tuple(dims)))
diagonal_copy = _copy_variant("diagonal_copy", lambda input, offset=0, dim1=0, dim2=1:
                              S.diagonal(input, offset, dim1, dim2))
split_with_sizes_copy = _copy_variant("split_with_sizes_copy", lambda input, split_sizes, dim=0:
                                      split_with_sizes(input, split_sizes, dim))
unbind_copy = _copy_variant("unbind_copy", lambda input, dim=0: S.unbind(input, dim))
unfold_copy = _copy_variant("unfold_copy", lambda input, dimension, size, step: S.unfold(input, dimension, size, step))
squeeze_copy = _copy_variant("squeeze_copy", lambda input, dim=None: S.squeeze(input, dim))
unsqueeze_copy = _copy_variant("unsqueeze_copy", lambda input, dim: S.unsqueeze(input, dim))
transpose_copy = _copy_variant("transpose_copy", lambda input, dim0, dim1: S.transpose(input, dim0, dim1))


# ------------------------------------------------------------------------------ scatter_reduce
_REDUCE_UFUNCS = {"sum": B.add, "mean": B.add, "prod": B.multiply, "amax": B.maximum, "amin": B.minimum}


def _identity(reduce, dtype):
    """The value a reduction starts from where ``include_self`` is False."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "b":
        return reduce == "amin"
    if dtype.kind == "f":
        return -B.inf if reduce == "amax" else B.inf
    info = B.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _counts(shape, indices, axis, include_self, dtype):
    """How many values each position of the result averages (at least 1)."""
    count = B.zeros(shape, dtype=B.int64)
    B.add.at(count, I._along_grid(indices, axis), 1)
    if include_self:
        count += 1
    count[count == 0] = 1
    return count.astype(dtype)


def _scatter_reduce_impl(x, indices, src, axis, reduce, include_self, name=None):
    out = x.copy()
    where = I._along_grid(indices, axis)
    values = src[I._slices_to(indices.shape)]
    if not include_self:
        out[where] = _identity(reduce, x.dtype)
    _REDUCE_UFUNCS[reduce].at(out, where, values)
    if reduce == "mean":
        count = _counts(x.shape, indices, axis, include_self, B.int64)
        out = B.floor_divide(out, count) if x.dtype.kind in "iu" else (out / count).astype(x.dtype)
    return out


def _data(t):
    if is_tensor(t):  # (the masks of ties and zeros are read from the values: not per sample under vmap)
        refuse_batched(t, "scatter_reduce's gradient (amax, amin, prod)")
        return t._data
    return t


def _scatter_reduce_vjp(g, x, indices, src, ans, axis, reduce, include_self, needs):
    cut = I._slices_to(indices.shape)
    src_shape = tuple(src.shape)

    def padded(r):  # a cotangent of src's cut as one of all of src
        if tuple(r.shape) == src_shape:
            return r
        return I.index_add_zeros(r, shape=src_shape, index=cut, basic=True)

    def gather(t):
        return I.take_along(t, indices, axis=axis)

    dt = _data(x).dtype
    if reduce == "sum":
        gx, gsrc = g, gather(g)
    elif reduce == "mean":
        n = _counts(tuple(x.shape), indices, axis, include_self, dt)
        scaled = g / n
        gx, gsrc = scaled, gather(scaled)
    elif reduce in ("amax", "amin"):
        xa, aa, sa = _data(x), _data(ans), _data(src)[cut]
        value = I._take_along_impl(aa, indices, axis)
        self_is = (xa == aa).astype(dt)
        src_is = (sa == value).astype(dt)
        n = self_is.copy()
        B.add.at(n, I._along_grid(indices, axis), src_is)
        distributed = g / n
        gx, gsrc = distributed * self_is, gather(distributed) * src_is
    else:  # prod, as torch differentiates it: zeros of the input and single zeros of src handled apart
        xa, sa = _data(x), _data(src)
        masked_self = I.where_(xa == 0, 1.0, x)
        gx = g * scatter_reduce_two(masked_self, indices, src, axis=axis, reduce="prod",
                                    include_self=include_self) / masked_self
        src_zero = sa[cut] == 0
        zeros = B.zeros(xa.shape, dtype=B.int64)
        B.add.at(zeros, I._along_grid(indices, axis), src_zero.astype(B.int64))
        single = src_zero & (I._take_along_impl(zeros, indices, axis) == 1)
        single_full = B.zeros(sa.shape, dtype=bool)
        single_full[cut] = single
        masked_src = I.where_(single_full, 1.0, src)
        masked_result = scatter_reduce_two(x, indices, masked_src, axis=axis, reduce="prod", include_self=include_self)
        src_cut = I.getitem(src, index=cut, basic=True) if tuple(src.shape) != tuple(indices.shape) else src
        gsrc = I.where_(single, gather(g * masked_result), gather(g * ans) / I.where_(src_zero, 1.0, src_cut))
    if not include_self:
        gx = I.scatter_(gx, indices, 0.0, axis=axis, add=False)
    return (gx if needs[0] else None, None, padded(gsrc) if needs[2] else None)


def _batch_scatter_reduce(prim, values, bdims, params, size):
    return I._batch_scatter(prim, values, bdims, params, size)


scatter_reduce_two = primitive("scatter_reduce_two", _scatter_reduce_impl, inputs="x indices src",
                               out_dtype=lambda args, params: (args[0].dtype, args[0].dtype),
                               grad_name=lambda p, s: p.get("name") or "ScatterReduceBackward0",
                               vjp=Joint(_scatter_reduce_vjp),
                               jvp="transpose", batch=_batch_scatter_reduce)


@public(method=True, inplace=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    """Reduces ``src`` into a copy of ``input`` at ``index`` along ``dim``: every value of ``src`` is
    combined, by ``reduce`` (``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``), with the
    others sent to the same position, and with the input's value there unless ``include_self`` is
    False. Gradients as torch's: ties of ``amax``/``amin`` share the gradient evenly.

    Args:
        input (Tensor): the destination.
        dim (int): the dimension to index along.
        index (LongTensor): indices, no larger than ``src``, nor than ``input`` outside ``dim``.
        src (Tensor): the values, of ``input``'s dtype.
        reduce (str): the reduction.
        include_self (bool, optional): whether the input's values take part. Default: True.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.zeros(2).scatter_reduce(0, pullback.tensor([0, 0, 1]), pullback.tensor([1., 3., 2.]), "amax")
        tensor([3., 2.])
    """
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch takes the old names too
    if reduce not in _REDUCE_UFUNCS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    _check_tensor(src, "scatter_reduce", "src", 4)
    d, idx = I._scatter_checked(input, dim, index, src, "scatter_reduce")
    if reduce == "mean" and input.dtype is D.bool:
        raise E.not_implemented("scatter_gather_tensor_cpu_reduce_mean", D.bool)
    if not idx.size:
        return _written(out, input.clone(), "scatter_reduce", (input, index, src))
    x = I._at_least_1d(input)
    s = I._at_least_1d(src)
    result = scatter_reduce_two(x, I._index_like(idx, x.ndim).astype(B.int64), s, axis=d, reduce=reduce,
                                include_self=builtins.bool(include_self))
    return _written(out, I._shaped_like(result, input.shape), "scatter_reduce", (input, index, src))


@public(method=True, inplace=True)
def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None):
    """Reduces the slices of ``source`` into a copy of ``input`` at the entries ``index`` names along
    ``dim``, by ``reduce`` (``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``), with the input's
    values unless ``include_self`` is False: ``scatter_reduce`` with one index per slice.

    Args:
        input (Tensor): the destination.
        dim (int): the dimension to index along.
        index (Tensor): int64 or int32 indices, a vector.
        source (Tensor): the values: ``input``'s shape, with ``len(index)`` along ``dim``.
        reduce (str): the reduction.
        include_self (bool, optional): whether the input's values take part. Default: True.
        out (Tensor, optional): the output tensor.

    Example::

        >>> pullback.ones(3).index_reduce(0, pullback.tensor([0, 0]), pullback.tensor([2., 3.]), "prod")
        tensor([6., 1., 1.])
    """
    _check_tensor(input, "index_reduce")
    _check_tensor(source, "index_reduce", "source", 4)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if not is_tensor(index):
        raise TypeError(f"index_reduce(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    d = wrap_dim(dim, input.ndim)
    if index.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {index.ndim} with type: "
                         f"{_kernel(index.dtype)} and size: {list(index.shape)}")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError("index_reduce_(): Expected dtype int32/int64 for index but got: " + _kernel(index.dtype))
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_reduce_(): self ({_kernel(input.dtype)}) and source ({_kernel(source.dtype)}) must "
                           "have the same scalar type")
    refuse_batched(index, "index_reduce() with a batched index")
    idx = index._data.reshape(-1).astype(B.int64)
    size = input.shape[d] if input.ndim else 1
    if source.ndim and input.ndim and source.ndim == input.ndim and source.shape[d] != idx.size:
        raise RuntimeError(f"index_reduce_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({source.shape[d]}), for dim: {d}")
    expected = _indexed_shape(input, d, idx.size)
    if source.numel() != math.prod(expected) or (source.ndim > 1 and tuple(source.shape) != expected):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}")
    if idx.size and (idx.min() < 0 or idx.max() >= size):  # (no negative indices here)
        raise IndexError("index out of range in self")
    x = input if input.ndim else S._reshape(input, shape=(1,))
    src = source if source.ndim else S._reshape(source, shape=(1,))
    shape = tuple(src.shape)
    view = tuple(shape[k] if k == d else 1 for k in range(len(shape)))
    full = B.ascontiguousarray(B.broadcast_to(idx.reshape(view), shape))
    if not full.size:
        return _written(out, input.clone(), "index_reduce", (input, source))
    result = scatter_reduce_two(x, full, src, axis=d, reduce=reduce, include_self=builtins.bool(include_self),
                                name="IndexReduceBackward0")
    return _written(out, result if input.ndim else S._reshape(result, shape=()), "index_reduce", (input, source))


# -------------------------------------------------------------------------------------- gradient
_GRADIENT_SIGNATURES = (
    " * (Tensor input, *, tuple of ints dim, int edge_order = 1)\n"
    " * (Tensor input, *, Number spacing, tuple of ints dim, int edge_order = 1)\n"
    " * (Tensor input, *, Number spacing = None, int dim = None, int edge_order = 1)\n"
    " * (Tensor input, *, tuple of Scalars spacing, int dim = None, int edge_order = 1)\n"
    " * (Tensor input, *, tuple of Scalars spacing, tuple of ints dim, int edge_order = 1)\n"
    " * (Tensor input, *, tuple of Tensors spacing, int dim = None, int edge_order = 1)\n"
    " * (Tensor input, *, tuple of Tensors spacing, tuple of ints dim, int edge_order = 1)\n")


def _slab(f, d, start, stop):
    n = f.shape[d]
    start, stop = start % n if start < 0 else start, stop % n if stop < 0 else (n if stop is None else stop)
    return S.narrow(f, d, start, stop - start)


def _gradient_along(f, d, h, edge_order):
    """One dim of ``gradient``: central differences inside, one-sided (edge_order 1 or 2) at the ends,
    at uniform spacing ``h`` (a number) or at coordinates ``h`` (a 1-D tensor), as torch computes them."""
    n = f.shape[d]
    head, tail = _slab(f, d, 0, 1), _slab(f, d, n - 1, n)
    if not is_tensor(h):
        center = E.div(E.div(_minus(_slab(f, d, 2, n), _slab(f, d, 0, n - 2)), h), 2)
        if edge_order == 1:
            first = E.div(_minus(_slab(f, d, 1, 2), head), h)
            last = E.div(_minus(tail, _slab(f, d, n - 2, n - 1)), h)
        else:
            first = E.div(_plus(_minus(E.mul(head, -1.5), E.mul(_slab(f, d, 1, 2), -2)),
                                E.mul(_slab(f, d, 2, 3), -0.5)), h)
            last = E.div(_plus(_minus(E.mul(_slab(f, d, n - 3, n - 2), 0.5), E.mul(_slab(f, d, n - 2, n - 1), 2)),
                               E.mul(tail, 1.5)), h)
        return S.cat([first, center, last], d)
    dx = diff(h)
    view = tuple(n - 2 if k == d else 1 for k in range(f.ndim))
    dx1, dx2 = S.narrow(dx, 0, 0, n - 2), S.narrow(dx, 0, 1, n - 2)
    a = S._reshape(E.div(E.neg(dx2), E.mul(dx1, _plus(dx1, dx2))), shape=view)
    b = S._reshape(E.div(_minus(dx2, dx1), E.mul(dx1, dx2)), shape=view)
    c = S._reshape(E.div(dx1, E.mul(dx2, _plus(dx1, dx2))), shape=view)
    center = _plus(_plus(E.mul(a, _slab(f, d, 0, n - 2)), E.mul(b, _slab(f, d, 1, n - 1))), E.mul(c, _slab(f, d, 2, n)))
    d0, d1, dm1, dm2 = dx[0], dx[1] if n > 2 else dx[0], dx[-1], dx[-2] if n > 2 else dx[-1]
    if edge_order == 1:
        first = E.div(_minus(_slab(f, d, 1, 2), head), d0)
        last = E.div(_minus(tail, _slab(f, d, n - 2, n - 1)), dm1)
    else:
        a0 = E.div(E.neg(_plus(E.mul(d0, 2.0), d1)), E.mul(d0, _plus(d0, d1)))
        b0 = E.div(_plus(d0, d1), E.mul(d0, d1))
        c0 = E.div(E.neg(d0), E.mul(d1, _plus(d0, d1)))
        first = _plus(_plus(E.mul(a0, head), E.mul(b0, _slab(f, d, 1, 2))), E.mul(c0, _slab(f, d, 2, 3)))
        a1 = E.div(dm1, E.mul(dm2, _plus(dm1, dm2)))
        b1 = E.div(E.neg(_plus(dm1, dm2)), E.mul(dm1, dm2))
        c1 = E.div(_plus(E.mul(dm1, 2), dm2), E.mul(dm1, _plus(dm1, dm2)))
        last = _plus(_plus(E.mul(a1, _slab(f, d, n - 3, n - 2)), E.mul(b1, _slab(f, d, n - 2, n - 1))), E.mul(c1, tail))
    return S.cat([first, center, last], d)


@public()
def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The gradient of a function sampled in ``input``, along each of ``dim`` (all dims when None):
    second-order central differences inside, first- or second-order (``edge_order``) one-sided
    differences at the ends. ``spacing`` is the sample spacing (a number, one per dim), or the
    coordinates of the samples (one 1-D tensor per dim). Returns one tensor per dim.

    Args:
        input (Tensor): the input tensor.
        spacing (Number, list of Numbers or list of Tensors, optional): the spacing. Default: 1.
        dim (int or list of int, optional): the dims to differentiate along. Default: all.
        edge_order (int, optional): 1 or 2, the order of the differences at the ends. Default: 1.

    Example::

        >>> pullback.gradient(pullback.tensor([1., 4., 9., 16.]))
        (tensor([3., 4., 6., 7.]),)
    """
    _check_tensor(input, "gradient")
    if is_tensor(spacing):
        raise TypeError(f"gradient() received an invalid combination of arguments - got (Tensor, spacing=Tensor), but "
                        f"expected one of:\n{_GRADIENT_SIGNATURES}")
    dims = list(range(input.ndim)) if dim is None else [dim] if isinstance(dim, (int, B.integer)) else list(dim)
    wrapped = [wrap_dim(d, input.ndim) for d in dims]
    if spacing is None:
        spacing = 1
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    for h in spacings:
        if is_tensor(h) and h.ndim != 1:
            raise RuntimeError(f"torch.gradient expected each element of spacing to have one dimension, but got an "
                               f"element with {h.ndim} dimensions!")
    if len(set(wrapped)) != len(wrapped):
        dup = next(d for d in wrapped if wrapped.count(d) > 1)
        raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    for d in wrapped:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    f = input if input.dtype.is_floating_point else input.to(D.get_default_dtype())
    return tuple(_gradient_along(f, d, h, edge_order) for d, h in zip(wrapped, spacings))


# ============================================================ real-dtype forms and aliases
# pullback's dtypes are all real: the complex-number ops are what PyTorch does on real tensors
# (conj, resolve_conj, resolve_neg, conj_physical and real return the input itself, as PyTorch's do).
def _identity_public(name):
    def fn(input):
        _check_tensor(input, name)
        return input
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""``{name}`` of a real tensor: the tensor itself (pullback's dtypes are all real).

    Example::

        >>> x = pullback.tensor([1.0, -2.0]); pullback.{name}(x) is x
        True
    """
    return fn


for _name in ("conj", "resolve_conj", "resolve_neg", "conj_physical"):
    public(_name, method=True)(_identity_public(_name))
real = public("real")(_identity_public("real"))  # (Tensor.real is a property: see _declare_properties)


@public()
def imag(input):
    """The imaginary part: refused for real tensors, as in PyTorch (pullback's dtypes are all real)."""
    _check_tensor(input, "imag")
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


@public(method=True)
def angle(input, *, out=None):
    """The angle (argument) of each element as a complex number: 0 for non-negative reals, pi for
    negative ones, NaN for NaN; integer and bool inputs give the default float dtype. Its gradient is 0.

    Example::

        >>> pullback.angle(pullback.tensor([-1.0, 0.0, 2.0]))
        tensor([3.1416, 0.0000, 0.0000])
    """
    _check_tensor(input, "angle")
    x = input if input.dtype.is_floating_point else input.to(D.get_default_dtype())
    # x itself where it is NaN: the result depends on x (and requires grad with it, as torch's),
    # with a zero gradient wherever x is a number
    half_turns = E.where_(x < 0, _creation.full_like(x, math.pi), _creation.zeros_like(x))  # (in x's dtype)
    return _written(out, E.where_(E.isnan(x), x, half_turns), "angle", (input,))


def _H(self):
    if self.ndim == 0:
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, stacklevel=2)
        return self
    if self.ndim != 2:
        extra = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor.{extra}")
    return S.transpose(self, 0, 1)  # the conjugate transpose of a real matrix is its transpose


def _declare_properties():
    # Properties, as torch's (the matrix properties mT and mH sit in _methods.py)
    from .._tensor import Tensor
    Tensor.H = property(_H, doc="The conjugate transpose of a matrix (for real tensors, its transpose).")
    Tensor.real = property(real, doc="The real part: for real tensors, the tensor itself.")
    Tensor.imag = property(imag, doc="The imaginary part: refused for real tensors, as in PyTorch.")


_declare_properties()


@public("__rdiv__", method=True, export=False)
def _rdiv(self, other):
    """``other / self`` (Python 2's name for ``__rtruediv__``, which PyTorch keeps)."""
    if not is_tensor(self):  # Tensor.__rdiv__(2, t): torch fails looking up the number's reciprocal
        raise AttributeError(f"'{type(self).__name__}' object has no attribute 'reciprocal'")
    return self.__rtruediv__(other)


@public()
def fill(input, value):
    """A tensor of ``input``'s shape and dtype filled with ``value`` (a number or a 0-dim tensor);
    its gradient is 0 for ``input`` and the sum of the cotangent for a tensor ``value``.

    Example::

        >>> pullback.fill(pullback.zeros(2), 3.0)
        tensor([3., 3.])
    """
    _check_tensor(input, "fill")
    if is_tensor(value) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
    if not is_tensor(value):
        value = _creation.tensor(value)
    everywhere = _creation.ones(tuple(input.shape), dtype=D.bool)
    return E.where_(everywhere, value.to(input.dtype), input)  # input's gradient: 0 (where's rule)


@public()
def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A 0-dim tensor holding the number ``s``, of ``dtype`` (default: the default float dtype,
    even for integers and bools).

    Example::

        >>> pullback.scalar_tensor(-5)
        tensor(-5.)
    """
    dtype = D.get_default_dtype() if dtype is None else dtype
    return _creation.tensor(s.item() if is_tensor(s) else s, dtype=dtype, device=device, requires_grad=requires_grad)


@public()
def broadcast_shapes(*shapes):
    """The shape tensors of the given shapes broadcast to (a ``Size``), without making any.

    Args:
        *shapes (int or sequence of ints): the shapes.

    Example::

        >>> pullback.broadcast_shapes((2, 1), (3,))
        pullback.Size([2, 3])
    """
    from .._size import Size
    result = []
    for index, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, (int, B.integer)) else tuple(shape)
        if any(size < 0 for size in shape):
            raise ValueError("Attempting to broadcast a dimension with negative length!")
        if len(shape) > len(result):
            result = [1] * (len(shape) - len(result)) + result
        for k in range(1, len(shape) + 1):
            have, size = result[-k], shape[-k]
            if have == 1:
                result[-k] = size
            elif size not in (1, have):
                raise RuntimeError(f"Attempting to broadcast a dimension of length {size} at {-k}! Mismatching "
                                   f"argument at index {index} had {tuple(shape)}; but expected shape should be "
                                   f"broadcastable to {result}")
    return Size(result)


@public(method=True)
def unsafe_chunk(input, chunks, dim=0):
    """``chunk`` (PyTorch's unsafe form skips its view checks; pullback's chunks are the same)."""
    return S.chunk(input, chunks, dim)


@public(method=True)
def unsafe_split(input, split_size, dim=0):
    """``split`` (PyTorch's unsafe form skips its view checks; pullback's pieces are the same)."""
    return S.split(input, split_size, dim)


@public()
def constant_pad_nd(input, pad, value=0):
    """Pads (or, with negative sizes, crops) the last ``len(pad) // 2`` dims with ``value``: the
    constant mode of ``nn.functional.pad``.

    Example::

        >>> pullback.constant_pad_nd(pullback.ones(1, 2), (1, 0), 5.0)
        tensor([[5., 1., 1.]])
    """
    from ..nn.functional import pad as _pad
    return _pad(input, tuple(pad), "constant", value)


def _empty_sized(size, dtype, requires_grad):
    from .._size import Size
    return _creation.empty(Size(size), dtype=dtype, requires_grad=requires_grad)


@public()
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialized tensor of ``size`` (pullback's are zero-filled and contiguous: ``stride`` is
    checked for its length only, as a layout hint)."""
    if len(stride) != len(size):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of strides ({len(stride)})")
    return _empty_sized(size, dtype, requires_grad)


def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                      pin_memory=False):
    """``empty_strided`` with ``self``'s dtype by default."""
    return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)


public("new_empty_strided", method=True, export=False)(new_empty_strided)


@public()
def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """An uninitialized tensor of ``size`` whose memory is laid out in the dim order
    ``physical_layout`` (pullback's are zero-filled and contiguous; the layout is checked)."""
    size, physical_layout = tuple(size), tuple(physical_layout)
    if len(size) != len(physical_layout):
        raise RuntimeError("Number of dimensions in size does not match the length of the physical_layout; i.e. "
                           f"len(size) = {len(size)} is not equal to len(physical_layout) = {len(physical_layout)}")
    seen = set()
    for i, d in enumerate(physical_layout):
        if not 0 <= d < len(size):  # (no negative dims, as in PyTorch)
            raise RuntimeError(f"Dimension out of range (expected to be between 0 and {len(size) - 1}, but got {d} at "
                               f"index {i}).  NB: negative dims not currently supported; file an issue if you want it.")
        if d in seen:
            raise RuntimeError("Duplicate dim not allowed")
        seen.add(d)
    return _empty_sized(size, dtype, requires_grad)


def _nonzero_static_impl(x, size, fill_value):
    idx = B.stack(B.nonzero(x.reshape(1) if x.ndim == 0 else x), axis=1).astype(B.int64)
    if x.ndim == 0:  # a 0-dim input's rows have no columns
        idx = idx[:, :0]
    out = B.full((size, x.ndim), fill_value, dtype=B.int64)
    n = builtins.min(size, idx.shape[0])
    out[:n] = idx[:n]
    return out


def _batch_nonzero_static(prim, values, bdims, params, size):
    # each sample's rows are its own (the size is fixed, so the results stack)
    x = V.to_front(values[0], bdims[0])
    return S.stack([prim.bind((x[b],), params) for b in range(x.shape[0])]), 0


nonzero_static_ = primitive("nonzero_static", _nonzero_static_impl, out_dtype="keep", batch=_batch_nonzero_static)


@public(method=True)
def nonzero_static(input, *, size, fill_value=-1):
    """The indices of the nonzero elements, as ``nonzero``, in a fixed number ``size`` of rows: cut
    to the first ``size`` or padded with rows of ``fill_value``.

    Example::

        >>> pullback.nonzero_static(pullback.tensor([0, 3, 4]), size=3)
        tensor([[ 1],
                [ 2],
                [-1]])
    """
    _check_tensor(input, "nonzero_static")
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    return nonzero_static_.bind((input,), {"size": int(size), "fill_value": int(fill_value)})


# ============================================================ distances
_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


@public(method=True)
def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast), over all elements: a 0-dim tensor.

    Args:
        input (Tensor): the first tensor.
        other (Tensor): the second tensor.
        p (float): the norm's order (``inf``, ``-inf`` and 0 included). Default: 2.

    Example::

        >>> pullback.dist(pullback.tensor([1.0, 2.0]), pullback.tensor([4.0, 6.0]))
        tensor(5.)
    """
    _check_tensor(input, "dist")
    _check_tensor(other, "dist", "other", 2)
    from .decompositions import vector_norm
    return vector_norm(input - other, p)


@public()
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The ``p``-norm distances between each row of ``x1`` and each row of ``x2``, per batch:
    ``x1`` of shape ``(B..., P, M)`` and ``x2`` of ``(B..., R, M)`` give ``(B..., P, R)`` (the
    batch dims broadcast).

    Args:
        x1 (Tensor): the first rows.
        x2 (Tensor): the second rows.
        p (float): the norm's order, at least 0 (``inf`` included). Default: 2.
        compute_mode (str): for p = 2, whether the distances come from the matrix product
            ``|a|^2 - 2 a.b + |b|^2`` (``'use_mm_for_euclid_dist'``; faster, as accurate as its
            rounding allows), from the differences (``'donot_use_mm_for_euclid_dist'``), or the
            product only when P or R exceeds 25 (the default).

    Example::

        >>> pullback.cdist(pullback.tensor([[0.0, 0.0]]), pullback.tensor([[3.0, 4.0], [1.0, 0.0]]))
        tensor([[5., 1.]])
    """
    _check_tensor(x1, "cdist", "x1")
    _check_tensor(x2, "cdist", "x2", 2)
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    for name, x in (("X1", x1), ("X2", x2)):
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {_kernel(x.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {_kernel(x1.dtype)} but found {_kernel(x2.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    rows, cols = x1.shape[-2], x2.shape[-2]
    batch = broadcast_shape((tuple(x1.shape[:-2]), tuple(x2.shape[:-2])))
    x1 = S.expand(x1, batch + tuple(x1.shape[-2:]))
    x2 = S.expand(x2, batch + tuple(x2.shape[-2:]))
    if x1.shape[-1] == 0:  # no coordinates: every distance is 0
        return _creation.zeros(batch + (rows, cols), dtype=x1.dtype) + E.mul(F.sum(x1) + F.sum(x2), 0.0)
    by_product = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == _CDIST_MODES[0] and (rows > 25 or cols > 25)))
    if by_product:
        # |a - b|^2 = [-2a, |a|^2, 1] . [b, 1, |b|^2]: one product of the augmented rows
        ones1 = _creation.ones(batch + (rows, 1), dtype=x1.dtype)
        ones2 = _creation.ones(batch + (cols, 1), dtype=x2.dtype)
        a = S.cat([x1 * -2, F.sum(x1 * x1, -1, keepdim=True), ones1], -1)
        b = S.cat([x2, ones2, F.sum(x2 * x2, -1, keepdim=True)], -1)
        squares = F.matmul(a, S.transpose(b, -2, -1))
        # rounding can make a square slightly negative, and sqrt's slope is infinite at 0: where the
        # square is not positive the distance is 0 with a zero gradient (no NaN from inf * 0)
        positive = squares > 0
        return E.where_(positive, E.sqrt(E.where_(positive, squares, 1.0)), 0.0)
    from .decompositions import vector_norm
    differences = S.unsqueeze(x1, -2) - S.unsqueeze(x2, -3)
    return vector_norm(differences, p, -1)
