"""pullback.sparse: detected patterns contain every nonzero of the dense Jacobian (torch's), the
colourings are valid (checked here, row by row, not by the colouring code), and the compressed
Jacobians and Hessians equal torch's dense ones and central differences."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pullback
import pullback.sparse as sparse

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # the oracle extra
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="the oracle extra (torch) is not installed")


def _run(f, m, x):
    return f(m, m.tensor(x, dtype=m.float64))


def _torch_jacobian(f, x):
    t = torch.tensor(x, dtype=torch.float64)
    return torch.autograd.functional.jacobian(lambda v: f(torch, v), t).reshape(-1, x.size).numpy()


def _central_differences(f, x, eps=1e-6):
    columns = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = eps
        plus = _run(f, pullback, x + e.reshape(x.shape)).numpy().ravel()
        minus = _run(f, pullback, x - e.reshape(x.shape)).numpy().ravel()
        columns.append((plus - minus) / (2 * eps))
    return np.stack(columns, axis=1)


def _pattern(f, x):
    return sparse.jacobian_sparsity(lambda v: f(pullback, v), pullback.tensor(x, dtype=pullback.float64))


IDX = [4, 0, 7, 7, 2, 9, 1]
A = np.where(np.random.default_rng(3).uniform(size=(8, 10)) < 0.3, 1.5, 0.0)
CASES = {
    "banded": (lambda m, x: x[:-2] - 2 * x[1:-1] + x[2:] + m.sin(x[1:-1]) * x[1:-1] ** 2, (10,)),
    "block_diagonal": (lambda m, x: (x.reshape(5, 2) @ m.ones(2, 2, dtype=m.float64)).reshape(-1) * x, (10,)),
    "arrow": (lambda m, x: m.cat([x.sum().reshape(1), x[1:] * x[0]]), (10,)),
    "stencil_2d": (lambda m, x: m.nn.functional.pad(x, (1, 1, 1, 1))[:-2, 1:-1] + m.nn.functional.pad(x, (1, 1, 1, 1))[2:, 1:-1]
                   + m.nn.functional.pad(x, (1, 1, 1, 1))[1:-1, :-2] + m.nn.functional.pad(x, (1, 1, 1, 1))[1:-1, 2:]
                   - 4 * x + x ** 3, (4, 5)),
    "gather": (lambda m, x: m.exp(x[m.tensor(IDX)]) * x[:7], (10,)),
    "dense": (lambda m, x: m.tanh(x) * (x ** 2).sum(), (10,)),
    "constant_matrix": (lambda m, x: m.tensor(A, dtype=m.float64) @ m.cos(x), (10,)),
    "empty": (lambda m, x: (x > 0).to(m.float64) * 2.0, (10,)),
    "softmax_rows": (lambda m, x: m.softmax(x.reshape(2, 5), dim=1).reshape(-1), (10,)),
    "batched_inverse": (lambda m, x: m.linalg.inv(x.reshape(3, 2, 2) + 3 * m.eye(2, dtype=m.float64)).reshape(-1),
                        (12,)),
    "sort_max": (lambda m, x: m.sort(x.reshape(2, 5), dim=1)[0].reshape(-1) + x.reshape(2, 5).amax(1).repeat(5), (10,)),
}


@needs_torch
@pytest.mark.parametrize("name", CASES)
def test_pattern_contains_every_nonzero_of_torchs_jacobian(name):
    f, shape = CASES[name]
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.normal(size=shape)
        dense = _torch_jacobian(f, x)
        pattern = _pattern(f, x).toarray()
        assert pattern.shape == dense.shape
        assert not (dense != 0)[~pattern].any(), "a nonzero of the Jacobian is missing from the pattern"


def test_patterns_of_known_structure():
    x = np.random.default_rng(1).normal(size=10)
    banded = np.abs(np.arange(8)[:, None] + 1 - np.arange(10)[None, :]) <= 1
    assert (_pattern(CASES["banded"][0], x).toarray() == banded).all()
    blocks = np.kron(np.eye(5), np.ones((2, 2))).astype(bool)
    assert (_pattern(CASES["block_diagonal"][0], x).toarray() == blocks).all()
    arrow = np.eye(10, dtype=bool)
    arrow[0, :] = arrow[:, 0] = True
    assert (_pattern(CASES["arrow"][0], x).toarray() == arrow).all()
    gather = np.zeros((7, 10), dtype=bool)
    gather[np.arange(7), IDX] = True
    gather[np.arange(7), np.arange(7)] = True
    assert (_pattern(CASES["gather"][0], x).toarray() == gather).all()
    assert _pattern(CASES["dense"][0], x).toarray().all()
    assert (_pattern(CASES["constant_matrix"][0], x).toarray() == (A != 0)).all()
    assert _pattern(CASES["empty"][0], x).nnz == 0
    x12 = np.random.default_rng(1).normal(size=12)
    assert (_pattern(CASES["batched_inverse"][0], x12).toarray() == np.kron(np.eye(3), np.ones((4, 4)))).all()


def test_stencil_pattern_is_the_five_point_stencil():
    x = np.random.default_rng(2).normal(size=(4, 5))
    i, j = np.divmod(np.arange(20), 5)
    expected = (np.abs(i[:, None] - i[None, :]) + np.abs(j[:, None] - j[None, :])) <= 1
    assert (_pattern(CASES["stencil_2d"][0], x).toarray() == expected).all()


def _valid_column_colouring(pattern, colors):
    p = pattern.tocsr()
    for r in range(p.shape[0]):
        seen = colors[p.indices[p.indptr[r]:p.indptr[r + 1]]]
        if len(set(seen.tolist())) != len(seen):
            return False
    return True


@pytest.mark.parametrize("name", CASES)
def test_colourings_are_valid(name):
    f, shape = CASES[name]
    p = _pattern(f, np.random.default_rng(0).normal(size=shape))
    assert _valid_column_colouring(p, sparse.column_coloring(p))
    assert _valid_column_colouring(p.T.tocsr(), sparse.row_coloring(p))


def test_colour_counts():
    x = np.random.default_rng(0).normal(size=10)
    assert sparse.column_coloring(_pattern(CASES["banded"][0], x)).max() + 1 == 3
    assert sparse.prepare_jacobian(lambda v: CASES["arrow"][0](pullback, v), pullback.tensor(x)).n_colors <= 10
    one_dense_row = lambda v: pullback.cat([v.sum().reshape(1), pullback.sin(v)])  # noqa: E731
    jac = sparse.prepare_jacobian(one_dense_row, pullback.tensor(x, dtype=pullback.float64))
    assert jac.mode == "reverse" and jac.n_colors == 2  # columns would need 10 colours, rows 2


@needs_torch
@pytest.mark.parametrize("mode", ["forward", "reverse", None])
@pytest.mark.parametrize("name", CASES)
def test_jacobian_equals_torchs_dense_jacobian(name, mode):
    f, shape = CASES[name]
    x = np.random.default_rng(4).normal(size=shape)
    J = sparse.jacobian(lambda v: f(pullback, v), pullback.tensor(x, dtype=pullback.float64), mode=mode)
    assert J.shape == (_run(f, pullback, x).numel(), x.size)
    np.testing.assert_allclose(J.toarray(), _torch_jacobian(f, x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["banded", "stencil_2d", "gather"])
def test_jacobian_equals_central_differences(name):
    f, shape = CASES[name]
    x = np.random.default_rng(5).normal(size=shape)
    J = sparse.jacobian(lambda v: f(pullback, v), pullback.tensor(x, dtype=pullback.float64))
    np.testing.assert_allclose(J.toarray(), _central_differences(f, x), rtol=1e-6, atol=1e-7)


def rosenbrock(m, x):
    return ((x[1:] - x[:-1] ** 2) ** 2).sum() * 100 + ((1 - x[:-1]) ** 2).sum()


HESSIAN_CASES = {
    "rosenbrock": (rosenbrock, (12,)),
    "stencil_energy": (lambda m, x: (CASES["stencil_2d"][0](m, x) ** 2).sum(), (4, 5)),
    "quartic_sum": (lambda m, x: (x ** 4).sum() + (x[:-1] * x[1:]).sum(), (9,)),
}


@needs_torch
@pytest.mark.parametrize("name", HESSIAN_CASES)
def test_hessian_equals_torchs(name):
    f, shape = HESSIAN_CASES[name]
    x = np.random.default_rng(6).normal(size=shape)
    H = sparse.hessian(lambda v: f(pullback, v), pullback.tensor(x, dtype=pullback.float64))
    t = torch.tensor(x, dtype=torch.float64)
    dense = torch.autograd.functional.hessian(lambda v: f(torch, v), t).reshape(x.size, x.size).numpy()
    assert not (dense != 0)[~sparse.hessian_sparsity(lambda v: f(pullback, v),
                                                      pullback.tensor(x, dtype=pullback.float64)).toarray()].any()
    np.testing.assert_allclose(H.toarray(), dense, rtol=1e-11, atol=1e-10)


def test_rosenbrock_hessian_is_tridiagonal_with_three_colours():
    x = pullback.tensor(np.random.default_rng(7).normal(size=12))
    hess = sparse.prepare_hessian(lambda v: rosenbrock(pullback, v), x)
    expected = np.abs(np.arange(12)[:, None] - np.arange(12)[None, :]) <= 1
    assert (hess.sparsity.toarray() == expected).all()
    assert hess.n_colors == 3


def test_prepared_jacobian_reuses_its_pattern():
    f = lambda v: CASES["banded"][0](pullback, v)  # noqa: E731
    rng = np.random.default_rng(8)
    jac = sparse.prepare_jacobian(f, pullback.tensor(rng.normal(size=10)))
    assert jac.sparsity.dtype == bool and jac.colors.shape == (10,) and jac.mode == "forward"
    y = rng.normal(size=10)
    np.testing.assert_allclose(jac(pullback.tensor(y)).toarray(), _central_differences(CASES["banded"][0], y),
                               rtol=1e-6, atol=1e-7)
    with pytest.raises(RuntimeError, match="expected x of shape"):
        jac(pullback.zeros(11, dtype=pullback.float64))


def test_errors():
    with pytest.raises(TypeError, match="must be Tensor"):
        sparse.jacobian_sparsity(lambda v: v, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="floating point"):
        sparse.jacobian(lambda v: v, pullback.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="single element"):
        sparse.hessian(lambda v: v * 2, pullback.ones(3))
    with pytest.raises(ValueError, match="mode must be"):
        sparse.jacobian(lambda v: v, pullback.ones(3), mode="sideways")


def test_spy():
    picture = sparse.spy(_pattern(CASES["banded"][0], np.zeros(10)))
    lines = picture.splitlines()
    assert lines[0] == "8x10, 24 nonzeros (30%)"
    assert lines[1] == "###......." and lines[8] == ".......###"


def test_custom_function_is_taken_as_dense_with_a_warning():
    class Double(pullback.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            return v * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = pullback.ones(4, dtype=pullback.float64)
    with pytest.warns(UserWarning, match="no sparsity rule reaches"):
        p = sparse.jacobian_sparsity(lambda v: Double.apply(v)[:2], x)
    assert p.toarray().all()


_UNARY = [lambda m, v: m.sin(v), lambda m, v: v ** 2, lambda m, v: m.exp(v * 0.1), lambda m, v: m.flip(v, (0,)),
          lambda m, v: m.roll(v, 2), lambda m, v: m.cumsum(v, 0), lambda m, v: v[1:] - v[:-1],
          lambda m, v: m.cat([v, v[:3]]), lambda m, v: m.relu(v), lambda m, v: v.reshape(-1, 1).expand(-1, 2).reshape(-1)]
_BINARY = [lambda m, a, b: a * b, lambda m, a, b: a + 2 * b, lambda m, a, b: m.maximum(a, b)]


@needs_torch
@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_UNARY) - 1), st.integers(0, len(_BINARY) - 1), st.booleans()),
                min_size=1, max_size=6), st.integers(0, 2**31 - 1))
def test_random_programs_patterns_contain_the_jacobian(program, seed):
    def f(m, x):
        values = [x]
        for unary, binary, combine in program:
            v = _UNARY[unary](m, values[-1])
            if combine and len(values) > 1:
                other = values[-2]
                n = min(v.shape[0], other.shape[0])
                v = _BINARY[binary](m, v[:n], other[:n])
            values.append(v)
        return values[-1]

    x = np.random.default_rng(seed).normal(size=6)
    dense = _torch_jacobian(f, x)
    pattern = _pattern(f, x).toarray()
    assert not (dense != 0)[~pattern].any()


def _random_symmetric_pattern(rng, n, density):
    upper = np.triu(rng.uniform(size=(n, n)) < density, 1)
    return upper | upper.T | np.eye(n, dtype=bool)


def _is_star_colouring(adjacent, colors):
    """Checked by brute force: neighbours differ, and no path on four vertices alternates two colours."""
    n = len(colors)
    nbrs = [np.flatnonzero(adjacent[v] & (np.arange(n) != v)) for v in range(n)]
    for v in range(n):
        for w in nbrs[v]:
            if colors[v] == colors[w]:
                return False
            for x in nbrs[w]:
                if x == v or colors[x] != colors[v]:
                    continue
                for y in nbrs[x]:
                    if y not in (v, w) and colors[y] == colors[w]:
                        return False
    return True


@pytest.mark.parametrize("seed", range(6))
def test_star_colouring_is_valid_and_recovers_every_entry(seed):
    import scipy.sparse
    from pullback.sparse._compressed import Decompression
    rng = np.random.default_rng(seed)
    n = 40
    adjacent = _random_symmetric_pattern(rng, n, [0.03, 0.08, 0.15][seed % 3])
    colors = sparse.star_coloring(scipy.sparse.csr_array(adjacent))
    assert _is_star_colouring(adjacent, colors)
    values = np.where(adjacent, rng.normal(size=(n, n)), 0.0)
    H = np.triu(values) + np.triu(values, 1).T  # symmetric, with that pattern
    decompress = Decompression(scipy.sparse.csr_array(adjacent), colors, "symmetric")
    seeds = np.zeros((colors.max() + 1, n))
    seeds[colors, np.arange(n)] = 1.0
    np.testing.assert_array_equal(decompress((H @ seeds.T).T).toarray(), H)


def test_star_colouring_needs_fewer_colours_on_a_stencil_hessian():
    f, shape = HESSIAN_CASES["stencil_energy"]
    x = pullback.tensor(np.random.default_rng(9).normal(size=shape))
    hess = sparse.prepare_hessian(lambda v: f(pullback, v), x)
    assert hess.coloring == "star"
    assert hess.n_colors < sparse.column_coloring(hess.sparsity).max() + 1
    adjacent = hess.sparsity.toarray()
    assert _is_star_colouring(adjacent, hess.colors)


def test_prepared_calls_replay_compiled_and_follow_what_f_reads():
    import numpy as np
    state = {"alpha": 0.5}
    weight = pullback.tensor(np.linspace(1.0, 2.0, 30))

    def f(x):
        return x[:-1] * x[1:] * state["alpha"] + pullback.sin(x)[:-1] * weight[:-1]

    x0 = pullback.tensor(np.linspace(-1.0, 1.0, 30))
    jac = pullback.sparse.prepare_jacobian(f, x0)
    dense = lambda x: pullback.autograd.functional.jacobian(f, x).numpy()  # noqa: E731
    for k in range(5):
        x = x0 * (k + 1)
        np.testing.assert_array_equal(jac(x).toarray(), dense(x))
    assert jac._products.replays == 3
    with pullback.no_grad():
        weight.mul_(3.0)               # read where it lives: the replay sees it
    np.testing.assert_array_equal(jac(x0).toarray(), dense(x0))
    state["alpha"] = 2.0               # a number in a dict the closure holds: guarded, recorded again
    np.testing.assert_array_equal(jac(x0).toarray(), dense(x0))
