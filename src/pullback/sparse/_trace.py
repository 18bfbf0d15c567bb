"""Sparsity detection: run the function once and carry, beside every value, which input elements
each of its elements depends on.

The function runs eagerly on a copy of ``x`` that requires grad; each time a primitive records a
Node (``_registry.RECORD_OBSERVERS``), its sparsity rule turns the patterns of its inputs into
those of its outputs at once, while the arguments hold the values the call saw. A pattern is a
``scipy.sparse.csr_array`` of shape (elements of the value, elements of ``x``) whose nonzeros are
the dependencies.

What the pattern means: it contains every entry that can be nonzero wherever the program runs the
same way (the same branches, the same data-dependent indices). Elementwise, reduction and
along-axis rules ignore values, so ``where``, ``relu``, ``max`` and ``clamp`` give patterns that hold
for every ``x``; indexing by a tensor computed from ``x`` follows the indices of this run; a
Python ``if`` on a value follows this run's branch. A value made without a Node (an integer or
boolean result, a comparison) depends on nothing: its derivative is zero. A custom Function's
outputs are taken to depend on everything its inputs depend on, with a warning.
"""
import warnings

import numpy as np

from .._ops import _registry
from ..autograd import grad_mode
from . import _dependence


def _sparse():
    import scipy.sparse
    return scipy.sparse


class _Tracer:
    def __init__(self, x, n):
        self.x = x
        self.n = n
        self.patterns = {}  # (node, output_nr) -> csr_array
        self.warned = set()

    def pattern(self, t):
        """The pattern of Tensor ``t``, or None where it depends on no element of ``x``."""
        if not t._requires_grad:
            return None
        fn = t.grad_fn
        if fn is None:
            return _sparse().csr_array(_sparse().identity(self.n, format="csr")) if t is self.x else None
        found = self.patterns.get((fn, t._output_nr))
        if found is None:
            name = fn.name()
            if name not in self.warned:
                self.warned.add(name)
                warnings.warn(f"sparsity detection: no sparsity rule reaches {name}; its outputs are taken "
                              "to depend on every element of the input", UserWarning, stacklevel=4)
            found = _full(t._data.size, np.arange(self.n), self.n)
        return found

    def observe(self, node, args, outputs):
        prim = node.prim
        inputs = {i: self.pattern(a) for i, a in enumerate(args) if hasattr(a, "_requires_grad")}
        inputs = {i: p for i, p in inputs.items() if p is not None}
        if not inputs:
            return
        rule = prim.sparsity
        rule = _dependence.RULES[rule] if isinstance(rule, str) else rule
        per_output = rule(prim, node, args, outputs, tuple(inputs))
        for k, (out, matrices) in enumerate(zip(outputs, per_output)):
            self.patterns[(node, k)] = _combine(matrices, inputs, out._data.size, self.n)


def _full(n_rows, columns, n):
    """Every row depending on ``columns``."""
    k = len(columns)
    indptr = np.arange(n_rows + 1, dtype=np.int64) * k
    return _sparse().csr_array((np.ones(n_rows * k), np.tile(columns, n_rows), indptr), shape=(n_rows, n))


def _combine(matrices, inputs, n_rows, n):
    total = None
    for i, how in matrices.items():
        p = inputs[i]
        if isinstance(how, tuple):  # ("rows", idx): a gather of rows (None: the identity)
            part = p if how[1] is None else p[how[1]]
        elif isinstance(how, str):  # "dense"
            part = _full(n_rows, np.unique(p.indices), n)
        else:
            part = how @ p
        total = part if total is None else total + part
    if total is None:
        return _sparse().csr_array((n_rows, n))
    total = _sparse().csr_array(total)
    total.sum_duplicates()
    total.data.fill(1.0)  # counts of paths do not matter, only that one exists
    return total


def trace(f, x):
    """Runs ``f(x)`` and returns ``(y, pattern)``: its output and the pattern of ``y.flatten()``
    in ``x.flatten()`` (a bool ``csr_array``)."""
    x0 = x.detach().requires_grad_(True)
    tracer = _Tracer(x0, x0.numel())
    observers = _registry.RECORD_OBSERVERS
    observers.append(tracer.observe)
    try:
        with grad_mode.enable_grad():
            y = f(x0)
    finally:
        observers.remove(tracer.observe)
    if not hasattr(y, "_requires_grad"):
        raise TypeError(f"sparsity detection: the function must return a Tensor, not {type(y).__name__}")
    p = tracer.pattern(y)
    if p is None:
        p = _sparse().csr_array((y.numel(), x0.numel()))
    p = _sparse().csr_array(p, dtype=bool)
    p.sort_indices()
    return y, p
