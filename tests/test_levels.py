"""The transform-level stack (src/pullback/_levels.py): vmap, dual levels and func.grad/vjp push
numbered levels on one stack per thread (Note [Transform levels])."""
import threading

import pytest

import pullback
from pullback import _levels, func
from pullback.autograd import forward_ad as fwAD

try:
    import torch
    import torch.autograd.forward_ad as torch_fwAD
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _open():
    return [(level.kind, level.number) for level in _levels.stack()]


def test_levels_are_numbered_in_nesting_order_by_one_counter():
    seen = []

    def inner(x):
        with fwAD.dual_level():
            seen.append(_open())
        return (x ** 2).sum()

    func.vmap(func.grad(lambda x: func.vmap(inner)(x).sum()))(pullback.ones(2, 3, 4))
    assert seen == [[("vmap", 1), ("grad", 2), ("vmap", 3), ("dual", 4)]]
    assert _levels.stack() == [] and _levels.OPEN[0] == 0


def test_levels_close_when_the_transform_raises():
    def bad(x):
        raise ValueError("inside")

    with pytest.raises(ValueError, match="inside"):
        func.vmap(func.grad(bad))(pullback.ones(2, 3))
    assert _levels.stack() == [] and _levels.OPEN[0] == 0


def test_custom_function_forward_sees_no_dual_level_but_its_vmap_level():
    seen = []

    class Square(pullback.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x):
            seen.append(_open())
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("not differentiated in reverse mode")

        @staticmethod
        def jvp(ctx, t):
            return 2 * ctx.saved_tensors[0] * t

    x = pullback.tensor([1.0, 2.0])
    out, tangent = func.jvp(func.vmap(Square.apply), (x,), (pullback.ones(2),))
    assert seen == [[("vmap", 2)]]          # the dual level (1) of jvp is hidden in forward
    assert out.tolist() == [1.0, 4.0] and tangent.tolist() == [2.0, 4.0]


@needs_torch
@pytest.mark.parametrize("transform", ["grad", "vmap"])
def test_dual_level_index_counts_dual_levels_only(transform):
    def run(lib, fw):
        got = []

        def f(x):
            with fw.dual_level() as level:
                got.append(level)
            return (x ** 2).sum()

        getattr(lib.func, transform)(f)(lib.ones(2, 3))
        return got

    assert run(pullback, fwAD) == run(torch, torch_fwAD) == [0]


def _in_two_threads(hold, probe):
    """Runs ``hold(wait)`` in one thread and, while it waits inside, ``probe()`` in another."""
    inside, done, result = threading.Event(), threading.Event(), {}

    def first():
        def wait():
            inside.set()
            assert done.wait(10)
        hold(wait)

    def second():
        assert inside.wait(10)
        try:
            result["value"] = probe()
        except Exception as e:          # reported below, in the test's thread
            result["value"] = e
        done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result["value"]


@needs_torch
def test_vmap_in_another_thread_is_not_seen():
    # functorch's transform stack is thread-local: another thread's random op and arithmetic run
    # unbatched while a vmap (randomness="error") is open in the first thread.
    def run(lib):
        def hold(wait):
            def body(x):
                wait()
                return x * 2
            lib.func.vmap(body)(lib.ones(3))

        def probe():
            return tuple(lib.rand(2).shape), (lib.ones(2) * 3).tolist()
        return _in_two_threads(hold, probe)

    assert run(pullback) == run(torch) == ((2,), [3.0, 3.0])


def test_dual_level_opened_in_one_thread_is_not_seen_in_another():
    # pullback's levels are per thread, dual levels included (torch's forward-AD levels are
    # process-wide; its functorch levels are per thread).
    def hold(wait):
        with fwAD.dual_level():
            wait()

    def probe():
        assert fwAD.current_level() is None
        with pytest.raises(RuntimeError, match="no level exists"):
            fwAD.make_dual(pullback.ones(2), pullback.ones(2))
        with fwAD.dual_level() as level:
            dual = fwAD.make_dual(pullback.tensor([1.0, 2.0]), pullback.ones(2))
            return level, fwAD.unpack_dual(dual * dual).tangent.tolist()

    assert _in_two_threads(hold, probe) == (0, [2.0, 4.0])
    assert _levels.stack() == [] and _levels.OPEN[0] == 0


@needs_torch
def test_vmaps_in_two_threads_keep_their_own_levels():
    # The first thread's vmap returns while the second thread's is still open: the second one's
    # ops must still be batched (the vmap state was once one module-wide dict).
    def run(lib):
        first_inside, second_inside, first_done, out = threading.Event(), threading.Event(), threading.Event(), {}

        def first():
            def body(x):
                first_inside.set()
                assert second_inside.wait(10)
                return (x * 2).sum()
            out["first"] = lib.func.vmap(body)(lib.arange(6.0).reshape(2, 3)).tolist()
            first_done.set()

        def second():
            def body(x):
                second_inside.set()
                assert first_done.wait(10)
                return lib.func.grad(lambda v: (v ** 3).sum())(x)
            assert first_inside.wait(10)
            out["second"] = lib.func.vmap(body)(lib.arange(4.0).reshape(2, 2)).tolist()

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    assert run(pullback) == run(torch) == {"first": [6.0, 24.0], "second": [[0.0, 3.0], [12.0, 27.0]]}
