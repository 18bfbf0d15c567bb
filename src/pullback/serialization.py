"""``pullback.save`` and ``pullback.load`` in PyTorch's own file format.

A file is a zip archive (stored, not compressed) holding ``<name>/data.pkl`` (the object, pickled
with protocol 2), ``<name>/data/<key>`` (the raw bytes of each storage, little-endian, 64-byte
aligned), ``<name>/byteorder``, ``<name>/version`` and the few records PyTorch adds. In the pickle,
a tensor is ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
OrderedDict())`` and a storage the persistent id ``('storage', torch.<Type>Storage, key, 'cpu',
numel)``: ``torch.load(..., weights_only=True)`` reads what ``pullback.save`` writes, and
``pullback.load`` reads what ``torch.save`` writes (and PyTorch's legacy, pre-zip format).

Loading never runs code from the file: the unpickler resolves only an allow-list of globals (the
tensor and parameter rebuilders, storage types, dtypes, ``torch.Size``, ``torch.device``,
``collections.OrderedDict``...), as PyTorch's ``weights_only=True``; anything else (``os.system``,
...) is refused with a ``pickle.UnpicklingError`` naming it, before anything is called."""
import collections
import io
import os
import pickle
import struct

from ._backend import B
from . import _dtype as D
from ._size import Size
from ._tensor import Tensor, _Device

_STORAGE_NAMES = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
                  "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage", "int8": "CharStorage",
                  "uint8": "ByteStorage", "bool": "BoolStorage"}
_STORAGE_DTYPES = {v: k for k, v in _STORAGE_NAMES.items()}
# torch storage types pullback has no dtype for (loading one says so)
_FOREIGN_STORAGES = {"BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
                     "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
                     "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4"}
_ALIGNMENT = 64


# ---------------------------------------------------------------- writing

class _Global:
    """A name the pickle refers to by ``module.name`` (torch's, written without importing torch)."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # never called: it only stands for torch's function in the pickle
        raise RuntimeError(f"{self.module}.{self.name} is a placeholder")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_ORDERED_DICT = _Global("collections", "OrderedDict")
_SIZE = _Global("torch", "Size")
_DEVICE = _Global("torch", "device")
_STORAGE_TYPES = {name: _Global("torch", cls) for name, cls in _STORAGE_NAMES.items()}
_DTYPES = {d.name: _Global("torch", d.name) for d in D.ALL_DTYPES}


class _StorageRef:
    """A storage to write: a contiguous 1-D little-endian array, its key and dtype name."""

    __slots__ = ("array", "key", "dtype")

    def __init__(self, array, key, dtype):
        self.array, self.key, self.dtype = array, key, dtype


class _Pickler(pickle._Pickler):
    """Protocol 2 pickling with pullback's tensors, dtypes, sizes and devices written as torch's."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = []      # _StorageRef, in key order
        self._by_root = {}      # id(root array) -> _StorageRef
        self._keep = []         # the roots, alive while their ids are keys

    def _save_global_ref(self, obj, name=None):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_Global] = _save_global_ref

    def _save_dtype(self, obj):
        self._save_global_ref(_DTYPES[obj.name])

    dispatch[D.dtype] = _save_dtype

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", _STORAGE_TYPES[obj.dtype], obj.key, "cpu", int(obj.array.size))
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            from .nn.parameter import Parameter
            if isinstance(obj, Parameter):
                plain = Tensor._make(obj._data)
                return _REBUILD_PARAMETER, (plain, obj.requires_grad, collections.OrderedDict())
            storage, offset, stride = self._storage(obj._data)
            return _REBUILD_TENSOR, (storage, offset, tuple(obj._data.shape), stride, obj.requires_grad,
                                     collections.OrderedDict())
        if isinstance(obj, Size):
            return _SIZE, (tuple(obj),)
        if isinstance(obj, _Device):
            return _DEVICE, (str(obj),)
        return NotImplemented

    def _storage(self, arr):
        """(storage, offset, stride) for ``arr``: the storage of the array it views where it can share
        one (views of one array keep sharing memory in the file, as torch's), else a copy of its own."""
        dtype = D.from_numpy_dtype(arr.dtype).name
        root = arr
        while isinstance(root.base, B.ndarray):
            root = root.base
        itemsize = arr.itemsize
        if (root is not arr and root.dtype == arr.dtype and root.flags.c_contiguous and arr.dtype.isnative
                and all(s >= 0 and s % itemsize == 0 for s in arr.strides)):
            start = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            extent = sum((n - 1) * s for n, s in zip(arr.shape, arr.strides)) if arr.size else 0
            if start >= 0 and start % itemsize == 0 and start + extent + itemsize <= root.nbytes:
                ref = self._by_root.get(id(root))
                if ref is None:
                    ref = self._new_storage(root.reshape(-1), dtype)
                    self._by_root[id(root)] = ref
                    self._keep.append(root)
                return ref, start // itemsize, tuple(s // itemsize for s in arr.strides)
        ref = self._by_root.get(id(arr))
        if ref is None:
            flat = B.ascontiguousarray(arr).reshape(-1)
            ref = self._new_storage(flat, dtype)
            self._by_root[id(arr)] = ref
            self._keep.append(arr)
        stride, step = [], 1
        for n in reversed(arr.shape):
            stride.append(step)
            step *= max(n, 1)
        return ref, 0, tuple(reversed(stride))

    def _new_storage(self, flat, dtype):
        little = flat.dtype.newbyteorder("<")
        ref = _StorageRef(B.ascontiguousarray(flat, dtype=little), str(len(self.storages)), dtype)
        self.storages.append(ref)
        return ref


def _record_name(f):
    if isinstance(f, (str, os.PathLike)):
        return os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
    return "archive"


def _write_record(zf, name, data):
    """Writes ``data`` stored (uncompressed) with its bytes 64-byte aligned in the file, as torch does."""
    import zipfile
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    header_end = zf.fp.tell() + 30 + len(name.encode("utf-8")) + 4
    pad = -header_end % _ALIGNMENT
    info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # torch's padding field ('FB')
    zf.writestr(info, data)


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Saves an object (tensors, state dicts, nested dicts/lists/tuples of them and of numbers,
    strings and None) to a file in PyTorch's zip format, readable by ``torch.load``.

    Tensors that view one array share one storage in the file, as in PyTorch; a tensor that requires
    grad is saved with ``requires_grad=True`` (its graph is not saved). Other Python objects are
    pickled as they are (``pullback.load`` refuses to load globals outside its allow-list).

    Args:
        obj (object): the object to save.
        f (str, os.PathLike or file-like): the file name, or a binary file object with ``write``.
        pickle_module, pickle_protocol: accepted for PyTorch's signature: the pickle is protocol 2.

    Example::

        >>> buf = io.BytesIO()
        >>> pullback.save({"w": pullback.ones(2)}, buf)
        >>> pullback.load(io.BytesIO(buf.getvalue()))
        {'w': tensor([1., 1.])}
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("pullback.save writes only the zip file format "
                                  "(_use_new_zipfile_serialization=True)")
    import zipfile
    pkl = io.BytesIO()
    pickler = _Pickler(pkl)
    pickler.dump(obj)
    prefix = _record_name(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            _write_archive(fh, prefix, pkl.getvalue(), pickler.storages)
    else:
        _write_archive(f, prefix, pkl.getvalue(), pickler.storages)


def _write_archive(fh, prefix, pkl, storages):
    import zipfile
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        _write_record(zf, f"{prefix}/data.pkl", pkl)
        _write_record(zf, f"{prefix}/.format_version", b"1")
        _write_record(zf, f"{prefix}/.storage_alignment", str(_ALIGNMENT).encode())
        _write_record(zf, f"{prefix}/byteorder", b"little")
        for ref in storages:  # the array's own bytes, not a copy
            _write_record(zf, f"{prefix}/data/{ref.key}", memoryview(ref.array).cast("B"))
        _write_record(zf, f"{prefix}/version", b"3\n")
        _write_record(zf, f"{prefix}/.data/serialization_id", b"0" * 40)


# ---------------------------------------------------------------- reading

class _StorageType:
    __slots__ = ("name", "np")

    def __init__(self, name, np_dtype):
        self.name, self.np = name, np_dtype


class _Marker:
    """torch.Tensor / torch.nn.Parameter as ``_rebuild_from_type_v2``'s ``new_type`` (never called)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


_TENSOR_MARK, _PARAMETER_MARK = _Marker("torch.Tensor"), _Marker("torch.nn.parameter.Parameter")


def _check_ints(name, values):
    if not isinstance(values, (tuple, list)) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                        for v in values):
        raise pickle.UnpicklingError(f"pullback.load: a tensor's {name} must be a tuple of ints, got {values!r}")


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                    metadata=None):
    if not isinstance(storage, B.ndarray):
        raise pickle.UnpicklingError("pullback.load: _rebuild_tensor_v2 expects a storage")
    _check_ints("size", size)
    _check_ints("stride", stride)
    if not isinstance(storage_offset, int) or len(size) != len(stride):
        raise pickle.UnpicklingError("pullback.load: a tensor's offset, size and stride do not agree")
    if any(n < 0 for n in size) or any(s < 0 for s in stride) or storage_offset < 0:
        raise pickle.UnpicklingError("pullback.load: a tensor has a negative size, stride or offset")
    numel = 1
    for n in size:
        numel *= n
    if numel:
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= storage.size:
            raise RuntimeError(f"pullback.load: a tensor of size {tuple(size)} and stride {tuple(stride)} at "
                               f"offset {storage_offset} runs past its storage of {storage.size} elements")
        item = storage.itemsize
        arr = B.lib.stride_tricks.as_strided(storage[storage_offset:], shape=tuple(size),
                                             strides=tuple(s * item for s in stride), writeable=True)
    else:
        arr = B.empty(tuple(size), dtype=storage.dtype)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None, state=None):
    from .nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError("pullback.load: _rebuild_parameter expects a tensor")
    return Parameter(data.detach(), requires_grad=bool(requires_grad))


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in (_rebuild_tensor, _rebuild_parameter) or not isinstance(args, tuple):
        raise pickle.UnpicklingError("pullback.load: _rebuild_from_type_v2 of an unsupported function")
    t = func(*args)
    if new_type is _PARAMETER_MARK:
        return _rebuild_parameter(t, t.requires_grad)
    if new_type is not _TENSOR_MARK:
        raise pickle.UnpicklingError("pullback.load: _rebuild_from_type_v2 of an unsupported type")
    return t


def _encode(obj, encoding="utf-8"):
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8"):
        raise pickle.UnpicklingError("pullback.load: _codecs.encode is allowed only for bytes")
    return obj.encode(encoding)


def _size(dims=()):
    return Size(dims)


def _device(*args, **kwargs):
    return _Device("cpu")  # pullback computes on the CPU: every device loads as the CPU


def _allowed_globals():
    allowed = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("collections", "Counter"): collections.Counter,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("builtins", "bytearray"): bytearray,
        ("builtins", "complex"): complex,
        ("_codecs", "encode"): _encode,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("torch", "Size"): _size,
        ("torch", "device"): _device,
        ("torch", "Tensor"): _TENSOR_MARK,
        ("torch.nn.parameter", "Parameter"): _PARAMETER_MARK,
    }
    for d in D.ALL_DTYPES:
        allowed[("torch", d.name)] = d
    for np_name, cls in _STORAGE_NAMES.items():
        allowed[("torch", cls)] = _StorageType(cls, B.dtype(np_name))
    for cls, name in _FOREIGN_STORAGES.items():
        allowed[("torch", cls)] = _StorageType(cls, name)
    allowed[("torch", "UntypedStorage")] = _StorageType("UntypedStorage", B.dtype("uint8"))
    return allowed


_ALLOWED = None
_DICT_TYPES = (dict, collections.OrderedDict, collections.Counter)
_NEW_TYPES = (collections.OrderedDict, collections.Counter, set, frozenset, bytearray, complex)
_USER_SAFE = {}  # (module, name) -> object, from add_safe_globals


def _global_name(obj):
    return getattr(obj, "__module__", None), getattr(obj, "__qualname__", getattr(obj, "__name__", None))


def add_safe_globals(safe_globals):
    """Marks globals as safe for ``pullback.load`` (as ``torch.serialization.add_safe_globals``): a
    file may then name them, call them, create their instances and set those instances' state.
    Only add what you trust: an allowed global runs when the file is loaded.

    Args:
        safe_globals (list): objects (classes, functions), or ``(object, "module.name")`` pairs to
            allow the object under another name.
    """
    for item in safe_globals:
        if isinstance(item, tuple):
            obj, full = item
            module, _, name = full.rpartition(".")
        else:
            obj = item
            module, name = _global_name(obj)
        if not module or not name:
            raise ValueError(f"add_safe_globals: cannot tell the module and name of {obj!r}")
        _USER_SAFE[(module, name)] = obj


def get_safe_globals():
    """The globals added by ``add_safe_globals``."""
    return list(_USER_SAFE.values())


def clear_safe_globals():
    """Forgets the globals added by ``add_safe_globals``."""
    _USER_SAFE.clear()


def _user_class(cls):
    return isinstance(cls, type) and any(cls is v for v in _USER_SAFE.values())


class _Unpickler(pickle._Unpickler):
    """An unpickler that resolves only allow-listed globals: it never imports or calls anything else."""

    dispatch = pickle._Unpickler.dispatch.copy()

    def __init__(self, file, storage_loader, **kwargs):
        super().__init__(file, **kwargs)
        self._storage_loader = storage_loader

    def find_class(self, module, name):
        global _ALLOWED
        if _ALLOWED is None:
            _ALLOWED = _allowed_globals()
        if self.proto < 3 and self.fix_imports:  # Python 2 names, as protocol 2 writes them
            import _compat_pickle
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        found = _ALLOWED.get((module, name))
        if found is None:
            found = _USER_SAFE.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"pullback.load refused to load the global {module}.{name}: it is not an allowed global. "
                "Only tensors, storages, dtypes, torch.Size, torch.device and plain containers and numbers are "
                "loaded (the weights-only rule, as torch.load(weights_only=True)); nothing in the file was run. "
                "If you trust this global, allow it with pullback.serialization.add_safe_globals.")
        return found

    def persistent_load(self, pid):
        if self._storage_loader is None:
            raise pickle.UnpicklingError("pullback.load: a storage where none is expected")
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)):
            raise pickle.UnpicklingError(f"pullback.load: unsupported persistent id {pid!r}")
        return self._storage_loader(*pid[1:])

    def _load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if isinstance(inst, _DICT_TYPES) and isinstance(state, dict) and all(isinstance(k, str) for k in state):
            for k, v in state.items():
                setattr(inst, k, v)  # e.g. a state_dict's _metadata
            return
        if _user_class(type(inst)):
            self.stack.append(state)
            return pickle._Unpickler.load_build(self)
        raise pickle.UnpicklingError(f"pullback.load: refused to set the state of a {type(inst).__name__} object")

    dispatch[pickle.BUILD[0]] = _load_build

    def _refuse(self):
        raise pickle.UnpicklingError("pullback.load: refused an INST/OBJ opcode (it creates arbitrary objects)")

    dispatch[pickle.INST[0]] = _refuse
    dispatch[pickle.OBJ[0]] = _refuse

    def _load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if isinstance(func, (_Marker, _StorageType)) or not callable(func):
            raise pickle.UnpicklingError(f"pullback.load: refused to call {func!r}")
        self.stack[-1] = func(*args)

    dispatch[pickle.REDUCE[0]] = _load_reduce

    def _load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        if cls not in _NEW_TYPES and not _user_class(cls):
            raise pickle.UnpicklingError(f"pullback.load: refused to create a {cls!r} object")
        self.append(cls.__new__(cls, *args))

    dispatch[pickle.NEWOBJ[0]] = _load_newobj

    def _load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        if cls not in _NEW_TYPES and not _user_class(cls):
            raise pickle.UnpicklingError(f"pullback.load: refused to create a {cls!r} object")
        self.append(cls.__new__(cls, *args, **kwargs))

    dispatch[pickle.NEWOBJ_EX[0]] = _load_newobj_ex


def _check_location(map_location):
    """Every storage loads on the CPU; a map_location naming another device is an error."""
    if map_location is None or callable(map_location) and not isinstance(map_location, (str, _Device)):
        return
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        _Device(str(target))


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Loads an object saved by ``pullback.save`` or ``torch.save`` (PyTorch's zip format, or its
    legacy format from ``_use_new_zipfile_serialization=False``).

    Loading never runs code from the file: only tensors, parameters, dtypes, ``torch.Size``,
    ``torch.device``, ``OrderedDict``, dicts, lists, tuples, sets, numbers, strings, bytes and None
    are rebuilt, as with ``torch.load(weights_only=True)``; a file naming any other global (say
    ``os.system``) is refused with a ``pickle.UnpicklingError`` naming it, and nothing in it runs.
    Tensors sharing a storage in the file share memory once loaded.

    Args:
        f (str, os.PathLike or file-like): the file name, or a binary file object.
        map_location: accepted for PyTorch's signature: everything loads on the CPU (a device other
            than the CPU is an error; a callable is called as ``map_location(storage, location)`` and
            its result kept when it is a tensor; zip format only).
        weights_only (bool, optional): accepted; loading is always weights-only.
        mmap (bool, optional): accepted, no effect (the storages are read into memory).

    Example::

        >>> buf = io.BytesIO()
        >>> pullback.save([1, pullback.tensor([2, 3])], buf)
        >>> pullback.load(io.BytesIO(buf.getvalue()), weights_only=True)
        [1, tensor([2, 3])]
    """
    import zipfile
    _check_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _load_archive(fh, map_location, pickle_load_args)
    seekable = getattr(f, "seekable", None)
    if not (callable(seekable) and seekable()):
        f = io.BytesIO(f.read())
    return _load_archive(f, map_location, pickle_load_args)


def _load_archive(fh, map_location, pickle_load_args):
    import zipfile
    start = fh.tell()
    magic = fh.read(4)
    fh.seek(start)
    if not magic.startswith(b"PK"):
        return _load_legacy(fh, map_location, pickle_load_args)
    try:
        zf = zipfile.ZipFile(fh)
    except zipfile.BadZipFile as e:
        raise RuntimeError(f"pullback.load: not a valid zip archive ({e})") from None
    names = zf.namelist()
    pkl = [n for n in names if n == "data.pkl" or n.endswith("/data.pkl")]
    if not pkl:
        raise RuntimeError("pullback.load: the archive has no data.pkl record (not a file from torch.save?)")
    prefix = pkl[0][:-len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in names:
        byteorder = zf.read(prefix + "byteorder").decode("ascii").strip()
        if byteorder not in ("little", "big"):
            raise RuntimeError(f"pullback.load: unknown byteorder {byteorder!r}")
    storages = {}

    def load_storage(storage_type, key, location, numel):
        if key in storages:
            return storages[key]
        if isinstance(storage_type.np, str):
            raise RuntimeError(f"pullback.load: the file holds a {storage_type.np} tensor "
                               f"(torch.{storage_type.name}); pullback has no {storage_type.np} dtype")
        record = f"{prefix}data/{key}"
        if record not in names:
            raise RuntimeError(f"pullback.load: the archive has no record {record}")
        info = zf.getinfo(record)
        raw = bytearray(info.file_size)
        with zf.open(info) as src:
            got = src.readinto(raw)
        dtype = storage_type.np.newbyteorder("<" if byteorder == "little" else ">")
        if got != len(raw) or len(raw) % dtype.itemsize:
            raise RuntimeError(f"pullback.load: the record {record} is not a whole number of elements")
        arr = B.frombuffer(raw, dtype=dtype)   # writable, owns its bytes: no copy
        if not dtype.isnative:
            arr = arr.astype(storage_type.np)
        if callable(map_location) and not isinstance(map_location, (str, _Device, dict)):
            mapped = map_location(Tensor._make(arr), location)
            if isinstance(mapped, Tensor):
                arr = B.ascontiguousarray(mapped._data).reshape(-1)
        storages[key] = arr
        return arr

    unpickler = _Unpickler(io.BytesIO(zf.read(pkl[0])), load_storage, **pickle_load_args)
    return unpickler.load()


_LEGACY_MAGIC, _LEGACY_PROTOCOL = 0x1950A86A20F9469CFC6C, 1001


def _load_legacy(fh, map_location, pickle_load_args):
    """PyTorch's format before the zip (``_use_new_zipfile_serialization=False``): pickles of the magic
    number, the protocol version, the system info and the object, the storage keys, then each
    storage as an int64 element count and its bytes."""
    def plain():
        return _Unpickler(fh, None, **pickle_load_args).load()
    try:
        magic = plain()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError) as e:
        raise RuntimeError(f"pullback.load: neither PyTorch's zip format nor its legacy format ({e})") from None
    if magic != _LEGACY_MAGIC:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = plain()
    if version != _LEGACY_PROTOCOL:
        raise RuntimeError(f"Invalid protocol version: {version}")
    sys_info = plain()
    little = not isinstance(sys_info, dict) or sys_info.get("little_endian", True)
    storages = {}

    def load_storage(storage_type, root_key, location, numel, view_metadata=None):
        if isinstance(storage_type.np, str):
            raise RuntimeError(f"pullback.load: the file holds a {storage_type.np} tensor "
                               f"(torch.{storage_type.name}); pullback has no {storage_type.np} dtype")
        if not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError("pullback.load: a storage's size must be a non-negative int")
        if root_key not in storages:
            storages[root_key] = B.zeros(numel, dtype=storage_type.np)   # filled after the object
        root = storages[root_key]
        if view_metadata is not None:
            _key, offset, size = view_metadata
            return root[offset:offset + size]
        return root

    result = _Unpickler(fh, load_storage, **pickle_load_args).load()
    keys = plain()
    if not isinstance(keys, list):
        raise RuntimeError("pullback.load: the legacy file's storage keys are not a list")
    for key in keys:
        if key not in storages:
            raise RuntimeError(f"pullback.load: storage key {key!r} not found in the file's object")
        arr = storages[key]
        head = fh.read(8)
        if len(head) != 8:
            raise RuntimeError("pullback.load: the legacy file ends before its storages")
        count = int.from_bytes(head, "little" if little else "big", signed=True)
        nbytes = count * arr.itemsize
        raw = fh.read(nbytes)
        if count != arr.size or len(raw) != nbytes:
            raise RuntimeError(f"pullback.load: storage {key!r} holds {count} elements, {arr.size} expected")
        arr[...] = B.frombuffer(raw, dtype=arr.dtype.newbyteorder("<" if little else ">"))
    return result


__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals"]
