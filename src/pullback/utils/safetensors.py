"""The safetensors format (``save_file``/``load_file``, as ``safetensors.torch``), written and read
natively: no ``safetensors`` package needed.

A file is an 8-byte little-endian header length ``N``, a JSON header of ``N`` bytes (padded with
spaces to a multiple of 8) mapping each name to ``{"dtype", "shape", "data_offsets"}`` (plus an
optional ``"__metadata__"`` of strings), then the tensors' bytes, little-endian and C-ordered, with
no gaps. Reading it runs no code, whatever the file holds."""
import json
import os

from .._backend import B

_CODES = {"float64": "F64", "float32": "F32", "float16": "F16", "int64": "I64", "int32": "I32", "int16": "I16",
          "int8": "I8", "uint8": "U8", "bool": "BOOL"}
# the reference implementation's dtype order (it writes the tensors by it, descending, then by name)
_RANK = {"bool": 0, "uint8": 1, "int8": 2, "int16": 3, "float16": 4, "int32": 5, "float32": 6, "float64": 7, "int64": 8}
_FROM_CODE = {v: k for k, v in _CODES.items()}
_FOREIGN = {"BF16": "bfloat16", "U16": "uint16", "U32": "uint32", "U64": "uint64", "F8_E4M3": "float8_e4m3fn",
            "F8_E5M2": "float8_e5m2", "C64": "complex64", "C128": "complex128"}
_MAX_HEADER = 100_000_000


def _serialize(tensors, metadata):
    from .._tensor import Tensor
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, pullback.Tensor] but received {type(tensors)}")
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise ValueError("metadata must be a dict of str to str")
    items = []
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise ValueError(f"Key `{name}` is invalid, expected str but received {type(name)}")
        if not isinstance(t, Tensor):
            raise ValueError(f"Key `{name}` is invalid, expected pullback.Tensor but received {type(t)}")
        if not t.is_contiguous():
            raise ValueError(f"You are trying to save a non contiguous tensor: `{name}` which is not allowed. "
                             "It either means you are trying to save tensors which are reference of each other "
                             "in which case it's recommended to save only the full tensors, and reslice at load "
                             "time, or simply call `.contiguous()` on your tensor to pack it before saving.")
        arr = t.detach()._data
        items.append((name, arr))
    items.sort(key=lambda it: (-_RANK[it[1].dtype.name], it[0]))   # the reference writer's order
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    for name, arr in items:
        data = B.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _CODES[arr.dtype.name], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(chunks)


def _parse(data):
    from .._tensor import Tensor
    if len(data) < 8:
        raise RuntimeError("Error while deserializing header: HeaderTooSmall")
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER:
        raise RuntimeError("Error while deserializing header: HeaderTooLarge")
    if 8 + n > len(data):
        raise RuntimeError("Error while deserializing header: InvalidHeaderLength")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise RuntimeError(f"Error while deserializing header: InvalidHeaderDeserialization ({e})") from None
    if not isinstance(header, dict):
        raise RuntimeError("Error while deserializing header: InvalidHeaderDeserialization")
    metadata = header.pop("__metadata__", None)
    buffer = memoryview(data)[8 + n:]
    spans = []
    out = {}
    for name, info in header.items():
        try:
            code, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise RuntimeError(f"Error while deserializing header: invalid entry for tensor {name!r}") from None
        if code in _FOREIGN:
            raise RuntimeError(f"safetensors: tensor {name!r} is {code} ({_FOREIGN[code]}); pullback has no such dtype")
        if code not in _FROM_CODE:
            raise RuntimeError(f"Error while deserializing header: unknown dtype {code!r} for tensor {name!r}")
        if (not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape)
                or not all(isinstance(o, int) for o in (begin, end)) or not 0 <= begin <= end <= len(buffer)):
            raise RuntimeError(f"Error while deserializing header: invalid shape or offsets for tensor {name!r}")
        dtype = B.dtype(_FROM_CODE[code])
        numel = 1
        for d in shape:
            numel *= d
        if end - begin != numel * dtype.itemsize:
            raise RuntimeError(f"Error while deserializing header: TensorInvalidInfo (tensor {name!r})")
        spans.append((begin, end))
        out[name] = (dtype, shape, begin, end)
    covered = 0
    for begin, end in sorted(spans):
        if begin != covered:
            raise RuntimeError("Error while deserializing header: InvalidOffset")
        covered = end
    if covered != len(buffer):
        raise RuntimeError("Error while deserializing header: MetadataIncompleteBuffer")
    tensors = {}
    for name, (dtype, shape, begin, end) in out.items():
        arr = B.frombuffer(buffer[begin:end], dtype=dtype.newbyteorder("<")).astype(dtype, copy=True)
        tensors[name] = Tensor._make(arr.reshape(shape))
    return tensors, metadata


def save(tensors, metadata=None):
    """The safetensors bytes of a dict of tensors.

    Args:
        tensors (dict[str, Tensor]): contiguous tensors by name.
        metadata (dict[str, str], optional): free text stored in the header.
    """
    return _serialize(tensors, metadata)


def save_file(tensors, filename, metadata=None):
    """Saves a dict of tensors to ``filename`` in the safetensors format.

    Args:
        tensors (dict[str, Tensor]): contiguous tensors by name (call ``.contiguous()`` on a view).
        filename (str or os.PathLike): the file to write.
        metadata (dict[str, str], optional): free text stored in the header.

    Example::

        >>> save_file({"w": pullback.ones(2, 3)}, "model.safetensors")
        >>> load_file("model.safetensors")["w"].shape
        pullback.Size([2, 3])
    """
    data = _serialize(tensors, metadata)
    with open(os.fspath(filename), "wb") as fh:
        fh.write(data)


def load(data):
    """The dict of tensors in safetensors ``data`` (bytes).

    Args:
        data (bytes): the content of a safetensors file.
    """
    return _parse(data)[0]


def load_file(filename, device="cpu"):
    """Loads the dict of tensors saved in a safetensors file.

    Args:
        filename (str or os.PathLike): the file to read.
        device (str, optional): only ``"cpu"``.
    """
    from .._tensor import check_device
    check_device(device)
    with open(os.fspath(filename), "rb") as fh:
        return _parse(fh.read())[0]


class safe_open:
    """Opens a safetensors file to read its tensors by name (a context manager, as safetensors').

    Args:
        filename (str or os.PathLike): the file.
        framework (str): accepted for the signature (``"pt"``).
        device (str, optional): only ``"cpu"``.
    """

    def __init__(self, filename, framework="pt", device="cpu"):
        from .._tensor import check_device
        check_device(device)
        with open(os.fspath(filename), "rb") as fh:
            self._tensors, self._metadata = _parse(fh.read())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def keys(self):
        """The tensors' names, sorted."""
        return sorted(self._tensors)

    def get_tensor(self, name):
        """The tensor saved under ``name``."""
        try:
            return self._tensors[name]
        except KeyError:
            raise KeyError(f"File does not contain tensor {name}") from None

    def metadata(self):
        """The header's ``__metadata__`` (a dict of str), or None."""
        return self._metadata
