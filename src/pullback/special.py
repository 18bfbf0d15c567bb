"""pullback.special: special functions, as ``torch.special``.

Every function here is declared beside its primitive with ``@public("special.<name>")`` (see
``_ops/_api.py``); this module only exports them.
"""
from ._ops._api import NAMESPACES as _NAMESPACES

globals().update(_NAMESPACES["special"])
