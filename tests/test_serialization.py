"""pullback.save / pullback.load: PyTorch's zip format, both ways, exact; the weights-only rule.

Files written by pullback are read by torch.load(weights_only=True) and compared with tensors torch
builds from the same NumPy data; files written by torch.save are read by pullback.load."""
import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def arrays(dtype):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 4)) * 10
    if dtype == "bool":
        return [base > 0, np.array(True), np.zeros((0, 2), bool)]
    return [base.astype(dtype), np.array(7, dtype=dtype), np.zeros((2, 0, 3), dtype)]


def to_bytes(save, obj):
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()


def assert_same(ours, theirs):
    """``ours`` (pullback) holds exactly what ``theirs`` (torch) holds."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, pullback.Tensor), type(ours)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.requires_grad == theirs.requires_grad
        assert isinstance(ours, pullback.nn.Parameter) == isinstance(theirs, torch.nn.Parameter)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    elif isinstance(theirs, torch.dtype):
        assert ours is getattr(pullback, str(theirs).split(".")[-1])
    elif isinstance(theirs, torch.Size):
        assert isinstance(ours, pullback.Size) and tuple(ours) == tuple(theirs)
    elif isinstance(theirs, torch.device):
        assert isinstance(ours, pullback.device) and str(ours) == str(theirs)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for k in theirs:
            assert_same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        assert type(ours) is type(theirs) and ours == theirs


def build(lib):
    """The same object in torch and in pullback, from the same NumPy data."""
    out = {}
    for dtype in DTYPES:
        out[dtype] = [lib.tensor(a) for a in arrays(dtype)]
    x = lib.tensor(np.arange(24.0).reshape(2, 3, 4))
    out["views"] = [x, x[1], x.transpose(0, 2), x[:, 1:, ::2], x.reshape(6, 4)[2]]
    out["expanded"] = lib.tensor([1.0, 2.0, 3.0]).expand(2, 3)
    out["flipped"] = lib.tensor(np.arange(5)).flip(0)
    out["param"] = lib.nn.Parameter(lib.tensor([1.5, -2.0]))
    out["frozen"] = lib.nn.Parameter(lib.tensor([1.0]), requires_grad=False)
    out["leaf"] = lib.tensor([0.25, 0.5], requires_grad=True)
    out["meta"] = [lib.float64, lib.int8, lib.bool, lib.Size([2, 3]), lib.device("cpu")]
    out["plain"] = [1, -2.5, "text", None, True, b"bytes", (1, (2.0, "x")), [], {}, {"k": [None]},
                    collections.OrderedDict(a=1, b=2), 2 ** 70, float("inf")]
    return out


def test_pullback_save_is_read_by_torch_load_weights_only():
    theirs = build(torch)
    loaded = torch.load(io.BytesIO(to_bytes(pullback.save, build(pullback))), weights_only=True)
    assert list(loaded) == list(theirs)
    for k in theirs:
        assert_same_torch(loaded[k], theirs[k])


def assert_same_torch(a, b):
    """Two torch objects are equal, exactly (dtype, shape, values, flags)."""
    if isinstance(b, torch.Tensor):
        assert isinstance(a, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        assert a.requires_grad == b.requires_grad and type(a) is type(b)
        assert torch.equal(a.detach(), b.detach())
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            assert_same_torch(u, v)
    elif isinstance(b, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in b:
            assert_same_torch(a[k], b[k])
    else:
        assert type(a) is type(b) and a == b


def test_torch_save_is_read_by_pullback_load():
    theirs = build(torch)
    ours = pullback.load(io.BytesIO(to_bytes(torch.save, theirs)))
    assert list(ours) == list(theirs)
    for k in theirs:
        assert_same(ours[k], theirs[k])


def test_round_trip_in_pullback():
    obj = build(pullback)
    back = pullback.load(io.BytesIO(to_bytes(pullback.save, obj)), weights_only=True)
    theirs = build(torch)
    for k in theirs:
        assert_same(back[k], theirs[k])


def test_views_share_storage_both_ways():
    x = pullback.arange(12.0).reshape(3, 4)
    loaded = torch.load(io.BytesIO(to_bytes(pullback.save, [x, x[1], x.t()])), weights_only=True)
    assert len({t.untyped_storage().data_ptr() for t in loaded}) == 1
    assert loaded[2].stride() == (1, 4) and loaded[1].storage_offset() == 4
    loaded[0][1, 0] = -1.0
    assert loaded[1][0].item() == -1.0

    tx = torch.arange(12.0).reshape(3, 4)
    ours = pullback.load(io.BytesIO(to_bytes(torch.save, [tx, tx[1], tx.t()])))
    assert ours[2].stride() == (1, 4)
    ours[1][0] = 100.0
    assert ours[0][1, 0].item() == 100.0 and ours[2][0, 1].item() == 100.0
    names = zipfile.ZipFile(io.BytesIO(to_bytes(pullback.save, [x, x[1], x.t()]))).namelist()
    assert [n for n in names if "/data/" in n] == ["archive/data/0"]   # one storage for the three


def test_one_tensor_saved_twice_is_one_object():
    t = pullback.ones(3)
    a, b = pullback.load(io.BytesIO(to_bytes(pullback.save, [t, t])))
    assert a is b


def test_module_and_optimizer_state_dicts_move_both_ways():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    topt = torch.optim.Adam(tm.parameters(), lr=0.01)
    tm(torch.ones(5, 3)).sum().backward()
    topt.step()
    blob = to_bytes(torch.save, {"model": tm.state_dict(), "optim": topt.state_dict(), "epoch": 3})
    ck = pullback.load(io.BytesIO(blob), weights_only=True)
    assert isinstance(ck["model"], collections.OrderedDict) and ck["epoch"] == 3
    assert ck["model"]._metadata == tm.state_dict()._metadata
    pm = pullback.nn.Sequential(pullback.nn.Linear(3, 4), pullback.nn.Tanh(), pullback.nn.Linear(4, 2))
    pm.load_state_dict(ck["model"])
    popt = pullback.optim.Adam(pm.parameters(), lr=0.01)
    popt.load_state_dict(ck["optim"])
    np.testing.assert_array_equal(pm(pullback.ones(2, 3)).detach().numpy(), tm(torch.ones(2, 3)).detach().numpy())
    assert_same(ck["optim"], topt.state_dict())

    back = torch.load(io.BytesIO(to_bytes(pullback.save, {"model": pm.state_dict(), "optim": popt.state_dict()})),
                      weights_only=True)
    tm2 = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    tm2.load_state_dict(back["model"])
    torch.optim.Adam(tm2.parameters(), lr=0.01).load_state_dict(back["optim"])
    for a, b in zip(tm.state_dict().values(), tm2.state_dict().values()):
        assert torch.equal(a, b)


def test_files_and_paths(tmp_path):
    t = pullback.tensor([1, 2, 3])
    path = tmp_path / "weights.pt"
    pullback.save({"t": t}, path)
    assert zipfile.ZipFile(path).namelist()[0] == "weights/data.pkl"   # torch's record name
    assert torch.equal(torch.load(path, weights_only=True)["t"], torch.tensor([1, 2, 3]))
    assert torch.equal(torch.load(str(path), weights_only=True, mmap=True)["t"], torch.tensor([1, 2, 3]))
    torch.save(torch.tensor([4.0]), str(tmp_path / "t.pth"))
    assert pullback.load(str(tmp_path / "t.pth")).tolist() == [4.0]
    with open(path, "rb") as fh:
        assert pullback.load(fh)["t"].tolist() == [1, 2, 3]


def test_storages_are_64_byte_aligned_and_stored():
    blob = to_bytes(pullback.save, [pullback.ones(3), pullback.zeros(5, dtype=pullback.int8), pullback.ones(2)])
    zf = zipfile.ZipFile(io.BytesIO(blob))
    for info in zf.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        name_len, extra_len = struct.unpack("<HH", blob[info.header_offset + 26:info.header_offset + 30])
        start = info.header_offset + 30 + name_len + extra_len
        assert start % 64 == 0, info.filename
        assert blob[start:start + info.file_size] == zf.read(info.filename)
    assert zf.read("archive/byteorder") == b"little" and zf.read("archive/version") == b"3\n"


@pytest.mark.parametrize("map_location", [None, "cpu", torch.device("cpu"), {"cpu": "cpu"}, lambda s, loc: s])
def test_map_location_on_the_cpu(map_location):
    blob = to_bytes(torch.save, {"w": torch.arange(4.0)})
    assert pullback.load(io.BytesIO(blob), map_location=map_location)["w"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_map_location_to_another_device_is_refused():
    with pytest.raises(RuntimeError, match="CPU only"):
        pullback.load(io.BytesIO(to_bytes(torch.save, torch.ones(1))), map_location="cuda:0")


def test_a_big_endian_file_loads():
    blob = to_bytes(torch.save, torch.tensor([1.5, -2.0, 3.25], dtype=torch.float64))
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith("/byteorder"):
                data = b"big"
            elif "/data/" in name:
                data = np.frombuffer(data, "<f8").astype(">f8").tobytes()
            dst.writestr(name, data)
    assert pullback.load(io.BytesIO(out.getvalue())).tolist() == [1.5, -2.0, 3.25]


def test_a_dtype_pullback_lacks_is_a_clear_error():
    with pytest.raises(RuntimeError, match="bfloat16"):
        pullback.load(io.BytesIO(to_bytes(torch.save, torch.ones(2, dtype=torch.bfloat16))))


def test_torch_legacy_format_loads():
    theirs = build(torch)
    buf = io.BytesIO()
    torch.save(theirs, buf, _use_new_zipfile_serialization=False)
    ours = pullback.load(io.BytesIO(buf.getvalue()))
    for k in theirs:
        assert_same(ours[k], theirs[k])
    ours["views"][1][0, 0] = -5.0                       # views still share their storage
    assert ours["views"][0][1, 0, 0].item() == -5.0


def test_not_a_torch_file():
    with pytest.raises(RuntimeError, match="neither PyTorch's zip format nor its legacy format"):
        pullback.load(io.BytesIO(b"hello, world"))
    with pytest.raises(RuntimeError, match="Invalid magic number"):
        pullback.load(io.BytesIO(pickle.dumps(12345, protocol=2)))
    head = b"".join(pickle.dumps(v, protocol=2) for v in (torch.serialization.MAGIC_NUMBER, 1001, {"little_endian": True}))
    evil = head + pickle.dumps(os.system, protocol=2) + pickle.dumps([], protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="(posix|os).system"):
        pullback.load(io.BytesIO(evil))


# ---------------------------------------------------------------- the weights-only rule

def crafted(payload, storages=()):
    """A zip in torch's layout whose data.pkl is ``payload``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/byteorder", "little")
        for key, data in storages:
            zf.writestr(f"archive/data/{key}", data)
        zf.writestr("archive/version", "3\n")
    return io.BytesIO(out.getvalue())


@pytest.mark.filterwarnings("ignore:Detected pickle protocol 4")
def test_a_file_asking_for_os_system_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for proto in (2, 4):
        payload = pickle.dumps({"w": Evil()}, protocol=proto)
        with pytest.raises(pickle.UnpicklingError, match=r"refused to load the global (posix|os)\.system"):
            pullback.load(crafted(payload))
        with pytest.raises(pickle.UnpicklingError):      # torch refuses it too
            torch.load(crafted(payload), weights_only=True)
    assert not marker.exists()


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("builtins", "getattr"), ("subprocess", "Popen"),
                                         ("torch", "load"), ("numpy.core.multiarray", "_reconstruct")])
def test_any_other_global_is_refused(module, name):
    payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x01\x00\x00\x001\x85R."
    with pytest.raises(pickle.UnpicklingError, match=f"{module}.{name}"):
        pullback.load(crafted(payload))


def test_build_on_a_tensor_and_inst_are_refused():
    good = to_bytes(pullback.save, pullback.ones(1))
    pkl = zipfile.ZipFile(io.BytesIO(good)).read("archive/data.pkl")
    store = zipfile.ZipFile(io.BytesIO(good)).read("archive/data/0")
    evil = pkl[:-1] + b"N}X\x05\x00\x00\x00_dataNs\x86b."  # BUILD (None, {'_data': None}) on the tensor
    with pytest.raises(pickle.UnpicklingError, match="refused to set the state of a Tensor"):
        pullback.load(crafted(evil, [("0", store)]))
    with pytest.raises(pickle.UnpicklingError, match="INST/OBJ"):
        pullback.load(crafted(b"(ios\nsystem\nX\x02\x00\x00\x00ls."))


def test_a_tensor_reaching_past_its_storage_is_refused():
    good = to_bytes(pullback.save, pullback.ones(4))
    zf = zipfile.ZipFile(io.BytesIO(good))
    pkl, store = zf.read("archive/data.pkl"), zf.read("archive/data/0")
    assert b"K\x04\x85" in pkl                           # size (4,)
    evil = pkl.replace(b"K\x04\x85", b"M\x00\x10\x85", 1)  # size (4096,) over 4 elements
    with pytest.raises(RuntimeError, match="runs past its storage"):
        pullback.load(crafted(evil, [("0", store)]))
    assert pullback.load(crafted(pkl, [("0", store)])).tolist() == [1.0] * 4


# ---------------------------------------------------------------- safetensors

from pullback.utils import safetensors as pst  # noqa: E402


def st_tensors(lib):
    return {"w": lib.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3)), "i8": lib.tensor(np.array([1, -2], np.int8)),
            "flag": lib.tensor(np.array(True)), "empty": lib.tensor(np.zeros((0, 2), np.float16)),
            "big": lib.tensor(np.array([2 ** 40])), "d": lib.tensor(np.array([0.1, 0.2])),
            "u8": lib.tensor(np.array([255], np.uint8)), "i16": lib.tensor(np.array([-3], np.int16)),
            "i32": lib.tensor(np.array([7], np.int32))}


def test_safetensors_bytes_equal_the_reference_package():
    st = pytest.importorskip("safetensors.torch")
    theirs = st.save(st_tensors(torch), metadata={"format": "pt"})
    assert pst.save(st_tensors(pullback), metadata={"format": "pt"}) == theirs
    ours = pst.load(theirs)
    for k, v in st_tensors(torch).items():
        assert_same(ours[k], v)
    back = st.load(pst.save(st_tensors(pullback)))
    for k, v in st_tensors(torch).items():
        assert torch.equal(back[k], v) and back[k].dtype == v.dtype


def test_safetensors_files(tmp_path):
    path = tmp_path / "m.safetensors"
    pst.save_file(st_tensors(pullback), path, metadata={"step": "3"})
    back = pst.load_file(str(path))
    assert back["w"].is_contiguous() and list(back)[0] == "big"     # the widest first: aligned
    theirs = st_tensors(torch)
    for k in theirs:
        assert_same(back[k], theirs[k])
    with pst.safe_open(path, framework="pt") as f:
        assert f.keys() == sorted(theirs) and f.metadata() == {"step": "3"}
        assert_same(f.get_tensor("w"), theirs["w"])
        with pytest.raises(KeyError, match="does not contain tensor nope"):
            f.get_tensor("nope")
    header_len = int.from_bytes(path.read_bytes()[:8], "little")
    assert header_len % 8 == 0
    try:
        import safetensors.torch as st
    except ImportError:
        return
    for k, v in st.load_file(str(path)).items():
        assert torch.equal(v, theirs[k])


def test_safetensors_errors():
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        pst.save({"t": pullback.ones(2, 3).t()})
    with pytest.raises(ValueError, match="metadata must be a dict of str to str"):
        pst.save({"t": pullback.ones(1)}, metadata={"n": 1})
    good = pst.save({"t": pullback.ones(2)})
    with pytest.raises(RuntimeError, match="HeaderTooSmall"):
        pst.load(b"\x00")
    with pytest.raises(RuntimeError, match="InvalidHeaderLength"):
        pst.load((10 ** 6).to_bytes(8, "little") + b"{}")
    with pytest.raises(RuntimeError, match="MetadataIncompleteBuffer"):
        pst.load(good + b"\x00" * 4)
    with pytest.raises(RuntimeError, match="TensorInvalidInfo"):
        pst.load(good.replace(b'"shape":[2]', b'"shape":[3]'))
    bf = pst.save({"t": pullback.ones(2, dtype=pullback.float16)}).replace(b'"F16"', b'"BF16"')
    with pytest.raises(RuntimeError, match="bfloat16"):
        pst.load(bf)


def test_numpy_shares_memory_as_torch():
    def run(lib):
        t = lib.zeros(3)
        a = t.numpy()
        t.add_(1)
        t[0] = 5
        a[1] = -7
        x = np.zeros(2)
        lib.from_numpy(x).add_(3)
        return a.tolist(), t.tolist(), x.tolist()
    assert run(pullback) == run(torch)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_torch_files_of_other_pickle_protocols_load():
    for proto in (2, 3, 4, 5):
        buf = io.BytesIO()
        torch.save({"w": torch.arange(3), "t": (1.5, "x")}, buf, pickle_protocol=proto)
        got = pullback.load(io.BytesIO(buf.getvalue()))
        assert got["w"].tolist() == [0, 1, 2] and got["t"] == (1.5, "x")


class Config:
    def __init__(self, lr, tag):
        self.lr, self.tag = lr, tag


def test_add_safe_globals_allows_a_trusted_class():
    blob = to_bytes(pullback.save, {"cfg": Config(0.1, "run"), "w": pullback.ones(2)})
    with pytest.raises(pickle.UnpicklingError, match=f"global {__name__}.Config"):
        pullback.load(io.BytesIO(blob))
    with torch.serialization.safe_globals([Config]):            # torch reads the same file
        theirs = torch.load(io.BytesIO(blob), weights_only=True)
    try:
        pullback.serialization.add_safe_globals([Config])
        assert pullback.serialization.get_safe_globals() == [Config]
        ours = pullback.load(io.BytesIO(blob))
    finally:
        pullback.serialization.clear_safe_globals()
    assert isinstance(ours["cfg"], Config) and (ours["cfg"].lr, ours["cfg"].tag) == (theirs["cfg"].lr, theirs["cfg"].tag)
    assert_same(ours["w"], theirs["w"])
    with pytest.raises(pickle.UnpicklingError):
        pullback.load(io.BytesIO(blob))


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=3), dtype=st.sampled_from(DTYPES),
       view=st.sampled_from(["none", "t", "slice", "step", "flip", "expand"]), seed=st.integers(0, 2 ** 16))
def test_random_tensors_and_views_move_both_ways_exactly(shape, dtype, view, seed):
    a = (np.random.default_rng(seed).normal(size=shape) * 50).astype(dtype)

    def make(lib):
        t = lib.tensor(a)
        if view == "t" and t.dim() >= 2:
            t = t.transpose(0, 1)
        elif view == "slice" and t.dim() >= 1:
            t = t[1:]
        elif view == "step" and t.dim() >= 1:
            t = t[::2]
        elif view == "flip" and t.dim() >= 1:
            t = t.flip(0)
        elif view == "expand":
            t = t.unsqueeze(0).expand(2, *t.shape)
        return [t, lib.tensor(a)]
    theirs = make(torch)
    from_ours = torch.load(io.BytesIO(to_bytes(pullback.save, make(pullback))), weights_only=True)
    assert_same_torch(from_ours, theirs)
    assert_same(pullback.load(io.BytesIO(to_bytes(torch.save, theirs))), theirs)
