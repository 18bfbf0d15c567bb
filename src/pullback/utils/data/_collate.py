"""``default_collate`` and ``default_convert``: how samples become batches (as torch.utils.data's)."""
import collections.abc
import copy
import re

from ..._backend import B
from ..._tensor import Tensor

_STR_OR_OBJECT = re.compile(r"[SaUO]")
_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _tensor_fn(batch, *, collate_fn_map=None):
    from ... import stack
    return stack(list(batch), 0)


def _numpy_array_fn(batch, *, collate_fn_map=None):
    from ... import as_tensor
    elem = batch[0]
    if _STR_OR_OBJECT.search(elem.dtype.str) is not None:
        raise TypeError(_ERR.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _numpy_scalar_fn(batch, *, collate_fn_map=None):
    from ... import as_tensor
    return as_tensor(B.array(list(batch)))


def _float_fn(batch, *, collate_fn_map=None):
    from ... import tensor, float64
    return tensor(list(batch), dtype=float64)


def _int_fn(batch, *, collate_fn_map=None):
    from ... import tensor
    return tensor(list(batch))


def _str_fn(batch, *, collate_fn_map=None):
    return batch


# The collate function of each type: the exact type first, then each key by isinstance, in order.
default_collate_fn_map = {Tensor: _tensor_fn, B.ndarray: _numpy_array_fn,
                          (B.bool_, B.number, B.object_): _numpy_scalar_fn,
                          float: _float_fn, int: _int_fn, str: _str_fn, bytes: _str_fn}


def collate(batch, *, collate_fn_map=None):
    """Collates a batch by the type of its first element, looking the type up in ``collate_fn_map``
    (exact type first, then each key in insertion order by ``isinstance``); mappings, named tuples
    and sequences are collated element by element.

    Args:
        batch: a list of samples.
        collate_fn_map (dict): maps a type (or tuple of types) to ``fn(batch, *, collate_fn_map)``.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(fields)
                return clone
            return elem_type(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # a list, as torch's
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, c in enumerate(columns):
                    clone[i] = c
                return clone
            return elem_type(columns)
        except TypeError:
            return columns
    raise TypeError(_ERR.format(elem_type))


def default_collate(batch):
    """Puts each data field into a tensor with an outer dimension of batch size.

    Tensors are stacked, NumPy arrays and NumPy scalars become tensors, ``float`` gives a float64
    tensor and ``int`` an int64 one, ``str``/``bytes`` are left as a list; a ``Mapping`` gives a
    mapping of collated values, a named tuple the named tuple of collated fields, and a sequence
    (a tuple too) a list of collated columns. The DataLoader's default ``collate_fn`` when it batches.

    Args:
        batch: a list of samples.

    Example::

        >>> default_collate([0, 1, 2, 3])
        tensor([0, 1, 2, 3])
        >>> default_collate([(0, 1), (2, 3)])
        [tensor([0, 2]), tensor([1, 3])]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Converts each NumPy array (and NumPy scalar) in ``data`` into a tensor, through mappings,
    named tuples and sequences; leaves anything else unchanged. The DataLoader's default
    ``collate_fn`` when it does not batch (``batch_size=None``).

    Args:
        data: a single sample.
    """
    from ... import as_tensor
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_", "bytes_"):
        if isinstance(data, B.ndarray) and _STR_OR_OBJECT.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        fields = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(fields)
                return clone
            return elem_type(fields)
        except TypeError:
            return fields
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        items = [default_convert(d) for d in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(items):
                    clone[i] = d
                return clone
            return elem_type(items)
        except TypeError:
            return items
    return data
