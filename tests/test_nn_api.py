"""Module behaviour: registration, traversal, state dicts, modes, hooks, printing, init, utils."""
import math
import warnings

import numpy as np
import pytest

import pullback
import pullback.nn as nn
import pullback.nn.functional as F

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])
        self.scale = nn.Parameter(pullback.ones(1))
        self.register_buffer("steps", pullback.zeros(1))
        self.register_buffer("cache", pullback.zeros(2), persistent=False)

    def forward(self, x):
        h = self.act(self.fc1(x))
        for block in self.blocks:
            h = block(h)
        return h * self.scale


def test_registration_and_traversal():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                     "blocks.1.bias"]
    assert len(list(net.parameters(recurse=False))) == 1
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "blocks"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "blocks", "blocks.0", "blocks.1"]
    assert net.get_submodule("blocks.1") is net.blocks[1]
    assert list(net.state_dict()) == ["scale", "steps", "fc1.weight", "fc1.bias", "blocks.0.weight",
                                      "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, shared)
    assert len(list(seq.parameters())) == 2
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        net.nope
    with pytest.raises(TypeError, match="cannot assign 'int' as parameter 'scale'"):
        net.scale = 3


@needs_torch
def test_state_dict_order_matches_torch():
    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(3, 4)
            self.act = torch.nn.ReLU()
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)])
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.register_buffer("steps", torch.zeros(1))
            self.register_buffer("cache", torch.zeros(2), persistent=False)
    assert list(Net().state_dict()) == list(TorchNet().state_dict())
    assert [n for n, _ in Net().named_parameters()] == [n for n, _ in TorchNet().named_parameters()]


def test_load_state_dict_errors_and_round_trip():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    x = pullback.randn(2, 3)
    assert np.allclose(a(x).detach().numpy(), b(x).detach().numpy())
    lin = nn.Linear(2, 3)
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict({"weight": pullback.zeros(3, 2), "foo": pullback.zeros(1)})
    assert str(info.value) == ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
                               '\n\tUnexpected key(s) in state_dict: "foo". ')
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict({"weight": pullback.zeros(3, 3), "bias": pullback.zeros(3)})
    assert str(info.value) == ("Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a "
                               "param with shape pullback.Size([3, 3]) from checkpoint, the shape in current model "
                               "is pullback.Size([3, 2]).")
    result = lin.load_state_dict({"weight": pullback.zeros(3, 2), "foo": pullback.zeros(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["foo"]
    assert lin.weight.abs().sum().item() == 0


def test_train_eval_zero_grad_apply_to():
    net = Net()
    assert net.training and net.fc1.training
    net.eval()
    assert not net.training and not net.blocks[0].training
    net.train()
    net(pullback.randn(2, 3)).sum().backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad()
    assert net.fc1.weight.grad is None
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"
    net.double()
    assert net.fc1.weight.dtype is pullback.float64 and isinstance(net.fc1.weight, nn.Parameter)
    assert net(pullback.randn(2, 3, dtype=pullback.float64)).dtype is pullback.float64
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_forward_hooks_and_pre_hooks():
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 10))
    activations = []
    handle = model[1].register_forward_hook(lambda module, inp, out: activations.append(out))
    model(pullback.randn(32, 10))
    assert activations[0].shape == (32, 64)
    handle.remove()
    model(pullback.randn(32, 10))
    assert len(activations) == 1
    model[2].register_forward_hook(lambda module, inp, out: out * 0)
    assert model(pullback.randn(2, 10)).abs().sum().item() == 0
    lin = nn.Linear(2, 2)
    lin.register_forward_pre_hook(lambda module, args: (args[0] * 0,))
    assert np.allclose(lin(pullback.ones(1, 2)).detach().numpy(), lin.bias.detach().numpy())
    calls = []
    lin.register_forward_hook(lambda m, args, kwargs, out: calls.append(sorted(kwargs)), with_kwargs=True)
    lin(pullback.ones(1, 2))
    assert calls == [[]]


def test_full_backward_hooks():
    lin = nn.Linear(3, 2)
    seen = {}

    def hook(module, grad_input, grad_output):
        seen["in"] = [g.shape for g in grad_input]
        seen["out"] = [g.shape for g in grad_output]
        return (grad_input[0] * 0,)

    def pre_hook(module, grad_output):
        seen["pre"] = grad_output[0].tolist()
        return (grad_output[0] * 2,)

    lin.register_full_backward_hook(hook)
    lin.register_full_backward_pre_hook(pre_hook)
    x = pullback.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    assert seen["in"] == [(4, 3)] and seen["out"] == [(4, 2)]
    assert seen["pre"] == [[1.0, 1.0]] * 4
    assert x.grad.abs().sum().item() == 0
    assert np.allclose(lin.bias.grad.numpy(), [8.0, 8.0])  # the pre-hook doubled grad_output


def test_module_repr_examples():
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 10))
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=10, out_features=64, bias=True)\n  (1): ReLU()\n"
                           "  (2): Linear(in_features=64, out_features=10, bias=True)\n)")
    assert repr(nn.Parameter(pullback.zeros(2))) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"
    assert repr(nn.ModuleList([nn.ReLU(), nn.ReLU()])) == "ModuleList(\n  (0-1): 2 x ReLU()\n)"


@needs_torch
def test_module_reprs_match_torch():
    makers = [lambda m: m.Sequential(m.Linear(2, 2), m.Sequential(m.ReLU(), m.Linear(2, 1, bias=False))),
              lambda m: m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.ReLU()]),
              lambda m: m.ModuleDict({"a": m.ReLU(), "b": m.Linear(1, 1)}),
              lambda m: m.Embedding(10, 3, padding_idx=0), lambda m: m.Dropout(0.2), lambda m: m.ELU(),
              lambda m: m.Softmax(dim=1), lambda m: m.BatchNorm2d(4, momentum=0.2), lambda m: m.CrossEntropyLoss(),
              lambda m: m.Conv1d(2, 3, 3, stride=2, bias=False), lambda m: m.AvgPool2d(2),
              lambda m: m.MaxPool2d(3, 1), lambda m: m.Flatten(), lambda m: m.Unflatten(1, (2, 2)),
              lambda m: m.LeakyReLU(0.2), lambda m: m.GELU("tanh"), lambda m: m.Bilinear(2, 3, 4)]
    for make in makers:
        assert repr(make(nn)) == repr(make(torch.nn))


def test_linear_init_bounds():
    pullback.manual_seed(0)
    lin = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)  # kaiming_uniform with a=sqrt(5) gives the same bound as the bias
    assert lin.weight.abs().max().item() <= bound and lin.weight.abs().max().item() > 0.9 * bound
    assert lin.bias.abs().max().item() <= bound
    w = pullback.empty(200, 300)
    nn.init.xavier_uniform_(w)
    assert w.abs().max().item() <= math.sqrt(6 / 500)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.std().item() - math.sqrt(2 / 300)) < 0.005
    nn.init.orthogonal_(w)
    q = w.detach().numpy()
    assert np.allclose(q @ q.T, np.eye(200), atol=1e-5)
    nn.init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
    assert w.abs().max().item() <= 0.5
    nn.init.eye_(w)
    assert w.sum().item() == 200
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))


def test_batchnorm_running_stats_and_eval():
    bn = nn.BatchNorm1d(3)
    x = pullback.randn(50, 3) * 2 + 1
    bn(x)
    assert np.allclose(bn.running_mean.numpy(), 0.1 * x.mean(0).numpy(), atol=1e-6)
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    y = bn(x)
    expected = (x.numpy() - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    assert np.allclose(y.detach().numpy(), expected, atol=1e-5)


@needs_torch
@pytest.mark.parametrize("kwargs", [dict(momentum=None), dict(bias=False), dict(affine=False),
                                    dict(track_running_stats=False), dict(momentum=None, affine=False)])
def test_batchnorm_options_over_several_batches_match_torch(kwargs):
    """The cumulative moving average (momentum=None) needs several batches to show."""
    ours, theirs = nn.BatchNorm1d(3, **kwargs).double(), torch.nn.BatchNorm1d(3, **kwargs).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    batches = [np.random.default_rng(i).standard_normal((6, 3)) * (i + 1) for i in range(3)]
    for x in batches:
        y, expected = ours(pullback.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    for name, buffer in theirs.named_buffers():
        np.testing.assert_allclose(getattr(ours, name).numpy(), buffer.numpy(), rtol=1e-10, atol=1e-12)
    ours.eval(), theirs.eval()
    x = batches[0]
    np.testing.assert_allclose(ours(pullback.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("loss", ["MSELoss", "L1Loss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "KLDivLoss",
                                  "SmoothL1Loss", "BCEWithLogitsLoss"])
@pytest.mark.parametrize("size_average,reduce", [(False, None), (None, False), (True, True), (False, True)])
def test_loss_legacy_size_average_and_reduce_choose_torchs_reduction(loss, size_average, reduce):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated") as ours:
        mine = getattr(nn, loss)(size_average=size_average, reduce=reduce)
    with pytest.warns(UserWarning) as theirs:
        expected = getattr(torch.nn, loss)(size_average=size_average, reduce=reduce)
    assert mine.reduction == expected.reduction
    assert str(ours[0].message) == str(theirs[0].message)


def test_dropout_train_and_eval():
    pullback.manual_seed(0)
    d = nn.Dropout(0.25)
    y = d(pullback.ones(1000))
    zeros = (y == 0).sum().item()
    assert 180 < zeros < 320 and np.allclose(y.numpy()[y.numpy() != 0], 1 / 0.75)
    d.eval()
    assert d(pullback.ones(5)).tolist() == [1.0] * 5


def test_embedding_padding_idx_gets_no_gradient():
    emb = nn.Embedding(5, 2, padding_idx=0)
    assert emb.weight[0].abs().sum().item() == 0
    emb(pullback.tensor([0, 1, 1])).sum().backward()
    assert emb.weight.grad[0].tolist() == [0.0, 0.0] and emb.weight.grad[1].tolist() == [2.0, 2.0]


# ------------------------------------------------ nn.functional against torch (fixed silent bugs)
def _torch():
    return pytest.importorskip("torch")


def _pair_of(torch, array, requires_grad=True):
    return (torch.tensor(array, requires_grad=requires_grad),
            pullback.tensor(array, requires_grad=requires_grad))


def _assert_close(p, t):
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12, equal_nan=True)


def test_kl_div_zero_targets_and_log_target_infinities_match_torch():
    torch = _torch()
    cases = [([-1.0, -2.0, -0.5, -1.0, -1.0], [0.0, 0.5, 0.0, -0.2, 1.0], False),
             ([-1.0, -2.0, -np.inf, -1.0, 0.0], [-np.inf, -0.5, 0.3, np.inf, np.nan], True)]
    for x, t, log_target in cases:
        (tx, px), (tt, pt) = _pair_of(torch, np.array(x)), _pair_of(torch, np.array(t))
        outs = [lib.nn.functional.kl_div(a, b, reduction="none", log_target=log_target)
                for lib, a, b in ((torch, tx, tt), (pullback, px, pt))]
        _assert_close(outs[1], outs[0])
        firsts = [lib.autograd.grad(o, [a, b], lib.ones(5, dtype=lib.float64), create_graph=True)
                  for lib, o, a, b in ((torch, outs[0], tx, tt), (pullback, outs[1], px, pt))]
        for p, t_ in zip(firsts[1], firsts[0]):
            _assert_close(p, t_)
        seconds = [lib.autograd.grad(g[1].sum(), [a, b], allow_unused=True)
                   for lib, g, a, b in ((torch, firsts[0], tx, tt), (pullback, firsts[1], px, pt))]
        for p, t_ in zip(seconds[1], seconds[0]):
            _assert_close(p, t_)


def test_nll_loss_ignore_index_naming_a_class_matches_torch():
    torch = _torch()
    logp = np.log(np.random.default_rng(0).dirichlet(np.ones(3), size=4))
    target = np.array([0, 1, 0, 2])
    for reduction in ("mean", "sum", "none"):
        for ignore in (0, 1):
            (tx, px) = _pair_of(torch, logp)
            t = torch.nn.functional.nll_loss(tx, torch.tensor(target), ignore_index=ignore, reduction=reduction)
            p = F.nll_loss(px, pullback.tensor(target), ignore_index=ignore, reduction=reduction)
            _assert_close(p, t)
            (t.sum() if t.ndim else t).backward()
            (p.sum() if p.ndim else p).backward()
            _assert_close(px.grad, tx.grad)
    (tx, px) = _pair_of(torch, logp)   # every row ignored: the loss is nan, the gradient 0
    torch.nn.functional.cross_entropy(tx, torch.ones(4, dtype=torch.long), ignore_index=1,
                                      label_smoothing=0.2).backward()
    F.cross_entropy(px, pullback.ones(4, dtype=pullback.long), ignore_index=1, label_smoothing=0.2).backward()
    _assert_close(px.grad, tx.grad)


def test_conv_padding_same_with_dilation_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(0)
    for x_shape, w_shape, dilation in [((1, 2, 7), (3, 2, 4), 3), ((2, 3, 6, 5), (4, 3, 2, 3), (3, 2))]:
        (tx, px), (tw, pw) = _pair_of(torch, rng.standard_normal(x_shape)), _pair_of(torch, rng.standard_normal(w_shape))
        name = "conv1d" if len(w_shape) == 3 else "conv2d"
        with warnings.catch_warnings():   # torch warns once per process
            warnings.simplefilter("ignore")
            t = getattr(torch.nn.functional, name)(tx, tw, padding="same", dilation=dilation)
        with pytest.warns(UserWarning, match="padding='same'"):
            p = getattr(F, name)(px, pw, padding="same", dilation=dilation)
        assert tuple(p.shape) == tuple(t.shape) == x_shape[:1] + w_shape[:1] + x_shape[2:]
        _assert_close(p, t)
        cotangent = rng.standard_normal(t.shape)
        for a, b in zip(pullback.autograd.grad(p, [px, pw], pullback.tensor(cotangent)),
                        torch.autograd.grad(t, [tx, tw], torch.tensor(cotangent))):
            _assert_close(a, b)


def test_embedding_max_norm_and_scale_grad_by_freq_match_torch():
    torch = _torch()
    weight = np.random.default_rng(1).standard_normal((5, 3)) * 2
    idx = [[0, 2, 0], [2, 2, 4]]
    for kwargs in ({"max_norm": 1.0}, {"max_norm": 1.5, "norm_type": 1.0}, {"scale_grad_by_freq": True},
                   {"scale_grad_by_freq": True, "padding_idx": 0}):
        (tw, pw) = _pair_of(torch, weight)
        t = torch.nn.functional.embedding(torch.tensor(idx), tw, **kwargs)
        p = F.embedding(pullback.tensor(idx), pw, **kwargs)
        _assert_close(p, t)
        _assert_close(pw, tw)          # max_norm rescales the rows in place
        t.sum().backward()
        p.sum().backward()
        _assert_close(pw.grad, tw.grad)


def test_loss_target_broadcast_errors_and_legacy_reduction_match_torch():
    torch = _torch()
    for name in ("l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"):
        with pytest.warns(UserWarning, match="target size"):
            with pytest.raises(RuntimeError, match=r"The size of tensor a \(4\) must match the size of tensor b "
                                                   r"\(5\) at non-singleton dimension 1"):
                getattr(F, name)(pullback.randn(5, 4), pullback.randn(5))
    x, t = np.random.default_rng(2).standard_normal((2, 3, 4))
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            p = F.mse_loss(pullback.tensor(x), pullback.tensor(t), size_average=size_average, reduce=reduce)
        with pytest.warns(UserWarning):
            expected = torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(t), size_average=size_average,
                                                    reduce=reduce)
        _assert_close(p, expected)


def test_inplace_activations_write_into_their_input():
    torch = _torch()
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0, 7.0])
    for name, kwargs in (("relu", {}), ("relu6", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
                         ("leaky_relu", {"negative_slope": 0.2}), ("elu", {"alpha": 0.7}), ("silu", {})):
        (tx, px) = _pair_of(torch, x)
        ty, py = tx * 1, px * 1
        t = getattr(torch.nn.functional, name)(ty, inplace=True, **kwargs)
        p = getattr(F, name)(py, inplace=True, **kwargs)
        assert p is py
        _assert_close(py, ty)
        tg, = torch.autograd.grad(t.sum(), tx, create_graph=True)
        pg, = pullback.autograd.grad(p.sum(), px, create_graph=True)
        _assert_close(pg, tg)
        tgg = torch.autograd.grad(tg.sum(), tx, allow_unused=True)[0]
        pgg = pullback.autograd.grad(pg.sum(), px, allow_unused=True)[0]
        if tgg is not None and pgg is not None:
            _assert_close(pgg, tgg)
    assert F.hardtanh(pullback.tensor([-3, 0, 2]), -2.7, 1.5).tolist() == [-2, 0, 1]   # truncated integer bounds
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(pullback.randn(3), 1.0, -1.0)


def test_cosine_similarity_and_elu_gradients_against_finite_differences():
    rng = np.random.default_rng(3)
    a = pullback.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = pullback.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert pullback.autograd.gradcheck(F.cosine_similarity, (a, b))
    assert pullback.autograd.gradgradcheck(F.cosine_similarity, (a, b))
    x = pullback.tensor(rng.standard_normal(6), requires_grad=True)
    assert pullback.autograd.gradcheck(lambda v: F.elu(v, 0.7), (x,))
    assert pullback.autograd.gradgradcheck(lambda v: F.elu(v, 0.7), (x,))


def test_functional_helpers():
    assert F.one_hot(pullback.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    x = pullback.tensor([[3.0, 4.0]])
    assert np.allclose(F.normalize(x).numpy(), [[0.6, 0.8]])
    assert F.cosine_similarity(x, x).item() == pytest.approx(1.0)
    assert F.pad(pullback.ones(1, 2), (1, 2)).tolist() == [[0.0, 1.0, 1.0, 0.0, 0.0]]
    assert F.pad(pullback.tensor([[0.0, 1.0, 2.0]]), (2, 1), mode="reflect").tolist() == [[2.0, 1.0, 0.0, 1.0, 2.0, 1.0]]


def test_utils():
    a = nn.Parameter(pullback.tensor([3.0, 0.0]))
    b = nn.Parameter(pullback.tensor([4.0]))
    a.grad, b.grad = pullback.tensor([3.0, 0.0]), pullback.tensor([4.0])
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(5.0)
    assert math.sqrt(a.grad.pow(2).sum().item() + b.grad.pow(2).sum().item()) == pytest.approx(1.0, rel=1e-5)
    nn.utils.clip_grad_value_([a, b], 0.1)
    assert a.grad.max().item() == pytest.approx(0.1)
    vec = nn.utils.parameters_to_vector([a, b])
    assert vec.tolist() == [3.0, 0.0, 4.0]
    nn.utils.vector_to_parameters(pullback.tensor([1.0, 2.0, 3.0]), [a, b])
    assert a.tolist() == [1.0, 2.0] and b.tolist() == [3.0]


def test_gradient_penalty_leaves_unreached_parameter_grad_none():
    pullback.manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    unused = nn.Linear(2, 2)
    x = pullback.randn(4, 3, 2, 2).requires_grad_(True)
    out = critic(x)
    (g,) = pullback.autograd.grad(out, x, pullback.ones_like(out), create_graph=True)
    penalty = ((g.view(4, -1).norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    # The last bias does not affect d critic / d x, so the penalty does not reach it; the first
    # bias reaches it only through LeakyReLU's (zero) second derivative: zeros, as in PyTorch.
    assert [name for name, p in critic.named_parameters() if p.grad is None] == ["3.bias"]
    assert critic[1].bias.grad.abs().sum().item() == 0
    assert unused.weight.grad is None


@needs_torch
@pytest.mark.parametrize("act", ["ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Tanh", "Sigmoid", "Softplus",
                                 "Hardtanh"])
def test_gradient_penalty_reach_matches_torch(act):
    def grads(m):
        critic = m.nn.Sequential(m.nn.Linear(3, 4), getattr(m.nn, act)(), m.nn.Linear(4, 1))
        x = m.ones(2, 3).requires_grad_(True)
        out = critic(x)
        (g,) = m.autograd.grad(out, x, m.ones_like(out), create_graph=True)
        ((g.norm(2, dim=1) - 1) ** 2).mean().backward()
        return [p.grad is None for p in critic.parameters()]
    assert grads(pullback) == grads(torch)


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                    {"weight": [1.0, 2.0, 0.5], "ignore_index": 1}])
def test_fused_cross_entropy_vjp_agrees_with_its_composite(kwargs):
    # Without create_graph the VJP runs a fused NumPy formula; with it, the pullback-op composite.
    kwargs = dict(kwargs)
    if "weight" in kwargs:
        kwargs["weight"] = pullback.tensor(kwargs["weight"], dtype=pullback.float64)
    x = pullback.randn(5, 3, dtype=pullback.float64, requires_grad=True)
    t = pullback.tensor([0, 2, 1, 1, 0])
    v = pullback.randn(5, dtype=pullback.float64) if kwargs.get("reduction") == "none" else None
    loss = F.cross_entropy(x, t, **kwargs)
    assert loss.grad_fn.name() == "NllLossBackward0"
    (fused,) = pullback.autograd.grad(loss, x, v, retain_graph=True)
    (composite,) = pullback.autograd.grad(loss, x, v, create_graph=True)
    np.testing.assert_allclose(fused.numpy(), composite.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_sequence_containers_index_insert_delete():
    seq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    assert type(seq[-1]).__name__ == "Sigmoid" and len(seq[1:]) == 2 and isinstance(seq[1:], nn.Sequential)
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and type(seq[0]).__name__ == "Tanh"
    seq.insert(0, nn.ReLU()).append(nn.Identity())
    assert [type(m).__name__ for m in seq] == ["ReLU", "Tanh", "Sigmoid", "Identity"]
    with pytest.raises(IndexError, match="index 9 is out of range"):
        seq[9]
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml += [nn.Linear(1, 1)]
    ml[0] = nn.Tanh()
    assert len(ml) == 2 and type(ml[0]).__name__ == "Tanh" and len(list(ml.parameters())) == 2


# ------------------------------------------------------------------ pooling and padding against torch
_NAN, _INF = float("nan"), float("inf")
_SPECIAL = np.array([[[[_NAN, 1.0, _NAN, -_INF], [2.0, 2.0, -_INF, -_INF], [5.0, 5.0, 0.0, _INF]]]])


@needs_torch
@pytest.mark.parametrize("kwargs", [dict(kernel_size=2, stride=1, padding=1), dict(kernel_size=(1, 4)),
                                    dict(kernel_size=2, ceil_mode=True), dict(kernel_size=(2, 2), dilation=(1, 2))])
def test_max_pool2d_picks_torchs_argmax(kwargs):
    # ties go to the first maximum, NaN to the last NaN, and an inf cotangent only to the argmax
    x, tx = pullback.tensor(_SPECIAL, requires_grad=True), torch.tensor(_SPECIAL, requires_grad=True)
    out, idx = F.max_pool2d(x, return_indices=True, **kwargs)
    t_out, t_idx = torch.nn.functional.max_pool2d(tx, return_indices=True, **kwargs)
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
    g = np.full(tuple(out.shape), _INF)
    g[..., 0] = 1.0
    out.backward(pullback.tensor(g))
    t_out.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@needs_torch
def test_max_pool2d_integer_padding_never_wins():
    a = np.array([[[[-2**63, -2**63], [-2**63, 5]]]])
    out, idx = F.max_pool2d(pullback.tensor(a), 2, padding=1, return_indices=True)
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.tensor(a), 2, padding=1, return_indices=True)
    assert out.tolist() == t_out.tolist() and idx.tolist() == t_idx.tolist()


@needs_torch
@pytest.mark.parametrize("kwargs", [dict(kernel_size=2, padding=1, divisor_override=-3),
                                    dict(kernel_size=2, ceil_mode=True, count_include_pad=False),
                                    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)])
def test_avg_pool2d_integers_divide_as_torch(kwargs):
    a = np.array([[[[-7, 2, 3], [1, 1, -9], [4, 4, 4]]]])
    assert F.avg_pool2d(pullback.tensor(a), **kwargs).tolist() == \
        torch.nn.functional.avg_pool2d(torch.tensor(a), **kwargs).tolist()


@needs_torch
def test_adaptive_avg_pool2d_keeps_inf_in_its_cells():
    a = np.array([[[[1.0, _INF, 2.0, 3.0]]]])
    np.testing.assert_array_equal(F.adaptive_avg_pool2d(pullback.tensor(a), (1, 3)).numpy(),
                                  torch.nn.functional.adaptive_avg_pool2d(torch.tensor(a), (1, 3)).numpy())
    assert tuple(F.adaptive_avg_pool2d(pullback.ones(1, 2, 3, 3), (0, 2)).shape) == (1, 2, 0, 2)


_PAD_CASES = [((1, 3, 3), (3, 3), "reflect"), ((1, 3, 3), (-4, 1), "reflect"), ((1, 1, 3, 3), (-3, 0, -3, 0), "reflect"),
              ((1, 1, 3, 3), (-3, 0, -3, 0), "replicate"), ((1, 1, 3, 3, 3), (-3, 0, -3, 0, -3, 0), "replicate"),
              ((1, 1, 3, 3, 3), (1, 1, 1, 1, 3, 3), "reflect"), ((1, 0, 3, 3), (1, 1, 1, 1), "reflect"),
              ((1, 3, 3), (4, 0), "circular"), ((1, 3, 3), (-3, -1), "circular"), ((2, 3), (1, 1, 1, 1), "circular"),
              ((1, 2, 3), (1, 1), "bogus"), ((1, 2, 3), (-2, -2), "constant"), ((1, 2, 3), (1,), "constant"),
              ((1, 2, 3), (1,) * 8, "constant"), ((4,), (1, 1), "reflect")]


@needs_torch
@pytest.mark.parametrize("shape,pad,mode", _PAD_CASES)
def test_pad_errors_as_torch(shape, pad, mode):
    with pytest.raises(Exception) as expected:
        torch.nn.functional.pad(torch.ones(shape), pad, mode)
    with pytest.raises(type(expected.value)) as raised:
        F.pad(pullback.ones(*shape), pad, mode)
    assert str(raised.value) == str(expected.value)


@needs_torch
@pytest.mark.parametrize("pad", [(2, -2), (-2, 2), (-1, -1), (3, 0), (0, 3)])
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
def test_pad_values_as_torch(pad, mode):
    # negative pads crop; circular wraps around what the crop leaves, reflect and replicate do not
    a = np.arange(4.0).reshape(1, 1, 4)
    assert F.pad(pullback.tensor(a), pad, mode).tolist() == torch.nn.functional.pad(torch.tensor(a), pad, mode).tolist()


@needs_torch
def test_pooling_modules_pass_every_option():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    pairs = [(nn.MaxPool2d(3, 2, 1, 2, True, True), torch.nn.MaxPool2d(3, 2, 1, 2, True, True)),
             (nn.AvgPool2d(3, 2, 1, True, False, 2), torch.nn.AvgPool2d(3, 2, 1, True, False, 2)),
             (nn.AdaptiveAvgPool2d((None, 4)), torch.nn.AdaptiveAvgPool2d((None, 4)))]
    for module, t_module in pairs:
        assert repr(module) == repr(t_module)
        out, t_out = module(pullback.tensor(x)), t_module(torch.tensor(x))
        for o, t in zip(out if isinstance(out, tuple) else (out,), t_out if isinstance(t_out, tuple) else (t_out,)):
            np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("input_dtype,weight_dtype", [("float32", "float16"), ("float32", "float64"),
                                                      ("float64", "float32")])
def test_class_loss_weight_dtype_mismatch_raises_torchs_error(loss, input_dtype, weight_dtype):
    def error(lib):
        x = lib.zeros(2, 3, dtype=getattr(lib, input_dtype))
        w = lib.ones(3, dtype=getattr(lib, weight_dtype))
        with pytest.raises(RuntimeError) as info:
            getattr(lib.nn.functional, loss)(x, lib.tensor([0, 1]), weight=w)
        return str(info.value)
    assert error(pullback) == error(torch)


def test_scaled_dot_product_attention_errors_and_masks_as_torchs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 3))
    mask = rng.uniform(size=(3, 5)) < 0.7
    mask[:, 0] = True  # every query attends somewhere
    results = []
    for m in (torch, pullback):
        F = m.nn.functional
        tq, tk, tv = (m.tensor(a) for a in (q, k, v))
        with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
            F.scaled_dot_product_attention(tq, tk, tv, attn_mask=m.tensor(mask), is_causal=True)
        with pytest.raises(RuntimeError, match="but got query.dtype: double key.dtype: float and value.dtype: double"):
            F.scaled_dot_product_attention(tq, tk.float(), tv)
        results.append([F.scaled_dot_product_attention(tq, tk, tv, attn_mask=m.tensor(mask)).numpy(),
                        F.scaled_dot_product_attention(tq, tk, tv, is_causal=True, scale=0.3).numpy()])
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("options, call", [
    ({}, {}),
    ({"batch_first": True}, {"need_weights": False}),
    ({"kdim": 5, "vdim": 3, "bias": False}, {"average_attn_weights": False}),
    ({"add_bias_kv": True, "add_zero_attn": True}, {"key_padding_mask": "pad"}),
    ({}, {"attn_mask": "causal", "is_causal": True, "need_weights": False}),
    ({"batch_first": True}, {"attn_mask": "float", "key_padding_mask": "pad"}),
])
def test_multihead_attention_matches_torch(options, call):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    L, S, N, E = 3, 4, 2, 6
    batch_first = options.get("batch_first", False)
    shape = (lambda n, w: (N, n, w)) if batch_first else (lambda n, w: (n, N, w))
    q, k, v = rng.normal(size=shape(L, E)), rng.normal(size=shape(S, options.get("kdim", E))), \
        rng.normal(size=shape(S, options.get("vdim", E)))
    masks = {"pad": np.array([[False, False, True, False], [False, True, False, False]]),
             "causal": np.triu(np.ones((L, S), dtype=bool), 1), "float": rng.normal(size=(L, S))}
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(E, 2, dtype=torch.float64, **options)
    ours = pullback.nn.MultiheadAttention(E, 2, dtype=pullback.float64, **options)
    ours.load_state_dict({name: pullback.tensor(t.detach().numpy()) for name, t in theirs.state_dict().items()})
    outs = []
    for m, module in ((torch, theirs), (pullback, ours)):
        inputs = [m.tensor(a, requires_grad=True) for a in (q, k, v)]
        kwargs = {name: (m.tensor(masks[value]) if isinstance(value, str) else value) for name, value in call.items()}
        out, weights = module(*inputs, **kwargs)
        (out.sum() + (0 if weights is None else (weights ** 2).sum())).backward()
        outs.append([out.detach().numpy(), None if weights is None else weights.detach().numpy()]
                    + [t.grad.numpy() for t in inputs] + [p.grad.numpy() for p in module.parameters()])
    for a, b in zip(outs[1], outs[0]):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("norm_first, activation", [(False, "relu"), (True, "gelu")])
def test_transformer_matches_torch(norm_first, activation):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    src, tgt = rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 4, 8))
    torch.manual_seed(0)
    kwargs = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, dropout=0.0,
                  activation=activation, batch_first=True, norm_first=norm_first)
    theirs = torch.nn.Transformer(dtype=torch.float64, **kwargs)
    ours = pullback.nn.Transformer(dtype=pullback.float64, **kwargs)
    ours.load_state_dict({name: pullback.tensor(t.detach().numpy()) for name, t in theirs.state_dict().items()})
    results = []
    for m, model in ((torch, theirs), (pullback, ours)):
        s, t = m.tensor(src, requires_grad=True), m.tensor(tgt, requires_grad=True)
        mask = m.nn.Transformer.generate_square_subsequent_mask(4, dtype=m.float64)
        out = model(s, t, tgt_mask=mask, tgt_is_causal=True)
        (out ** 2).sum().backward()
        results.append([out.detach().numpy(), s.grad.numpy(), t.grad.numpy()] + [p.grad.numpy() for p in model.parameters()])
    for a, b in zip(results[1], results[0]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
