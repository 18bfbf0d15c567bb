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
    # ---------------------------------------------------------------- special (special functions)
    OpInfo("special.erf", lambda m, x: m.special.erf(x), ((4,),)),
    OpInfo("erfc", lambda m, x: m.erfc(x), ((2, 3),)),
    OpInfo("erfinv", lambda m, x: m.erfinv(x), ((4,),), UNIT),
    OpInfo("special.erfcx", lambda m, x: m.special.erfcx(x), ((4,),), (-2.0, 3.0)),
    OpInfo("special.ndtr", lambda m, x: m.special.ndtr(x), ((4,),), (-3.0, 3.0)),
    OpInfo("special.ndtri", lambda m, x: m.special.ndtri(x), ((4,),), (0.05, 0.95)),
    OpInfo("special.log_ndtr", lambda m, x: m.special.log_ndtr(x), ((4,),), (-4.0, 3.0)),
    OpInfo("acosh", lambda m, x: m.acosh(x), ((4,),), (1.2, 3.0)),
    OpInfo("arcsinh", lambda m, x: m.arcsinh(x), ((2, 3),)),
    OpInfo("atanh", lambda m, x: m.atanh(x), ((4,),), UNIT),
    OpInfo("deg2rad", lambda m, x: m.deg2rad(x), ((4,),)),
    OpInfo("rad2deg", lambda m, x: m.rad2deg(x), ((4,),)),
    OpInfo("exp2", lambda m, x: m.exp2(x), ((4,),)),
    OpInfo("sinc", lambda m, x: m.sinc(x), ((5,),), (-2.5, 2.5)),
    OpInfo("sinc_at_zero", lambda m, x: m.sinc(x * 0) * x, ((3,),)),
    OpInfo("logit", lambda m, x: m.logit(x), ((4,),), (0.1, 0.9)),
    OpInfo("logit_eps", lambda m, x: m.logit(x, eps=0.2), ((6,),), (0.05, 0.95), avoid=(0.2, 0.8)),
    OpInfo("sgn", lambda m, x: m.sgn(x) * x, ((4,),), avoid=(0.0,)),
    OpInfo("nan_to_num", lambda m, x: m.nan_to_num(m.log(x)), ((4,),), POS),
    OpInfo("frexp", lambda m, x: m.frexp(x)[0], ((5,),), (-3.0, 3.0), avoid=(-2.0, -1.0, 1.0, 2.0)),
    OpInfo("copysign", lambda m, x, y: m.copysign(x, y), ((2, 3), (3,)), avoid=(0.0,)),
    OpInfo("copysign_scalar", lambda m, x: m.copysign(x, -1.5), ((4,),), avoid=(0.0,)),
    OpInfo("xlogy", lambda m, x, y: m.xlogy(x, y), ((2, 3), (2, 3)), POS),
    OpInfo("xlogy_scalar_self", lambda m, y: m.xlogy(2.0, y), ((4,),), POS),
    OpInfo("special.xlog1py", lambda m, x, y: m.special.xlog1py(x, y), ((3,), (2, 3)), POS),
    OpInfo("hypot", lambda m, x, y: m.hypot(x, y), ((2, 3), (2, 3)), POS),
    OpInfo("logaddexp", lambda m, x, y: m.logaddexp(x, y), ((2, 3), (3,))),
    OpInfo("logaddexp2", lambda m, x, y: m.logaddexp2(x, y), ((4,), (4,))),
    OpInfo("fmax", lambda m, x, y: m.fmax(x, y), ((2, 3), (2, 3)), second_order=False, tags=("kinks",)),
    OpInfo("fmin", lambda m, x, y: m.fmin(x, y), ((2, 3), (3,)), second_order=False, tags=("kinks",)),
    OpInfo("ldexp", lambda m, x: m.ldexp(x, m.tensor([1, 0, 3])), ((3,),)),
    OpInfo("nanmean", lambda m, x: m.nanmean(m.where(x > 1.5, float("nan"), x), 1), ((3, 4),), avoid=(1.5,)),
    OpInfo("nansum", lambda m, x: m.nansum(m.where(x < -1.5, float("nan"), x), 0), ((3, 4),), avoid=(-1.5,)),
    OpInfo("lgamma", lambda m, x: m.lgamma(x), ((2, 3),), (0.2, 4.0)),
    OpInfo("lgamma_negative", lambda m, x: m.lgamma(x), ((4,),), (-0.9, -0.1)),
    OpInfo("special.gammaln", lambda m, x: m.special.gammaln(x), ((4,),), POS),
    OpInfo("digamma", lambda m, x: m.digamma(x), ((4,),), (0.3, 5.0)),
    OpInfo("special.psi", lambda m, x: m.special.psi(x), ((4,),), (-2.8, -2.2)),
    OpInfo("polygamma_4", lambda m, x: m.polygamma(4, x), ((4,),), (0.6, 3.0)),  # (torch's trigamma: 1e-9)
    OpInfo("polygamma_3_method", lambda m, x: x.polygamma(3), ((4,),), (0.5, 3.0)),
    OpInfo("special.polygamma_2", lambda m, x: m.special.polygamma(2, x), ((3,),), (0.5, 3.0)),
    OpInfo("mvlgamma", lambda m, x: m.mvlgamma(x, 3), ((2, 3),), (1.5, 4.0)),
    OpInfo("special.multigammaln", lambda m, x: m.special.multigammaln(x, 2), ((4,),), (1.0, 3.0)),
    OpInfo("i0", lambda m, x: m.i0(x), ((2, 3),), (-3.0, 3.0)),
    OpInfo("special.i0e", lambda m, x: m.special.i0e(x), ((5,),), (-3.0, 3.0), avoid=(0.0,)),
    OpInfo("special.i1", lambda m, x: m.special.i1(x), ((5,),), (-3.0, 3.0)),
    OpInfo("special.i1e", lambda m, x: m.special.i1e(x), ((5,),), (-3.0, 3.0), avoid=(0.0,)),
    OpInfo("special.entr", lambda m, x: m.special.entr(x), ((4,),), POS),
    OpInfo("special.zeta_q", lambda m, q: m.special.zeta(m.tensor([2.0, 3.5, 4.0], dtype=q.dtype), q), ((3,),), POS),
    OpInfo("special.zeta_scalar_x", lambda m, q: m.special.zeta(3.0, q), ((2, 2),), POS),
    OpInfo("special.expit", lambda m, x: m.special.expit(x), ((4,),)),
    OpInfo("special.logsumexp", lambda m, x: m.special.logsumexp(x, 1), ((2, 3),)),
    OpInfo("special.softmax", lambda m, x: m.special.softmax(x, 0), ((3, 2),)),
    OpInfo("special.log_softmax", lambda m, x: m.special.log_softmax(x, 1), ((3, 2),)),
    OpInfo("special.expm1_log1p", lambda m, x: m.special.expm1(x) * m.special.log1p(x), ((4,),), POS),
    # ---------------------------------------------------------------- rnn (recurrent layers)
    OpInfo("nn.LSTM", lambda m, x, *ps: _recurrent(m, "LSTM", {}, x, ps), ((3, 2, 2), (8, 2), (8, 2), (8,), (8,)),
           UNIT),
    OpInfo("nn.LSTM_bidirectional", lambda m, x, *ps: _recurrent(m, "LSTM", {"bidirectional": True, "bias": False},
                                                                 x, ps), ((3, 2, 2), (8, 2), (8, 2), (8, 2), (8, 2)),
           UNIT),
    OpInfo("nn.GRU", lambda m, x, *ps: _recurrent(m, "GRU", {}, x, ps), ((3, 2, 2), (6, 2), (6, 2), (6,), (6,)), UNIT),
    OpInfo("nn.RNN", lambda m, x, *ps: _recurrent(m, "RNN", {}, x, ps), ((3, 2, 2), (2, 2), (2, 2), (2,), (2,)), UNIT),
    # ---------------------------------------------------------------- solve (linear systems)
    # Square inputs are shifted by 3 I (well conditioned); symmetric positive-definite ones are built
    # as a a^T + I, so that a derivative with respect to a is defined whatever triangle is read.
    OpInfo("linalg.solve", lambda m, a, b: m.linalg.solve(a + 3 * m.eye(3, dtype=a.dtype), b), ((3, 3), (3, 2))),
    OpInfo("linalg.solve_vector", lambda m, a, b: m.linalg.solve(a + 3 * m.eye(3, dtype=a.dtype), b), ((3, 3), (3,))),
    OpInfo("linalg.solve_batch_vector", lambda m, a, b: m.linalg.solve(a + 3 * m.eye(3, dtype=a.dtype), b),
           ((2, 3, 3), (2, 3))),
    OpInfo("linalg.solve_broadcast", lambda m, a, b: m.linalg.solve(a + 3 * m.eye(3, dtype=a.dtype), b),
           ((2, 1, 3, 3), (3, 3, 2))),
    OpInfo("linalg.solve_left_false", lambda m, a, b: m.linalg.solve(a + 3 * m.eye(3, dtype=a.dtype), b, left=False),
           ((3, 3), (2, 3))),
    OpInfo("linalg.solve_ex", lambda m, a, b: m.linalg.solve_ex(a + 3 * m.eye(3, dtype=a.dtype), b).result,
           ((2, 3, 3), (2, 3, 1))),
    OpInfo("linalg.inv", lambda m, a: m.linalg.inv(a + 3 * m.eye(3, dtype=a.dtype)), ((3, 3),)),
    OpInfo("linalg.inv_batched", lambda m, a: m.linalg.inv_ex(a + 3 * m.eye(3, dtype=a.dtype)).inverse, ((2, 3, 3),)),
    OpInfo("inverse", lambda m, a: (a + 3 * m.eye(2, dtype=a.dtype)).inverse(), ((2, 2),)),
    OpInfo("linalg.det", lambda m, a: m.linalg.det(a), ((3, 3),)),
    OpInfo("linalg.det_batched", lambda m, a: m.det(a), ((2, 4, 4),)),
    OpInfo("linalg.det_singular", lambda m, a: m.linalg.det(m.cat([a, a[:1] * 2.0])), ((2, 3),), second_order=False),
    OpInfo("linalg.slogdet", lambda m, a: m.linalg.slogdet(a + 3 * m.eye(3, dtype=a.dtype)).logabsdet, ((3, 3),)),
    OpInfo("linalg.slogdet_negative", lambda m, a: m.slogdet(a - 3 * m.eye(3, dtype=a.dtype))[1], ((2, 3, 3),)),
    OpInfo("logdet", lambda m, a: m.logdet(a @ a.mT + m.eye(3, dtype=a.dtype)), ((3, 3),)),
    OpInfo("linalg.solve_triangular_upper", lambda m, a, b: m.linalg.solve_triangular(
        a + 3 * m.eye(3, dtype=a.dtype), b, upper=True), ((3, 3), (3, 2))),
    OpInfo("linalg.solve_triangular_lower_broadcast", lambda m, a, b: m.linalg.solve_triangular(
        a + 3 * m.eye(3, dtype=a.dtype), b, upper=False), ((2, 3, 3), (3, 2))),
    OpInfo("linalg.solve_triangular_right_unit", lambda m, a, b: m.linalg.solve_triangular(
        a, b, upper=False, left=False, unitriangular=True), ((3, 3), (2, 3)), UNIT),
    OpInfo("triangular_solve", lambda m, b, a: m.triangular_solve(b, a + 3 * m.eye(3, dtype=a.dtype)).solution,
           ((3, 2), (3, 3))),
    OpInfo("triangular_solve_transpose", lambda m, b, a: m.cat([o.reshape(-1) for o in m.triangular_solve(
        b, a + 3 * m.eye(3, dtype=a.dtype), upper=False, transpose=True)]), ((2, 3, 1), (2, 3, 3))),
    OpInfo("linalg.cholesky", lambda m, a: m.linalg.cholesky(a @ a.mT + m.eye(3, dtype=a.dtype)), ((3, 3),)),
    OpInfo("linalg.cholesky_upper_batched", lambda m, a: m.linalg.cholesky(
        a @ a.mT + m.eye(3, dtype=a.dtype), upper=True), ((2, 3, 3),)),
    OpInfo("linalg.cholesky_ex", lambda m, a: m.linalg.cholesky_ex(a @ a.mT + m.eye(2, dtype=a.dtype)).L, ((2, 2),)),
    OpInfo("cholesky", lambda m, a: m.cholesky(a @ a.mT + m.eye(3, dtype=a.dtype), True), ((3, 3),)),
    OpInfo("cholesky_solve", lambda m, b, a: m.cholesky_solve(b, m.linalg.cholesky(a @ a.mT + m.eye(3, dtype=a.dtype))),
           ((3, 2), (3, 3))),
    OpInfo("cholesky_solve_factor", lambda m, b, l: m.cholesky_solve(b, m.triu(l) + 3 * m.eye(3, dtype=l.dtype), upper=True),
           ((2, 3, 2), (3, 3))),
    OpInfo("cholesky_inverse", lambda m, l: m.cholesky_inverse(m.tril(l) + 3 * m.eye(3, dtype=l.dtype)), ((3, 3),)),
    OpInfo("cholesky_inverse_upper", lambda m, a: m.cholesky_inverse(
        m.linalg.cholesky(a @ a.mT + m.eye(3, dtype=a.dtype), upper=True), upper=True), ((2, 3, 3),)),
    OpInfo("linalg.matrix_power_5", lambda m, a: m.linalg.matrix_power(a, 5), ((3, 3),), UNIT),
    OpInfo("linalg.matrix_power_3", lambda m, a: m.matrix_power(a, 3), ((3, 3),), UNIT),
    OpInfo("linalg.matrix_power_neg", lambda m, a: m.linalg.matrix_power(a + 3 * m.eye(3, dtype=a.dtype), -2), ((3, 3),)),
    OpInfo("linalg.matrix_power_0", lambda m, a: a.matrix_power(0) + a, ((3, 3),)),
    OpInfo("trace", lambda m, a: m.trace(a) * a, ((3, 4),)),
    OpInfo("linalg.lu_factor", lambda m, a: m.linalg.lu_factor(a).LU, ((3, 3),)),
    OpInfo("linalg.lu_factor_wide", lambda m, a: m.linalg.lu_factor_ex(a).LU, ((2, 3, 5),)),
    OpInfo("linalg.lu_factor_tall", lambda m, a: m.linalg.lu_factor(a)[0], ((5, 3),)),
    OpInfo("linalg.lu", lambda m, a: m.cat([t.reshape(-1) for t in m.linalg.lu(a)[1:]]), ((4, 4),)),
    OpInfo("linalg.lu_wide", lambda m, a: m.cat([t.reshape(-1) for t in m.linalg.lu(a)[1:]]), ((3, 4),)),
    OpInfo("linalg.lu_tall", lambda m, a: m.cat([t.reshape(-1) for t in m.linalg.lu(a)[1:]]), ((2, 4, 2),)),
    OpInfo("lu_unpack", lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a)).U, ((3, 3),)),
    OpInfo("lu", lambda m, a: m.lu(a)[0], ((3, 3),)),
    OpInfo("linalg.lu_solve", lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a + 3 * m.eye(3, dtype=a.dtype)), b),
           ((3, 3), (3, 2))),
    OpInfo("linalg.lu_solve_adjoint_right", lambda m, a, b: m.linalg.lu_solve(
        *m.linalg.lu_factor(a + 3 * m.eye(3, dtype=a.dtype)), b, left=False, adjoint=True), ((2, 3, 3), (2, 3))),
    OpInfo("linalg.lu_solve_adjoint", lambda m, a, b: m.linalg.lu_solve(
        *m.linalg.lu_factor(a + 3 * m.eye(3, dtype=a.dtype)), b, adjoint=True), ((3, 3), (2, 3, 1))),
    OpInfo("lu_solve", lambda m, b, a: m.lu_solve(b, *m.linalg.lu_factor(a + 3 * m.eye(3, dtype=a.dtype))),
           ((3, 2), (3, 3))),
    # ---------------------------------------------------------------- decompositions (decompositions)
    OpInfo("linalg.vector_norm", lambda m, x: m.linalg.vector_norm(x, 3, dim=1), ((3, 4),), avoid=(0.0,)),
    OpInfo("linalg.vector_norm_all", lambda m, x: m.linalg.vector_norm(x), ((2, 3),)),
    OpInfo("linalg.vector_norm_inf", lambda m, x: m.linalg.vector_norm(x, float("inf"), dim=(0, 2), keepdim=True),
           ((2, 3, 2),), second_order=False, tags=("kinks",)),
    OpInfo("linalg.matrix_norm_fro", lambda m, x: m.linalg.matrix_norm(x), ((2, 3, 4),)),
    OpInfo("linalg.matrix_norm_nuc", lambda m, x: m.linalg.matrix_norm(x, "nuc"), ((2, 4, 3),)),
    OpInfo("linalg.matrix_norm_2", lambda m, x: m.linalg.matrix_norm(x, 2, dim=(0, 2)), ((4, 2, 3),)),
    OpInfo("linalg.matrix_norm_-2", lambda m, x: m.linalg.matrix_norm(x, -2, keepdim=True), ((2, 3, 3),)),
    OpInfo("linalg.matrix_norm_1", lambda m, x: m.linalg.matrix_norm(x, 1), ((3, 4),), POS, second_order=False),
    OpInfo("linalg.matrix_norm_-inf", lambda m, x: m.linalg.matrix_norm(x, -float("inf")), ((2, 3, 4),), POS,
           second_order=False),
    OpInfo("linalg.norm", lambda m, x: m.linalg.norm(x), ((2, 3, 2),)),
    OpInfo("linalg.norm_matrix", lambda m, x: m.linalg.norm(x, 2), ((3, 2),)),
    OpInfo("linalg.eigvalsh", lambda m, x: m.linalg.eigvalsh(x + x.mT), ((2, 4, 4),)),
    OpInfo("linalg.eigh", lambda m, x: (lambda r: r[1] * r[1] * r[0])(m.linalg.eigh(x + x.mT)), ((3, 3),)),
    OpInfo("linalg.eigh_U", lambda m, x: (lambda r: (r[1] * r[1]).sum(-2) + r[0])(m.linalg.eigh(x + x.mT, UPLO="U")),
           ((2, 3, 3),)),
    OpInfo("linalg.svdvals", lambda m, x: m.linalg.svdvals(x), ((4, 3),)),
    OpInfo("linalg.svd_tall", lambda m, x: (lambda r: (r[0] * r[1].unsqueeze(-2) ** 2) @ r[2])(
        m.linalg.svd(x, full_matrices=False)), ((4, 3),)),
    OpInfo("linalg.svd_wide", lambda m, x: (lambda r: (r[0] * r[1].unsqueeze(-2) ** 2) @ r[2])(
        m.linalg.svd(x, full_matrices=False)), ((2, 3, 5),)),
    OpInfo("linalg.svd_full", lambda m, x: (lambda r: r[0][..., :, :3] @ r[2][..., :3, :])(m.linalg.svd(x)),
           ((2, 3, 4),)),
    OpInfo("svd", lambda m, x: (lambda r: r.U @ r.V.mT)(m.svd(x)), ((4, 3),)),
    OpInfo("linalg.qr_tall", lambda m, x: (lambda r: r.Q @ (r.R * r.R))(m.linalg.qr(x)), ((4, 3),)),
    OpInfo("linalg.qr_wide", lambda m, x: (lambda r: r.Q @ r.R.sin())(m.linalg.qr(x)), ((2, 3, 5),)),
    OpInfo("linalg.qr_complete", lambda m, x: (lambda r: r.Q @ r.R)(m.linalg.qr(x, mode="complete")), ((3, 4),)),
    OpInfo("qr", lambda m, x: m.qr(x).R, ((3, 3),)),
    OpInfo("linalg.pinv", lambda m, x: m.linalg.pinv(x), ((4, 3),)),
    OpInfo("linalg.pinv_wide", lambda m, x: m.linalg.pinv(x), ((2, 2, 3),)),
    OpInfo("linalg.pinv_hermitian", lambda m, x: m.linalg.pinv(x + x.mT, hermitian=True), ((3, 3),)),
    OpInfo("pinverse", lambda m, x: m.pinverse(x), ((3, 3),)),
    OpInfo("linalg.lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution, ((5, 3), (5, 2))),
    OpInfo("linalg.cond", lambda m, x: m.linalg.cond(x), ((3, 3),)),
    OpInfo("linalg.matrix_exp", lambda m, x: m.linalg.matrix_exp(x), ((3, 3),)),
    OpInfo("matrix_exp", lambda m, x: m.matrix_exp(x), ((2, 3, 3),)),
    OpInfo("linalg.multi_dot", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), ((3,), (3, 4), (4, 2))),
    OpInfo("linalg.vecdot", lambda m, x, y: m.linalg.vecdot(x, y), ((3, 4), (4,))),
    OpInfo("linalg.cross", lambda m, x, y: m.linalg.cross(x, y), ((2, 3), (1, 3))),
    OpInfo("cross", lambda m, x, y: m.cross(x, y, dim=0), ((3, 2), (3, 2))),
    OpInfo("linalg.diagonal", lambda m, x: m.linalg.diagonal(x, offset=1) * x[..., 0, :2], ((2, 3, 3),)),
    OpInfo("linalg.vander", lambda m, x: m.linalg.vander(x, N=4), ((2, 3),)),
    OpInfo("linalg.householder_product", lambda m, a, tau: m.linalg.householder_product(a, tau),
           ((2, 4, 3), (2, 2))),
    OpInfo("linalg.tensorinv", lambda m, x: m.linalg.tensorinv((x + m.eye(6, dtype=x.dtype) * 3).reshape(2, 3, 6)),
           ((6, 6),)),
    OpInfo("linalg.tensorsolve", lambda m, a, b: m.linalg.tensorsolve((a + m.eye(6, dtype=a.dtype) * 3)
                                                                      .reshape(6, 2, 3), b), ((6, 6), (6,))),
    OpInfo("ormqr", lambda m, a, tau, c: m.ormqr(a, tau, c), ((4, 3), (3,), (4, 2))),
    OpInfo("ormqr_right_transposed", lambda m, a, tau, c: m.ormqr(a, tau, c, left=False, transpose=True),
           ((2, 4, 3), (2, 3), (2, 2, 4))),
]


def _recurrent(m, name, kwargs, x, params):
    """A one-layer recurrent module (input and hidden size 2) with the given parameters, in
    either library: its outputs and final states as one flat vector."""
    module = getattr(m.nn, name)(2, 2, **kwargs).to(x.dtype)
    names = [n for n, _ in module.named_parameters()]
    out, state = m.func.functional_call(module, dict(zip(names, params)), (x,))
    states = list(state) if isinstance(state, tuple) else [state]
    return m.cat([out.reshape(-1)] + [s.reshape(-1) for s in states])


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
