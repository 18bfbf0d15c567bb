"""finfo and iinfo against torch's: every attribute, the printed form, equality and the errors."""
import pytest

torch = pytest.importorskip("torch")

import pullback

FLOATS = ["float16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_matches_torch(name):
    ours, theirs = pullback.finfo(getattr(pullback, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
        assert type(getattr(ours, attr)) is type(getattr(theirs, attr)), attr
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)


@pytest.mark.parametrize("name", INTS)
def test_iinfo_matches_torch(name):
    ours, theirs = pullback.iinfo(getattr(pullback, name)), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
        assert type(getattr(ours, attr)) is type(getattr(theirs, attr)), attr
    assert repr(ours) == repr(theirs)


def test_finfo_without_a_type_is_the_default_dtype():
    assert pullback.finfo().dtype == "float32"
    pullback.set_default_dtype(pullback.float64)
    try:
        assert pullback.finfo().dtype == "float64" and pullback.finfo().eps == torch.finfo(torch.float64).eps
    finally:
        pullback.set_default_dtype(pullback.float32)


def test_equality_and_read_only_as_torch():
    assert pullback.finfo(pullback.float32) == pullback.finfo(pullback.float32)
    assert pullback.finfo(pullback.float32) != pullback.finfo(pullback.float64)
    assert pullback.iinfo(pullback.int8) == pullback.iinfo(pullback.int8)
    with pytest.raises(TypeError):
        hash(pullback.finfo(pullback.float32))
    with pytest.raises(AttributeError, match="attribute 'eps' of 'torch.finfo' objects is not writable"):
        pullback.finfo(pullback.float32).eps = 1.0


@pytest.mark.parametrize("call", [
    lambda m: m.finfo(m.int32), lambda m: m.finfo(m.bool), lambda m: m.iinfo(m.float32),
    lambda m: m.iinfo(m.bool), lambda m: m.finfo("float32"), lambda m: m.iinfo(None), lambda m: m.iinfo()])
def test_errors_match_torch(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(pullback)
    assert str(ours.value) == str(theirs.value)
