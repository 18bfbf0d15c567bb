"""Recurrent layers (nn.RNN, LSTM, GRU, their cells) and nn.utils.rnn against torch: values, input
and parameter gradients with torch's weights loaded, packed sequences, parameter names and
initialisation, torch's errors, and gradients of gradients, forward mode and vmap through the
fused LSTM layer."""
import itertools
import warnings

import numpy as np
import pytest

import pullback as pb
import pullback.nn as nn
from pullback.nn.utils import rnn as U

torch = pytest.importorskip("torch")
from torch.nn.utils import rnn as TU  # noqa: E402

torch.set_num_threads(1)


def to_pb(t, requires_grad=None):
    rg = t.requires_grad if requires_grad is None else requires_grad
    return pb.tensor(t.detach().numpy().copy(), requires_grad=rg)


def flat(out):
    if isinstance(out, (list, tuple)):
        return [leaf for o in out for leaf in flat(o)]
    return [out]


def close(actual, expected, rtol=1e-6, atol=1e-8, what=""):
    assert tuple(actual.shape) == tuple(expected.shape), (what, tuple(actual.shape), tuple(expected.shape))
    assert str(actual.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1], (what, actual.dtype)
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg=what)


def twins(name, dtype=torch.float64, **kwargs):
    """torch's module and pullback's with torch's weights loaded."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(**kwargs).to(dtype)
    ours = getattr(nn, name)(**kwargs).to(getattr(pb, str(dtype).split(".")[-1]))
    ours.load_state_dict({k: to_pb(v) for k, v in theirs.state_dict().items()})
    return theirs, ours


def compare(theirs, ours, t_args, p_args, rtol=1e-6, atol=1e-8):
    """Outputs, then input and parameter gradients for the same random cotangents."""
    t_out, p_out = theirs(*t_args), ours(*p_args)
    t_flat = [o.data if isinstance(o, TU.PackedSequence) else o for o in flat(t_out)]
    p_flat = [o.data if isinstance(o, U.PackedSequence) else o for o in flat(p_out)]
    t_flat = [o for o in flat(t_flat) if o.dtype.is_floating_point]
    p_flat = [o for o in flat(p_flat) if o.dtype.is_floating_point]
    assert len(t_flat) == len(p_flat)
    for k, (a, e) in enumerate(zip(p_flat, t_flat)):
        close(a, e, rtol, atol, f"output {k}")
    rng = np.random.default_rng(0)
    cots = [rng.standard_normal(tuple(o.shape)) for o in t_flat]
    t_in = [t for t in flat(t_args) if isinstance(t, torch.Tensor) and t.requires_grad]
    p_in = [t for t in flat(p_args) if isinstance(t, pb.Tensor) and t.requires_grad]
    t_grads = torch.autograd.grad(t_flat, t_in + list(theirs.parameters()),
                                  [torch.tensor(c, dtype=o.dtype) for c, o in zip(cots, t_flat)], allow_unused=True)
    p_grads = pb.autograd.grad(p_flat, p_in + list(ours.parameters()),
                               [pb.tensor(c, dtype=o.dtype) for c, o in zip(cots, p_flat)], allow_unused=True)
    names = [f"input {i}" for i in range(len(t_in))] + [n for n, _ in theirs.named_parameters()]
    for name, a, e in zip(names, p_grads, t_grads):
        if e is None:
            assert a is None or not a.numpy().any(), name
            continue
        close(a, e, rtol, atol, f"grad of {name}")
    return t_out, p_out


def rand(*shape, dtype=torch.float64, requires_grad=True, seed=None):
    g = torch.Generator().manual_seed(seed if seed is not None else sum(shape) * 7 + len(shape))
    return torch.randn(*shape, dtype=dtype, generator=g).requires_grad_(requires_grad)


# ------------------------------------------------------------------------------- the layers
LAYER_CASES = []
for name, layers, bidirectional, batch_first, bias in itertools.product(
        ("RNN", "LSTM", "GRU"), (1, 2), (False, True), (False, True), (True, False)):
    LAYER_CASES.append((name, dict(input_size=3, hidden_size=4, num_layers=layers, bidirectional=bidirectional,
                                   batch_first=batch_first, bias=bias)))
LAYER_CASES += [
    ("RNN", dict(input_size=3, hidden_size=4, num_layers=2, nonlinearity="relu")),
    ("RNN", dict(input_size=3, hidden_size=4, num_layers=2, nonlinearity="relu", bidirectional=True)),
    ("LSTM", dict(input_size=3, hidden_size=5, num_layers=2, proj_size=2)),
    ("LSTM", dict(input_size=3, hidden_size=5, num_layers=2, proj_size=3, bidirectional=True, batch_first=True)),
    ("LSTM", dict(input_size=3, hidden_size=5, num_layers=1, proj_size=2, bias=False)),
]


def _states(name, kw, batch, given):
    if not given:
        return None
    d = 2 if kw.get("bidirectional") else 1
    n = kw.get("num_layers", 1) * d
    h = kw.get("proj_size") or kw["hidden_size"]
    shape = (n, batch, h) if batch is not None else (n, h)
    if name == "LSTM":
        cshape = shape[:-1] + (kw["hidden_size"],)
        return (rand(*shape, seed=1), rand(*cshape, seed=2))
    return rand(*shape, seed=1)


@pytest.mark.parametrize("name,kw", LAYER_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(LAYER_CASES)])
@pytest.mark.parametrize("given", [False, True], ids=["no_hx", "hx"])
def test_layer_matches_torch(name, kw, given):
    theirs, ours = twins(name, **kw)
    x = rand(2, 5, 3) if kw.get("batch_first") else rand(5, 2, 3)
    hx = _states(name, kw, 2, given)
    t_args = [x] + ([hx] if hx is not None else [])
    p_args = [to_pb(x)] + ([tuple(map(to_pb, hx)) if isinstance(hx, tuple) else to_pb(hx)] if hx is not None else [])
    compare(theirs, ours, t_args, p_args)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("given", [False, True], ids=["no_hx", "hx"])
def test_unbatched_input(name, given):
    kw = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    theirs, ours = twins(name, **kw)
    x = rand(6, 3)
    hx = _states(name, kw, None, given)
    t_args = [x] + ([hx] if hx is not None else [])
    p_args = [to_pb(x)] + ([tuple(map(to_pb, hx)) if isinstance(hx, tuple) else to_pb(hx)] if hx is not None else [])
    t_out, p_out = compare(theirs, ours, t_args, p_args)
    assert tuple(p_out[0].shape) == (6, 8)


def test_float32_lstm_benchmark_size_matches_torch():
    theirs, ours = twins("LSTM", dtype=torch.float32, input_size=16, hidden_size=32, num_layers=2)
    x = rand(12, 4, 16, dtype=torch.float32)
    compare(theirs, ours, [x], [to_pb(x)], rtol=2e-4, atol=2e-5)


def test_long_sequence():
    theirs, ours = twins("LSTM", input_size=2, hidden_size=3)
    x = rand(40, 1, 2)
    compare(theirs, ours, [x], [to_pb(x)])


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "GRUCell", "LSTMCell"])
def test_empty_batch(name):
    theirs, ours = twins(name, input_size=2, hidden_size=3)
    x = rand(4, 0, 2) if "Cell" not in name else rand(0, 2)
    t_out, p_out = theirs(x), ours(to_pb(x))
    for a, e in zip(flat(p_out), flat(t_out)):
        close(a, e)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_returned_states_continue_a_sequence(name):
    """Running two halves with the state carried over is running the whole sequence."""
    pb.manual_seed(0)
    m = getattr(nn, name)(3, 4, 2).double()
    x = pb.randn(8, 2, 3, dtype=pb.float64)
    whole, state = m(x)
    first, mid = m(x[:4])
    second, end = m(x[4:], mid)
    np.testing.assert_allclose(pb.cat([first, second]).detach().numpy(), whole.detach().numpy(), rtol=1e-12)
    for a, b in zip(flat(end), flat(state)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


# --------------------------------------------------------------------------------- the cells
CELL_CASES = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("RNNCell", {"bias": False}),
              ("LSTMCell", {}), ("LSTMCell", {"bias": False}), ("GRUCell", {}), ("GRUCell", {"bias": False})]


@pytest.mark.parametrize("name,kw", CELL_CASES, ids=[f"{n}-{sorted(k)}" for n, k in CELL_CASES])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("given", [False, True], ids=["no_hx", "hx"])
def test_cell_matches_torch(name, kw, batched, given):
    theirs, ours = twins(name, input_size=3, hidden_size=4, **kw)
    x = rand(2, 3) if batched else rand(3)
    hs = (2, 4) if batched else (4,)
    t_args, p_args = [x], [to_pb(x)]
    if given:
        hx = (rand(*hs, seed=1), rand(*hs, seed=2)) if name == "LSTMCell" else rand(*hs, seed=1)
        t_args.append(hx)
        p_args.append(tuple(map(to_pb, hx)) if isinstance(hx, tuple) else to_pb(hx))
    compare(theirs, ours, t_args, p_args)


# ----------------------------------------------------------------------------- construction
@pytest.mark.parametrize("name,kw", [
    ("RNN", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)),
    ("LSTM", dict(input_size=3, hidden_size=5, num_layers=3, bidirectional=True, proj_size=2)),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bias=False)),
    ("LSTMCell", dict(input_size=3, hidden_size=4)),
    ("GRUCell", dict(input_size=3, hidden_size=4, bias=False)),
])
def test_parameter_names_shapes_and_init(name, kw):
    theirs = getattr(torch.nn, name)(**kw)
    ours = getattr(nn, name)(**kw)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    bound = 1 / np.sqrt(kw["hidden_size"])
    for p in ours.parameters():
        assert p.dtype == pb.float32 and p.requires_grad
        values = p.detach().numpy()
        assert (np.abs(values) <= bound).all() and values.std() > bound / 4
    assert repr(ours) == repr(theirs)


def test_all_weights_flat_names_and_flatten_parameters():
    theirs, ours = torch.nn.LSTM(3, 4, 2, bidirectional=True), nn.LSTM(3, 4, 2, bidirectional=True)
    assert ours._flat_weights_names == theirs._flat_weights_names
    assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == \
        [[tuple(w.shape) for w in ws] for ws in theirs.all_weights]
    assert ours.flatten_parameters() is None


def test_dtype_argument_and_to():
    m = nn.GRU(3, 4, dtype=pb.float64)
    assert all(p.dtype == pb.float64 for p in m.parameters())
    out, h = m(pb.randn(2, 1, 3, dtype=pb.float64))
    assert out.dtype == pb.float64 and h.dtype == pb.float64


def test_dropout_between_layers_in_training_only():
    pb.manual_seed(0)
    m = nn.LSTM(3, 8, 3, dropout=0.5).double()
    x = pb.randn(5, 2, 3, dtype=pb.float64)
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    m.train()
    c, _ = m(x)
    d, _ = m(x)
    assert c.shape == a.shape and not np.allclose(c.detach().numpy(), d.detach().numpy())
    c.sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    # dropout=1 zeroes every layer's input but the first: the top layer sees zeros.
    m1 = nn.GRU(3, 4, 2, dropout=1.0).double().train()
    ref = nn.GRU(4, 4, 1).double()
    ref.load_state_dict({k.replace("_l1", "_l0"): v for k, v in m1.state_dict().items() if "_l1" in k})
    out, _ = m1(x)
    np.testing.assert_allclose(out.detach().numpy(), ref(pb.zeros(5, 2, 4, dtype=pb.float64))[0].detach().numpy())


def test_dropout_warning_with_one_layer():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.nn.LSTM(3, 4, 1, dropout=0.5)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        nn.LSTM(3, 4, 1, dropout=0.5)
    assert [str(w.message) for w in ours] == [str(w.message) for w in caught]


# ---------------------------------------------------------------------------------- errors
def _error(fn_torch, fn_pb):
    with pytest.raises(Exception) as expected:
        fn_torch()
    with pytest.raises(type(expected.value)) as raised:
        fn_pb()
    # (a dtype prints as pullback.float32 where torch's prints as torch.float32)
    assert str(raised.value).replace("pullback.", "torch.") == str(expected.value)


CONSTRUCTION_ERRORS = [
    ("RNN", (3, 4), dict(nonlinearity="sigmoid")),
    ("RNN", (3, 4), dict(proj_size=2)),
    ("GRU", (3, 4), dict(proj_size=2)),
    ("LSTM", (3, 4), dict(proj_size=4)),
    ("LSTM", (3, 4), dict(proj_size=-1)),
    ("LSTM", (3, 4), dict(dropout=1.5)),
    ("LSTM", (3, 4), dict(dropout=True)),
    ("LSTM", (3, 0), {}),
    ("LSTM", (0, 3), {}),
    ("GRU", (3, 4, 0), {}),
    ("GRU", (3.0, 4), {}),
    ("GRU", (3, "4"), {}),
    ("GRU", (3, 4), dict(bias=1)),
    ("GRU", (3, 4), dict(batch_first="yes")),
]


@pytest.mark.parametrize("name,args,kw", CONSTRUCTION_ERRORS, ids=[f"{n}-{a}-{sorted(k)}" for n, a, k in
                                                                  CONSTRUCTION_ERRORS])
def test_construction_errors_as_torch(name, args, kw):
    _error(lambda: getattr(torch.nn, name)(*args, **kw), lambda: getattr(nn, name)(*args, **kw))


def _forward_error(name, ctor, args_torch):
    theirs = getattr(torch.nn, name)(*ctor).double()
    ours = getattr(nn, name)(*ctor).double()

    def convert(a):
        if isinstance(a, tuple):
            return tuple(convert(x) for x in a)
        return to_pb(a) if isinstance(a, torch.Tensor) else a
    _error(lambda: theirs(*args_torch), lambda: ours(*[convert(a) for a in args_torch]))


FORWARD_ERRORS = [
    ("RNN", (3, 4), (rand(5, 2, 4),)),                                  # input_size
    ("RNN", (3, 4), (rand(5, 2, 3, 1),)),                               # 4-D input
    ("LSTM", (3, 4), (rand(5, 2, 3, 1),)),
    ("GRU", (3, 4), (rand(5,),)),
    ("RNN", (3, 4), (rand(5, 2, 3), rand(1, 3, 4))),                    # hidden batch
    ("RNN", (3, 4), (rand(5, 2, 3), rand(1, 2, 5))),                    # hidden size
    ("GRU", (3, 4, 2), (rand(5, 2, 3), rand(1, 2, 4))),                 # hidden layers
    ("RNN", (3, 4), (rand(5, 2, 3), rand(2, 4))),                       # 2-D hx, batched input
    ("GRU", (3, 4), (rand(5, 3), rand(1, 1, 4))),                       # 3-D hx, unbatched input
    ("LSTM", (3, 4), (rand(5, 2, 3), (rand(1, 2, 4), rand(1, 2, 5)))),  # cell size
    ("LSTM", (3, 4), (rand(5, 2, 3), (rand(1, 3, 4), rand(1, 2, 4)))),
    ("LSTM", (3, 4), (rand(5, 2, 3), (rand(2, 4), rand(1, 2, 4)))),
    ("LSTM", (3, 4), (rand(5, 3), (rand(1, 1, 4), rand(1, 4)))),
    ("LSTM", (3, 4), (rand(5, 2, 3, dtype=torch.float32),)),            # dtype
    ("RNNCell", (3, 4), (rand(2, 5),)),
    ("RNNCell", (3, 4), (rand(2, 3), rand(3, 4))),
    ("RNNCell", (3, 4), (rand(2, 3), rand(2, 5))),
    ("RNNCell", (3, 4), (rand(2, 3, 1),)),
    ("RNNCell", (3, 4), (rand(2, 3), rand(2, 4, 1))),
    ("GRUCell", (3, 4), (rand(2, 3), rand(2, 5))),
    ("LSTMCell", (3, 4), (rand(2, 3), (rand(2, 4), rand(2, 5)))),
    ("LSTMCell", (3, 4), (rand(2, 3), (rand(3, 4), rand(3, 4)))),
    ("LSTMCell", (3, 4), (rand(2, 3), (rand(2, 4, 1), rand(2, 4)))),
    ("LSTM", (3, 4), (rand(0, 2, 3),)),                                 # an empty sequence
    ("GRU", (3, 4), (rand(0, 2, 3),)),
    ("GRU", (3, 4), (rand(5, 2, 3), rand(1, 2, 4, dtype=torch.float32))),   # the state's dtype
    ("LSTM", (3, 4), (rand(5, 2, 3), (rand(1, 2, 4),))),
    ("RNNCell", (3, 4), (rand(2, 3, dtype=torch.float32),)),
    ("GRUCell", (3, 4), (rand(2, 3), rand(2, 4, dtype=torch.float32))),
    ("GRUCell", (3, 4), (rand(3), rand(2, 4))),                         # unbatched input, batched state
    ("LSTMCell", (3, 4), (rand(3), (rand(2, 4), rand(2, 4)))),
    ("GRUCell", (3, 4), (rand(2, 3), rand(4))),                         # batched input, unbatched state
]


@pytest.mark.parametrize("name,ctor,args", FORWARD_ERRORS, ids=[f"{n}-{i}" for i, (n, _, _) in
                                                               enumerate(FORWARD_ERRORS)])
def test_forward_errors_as_torch(name, ctor, args):
    _forward_error(name, ctor, args)


# ------------------------------------------------------------------------ packed sequences
@pytest.mark.parametrize("name,kw", [
    ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)),
    ("LSTM", dict(input_size=3, hidden_size=5, num_layers=2, proj_size=2, bidirectional=True)),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)),
    ("RNN", dict(input_size=3, hidden_size=4, num_layers=1, batch_first=True)),
])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("given", [False, True], ids=["no_hx", "hx"])
def test_packed_sequence_through_layers(name, kw, enforce_sorted, given):
    theirs, ours = twins(name, **kw)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    batch_first = kw.get("batch_first", False)
    x = rand(4, 5, 3) if batch_first else rand(5, 4, 3)
    px = to_pb(x)
    t_packed = TU.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    p_packed = U.pack_padded_sequence(px, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    hx = _states(name, kw, 4, given)
    t_args = [t_packed] + ([hx] if hx is not None else [])
    p_args = [p_packed] + ([tuple(map(to_pb, hx)) if isinstance(hx, tuple) else to_pb(hx)] if hx is not None else [])
    # x itself is the leaf: its gradient flows through the packing
    t_out, p_out = theirs(*t_args), ours(*p_args)
    assert isinstance(p_out[0], U.PackedSequence)
    close(p_out[0].data, t_out[0].data, what="packed output")
    np.testing.assert_array_equal(p_out[0].batch_sizes.numpy(), t_out[0].batch_sizes.numpy())
    for a, e in zip(flat(p_out[1]), flat(t_out[1])):
        close(a, e, what="final state")
    t_pad, t_len = TU.pad_packed_sequence(t_out[0], batch_first=batch_first)
    p_pad, p_len = U.pad_packed_sequence(p_out[0], batch_first=batch_first)
    close(p_pad, t_pad, what="padded output")
    np.testing.assert_array_equal(p_len.numpy(), t_len.numpy())
    t_loss = (t_pad * rand(*t_pad.shape, requires_grad=False, seed=3)).sum() + sum(s.sum() * 2 for s in flat(t_out[1]))
    p_loss = (p_pad * to_pb(rand(*t_pad.shape, requires_grad=False, seed=3))).sum() + \
        sum(s.sum() * 2 for s in flat(p_out[1]))
    t_loss.backward()
    p_loss.backward()
    close(px.grad, x.grad, what="input grad")
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, tp.grad, what=n)
    if hx is not None:
        for a, e in zip(flat(p_args[1]), flat(t_args[1])):
            close(a.grad, e.grad, what="hx grad")


def test_packed_sequence_fields_and_inverse():
    x = rand(4, 3, 2, requires_grad=False)
    t = TU.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
    p = U.pack_padded_sequence(to_pb(x), pb.tensor([2, 4, 1]), enforce_sorted=False)
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    for a, e in zip(p, t):
        close(a, e)
    assert p.batch_sizes.dtype == pb.int64
    assert U.pack_padded_sequence(to_pb(x), [4, 2, 1]).sorted_indices is None
    assert p.to(pb.float32).data.dtype == pb.float32 and p.double().data.dtype == pb.float64


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    seqs = [rand(3, 2), rand(5, 2), rand(1, 2)]
    t = TU.pad_sequence(seqs, batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    ps = [to_pb(s) for s in seqs]
    p = U.pad_sequence(ps, batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    close(p, t)
    w = rand(*t.shape, requires_grad=False, seed=9)
    (t * w).sum().backward()
    (p * to_pb(w)).sum().backward()
    for a, e in zip(ps, seqs):
        close(a.grad, e.grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_round_trip(batch_first, enforce_sorted):
    seqs = [rand(5, 2), rand(3, 2), rand(3, 2), rand(1, 2)]
    if not enforce_sorted:
        seqs = [seqs[2], seqs[0], seqs[3], seqs[1]]
    t = TU.pack_sequence(seqs, enforce_sorted=enforce_sorted)
    ps = [to_pb(s) for s in seqs]
    p = U.pack_sequence(ps, enforce_sorted=enforce_sorted)
    close(p.data, t.data)
    t_pad, t_len = TU.pad_packed_sequence(t, batch_first=batch_first, padding_value=7.0, total_length=6)
    p_pad, p_len = U.pad_packed_sequence(p, batch_first=batch_first, padding_value=7.0, total_length=6)
    close(p_pad, t_pad)
    np.testing.assert_array_equal(p_len.numpy(), t_len.numpy())
    assert p_len.dtype == pb.int64
    for a, e in zip(U.unpack_sequence(p), TU.unpack_sequence(t)):
        close(a, e)
    for a, e in zip(U.unpad_sequence(p_pad, p_len, batch_first=batch_first),
                    TU.unpad_sequence(t_pad, t_len, batch_first=batch_first)):
        close(a, e)


UTIL_ERRORS = [
    (lambda m, x: m.pack_padded_sequence(x(torch.zeros(3, 2)), [1, 2]),),
    (lambda m, x: m.pack_padded_sequence(x(torch.zeros(3, 2)), [2, 0]),),
    (lambda m, x: m.pack_padded_sequence(x(torch.zeros(3, 2)), [2]),),
    (lambda m, x: m.pad_sequence([x(torch.zeros(2, 3)), x(torch.zeros(3, 2))]),),
    (lambda m, x: m.pad_sequence([]),),
    (lambda m, x: m.pad_sequence([x(torch.zeros(2))], padding_side="middle"),),
    (lambda m, x: m.pack_sequence([]),),
    (lambda m, x: m.pad_packed_sequence(m.pack_padded_sequence(x(torch.zeros(3, 2)), [3, 2]), total_length=2),),
]


@pytest.mark.parametrize("case", range(len(UTIL_ERRORS)))
def test_util_errors_as_torch(case):
    fn = UTIL_ERRORS[case][0]
    _error(lambda: fn(TU, lambda t: t), lambda: fn(U, to_pb))


# ------------------------------------------------------------- transforms and second order
def _small(name, **kw):
    pb.manual_seed(0)
    return getattr(nn, name)(2, 3, **kw).double()


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_layer_gradgradcheck(name, reverse):
    m = _small(name, bidirectional=reverse)
    x = pb.randn(4, 2, 2, dtype=pb.float64, requires_grad=True)
    h0 = pb.randn(2 if reverse else 1, 2, 3, dtype=pb.float64, requires_grad=True)
    c0 = pb.randn(2 if reverse else 1, 2, 3, dtype=pb.float64, requires_grad=True)
    names = [n for n, _ in m.named_parameters()]

    def f(x, h0, c0, *ps):
        return _call_with(m, dict(zip(names, ps)), x, h0, c0)
    inputs = (x, h0, c0, *m.parameters()) if name == "LSTM" else (x, h0, *m.parameters())
    fn = f if name == "LSTM" else (lambda x, h0, *ps: f(x, h0, None, *ps))
    assert pb.autograd.gradcheck(fn, inputs)
    assert pb.autograd.gradgradcheck(fn, inputs)


def _call_with(m, params, x, h0, c0):
    state = (h0, c0) if isinstance(m, nn.LSTM) else h0
    out, new = pb.func.functional_call(m, params, (x, state))
    return (out,) + (tuple(new) if isinstance(new, tuple) else (new,))


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_fused_layer_double_backward_matches_torch(name):
    theirs, ours = twins(name, input_size=2, hidden_size=3, num_layers=2)
    x = rand(4, 2, 2)
    px = to_pb(x)
    t_out, _ = theirs(x)
    p_out, _ = ours(px)
    (tg,) = torch.autograd.grad((t_out ** 2).sum(), x, create_graph=True)
    (pg,) = pb.autograd.grad((p_out ** 2).sum(), px, create_graph=True)
    close(pg, tg)
    t2 = torch.autograd.grad((tg ** 2).sum(), [x] + list(theirs.parameters()))
    p2 = pb.autograd.grad((pg ** 2).sum(), [px] + list(ours.parameters()))
    for a, e in zip(p2, t2):
        close(a, e)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_fused_layer_forward_mode_matches_torch(name):
    theirs, ours = twins(name, input_size=2, hidden_size=3, bidirectional=True)
    x, v = rand(4, 2, 2, requires_grad=False), rand(4, 2, 2, requires_grad=False, seed=5)
    _, t_tan = torch.func.jvp(lambda a: theirs(a)[0], (x,), (v,))
    _, p_tan = pb.func.jvp(lambda a: ours(a)[0], (to_pb(x),), (to_pb(v),))
    close(p_tan, t_tan)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_layer_under_vmap_is_a_loop(name):
    m = _small(name, num_layers=2, bidirectional=True)
    xs = pb.randn(3, 4, 2, dtype=pb.float64)   # three unbatched (L, H_in) sequences
    out = pb.func.vmap(lambda x: m(x)[0])(xs)
    for k in range(3):
        np.testing.assert_allclose(out[k].detach().numpy(), m(xs[k])[0].detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_fused_layer_agrees_with_the_composite(name):
    """The fused layer (padded input) and the step-by-step path (a packed batch of equal lengths)."""
    m = _small(name, num_layers=2, bidirectional=True)
    x = pb.randn(5, 3, 2, dtype=pb.float64, requires_grad=True)
    out, state = m(x)
    packed, packed_state = m(U.pack_padded_sequence(x, [5, 5, 5]))
    np.testing.assert_allclose(U.pad_packed_sequence(packed)[0].detach().numpy(), out.detach().numpy(), rtol=1e-12)
    for a, e in zip(flat(packed_state), flat(state)):
        np.testing.assert_allclose(a.detach().numpy(), e.detach().numpy(), rtol=1e-12)
    g_fused = pb.autograd.grad(out.sum() + sum(s.sum() for s in flat(state)), [x] + list(m.parameters()))
    g_steps = pb.autograd.grad(packed.data.sum() + sum(s.sum() for s in flat(packed_state)),
                               [x] + list(m.parameters()))
    for a, e in zip(g_fused, g_steps):
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kw", [("LSTM", {}), ("LSTM", {"bidirectional": True}), ("GRU", {}),
                                     ("GRU", {"bidirectional": True}), ("RNN", {"num_layers": 2}),
                                     ("LSTM", {"proj_size": 2}), ("RNNCell", {}), ("GRUCell", {}), ("LSTMCell", {})])
def test_grad_fn_names_as_torch_float64(name, kw):
    theirs, ours = twins(name, input_size=3, hidden_size=4, **kw)
    x = rand(5, 2, 3) if "Cell" not in name else rand(2, 3)
    names = [o.grad_fn.name() for o in flat(ours(to_pb(x)))]
    assert names == [o.grad_fn.name() for o in flat(theirs(x))]


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_in_place_change_to_the_output_before_backward(name):
    """The fused layers save only their inputs, so (as torch's float64 layers) the output may be
    changed in place before the backward pass."""
    theirs, ours = twins(name, input_size=3, hidden_size=4, num_layers=2)
    x = rand(5, 2, 3)
    px = to_pb(x)
    t_out, p_out = theirs(x)[0], ours(px)[0]
    t_out.mul_(3)
    p_out.mul_(3)
    (t_out ** 2).sum().backward()
    (p_out ** 2).sum().backward()
    close(px.grad, x.grad)
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, tp.grad, what=n)


def test_lstm_check_forward_args_and_permute_hidden_take_the_pair():
    theirs, ours = twins("LSTM", input_size=3, hidden_size=4, proj_size=2)
    x = rand(5, 2, 3)
    good = (rand(1, 2, 2), rand(1, 2, 4))
    assert ours.check_forward_args(to_pb(x), tuple(map(to_pb, good)), None) is None
    bad = (rand(1, 2, 2), rand(1, 2, 2))
    _error(lambda: theirs.check_forward_args(x, bad, None),
           lambda: ours.check_forward_args(to_pb(x), tuple(map(to_pb, bad)), None))
    perm = torch.tensor([1, 0])
    for a, e in zip(ours.permute_hidden(tuple(map(to_pb, good)), pb.tensor([1, 0])), theirs.permute_hidden(good, perm)):
        close(a, e)
