"""Sorting: ``sort`` (values and the indices they came from), ``argsort`` and ``msort``.

``sort`` is one primitive with two outputs. The values are ``x`` permuted along ``axis``, so their
VJP scatters the cotangent back to the positions the indices name, and their JVP gathers the
tangent with the same indices; the indices are piecewise constant, never differentiable.
"""
from .._backend import B
from .. import _dtype as D
from ._registry import primitive, Joint, ALONG_AXIS
from . import _vmap_rules as V
from ._api import public
from ._rules import is_tensor, wrap_dim
from . import indexing as I
from .functions import _return_type
from .._out import write_out

def _sort_impl(x, axis, descending):
    if x.ndim == 0:  # a 0-dim tensor is its own sort, at index 0
        return x.copy(), B.zeros((), dtype=B.int64)
    # Always a stable sort: ties keep their order, as torch's stable=True does (torch's unstable
    # CPU sort orders ties as its algorithm happens to; any order is a correct answer there).
    if descending:
        # Stable descending order: a stable ascending sort of the reversed array, read backwards,
        # puts larger values first and keeps ties in their original order (NaN comes first, as
        # torch's descending sort puts it: NumPy sorts it last).
        n = x.shape[axis]
        indices = (n - 1) - B.flip(B.argsort(B.flip(x, axis), axis=axis, kind="stable"), axis)
    else:
        indices = B.argsort(x, axis=axis, kind="stable")
    indices = indices.astype(B.int64, copy=False)
    return B.take_along_axis(x, indices, axis=axis), indices


def _sort_vjp(g, ans, x_shape, axis):
    # values[..., i, ...] = x[..., indices[i], ...]: the cotangent goes back where each value came from.
    if g[0] is None or not x_shape:  # (a 0-dim input is its own sort: the cotangent as it is)
        return (g[0],)
    return (I.put_along(g[0], ans[1], axis=axis, shape=tuple(x_shape)),)


def _sort_jvp(primals, tangents, params, outputs):
    # The values are x gathered at the indices along the axis: so is their tangent.
    if not outputs[1].ndim:  # a 0-dim input is its own sort
        return (tangents[0], None)
    return (I.take_along(tangents[0], outputs[1]._data, axis=params["axis"]), None)


def _batch_sort(prim, values, bdims, params, size):
    """Each sample sorts along its own axis, the batch dim in front; 0-dim samples, each its own
    sort, sort as rows of one element."""
    x = V.to_front(values[0], bdims[0])
    if x.ndim == 1:
        values, indices = prim.bind((x.reshape(x.shape[0], 1),), dict(params, axis=1))
        return (values.reshape(x.shape), indices.reshape(x.shape)), (0, 0)
    return V.along_axis_rule(prim, (x,), (0,), params, size)


sort_ = primitive("sort", _sort_impl, out_dtype="keep", outputs=2, nondiff_outputs=(1,),
                  grad_name="SortBackward0", vjp=Joint(_sort_vjp), jvp=_sort_jvp, batch=_batch_sort,
                  sparsity=ALONG_AXIS)


def _sorted(input, dim, descending, fn):
    if not is_tensor(input):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return sort_.bind((input,), {"axis": wrap_dim(dim, input.ndim), "descending": bool(descending)})


@public(method=True)
def sort(input, dim=-1, descending=False, *, stable=False, out=None, axis=None):
    """Sorts the elements of ``input`` along ``dim``, in ascending order unless ``descending``.

    Returns a named tuple ``(values, indices)``: the sorted values, and for each the index along
    ``dim`` it came from. Ties keep their order (the sort is stable whatever ``stable`` says, which
    torch's ``stable=True`` guarantees and its default leaves free). NaN sorts above every number.
    Gradients flow to ``input`` through ``values``.

    Args:
        input (Tensor): the input tensor.
        dim (int, optional): the dimension to sort along. Default: -1.
        descending (bool, optional): sort in descending order. Default: False.
        stable (bool, optional): keep the order of equal elements. Default: False.
        out (tuple, optional): the output tuple of (Tensor, LongTensor).
        axis (int, optional): NumPy's name for ``dim``, which torch also takes.

    Example::

        >>> pullback.sort(pullback.tensor([3.0, 1.0, 2.0]))
        pullback.return_types.sort(
        values=tensor([1., 2., 3.]),
        indices=tensor([1, 2, 0]))
    """
    values, indices = _sorted(input, dim if axis is None else axis, descending, "sort")
    if out is None:
        return _return_type("sort")(values, indices)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"expected tuple of 2 elements but got {len(out) if isinstance(out, (tuple, list)) else 1}")
    I._check_out_dtype(out[0], input.dtype)
    I._check_out_dtype(out[1], D.int64)
    values, indices = write_out(out[0], values, "sort", (input,)), write_out(out[1], indices, "sort", (input,))
    return _return_type("sort_out")(values, indices)


@public(method=True)
def argsort(input, dim=-1, descending=False, *, stable=False, out=None, axis=None):
    """The indices that sort ``input`` along ``dim``: ``sort(input, dim, descending).indices``.

    Args:
        input (Tensor): the input tensor.
        dim (int, optional): the dimension to sort along. Default: -1.
        descending (bool, optional): sort in descending order. Default: False.
        stable (bool, optional): keep the order of equal elements (they always keep it here).
        out (Tensor, optional): the output tensor.
        axis (int, optional): NumPy's name for ``dim``, which torch also takes.

    Example::

        >>> pullback.argsort(pullback.tensor([3, 1, 2]))
        tensor([1, 2, 0])
    """
    if out is not None:
        I._check_out_dtype(out, D.int64)
    return write_out(out, _sorted(input, dim if axis is None else axis, descending, "argsort")[1], "argsort",
                     (input,))


@public(method=True)
def msort(input, *, out=None):
    """``input`` sorted along its first dimension, in ascending order: ``sort(input, 0).values``.

    Example::

        >>> pullback.msort(pullback.tensor([[2, 1], [1, 3]]))
        tensor([[1, 1],
                [2, 3]])
    """
    if out is not None:
        I._check_out_dtype(out, D.int64)
    return write_out(out, _sorted(input, 0, False, "msort")[0], "msort", (input,))
