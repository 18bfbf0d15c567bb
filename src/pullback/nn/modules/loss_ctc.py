"""CTCLoss: the module of ``nn.functional.ctc_loss``."""
from .loss import _Loss
from .. import functional as F


class CTCLoss(_Loss):
    """The Connectionist Temporal Classification loss of ``(T, N, C)`` log-probabilities against
    targets; ``forward(log_probs, targets, input_lengths, target_lengths)``. See
    :func:`pullback.nn.functional.ctc_loss`.

    Args:
        blank (int): the blank label. Default: 0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        zero_infinity (bool): zero infinite losses and their gradients.
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)
