"""The composition family (issue 11): fused arithmetic, products, splitting, scatters, against torch.

The op table (op_db.py) and torch's OpInfo samples (test_spec_ops.py) cover values and gradients;
this file covers what they do not: Tensor methods and in-place forms, error messages, edge cases."""
import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")


def same(p, t, rtol=1e-7, atol=1e-7):
    """pullback's result ``p`` against torch's ``t``: values, shape and dtype (or sequences of them)."""
    if isinstance(t, (list, tuple)):
        assert isinstance(p, (list, tuple)) and len(p) == len(t)
        for a, b in zip(p, t):
            same(a, b, rtol, atol)
        return
    assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (p.dtype, t.dtype)
    assert tuple(p.shape) == tuple(t.shape), (p.shape, t.shape)
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def both(*arrays, **kw):
    """Each array as a pullback tensor and a torch tensor."""
    return [pullback.tensor(a, **kw) for a in arrays], [torch.tensor(a, **kw) for a in arrays]


def raises_as_torch(fn_p, fn_t):
    """Both raise: the same exception type and message."""
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(Exception) as ep:
        fn_p()
    assert type(ep.value) is type(et.value), (ep.value, et.value)
    assert str(ep.value) == str(et.value)


RNG = np.random.default_rng(11)


def randn(*shape):
    return RNG.standard_normal(shape)


# ------------------------------------------------------------------ fused arithmetic and products
@pytest.mark.parametrize("name,shapes,kwargs", [
    ("addcmul", [(2, 3), (3,), (2, 1)], {"value": 0.5}),
    ("addcdiv", [(2, 3), (3,), (2, 1)], {"value": -2}),
    ("addmv", [(3,), (3, 4), (4,)], {"beta": 0.5, "alpha": 2}),
    ("addr", [(3, 2), (3,), (2,)], {"alpha": 3}),
    ("baddbmm", [(2, 3, 4), (2, 3, 5), (2, 5, 4)], {"beta": 0}),
    ("addbmm", [(3, 4), (2, 3, 5), (2, 5, 4)], {"beta": 2, "alpha": 0.5}),
])
def test_fused_method_and_inplace(name, shapes, kwargs):
    (p, *ps), (t, *ts) = both(*[randn(*s) for s in shapes])
    same(getattr(p, name)(*ps, **kwargs), getattr(t, name)(*ts, **kwargs))
    r = getattr(p, name + "_")(*ps, **kwargs)
    getattr(t, name + "_")(*ts, **kwargs)
    assert r is p
    same(p, t)


def test_beta_zero_ignores_nan_input():
    x = np.full((3,), np.nan)
    a, v = randn(3, 2), randn(2)
    (p, pa, pv), (t, ta, tv) = both(x, a, v)
    same(pullback.addmv(p, pa, pv, beta=0), torch.addmv(t, ta, tv, beta=0))


def test_integer_scalars():
    (x, a, b), (tx, ta, tb) = both(np.array([1, 2]), np.array([1, 2]), np.array([3, 4]))
    same(pullback.addcmul(x, a, b, value=2.5), torch.addcmul(tx, ta, tb, value=2.5))
    (m, v), (tm, tv) = both(np.ones((2, 3), dtype=np.int64), np.arange(3))
    same(pullback.addmv(x, m, v, beta=0.2, alpha=1.6), torch.addmv(tx, tm, tv, beta=0.2, alpha=1.6))
    raises_as_torch(lambda: pullback.addr(m, a, v, beta=0.5), lambda: torch.addr(tm, ta, tv, beta=0.5))
    raises_as_torch(lambda: pullback.addcdiv(x, a, b), lambda: torch.addcdiv(tx, ta, tb))


@pytest.mark.parametrize("call", [
    lambda m, r: m.addmv(r(2), r(2, 3, 4), r(3)),
    lambda m, r: m.addmv(r(5), r(2, 3), r(3)),
    lambda m, r: m.addmv(r(2), r(2, 3), r(4)),
    lambda m, r: m.addmv(r(2), r(2, 3), r(3).double()),
    lambda m, r: m.addr(r(2, 3), r(2, 1), r(3)),
    lambda m, r: m.addr(r(2, 4), r(2), r(3)),
    lambda m, r: m.baddbmm(r(2, 3, 5), r(3, 4), r(2, 4, 5)),
    lambda m, r: m.baddbmm(r(2, 3, 5), r(2, 3, 4), r(3, 4, 5)),
    lambda m, r: m.baddbmm(r(2, 3, 6), r(2, 3, 4), r(2, 4, 5)),
    lambda m, r: m.addbmm(r(3, 5), r(2, 3, 4), r(3, 4, 5)),
    lambda m, r: m.addbmm(r(3, 5), r(2, 3, 4), r(2, 3, 5)),
    lambda m, r: m.addbmm(r(3, 5), r(2, 3, 4), r(2, 4, 5).double()),
    lambda m, r: m.addcmul(r(3), r(3), r(4)),
    lambda m, r: m.addcmul(r(3).bool(), r(3).bool(), r(3).bool()),
    lambda m, r: m.vdot(r(3), r(4)),
    lambda m, r: m.vdot(r(3), r(3).double()),
    lambda m, r: m.vdot(r(3, 1), r(3)),
    lambda m, r: m.tensordot(r(2, 3), r(3, 4), dims=-1),
    lambda m, r: m.tensordot(r(2, 3), r(3, 4), dims=3),
    lambda m, r: m.tensordot(r(2, 3), r(4, 3), dims=([0], [1])),
    lambda m, r: m.tensordot(r(2, 3), r(4, 3), dims=([0, 1], [1])),
    lambda m, r: m.tensordot(r(2, 3), r(3, 4).double(), dims=1),
], ids=lambda c: "")
def test_product_errors(call):
    raises_as_torch(lambda: call(pullback, lambda *s: pullback.ones(*s)), lambda: call(torch, lambda *s: torch.ones(*s)))


@pytest.mark.parametrize("dims", [0, 1, ([0, 1], [1, 0]), ([1, 0], [0, 1]), [[0], [1]], "tensor1", "tensor2"])
def test_tensordot_dims_forms(dims):
    (a, b), (ta, tb) = both(randn(2, 3), randn(3, 2))
    if dims == "tensor1":
        pd, td = pullback.tensor(1), torch.tensor(1)
    elif dims == "tensor2":
        pd, td = pullback.tensor([[1], [0]]), torch.tensor([[1], [0]])
    else:
        pd = td = dims
    same(pullback.tensordot(a, b, dims=pd), torch.tensordot(ta, tb, dims=td))


def test_tensordot_0dim_and_integers():
    (s, v), (ts, tv) = both(np.array(2.0), randn(3))
    same(pullback.tensordot(s, v, dims=0), torch.tensordot(ts, tv, dims=0))
    (a, b), (ta, tb) = both(np.arange(6).reshape(2, 3), np.arange(6).reshape(3, 2))
    same(pullback.tensordot(a, b, dims=1), torch.tensordot(ta, tb, dims=1))


def test_kron_shapes_and_second_order():
    for sa, sb in [((2, 3), (4,)), ((), (3,)), ((2, 1, 2), (3, 2)), ((0, 2), (3,))]:
        (a, b), (ta, tb) = both(randn(*sa), randn(*sb), requires_grad=True)
        out, tout = pullback.kron(a, b), torch.kron(ta, tb)
        same(out, tout)
        assert out.grad_fn.name() == tout.grad_fn.name()
    (a, b), (ta, tb) = both(randn(2, 2), randn(2, 3), requires_grad=True)
    ga, = pullback.autograd.grad((pullback.kron(a, b) ** 2).sum(), a, create_graph=True)
    tga, = torch.autograd.grad((torch.kron(ta, tb) ** 2).sum(), ta, create_graph=True)
    same(pullback.autograd.grad(ga.sum(), b)[0], torch.autograd.grad(tga.sum(), tb)[0], rtol=1e-10)


def test_fused_grad_fn_names():
    (x, a, b), (tx, ta, tb) = both(randn(2, 3), randn(2, 4), randn(4, 3), requires_grad=True)
    (v,), (tv,) = both(randn(2), requires_grad=True)
    for f in (lambda m, x, a, b, v: m.addcmul(x, x, x), lambda m, x, a, b, v: m.addcdiv(x, x, x),
              lambda m, x, a, b, v: m.addmv(v, a, b[:, 0]), lambda m, x, a, b, v: m.addr(x, v, b[0]),
              lambda m, x, a, b, v: m.vdot(v, v), lambda m, x, a, b, v: m.tensordot(a, b, 1)):
        assert f(pullback, x, a, b, v).grad_fn.name() == f(torch, tx, ta, tb, tv).grad_fn.name()


# ------------------------------------------------------------------ splitting, stacking, views
def test_atleast_forms():
    (x, s), (tx, ts) = both(randn(3), np.array(2.0))
    assert pullback.atleast_1d(x) is x and torch.atleast_1d(tx) is tx
    same(pullback.atleast_1d(s), torch.atleast_1d(ts))
    same(pullback.atleast_2d([x, s]), torch.atleast_2d([tx, ts]))
    same(pullback.atleast_3d((x,)), torch.atleast_3d((tx,)))
    assert pullback.atleast_1d() == torch.atleast_1d() == ()
    assert isinstance(pullback.atleast_1d([x]), tuple)


def test_atleast_3d_is_a_view():
    x = pullback.zeros(2, 3)
    v = pullback.atleast_3d(x)
    v[0, 0, 0] = 5.0
    assert x[0, 0].item() == 5.0


@pytest.mark.parametrize("call", [
    lambda m, x: m.tensor_split(x, [3, 1], dim=1),
    lambda m, x: m.tensor_split(x, [-2, 10], dim=-1),
    lambda m, x: m.tensor_split(x, 4, dim=1),
    lambda m, x: m.tensor_split(x, m.tensor(2)),
    lambda m, x: m.tensor_split(x, m.tensor([1, 3]), 1),
    lambda m, x: x.tensor_split(3, 1),
    lambda m, x: x.hsplit(5),
    lambda m, x: x.vsplit([1]),
    lambda m, x: x.unsqueeze(0).dsplit(5),
    lambda m, x: x.split_with_sizes([2, 3], 1),
    lambda m, x: x.fliplr(), lambda m, x: x.flipud(), lambda m, x: x.ravel(),
    lambda m, x: x.rot90(2, [1, 0]), lambda m, x: x.rot90(0), lambda m, x: x.rot90(5, [-1, 0]),
    lambda m, x: x.diag_embed(), lambda m, x: x.diagflat(2), lambda m, x: m.diagflat(x[0, 0], -1),
], ids=lambda c: "")
def test_view_ops_and_methods(call):
    (x,), (tx,) = both(randn(2, 5), requires_grad=True)
    out, tout = call(pullback, x), call(torch, tx)
    same(out, tout)
    seq = out if isinstance(out, tuple) else (out,)
    tseq = tout if isinstance(tout, tuple) else (tout,)
    w = [RNG.standard_normal(tuple(o.shape)) for o in tseq]
    g = pullback.autograd.grad([o for o in seq], x, [pullback.tensor(a) for a in w], allow_unused=True)[0]
    tg = torch.autograd.grad([o for o in tseq], tx, [torch.tensor(a) for a in w], allow_unused=True)[0]
    same(g, tg)


@pytest.mark.parametrize("call", [
    lambda m, r: m.hsplit(r(), 2), lambda m, r: m.hsplit(r(2, 5), 2), lambda m, r: m.vsplit(r(5), 2),
    lambda m, r: m.dsplit(r(5, 2), 2), lambda m, r: m.vsplit(r(5, 2), 2), lambda m, r: m.hsplit(r(2, 4), 0),
    lambda m, r: m.tensor_split(r(), 2), lambda m, r: m.tensor_split(r(5), 0),
    lambda m, r: m.tensor_split(r(5), m.tensor([1.0])), lambda m, r: m.tensor_split(r(5), m.tensor([[1]])),
    lambda m, r: m.split_with_sizes(r(5), [2, 2]),
    lambda m, r: m.fliplr(r(3)), lambda m, r: m.flipud(r()),
    lambda m, r: m.rot90(r(2, 3), 1, [0, 1, 2]), lambda m, r: m.rot90(r(3), 1, [0, 1]),
    lambda m, r: m.rot90(r(3, 3), 1, [0, 0]), lambda m, r: m.rot90(r(3, 3), 1, [0, 2]),
    lambda m, r: m.rot90(r(3, 3), 1, [0, -2]),
    lambda m, r: m.diag_embed(r(2, 3), 1, 0, 0), lambda m, r: m.diag_embed(r(2, 3), 1, 0, 3),
    lambda m, r: m.block_diag(r(2, 3, 3)),
    lambda m, r: m.cartesian_prod(r(2, 2)), lambda m, r: m.combinations(r(3, 3)),
    lambda m, r: m.combinations(r(3), -1),
    lambda m, r: m.meshgrid(r(2), r(3).double(), indexing="xy"),
    lambda m, r: m.meshgrid(r(2), r(3), indexing="foo"),
    lambda m, r: m.column_stack([r(2), r(2, 3), r()]), lambda m, r: m.diag_embed(r(), -1),
], ids=lambda c: "")
def test_split_and_stack_errors(call):
    raises_as_torch(lambda: call(pullback, lambda *s: pullback.ones(s)), lambda: call(torch, lambda *s: torch.ones(s)))


def test_block_diag_promotes_and_degenerate_cases():
    (a, b, c), (ta, tb, tc) = both(randn(2, 3), np.arange(2), np.array(True))
    same(pullback.block_diag(a, b, c), torch.block_diag(ta, tb, tc))
    same(pullback.block_diag(), torch.block_diag())
    same(pullback.block_diag(pullback.ones(0, 2), b), torch.block_diag(torch.ones(0, 2), tb))


def test_combinations_and_products_edge_cases():
    (x,), (tx,) = both(randn(3))
    for r in (0, 1, 3, 4):
        for rep in (False, True):
            same(pullback.combinations(x, r, with_replacement=rep), torch.combinations(tx, r, with_replacement=rep))
    assert pullback.cartesian_prod(x) is x
    (y,), (ty,) = both(randn(4))
    same(pullback.cartesian_prod(x, y, x), torch.cartesian_prod(tx, ty, tx))
    (i,), (ti,) = both(np.arange(4))
    raises_as_torch(lambda: pullback.cartesian_prod(x, i), lambda: torch.cartesian_prod(tx, ti))


def test_meshgrid_forms():
    (x, y, s), (tx, ty, ts) = both(randn(2), randn(3), np.array(1.5))
    with pytest.warns(UserWarning, match="indexing"):
        grids = pullback.meshgrid(x, y)
    same(grids, torch.meshgrid(tx, ty, indexing="ij"))
    same(pullback.meshgrid([x, s, y], indexing="xy"), torch.meshgrid([tx, ts, ty], indexing="xy"))
    same(pullback.meshgrid(x, indexing="xy"), torch.meshgrid(tx, indexing="xy"))


# -------------------------------------------------------------------------- scatters and indices
def idx(m, values):
    return m.tensor(values)


@pytest.mark.parametrize("name,args", [
    ("index_add", lambda m: (1, idx(m, [0, 0, 2]), m.ones(2, 3, dtype=m.float64))),
    ("index_copy", lambda m: (0, idx(m, [1, 0]), m.ones(2, 4, dtype=m.float64))),
    ("index_fill", lambda m: (1, idx(m, [3, -1]), 2.5)),
    ("index_put", lambda m: ((idx(m, [0, 1]), idx(m, [1, 1])), m.tensor(3.0, dtype=m.float64))),
    ("put", lambda m: (idx(m, [7, -1]), m.tensor([1.0, 2.0], dtype=m.float64))),
    ("masked_scatter", lambda m: (m.tensor([True, False, False, True]), m.ones(8, dtype=m.float64))),
])
def test_index_inplace_forms(name, args):
    (p,), (t,) = both(randn(2, 4))
    same(getattr(p, name)(*args(pullback)), getattr(t, name)(*args(torch)))
    r = getattr(p, name + "_")(*args(pullback))
    getattr(t, name + "_")(*args(torch))
    assert r is p
    same(p, t)


def test_index_put_accumulate_repeats_and_mask():
    (x, v), (tx, tv) = both(randn(3, 2), randn(2), requires_grad=True)
    i = (idx(pullback, [1, 1]),)
    ti = (idx(torch, [1, 1]),)
    out, tout = pullback.index_put(x, i, v, accumulate=True), torch.index_put(tx, ti, tv, accumulate=True)
    same(out, tout)
    w = randn(3, 2)
    same(pullback.autograd.grad(out, v, pullback.tensor(w))[0], torch.autograd.grad(tout, tv, torch.tensor(w))[0])
    mask = np.array([[True, False], [False, False], [True, True]])
    same(pullback.index_put(x, (pullback.tensor(mask),), pullback.tensor(0.5, dtype=pullback.float64)),
         torch.index_put(tx, (torch.tensor(mask),), torch.tensor(0.5, dtype=torch.float64)))


def test_index_ops_on_0dim_and_empty():
    (s, v), (ts, tv) = both(np.array(1.5), np.array(4.0))
    same(pullback.index_add(s, 0, idx(pullback, [0]), v), torch.index_add(ts, 0, idx(torch, [0]), tv))
    same(pullback.index_copy(s, 0, idx(pullback, [0]), v), torch.index_copy(ts, 0, idx(torch, [0]), tv))
    same(pullback.index_fill(s, 0, idx(pullback, [0]), -1), torch.index_fill(ts, 0, idx(torch, [0]), -1))
    (x, e), (tx, te) = both(randn(2, 3), np.zeros((2, 0)))
    empty_p, empty_t = pullback.tensor([], dtype=pullback.int64), torch.tensor([], dtype=torch.int64)
    same(pullback.index_add(x, 1, empty_p, e), torch.index_add(tx, 1, empty_t, te))
    same(pullback.take(x, empty_p), torch.take(tx, empty_t))
    same(pullback.take(s, idx(pullback, 0)), torch.take(ts, idx(torch, 0)))
    same(pullback.put(s, idx(pullback, [0]), v.reshape(1)), torch.put(ts, idx(torch, [0]), tv.reshape(1)))


@pytest.mark.parametrize("call", [
    lambda m, r: m.select_scatter(r(2, 3), r(3), 0, 2),
    lambda m, r: m.select_scatter(r(2, 3), r(2), 0, 0),
    lambda m, r: m.slice_scatter(r(4, 3), r(3, 3), 0, 0, 2),
    lambda m, r: m.diagonal_scatter(r(3, 3), r(2)),
    lambda m, r: m.index_add(r(3, 2), 0, idx(m, [0, 2]), r(2)),
    lambda m, r: m.index_add(r(3, 2), 0, idx(m, [0, 3]), r(2, 2)),
    lambda m, r: m.index_add(r(3, 2), 0, idx(m, [0, 1]), r(2, 2).double()),
    lambda m, r: m.index_add(r(3, 2), 0, idx(m, [0.0, 1.0]), r(2, 2)),
    lambda m, r: m.index_copy(r(3, 2), 0, idx(m, [0, 1]), r(3, 2)),
    lambda m, r: m.index_copy(r(3, 2), 0, idx(m, [0, 1]), r(2, 2).double()),
    lambda m, r: m.index_fill(r(3, 2), 0, idx(m, [0, 1]), r(2)),
    lambda m, r: m.index_fill(r(3, 2), 0, idx(m, [[0, 1]]), 1.0),
    lambda m, r: m.take(r(2, 2), idx(m, [4])),
    lambda m, r: m.take(r(2, 2), idx(m, [-5])),
    lambda m, r: m.take(r(2, 2), idx(m, [1]).int()),
    lambda m, r: m.put(r(2, 2), idx(m, [4]), r(1)),
    lambda m, r: m.put(r(2, 2), idx(m, [0, 1]), r(1)),
    lambda m, r: m.put(r(2, 2), idx(m, [0]), r(1).double()),
    lambda m, r: m.masked_scatter(r(3), idx(m, [True, True, True]), r(2)),
    lambda m, r: m.masked_scatter(r(3), idx(m, [True, True, True]), r(3).double()),
    lambda m, r: m.repeat_interleave(r(3), idx(m, [1, 2])),
    lambda m, r: m.repeat_interleave(r(3), idx(m, [1, -2, 1])),
    lambda m, r: m.repeat_interleave(idx(m, [1.0, 2.0])),
    lambda m, r: m.repeat_interleave(idx(m, [[1, 2]])),
    lambda m, r: m.tril_indices(-1, 2), lambda m, r: m.triu_indices(2, -3),
    lambda m, r: m.unravel_index(idx(m, [6]), (2, 3.0)), lambda m, r: m.unravel_index(idx(m, [6]), (2, 0)),
    lambda m, r: m.index_copy(r(3, 2, 4), 0, idx(m, [0, 1]), r(2, 3, 4)),
    lambda m, r: m.index_copy(r(3, 2), 0, idx(m, [0, 1]), r(4)),
    lambda m, r: m.index_copy(r(3, 2), 0, idx(m, [0, 3]), r(2, 2)),
    lambda m, r: m.index_copy(r(3, 2), 0, idx(m, [[0, 1]]), r(2, 2)),
    lambda m, r: m.index_copy(r(3, 2), 0, idx(m, [0.0, 1.0]), r(2, 2)),
    lambda m, r: m.index_add(r(3, 2), 0, idx(m, [[0, 1]]), r(2, 2)),
    lambda m, r: m.index_add(r(3, 2), 0, idx(m, [0, 1]), r(3, 2)),
    lambda m, r: m.index_add(r(3, 2), 0, idx(m, [0, -4]), r(2, 2)),
    lambda m, r: m.index_fill(r(3, 2), 0, idx(m, [0, 3]), 1.0),
    lambda m, r: m.index_fill(r(3, 2), 0, idx(m, [0.0, 1.0]), 1.0),
    lambda m, r: m.masked_scatter(r(3), idx(m, [True, True]), r(3)),
    lambda m, r: m.repeat_interleave(r(3), -1), lambda m, r: m.repeat_interleave(r(3), idx(m, [1.0, 2.0, 1.0])),
    lambda m, r: m.repeat_interleave(idx(m, [1, -2])),
    lambda m, r: m.repeat_interleave(r(2, 3), idx(m, [1, 2]), dim=0, output_size=5),
    lambda m, r: m.tril_indices(2, 2, dtype=m.float32),
    lambda m, r: m.take(r(2, 2), idx(m, [4])), lambda m, r: m.put(r(2, 2), idx(m, [1]).int(), r(1)),
    lambda m, r: m.select_scatter(r(2, 3), r(3), 0, 2),
    lambda m, r: m.unravel_index(idx(m, [1]), (2, -3)),
], ids=lambda c: "")
def test_scatter_and_index_errors(call):
    raises_as_torch(lambda: call(pullback, lambda *s: pullback.ones(s)), lambda: call(torch, lambda *s: torch.ones(s)))


@pytest.mark.parametrize("row,col,offset", [(3, 3, 0), (4, 2, 1), (2, 5, -1), (0, 3, 0), (3, 3, 10), (3, 3, -10)])
def test_triangle_indices(row, col, offset):
    same(pullback.tril_indices(row, col, offset), torch.tril_indices(row, col, offset))
    same(pullback.triu_indices(row, col, offset, dtype=pullback.int32),
         torch.triu_indices(row, col, offset, dtype=torch.int32))


def test_unravel_index_and_repeat_counts():
    with pytest.raises(TypeError, match="expected 'indices' to be integer dtype, but got pullback.float32"):
        pullback.unravel_index(pullback.tensor([1.0]), (2, 3))  # (torch names its own dtype: torch.float32)
    for values, shape in [([4, 1, -1], (2, 3)), ([[0, 5]], (6,)), (3, (2, 2)), ([6, 7, -7, 13], (2, 3)), (3, ())]:
        same(pullback.unravel_index(pullback.tensor(values, dtype=pullback.int64), shape),
             torch.unravel_index(torch.tensor(values, dtype=torch.int64), shape))
    same(pullback.repeat_interleave(idx(pullback, [2, 0, 3])), torch.repeat_interleave(idx(torch, [2, 0, 3])))
    (x,), (tx,) = both(randn(2, 3))
    same(x.repeat_interleave(2, dim=0, output_size=4), tx.repeat_interleave(2, dim=0, output_size=4))
    same(pullback.repeat_interleave(x[0, 0], 3), torch.repeat_interleave(tx[0, 0], 3))


# ---------------------------------------------------------------------------------- statistics
def test_var_mean_std_mean_overloads():
    (x,), (tx,) = both(randn(3, 4))
    for args, kwargs in [((), {}), ((1,), {}), ((True,), {}), ((False,), {}), (([0, 1],), {"keepdim": True}),
                         ((1, True, True), {}), ((), {"correction": 0}), ((None,), {"keepdim": True})]:
        same(pullback.var_mean(x, *args, **kwargs), torch.var_mean(tx, *args, **kwargs), rtol=1e-12)
        same(pullback.std_mean(x, *args, **kwargs), torch.std_mean(tx, *args, **kwargs), rtol=1e-12)


def test_cov_weights_and_degenerate():
    (x, f, a), (tx, tf, ta) = both(randn(3, 5), np.array([1, 2, 0, 3, 1]), RNG.uniform(0.1, 1, 5))
    same(pullback.cov(x, fweights=f, aweights=a), torch.cov(tx, fweights=tf, aweights=ta), rtol=1e-12)
    same(pullback.cov(x, correction=0, fweights=f), torch.cov(tx, correction=0, fweights=tf), rtol=1e-12)
    (i,), (ti,) = both(np.arange(6).reshape(2, 3))
    same(pullback.cov(i), torch.cov(ti))
    same(pullback.corrcoef(i), torch.corrcoef(ti))
    with pytest.warns(UserWarning, match="degrees of freedom"):
        p = pullback.cov(x[:, :1])
    with pytest.warns(UserWarning):
        t = torch.cov(tx[:, :1])
    same(p, t)
    same(pullback.corrcoef(x[0]), torch.corrcoef(tx[0]))


@pytest.mark.parametrize("call", [
    lambda m, r: m.cov(r(2, 2, 2)),
    lambda m, r: m.cov(r(2, 3), fweights=r(3)),
    lambda m, r: m.cov(r(2, 3), aweights=m.tensor([1, 1, 1])),
    lambda m, r: m.cov(r(2, 3), fweights=m.tensor([1, 1])),
    lambda m, r: m.cov(r(2, 3), fweights=m.tensor([[1, 1, 1]])),
    lambda m, r: m.cov(r(2, 3), fweights=m.tensor([1, -1, 1])),
    lambda m, r: m.cov(r(2, 3), aweights=-r(3)),
    lambda m, r: m.corrcoef(r(2, 2, 2)),
    lambda m, r: m.diff(r()), lambda m, r: m.diff(r(3), -1), lambda m, r: m.diff(r(3), 1, 0, r(2, 1)),
    lambda m, r: m.diff(r(3), 1, 1),
    lambda m, r: m.trapezoid(r(3), r(2)),
    lambda m, r: m.renorm(r(2, 3), 0, 0, 1.0), lambda m, r: m.renorm(r(2, 3), 2, 0, -1.0),
    lambda m, r: m.renorm(r(3), 2, 0, 1.0), lambda m, r: m.renorm(r(2, 2).long(), 2, 0, 1.0),
], ids=lambda c: "")
def test_statistics_errors(call):
    raises_as_torch(lambda: call(pullback, lambda *s: pullback.ones(s)), lambda: call(torch, lambda *s: torch.ones(s)))


def test_diff_bool_and_orders():
    (b,), (tb,) = both(RNG.integers(0, 2, (3, 5)).astype(bool))
    for n in (0, 1, 2, 6):
        same(pullback.diff(b, n), torch.diff(tb, n))
    (x, p), (tx, tp) = both(randn(2, 3), randn(2, 1))
    same(pullback.diff(x, 3, 1, prepend=p, append=p), torch.diff(tx, 3, 1, prepend=tp, append=tp))


def test_trapezoid_forms():
    (y, x, x2), (ty, tx, tx2) = both(randn(3, 4), randn(4), randn(3, 4))
    same(pullback.trapezoid(y), torch.trapezoid(ty))
    same(pullback.trapezoid(y, x), torch.trapezoid(ty, tx))
    same(pullback.trapezoid(y, x2), torch.trapezoid(ty, tx2))
    raises_as_torch(lambda: pullback.trapezoid(y, 0.5, dim=0), lambda: torch.trapezoid(ty, 0.5, dim=0))
    raises_as_torch(lambda: pullback.trapz(y, 0.5), lambda: torch.trapz(ty, 0.5))
    raises_as_torch(lambda: pullback.cumulative_trapezoid(y, 0.5), lambda: torch.cumulative_trapezoid(ty, 0.5))
    same(pullback.trapz(y, dx=2), torch.trapz(ty, dx=2))
    same(pullback.trapz(y, x), torch.trapz(ty, tx))
    same(pullback.cumulative_trapezoid(y, dx=3, dim=0), torch.cumulative_trapezoid(ty, dx=3, dim=0))
    same(pullback.cumulative_trapezoid(y, x2), torch.cumulative_trapezoid(ty, tx2))
    (e,), (te,) = both(np.zeros((2, 0)))
    same(pullback.trapezoid(e), torch.trapezoid(te))
    (i,), (ti,) = both(np.arange(6).reshape(2, 3))
    same(pullback.trapezoid(i), torch.trapezoid(ti))
    same(pullback.cumulative_trapezoid(i), torch.cumulative_trapezoid(ti))


def test_renorm_inplace_and_second_order():
    (x,), (tx,) = both(randn(3, 4) * 2, requires_grad=True)
    out, tout = x.renorm(2, 1, 1.0), tx.renorm(2, 1, 1.0)
    same(out, tout, rtol=1e-12)
    g, = pullback.autograd.grad((out ** 3).sum(), x, create_graph=True)
    tg, = torch.autograd.grad((tout ** 3).sum(), tx, create_graph=True)
    same(g, tg, rtol=1e-9)
    same(pullback.autograd.grad(g.sum(), x)[0], torch.autograd.grad(tg.sum(), tx)[0], rtol=1e-8)
    (y,), (ty,) = both(randn(2, 3))
    y.renorm_(1, 0, 0.5)
    ty.renorm_(1, 0, 0.5)
    same(y, ty)


# ------------------------------------------------------------------------- the *_copy variants
@pytest.mark.parametrize("name,args", [
    ("t_copy", ()), ("expand_copy", ((2, 2, 3),)), ("view_copy", ((3, 2),)), ("alias_copy", ()),
    ("narrow_copy", (1, 1, 2)), ("permute_copy", ((1, 0),)), ("diagonal_copy", (1,)),
    ("split_with_sizes_copy", ([1, 2], 1)), ("unbind_copy", (1,)), ("unfold_copy", (1, 2, 1)),
    ("squeeze_copy", ()), ("unsqueeze_copy", (1,)), ("transpose_copy", (0, 1)),
])
def test_copy_variants_copy(name, args):
    (x,), (tx,) = both(randn(2, 3), requires_grad=True)
    out, tout = getattr(pullback, name)(x, *args), getattr(torch, name)(tx, *args)
    same(out, tout)
    outs = out if isinstance(out, tuple) else (out,)
    touts = tout if isinstance(tout, (tuple, list)) else (tout,)
    for o in outs:
        assert not np.shares_memory(o.detach().numpy(), x.detach().numpy())
    w = [RNG.standard_normal(tuple(o.shape)) for o in touts]
    same(pullback.autograd.grad(list(outs), x, [pullback.tensor(a) for a in w])[0],
         torch.autograd.grad(list(touts), tx, [torch.tensor(a) for a in w])[0])


# ------------------------------------------------------------------------------ scatter_reduce
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_ties(reduce, include_self):
    x0 = np.array([[1.0, 2.0, 2.0], [0.0, -1.0, 3.0]])
    s0 = np.array([[2.0, 2.0, 0.0, 1.0], [3.0, -1.0, 3.0, 0.0]])
    index = [[0, 0, 2, 1], [2, 1, 2, 0]]
    (x, s), (tx, ts) = both(x0, s0, requires_grad=True)
    out = pullback.scatter_reduce(x, 1, pullback.tensor(index), s, reduce, include_self=include_self)
    tout = torch.scatter_reduce(tx, 1, torch.tensor(index), ts, reduce, include_self=include_self)
    same(out, tout, rtol=1e-12)
    w = randn(2, 3)
    g = pullback.autograd.grad(out, [x, s], pullback.tensor(w))
    tg = torch.autograd.grad(tout, [tx, ts], torch.tensor(w))
    same(g, tg, rtol=1e-12)
    y = x.clone().detach()
    r = y.scatter_reduce_(1, pullback.tensor(index), s.detach(), reduce, include_self=include_self)
    assert r is y
    same(y, tout)


def test_scatter_reduce_old_names():
    (x, s), (tx, ts) = both(randn(2, 3), randn(2, 3))
    for name in ("max", "min"):
        same(pullback.scatter_reduce(x, 1, idx(pullback, [[0, 1, 1]]), s, name),
             torch.scatter_reduce(tx, 1, idx(torch, [[0, 1, 1]]), ts, name))


@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("reduce", ["sum", "prod", "amax", "amin", "mean"])
def test_scatter_reduce_integer_and_bool(dtype, reduce):
    x0, s0 = RNG.integers(-3, 4, (3, 2)), RNG.integers(-3, 4, (4, 2))
    (x, s), (tx, ts) = both(x0.astype(dtype), s0.astype(dtype))
    index = [[0, 2], [0, 0], [2, 1], [0, 2]]
    if dtype == "bool" and reduce == "mean":  # torch has no kernel for it
        raises_as_torch(lambda: pullback.scatter_reduce(x, 0, pullback.tensor(index), s, reduce),
                        lambda: torch.scatter_reduce(tx, 0, torch.tensor(index), ts, reduce))
        return
    for include_self in (True, False):
        same(pullback.scatter_reduce(x, 0, pullback.tensor(index), s, reduce, include_self=include_self),
             torch.scatter_reduce(tx, 0, torch.tensor(index), ts, reduce, include_self=include_self))


def test_scatter_reduce_src_larger_than_index():
    """A gradient for all of src (zero where the index does not reach); torch's backward refuses this
    case ("invalid gradient at index 1"), so the values are checked against its forward only."""
    (x, s), (tx, ts) = both(randn(2, 3), randn(2, 4), requires_grad=True)
    index = [[0, 0, 2], [1, 2, 1]]
    out = pullback.scatter_reduce(x, 1, pullback.tensor(index), s, "sum", include_self=False)
    same(out, torch.scatter_reduce(tx, 1, torch.tensor(index), ts, "sum", include_self=False))
    gs = pullback.autograd.grad(out.sum(), s)[0]
    np.testing.assert_array_equal(gs.numpy(), [[1, 1, 1, 0], [1, 1, 1, 0]])


@pytest.mark.parametrize("call", [
    lambda m, r: m.scatter_reduce(r(2, 3), 1, idx(m, [[0, 1]]), r(2, 3), "add"),
    lambda m, r: m.scatter_reduce(r(2, 3), 1, idx(m, [[0, 3]]), r(2, 3), "sum"),
    lambda m, r: m.scatter_reduce(r(2, 3), 1, idx(m, [0, 1]), r(2, 3), "sum"),
    lambda m, r: m.scatter_reduce(r(2, 3), 1, idx(m, [[0, 1]]), r(2, 3).double(), "sum"),
    lambda m, r: m.scatter_reduce(r(2, 3), 1, idx(m, [[0, 1, 1, 1]]), r(2, 3), "amax"),
], ids=lambda c: "")
def test_scatter_reduce_errors(call):
    raises_as_torch(lambda: call(pullback, lambda *s: pullback.ones(s)), lambda: call(torch, lambda *s: torch.ones(s)))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_values_grads_inplace(reduce, include_self):
    (x, s), (tx, ts) = both(np.array([[1.0, 0.0], [2.0, 2.0], [-1.0, 3.0]]),
                            np.array([[2.0, 0.0], [2.0, -1.0], [0.5, 3.0], [1.0, 1.0]]), requires_grad=True)
    i = [0, 0, 2, 0]
    out = pullback.index_reduce(x, 0, idx(pullback, i), s, reduce, include_self=include_self)
    tout = torch.index_reduce(tx, 0, idx(torch, i), ts, reduce, include_self=include_self)
    same(out, tout, rtol=1e-12)
    assert out.grad_fn.name() == tout.grad_fn.name()
    w = randn(3, 2)
    same(pullback.autograd.grad(out, [x, s], pullback.tensor(w)), torch.autograd.grad(tout, [tx, ts], torch.tensor(w)),
         rtol=1e-12)
    y, ty = x.detach().clone(), tx.detach().clone()
    assert y.index_reduce_(0, idx(pullback, i), s.detach(), reduce, include_self=include_self) is y
    ty.index_reduce_(0, idx(torch, i), ts.detach(), reduce, include_self=include_self)
    same(y, ty)


@pytest.mark.parametrize("call", [
    lambda m, r: m.index_reduce(r(3, 2), 0, idx(m, [0, 1]), r(2, 2), "sum"),
    lambda m, r: m.index_reduce(r(3, 2), 0, idx(m, [[0, 1]]), r(2, 2), "prod"),
    lambda m, r: m.index_reduce(r(3, 2), 0, idx(m, [0.0, 1.0]), r(2, 2), "prod"),
    lambda m, r: m.index_reduce(r(3, 2), 0, idx(m, [0, 1]), r(2, 2).double(), "prod"),
    lambda m, r: m.index_reduce(r(3, 2), 0, idx(m, [0, 1]), r(3, 2), "prod"),
    lambda m, r: m.index_reduce(r(3, 2), 0, idx(m, [0, 3]), r(2, 2), "prod"),
    lambda m, r: m.index_reduce(r(3, 2), 0, idx(m, [0, -1]), r(2, 2), "prod"),
    lambda m, r: m.index_reduce(r(3, 2), 0, idx(m, [0, 1]), r(2, 3), "prod"),
], ids=lambda c: "")
def test_index_reduce_errors(call):
    raises_as_torch(lambda: call(pullback, lambda *s: pullback.ones(s)), lambda: call(torch, lambda *s: torch.ones(s)))


# -------------------------------------------------------------------------------------- gradient
@pytest.mark.parametrize("kwargs", [
    {}, {"spacing": 2.0}, {"edge_order": 2}, {"dim": 1}, {"dim": [-1, 0], "spacing": [0.5, 3.0]},
    {"spacing": [2.0, 1.5, 1.0], "edge_order": 2},
])
def test_gradient_uniform(kwargs):
    (x,), (tx,) = both(randn(3, 4, 5), requires_grad=True)
    out, tout = pullback.gradient(x, **kwargs), torch.gradient(tx, **kwargs)
    same(out, tout, rtol=1e-12)
    w = [randn(*o.shape) for o in tout]
    same(pullback.autograd.grad(list(out), x, [pullback.tensor(a) for a in w])[0],
         torch.autograd.grad(list(tout), tx, [torch.tensor(a) for a in w])[0], rtol=1e-12)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_coordinates_and_integers(edge_order):
    (x, c0, c1), (tx, tc0, tc1) = both(randn(3, 4), np.array([0.0, 0.3, 1.0]), np.array([-1.0, 0.0, 2.0, 2.5]))
    same(pullback.gradient(x, spacing=[c0, c1], edge_order=edge_order),
         torch.gradient(tx, spacing=[tc0, tc1], edge_order=edge_order), rtol=1e-12)
    (i, ci), (ti, tci) = both(np.arange(12).reshape(3, 4) ** 2, np.array([0, 1, 3, 4]))
    same(pullback.gradient(i, spacing=(ci,), dim=1, edge_order=edge_order),
         torch.gradient(ti, spacing=(tci,), dim=1, edge_order=edge_order))
    same(pullback.gradient(i, edge_order=edge_order), torch.gradient(ti, edge_order=edge_order))


@pytest.mark.parametrize("call", [
    lambda m, r: m.gradient(r(3, 3), spacing=[0.1], dim=[1, 0]),
    lambda m, r: m.gradient(r(3, 3), edge_order=3),
    lambda m, r: m.gradient(r(3, 3), spacing=0.1, dim=[1, 1]),
    lambda m, r: m.gradient(r(3, 3), dim=3),
    lambda m, r: m.gradient(r(3, 1)),
    lambda m, r: m.gradient(r(2, 2), edge_order=2),
    lambda m, r: m.gradient(r(3), spacing=r(3)),
    lambda m, r: m.gradient(r(3), spacing=(m.tensor(2.0),)),
], ids=lambda c: "")
def test_gradient_errors(call):
    raises_as_torch(lambda: call(pullback, lambda *s: pullback.ones(s)), lambda: call(torch, lambda *s: torch.ones(s)))


def test_batched_indices_are_refused_under_vmap():
    """Index values read per call cannot be read per sample: vmap says so instead of mixing samples."""
    x = pullback.ones(3, 4)
    batched = pullback.tensor([[0, 1], [2, 3], [1, 1]])
    with pytest.raises(RuntimeError, match="vmap: take"):
        pullback.vmap(lambda i: pullback.take(x[0], i))(batched)
    with pytest.raises(RuntimeError, match="vmap: index_add"):
        pullback.vmap(lambda i: pullback.index_add(x[0], 0, i, pullback.ones(2)))(batched)
    out = pullback.vmap(lambda r: pullback.index_add(r, 0, pullback.tensor([0, 0]), pullback.ones(2)))(x)
    np.testing.assert_array_equal(out.numpy(), torch.ones(3, 4).index_add(1, torch.tensor([0, 0]), torch.ones(3, 2)))


def test_index_put_accumulate_with_a_mask_beside_indices():
    (x, v), (tx, tv) = both(randn(2, 3), np.array(1.5), requires_grad=True)
    pi = (pullback.tensor([True, False]), pullback.tensor([0, 0]))
    ti = (torch.tensor([True, False]), torch.tensor([0, 0]))
    out, tout = pullback.index_put(x, pi, v, accumulate=True), torch.index_put(tx, ti, tv, accumulate=True)
    same(out, tout)
    same(pullback.index_put(x, pi, v), torch.index_put(tx, ti, tv))
    same(pullback.autograd.grad(out.sum(), v)[0], torch.autograd.grad(tout.sum(), tv)[0])


def test_narrow_copy_method():
    (x,), (tx,) = both(randn(3, 4))
    out = x.narrow_copy(1, 1, 2)
    same(out, tx.narrow_copy(1, 1, 2))
    assert not np.shares_memory(out.numpy(), x.numpy())


def test_index_add_integer_alpha():
    (x, s), (tx, ts) = both(np.zeros(3, dtype=np.int64), np.array([1, 3]))
    for alpha in (2.5, True, -2):
        same(pullback.index_add(x, 0, idx(pullback, [0, 2]), s, alpha=alpha),
             torch.index_add(tx, 0, idx(torch, [0, 2]), ts, alpha=alpha))
