"""pullback.masked: reductions and normalizations that ignore masked-out elements, as ``torch.masked``
(on strided tensors with a boolean ``mask``; see ``_ops.py``)."""
from ._ops import (sum, prod, cumsum, cumprod, amax, amin, argmax, argmin, mean, median, logsumexp,  # noqa: F401,A004
                   logaddexp, norm, var, std, softmax, log_softmax, softmin, normalize)
