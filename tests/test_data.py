"""pullback.utils.data against torch.utils.data: batches, collation, samplers, splits, errors.

Every expected value is computed by torch on the same input; shuffled orders are compared as sets
(pullback's random stream is NumPy's, not torch's)."""
import collections
import re

import numpy as np
import pytest

import pullback
from pullback.utils import data as pdata

torch = pytest.importorskip("torch")
tdata = torch.utils.data

Point = collections.namedtuple("Point", "x y")


def norm(obj):
    """A printable form with the library names taken out (torch.float64 vs pullback.float64)."""
    return re.sub(r"\b(torch|pullback)\.", "", repr(obj))


def both(build):
    """``build(lib, data_module)`` for torch and for pullback."""
    return build(torch, tdata), build(pullback, pdata)


def same(build):
    theirs, ours = both(build)
    assert norm(ours) == norm(theirs)
    return ours


def _iterable(data, n=5):
    class It(data.IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __len__(self):
            return n
    return It()


@pytest.mark.parametrize("batch", [
    [0, 1, 2], [0.5, 1.0], ["a", "b"], [b"x", b"y"], [True, False],
    [np.float32(1), np.float32(2)], [np.int32(1), np.int32(5)], [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    [np.array(3, dtype=np.int16), np.array(4, dtype=np.int16)],
    [{"a": 1, "b": np.array([1.0, 2.0])}, {"a": 2, "b": np.array([3.0, 4.0])}],
    [collections.OrderedDict(k=1.5), collections.OrderedDict(k=2.5)],
    [Point(1, 2.0), Point(3, 4.0)], [(1, [2, 3]), (4, [5, 6])], [[1, "a"], [2, "b"]],
])
def test_default_collate_matches_torch(batch):
    ours = same(lambda lib, data: data.default_collate(batch))
    if isinstance(batch[0], dict):
        assert type(ours) is type(batch[0])


def test_default_collate_of_tensors_stacks():
    out = same(lambda lib, data: data.default_collate([lib.ones(2, 3), lib.zeros(2, 3)]))
    assert isinstance(out, pullback.Tensor) and tuple(out.shape) == (2, 2, 3)
    same(lambda lib, data: data.default_collate([(lib.tensor(1.5), 1), (lib.tensor(2.5), 2)]))


@pytest.mark.parametrize("sample", [np.array([1, 2]), (np.array(1), 2), Point(np.array(0), 1), [np.float64(2.0), "s"],
                                    {"a": np.array([1.5])}, 3, "str", np.array(["a", "b"])])
def test_default_convert_matches_torch(sample):
    same(lambda lib, data: data.default_convert(sample))


@pytest.mark.parametrize("batch", [[object()], [[1], [1, 2]], [np.array(["a"])], [np.array([object()])]])
def test_default_collate_errors_match_torch(batch):
    with pytest.raises(Exception) as theirs:
        tdata.default_collate(batch)
    with pytest.raises(type(theirs.value)) as ours:
        pdata.default_collate(batch)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_size=2), dict(batch_size=2, drop_last=True), dict(batch_size=None),
                                    dict(batch_size=3, sampler=[4, 0, 2, 1]), dict(batch_size=10)])
def test_dataloader_batches_match_torch(kwargs):
    def build(lib, data):
        ds = data.TensorDataset(lib.arange(5.0), lib.arange(5), lib.arange(10).reshape(5, 2))
        loader = data.DataLoader(ds, **kwargs)
        return len(loader), list(loader)
    same(build)


def test_dataloader_over_python_data_matches_torch():
    same(lambda lib, data: list(data.DataLoader(range(7), batch_size=3)))
    same(lambda lib, data: list(data.DataLoader([{"x": 1.0, "y": "a"}, {"x": 2.0, "y": "b"}], batch_size=2)))
    same(lambda lib, data: list(data.DataLoader([Point(np.ones(2), 1)] * 3, batch_size=2)))
    same(lambda lib, data: list(data.DataLoader([np.arange(3)] * 2, batch_size=None)))


def test_batch_sampler_and_custom_collate_match_torch():
    same(lambda lib, data: list(data.DataLoader(range(10), batch_sampler=data.BatchSampler(
        data.SequentialSampler(range(10)), batch_size=4, drop_last=False))))
    same(lambda lib, data: list(data.BatchSampler(range(7), 3, True)))
    same(lambda lib, data: len(data.BatchSampler(range(7), 3, False)))
    same(lambda lib, data: list(data.DataLoader(range(6), batch_size=4, collate_fn=lambda b: sum(b))))


def test_iterable_dataset_matches_torch():
    for kwargs in [dict(batch_size=2), dict(batch_size=2, drop_last=True), dict(), dict(batch_size=None)]:
        same(lambda lib, data: (len(data.DataLoader(_iterable(data), **kwargs)),
                                list(data.DataLoader(_iterable(data), **kwargs))))
    same(lambda lib, data: list(_iterable(data, 2) + _iterable(data, 3)))


def test_getitems_is_used_for_a_batch():
    calls = []

    class Batched(pdata.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            raise AssertionError("__getitems__ should be used")

        def __getitems__(self, indices):
            calls.append(list(indices))
            return [float(i) for i in indices]

    out = list(pdata.DataLoader(Batched(), batch_size=3))
    assert calls == [[0, 1, 2], [3]]
    assert norm(out) == norm([torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64), torch.tensor([3.0], dtype=torch.float64)])
    sub = pdata.Subset(Batched(), [3, 1])
    assert list(pdata.DataLoader(sub, batch_size=2))[0].tolist() == [3.0, 1.0]


def test_shuffle_is_a_permutation_reproducible_with_a_seed():
    def epoch(loader):
        return [int(i) for b in loader for i in b]
    g = pullback.Generator().manual_seed(7)
    loader = pdata.DataLoader(range(20), batch_size=6, shuffle=True, generator=g)
    first, second = epoch(loader), epoch(loader)
    assert sorted(first) == list(range(20)) and sorted(second) == list(range(20))
    assert first != second                                     # a new order each epoch
    again = pdata.DataLoader(range(20), batch_size=6, shuffle=True, generator=pullback.Generator().manual_seed(7))
    assert epoch(again) == first
    assert [len(b) for b in loader] == [len(b) for b in tdata.DataLoader(range(20), batch_size=6, shuffle=True)]
    pullback.manual_seed(3)
    a = epoch(pdata.DataLoader(range(20), shuffle=True))
    pullback.manual_seed(3)
    assert epoch(pdata.DataLoader(range(20), shuffle=True)) == a  # the global seed, with no generator


def test_random_samplers():
    g = pullback.Generator().manual_seed(0)
    assert sorted(pdata.RandomSampler(range(5), generator=g)) == list(range(5))
    seven = list(pdata.RandomSampler(range(5), num_samples=7, generator=g))
    assert len(seven) == 7 and set(seven) == set(range(5))
    rep = list(pdata.RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(rep) == 50 and set(rep) <= {0, 1, 2}
    assert len(pdata.RandomSampler(range(5), replacement=True, num_samples=3)) == 3
    assert sorted(pdata.SubsetRandomSampler([3, 5, 7], generator=g)) == [3, 5, 7]
    w = list(pdata.WeightedRandomSampler([0.0, 1.0, 0.0], 6, generator=g))
    assert w == [1] * 6
    assert sorted(pdata.WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False, generator=g)) == [0, 1, 2]
    assert list(pdata.SequentialSampler(range(3))) == list(tdata.SequentialSampler(range(3)))


def test_random_split_lengths_match_torch():
    for lengths in ([3, 7], [0.3, 0.3, 0.4], [0.33, 0.67], [0.5, 0.5], [10, 0]):
        ours = pdata.random_split(range(10), lengths, generator=pullback.Generator().manual_seed(1))
        theirs = tdata.random_split(range(10), lengths, generator=torch.Generator().manual_seed(1))
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        assert sorted(i for s in ours for i in s) == list(range(10))
    a = pdata.random_split(range(10), [5, 5], generator=pullback.Generator().manual_seed(4))
    b = pdata.random_split(range(10), [5, 5], generator=pullback.Generator().manual_seed(4))
    assert [list(s) for s in a] == [list(s) for s in b]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        pdata.random_split(range(1), [0.5, 0.5])


def test_datasets_match_torch():
    same(lambda lib, data: data.TensorDataset(lib.arange(3), lib.zeros(3, 2))[1])
    same(lambda lib, data: len(data.TensorDataset(lib.arange(3))))
    same(lambda lib, data: [data.ConcatDataset([range(3), range(10, 12)])[i] for i in (0, 3, 4, -1, -5)])
    same(lambda lib, data: data.ConcatDataset([range(3), range(10, 12)]).cumulative_sizes)
    same(lambda lib, data: (data.TensorDataset(lib.arange(2)) + data.TensorDataset(lib.arange(3)))[4])
    same(lambda lib, data: (data.StackDataset(range(3), range(3, 6))[1], data.StackDataset(a=range(3), b=range(3))[2]))
    same(lambda lib, data: (data.Subset(range(10), [2, 4])[1], len(data.Subset(range(10), [2, 4]))))
    same(lambda lib, data: len(data.ChainDataset([_iterable(data, 2), _iterable(data, 3)])))


def _errors():
    return [
        lambda lib, data: data.DataLoader(range(3), num_workers=-1),
        lambda lib, data: data.DataLoader(range(3), shuffle=True, sampler=[1]),
        lambda lib, data: data.DataLoader(range(3), batch_sampler=[[0]], batch_size=2),
        lambda lib, data: data.DataLoader(range(3), batch_size=None, drop_last=True),
        lambda lib, data: data.DataLoader(range(3), prefetch_factor=2),
        lambda lib, data: data.DataLoader(range(3), persistent_workers=True),
        lambda lib, data: data.DataLoader(range(3), timeout=-1),
        lambda lib, data: data.DataLoader(_iterable(data), shuffle=True),
        lambda lib, data: data.DataLoader(_iterable(data), sampler=[0]),
        lambda lib, data: data.BatchSampler([], 0, False),
        lambda lib, data: data.BatchSampler([], 1, 1),
        lambda lib, data: data.RandomSampler([]),
        lambda lib, data: data.RandomSampler(range(3), replacement=1),
        lambda lib, data: data.WeightedRandomSampler([1.0], 0),
        lambda lib, data: data.WeightedRandomSampler([[1.0]], 1),
        lambda lib, data: data.TensorDataset(lib.ones(2), lib.ones(3)),
        lambda lib, data: data.StackDataset(range(2), range(3)),
        lambda lib, data: data.StackDataset(),
        lambda lib, data: data.random_split(range(3), [1, 1]),
        lambda lib, data: data.random_split(range(3), [1.5, -0.5]),
        lambda lib, data: data.ConcatDataset([]),
        lambda lib, data: data.ConcatDataset([_iterable(data)]),
        lambda lib, data: data.ConcatDataset([range(2)])[-3],
        lambda lib, data: setattr(data.DataLoader(range(3)), "batch_size", 3),
        lambda lib, data: data.Dataset()[0],
        lambda lib, data: type("Doubled", (data.Subset,), {"__getitem__": lambda self, i: 2 * i})(range(3), [0]),
        lambda lib, data: len(data.ChainDataset([range(2)])),
    ]


@pytest.mark.parametrize("i", range(len(_errors())))
def test_errors_match_torch(i):
    bad = _errors()[i]
    with pytest.raises(Exception) as theirs:
        bad(torch, tdata)
    with pytest.raises(type(theirs.value)) as ours:
        bad(pullback, pdata)
    assert str(ours.value) == str(theirs.value)


def test_num_workers_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="num_workers=2 is not supported; use num_workers=0"):
        pdata.DataLoader(range(3), num_workers=2)
    assert pdata.get_worker_info() is None


def test_generator():
    g = pullback.Generator()
    assert g.initial_seed() == torch.Generator().initial_seed()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    state = g.get_state()
    a = list(pdata.RandomSampler(range(10), generator=g))
    g.set_state(state)
    assert list(pdata.RandomSampler(range(10), generator=g)) == a
    assert str(g.device) == "cpu"
    with pytest.raises(TypeError, match="pullback.Generator"):
        list(pdata.RandomSampler(range(3), generator="seed"))
    assert pullback.Generator is pdata.Generator


def test_training_loop_over_a_dataloader():
    pullback.manual_seed(0)
    x = pullback.randn(32, 3)
    y = x @ pullback.tensor([[1.0], [-2.0], [0.5]])
    model = pullback.nn.Linear(3, 1)
    opt = pullback.optim.SGD(model.parameters(), lr=0.1)
    loader = pdata.DataLoader(pdata.TensorDataset(x, y), batch_size=8, shuffle=True,
                              generator=pullback.Generator().manual_seed(0))
    for _ in range(30):
        for xb, yb in loader:
            opt.zero_grad()
            loss = ((model(xb) - yb) ** 2).mean()
            loss.backward()
            opt.step()
    assert float(((model(x) - y) ** 2).mean()) < 1e-3


def test_collate_with_an_extended_map_matches_torch():
    class Box:
        def __init__(self, v):
            self.v = v

    def build(lib, data):
        from importlib import import_module
        collate_mod = import_module(lib.__name__ + ".utils.data._utils.collate")

        def box_fn(batch, *, collate_fn_map=None):
            return sum(b.v for b in batch)
        fmap = dict(collate_mod.default_collate_fn_map)
        fmap[Box] = box_fn
        return collate_mod.collate([(Box(1), 2.0), (Box(3), 4.0)], collate_fn_map=fmap)
    same(build)
