"""pullback.utils: ``checkpoint``, ``data`` (datasets and the DataLoader)."""
from . import checkpoint  # noqa: F401
from . import data  # noqa: F401
