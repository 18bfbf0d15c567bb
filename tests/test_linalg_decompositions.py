"""The decompositions family against torch where the op tables do not reach: error types and
messages, empty and batched inputs, the named tuples, the drivers and tolerances, degenerate
inputs, gradients through several outputs, and transforms (vmap, forward mode) of the
multi-output primitives."""
import warnings

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(1234)


def _arrays(*shapes, sym=False):
    out = []
    for s in shapes:
        a = RNG.standard_normal(s)
        if sym:
            a = a + np.swapaxes(a, -1, -2)
        out.append(a)
    return out


def _lib_args(lib, arrays, requires_grad=False):
    return [lib.tensor(a, requires_grad=requires_grad) for a in arrays]


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flat(x)]
    return [out]


def _as_np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return t.detach().numpy() if isinstance(t, pullback.Tensor) else np.asarray(t)


def _same_values(fn, arrays, rtol=1e-7, atol=1e-9):
    expected = _flat(fn(torch, *_lib_args(torch, arrays)))
    actual = _flat(fn(pullback, *_lib_args(pullback, arrays)))
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert tuple(a.shape) == tuple(e.shape)
        assert str(a.dtype).split(".")[-1] == str(e.dtype).split(".")[-1]
        np.testing.assert_allclose(_as_np(a), _as_np(e), rtol=rtol, atol=atol)


def _same_error(fn):
    with pytest.raises(Exception) as expected:
        fn(torch)
    with pytest.raises(type(expected.value)) as actual:
        fn(pullback)
    assert str(actual.value) == str(expected.value)


# ------------------------------------------------------------------------------- error messages
ERRORS = {
    "vector_norm_int": lambda m: m.linalg.vector_norm(m.ones(3, dtype=m.int64)),
    "vector_norm_str_ord": lambda m: m.linalg.vector_norm(m.ones(3), "fro"),
    "vector_norm_dtype_int": lambda m: m.linalg.vector_norm(m.ones(3), dtype=m.int64),
    "vector_norm_narrowing": lambda m: m.linalg.vector_norm(m.ones(3, dtype=m.float64), dtype=m.float32),
    "vector_norm_dup_dims": lambda m: m.linalg.vector_norm(m.ones(2, 3), dim=(0, 0)),
    "vector_norm_inf_empty": lambda m: m.linalg.vector_norm(m.ones(0, 3), float("inf"), dim=-2),
    "matrix_norm_order": lambda m: m.linalg.matrix_norm(m.ones(2, 3), 3),
    "matrix_norm_str_order": lambda m: m.linalg.matrix_norm(m.ones(2, 3), "abc"),
    "matrix_norm_nan_order": lambda m: m.linalg.matrix_norm(m.ones(2, 3), float("nan")),
    "matrix_norm_fraction_order": lambda m: m.linalg.matrix_norm(m.ones(2, 3), 2.5),
    "cond_nan_order": lambda m: m.linalg.cond(m.ones(2, 2), float("nan")),
    "matrix_norm_three_dims": lambda m: m.linalg.matrix_norm(m.ones(2, 3, 4), dim=(0, 1, 2)),
    "matrix_norm_same_dims": lambda m: m.linalg.matrix_norm(m.ones(2, 3, 4), dim=(1, -2)),
    "matrix_norm_1d": lambda m: m.linalg.matrix_norm(m.ones(3)),
    "matrix_norm_int": lambda m: m.linalg.matrix_norm(m.ones(3, 3, dtype=m.int64), "nuc"),
    "matrix_norm_min_of_empty": lambda m: m.linalg.matrix_norm(m.ones(3, 0), -1, keepdim=True),
    "norm_3d_with_ord": lambda m: m.linalg.norm(m.ones(2, 3, 4), 2),
    "norm_three_dims": lambda m: m.linalg.norm(m.ones(2, 3, 4), dim=(0, 1, 2)),
    "norm_fro_one_dim": lambda m: m.linalg.norm(m.ones(2, 3), "fro", dim=1),
    "norm_fro_vector": lambda m: m.linalg.norm(m.ones(3), "fro"),
    "eigh_int": lambda m: m.linalg.eigh(m.ones(3, 3, dtype=m.int64)),
    "eigh_not_square": lambda m: m.linalg.eigh(m.ones(3, 4)),
    "eigh_1d": lambda m: m.linalg.eigh(m.ones(3)),
    "eigh_uplo": lambda m: m.linalg.eigh(m.ones(3, 3), UPLO="X"),
    "eigh_not_tensor": lambda m: m.linalg.eigh("a"),
    "eigvalsh_not_square": lambda m: m.linalg.eigvalsh(m.ones(2, 3)),
    "svd_1d": lambda m: m.linalg.svd(m.ones(3)),
    "svd_int": lambda m: m.linalg.svd(m.ones(3, 3, dtype=m.int64)),
    "svd_not_tensor": lambda m: m.linalg.svd("a"),
    "old_svd_int": lambda m: m.svd(m.ones(3, 3, dtype=m.int64)),
    "svdvals_1d": lambda m: m.linalg.svdvals(m.ones(3)),
    "svd_driver": lambda m: m.linalg.svd(m.ones(3, 3), driver="gesvd"),
    "svdvals_driver": lambda m: m.linalg.svdvals(m.ones(3, 3), driver="gesvd"),
    "qr_mode": lambda m: m.linalg.qr(m.ones(3, 3), mode="x"),
    "qr_1d": lambda m: m.linalg.qr(m.ones(3)),
    "qr_int": lambda m: m.linalg.qr(m.ones(3, 3, dtype=m.int64)),
    "qr_backward_mode_r": lambda m: m.linalg.qr(m.ones(4, 3, requires_grad=True), mode="r")[1].sum().backward(),
    "qr_backward_complete_tall": lambda m: m.linalg.qr(m.ones(4, 3, requires_grad=True), mode="complete")[0]
        .sum().backward(),
    "pinv_1d": lambda m: m.linalg.pinv(m.ones(3)),
    "pinv_int": lambda m: m.linalg.pinv(m.ones(3, 3, dtype=m.int64)),
    "pinv_hermitian_not_square": lambda m: m.linalg.pinv(m.ones(3, 2), hermitian=True),
    "lstsq_int": lambda m: m.linalg.lstsq(m.ones(3, 3, dtype=m.int64), m.ones(3, 3, dtype=m.int64)),
    "lstsq_dtypes": lambda m: m.linalg.lstsq(m.ones(3, 3), m.ones(3, 3, dtype=m.float64)),
    "lstsq_1d": lambda m: m.linalg.lstsq(m.ones(3), m.ones(3)),
    "lstsq_driver": lambda m: m.linalg.lstsq(m.ones(3, 3), m.ones(3, 3), driver="foo"),
    "lstsq_rows": lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(4, 2)),
    "lstsq_batch": lambda m: m.linalg.lstsq(m.ones(3, 4, 4), m.ones(4, 4)),
    "matrix_rank_int": lambda m: m.linalg.matrix_rank(m.ones(3, 3, dtype=m.int64)),
    "matrix_rank_1d": lambda m: m.linalg.matrix_rank(m.ones(3)),
    "cond_not_square": lambda m: m.linalg.cond(m.ones(3, 2), 1),
    "cond_bad_ord": lambda m: m.linalg.cond(m.ones(3, 3), "abc"),
    "cond_bad_number": lambda m: m.linalg.cond(m.ones(3, 3), 3),
    "cond_1d": lambda m: m.linalg.cond(m.ones(3)),
    "matrix_exp_not_square": lambda m: m.linalg.matrix_exp(m.ones(2, 3)),
    "matrix_exp_1d": lambda m: m.matrix_exp(m.ones(3)),
    "matrix_exp_int": lambda m: m.linalg.matrix_exp(m.ones(3, 3, dtype=m.int64)),
    "multi_dot_one": lambda m: m.linalg.multi_dot([m.ones(3, 3)]),
    "multi_dot_last_3d": lambda m: m.linalg.multi_dot([m.ones(3, 3), m.ones(3, 3, 3)]),
    "multi_dot_shapes": lambda m: m.linalg.multi_dot([m.ones(3, 3), m.ones(2, 3)]),
    "multi_dot_dtypes": lambda m: m.linalg.multi_dot([m.ones(3, 3), m.ones(3, 3, dtype=m.float64)]),
    "vecdot_dtypes": lambda m: m.linalg.vecdot(m.ones(3), m.ones(3, dtype=m.float64)),
    "cross_length": lambda m: m.linalg.cross(m.ones(3), m.ones(2)),
    "cross_dtypes": lambda m: m.linalg.cross(m.ones(3), m.ones(3, dtype=m.float64)),
    "cross_ndims": lambda m: m.linalg.cross(m.ones(3, 2), m.ones(3), dim=0),
    "cross_default_dim": lambda m: m.linalg.cross(m.ones(3, 2), m.ones(3, 2)),
    "vander_negative": lambda m: m.linalg.vander(m.ones(3), N=-1),
    "vander_one": lambda m: m.linalg.vander(m.ones(3), N=1),
    "vander_bool": lambda m: m.linalg.vander(m.tensor([True, False])),
    "householder_1d": lambda m: m.linalg.householder_product(m.ones(3), m.ones(1)),
    "householder_wide": lambda m: m.linalg.householder_product(m.ones(2, 3), m.ones(1)),
    "householder_tau_long": lambda m: m.linalg.householder_product(m.ones(3, 2), m.ones(3)),
    "householder_tau_batch": lambda m: m.linalg.householder_product(m.ones(2, 3, 2), m.ones(3, 1)),
    "householder_dtypes": lambda m: m.linalg.householder_product(m.ones(3, 2), m.ones(1, dtype=m.float64)),
    "householder_int": lambda m: m.linalg.householder_product(m.ones(3, 2, dtype=m.int64), m.ones(1, dtype=m.int64)),
    "geqrf_1d": lambda m: m.geqrf(m.ones(3)),
    "geqrf_int": lambda m: m.geqrf(m.ones(3, 3, dtype=m.int64)),
    "geqrf_backward": lambda m: m.geqrf(m.ones(3, 3, requires_grad=True))[0].sum().backward(),
    "ormqr_1d": lambda m: m.ormqr(m.ones(3), m.ones(1), m.ones(3, 3)),
    "ormqr_other_1d": lambda m: m.ormqr(m.ones(3, 2), m.ones(2), m.ones(3)),
    "ormqr_tau_long": lambda m: m.ormqr(m.ones(3, 2), m.ones(3), m.ones(3, 3)),
    "ormqr_tau_short": lambda m: m.ormqr(m.ones(4, 3), m.ones(2), m.ones(4, 2)),
    "ormqr_rows": lambda m: m.ormqr(m.ones(3, 2), m.ones(2), m.ones(4, 3)),
    "ormqr_cols_right": lambda m: m.ormqr(m.ones(3, 2), m.ones(2), m.ones(3, 4), left=False),
    "ormqr_tau_dtype": lambda m: m.ormqr(m.ones(3, 2), m.ones(2, dtype=m.float64), m.ones(3, 3)),
    "ormqr_other_dtype": lambda m: m.ormqr(m.ones(3, 2), m.ones(2), m.ones(3, 3, dtype=m.float64)),
    "ormqr_tau_ndim": lambda m: m.ormqr(m.ones(2, 3, 2), m.ones(2), m.ones(2, 3, 3)),
    "ormqr_batch": lambda m: m.ormqr(m.ones(2, 3, 2), m.ones(2, 2), m.ones(3, 3, 3)),
    "ormqr_int": lambda m: m.ormqr(m.ones(3, 2, dtype=m.int64), m.ones(2, dtype=m.int64), m.ones(3, 3, dtype=m.int64)),
    "tensorinv_ind": lambda m: m.linalg.tensorinv(m.ones(2, 3, 6), ind=0),
    "tensorinv_shape": lambda m: m.linalg.tensorinv(m.ones(2, 3, 5), ind=1),
    "tensorsolve_shape": lambda m: m.linalg.tensorsolve(m.ones(2, 3, 5), m.ones(2, 3)),
}
# half precision: LAPACK has none
for _name, _fn in {"eigh": lambda m, x: m.linalg.eigh(x), "svd": lambda m, x: m.linalg.svd(x),
                   "qr": lambda m, x: m.linalg.qr(x), "pinv": lambda m, x: m.linalg.pinv(x),
                   "matrix_norm_2": lambda m, x: m.linalg.matrix_norm(x, 2),
                   "matrix_norm_nuc": lambda m, x: m.linalg.matrix_norm(x, "nuc"),
                   "cond": lambda m, x: m.linalg.cond(x), "cond_1": lambda m, x: m.linalg.cond(x, 1),
                   "matrix_rank": lambda m, x: m.linalg.matrix_rank(x), "lstsq": lambda m, x: m.linalg.lstsq(x, x),
                   "householder": lambda m, x: m.linalg.householder_product(x, x[:, 0]),
                   "vander": lambda m, x: m.linalg.vander(x[0]), "tensorinv": lambda m, x: m.linalg.tensorinv(x, 1),
                   }.items():
    ERRORS["half_" + _name] = (lambda fn: lambda m: fn(m, (m.eye(3) * 2 + 0.5).to(m.float16)))(_fn)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_torch(name):
    _same_error(ERRORS[name])


# ------------------------------------------------------------------------------------- values
VALUES = {
    "vector_norm_orders": (lambda m, x: [m.linalg.vector_norm(x, o, dim=(0, 2)) for o in (0, 1, 2, 3.5, -1,
                                                                                            float("inf"), -float("inf"))],
                           [(2, 3, 4)]),
    "vector_norm_dtype": (lambda m, x: m.linalg.vector_norm(x.float(), dtype=m.float64), [(2, 3)]),
    "matrix_norm_orders": (lambda m, x: [m.linalg.matrix_norm(x, o, dim=(2, 0), keepdim=k)
                                         for o in ("fro", "nuc", 1, -1, 2, -2, float("inf"), -float("inf"))
                                         for k in (False, True)], [(3, 2, 4)]),
    "matrix_norm_empty": (lambda m, x: [m.linalg.matrix_norm(x, o) for o in ("fro", "nuc", 1, 2, float("inf"))],
                          [(0, 3)]),
    "norm_forms": (lambda m, x: [m.linalg.norm(x), m.linalg.norm(x, dim=1), m.linalg.norm(x[0], 1),
                                 m.linalg.norm(x[0], -2), m.linalg.norm(x, "nuc", dim=(0, 2)),
                                 m.linalg.norm(x, 3, dim=(1,), keepdim=True)], [(2, 3, 4)]),
    "eigvalsh_batched": (lambda m, x: m.linalg.eigvalsh(x), [(2, 3, 4, 4)]),
    "eigh_empty": (lambda m, x: m.linalg.eigh(x), [(2, 0, 0)]),
    "svdvals_batched": (lambda m, x: m.linalg.svdvals(x), [(2, 3, 5, 4)]),
    "svd_empty": (lambda m, x: m.linalg.svd(x), [(2, 0, 3)]),
    "svd_empty_reduced": (lambda m, x: m.linalg.svd(x, full_matrices=False), [(3, 0)]),
    "old_svd_no_uv": (lambda m, x: m.svd(x, compute_uv=False), [(2, 4, 3)]),
    "qr_modes": (lambda m, x: [m.linalg.qr(x, mode=mode) for mode in ("reduced", "complete", "r")], [(2, 5, 3)]),
    "qr_wide_modes": (lambda m, x: [m.linalg.qr(x, mode=mode) for mode in ("reduced", "complete")], [(3, 5)]),
    "qr_empty": (lambda m, x: m.linalg.qr(x), [(0, 5, 0)]),
    "old_qr": (lambda m, x: [m.qr(x), m.qr(x, some=False), x.qr()], [(4, 3)]),
    "pinv_tolerances": (lambda m, x: [m.linalg.pinv(x, atol=0.5), m.linalg.pinv(x, rtol=0.3),
                                      m.linalg.pinv(x, atol=0.1, rtol=0.2), m.linalg.pinv(x, 0.3),
                                      m.pinverse(x, 0.4)], [(2, 4, 3)]),
    "pinv_hermitian_singular": (lambda m, x: m.linalg.pinv(x @ x.mT, hermitian=True), [(4, 2)]),
    "pinv_empty": (lambda m, x: m.linalg.pinv(x), [(0, 3)]),
    "lstsq_drivers": (lambda m, a, b: [m.linalg.lstsq(a, b, driver=d) for d in ("gels", "gelsy", "gelsd", "gelss")],
                      [(2, 5, 3), (2, 5, 2)]),
    "lstsq_wide": (lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd"), [(3, 5), (3, 2)]),
    "lstsq_vector_b": (lambda m, a, b: [m.linalg.lstsq(a, b), m.linalg.lstsq(a, b, driver="gels")], [(5, 3), (5,)]),
    "matrix_rank_forms": (lambda m, x: [m.linalg.matrix_rank(x), m.linalg.matrix_rank(x, hermitian=True),
                                        m.linalg.matrix_rank(x, atol=1.0), m.linalg.matrix_rank(x, rtol=0.5),
                                        m.linalg.matrix_rank(x, 0.8)], [(3, 4, 4)]),
    "matrix_rank_empty": (lambda m, x: m.linalg.matrix_rank(x), [(0, 3)]),
    "cond_orders": (lambda m, x: [m.linalg.cond(x, p) for p in (None, 2, -2, 1, -1, "fro", "nuc", float("inf"))],
                    [(2, 3, 3)]),
    "cond_singular": (lambda m, x: [m.linalg.cond(x * 0, p) for p in (1, "fro", float("inf"))], [(3, 3)]),
    "cond_empty": (lambda m, x: [m.linalg.cond(x), m.linalg.cond(x, 1)], [(0, 0)]),
    "matrix_exp_forms": (lambda m, x: [m.linalg.matrix_exp(x), m.matrix_exp(x[0]), x.matrix_exp()], [(2, 3, 3)]),
    "matrix_exp_empty": (lambda m, x: m.linalg.matrix_exp(x), [(2, 0, 0)]),
    "multi_dot_forms": (lambda m, a, b, c: [m.linalg.multi_dot([a, b, c]), m.linalg.multi_dot([a, b]),
                                            m.linalg.multi_dot([b.mT, a]), m.linalg.multi_dot([b.mT, b])],
                        [(3,), (3, 4), (4,)]),
    "vecdot_dims": (lambda m, x, y: [m.linalg.vecdot(x, y), m.linalg.vecdot(x, y[..., :1], dim=0)],
                    [(3, 4), (1, 4)]),
    "cross_forms": (lambda m, x, y: [m.linalg.cross(x, y), m.linalg.cross(x.mT, y.mT, dim=0), x.cross(y, dim=1)],
                    [(2, 3), (1, 3)]),
    "diagonal_forms": (lambda m, x: [m.linalg.diagonal(x), m.linalg.diagonal(x, offset=-1, dim1=0, dim2=2)],
                       [(3, 2, 3)]),
    "geqrf_forms": (lambda m, x: [m.geqrf(x), m.geqrf(x[0].mT), x[:, :0].geqrf()], [(2, 5, 3)]),
    "ormqr_forms": (lambda m, x, c, d: [m.ormqr(*m.geqrf(x), c, left=left, transpose=tr)
                                        for left, tr in ((True, False), (True, True))]
                    + [m.ormqr(*m.geqrf(x), d, left=False, transpose=tr) for tr in (False, True)]
                    + [m.ormqr(*m.geqrf(x), d[..., :0, :], left=False)],
                    [(2, 5, 3), (2, 5, 2), (2, 4, 5)]),
    "householder_forms": (lambda m, a, tau: [m.linalg.householder_product(a, tau),
                                              m.linalg.householder_product(a, tau[..., :0])], [(2, 4, 3), (2, 2)]),
    "tensorinv_forms": (lambda m, x: [m.linalg.tensorinv((x + m.eye(6, dtype=x.dtype) * 3).reshape(2, 3, 6)),
                                      m.linalg.tensorinv((x + m.eye(6, dtype=x.dtype) * 3).reshape(6, 3, 2), ind=1)],
                        [(6, 6)]),
    "tensorsolve_dims": (lambda m, a, b: m.linalg.tensorsolve((a + m.eye(6, dtype=a.dtype) * 3).reshape(2, 6, 3), b,
                                                              dims=(0,)), [(6, 6), (6,)]),
    "vander_forms": (lambda m, x: [m.linalg.vander(x), m.linalg.vander(x, N=5), m.linalg.vander(x[0, 0], N=3),
                                   m.linalg.vander((x * 3).long())], [(2, 3)]),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_as_torch(name):
    fn, shapes = VALUES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_values(fn, _arrays(*shapes))


def test_result_types():
    a = pullback.tensor(_arrays((3, 3), sym=True)[0])
    r = pullback.linalg.eigh(a)
    assert r.eigenvalues is r[0] and r.eigenvectors is r[1]
    assert repr(r).startswith("pullback.return_types.linalg_eigh(\neigenvalues=tensor(")
    assert pullback.linalg.svd(a)._fields == ("U", "S", "Vh")
    assert pullback.svd(a)._fields == ("U", "S", "V")
    assert pullback.linalg.qr(a)._fields == ("Q", "R")
    assert pullback.linalg.lstsq(a, a)._fields == ("solution", "residuals", "rank", "singular_values")


def test_old_svd_returns_v():
    a = pullback.tensor(_arrays((4, 3))[0])
    U, S, V = pullback.svd(a)
    np.testing.assert_allclose((U * S.unsqueeze(-2) @ V.mT).numpy(), a.numpy(), atol=1e-12)
    U, S, V = pullback.svd(a, some=False)
    assert tuple(U.shape) == (4, 4) and tuple(V.shape) == (3, 3)


def test_out_arguments():
    a = _arrays((3, 3), sym=True)[0]
    for lib in (torch, pullback):
        x = lib.tensor(a)
        L, Q = lib.empty(3, dtype=lib.float64), lib.empty(3, 3, dtype=lib.float64)
        lib.linalg.eigh(x, out=(L, Q))
        norm = lib.empty((), dtype=lib.float64)
        lib.linalg.matrix_norm(x, "nuc", out=norm)
        if lib is torch:
            expected = (L.numpy().copy(), np.abs(Q.numpy()), norm.item())
    np.testing.assert_allclose(L.numpy(), expected[0])
    np.testing.assert_allclose(np.abs(Q.numpy()), expected[1], atol=1e-12)
    assert norm.item() == pytest.approx(expected[2])


def test_cross_without_dim_warns_and_uses_the_first_dim_of_size_3():
    x, y = _arrays((2, 3, 3), (2, 3, 3))
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is deprecated"):
        out = pullback.cross(pullback.tensor(x), pullback.tensor(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.cross(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(out.numpy(), expected.numpy())


# ---------------------------------------------------------------------------------- gradients
def _grads(lib, fn, arrays, order=2, seed=0):
    rng = np.random.default_rng(seed)
    xs = _lib_args(lib, arrays, requires_grad=True)
    outs = [o for o in _flat(fn(lib, *xs)) if o.requires_grad]
    vs = [lib.tensor(rng.standard_normal(tuple(o.shape))) for o in outs]
    gs = lib.autograd.grad(outs, xs, vs, create_graph=order > 1, allow_unused=True)
    result = [None if g is None else _as_np(g) for g in gs]
    if order > 1:
        pairs = [(g, x) for g, x in zip(gs, xs) if g is not None and g.requires_grad]
        ws = [lib.tensor(rng.standard_normal(tuple(g.shape))) for g, _ in pairs]
        seconds = lib.autograd.grad([g for g, _ in pairs], xs, ws, allow_unused=True)
        result += [None if g is None else _as_np(g) for g in seconds]
    return result


def _same_grads(fn, arrays, order=2, atol=1e-8):
    expected = _grads(torch, fn, arrays, order)
    actual = _grads(pullback, fn, arrays, order)
    for a, e in zip(actual, expected):
        if a is None or e is None:
            assert a is None or not np.any(a)
            assert e is None or not np.any(e)
        else:
            np.testing.assert_allclose(a, e, rtol=1e-6, atol=atol)


GRADS = {
    # several outputs at once, each gauge-invariant
    "eigh_both": (lambda m, x: (lambda r: [r.eigenvalues, r.eigenvectors ** 2])(m.linalg.eigh(x + x.mT)),
                  [(2, 4, 4)]),
    "eigh_upper": (lambda m, x: (lambda r: [r.eigenvalues, r.eigenvectors ** 2])(m.linalg.eigh(x + x.mT, "U")),
                   [(3, 3)]),
    "svd_all_tall": (lambda m, x: (lambda r: [r.S, r.U * r.Vh[..., :1, :1], r.U ** 2, r.Vh ** 2])(
        m.linalg.svd(x, full_matrices=False)), [(2, 5, 3)]),
    "svd_all_wide": (lambda m, x: (lambda r: [r.S, r.U ** 2, r.Vh ** 2])(m.linalg.svd(x, full_matrices=False)),
                     [(3, 5)]),
    "svd_full_first_k": (lambda m, x: (lambda r: [r.S, r.U[..., :, :3] ** 2, r.Vh[..., :3, :] ** 2])(
        m.linalg.svd(x)), [(3, 5)]),
    "old_svd_no_uv": (lambda m, x: m.svd(x, compute_uv=False).S, [(4, 3)]),
    "qr_both": (lambda m, x: list(m.linalg.qr(x)), [(2, 5, 3)]),
    "qr_wide_both": (lambda m, x: list(m.linalg.qr(x)), [(2, 3, 5)]),
    "qr_complete_wide": (lambda m, x: list(m.linalg.qr(x, mode="complete")), [(3, 4)]),
    "pinv_singular": (lambda m, x: m.linalg.pinv(x @ x.mT), [(4, 2)]),
    "pinv_hermitian": (lambda m, x: m.linalg.pinv(x + x.mT, hermitian=True), [(2, 3, 3)]),
    "lstsq_wide": (lambda m, a, b: m.linalg.lstsq(a, b).solution, [(3, 5), (3, 2)]),
    "lstsq_vector": (lambda m, a, b: m.linalg.lstsq(a, b).solution, [(5, 3), (5,)]),
    "matrix_exp_batched": (lambda m, x: m.linalg.matrix_exp(x), [(2, 4, 4)]),
    "matrix_norm_2_keepdim": (lambda m, x: m.linalg.matrix_norm(x, -2, dim=(0, 2), keepdim=True), [(3, 2, 4)]),
    "vector_norm_at_zero": (lambda m, x: m.linalg.vector_norm(x * 0, 3.5), [(4,)]),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradients_as_torch(name):
    fn, shapes = GRADS[name]
    _same_grads(fn, _arrays(*shapes))


def test_eigvalsh_gradient_with_repeated_eigenvalues_is_finite():
    # Only the eigenvalues are used: V diag(gL) V^T, no division by eigenvalue gaps.
    for lib in (torch, pullback):
        x = lib.eye(3, dtype=lib.float64).requires_grad_(True)
        g, = lib.autograd.grad(lib.linalg.eigvalsh(x).sum(), x)
        np.testing.assert_allclose(_as_np(g), np.eye(3), atol=1e-12)


def test_eigenvector_gradient_with_repeated_eigenvalues_is_not_finite_as_torch():
    for lib in (torch, pullback):
        x = lib.eye(3, dtype=lib.float64).requires_grad_(True)
        g, = lib.autograd.grad(lib.linalg.eigh(x).eigenvectors.sum(), x)
        assert not np.all(np.isfinite(_as_np(g)))


def test_third_order_through_eigh():
    a = _arrays((3, 3), sym=True)[0]
    results = []
    for lib in (torch, pullback):
        x = lib.tensor(a, requires_grad=True)
        y = (lib.linalg.eigvalsh(x) ** 3).sum()
        g, = lib.autograd.grad(y, x, create_graph=True)
        h, = lib.autograd.grad(g.sum(), x, create_graph=True)
        k, = lib.autograd.grad((h * h).sum(), x)
        results.append(_as_np(k))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------------- transforms
def test_vmap_of_decompositions_equals_a_loop():
    from pullback.func import vmap
    a = pullback.tensor(_arrays((4, 3, 5))[0])

    def f(x):
        L, Q = pullback.linalg.eigh(x @ x.mT)
        U, S, Vh = pullback.linalg.svd(x, full_matrices=False)
        q, r = pullback.linalg.qr(x)
        return L, Q ** 2, S, U ** 2, q @ r, pullback.linalg.pinv(x), pullback.linalg.matrix_exp(x @ x.mT * 0.1)
    batched = vmap(f)(a)
    for i in range(4):
        for b, one in zip(batched, f(a[i])):
            np.testing.assert_allclose(b[i].numpy(), one.numpy(), rtol=1e-10, atol=1e-12)


def test_jacfwd_equals_jacrev_through_svd_and_qr():
    from pullback.func import jacfwd, jacrev
    a = pullback.tensor(_arrays((4, 3))[0])

    def f(x):
        U, S, Vh = pullback.linalg.svd(x, full_matrices=False)
        Q, R = pullback.linalg.qr(x)
        return (U * S.unsqueeze(-2) ** 2) @ Vh + Q * R.sum()
    np.testing.assert_allclose(jacfwd(f)(a).numpy(), jacrev(f)(a).numpy(), rtol=1e-9, atol=1e-10)


def test_forward_mode_matches_torch():
    import pullback.autograd.forward_ad as fw
    import torch.autograd.forward_ad as tfw
    a, t, b, u = _arrays((3, 3), (3, 3), (3, 5), (3, 5))
    results = []
    for lib, ad in ((torch, tfw), (pullback, fw)):
        with ad.dual_level():
            x = ad.make_dual(lib.tensor(a), lib.tensor(t))
            outs = [lib.linalg.eigvalsh(x + x.mT), lib.linalg.svdvals(x), lib.linalg.matrix_exp(x),
                    lib.linalg.pinv(x), lib.linalg.qr(x).R]
            wide = ad.make_dual(lib.tensor(b), lib.tensor(u))
            U, S, Vh = lib.linalg.svd(wide)
            outs += [U ** 2, Vh ** 2, lib.linalg.qr(wide).R, lib.linalg.pinv(wide)]
            results.append([_as_np(ad.unpack_dual(o).tangent) for o in outs])
    for a_, e in zip(results[1], results[0]):
        np.testing.assert_allclose(a_, e, rtol=1e-7, atol=1e-9)


def test_grad_fn_names():
    x = pullback.tensor(_arrays((3, 3))[0], requires_grad=True)
    assert pullback.linalg.eigh(x)[0].grad_fn.name() == "LinalgEighBackward0"
    assert pullback.linalg.svd(x)[1].grad_fn.name() == "LinalgSvdBackward0"
    assert pullback.linalg.qr(x)[0].grad_fn.name() == "LinalgQrBackward0"
    assert pullback.linalg.pinv(x).grad_fn.name() == "LinalgPinvBackward0"
    assert pullback.linalg.matrix_exp(x).grad_fn.name() == "LinalgMatrixExpBackward0"


def test_forward_mode_tangent_of_a_broadcast_add_has_the_output_shape():
    # x + y where only the broadcast x carries a tangent: the tangent has the output's shape
    # (householder_product starts its product from a constant identity).
    import pullback.autograd.forward_ad as fw
    with fw.dual_level():
        x = fw.make_dual(pullback.ones(4, 1, dtype=pullback.float64), pullback.ones(4, 1, dtype=pullback.float64))
        y = x + pullback.eye(4, dtype=pullback.float64)
        assert tuple(fw.unpack_dual(y).tangent.shape) == (4, 4)


def test_transpose_jvp_shorthand_under_jacfwd():
    # TRANSPOSE (J t from the VJP rules) with a batch of tangents: jacfwd gave zeros before.
    from pullback._backend import B
    from pullback._ops._registry import primitive, TRANSPOSE, ELEMENTWISE
    from pullback.func import jacfwd, jacrev
    exp_ = primitive("exp_by_transpose", B.exp, vjp=lambda g, ans: g * ans, jvp=TRANSPOSE, batch=ELEMENTWISE)
    x = pullback.tensor([0.5, 1.0, -2.0], dtype=pullback.float64)

    def f(t):
        return exp_.bind((t,), {})
    np.testing.assert_allclose(jacfwd(f)(x).numpy(), np.diag(np.exp(x.numpy())), rtol=1e-12)
    np.testing.assert_allclose(jacfwd(f)(x).numpy(), jacrev(f)(x).numpy(), rtol=1e-12)


def test_vmap_of_composites_equals_a_loop():
    from pullback.func import vmap
    a, b = _arrays((3, 4, 4), (3, 4, 2))
    A, Bt = pullback.tensor(a), pullback.tensor(b)

    def f(x, y):
        return (pullback.linalg.cond(x, 1), pullback.linalg.cond(x), pullback.linalg.matrix_norm(x, -2),
                pullback.linalg.lstsq(x, y).solution, pullback.linalg.matrix_rank(x),
                pullback.linalg.householder_product(x, x[:, 0] * 0.1), pullback.linalg.norm(x, "nuc"))
    batched = vmap(f)(A, Bt)
    for i in range(3):
        for got, one in zip(batched, f(A[i], Bt[i])):
            np.testing.assert_allclose(got[i].numpy(), one.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn", [lambda m, x: m.linalg.svd(x), lambda m, x: m.linalg.svdvals(x),
                                lambda m, x: m.linalg.pinv(x), lambda m, x: m.linalg.matrix_norm(x, 2),
                                lambda m, x: m.linalg.matrix_rank(x)],
                         ids=["svd", "svdvals", "pinv", "matrix_norm_2", "matrix_rank"])
def test_svd_of_nan_raises_torchs_linalg_error(fn):
    messages = []
    for lib in (torch, pullback):
        x = lib.eye(3, dtype=lib.float64)
        x[1, 1] = float("nan")
        with pytest.raises(RuntimeError) as info:   # torch's LinAlgError is a RuntimeError
            fn(lib, x)
        messages.append(str(info.value))
    assert messages[1] == messages[0]


def test_matrix_exp_of_non_finite_is_nan_as_torch():
    for value in (float("nan"), float("inf")):
        out = []
        for lib in (torch, pullback):
            x = lib.eye(3, dtype=lib.float64)
            x[1, 1] = value
            out.append(_as_np(lib.linalg.matrix_exp(lib.stack([x, lib.eye(3, dtype=lib.float64)]))))
        np.testing.assert_allclose(out[1], out[0], equal_nan=True)


def test_sparsity_of_batched_decompositions_is_one_block_per_matrix():
    from pullback.sparse import jacobian_sparsity
    x = pullback.tensor(_arrays((3, 4, 4))[0])
    block = np.kron(np.eye(3), np.ones((16, 16)))
    for f in (lambda x: pullback.linalg.eigh(x @ x.mT)[1], lambda x: pullback.linalg.qr(x)[1],
              lambda x: pullback.linalg.pinv(x), lambda x: pullback.linalg.matrix_exp(x),
              lambda x: pullback.linalg.svd(x)[0]):
        P = jacobian_sparsity(lambda x: f(x).reshape(-1), x)
        np.testing.assert_array_equal(P.toarray(), block)
    P = jacobian_sparsity(lambda x: pullback.linalg.svdvals(x).reshape(-1), x)
    np.testing.assert_array_equal(P.toarray(), np.kron(np.eye(3), np.ones((4, 16))))
