"""The nn.functional operations PyTorch also exposes at the top level (``torch.conv2d``,
``torch.pixel_shuffle``, ``torch.dropout``...), as ``pullback.<name>``.

Only those whose top-level signature reads as nn.functional's (the same positional parameters)
are the functional itself. The others keep torch's top-level signatures and call the functional:
the dropouts take ``(input, p, train)``, all required; ``torch.embedding`` takes the weight first
(a negative ``padding_idx`` is none); ``torch.batch_norm`` and ``torch.instance_norm`` require every
argument, the affine parameters before the running statistics; the losses take ``reduction`` as
ATen's integer (0 none, 1 mean, 2 sum; any other is none, as there); ``torch.adaptive_max_pool1d``
always returns the indices too.
"""
import warnings

from . import functional as F
from . import functional_misc, functional_pooling

SAME_AS_FUNCTIONAL = (
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "avg_pool1d", "adaptive_avg_pool1d", "max_pool1d", "max_pool2d", "max_pool3d",
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
    "celu", "celu_", "selu", "selu_", "relu_", "hardshrink", "threshold", "threshold_", "prelu",
    "cosine_similarity", "pairwise_distance", "pdist", "bilinear", "rms_norm")


def dropout(input, p, train):
    """dropout(input, p, train) -> Tensor: ``nn.functional.dropout(input, p, train)``."""
    return F.dropout(input, p, train)


def alpha_dropout(input, p, train):
    """alpha_dropout(input, p, train) -> Tensor: ``nn.functional.alpha_dropout(input, p, train)``."""
    return F.alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p, train):
    """feature_alpha_dropout(input, p, train) -> Tensor: ``nn.functional.feature_alpha_dropout(input, p, train)``."""
    return F.feature_alpha_dropout(input, p, train)


_REDUCTIONS = {1: "mean", 2: "sum"}


def _reduction(who, value, position):
    """ATen's integer reduction as nn.functional's name."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{who}(): argument 'reduction' (position {position}) must be int, not {type(value).__name__}")
    return _REDUCTIONS.get(value, "none")


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False) -> Tensor"""
    return F.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True) -> Tensor"""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True) -> Tensor"""
    return F.group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    """batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled) -> Tensor"""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    """instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
    cudnn_enabled) -> Tensor"""
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def kl_div(input, target, reduction=1, *, log_target=False):
    """kl_div(input, target, reduction=1, *, log_target=False) -> Tensor (reduction 1: the mean of every element)"""
    reduction = _reduction("kl_div", reduction, 3)
    with warnings.catch_warnings():  # (the functional's warning about 'mean' is not the top level's)
        warnings.simplefilter("ignore", UserWarning)
        return F.kl_div(input, target, reduction=reduction, log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    """binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1) -> Tensor"""
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(
        "binary_cross_entropy_with_logits", reduction, 5), pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    """cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1) -> Tensor"""
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction("cosine_embedding_loss", reduction, 5))


def hinge_embedding_loss(input, target, margin=1.0, reduction=1):
    """hinge_embedding_loss(input, target, margin=1.0, reduction=1) -> Tensor"""
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction("hinge_embedding_loss", reduction, 4))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    """margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1) -> Tensor"""
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction("margin_ranking_loss", reduction, 5))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """poisson_nll_loss(input, target, log_input, full, eps, reduction) -> Tensor"""
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction("poisson_nll_loss", reduction, 6))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, reduction=1):
    """triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, reduction=1) -> Tensor"""
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction("triplet_margin_loss", reduction, 8))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False):
    """ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False) -> Tensor"""
    return functional_misc.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                                    _reduction("ctc_loss", reduction, 6), zero_infinity)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """rrelu(input, lower=1./8, upper=1./3, training=False, generator=None) -> Tensor"""
    if generator is not None:
        raise NotImplementedError("pullback.rrelu: the generator argument is not supported (the global generator is used)")
    return F.rrelu(input, lower, upper, training)


def adaptive_max_pool1d(input, output_size):
    """adaptive_max_pool1d(input, output_size) -> (Tensor, Tensor): the pooled values and their indices"""
    return functional_pooling.adaptive_max_pool1d(input, output_size, return_indices=True)


DIFFERENT_SIGNATURE = (
    dropout, alpha_dropout, feature_alpha_dropout, embedding, layer_norm, group_norm, batch_norm, instance_norm,
    kl_div, binary_cross_entropy_with_logits, cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss,
    poisson_nll_loss, triplet_margin_loss, ctc_loss, rrelu, adaptive_max_pool1d)
EXPORTS = {name: getattr(F, name) for name in SAME_AS_FUNCTIONAL}
EXPORTS.update({fn.__name__: fn for fn in DIFFERENT_SIGNATURE})
