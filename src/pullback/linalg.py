"""pullback.linalg: linear algebra, as ``torch.linalg``.

Every function here is declared beside its primitive with ``@public("linalg.<name>")`` (see
``_ops/_api.py``); this module only exports them.
"""
from ._ops._api import NAMESPACES as _NAMESPACES

globals().update(_NAMESPACES["linalg"])
