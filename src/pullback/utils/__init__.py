"""pullback.utils: ``checkpoint``, ``data`` (datasets and the DataLoader), ``safetensors``, ``dlpack``."""
from . import checkpoint  # noqa: F401
from . import data  # noqa: F401
from . import safetensors  # noqa: F401
from . import dlpack  # noqa: F401
