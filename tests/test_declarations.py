"""Every primitive declares all of its rules: no silent fallback (a fallback, where it is the right
rule, is declared as the TRANSPOSE shorthand)."""
import importlib
import pkgutil
import sys

import pytest

import pullback
from pullback._ops._registry import Primitive, Decompose, JVP_SHORTHANDS, BATCH_SHORTHANDS, SPARSITY_SHORTHANDS, DENSE


def _all_primitives():
    for info in pkgutil.walk_packages(pullback.__path__, "pullback."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
    found = {}
    for name, module in list(sys.modules.items()):
        if name == "pullback" or name.startswith("pullback."):
            for attr, value in vars(module).items():
                if isinstance(value, Primitive):
                    found[id(value)] = (f"{name}.{attr}", value)
    return sorted(found.values(), key=lambda item: item[0])


PRIMITIVES = _all_primitives()


def test_the_table_is_found():
    assert len(PRIMITIVES) > 130
    names = {p.name for _, p in PRIMITIVES}
    assert {"sin", "matmul", "sum", "getitem", "conv2d", "max_pool2d", "cross_entropy"} <= names


@pytest.mark.parametrize("where, prim", PRIMITIVES, ids=[w for w, _ in PRIMITIVES])
def test_declares_its_rules(where, prim):
    if prim.differentiable:
        assert prim.jvp is not None, f"{where} is differentiable but declares no JVP rule"
        assert prim.jvp in JVP_SHORTHANDS or callable(prim.jvp)
    else:
        assert prim.jvp is None, f"{where} is not differentiable but declares a JVP rule"
    assert prim.batch is not None, f"{where} declares no batching rule"
    assert prim.batch in BATCH_SHORTHANDS or callable(prim.batch) or isinstance(prim.batch, Decompose)
    assert prim.sparsity in SPARSITY_SHORTHANDS or callable(prim.sparsity)


# Differentiable primitives whose sparsity rule is DENSE (every output element depends on every
# input element): true, but it costs colours, so the list is kept here, strictly both ways: a new
# primitive either declares a finer rule or joins the list.
DENSE_SPARSITY = {
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward", "addmm", "avg_pool2d", "avg_pool2d_backward",
    "backward_hook_function", "conv2d", "cross_entropy", "einsum", "linear", "linear_nobias", "max_pool2d",
    "max_pool2d_backward", "max_pool2d_select", "nll_loss", "nuclear_norm", "overwrite", "polar",
    "lstm_layer", "gru_layer",  # (a recurrence: each step depends on all before it)
    "addbmm", "addmv", "addr", "vdot",  # (each output element reads whole rows, columns or batches)
    "baddbmm", "diag_embed_op", "named_index_put", "scatter_reduce_two",
    "scatter_reduce",
}


def test_dense_sparsity_rules_are_listed():
    dense = {p.name for _, p in PRIMITIVES if p.differentiable and p.sparsity == DENSE}
    assert dense == DENSE_SPARSITY


def test_unknown_shorthands_are_refused():
    with pytest.raises(ValueError, match="unknown JVP shorthand"):
        Primitive("f", lambda x: x, vjp=lambda g: g, jvp="elementwize")
    with pytest.raises(ValueError, match="unknown batching shorthand"):
        Primitive("f", lambda x: x, vjp=lambda g: g, batch="reduce")
    with pytest.raises(ValueError, match="unknown sparsity shorthand"):
        Primitive("f", lambda x: x, vjp=lambda g: g, sparsity="diagonal")
