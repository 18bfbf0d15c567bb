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
    # ---------------------------------------------------------------- selection (your family)
    OpInfo("topk", lambda m, x: m.topk(x, 2, dim=1).values, ((3, 4),)),
    OpInfo("topk_smallest_dim0", lambda m, x: x.topk(3, 0, largest=False)[0], ((4, 2),)),
    OpInfo("topk_0dim", lambda m, x: m.topk(x, 1).values * x, ((),)),
    OpInfo("kthvalue", lambda m, x: m.kthvalue(x, 2, 0).values, ((3, 4),)),
    OpInfo("kthvalue_keepdim", lambda m, x: x.kthvalue(3, keepdim=True)[0], ((2, 5),)),
    OpInfo("median", lambda m, x: x.median(), ((2, 3),)),
    OpInfo("median_dim", lambda m, x: m.median(x, 1).values, ((3, 4),)),
    OpInfo("nanmedian", lambda m, x: m.nanmedian(x), ((5,),)),
    OpInfo("nanmedian_dim_keepdim", lambda m, x: x.nanmedian(0, keepdim=True).values, ((3, 2),)),
    OpInfo("mode", lambda m, x: m.mode(x, 0).values, ((3, 4),)),
    OpInfo("aminmax", lambda m, x: m.aminmax(x, dim=1).min * 2 + m.aminmax(x).max, ((3, 4),), second_order=False),
    OpInfo("cummax", lambda m, x: m.cummax(x, 1).values, ((3, 4),)),
    OpInfo("cummin", lambda m, x: x.cummin(0).values, ((4, 3),)),
    OpInfo("logcumsumexp", lambda m, x: m.logcumsumexp(x, 1), ((3, 4),)),
    OpInfo("logcumsumexp_dim0", lambda m, x: x.logcumsumexp(0), ((5,),), (-30.0, 30.0)),
    OpInfo("quantile", lambda m, x: m.quantile(x, 0.3), ((3, 4),)),
    OpInfo("quantile_dim_tensor_q", lambda m, x: m.quantile(x, m.tensor([0.2, 0.75], dtype=x.dtype), dim=1,
                                                               keepdim=True), ((3, 4),)),
    OpInfo("quantile_midpoint", lambda m, x: x.quantile(0.5, 0, interpolation="midpoint"), ((4, 3),)),
    OpInfo("quantile_lower_nearest", lambda m, x: m.quantile(x, 0.4, -1, interpolation="lower")
           + m.quantile(x, 0.6, -1, interpolation="nearest"), ((2, 6),)),
    OpInfo("nanquantile", lambda m, x: m.nanquantile(x, 0.4, dim=1), ((3, 5),)),
    OpInfo("searchsorted", lambda m, s, v: m.searchsorted(s.sort().values, v) * v, ((5,), (3, 4))),
    OpInfo("searchsorted_nd_right", lambda m, s, v: m.searchsorted(s.sort(-1).values, v, right=True) * v,
           ((2, 5), (2, 3))),
    OpInfo("bucketize", lambda m, x, b: m.bucketize(x, b.sort().values, out_int32=True) * x, ((2, 3), (4,))),
    OpInfo("histc", lambda m, x: m.histc(x, bins=4, min=-2, max=2) * x.sum(), ((6,),)),
    # (torch's histogram output requires grad and its backward raises: the op is given detached inputs)
    OpInfo("histogram", lambda m, x: m.histogram(x.detach(), 3, range=(-2.0, 2.0), density=True).hist * x[0, 1:],
           ((2, 4),)),
    OpInfo("histogram_edges", lambda m, x: m.histogram(x.detach(), m.tensor([-2.0, -0.5, 1.0, 2.0],
                                                                           dtype=x.dtype))[0] * x[1], ((5,),)),
    OpInfo("unique", lambda m, x: m.unique((x * 2).floor(), return_counts=True)[1] * x.sum(), ((3, 4),),
           avoid=(-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5), tags=("data_dependent",)),
    OpInfo("unique_consecutive", lambda m, x: m.unique_consecutive(x.floor(), return_inverse=True)[1] * x, ((6,),),
           avoid=(-1.0, 0.0, 1.0), tags=("data_dependent",)),
    OpInfo("bincount", lambda m, x: m.bincount((x * 2).long(), minlength=2) * x.sum(), ((5,),), POS,
           avoid=(0.5, 1.0, 1.5), tags=("data_dependent",)),
    OpInfo("argwhere", lambda m, x: m.argwhere(x > 0) * x.sum(), ((2, 3),), avoid=(0.0,), tags=("data_dependent",)),
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
