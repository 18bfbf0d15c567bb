"""``torch.utils.data._utils.collate``' path: ``collate``, ``default_collate_fn_map`` (the documented way
to extend ``default_collate``), ``default_collate``, ``default_convert``."""
from .._collate import collate, default_collate, default_convert, default_collate_fn_map  # noqa: F401
