"""Forward-mode AD with dual tensors, as ``torch.autograd.forward_ad``.

Note [Forward-mode tangents]
A Tensor made by ``make_dual`` carries a tangent per open dual level (``_fw_grads``). Every
primitive applied to Tensors with tangents at a level computes its output's tangent there with
its JVP rule, in pullback ops: so tangents compose with reverse mode (a tangent computation is
itself recorded when its inputs require grad) and with deeper dual levels (nested forward mode).
Closing a level drops the tangents made at it. Dual levels are levels of the thread's
transform-level stack (Note [Transform levels] in _levels.py); a level's index, the one these
functions take and return, counts the dual levels only, as in PyTorch.
"""
import collections
import functools
import weakref

from .. import _levels
from .._ops import _registry  # Tensor is defined after this module: reached as _registry._Tensor

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])


def current_level():
    level = _levels.top(_levels.DUAL)
    return level.index if level is not None else None


# Whether a dual level is open (the fast path of bind skips all forward-mode work); a partial,
# not a def: bind asks it for every op while any transform level is open.
active = functools.partial(_levels.active, _levels.DUAL)


def enter_dual_level():
    """Opens a new dual level and returns its index."""
    return _levels.push(_levels.DUAL).index


def exit_dual_level(*, level=None):
    """Closes the innermost dual level: the tangents made at it are dropped."""
    entry = _levels.top(_levels.DUAL)
    if entry is None or (level is not None and entry.index != level):
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    _levels.pop(entry)
    for ref in entry.tensors:
        t = ref()
        if t is not None and t._fw_grads:
            t._fw_grads.pop(entry.index, None)


class dual_level:
    """Context manager for a dual level: tangents set inside live until it closes.

    Example::

        >>> import pullback.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     x = fwAD.make_dual(pullback.tensor([1.0, 2.0]), pullback.ones(2))
        ...     fwAD.unpack_dual(pullback.sin(x)).tangent      # cos(x) . 1
        tensor([ 0.5403, -0.4161])
    """

    def __enter__(self):
        self.level = enter_dual_level()
        return self.level

    def __exit__(self, *exc):
        exit_dual_level(level=self.level)
        return False


def _register(tensor, level):
    for entry in reversed(_levels.stack()):
        if entry.kind is _levels.DUAL and entry.index == level:
            entry.tensors.append(weakref.ref(tensor))
            return


def set_tangent(tensor, level, tangent):
    """Attaches ``tangent`` to ``tensor`` at ``level`` (internal: bind and make_dual)."""
    grads = tensor.__dict__.get("_fw_grads")
    if grads is None:
        grads = tensor.__dict__["_fw_grads"] = {}
    grads[level] = tangent
    _register(tensor, level)


def make_dual(tensor, tangent, *, level=None):
    """A Tensor equal to ``tensor`` (sharing its data and its autograd history) that carries
    ``tangent`` at dual ``level`` (the innermost by default)."""
    if level is None:
        level = current_level()
        if level is None:
            raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                               "enter_dual_level() first.")
    if not isinstance(tangent, _registry._Tensor):
        raise TypeError(f"Expected tangent to be a Tensor, but got {type(tangent).__name__}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size [{', '.join(map(str, tensor.shape))}] "
                           f"while the given forward gradient is of size [{', '.join(map(str, tangent.shape))}].")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point, but got: {tensor.dtype}")
    if _is_batched(tensor):
        # Under vmap the tangent lives on the underlying Tensor, in its frame (batch dims included).
        from ..func._transforms import _peel, _rewrap, _flatten_cotangent
        u, chain = _peel(tensor)
        return _rewrap(make_dual(u, _flatten_cotangent(tangent, tensor), level=level), chain)
    dual = alias(tensor)
    for lvl, t in (tensor.__dict__.get("_fw_grads") or {}).items():  # keep tangents of other levels
        if lvl != level:
            set_tangent(dual, lvl, t)
    set_tangent(dual, level, tangent.to(tensor.dtype) if tangent.dtype is not tensor.dtype else tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of a dual Tensor at ``level`` (tangent None if it has none)."""
    if level is None:
        level = current_level()
    if _is_batched(tensor):
        from ..func._transforms import _peel, _rewrap
        u, chain = _peel(tensor)
        primal, tangent = unpack_dual(u, level=level)
        return UnpackedDualTensor(_rewrap(primal, chain), None if tangent is None else _rewrap(tangent, chain))
    grads = tensor.__dict__.get("_fw_grads") if isinstance(tensor, _registry._Tensor) else None
    tangent = grads.get(level) if grads and level is not None else None
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(strip(tensor, level), tangent)


_is_batched = _levels.batched


def strip(tensor, level):
    """``tensor`` without its tangent at ``level`` (sharing data and autograd history)."""
    grads = tensor.__dict__.get("_fw_grads")
    if not grads or level not in grads:
        return tensor
    result = alias(tensor)
    for lvl, t in grads.items():
        if lvl != level:
            set_tangent(result, lvl, t)
    return result


def alias(tensor):
    """A new Tensor object for the same data and the same place in the graph (no tangents).

    Made directly, not by a view primitive, so that no tangent rule runs; a leaf that requires
    grad shares the original's gradient accumulator, so gradients still reach the original.
    """
    t = _registry._Tensor._make(tensor._data, grad_fn=tensor.grad_fn, output_nr=tensor._output_nr,
                     requires_grad=tensor._requires_grad, version_counter=tensor._version_counter)
    if tensor._requires_grad and tensor.grad_fn is None:
        t._accumulator = weakref.ref(tensor._edge()[0])
    return t


def tangents_at(tensor):
    grads = tensor.__dict__.get("_fw_grads") if isinstance(tensor, _registry._Tensor) else None
    return grads if grads else None


def _is_dual(level):
    return level.kind is _levels.DUAL


def paused():
    """No dual level is active inside (a custom Function's forward and jvp run so: the
    Function's jvp alone gives its outputs' tangents, as in PyTorch)."""
    return _levels.hidden(_is_dual)


def set_output_tangent(tensor, level, tangent):
    """Sets ``tangent`` (in ``tensor``'s logical frame) as the tangent of ``tensor`` at
    ``level``; under vmap it goes on the underlying Tensor, batch dims included."""
    if _is_batched(tensor):
        from ..func._transforms import _peel, _flatten_cotangent
        set_tangent(_peel(tensor)[0], level, _flatten_cotangent(tangent, tensor))
        return
    set_tangent(tensor, level, tangent.to(tensor.dtype) if tangent.dtype is not tensor.dtype else tangent)
