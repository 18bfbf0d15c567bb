"""pullback.signal: signal processing, as ``torch.signal`` (its ``windows`` module)."""
from . import windows  # noqa: F401
