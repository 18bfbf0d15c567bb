"""``torch.utils.data._utils``' path, where PyTorch's docs import ``collate`` from."""
from . import collate  # noqa: F401
