"""pullback.func: composable function transforms, as ``torch.func``."""
from .vmap import vmap  # noqa: F401
