"""The nn.functional operations PyTorch also exposes at the top level (``torch.conv2d``,
``torch.pixel_shuffle``, ``torch.dropout``...), as ``pullback.<name>``.

Only those whose top-level signature reads as nn.functional's (the same positional parameters)
are the functional itself; the dropouts take ``(input, p, train)`` there, all required. The
top-level forms whose signatures differ from nn.functional's (``torch.embedding`` takes the
weight first, the losses take ``reduction`` as an integer, ``torch.batch_norm`` requires every
argument) are not exported rather than exported wrong.
"""
from . import functional as F

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


EXPORTS = {name: getattr(F, name) for name in SAME_AS_FUNCTIONAL}
EXPORTS.update(dropout=dropout, alpha_dropout=alpha_dropout, feature_alpha_dropout=feature_alpha_dropout)
