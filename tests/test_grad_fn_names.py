"""Backward nodes are named as PyTorch names them, checked against torch on the op table."""
import pytest

import pullback
from op_db import OPS, sample_inputs
from _harness import rng_for

torch = pytest.importorskip("torch")

# Where pullback's graph is honestly different from torch's (a composite, or a fused primitive
# torch decomposes), the name differs; each such op is listed with pullback's name.
KNOWN_DIFFERENT = {
    "clamp_tensor": "WhereBackward0",         # clamp with Tensor bounds is two where()s
    "rdiv_scalar": "DivBackward0",            # torch rewrites 2 / x as 2 * reciprocal(x)
    "matmul_2d_3d": "UnsafeViewBackward0",    # torch ends this case with a clone
    "einsum_mm": "EinsumBackward0", "einsum_batch": "EinsumBackward0",  # one primitive, not bmm + views
    "einsum_trace_free": "EinsumBackward0", "einsum_implicit": "EinsumBackward0",
    "einsum_ellipsis": "EinsumBackward0", "einsum_three": "EinsumBackward0",
    # nn.functional compositions: pullback's last op differs from torch's fused kernel
    "F.normalize": "DivBackward0", "F.layer_norm": "AddBackward0",
    "F.conv1d_groups": "SqueezeBackward1",
    "F.elu": "EluBackward0", "F.linear": "ViewBackward0", "F.kl_div": "DivBackward0",
    "F.binary_cross_entropy": "MeanBackward0",
    "F.pad_circular": "CopySlices",           # torch's name() spells it torch::autograd::CopySlices
    "scatter_0dim": "ViewBackward0",          # a 0-dim scatter runs on one element, viewed back as 0-dim
    # decompositions: composites whose last op differs from torch's kernel
    "linalg.matrix_norm_-2": "UnsqueezeBackward0",   # keepdim: unsqueezed in place (torch permutes back)
    "linalg.lstsq": "MmBackward0",                   # pinv(A) @ B
    "linalg.cond": "DivBackward0",                   # S[..., 0] / S[..., -1]
    "linalg.cross": "StackBackward0", "cross": "StackBackward0",   # the three components, stacked
    "linalg.vander": "StackBackward0",               # the powers, stacked
    "linalg.householder_product": "SliceBackward0",  # the first n columns of the reflectors' product
    "linalg.tensorinv": "ViewBackward0",             # inv (or pinv) of the matrix, reshaped
    "ormqr": "SubBackward0", "ormqr_right_transposed": "SubBackward0",  # the reflectors applied in turn
    # special: composites of other ops where torch has a kernel of its own
    "ldexp": "MulBackward0", "nansum": "SumBackward1",            # x * exp2(y); a sum of where(isnan)
    "mvlgamma": "AddBackward0", "special.multigammaln": "AddBackward0",  # a sum of lgammas, plus a constant
    # quantile's last step: torch squeezes its result in place (squeeze_), pullback reshapes it
    "quantile": "ViewBackward0", "quantile_dim_tensor_q": "ViewBackward0", "quantile_midpoint": "ViewBackward0",
    "nanquantile": "ViewBackward0",
}
# composition family: composites whose last op is not torch's fused kernel
KNOWN_DIFFERENT.update({
    "rot90": "TransposeBackward0", "rot90_k3": "TransposeBackward0",  # a flip and a transpose
    "block_diag": "CatBackward0",             # rows of zero blocks and the inputs, concatenated
    "diagonal_scatter": "WhereBackward0",     # the embedded source where the diagonal is, the input elsewhere
    "repeat_interleave_flat": "IndexSelectBackward0",  # flattened first, then selected
    "var_mean": "VarBackward0", "std_mean": "StdBackward0",  # var (std) and mean, two ops
    "trapezoid": "DivBackward0", "trapezoid_dx": "MulBackward0",  # halved sums of the trapezoids
    "cumulative_trapezoid": "CumsumBackward0",  # a cumsum of the areas (torch's last op is a division)
    "renorm": "MulBackward0", "renorm_p1": "MulBackward0",  # the input times the scale factors
    "gradient": "CatBackward0", "gradient_coordinates": "CatBackward0",  # the ends and the inside, joined
})
# pooling and convolution composites
KNOWN_DIFFERENT.update({
    "F.adaptive_max_pool2d": "ViewBackward0",             # a gather at the maxima, viewed as (OH, OW)
    "F.adaptive_max_pool2d_unbatched": "ViewBackward0",
    "F.conv_transpose1d": "SqueezeBackward1",             # the 2-d one of height 1, squeezed
    "F.conv_transpose2d": "AddBackward0",                 # fold of a matmul, plus the bias
    "F.adaptive_avg_pool3d": "ViewBackward0",             # two 2-d adaptive pools, viewed as (OD, OH, OW)
    "F.avg_pool3d": "ViewBackward0",                      # two 2-d average pools, viewed as (OD, OH, OW)
    "F.conv3d": "AddBackward0",                           # a conv2d over the depth slices, plus the bias
    "F.max_pool3d": "SelectBackward0",                    # 2-d pools of the depth slices, the best depth picked
    "F.max_pool3d_indices": "SelectBackward0",
})


# resampling composites (torch's are fused kernels: UpsampleBilinear2DBackward0, GridSampler2DBackward0, ...)
KNOWN_DIFFERENT.update({
    "F.interpolate_nearest": "IndexBackward0", "F.interpolate_nearest_exact": "IndexBackward0",  # a gather per dim
    "F.interpolate_linear": "AddBackward0", "F.interpolate_bilinear": "AddBackward0",  # gathers, weighted and summed
    "F.interpolate_bicubic": "AddBackward0", "F.interpolate_trilinear": "AddBackward0",
    "F.pixel_shuffle": "ViewBackward0", "F.pixel_unshuffle": "ViewBackward0",  # a reshape, a permute, a reshape
    "F.channel_shuffle": "ViewBackward0",
    "F.grid_sample": "ViewBackward0", "F.grid_sample_border_corners": "ViewBackward0",  # corner gathers, weighted
    "F.grid_sample_bicubic_reflection": "ViewBackward0", "F.grid_sample_nearest": "ViewBackward0",
    "F.grid_sample_3d_reflection": "ViewBackward0",
    "F.affine_grid": "ViewBackward0", "F.affine_grid_3d": "ViewBackward0",  # the base grid times theta, viewed
    "F.max_unpool2d": "ViewBackward0",  # a scatter at the indices, viewed as the output
})


# 3-d transposed convolution, adaptive max pooling, bags and CTC
KNOWN_DIFFERENT.update({
    "F.conv_transpose3d": "AddBackward0",                # 2-d transposed convolutions per depth slice, a depth fold, + bias
    "F.adaptive_max_pool3d": "ViewBackward0",            # a gather at the maxima, viewed as (OD, OH, OW)
    "F.embedding_bag_sum_weighted": "MmBackward0",       # a gather, then a membership matrix product per bag
    "F.embedding_bag_mean_padding": "MmBackward0",
    "F.embedding_bag_max_last_offset": "WhereBackward0",  # a masked maximum per bag
    "F.ctc_loss_zero_infinity": "CtcLossBackward0",      # zero_infinity inside the one CTC primitive (torch: a where after)
})


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_grad_fn_name_matches_torch(op):
    arrays = sample_inputs(op, rng_for(op.name))
    t = (op.torch_fn or op.fn)(torch, *[torch.tensor(a, requires_grad=True) for a in arrays])
    p = op.fn(pullback, *[pullback.tensor(a, requires_grad=True) for a in arrays])
    if isinstance(t, (list, tuple)):
        t, p = t[0], p[0]
    expected = KNOWN_DIFFERENT.get(op.name, t.grad_fn.name())
    assert p.grad_fn.name() == expected
