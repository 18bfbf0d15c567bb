"""Optimizers: the same parameters as torch after 10 steps for every optimizer and option set,
state dicts, parameter groups; schedulers: the same learning rates as torch's."""
import warnings

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
]


def _train(m, name, kwargs, dtype, steps=10):
    rng = np.random.default_rng(0)
    w = m.tensor(rng.standard_normal((3, 4)), dtype=getattr(m, dtype), requires_grad=True)
    b = m.tensor(rng.standard_normal(4), dtype=getattr(m, dtype), requires_grad=True)
    x = m.tensor(rng.standard_normal((8, 3)), dtype=getattr(m, dtype))
    opt = getattr(m.optim, name)([w, b], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ w + b).tanh() ** 2).sum()
        loss.backward()
        opt.step()
    return w.detach().numpy(), b.detach().numpy(), opt


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_ten_steps_match_torch(name, kwargs, dtype):
    ours = _train(pullback, name, kwargs, dtype)
    theirs = _train(torch, name, kwargs, dtype)
    tol = 1e-12 if dtype == "float64" else 2e-5
    for a, b in zip(ours[:2], theirs[:2]):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_state_dict_round_trip_resumes_identically():
    w_a, _, opt = _train(pullback, "Adam", dict(lr=0.01), "float64", steps=3)
    state = opt.state_dict()
    assert state["param_groups"][0]["params"] == [0, 1] and state["state"][0]["step"] == 3
    rng = np.random.default_rng(1)
    p = pullback.tensor(rng.standard_normal(3), requires_grad=True)
    q = pullback.tensor(p.detach().numpy().copy(), requires_grad=True)
    a = pullback.optim.Adam([p], lr=0.1)
    for _ in range(2):
        a.zero_grad()
        (p ** 2).sum().backward()
        a.step()
    b = pullback.optim.Adam([q], lr=0.5)
    q.data = p.detach().clone()
    b.load_state_dict(a.state_dict())
    assert b.param_groups[0]["lr"] == 0.1
    for opt, t in ((a, p), (b, q)):
        opt.zero_grad()
        (t ** 2).sum().backward()
        opt.step()
    assert np.allclose(p.detach().numpy(), q.detach().numpy())


def test_param_groups_and_errors():
    a = pullback.zeros(2, requires_grad=True)
    b = pullback.zeros(2, requires_grad=True)
    opt = pullback.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = pullback.ones(2), pullback.ones(2)
    opt.step()
    assert np.allclose(a.tolist(), [-0.1, -0.1]) and b.tolist() == [-0.5, -0.5]
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty parameter list"):
        pullback.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        pullback.optim.SGD([a * 2], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        pullback.optim.Adam([a], lr=-1)


def test_step_does_not_record_a_graph_and_bumps_versions():
    w = pullback.ones(2, requires_grad=True)
    y = w * w
    (w * 2).sum().backward()
    pullback.optim.SGD([w], lr=0.1).step()
    assert w.grad_fn is None and w.is_leaf and w._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5], gamma=0.1)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=6, eta_min=0.01)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1 / (epoch + 1))),
    ("ConstantLR", dict(factor=0.4, total_iters=4)),
    ("LinearLR", dict(start_factor=0.4, end_factor=0.8, total_iters=4)),
    ("PolynomialLR", dict(power=0.9, total_iters=4)),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[n for n, _ in SCHEDULERS])
def test_schedulers_match_torch(name, kwargs):
    def lrs(m):
        p = m.zeros(1, requires_grad=True)
        opt = m.optim.SGD([p], lr=0.5)
        sched = getattr(m.optim.lr_scheduler, name)(opt, **kwargs)
        out = []
        for _ in range(10):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr()[0])
        return out
    np.testing.assert_allclose(lrs(pullback), lrs(torch), rtol=1e-12)


CHAINS = [
    [("CosineAnnealingLR", dict(T_max=3, eta_min=0.1)), ("MultiStepLR", dict(milestones=[2, 2, 5], gamma=0.5))],
    [("ConstantLR", dict(factor=0.4, total_iters=4)), ("ExponentialLR", dict(gamma=0.9))],
    [("StepLR", dict(step_size=2, gamma=0.9)), ("LinearLR", dict(start_factor=0.4, total_iters=4))],
]


@pytest.mark.parametrize("chain", CHAINS, ids=["+".join(n for n, _ in c) for c in CHAINS])
def test_chained_schedulers_compose_as_torch(chain):
    """Schedulers on one optimizer multiply their factors (torch's chainable form), bit for bit;
    step(epoch) jumps to the closed form."""
    def lrs(m):
        p = m.zeros(1, requires_grad=True)
        opt = m.optim.SGD([p], lr=1.0)
        scheds = [getattr(m.optim.lr_scheduler, name)(opt, **kwargs) for name, kwargs in chain]
        out = []
        for _ in range(9):
            opt.step()
            for sched in scheds:
                sched.step()
            out.append(opt.param_groups[0]["lr"])
        with pytest.warns(UserWarning, match="epoch parameter"):
            scheds[0].step(4)
        return out + scheds[0].get_last_lr()
    assert lrs(pullback) == lrs(torch)


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]

    def lrs(m):
        p = m.zeros(1, requires_grad=True)
        opt = m.optim.SGD([p], lr=1.0)
        sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1)
        out = []
        for metric in metrics:
            sched.step(metric)
            out.append(opt.param_groups[0]["lr"])
        return out
    assert lrs(pullback) == lrs(torch)


def test_named_parameters_keep_their_names_as_torch():
    def run(m):
        m.manual_seed(0)
        model = m.nn.Linear(2, 1)
        opt = m.optim.SGD(model.named_parameters(), lr=0.1, momentum=0.9)
        model(m.ones(2)).sum().backward()
        opt.step()
        sd = opt.state_dict()
        return list(opt.param_groups[0]), sd["param_groups"][0]["param_names"], sorted(sd["state"])
    assert run(pullback) == run(torch)
    w = pullback.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="Some param names are missing"):
        pullback.optim.SGD([("w", w), pullback.zeros(1, requires_grad=True)])


def _loss_after_steps(m, name, kwargs, lr, p0, steps=3):
    """A weighted quadratic loss after ``steps`` differentiable steps from ``p0.clone()``, each from
    a gradient taken with ``create_graph=True`` (so that the steps depend on ``p0`` through it)."""
    rng = np.random.default_rng(0)
    weights = m.tensor(rng.uniform(0.5, 2.0, 3), dtype=m.float64)
    target = m.tensor(rng.standard_normal(3), dtype=m.float64)

    def loss(p):
        return (weights * (p - target) ** 2).sum()
    p = p0.clone()
    optimizer = getattr(m.optim, name)([p], lr=lr, differentiable=True, **kwargs)
    for _ in range(steps):
        p.grad, = m.autograd.grad(loss(p), p, create_graph=True)
        optimizer.step()
    return loss(p)


DIFFERENTIABLE_CONFIGS = [  # (name, kwargs, whether lr is a Tensor that requires grad)
    ("SGD", dict(), True),
    ("SGD", dict(momentum=0.9, nesterov=True, weight_decay=0.1), False),
    ("Adam", dict(), True),
    ("Adam", dict(betas=(0.8, 0.9), weight_decay=0.1), False),
    ("AdamW", dict(), True),
    ("AdamW", dict(weight_decay=0.5, maximize=True), False),
    ("RMSprop", dict(weight_decay=0.1), False),
    ("Adagrad", dict(lr_decay=0.1, weight_decay=0.1), False),
]


def _differentiable_inputs(m, tensor_lr):
    p0 = m.tensor([0.5, -1.0, 2.0], dtype=m.float64, requires_grad=True)
    lr = m.tensor(0.1, dtype=m.float64, requires_grad=True) if tensor_lr else 0.1
    return lr, p0


@pytest.mark.parametrize("name,kwargs,tensor_lr", DIFFERENTIABLE_CONFIGS)
def test_differentiable_steps_give_torchs_gradients(name, kwargs, tensor_lr):
    def gradients(m):
        lr, p0 = _differentiable_inputs(m, tensor_lr)
        wrt = (lr, p0) if tensor_lr else (p0,)
        loss = _loss_after_steps(m, name, kwargs, lr, p0)
        return [loss.detach().numpy()] + [g.detach().numpy() for g in m.autograd.grad(loss, wrt)]
    for ours, theirs in zip(gradients(pullback), gradients(torch)):
        # torch's differentiable Adam rounds its bias corrections in float32 (from its float32 step)
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-12)


# Not SGD with momentum: torch's first momentum buffer is a detached copy of the gradient, so its
# (and pullback's) gradient through step() leaves that path out, where finite differences do not.
@pytest.mark.parametrize("name,kwargs,tensor_lr", [c for c in DIFFERENTIABLE_CONFIGS if not c[1].get("momentum")])
def test_differentiable_steps_match_finite_differences(name, kwargs, tensor_lr):
    lr, p0 = _differentiable_inputs(pullback, tensor_lr)
    if tensor_lr:
        assert pullback.autograd.gradcheck(lambda lr, p0: _loss_after_steps(pullback, name, kwargs, lr, p0), (lr, p0))
    else:
        assert pullback.autograd.gradcheck(lambda p0: _loss_after_steps(pullback, name, kwargs, lr, p0), (p0,))


def test_differentiable_sgd_second_order_matches_finite_differences():
    lr, p0 = _differentiable_inputs(pullback, True)
    assert pullback.autograd.gradgradcheck(lambda lr, p0: _loss_after_steps(pullback, "SGD", {}, lr, p0), (lr, p0))


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(momentum=0.9)), ("Adam", dict(amsgrad=True, weight_decay=0.1)),
                                         ("RMSprop", dict(centered=True, momentum=0.5))])
def test_differentiable_steps_refuse_backward_where_torch_does(name, kwargs):
    """torch's updates in place of state its graph saved (tensor lr times the momentum buffer, ...):
    backward through several steps fails there, in pullback as in torch."""
    for m in (torch, pullback):
        lr, p0 = _differentiable_inputs(m, name == "SGD")
        loss = _loss_after_steps(m, name, kwargs, lr, p0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            m.autograd.grad(loss, p0)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_differentiable_errors_as_torch(name):
    for m in (torch, pullback):
        cls = getattr(m.optim, name)
        leaf = m.zeros(2, requires_grad=True)
        optimizer = cls([leaf], lr=0.1, differentiable=True)
        leaf.grad = m.ones(2)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            optimizer.step()
        with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
            cls([leaf.clone()], lr=0.1)
        if name != "RMSprop":
            with pytest.raises(RuntimeError, match="`fused` does not support `differentiable`"):
                cls([leaf.clone()], lr=0.1, differentiable=True, fused=True)
        p = leaf.clone()
        optimizer = cls([p], lr=0.1, differentiable=True, foreach=True)
        p.grad = m.ones(2)
        if name == "SGD":
            optimizer.step()
        else:
            with pytest.raises(AssertionError, match="_foreach ops don't support autograd"):
                optimizer.step()


def _scheduler_warnings(m, calls):
    """The UserWarning messages of ``calls(optimizer, scheduler)`` on an SGD optimizer with a StepLR."""
    p = m.zeros(2, requires_grad=True)
    p.grad = m.ones(2)
    optimizer = m.optim.SGD([p], lr=0.1)
    scheduler = m.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        calls(optimizer, scheduler)
    return [str(w.message) for w in seen if issubclass(w.category, UserWarning)], optimizer.param_groups[0]["lr"]


@pytest.mark.parametrize("calls", [
    lambda opt, sched: (sched.step(), opt.step(), sched.step()),               # scheduler first: warns once
    lambda opt, sched: (opt.step(), sched.step(), sched.step()),               # the right order: no warning
    lambda opt, sched: (opt.step(), sched.step(3)),                            # step(epoch): deprecated
    lambda opt, sched: (opt.step(), sched.get_lr(), sched.step()),             # get_lr() outside step()
    lambda opt, sched: (setattr(opt, "step", lambda: None), sched.step()),     # step replaced after the scheduler
], ids=["before-optimizer", "in-order", "epoch", "get_lr", "overridden"])
def test_scheduler_warnings_as_torch(calls):
    assert _scheduler_warnings(pullback, calls) == _scheduler_warnings(torch, calls)


@pytest.mark.parametrize("name,kwargs,error,where", [
    ("Adam", dict(capturable=True), AssertionError, "step"),
    ("AdamW", dict(capturable=True), AssertionError, "step"),
    ("RMSprop", dict(capturable=True), AssertionError, "step"),
    ("Adam", dict(capturable=True, fused=True), None, "nowhere"),
    ("SGD", dict(fused=True, foreach=True), RuntimeError, "init"),
    ("Adam", dict(fused=True, foreach=True), RuntimeError, "init"),
    ("Adagrad", dict(fused=True, foreach=True), RuntimeError, "init"),
])
def test_implementation_options_error_as_torch(name, kwargs, error, where):
    """capturable (CUDA graphs) is refused on CPU tensors at step() (not by the fused Adam, which
    does not check); fused with foreach at once."""
    def outcome(m):
        """What happens, in order: construction, then the parameter after one step, or an exception."""
        seen = []
        p = m.ones(3, requires_grad=True)
        try:
            optimizer = getattr(m.optim, name)([p], **kwargs)
            seen.append("constructed")
            p.grad = m.ones(3)
            optimizer.step()
            seen.append(p.detach().tolist())
        except Exception as e:  # noqa: BLE001  (the exception is what is compared)
            seen.append((type(e), str(e)))
        return seen
    ours = outcome(pullback)
    assert ours == outcome(torch)
    if error is None:
        assert ours == ["constructed", pytest.approx([0.999] * 3)]
    else:
        assert ours[-1][0] is error and (where == "step") == ("constructed" in ours)
