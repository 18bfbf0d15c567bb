"""In-place operations: ``add_``, ``x[i] = v``, ``+=`` and friends, also on views.

Note [In-place on the graph]
An in-place op is its out-of-place op plus a write into the existing storage (so views and
``from_numpy`` arrays see the change). When autograd records it, the op runs on a snapshot of the
old values (so the node saves the old values, not the overwritten storage), and the Tensor then
takes the new node as its ``grad_fn``. Its version counter is bumped, so any node that saved the
old Tensor refuses to run backward, with PyTorch's error. On a view whose base is in the graph,
the base is rewired instead (see ``_apply_inplace_on_view``): every Tensor made by a view primitive
remembers the chain of view ops from its base, so the same chain replays on arrays (to write)
and on Tensors (to differentiate).
"""
from ._backend import B
from . import _dtype as D, _errors
from .autograd import grad_mode
from ._tensor import Tensor
from . import _levels, _tape
from ._ops import _registry, shape as S
from ._ops.elementwise import overwrite
from ._ops.indexing import (normalize_index, index_put, view_scatter, apply_view_chain, getitem,
                            value_shape_error, selection_shape, numpy_index_error, basic_index_error,
                            put_after_failure, in_bounds, broadcasts, strip_shape,
                            empty_dim_error)



def _check_allowed(self):
    if not grad_mode.is_grad_enabled():
        return
    if self._requires_grad and self.grad_fn is None:
        raise RuntimeError(_errors.LEAF_INPLACE)
    base = self._base
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError(_errors.VIEW_OF_LEAF_INPLACE)
    if self.grad_fn is not None and base is not None and self._is_multi_output_view():
        raise RuntimeError(_errors.multi_output_view(self.grad_fn, self._output_nr, "is being modified inplace"))


def _check_result_shape(shape, result_shape):
    """PyTorch's error for an in-place result that does not have the written tensor's shape."""
    if tuple(result_shape) != tuple(shape):
        raise RuntimeError(f"output with shape [{', '.join(map(str, shape))}] doesn't match the "
                           f"broadcast shape [{', '.join(map(str, result_shape))}]")


def _write(self, out):
    _check_result_shape(self._data.shape, out.shape)
    if out.dtype.category > self.dtype.category:
        raise RuntimeError(f"result type {D.SCALAR_TYPE_NAMES[out.dtype.name]} can't be cast to the desired output "
                           f"type {D.SCALAR_TYPE_NAMES[self.dtype.name]}")
    try:
        if _tape.ACTIVE[0] is None:
            self._data[...] = out._data
        else:
            _tape.ACTIVE[0].see(self)
            _tape.call(_tape.assign, self._data, out._data)
    except ValueError:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers "
                           "to a single memory location. Please clone() the tensor before performing the "
                           "operation.") from None


def _copy(t):
    """A copy of ``t``'s array (recorded while a compiled step is being recorded)."""
    if _tape.ACTIVE[0] is None:
        return t._data.copy()
    _tape.ACTIVE[0].see(t)
    return _tape.call(_tape.copy, t._data)


def _batched_inplace(self, out):
    """In-place under vmap: the batched result goes into the underlying Tensor of ``self``."""
    batched = _levels.batched
    if not batched(self) or (batched(out) and out._level > self._level):
        raise RuntimeError("vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a "
                           "Tensor `other` in extra_args that has more elements than `self`. This happened due to "
                           "`other` being vmapped over but `self` not being vmapped over in a vmap. Please try to use "
                           "out-of-place operators instead of inplace arithmetic. If said operator is being called "
                           "inside the PyTorch framework, please file a bug report instead.")
    if batched(out) and out._level == self._level:
        value = out._value if out._bdim == self._bdim else S.movedim(out._value, out._bdim, self._bdim)
    else:  # the result does not depend on the batch: broadcast it
        value = S.unsqueeze(out, self._bdim).expand(*self._value.shape)
    self._value.copy_(value)
    return self


def _any_batched(self, args):
    if not _levels.OPEN[0] or not _levels.active(_levels.VMAP):
        return False
    return _levels.batched(self) or any(_levels.batched(a) for a in args)


def apply_inplace(self, fn, *args, **kwargs):
    """Computes ``fn(self, *args, **kwargs)`` out of place and makes ``self`` hold the result."""
    if _any_batched(self, args):
        return _batched_inplace(self, fn(self, *args, **kwargs))
    _check_allowed(self)
    recording = grad_mode.is_grad_enabled() and (
        self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args))
    if not recording and _levels.OPEN[0] and (self.__dict__.get("_fw_grads") or any(
            isinstance(a, Tensor) and a.__dict__.get("_fw_grads") for a in args)):
        out = fn(_with_tangents(self), *args, **kwargs)
        _write(self, out)
        _copy_tangents(out, self)
        self._bump_version()
        return self
    if not recording:
        out = fn(self, *args, **kwargs)
        _write(self, out)
        self._bump_version()
        return self
    if self._base is not None:
        return _apply_inplace_on_view(self, fn, args, kwargs)
    snapshot = Tensor._make(_copy(self), grad_fn=self.grad_fn, output_nr=self._output_nr,
                            requires_grad=self._requires_grad)
    _copy_tangents(self, snapshot)
    out = fn(snapshot, *args, **kwargs)
    _write(self, out)
    _copy_tangents(out, self)
    self.grad_fn = out.grad_fn
    self._output_nr = out._output_nr
    self._requires_grad = out._requires_grad
    self._bump_version()
    return self


def _copy_tangents(source, target):
    """Forward-mode tangents follow the values through an in-place op (Note [Forward-mode tangents])."""
    if not _levels.OPEN[0]:
        return
    tangents = source.__dict__.get("_fw_grads")
    if tangents:
        from .autograd import forward_ad
        for level, t in tangents.items():
            forward_ad.set_tangent(target, level, t)


def _with_tangents(self):
    snapshot = Tensor._make(_copy(self))
    _copy_tangents(self, snapshot)
    return snapshot


def _apply_inplace_on_view(view, fn, args, kwargs):
    """In-place on a view of ``base``: the new view values are scattered into a copy of the base
    (a ``CopySlices`` node), the base takes that node, and the view becomes a view of the new base.
    """
    base = view._base
    chain = view._view_chain
    snapshot = Tensor._make(_copy(view), grad_fn=view.grad_fn, output_nr=view._output_nr,
                            requires_grad=view._requires_grad)
    new_values = fn(snapshot, *args, **kwargs)
    base_snapshot = Tensor._make(_copy(base), grad_fn=base.grad_fn, output_nr=base._output_nr,
                                 requires_grad=base._requires_grad)
    try:
        new_base = view_scatter(base_snapshot, new_values, chain=chain)
    except ValueError:  # NumPy's broadcast error: torch's for a result that does not fit the view
        _check_result_shape(view._data.shape, new_values.shape)
        raise
    _write(view, new_values)
    base.grad_fn = new_base.grad_fn
    base._output_nr = 0
    base._requires_grad = True
    regenerated = apply_view_chain(new_base, chain)
    view.grad_fn = regenerated.grad_fn
    view._output_nr = regenerated._output_nr
    view._requires_grad = True
    view._bump_version()
    view._view_version = view._version_counter[0]
    return view


def setitem(self, index, value):
    """``self[index] = value``: recorded as an index_put when gradients are involved. An index
    PyTorch reads in two steps writes through the view its first step makes
    (see Note [Indexing as PyTorch reads it])."""
    first, basic, second = normalize_index(index, self._data.shape)
    try:
        if ((second is not None or not basic) and isinstance(value, Tensor) and value.dtype != self.dtype
                and not _is_single_mask(index)):  # a lone mask writes as masked_fill, which casts
            raise _other_dtype_error(self, first, second, value)
        if second is None:
            _setitem_normalized(self, first, basic, value)
        elif _any_batched(self, (value,)):
            _setitem_normalized(getitem(self, index=first, basic=True), second, False, value)
        elif _records(self, value):
            apply_inplace(self, lambda s, v: _put_in_two_stages(s, v, first, second), value)
        else:
            _check_allowed(self)
            _write_index(_getitem(self, first), second, False, value)
            self._bump_version()
    except RuntimeError as e:
        if str(e).startswith("expand(") and isinstance(value, Tensor) and second is None and basic:
            # the value had been cast to this tensor's dtype: torch names the value's own
            raise value_shape_error(value.shape, self._data[first].shape, True, value._data.dtype) from None
        if str(e) not in (_errors.LEAF_INPLACE, _errors.VIEW_OF_LEAF_INPLACE):
            raise
        raise _setitem_leaf_error(self, first, basic, second, value, e) from None


def _other_dtype_error(self, first, second, value):
    """torch's error for an index_put of a value of another dtype: in torch's order, the index's
    dims, the leaf, an index into an empty dim, the value's shape, then the dtype."""
    error = _too_many_indices(self._data.shape, first)
    if error is not None:
        return error
    _check_allowed(self)
    shape, advanced = (self._data[first].shape, second) if second is not None else (self._data.shape, first)
    error = empty_dim_error(shape, advanced)
    if error is not None:
        return error
    target = selection_shape(shape, in_bounds(advanced))
    if not broadcasts(value.shape, target):
        return value_shape_error(strip_shape(value.shape), target, False)
    return RuntimeError(f"Index put requires the source and destination dtypes match, got "
                        f"{D.SCALAR_TYPE_NAMES[self.dtype.name]} for the destination and "
                        f"{D.SCALAR_TYPE_NAMES[value.dtype.name]} for the source.")


def _makes_view(shape, first):
    """Whether torch's basic indexing step makes a view for ``first`` (an int, None, a bool or a
    slice that does not cover its dim), rather than handing on the tensor itself."""
    items = first if isinstance(first, tuple) else (first,)
    used = sum(0 if i is None or i is Ellipsis else i.ndim if isinstance(i, B.ndarray) and i.dtype == bool else 1
               for i in items)
    dim = 0
    for i in items:
        if i is Ellipsis:
            dim += len(shape) - used
        elif i is None or isinstance(i, (int, B.integer)):
            return True
        elif isinstance(i, slice):
            if slice(*i.indices(shape[dim])) != slice(0, shape[dim], 1):
                return True
            dim += 1
        else:
            dim += i.ndim if i.dtype == bool else 1
    return False


def _too_many_indices(shape, first):
    """torch's first check of an index: no more dims indexed than there are (None when it passes)."""
    used = sum(0 if i is None or i is Ellipsis else i.ndim if isinstance(i, B.ndarray) and i.dtype == bool else 1
               for i in first)
    return IndexError(f"too many indices for tensor of dimension {len(shape)}") if used > len(shape) else None


def _setitem_leaf_error(self, first, basic, second, value, error):
    """torch's error for ``self[index] = value`` refused as a write into a leaf: torch applies the
    basic index first, and for a plain write (no index arrays) checks the value's shape too before
    it looks at the leaf; it names 'a view of a leaf' where the index made a view."""
    shape = self._data.shape
    if not basic and _too_many_indices(shape, first) is not None:
        return _too_many_indices(shape, first)
    if second is None and basic:
        try:
            target = B.broadcast_to(B.zeros((), dtype=bool), shape)[first].shape
        except IndexError as e:
            return basic_index_error(first, shape) or numpy_index_error(e, shape, first)
        value_shape = value.shape if isinstance(value, Tensor) else ()
        if not broadcasts(value_shape, target):
            return value_shape_error(value_shape, target, True, value._data.dtype if isinstance(value, Tensor)
                                     else B.float32)
    if str(error) == _errors.LEAF_INPLACE and _makes_view(shape, first):
        return RuntimeError(_errors.VIEW_OF_LEAF_INPLACE)
    return error


def _is_single_mask(index):
    return isinstance(index, Tensor) and index.dtype.name == "bool"


def _put_in_two_stages(x, value, first, second):
    """``x`` with ``x[first][second] = value``, differentiably: the advanced write on the basic
    view, scattered back into ``x``."""
    selected = index_put(getitem(x, index=first, basic=True), value, index=second, accumulate=False)
    return view_scatter(x, selected, chain=((getitem, {"index": first, "basic": True}, None),))


def _records(self, value):
    return grad_mode.is_grad_enabled() and (
        self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))


def _setitem_normalized(self, idx, basic, value):
    if _any_batched(self, (value,)):
        _batched_inplace(self, index_put(self, value, index=idx, accumulate=False))
        return
    if not _records(self, value) or (basic and not self._requires_grad and not self.dtype.is_floating_point
                                     and not self.dtype.is_complex):
        # A copy into an integer or bool view is not differentiable (torch's copy_ into it).
        _check_allowed(self)
        if _tape.ACTIVE[0] is not None:
            _tape.ACTIVE[0].see(self)
        _write_index(self._data, idx, basic, value)
        self._bump_version()
        return
    apply_inplace(self, lambda s, v: index_put(s, v, index=idx, accumulate=False), value)


def _getitem(t, index):
    if _tape.ACTIVE[0] is None:
        return t._data[index]
    _tape.ACTIVE[0].see(t)
    return _tape.call(_tape.getitem, t._data, index)


def _write_index(data, idx, basic, value):
    """``data[idx] = value`` on arrays, with PyTorch's errors."""
    if isinstance(value, Tensor):
        if _tape.ACTIVE[0] is not None:
            _tape.ACTIVE[0].see(value)
        v = value._data
    else:
        v = value
    try:
        if _tape.ACTIVE[0] is None:
            data[idx] = v
        else:
            _tape.call(_tape.setitem, data, idx, v)
    except (IndexError, ValueError, TypeError) as e:
        if "read-only" in str(e):
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                               "refers to a single memory location. Please clone() the tensor before "
                               "performing the operation.") from None
        _tape.call(_put_after_failure, data, idx, v, e)  # (the write, recorded as one)


def _put_after_failure(data, idx, v, e):
    put_after_failure(data, idx, v, e)


_put_after_failure._writes = 0


def zero_(self):
    """Fills this Tensor with zeros, in place."""
    return fill_(self, 0)


def fill_(self, value):
    """Fills this Tensor with ``value`` (a number or 0-dim Tensor), in place."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
    return apply_inplace(self, lambda s, v: overwrite(s, v), value)


def copy_(self, src, non_blocking=False):
    """Copies the values of ``src`` (broadcast to this shape, cast to this dtype), in place."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    try:
        _check_result_shape(self.shape, _registry.broadcast_shape((self.shape, src.shape)))
    except RuntimeError:
        _check_allowed(self)  # torch refuses a write into a leaf before it looks at the shapes
        raise
    if src._requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
        src = src.detach()  # a copy into an integer or bool tensor is not differentiable
    return apply_inplace(self, lambda s, v: overwrite(s, v), src.to(self.dtype))
