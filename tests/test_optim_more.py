"""Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop, LBFGS and the schedulers beyond torch's optim_db
(MultiplicativeLR, CyclicLR, CosineAnnealingWarmRestarts, OneCycleLR, SequentialLR,
ChainedScheduler...) and optim.swa_utils, against torch on the same problems, step by step."""
import warnings

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")

OPTIMIZERS = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.5), weight_decay=0.1, maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1, maximize=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1), maximize=True)),
]


def _problem(m, dtype):
    rng = np.random.default_rng(0)
    w = m.tensor(rng.standard_normal((3, 4)), dtype=getattr(m, dtype), requires_grad=True)
    b = m.tensor(rng.standard_normal(4), dtype=getattr(m, dtype), requires_grad=True)
    x = m.tensor(rng.standard_normal((8, 3)), dtype=getattr(m, dtype))
    return w, b, lambda: ((x @ w + b).tanh() - 0.3).pow(2).sum() + 0.1 * (w ** 4).sum()


def _train(m, name, kwargs, dtype, steps=12):
    w, b, loss_fn = _problem(m, dtype)
    opt = getattr(m.optim, name)([w, b], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    return w.detach().numpy(), b.detach().numpy(), opt


def _close(a, b, dtype):
    tol = 1e-10 if dtype == "float64" else 1e-4
    assert a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_steps_match_torch(name, kwargs, dtype):
    ours, theirs = _train(pullback, name, kwargs, dtype), _train(torch, name, kwargs, dtype)
    for a, b in zip(ours[:2], theirs[:2]):
        _close(a, b, dtype)
    ours_state, theirs_state = ours[2].state_dict()["state"], theirs[2].state_dict()["state"]
    assert sorted(ours_state[0]) == sorted(theirs_state[0])
    for key, value in theirs_state[0].items():
        mine = ours_state[0][key]
        assert str(mine.dtype) == str(value.dtype).replace("torch.", "pullback."), key
        _close(mine.numpy(), value.numpy(), dtype)


# (not Adamax nor Rprop: torch's own differentiable ones update a saved Tensor in place, exp_avg and
# step_size, and fail backward)
DIFFERENTIABLE = [c for c in OPTIMIZERS if c[0] not in ("Adamax", "Rprop")]


@pytest.mark.parametrize("name,kwargs", DIFFERENTIABLE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(DIFFERENTIABLE)])
def test_differentiable_step_gradients_match_torch(name, kwargs):
    """``differentiable=True``: the gradient of the updated parameters through three steps, with
    respect to the initial ones, as torch's."""
    def run(m):
        rng = np.random.default_rng(3)
        w0 = m.tensor(rng.standard_normal(5), requires_grad=True, dtype=m.float64)
        w = w0.clone()
        opt = getattr(m.optim, name)([w], differentiable=True, **kwargs)
        for _ in range(3):
            w.grad = (w.clone() ** 2).sin()  # a gradient that depends on the parameter, recorded
            opt.step()
        (g,) = m.autograd.grad((w * w).sum(), w0)
        return w.detach().numpy(), g.numpy()
    for a, b in zip(run(pullback), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_state_dict_round_trip_resumes_identically():
    for name, kwargs in OPTIMIZERS:
        _, _, opt = _train(pullback, name, kwargs, "float64", steps=3)
        w, b, loss_fn = _problem(pullback, "float64")
        with pullback.no_grad():
            for p, q in zip((w, b), opt.param_groups[0]["params"]):
                p.copy_(q)
        resumed = getattr(pullback.optim, name)([w, b], **kwargs)
        resumed.load_state_dict(opt.state_dict())
        for o, params in ((opt, opt.param_groups[0]["params"]), (resumed, (w, b))):
            o.zero_grad()
            loss = sum(((p - 0.5) ** 2).sum() for p in params)
            loss.backward()
            o.step()
        # (as torch's, loading casts floating state but the step to the parameter's dtype: NAdam's
        # float32 mu_product becomes float64, which changes the last bits)
        np.testing.assert_allclose(w.detach().numpy(), opt.param_groups[0]["params"][0].detach().numpy(),
                                   rtol=1e-10, atol=1e-11)


def test_loaded_scalar_state_dtypes_match_torch():
    for name in ("NAdam", "ASGD"):
        dtypes = []
        for m in (pullback, torch):
            p = m.zeros(2, dtype=m.float64, requires_grad=True)
            opt = getattr(m.optim, name)([p])
            p.grad = m.ones(2, dtype=m.float64)
            opt.step()
            q = m.zeros(2, dtype=m.float64, requires_grad=True)
            resumed = getattr(m.optim, name)([q])
            resumed.load_state_dict(opt.state_dict())
            dtypes.append({k: str(v.dtype).split(".")[1] for k, v in resumed.state[q].items()})
        assert dtypes[0] == dtypes[1]


ERRORS = [
    ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1.0)), ("Adadelta", dict(lr=-1.0)),
    ("Adamax", dict(betas=(1.0, 0.9))), ("Adamax", dict(betas=(0.9, -0.1))), ("Adamax", dict(weight_decay=-1)),
    ("NAdam", dict(momentum_decay=-1.0)), ("NAdam", dict(eps=-1.0)), ("RAdam", dict(betas=(0.9, 1.0))),
    ("RAdam", dict(weight_decay=-0.5)), ("ASGD", dict(weight_decay=-1.0)), ("ASGD", dict(lr=-0.1)),
    ("Rprop", dict(etas=(1.0, 1.2))), ("Rprop", dict(etas=(0.5, 0.9))), ("LBFGS", dict(lr=-1.0)),
]


@pytest.mark.parametrize("name,kwargs", ERRORS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ERRORS)])
def test_constructor_errors_match_torch(name, kwargs):
    with pytest.raises(Exception) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        getattr(pullback.optim, name)([pullback.zeros(2, requires_grad=True)], **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_empty_and_zero_dim_parameters():
    for name, kwargs in OPTIMIZERS:
        results = []
        for m in (pullback, torch):
            e = m.zeros(0, 3, requires_grad=True)
            s = m.tensor(0.7, requires_grad=True, dtype=m.float64)
            opt = getattr(m.optim, name)([e, s], **kwargs)
            for _ in range(4):
                opt.zero_grad()
                ((s - 2) ** 2 + e.sum()).backward()
                opt.step()
            assert e.shape == (0, 3)
            results.append(s.item())
        assert results[0] == pytest.approx(results[1], rel=1e-12, abs=1e-14), name


# ---------------------------------------------------------------- LBFGS

LBFGS_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.3, max_iter=5, history_size=2),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", history_size=2, max_iter=7),
    dict(line_search_fn="strong_wolfe", tolerance_grad=1e-3, tolerance_change=1e-5),
    dict(lr=0.1, max_iter=4, max_eval=3),
]


def _lbfgs(m, kwargs, dtype, steps=4):
    w, b, loss_fn = _problem(m, dtype)
    opt = m.optim.LBFGS([w, b], **kwargs)
    losses = []

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    for _ in range(steps):
        losses.append(opt.step(closure).item())
    state = opt.state[w]
    return w.detach().numpy(), b.detach().numpy(), losses, (state["func_evals"], state["n_iter"]), state


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kwargs", LBFGS_CONFIGS, ids=[str(i) for i in range(len(LBFGS_CONFIGS))])
def test_lbfgs_matches_torch(kwargs, dtype):
    ours, theirs = _lbfgs(pullback, kwargs, dtype), _lbfgs(torch, kwargs, dtype)
    # (in float32 the reductions' rounding, summed in another order than torch's, grows over the
    # iterations: four steps of up to 20 iterations)
    tol = 1e-9 if dtype == "float64" else 3e-3
    for a, b in zip(ours[:2], theirs[:2]):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=tol, atol=1e-12 if dtype == "float64" else 1e-6)
    assert ours[3] == theirs[3]
    assert sorted(ours[4]) == sorted(theirs[4])
    assert len(ours[4]["old_dirs"]) == len(theirs[4]["old_dirs"]) <= kwargs.get("history_size", 100)


def test_lbfgs_converges_on_a_quadratic():
    a = pullback.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=pullback.float64)
    x = pullback.zeros(2, dtype=pullback.float64, requires_grad=True)
    opt = pullback.optim.LBFGS([x], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = 0.5 * x @ a @ x - x.sum()
        loss.backward()
        return loss
    opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(a.numpy(), np.ones(2)), rtol=1e-5)
    opt.step(closure)  # at the optimum: returns at once (the gradient is within tolerance_grad)


def test_lbfgs_errors_match_torch():
    def both(fn):
        with pytest.raises(Exception) as theirs:
            fn(torch)
        with pytest.raises(type(theirs.value)) as ours:
            fn(pullback)
        assert str(ours.value) == str(theirs.value).replace("torch", "pullback")

    both(lambda m: m.optim.LBFGS([{"params": [m.zeros(1, requires_grad=True)]},
                                  {"params": [m.zeros(1, requires_grad=True)]}]))
    both(lambda m: m.optim.LBFGS([m.zeros(1, requires_grad=True)]).step())

    def bad_line_search(m):
        x = m.ones(2, requires_grad=True)
        opt = m.optim.LBFGS([x], line_search_fn="armijo")

        def closure():
            opt.zero_grad()
            loss = (x ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
    both(bad_line_search)


# ---------------------------------------------------------------- schedulers

def _sgd(m, momentum=0.9, lr=0.1, groups=2, cls="SGD"):
    params = [[m.zeros(2, requires_grad=True)] for _ in range(groups)]
    if cls == "SGD":
        return m.optim.SGD([{"params": p, "lr": lr * (i + 1)} for i, p in enumerate(params)], lr=lr,
                           momentum=momentum)
    return getattr(m.optim, cls)([{"params": p, "lr": lr * (i + 1)} for i, p in enumerate(params)], lr=lr)


def _lambda_factor(epoch):
    return 0.95 if epoch % 2 else 0.9


SCHEDULERS = [
    ("MultiplicativeLR", lambda m, o: m.optim.lr_scheduler.MultiplicativeLR(o, _lambda_factor), "SGD"),
    ("MultiplicativeLR-list", lambda m, o: m.optim.lr_scheduler.MultiplicativeLR(
        o, [lambda e: 0.9, lambda e: 1.01]), "SGD"),
    ("CyclicLR", lambda m, o: m.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=3), "SGD"),
    ("CyclicLR-triangular2", lambda m, o: m.optim.lr_scheduler.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.3], step_size_up=2, step_size_down=4, mode="triangular2"), "SGD"),
    ("CyclicLR-exp_range", lambda m, o: m.optim.lr_scheduler.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9, base_momentum=0.5, max_momentum=0.7), "SGD"),
    ("CyclicLR-scale_fn", lambda m, o: m.optim.lr_scheduler.CyclicLR(
        o, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.5 ** x, scale_mode="iterations"), "Adam"),
    ("CyclicLR-no-momentum", lambda m, o: m.optim.lr_scheduler.CyclicLR(
        o, 0.01, 0.1, step_size_up=2, cycle_momentum=False), "Adagrad"),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 3), "SGD"),
    ("CosineAnnealingWarmRestarts-mult", lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        o, 2, T_mult=2, eta_min=0.001), "SGD"),
    ("OneCycleLR", lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.5, total_steps=20), "SGD"),
    ("OneCycleLR-linear-3phase", lambda m, o: m.optim.lr_scheduler.OneCycleLR(
        o, [0.5, 1.0], epochs=4, steps_per_epoch=5, anneal_strategy="linear", three_phase=True, pct_start=0.25),
     "Adam"),
    ("OneCycleLR-no-momentum", lambda m, o: m.optim.lr_scheduler.OneCycleLR(
        o, 0.5, total_steps=20, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0), "Adagrad"),
    ("LinearLR", lambda m, o: m.optim.lr_scheduler.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
     "SGD"),
    ("ConstantLR", lambda m, o: m.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=4), "SGD"),
    ("PolynomialLR", lambda m, o: m.optim.lr_scheduler.PolynomialLR(o, total_iters=8, power=2.0), "SGD"),
    ("SequentialLR", lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, [m.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=4),
            m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)], milestones=[5]), "SGD"),
    ("SequentialLR-three", lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, [m.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=2),
            m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4),
            m.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)], milestones=[3, 8]), "SGD"),
    ("ChainedScheduler", lambda m, o: m.optim.lr_scheduler.ChainedScheduler(
        [m.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3),
         m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)]), "SGD"),
    ("ChainedScheduler-optimizer", lambda m, o: m.optim.lr_scheduler.ChainedScheduler(
        [m.optim.lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=3),
         m.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.95)], optimizer=o), "SGD"),
]


def _group_view(optimizer):
    keys = ("lr", "momentum", "betas", "initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")
    return [{k: g[k] for k in keys if k in g} for g in optimizer.param_groups]


def _schedule(m, make, cls, steps=20):
    opt = _sgd(m, cls=cls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(m, opt)
    history = [(sched.get_last_lr(), _group_view(opt))]
    for _ in range(steps):
        opt.step()
        sched.step()
        history.append((list(sched.get_last_lr()), _group_view(opt)))
    return history, opt, sched


def _assert_same_history(ours, theirs):
    for step, ((lrs, groups), (t_lrs, t_groups)) in enumerate(zip(ours, theirs)):
        assert lrs == pytest.approx(t_lrs, rel=1e-13, abs=1e-15), f"step {step}: {lrs} vs torch {t_lrs}"
        assert [sorted(g) for g in groups] == [sorted(g) for g in t_groups], step
        for g, t in zip(groups, t_groups):
            for key in t:
                value, expected = g[key], t[key]
                if isinstance(expected, tuple):
                    assert type(value) is tuple and value == pytest.approx(expected, rel=1e-13), (step, key)
                else:
                    assert value == pytest.approx(expected, rel=1e-13, abs=1e-15), (step, key, value, expected)


@pytest.mark.parametrize("name,make,cls", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler_matches_torch_step_by_step(name, make, cls):
    _assert_same_history(_schedule(pullback, make, cls)[0], _schedule(torch, make, cls)[0])


@pytest.mark.parametrize("name,make,cls", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler_state_dict_resumes(name, make, cls):
    """A scheduler's state dict, loaded into a new one after 7 steps, continues as the original."""
    _, opt, sched = _schedule(pullback, make, cls, steps=7)
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved
    opt2 = _sgd(pullback, cls=cls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched2 = make(pullback, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    assert sched2.get_last_lr() == sched.get_last_lr()
    for _ in range(6):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert _group_view(opt2) == _group_view(opt)


def test_lambda_state_dicts_keep_callable_objects_only():
    class Factor:
        def __init__(self):
            self.value = 0.5

        def __call__(self, epoch):
            return self.value

    for m in (pullback, torch):
        opt = _sgd(m)
        fn = Factor()
        sched = m.optim.lr_scheduler.MultiplicativeLR(opt, [fn, lambda e: 1.0])
        state = sched.state_dict()
        assert state["lr_lambdas"] == [{"value": 0.5}, None]
        state["lr_lambdas"][0]["value"] = 0.25
        fn2 = Factor()
        sched2 = m.optim.lr_scheduler.MultiplicativeLR(opt, [fn2, lambda e: 1.0])
        sched2.load_state_dict(state)
        assert fn2.value == 0.25 and "lr_lambdas" in state
        cyc = m.optim.lr_scheduler.CyclicLR(_sgd(m), 0.01, 0.1)
        assert cyc.state_dict()["_scale_fn_custom"] is None and "_scale_fn_ref" not in cyc.state_dict()


def test_cosine_warm_restarts_fractional_epochs_match_torch():
    def run(m, t_mult):
        opt = _sgd(m)
        sched = m.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 2, T_mult=t_mult, eta_min=0.01)
        out = []
        for epoch in (0.5, 1.25, 2.0, 3.7, 6.1, 9.0, 13.5):
            sched.step(epoch)
            out.append((sched.get_last_lr(), sched.T_cur, sched.T_i, sched.last_epoch))
        sched.step()
        out.append((sched.get_last_lr(), sched.T_cur, sched.T_i, sched.last_epoch))
        return out
    for t_mult in (1, 2, 3):
        for ours, theirs in zip(run(pullback, t_mult), run(torch, t_mult)):
            assert ours[0] == pytest.approx(theirs[0], rel=1e-13)
            assert ours[1:] == pytest.approx(theirs[1:], rel=1e-13)


def _step_times(scheduler, n):
    for _ in range(n):
        scheduler.step()


SCHEDULER_ERRORS = [
    lambda m, o: m.optim.lr_scheduler.MultiplicativeLR(o, [lambda e: 1.0]),
    lambda m, o: m.optim.lr_scheduler.MultiplicativeLR(o, 0.5),
    lambda m, o: m.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="zigzag"),
    lambda m, o: m.optim.lr_scheduler.CyclicLR(o, [0.1], 1.0),
    lambda m, o: m.optim.lr_scheduler.CyclicLR(m.optim.Adagrad(o.param_groups[0]["params"]), 0.1, 1.0),
    lambda m, o: m.optim.lr_scheduler.CyclicLR("sgd", 0.1, 1.0),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 0),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2.5),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2, T_mult=0),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2, eta_min="0"),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2).step(-1),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.1),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=0),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=2),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=1.5),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, pct_start=1.5),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(m.optim.Adagrad(o.param_groups[0]["params"]), 0.1,
                                                 total_steps=10),
    lambda m, o: _step_times(m.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=2), 3),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [], []),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [m.optim.lr_scheduler.ExponentialLR(o, 0.9)], [2]),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [m.optim.lr_scheduler.ReduceLROnPlateau(o)], []),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [object()], []),
    lambda m, o: m.optim.lr_scheduler.ChainedScheduler([]),
    lambda m, o: m.optim.lr_scheduler.ChainedScheduler([m.optim.lr_scheduler.ReduceLROnPlateau(o)]),
    lambda m, o: m.optim.lr_scheduler.ChainedScheduler([m.optim.lr_scheduler.ExponentialLR(o, 0.9)],
                                                        optimizer=_sgd(m)),
]


@pytest.mark.parametrize("index", range(len(SCHEDULER_ERRORS)))
def test_scheduler_errors_match_torch(index):
    make = SCHEDULER_ERRORS[index]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            make(torch, _sgd(torch))
        with pytest.raises(type(theirs.value)) as ours:
            make(pullback, _sgd(pullback))
    if "which is different from" not in str(theirs.value):  # (that one names the optimizers' reprs)
        assert str(ours.value) == str(theirs.value)


def test_scheduler_warnings_match_torch():
    for m in (pullback, torch):
        opt = _sgd(m)
        sched = m.optim.lr_scheduler.OneCycleLR(opt, 0.5, total_steps=10)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()
        cos = m.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 3)
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            cos.get_lr()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cos.step(1.5)  # no deprecation warning for CosineAnnealingWarmRestarts' fractional epochs


def test_schedulers_drive_training_as_torch():
    """OneCycleLR on Adam (cycling beta1) and CyclicLR on SGD momentum, in a training loop."""
    def run(m, name):
        w, b, loss_fn = _problem(m, "float64")
        if name == "Adam":
            opt = m.optim.Adam([w, b], lr=0.01)
            sched = m.optim.lr_scheduler.OneCycleLR(opt, 0.05, total_steps=15)
        else:
            opt = m.optim.SGD([w, b], lr=0.01, momentum=0.9)
            sched = m.optim.lr_scheduler.CyclicLR(opt, 0.001, 0.05, step_size_up=4)
        for _ in range(15):
            opt.zero_grad()
            loss_fn().backward()
            opt.step()
            sched.step()
        return w.detach().numpy()
    for name in ("Adam", "SGD"):
        np.testing.assert_allclose(run(pullback, name), run(torch, name), rtol=1e-11, atol=1e-12)


# ---------------------------------------------------------------- swa_utils

def _models():
    """The same small model (with a BatchNorm) in torch and in pullback."""
    torch.manual_seed(0)
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    p_model = pullback.nn.Sequential(pullback.nn.Linear(3, 4), pullback.nn.BatchNorm1d(4), pullback.nn.Linear(4, 2))
    with pullback.no_grad():
        for p, t in zip(p_model.parameters(), t_model.parameters()):
            p.copy_(pullback.tensor(t.detach().numpy()))
    return p_model, t_model


AVERAGING = [
    ("swa", lambda m: {}),
    ("ema-multi", lambda m: {"multi_avg_fn": m.optim.swa_utils.get_ema_multi_avg_fn(0.8)}),
    ("ema", lambda m: {"avg_fn": m.optim.swa_utils.get_ema_avg_fn(0.7)}),
    ("swa-multi", lambda m: {"multi_avg_fn": m.optim.swa_utils.get_swa_multi_avg_fn()}),
    ("swa-fn", lambda m: {"avg_fn": m.optim.swa_utils.get_swa_avg_fn()}),
    ("ema-buffers", lambda m: {"multi_avg_fn": m.optim.swa_utils.get_ema_multi_avg_fn(0.5), "use_buffers": True}),
    ("swa-buffers", lambda m: {"use_buffers": True}),
]


@pytest.mark.parametrize("name,kwargs", AVERAGING, ids=[a[0] for a in AVERAGING])
def test_averaged_model_matches_torch(name, kwargs):
    rng = np.random.default_rng(5)
    data = [rng.standard_normal((6, 3)).astype(np.float32) for _ in range(5)]
    results = []
    for m, model in zip((pullback, torch), _models()):
        averaged = m.optim.swa_utils.AveragedModel(model, **kwargs(m))
        opt = m.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        for x in data:
            opt.zero_grad()
            model(m.tensor(x)).pow(2).sum().backward()
            opt.step()
            averaged.update_parameters(model)
        averaged.eval()
        out = averaged(m.tensor(data[0])).detach().numpy()
        state = {k: v.detach().numpy() for k, v in averaged.state_dict().items()}
        results.append((out, state, int(averaged.n_averaged)))
    (out, state, n), (t_out, t_state, t_n) = results
    assert n == t_n == len(data)
    assert sorted(state) == sorted(t_state)
    for key in t_state:
        assert state[key].dtype == t_state[key].dtype, key
        np.testing.assert_allclose(state[key], t_state[key], rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(out, t_out, rtol=1e-5, atol=1e-6)


def test_averaged_model_is_a_copy_and_forwards():
    model, _ = _models()
    averaged = pullback.optim.swa_utils.AveragedModel(model)
    assert all(p is not q for p, q in zip(averaged.parameters(), model.parameters()))
    assert averaged.n_averaged.dtype == pullback.int64 and averaged.n_averaged.item() == 0
    model.eval()
    averaged.eval()
    x = pullback.ones(2, 3)
    np.testing.assert_array_equal(averaged(x).detach().numpy(), model(x).detach().numpy())


def test_update_bn_matches_torch():
    rng = np.random.default_rng(6)
    data = [rng.standard_normal((5, 3)).astype(np.float32) for _ in range(4)]
    stats = []
    for m, model in zip((pullback, torch), _models()):
        model.eval()
        m.optim.swa_utils.update_bn([(m.tensor(x), 0) for x in data[:2]] + [m.tensor(x) for x in data[2:]], model)
        bn = model[1]
        assert not model.training and bn.momentum == 0.1
        stats.append((bn.running_mean.numpy(), bn.running_var.numpy(), int(bn.num_batches_tracked)))
    for a, b in zip(*stats):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    pullback.optim.swa_utils.update_bn([pullback.ones(2, 3)], pullback.nn.Linear(3, 1))  # no BatchNorm: nothing


SWALR_CONFIGS = [
    dict(swa_lr=0.05),
    dict(swa_lr=[0.01, 0.3], anneal_epochs=3, anneal_strategy="linear"),
    dict(swa_lr=0.02, anneal_epochs=0),
    dict(swa_lr=0.5, anneal_epochs=1, anneal_strategy="cos"),
]


@pytest.mark.parametrize("kwargs", SWALR_CONFIGS, ids=[str(i) for i in range(len(SWALR_CONFIGS))])
def test_swalr_matches_torch(kwargs):
    def make(m, o):
        return m.optim.swa_utils.SWALR(o, **kwargs)
    _assert_same_history(_schedule(pullback, make, "SGD", steps=14)[0], _schedule(torch, make, "SGD", steps=14)[0])
    _, opt, sched = _schedule(pullback, make, "SGD", steps=4)
    saved = sched.state_dict()
    assert "anneal_func" not in saved
    opt2 = _sgd(pullback)
    sched2 = make(pullback, opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(saved)
    for _ in range(5):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


SWA_ERRORS = [
    lambda m, o: m.optim.swa_utils.get_ema_multi_avg_fn(1.5),
    lambda m, o: m.optim.swa_utils.get_ema_avg_fn(-0.1),
    lambda m, o: m.optim.swa_utils.AveragedModel(m.nn.Linear(2, 2), avg_fn=m.optim.swa_utils.get_swa_avg_fn(),
                                                 multi_avg_fn=m.optim.swa_utils.get_swa_multi_avg_fn()),
    lambda m, o: m.optim.swa_utils.SWALR(o, 0.1, anneal_strategy="exp"),
    lambda m, o: m.optim.swa_utils.SWALR(o, 0.1, anneal_epochs=-1),
    lambda m, o: m.optim.swa_utils.SWALR(o, 0.1, anneal_epochs=2.5),
    lambda m, o: m.optim.swa_utils.SWALR(o, [0.1, 0.2, 0.3]),
]


@pytest.mark.parametrize("index", range(len(SWA_ERRORS)))
def test_swa_errors_match_torch(index):
    with pytest.raises(Exception) as theirs:
        SWA_ERRORS[index](torch, _sgd(torch))
    with pytest.raises(type(theirs.value)) as ours:
        SWA_ERRORS[index](pullback, _sgd(pullback))
    assert str(ours.value) == str(theirs.value)


def test_swalr_get_lr_warns_as_torch():
    for m in (pullback, torch):
        sched = m.optim.swa_utils.SWALR(_sgd(m), 0.1)
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()


def test_lbfgs_state_dict_resumes_and_handles_missing_grads():
    """Two steps, saved and loaded into a new LBFGS on a copy of the parameters: the next steps
    are the original's; a parameter that gets no gradient stays put (its part of the flat
    gradient is zeros), as torch's."""
    def setup(m):
        w, b, loss_fn = _problem(m, "float64")
        unused = m.ones(3, dtype=m.float64, requires_grad=True)
        return [w, b, unused], loss_fn

    def closure_for(opt, loss_fn):
        def closure():
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss
        return closure

    runs = []
    for m in (pullback, torch):
        params, loss_fn = setup(m)
        opt = m.optim.LBFGS(params, line_search_fn="strong_wolfe", history_size=3, max_iter=4)
        for _ in range(2):
            opt.step(closure_for(opt, loss_fn))
        runs.append((params, opt, loss_fn))
    params, opt, loss_fn = runs[0]
    copies, copy_loss_fn = setup(pullback)
    with pullback.no_grad():
        for p, q in zip(copies, params):
            p.copy_(q)
    resumed = pullback.optim.LBFGS(copies, line_search_fn="strong_wolfe", history_size=3, max_iter=4)
    resumed.load_state_dict(opt.state_dict())
    t_params, t_opt, t_loss_fn = runs[1]
    for _ in range(2):
        opt.step(closure_for(opt, loss_fn))
        resumed.step(closure_for(resumed, copy_loss_fn))
        t_opt.step(closure_for(t_opt, t_loss_fn))
    for p, q, t in zip(params, copies, t_params):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(params[2].detach().numpy(), np.ones(3))
    assert resumed.state[copies[0]]["n_iter"] == opt.state[params[0]]["n_iter"] == t_opt.state[t_params[0]]["n_iter"]


RESUMABLE = [
    lambda m, o, e: m.optim.lr_scheduler.OneCycleLR(o, 0.5, total_steps=20, last_epoch=e),
    lambda m, o, e: m.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=3, last_epoch=e),
    lambda m, o, e: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 3, T_mult=2, last_epoch=e),
    lambda m, o, e: m.optim.lr_scheduler.MultiplicativeLR(o, lambda k: 0.9, last_epoch=e),
    lambda m, o, e: m.optim.swa_utils.SWALR(o, 0.05, anneal_epochs=4, last_epoch=e),
]


@pytest.mark.parametrize("index", range(len(RESUMABLE)))
def test_scheduler_resumed_with_last_epoch_matches_torch(index):
    """A scheduler made again with ``last_epoch`` after five steps (on the optimizer the first
    one drove), as torch's: its warnings aside, the same rates from there on."""
    make = RESUMABLE[index]
    runs = []
    for m in (pullback, torch):
        opt = _sgd(m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = make(m, opt, -1)
            for _ in range(5):
                opt.step()
                sched.step()
            resumed = make(m, opt, 5)
            history = [(list(resumed.get_last_lr()), _group_view(opt))]
            for _ in range(6):
                opt.step()
                resumed.step()
                history.append((list(resumed.get_last_lr()), _group_view(opt)))
        runs.append(history)
    _assert_same_history(*runs)
