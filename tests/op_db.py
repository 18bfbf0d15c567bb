"""The op table that drives the gradient tests.

Each entry: a name, a function ``fn(m, *xs)`` written once against a module ``m`` (pullback or
torch: the same code runs on both), the input shapes, and the domain the inputs are drawn from.
Entries whose torch spelling differs give ``torch_fn``. Integer-valued index arguments are
built inside ``fn`` from plain Python lists, so that both libraries see the same indices.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np


@dataclass
class OpInfo:
    name: str
    fn: Callable
    shapes: tuple
    domain: tuple = (-2.0, 2.0)
    torch_fn: Optional[Callable] = None
    second_order: bool = True
    # Inputs a finite difference must not straddle (kinks of abs, relu, max, ...): keep |x - k| > gap.
    avoid: tuple = ()
    gap: float = 0.05
    # Ops that pass through float32 need a larger step (and looser tolerance) for finite differences.
    fd_eps: float = 1e-6
    rtol: float = 1e-5
    tags: tuple = field(default_factory=tuple)


POS = (0.3, 2.0)
UNIT = (-0.9, 0.9)


def _idx(m, values):
    return m.tensor(values)


OPS = [
    # ---------------------------------------------------------------- unary
    OpInfo("exp", lambda m, x: m.exp(x), ((2, 3),)),
    OpInfo("expm1", lambda m, x: m.expm1(x), ((4,),)),
    OpInfo("log", lambda m, x: m.log(x), ((2, 3),), POS),
    OpInfo("log1p", lambda m, x: m.log1p(x), ((4,),), POS),
    OpInfo("log2", lambda m, x: m.log2(x), ((4,),), POS),
    OpInfo("log10", lambda m, x: m.log10(x), ((4,),), POS),
    OpInfo("sqrt", lambda m, x: m.sqrt(x), ((2, 3),), POS),
    OpInfo("rsqrt", lambda m, x: m.rsqrt(x), ((4,),), POS),
    OpInfo("square", lambda m, x: m.square(x), ((4,),)),
    OpInfo("sin", lambda m, x: m.sin(x), ((2, 3),)),
    OpInfo("cos", lambda m, x: m.cos(x), ((2, 3),)),
    OpInfo("tan", lambda m, x: m.tan(x), ((4,),), UNIT),
    OpInfo("asin", lambda m, x: m.asin(x), ((4,),), UNIT),
    OpInfo("acos", lambda m, x: m.acos(x), ((4,),), UNIT),
    OpInfo("atan", lambda m, x: m.atan(x), ((4,),)),
    OpInfo("sinh", lambda m, x: m.sinh(x), ((4,),)),
    OpInfo("cosh", lambda m, x: m.cosh(x), ((4,),)),
    OpInfo("tanh", lambda m, x: m.tanh(x), ((2, 3),)),
    OpInfo("sigmoid", lambda m, x: m.sigmoid(x), ((2, 3),), (-8.0, 8.0)),
    OpInfo("relu", lambda m, x: m.relu(x), ((3, 4),), avoid=(0.0,)),
    OpInfo("erf", lambda m, x: m.erf(x), ((4,),)),
    OpInfo("softplus", lambda m, x: m.softplus(x, beta=2.0, threshold=3.0), ((6,),), (-3.0, 3.0),
           torch_fn=lambda m, x: m.nn.functional.softplus(x, beta=2.0, threshold=3.0), avoid=(1.5,)),
    OpInfo("abs", lambda m, x: m.abs(x), ((5,),), avoid=(0.0,)),
    OpInfo("neg", lambda m, x: -x, ((2, 2),)),
    OpInfo("reciprocal", lambda m, x: m.reciprocal(x), ((4,),), POS),
    OpInfo("sign", lambda m, x: m.sign(x) * x, ((4,),), avoid=(0.0,)),
    OpInfo("floor", lambda m, x: m.floor(x) + x, ((4,),), avoid=(-2.0, -1.0, 0.0, 1.0, 2.0)),
    OpInfo("ceil", lambda m, x: m.ceil(x) * x, ((4,),), avoid=(-2.0, -1.0, 0.0, 1.0, 2.0)),
    OpInfo("round", lambda m, x: m.round(x) * x, ((4,),), avoid=(-1.5, -0.5, 0.5, 1.5)),
    OpInfo("trunc", lambda m, x: m.trunc(x) * x, ((4,),), avoid=(-2.0, -1.0, 0.0, 1.0, 2.0)),
    OpInfo("clamp", lambda m, x: m.clamp(x, -0.5, 0.7), ((6,),), avoid=(-0.5, 0.7)),
    OpInfo("clamp_min", lambda m, x: m.clamp(x, min=0.1), ((6,),), avoid=(0.1,)),
    OpInfo("clamp_tensor", lambda m, x, lo, hi: m.clamp(x, lo, hi + 3.0), ((6,), (6,), (1,)),
           second_order=False, tags=("kinks",)),
    OpInfo("to_double_float", lambda m, x: (x.float() * 2).double(), ((3,),), fd_eps=1e-2, rtol=1e-4),
    OpInfo("clone", lambda m, x: x.clone() * x, ((3,),)),
    # ------------------------------------------------------- binary (broadcasting)
    OpInfo("add", lambda m, x, y: x + y, ((2, 3), (3,))),
    OpInfo("add_alpha", lambda m, x, y: m.add(x, y, alpha=-2.5), ((2, 3), (2, 1))),
    OpInfo("sub", lambda m, x, y: x - y, ((1, 3), (2, 1))),
    OpInfo("mul", lambda m, x, y: x * y, ((2, 3), (2, 3))),
    OpInfo("mul_bcast", lambda m, x, y: x * y, ((4, 1, 3), (2, 1))),
    OpInfo("div", lambda m, x, y: x / y, ((2, 3), (3,)), POS),
    OpInfo("pow_tensor", lambda m, x, y: x ** y, ((2, 3), (2, 3)), POS),
    OpInfo("atan2", lambda m, x, y: m.atan2(x, y), ((4,), (4,)), POS),
    OpInfo("maximum", lambda m, x, y: m.maximum(x, y), ((5,), (5,)), second_order=False, tags=("kinks",)),
    OpInfo("minimum", lambda m, x, y: m.minimum(x, y), ((2, 3), (3,)), second_order=False, tags=("kinks",)),
    OpInfo("remainder", lambda m, x, y: m.remainder(x, y), ((4,), (4,)), (1.1, 1.9), tags=("kinks",)),
    OpInfo("fmod", lambda m, x, y: m.fmod(x, y), ((4,), (4,)), (1.1, 1.9), tags=("kinks",)),
    OpInfo("where", lambda m, x, y: m.where(x > 0, x * 2, y), ((2, 3), (3,)), avoid=(0.0,)),
    OpInfo("lerp_scalar", lambda m, x, y: m.lerp(x, y, 0.3), ((4,), (4,))),
    OpInfo("lerp_tensor", lambda m, x, y, w: m.lerp(x, y, w), ((4,), (4,), (4,))),
    # ---------------------------------------------------------- with scalars
    OpInfo("mul_scalar", lambda m, x: x * 2.5, ((3,),)),
    OpInfo("rsub_scalar", lambda m, x: 2 - x, ((3,),)),
    OpInfo("rdiv_scalar", lambda m, x: 2 / x, ((3,),), POS),
    OpInfo("pow_scalar", lambda m, x: x ** 3, ((3,),)),
    OpInfo("pow_half", lambda m, x: x ** 0.5, ((3,),), POS),
    OpInfo("rpow_scalar", lambda m, x: 2.0 ** x, ((3,),)),
    OpInfo("div_scalar", lambda m, x: x / 3, ((3,),)),
    # -------------------------------------------------------------- reductions
    OpInfo("sum", lambda m, x: x.sum(), ((2, 3),)),
    OpInfo("sum_dim", lambda m, x: x.sum(1), ((2, 3, 2),)),
    OpInfo("sum_dims_keepdim", lambda m, x: x.sum((0, 2), keepdim=True), ((2, 3, 2),)),
    OpInfo("mean", lambda m, x: x.mean(), ((2, 3),)),
    OpInfo("mean_dim", lambda m, x: x.mean(-1, keepdim=True), ((2, 3),)),
    OpInfo("prod", lambda m, x: x.prod(), ((2, 3),), POS),
    OpInfo("prod_dim", lambda m, x: x.prod(1), ((3, 4),)),
    OpInfo("prod_with_zero", lambda m, x: (x * m.tensor([1.0, 0.0, 1.0, 1.0], dtype=x.dtype)).prod(), ((4,),)),
    OpInfo("max", lambda m, x: x.max(), ((2, 3),), second_order=False),
    OpInfo("max_dim", lambda m, x: x.max(1)[0], ((3, 4),), second_order=False),
    OpInfo("min_dim_keepdim", lambda m, x: x.min(0, keepdim=True).values, ((3, 4),), second_order=False),
    OpInfo("amax", lambda m, x: m.amax(x, (0, 2)), ((2, 3, 2),), second_order=False),
    OpInfo("amin", lambda m, x: m.amin(x, 1), ((2, 3),), second_order=False),
    OpInfo("norm", lambda m, x: x.norm(), ((2, 3),)),
    OpInfo("norm_dim", lambda m, x: x.norm(2, dim=1), ((2, 3),)),
    OpInfo("norm_p1", lambda m, x: x.norm(1), ((5,),), avoid=(0.0,)),
    OpInfo("norm_p3", lambda m, x: x.norm(3, dim=0), ((4, 2),), avoid=(0.0,)),
    OpInfo("norm_inf", lambda m, x: x.norm(float("inf"), dim=1), ((3, 4),), second_order=False),
    OpInfo("var", lambda m, x: x.var(), ((2, 3),)),
    OpInfo("var_dim", lambda m, x: x.var(1, correction=0), ((2, 4),)),
    OpInfo("std", lambda m, x: x.std(0, keepdim=True), ((3, 2),)),
    OpInfo("logsumexp", lambda m, x: m.logsumexp(x, 1), ((2, 3),)),
    OpInfo("cumsum", lambda m, x: x.cumsum(1), ((2, 4),)),
    OpInfo("cumprod", lambda m, x: x.cumprod(0), ((4, 2),)),
    OpInfo("cumprod_zero", lambda m, x: (x * m.tensor([1.0, 0.0, 1.0, 1.0], dtype=x.dtype)).cumprod(0), ((4,),)),
    # ---------------------------------------------------------- linear algebra
    OpInfo("matmul_1d_1d", lambda m, a, b: a @ b, ((3,), (3,))),
    OpInfo("matmul_2d_1d", lambda m, a, b: a @ b, ((2, 3), (3,))),
    OpInfo("matmul_1d_2d", lambda m, a, b: a @ b, ((3,), (3, 4))),
    OpInfo("matmul_2d_2d", lambda m, a, b: a @ b, ((2, 3), (3, 4))),
    OpInfo("matmul_3d_2d", lambda m, a, b: a @ b, ((5, 2, 3), (3, 4))),
    OpInfo("matmul_2d_3d", lambda m, a, b: a @ b, ((2, 3), (5, 3, 4))),
    OpInfo("matmul_bcast", lambda m, a, b: a @ b, ((5, 1, 2, 3), (4, 3, 2))),
    OpInfo("matmul_1d_3d", lambda m, a, b: a @ b, ((3,), (5, 3, 4))),
    OpInfo("matmul_3d_1d", lambda m, a, b: a @ b, ((5, 2, 3), (3,))),
    OpInfo("mm", lambda m, a, b: m.mm(a, b), ((2, 3), (3, 2))),
    OpInfo("bmm", lambda m, a, b: m.bmm(a, b), ((2, 2, 3), (2, 3, 2))),
    OpInfo("mv", lambda m, a, b: m.mv(a, b), ((2, 3), (3,))),
    OpInfo("dot", lambda m, a, b: m.dot(a, b), ((3,), (3,))),
    OpInfo("outer", lambda m, a, b: m.outer(a, b), ((3,), (2,))),
    OpInfo("addmm", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0), ((2, 2), (2, 3), (3, 2))),
    OpInfo("einsum_mm", lambda m, a, b: m.einsum("ij,jk->ik", a, b), ((2, 3), (3, 4))),
    OpInfo("einsum_batch", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), ((2, 2, 3), (2, 3, 2))),
    OpInfo("einsum_trace_free", lambda m, a, b: m.einsum("i,j->", a, b), ((3,), (2,))),
    OpInfo("einsum_implicit", lambda m, a, b: m.einsum("ij,kj", a, b), ((2, 3), (4, 3))),
    OpInfo("einsum_ellipsis", lambda m, a, b: m.einsum("...ij,jk->...ik", a, b), ((5, 2, 3), (3, 2))),
    OpInfo("einsum_three", lambda m, a, b, c: m.einsum("ij,jk,k->i", a, b, c), ((2, 3), (3, 4), (4,))),
    # -------------------------------------------------------------------- shape
    OpInfo("reshape", lambda m, x: x.reshape(3, -1) * x.reshape(3, 2), ((2, 3),)),
    OpInfo("view", lambda m, x: x.view(6), ((2, 3),)),
    OpInfo("flatten", lambda m, x: x.flatten(1), ((2, 3, 2),)),
    OpInfo("unflatten", lambda m, x: x.unflatten(1, (2, 3)), ((2, 6),)),
    OpInfo("squeeze", lambda m, x: x.squeeze(), ((2, 1, 3),)),
    OpInfo("squeeze_dim", lambda m, x: x.squeeze(1), ((2, 1, 3),)),
    OpInfo("unsqueeze", lambda m, x: x.unsqueeze(-1), ((2, 3),)),
    OpInfo("transpose", lambda m, x: x.transpose(0, 2), ((2, 3, 4),)),
    OpInfo("t", lambda m, x: x.t(), ((2, 3),)),
    OpInfo("T", lambda m, x: x.T, ((2, 3),)),
    OpInfo("mT", lambda m, x: x.mT, ((4, 2, 3),)),
    OpInfo("permute", lambda m, x: x.permute(2, 0, 1), ((2, 3, 4),)),
    OpInfo("movedim", lambda m, x: m.movedim(x, 0, -1), ((2, 3, 4),)),
    OpInfo("expand", lambda m, x: x.expand(4, -1, 3), ((2, 1),)),
    OpInfo("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 3)), ((3,),)),
    OpInfo("repeat", lambda m, x: x.repeat(2, 1, 3), ((2, 3),)),
    OpInfo("tile", lambda m, x: x.tile((2,)), ((2, 3),)),
    OpInfo("flip", lambda m, x: m.flip(x, (0, 1)), ((2, 3),)),
    OpInfo("roll", lambda m, x: m.roll(x, 1, 1), ((2, 3),)),
    OpInfo("roll_flat", lambda m, x: m.roll(x, 2), ((2, 3),)),
    OpInfo("split", lambda m, x: [p * (i + 1) for i, p in enumerate(x.split(2, 1))], ((2, 5),)),
    OpInfo("split_sizes", lambda m, x: x.split([1, 3], 0)[1], ((4, 2),)),
    OpInfo("chunk", lambda m, x: x.chunk(3)[0] * 3, ((5,),)),
    OpInfo("unbind", lambda m, x: [p * (i + 1) for i, p in enumerate(x.unbind(1))], ((2, 3),)),
    OpInfo("narrow", lambda m, x: x.narrow(1, 1, 2), ((2, 4),)),
    OpInfo("cat", lambda m, x, y: m.cat([x, y, x], 1), ((2, 3), (2, 1))),
    OpInfo("stack", lambda m, x, y: m.stack([x, y], -1), ((2, 3), (2, 3))),
    OpInfo("tril", lambda m, x: m.tril(x, -1), ((3, 3),)),
    OpInfo("triu", lambda m, x: x.triu(1), ((2, 3, 3),)),
    OpInfo("diag_1d", lambda m, x: m.diag(x, 1), ((3,),)),
    OpInfo("diag_2d", lambda m, x: m.diag(x), ((3, 4),)),
    OpInfo("diagonal", lambda m, x: m.diagonal(x, 0, 1, 2), ((2, 3, 3),)),
    OpInfo("diagonal_offset", lambda m, x: x.diagonal(-1), ((4, 3),)),
    OpInfo("unfold", lambda m, x: x.unfold(1, 3, 2), ((2, 7),)),
    OpInfo("unfold_overlapping", lambda m, x: x.unfold(0, 3, 1) * x.unfold(0, 3, 1), ((5, 2),)),
    OpInfo("sum_to_size", lambda m, x: x.sum_to_size(1, 3), ((2, 3),)),
    OpInfo("flip_varargs", lambda m, x: x.flip(0, 1), ((2, 3),)),
    OpInfo("transpose_0dim", lambda m, x: x.transpose(0, -1) * x.t(), ((),)),
    # ----------------------------------------------------------------- indexing
    OpInfo("getitem_int", lambda m, x: x[1], ((3, 2),)),
    OpInfo("getitem_slice_step", lambda m, x: x[::2, 1:], ((5, 3),)),
    OpInfo("getitem_none_ellipsis", lambda m, x: x[None, ..., 1], ((2, 3),)),
    OpInfo("getitem_list_repeat", lambda m, x: x[[0, 2, 0]], ((3, 2),)),
    OpInfo("getitem_tensor_index", lambda m, x: x[_idx(m, [1, 1]), 1:], ((3, 3),)),
    OpInfo("getitem_mask", lambda m, x: x[x > 0], ((3, 4),), avoid=(0.0,), tags=("data_dependent",)),
    OpInfo("getitem_int_beside_list", lambda m, x: x[0, :, [2, 0, 2]], ((2, 3, 4),)),
    OpInfo("getitem_bool_beside_list", lambda m, x: x[True, [1, 0]], ((2, 3),)),
    OpInfo("getitem_two_arrays", lambda m, x: x[_idx(m, [0, 2, 2]), _idx(m, [1, 0, 0])], ((3, 2),)),
    OpInfo("gather", lambda m, x: m.gather(x, 1, _idx(m, [[0, 0], [2, 1]])), ((2, 3),)),
    OpInfo("take_along_dim", lambda m, x: m.take_along_dim(x, _idx(m, [[1], [0]]), 1), ((2, 3),)),
    OpInfo("scatter", lambda m, x, s: m.scatter(x, 0, _idx(m, [[1, 0, 1]]), s), ((2, 3), (1, 3))),
    OpInfo("scatter_add", lambda m, x, s: m.scatter_add(x, 1, _idx(m, [[0, 0], [1, 2]]), s), ((2, 3), (2, 2))),
    OpInfo("index_select", lambda m, x: m.index_select(x, 0, _idx(m, [2, 0, 2])), ((3, 2),)),
    OpInfo("gather_0dim", lambda m, x: m.gather(x, 0, _idx(m, [0, 0])), ((),)),
    OpInfo("scatter_0dim", lambda m, x, s: m.scatter(x, 0, _idx(m, 0), s), ((), ())),
    OpInfo("masked_fill", lambda m, x: x.masked_fill(x > 0.5, 2.0), ((2, 3),), avoid=(0.5,)),
    OpInfo("masked_select", lambda m, x: m.masked_select(x, x < 0), ((2, 3),), avoid=(0.0,),
           tags=("data_dependent",)),
    # ------------------------------------------------------------ nn.functional
    OpInfo("F.normalize", lambda m, x: m.nn.functional.normalize(x, dim=1), ((3, 4),)),
    OpInfo("F.cosine_similarity", lambda m, x, y: m.nn.functional.cosine_similarity(x, y), ((3, 4), (3, 4))),
    OpInfo("F.pad", lambda m, x: m.nn.functional.pad(x, (1, 2, 0, 1), value=0.5), ((2, 3),)),
    OpInfo("F.layer_norm", lambda m, x, w, b: m.nn.functional.layer_norm(x, (4,), w, b), ((3, 4), (4,), (4,))),
    OpInfo("F.linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b), ((2, 3, 4), (5, 4), (5,))),
    OpInfo("F.conv2d", lambda m, x, w: m.nn.functional.conv2d(x, w, stride=2, padding=1), ((2, 3, 5, 5), (4, 3, 3, 3))),
    OpInfo("F.conv1d_groups", lambda m, x, w: m.nn.functional.conv1d(x, w, groups=2), ((2, 4, 6), (4, 2, 3))),
    OpInfo("F.unfold", lambda m, x: m.nn.functional.unfold(x, 2, stride=1, padding=1), ((1, 2, 3, 3),)),
    OpInfo("F.max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 2), ((1, 2, 4, 4),), second_order=False),
    OpInfo("F.avg_pool2d", lambda m, x: m.nn.functional.avg_pool2d(x, 2, 1, 1), ((1, 2, 4, 4),)),
    OpInfo("F.max_pool2d_ceil_dilation", lambda m, x: m.nn.functional.max_pool2d(x, 3, 2, 1, (1, 2), ceil_mode=True),
           ((2, 2, 7, 6),)),
    OpInfo("F.max_pool2d_unbatched", lambda m, x: m.nn.functional.max_pool2d(x, (2, 3), 1), ((2, 4, 5),)),
    OpInfo("F.avg_pool2d_ceil_no_pad_count", lambda m, x: m.nn.functional.avg_pool2d(
        x, 3, 2, 1, ceil_mode=True, count_include_pad=False), ((2, 2, 6, 7),)),
    OpInfo("F.avg_pool2d_divisor", lambda m, x: m.nn.functional.avg_pool2d(x, (2, 3), (2, 1), 1, divisor_override=5),
           ((1, 2, 5, 5),)),
    OpInfo("F.adaptive_avg_pool2d", lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (3, 5)), ((2, 2, 7, 4),)),
    OpInfo("F.pad_reflect", lambda m, x: m.nn.functional.pad(x, (2, -1, 1, 2), mode="reflect"), ((2, 3, 4, 5),)),
    OpInfo("F.pad_replicate", lambda m, x: m.nn.functional.pad(x, (3, -1), mode="replicate"), ((2, 3, 4),)),
    OpInfo("F.pad_circular", lambda m, x: m.nn.functional.pad(x, (1, 2, -1, 1), mode="circular"), ((1, 2, 4, 5),)),
    OpInfo("F.pad_negative", lambda m, x: m.nn.functional.pad(x, (-1, 2, 1, -2), value=0.5), ((3, 4),)),
    OpInfo("F.gelu", lambda m, x: m.nn.functional.gelu(x), ((5,),)),
    OpInfo("F.leaky_relu", lambda m, x: m.nn.functional.leaky_relu(x, 0.1), ((5,),), avoid=(0.0,)),
    OpInfo("F.elu", lambda m, x: m.nn.functional.elu(x), ((5,),), avoid=(0.0,)),
    OpInfo("F.cross_entropy", lambda m, x: m.nn.functional.cross_entropy(x, _idx(m, [0, 2, 1])), ((3, 4),)),
    OpInfo("F.binary_cross_entropy", lambda m, x: m.nn.functional.binary_cross_entropy(
        m.sigmoid(x), m.tensor([0.2, 0.9, 0.5, 0.0], dtype=x.dtype)), ((4,),)),
    OpInfo("F.kl_div", lambda m, x, y: m.nn.functional.kl_div(m.log_softmax(x, 1), m.softmax(y, 1),
                                                               reduction="batchmean"), ((2, 3), (2, 3))),
    # ------------------------------------------------------------------ softmax
    OpInfo("softmax", lambda m, x: m.softmax(x, 1), ((2, 4),)),
    OpInfo("log_softmax", lambda m, x: m.log_softmax(x, 0), ((3, 2),)),
    # ---------------------------------------------------------------- composition (your family)
    OpInfo("addcmul", lambda m, x, a, b: m.addcmul(x, a, b, value=0.7), ((2, 3), (3,), (2, 1))),
    OpInfo("addcdiv", lambda m, x, a, b: m.addcdiv(x, a, b, value=-1.5), ((2, 3), (2, 3), (3,)), POS),
    OpInfo("addcmul_method", lambda m, x, a, b: x.addcmul(a, b), ((3,), (3,), (3,))),
    OpInfo("addmv", lambda m, x, a, v: m.addmv(x, a, v, beta=0.5, alpha=2.0), ((3,), (3, 4), (4,))),
    OpInfo("addmv_beta0", lambda m, x, a, v: m.addmv(x, a, v, beta=0), ((1,), (3, 2), (2,))),
    OpInfo("addr", lambda m, x, a, b: m.addr(x, a, b, alpha=-0.5), ((3, 2), (3,), (2,))),
    OpInfo("addbmm", lambda m, x, a, b: m.addbmm(x, a, b, beta=1.5), ((2, 4), (3, 2, 5), (3, 5, 4))),
    OpInfo("baddbmm", lambda m, x, a, b: m.baddbmm(x, a, b, alpha=0.3), ((1, 2, 4), (3, 2, 5), (3, 5, 4))),
    OpInfo("vdot", lambda m, x, y: m.vdot(x, y), ((4,), (4,))),
    OpInfo("kron", lambda m, x, y: m.kron(x, y), ((2, 3), (3,))),
    OpInfo("tensordot", lambda m, x, y: m.tensordot(x, y, dims=([0, 2], [1, 0])), ((2, 3, 4), (4, 2, 5))),
    OpInfo("tensordot_int", lambda m, x, y: m.tensordot(x, y, 1), ((2, 3), (3, 2))),
    OpInfo("atleast_3d", lambda m, x, y: m.atleast_3d(x, y), ((3,), (2, 2))),
    OpInfo("atleast_2d_0dim", lambda m, x: m.atleast_2d(x), ((),)),
    OpInfo("column_stack", lambda m, x, y: m.column_stack([x, y]), ((3,), (3, 2))),
    OpInfo("dstack", lambda m, x, y: m.dstack([x, y]), ((2, 3), (2, 3, 2))),
    OpInfo("hsplit", lambda m, x: m.hsplit(x, [1, 3]), ((2, 4),)),
    OpInfo("tensor_split", lambda m, x: m.tensor_split(x, 3, dim=1), ((2, 7),)),
    OpInfo("split_with_sizes", lambda m, x: m.split_with_sizes(x, [1, 2], 1), ((2, 3),)),
    OpInfo("fliplr", lambda m, x: m.fliplr(x), ((2, 3),)),
    OpInfo("rot90", lambda m, x: m.rot90(x, 1, [1, 2]), ((2, 3, 4),)),
    OpInfo("rot90_k3", lambda m, x: m.rot90(x, -1), ((2, 3),)),
    OpInfo("ravel", lambda m, x: x.t().ravel(), ((2, 3),)),
    OpInfo("diag_embed", lambda m, x: m.diag_embed(x, 1, 0, 2), ((2, 3),)),
    OpInfo("diagflat", lambda m, x: m.diagflat(x, -1), ((2, 2),)),
    OpInfo("block_diag", lambda m, x, y, z: m.block_diag(x, y, z), ((2, 3), (2,), ())),
    OpInfo("cartesian_prod", lambda m, x, y: m.cartesian_prod(x, y), ((2,), (3,))),
    OpInfo("combinations", lambda m, x: m.combinations(x, 2, with_replacement=True), ((3,),)),
    OpInfo("meshgrid_xy", lambda m, x, y, z: m.meshgrid(x, y, z, indexing="xy"), ((2,), (3,), ())),
    OpInfo("select_scatter", lambda m, x, s: m.select_scatter(x, s, 1, -1), ((2, 3), (2,))),
    OpInfo("slice_scatter", lambda m, x, s: m.slice_scatter(x, s, 1, 0, None, 2), ((2, 5), (2, 3))),
    OpInfo("diagonal_scatter", lambda m, x, s: m.diagonal_scatter(x, s, 1, 0, 2), ((3, 2, 4), (2, 3))),
    OpInfo("index_add", lambda m, x, s: m.index_add(x, 1, _idx(m, [2, 0, 2]), s, alpha=2.0), ((2, 3), (2, 3))),
    OpInfo("index_copy", lambda m, x, s: m.index_copy(x, 0, _idx(m, [2, 0]), s), ((3, 2), (2, 2))),
    OpInfo("index_fill", lambda m, x: m.index_fill(x, 1, _idx(m, [1, 1]), -1.0), ((2, 3),)),
    OpInfo("index_fill_tensor", lambda m, x, v: m.index_fill(x, 0, _idx(m, [0, 2]), v), ((3, 2), ())),
    OpInfo("index_put", lambda m, x, v: m.index_put(x, (_idx(m, [0, 0]), _idx(m, [1, 2])), v, accumulate=True),
           ((2, 3), (2,))),
    OpInfo("take", lambda m, x: m.take(x, _idx(m, [[0, 5], [-1, 3]])), ((2, 3),)),
    OpInfo("put", lambda m, x, s: m.put(x, _idx(m, [1, 4, 1]), s, accumulate=True), ((2, 3), (3,))),
    OpInfo("masked_scatter", lambda m, x, s: m.masked_scatter(x, m.tensor([True, False, True]), s), ((2, 3), (5,))),
    OpInfo("repeat_interleave", lambda m, x: m.repeat_interleave(x, _idx(m, [2, 0, 1]), dim=1), ((2, 3),)),
    OpInfo("repeat_interleave_flat", lambda m, x: x.repeat_interleave(2), ((2, 2),)),
    OpInfo("var_mean", lambda m, x: m.var_mean(x, 1, keepdim=True), ((3, 4),)),
    OpInfo("std_mean", lambda m, x: m.std_mean(x, correction=0), ((2, 3),)),
    OpInfo("cov", lambda m, x, w: m.cov(x, aweights=w), ((2, 4), (4,)), POS),
    OpInfo("cov_1d", lambda m, x: m.cov(x, correction=0), ((5,),)),
    OpInfo("corrcoef", lambda m, x: m.corrcoef(x), ((3, 5),)),
    OpInfo("diff", lambda m, x, p: m.diff(x, 2, 0, prepend=p), ((3, 2), (1, 2))),
    OpInfo("diff_append", lambda m, x, a: x.diff(dim=-1, append=a), ((2, 3), (2, 2))),
    OpInfo("trapezoid", lambda m, y, x: m.trapezoid(y, x, dim=0), ((4, 2), (4,))),
    OpInfo("trapezoid_dx", lambda m, y: m.trapezoid(y, dx=0.5), ((2, 5),)),
    OpInfo("cumulative_trapezoid", lambda m, y, x: m.cumulative_trapezoid(y, x), ((2, 4), (2, 4))),
    OpInfo("renorm", lambda m, x: m.renorm(x, 2, 0, 0.1), ((3, 4),)),
    OpInfo("renorm_p1", lambda m, x: x.renorm(1, 1, 0.2), ((2, 3),), avoid=(0.0,)),
    OpInfo("scatter_reduce_sum", lambda m, x, s: m.scatter_reduce(x, 1, _idx(m, [[0, 0, 2], [1, 2, 1]]), s, "sum",
                                                                  include_self=False), ((2, 3), (2, 3))),
    OpInfo("scatter_reduce_mean", lambda m, x, s: x.scatter_reduce(0, _idx(m, [[1, 0], [1, 1]]), s, "mean"),
           ((2, 2), (2, 2))),
    OpInfo("scatter_reduce_prod", lambda m, x, s: m.scatter_reduce(x, 0, _idx(m, [[1, 0, 1], [1, 1, 0]]), s, "prod"),
           ((2, 3), (2, 3))),
    OpInfo("scatter_reduce_amax", lambda m, x, s: m.scatter_reduce(x, 0, _idx(m, [0, 2, 0, 1]), s, "amax",
                                                                   include_self=False), ((3,), (4,)),
           second_order=False, tags=("kinks",)),
    OpInfo("index_reduce_prod", lambda m, x, s: m.index_reduce(x, 1, _idx(m, [2, 0, 2]), s, "prod"), ((2, 3), (2, 3))),
    OpInfo("index_reduce_mean", lambda m, x, s: x.index_reduce(0, _idx(m, [1, 1]), s, "mean", include_self=False),
           ((3, 2), (2, 2))),
    OpInfo("index_reduce_amin", lambda m, x, s: m.index_reduce(x, 0, _idx(m, [0, 2, 0]), s, "amin"), ((3,), (3,)),
           second_order=False, tags=("kinks",)),
    OpInfo("gradient", lambda m, x: m.gradient(x, spacing=[0.5, 2.0], edge_order=2), ((3, 4),)),
    OpInfo("gradient_coordinates", lambda m, x: m.gradient(x, spacing=(m.tensor([0.0, 0.5, 2.0, 2.5],
                                                                               dtype=x.dtype),), dim=1), ((2, 4),)),
]


def sample_inputs(op, rng):
    """Float64 arrays for ``op``, drawn from its domain and kept away from its kinks."""
    lo, hi = op.domain
    out = []
    for shape in op.shapes:
        x = rng.uniform(lo, hi, size=shape)
        for k in op.avoid:
            close = np.abs(x - k) < op.gap
            x = np.where(close, k + np.sign(x - k + 1e-12) * op.gap * 2, x)
        out.append(x)
    return out
