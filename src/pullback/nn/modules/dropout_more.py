"""The channel-wise and alpha dropouts' modules (``Dropout`` itself is in normalization.py):
each applies its ``nn.functional`` function in training and is the identity in eval."""
from .normalization import Dropout
from .. import functional as F


class Dropout1d(Dropout):
    """Zeroes whole channels of ``(N, C, L)`` or ``(C, L)`` inputs with probability ``p`` in
    training (scaling the rest by ``1 / (1 - p)``); identity in eval."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(Dropout):
    """Zeroes whole channels of ``(N, C, H, W)`` or ``(C, H, W)`` inputs with probability ``p`` in
    training (scaling the rest by ``1 / (1 - p)``); identity in eval."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(Dropout):
    """Zeroes whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs with probability
    ``p`` in training (scaling the rest by ``1 / (1 - p)``); identity in eval."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(Dropout):
    """Alpha dropout in training (for SELU networks: keeps the mean and variance); identity in eval."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(Dropout):
    """Alpha dropout of whole channels in training; identity in eval."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
