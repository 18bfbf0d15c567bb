"""Variable-length sequences, as ``torch.nn.utils.rnn``: padding, packing and unpacking.

A ``PackedSequence`` holds the steps of a batch of sequences sorted by decreasing length, time
step after time step: ``data`` (sum of lengths, *), ``batch_sizes`` (how many sequences are still
running at each step, int64), and the permutation that sorted the batch. Packing and unpacking are
single gathers, so gradients flow through them.
"""
from collections import namedtuple

from ..._backend import B
from ..._tensor import Tensor
from ... import _creation
from ... import _dtype as D
from ..._ops import shape as S
from ..._ops.indexing import index_select

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _long(values):
    return Tensor._make(B.asarray(values, dtype=B.int64))


def invert_permutation(permutation):
    """The inverse of a permutation (an int64 Tensor), or None for None."""
    if permutation is None:
        return None
    p = B.asarray(permutation._data)
    out = B.empty_like(p)
    out[p] = B.arange(p.size, dtype=p.dtype)
    return Tensor._make(out)


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A packed batch of variable-length sequences (see ``pack_padded_sequence``): a named tuple
    ``(data, batch_sizes, sorted_indices, unsorted_indices)`` that RNN, LSTM and GRU accept.

    Built by ``pack_padded_sequence`` or ``pack_sequence``, not by hand (``unsorted_indices`` is
    the inverse of ``sorted_indices`` when not given)."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if isinstance(data, (list, tuple)) and len(data) == 2:   # PackedSequence((data, batch_sizes))
            return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)
        raise TypeError("PackedSequence needs batch_sizes")

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        """The data converted with ``Tensor.to`` (batch sizes and indices unchanged)."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self, *args, **kwargs):
        return self

    def double(self):
        return self.to(dtype=D.float64)

    def float(self):
        return self.to(dtype=D.float32)

    def half(self):
        return self.to(dtype=D.float16)

    def long(self):
        return self.to(dtype=D.int64)

    def int(self):
        return self.to(dtype=D.int32)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _lengths_list(lengths):
    if isinstance(lengths, Tensor):
        return [int(v) for v in B.asarray(lengths._data).reshape(-1)]
    return [int(v) for v in lengths]


def _pack_indices(lengths, batch):
    """For sorted lengths: batch_sizes, and the row in a (T * batch) time-major layout of every
    packed element."""
    max_len = lengths[0]
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(max_len)]
    rows = [t * batch + b for t, bs in enumerate(batch_sizes) for b in range(bs)]
    return batch_sizes, rows


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch of variable-length sequences.

    Args:
        input (Tensor): (T, B, *) padded sequences ((B, T, *) with ``batch_first``).
        lengths (Tensor or list(int)): each sequence's length.
        batch_first (bool): the layout of ``input`` (default False).
        enforce_sorted (bool): require ``lengths`` in decreasing order (default True); otherwise
            the batch is sorted here and the permutation kept in the result.

    Returns a ``PackedSequence``.
    """
    values = _lengths_list(lengths)
    if enforce_sorted:
        if any(a < b for a, b in zip(values, values[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = sorted(range(len(values)), key=lambda i: -values[i])
        sorted_indices = _long(order)
        values = [values[i] for i in order]
        input = index_select(input, 0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = S.transpose(input, 0, 1)
    batch = input.size(1) if input.dim() > 1 else 0
    if len(values) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(values)} "
                           f"(batch_size={batch})")
    if values and values[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if values and values[0] > input.size(0):
        raise RuntimeError(f"Expected all lengths to be at most the sequence length {input.size(0)}, but got "
                           f"{values[0]}")
    batch_sizes, rows = _pack_indices(values, batch)
    flat = S.reshape(input, (input.size(0) * batch,) + tuple(input.shape[2:]))
    data = index_select(flat, 0, _long(rows))
    return PackedSequence(data, _long(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpacks a ``PackedSequence`` into a padded batch: the inverse of ``pack_padded_sequence``.

    Args:
        sequence (PackedSequence): the batch to unpack.
        batch_first (bool): return (B, T, *) instead of (T, B, *) (default False).
        padding_value (float): the value of the padded elements (default 0).
        total_length (int, optional): pad to this many steps (at least the longest length).

    Returns ``(padded, lengths)``, ``lengths`` an int64 Tensor in the batch's original order.
    """
    data, batch_sizes_t, sorted_indices, unsorted_indices = sequence
    batch_sizes = _lengths_list(batch_sizes_t)
    max_len = len(batch_sizes)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {max_len}")
    else:
        total_length = max_len
    batch = batch_sizes[0] if batch_sizes else 0
    n = data.size(0)
    # Every (t, b) of the padded (T, B) layout reads its packed row, or row n: the padding row.
    index = [n] * (total_length * batch)
    row = 0
    for t, bs in enumerate(batch_sizes):
        for b in range(bs):
            index[t * batch + b] = row
            row += 1
    rest = tuple(data.shape[1:])
    pad_row = _creation.full((1,) + rest, padding_value, dtype=data.dtype)
    padded = index_select(S.cat([data, pad_row]), 0, _long(index))
    padded = S.reshape(padded, (total_length, batch) + rest)
    lengths = [sum(1 for bs in batch_sizes if bs > b) for b in range(batch)]
    if unsorted_indices is not None:
        padded = index_select(padded, 1, unsorted_indices)
        lengths = [lengths[int(i)] for i in B.asarray(unsorted_indices._data)]
    if batch_first:
        padded = S.transpose(padded, 0, 1)
    return padded, _long(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Pads a list of (L_i, *) Tensors to one (max L, B, *) Tensor ((B, max L, *) with
    ``batch_first``).

    Args:
        sequences (list(Tensor)): the sequences; their trailing dims must agree.
        batch_first (bool): default False.
        padding_value (float): default 0.
        padding_side (str): ``'right'`` (default) or ``'left'``.
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = S.unbind(sequences, 0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.size(0) for s in sequences)
    rest = tuple(sequences[0].shape[1:])
    padded = []
    for s in sequences:
        if tuple(s.shape[1:]) != rest:
            trailing = tuple(s.shape[1:])
            for dim in range(len(rest) - 1, -1, -1):
                if dim >= len(trailing) or trailing[dim] != rest[dim]:
                    break
            other = trailing[dim] if dim < len(trailing) else 1
            raise RuntimeError(f"The size of tensor a ({rest[dim]}) must match the size of tensor b ({other}) at "
                               f"non-singleton dimension {dim + 1}")
        extra = max_len - s.size(0)
        if extra:
            pad = _creation.full((extra,) + rest, padding_value, dtype=s.dtype)
            s = S.cat([s, pad] if padding_side == "right" else [pad, s])
        padded.append(s)
    return S.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences ``pad_sequence`` padded: each cut to its length."""
    if not batch_first:
        padded_sequences = S.transpose(padded_sequences, 0, 1)
    return [padded_sequences[i][:n] for i, n in enumerate(_lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of (L_i, *) Tensors: ``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a ``PackedSequence`` holds, in the batch's original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
