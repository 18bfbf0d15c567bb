"""The JVP shorthands: how a primitive maps input tangents to output tangents (forward mode).

Each primitive declares its JVP (``jvp=`` in its declaration, see ``Primitive``): a function of
its own, or a shorthand that follows from what is already declared:

- ELEMENTWISE: the Jacobian of each input is diagonal (after broadcasting), so ``J_i t_i`` is the
  input's own VJP rule applied to ``t_i``: ``sin``'s ``g * cos(x)`` gives ``t * cos(x)``.
- LINEAR: the primitive is linear in its differentiable inputs (jointly): apply it to the
  tangents (``sum``, ``reshape``, ``getitem``, ``cat``, ``index_put``...).
- MULTILINEAR: linear in each input separately: the sum over inputs of the primitive with that
  input replaced by its tangent (``matmul``, ``einsum``, ``conv2d``).
- TRANSPOSE: ``J t`` from the VJP rules themselves, by the double-VJP trick:
  ``J t = d/dg <J^T g, t>``. Exact for every primitive with a VJP, at the cost of a small backward
  pass; declared where no better rule is written yet.
"""
from ._registry import Joint, ELEMENTWISE, LINEAR, MULTILINEAR, TRANSPOSE
from .._backend import ndarray
from . import _registry
from .. import autograd
from ..autograd.grad_mode import enable_grad
from ._rules import sum_to


def _zeros_like(x):
    return x * 0


def _differentiable(prim, i):
    if prim.variadic or isinstance(prim.rules, Joint):
        return True
    return prim.rules[i] is not None


def _rule_values(prim, primals, outputs):
    values = {}
    for i, name in enumerate(prim.input_names):
        values[name] = primals[i]
    if prim.variadic:
        values["xs"] = tuple(primals)
    values["ans"] = outputs[0] if prim.n_outputs == 1 else tuple(outputs)
    return values


def _meta(primals):
    return tuple((a._data.shape, a._data.dtype) if isinstance(a, _registry._Tensor) else None for a in primals)


def tangents(prim, primals, tangents_in, params, outputs):
    """The output tangents (one per output) of ``prim`` at ``primals`` given input tangents."""
    kind = prim.jvp
    if kind == ELEMENTWISE:
        total = None
        for i, (rule, t) in enumerate(zip(prim.rules, tangents_in)):
            if rule is None or t is None:
                continue
            env = dict(_rule_values(prim, primals, outputs))
            env.update(params)
            env["g"] = t
            meta = _meta(primals)
            for name, j, suffix in prim.meta_names:
                env[name] = meta[j][0] if suffix == "_shape" else meta[j][1]
            contribution = rule(*[env[n] for n in prim._rule_args[rule]])
            total = contribution if total is None else total + contribution
        if total is not None and prim.broadcasting and tuple(total.shape) != tuple(outputs[0].shape):
            # x + y with a tangent for a broadcast x only (`g` passes through): the output's shape
            from .shape import _expand
            total = _expand(total, shape=tuple(outputs[0].shape))
        return (total,)
    if kind == LINEAR:
        args = []
        for i, (p, t) in enumerate(zip(primals, tangents_in)):
            if not _differentiable(prim, i) or isinstance(p, ndarray):
                args.append(p)                          # indices, masks: constants
            elif t is not None:
                args.append(t)
            elif hasattr(p, "shape"):
                args.append(_zeros_like(p))
            else:
                args.append(0.0)                        # a constant scalar (a fill value): no tangent
        out = prim.bind(tuple(args), params)
        return out if isinstance(out, tuple) else (out,)
    if kind == MULTILINEAR:
        total = None
        for i, t in enumerate(tangents_in):
            if t is None:
                continue
            args = list(primals)
            args[i] = t
            term = prim.bind(tuple(args), params)
            total = term if total is None else total + term
        return (total,)
    if kind == TRANSPOSE:
        return _transpose(prim, primals, tangents_in, params, outputs)
    if kind is None:
        raise RuntimeError(f"primitive {prim.name!r} declares no JVP rule")
    return kind(primals, tangents_in, params, outputs)


def _transpose(prim, primals, tangents_in, params, outputs):
    """J t by the double-VJP trick: g -> J^T g is linear in g, and its VJP at the cotangent t is
    J t. The tangents enter as that cotangent (not as a sum <J^T g, t>): a batch of tangents (jacfwd,
    vmap of jvp) then flows through the graph of J^T g as a batch of cotangents, as in jacrev."""
    with enable_grad():
        gs = [(o * 0).detach().requires_grad_(True) if o.dtype.is_floating_point and k not in prim.nondiff_outputs
              else None for k, o in enumerate(outputs)]
        g = gs[0] if prim.n_outputs == 1 else tuple(gs)
        needs = tuple(t is not None for t in tangents_in)
        results = prim.run_vjp(g, _rule_values(prim, primals, outputs), params, _meta(primals), needs)
        outs, cotangents = [], []
        for r, t, p in zip(results, tangents_in, primals):
            if r is None or t is None or not getattr(r, "requires_grad", False):
                continue
            if tuple(r.shape) != tuple(p.shape):
                r = sum_to(r, tuple(p.shape))
            outs.append(r)
            cotangents.append(t)
        wanted = [x for x in gs if x is not None]
        if not outs:
            return tuple(None for _ in outputs)
        grads = iter(autograd.grad(outs, wanted, cotangents, create_graph=True, allow_unused=True))
    return tuple(next(grads) if x is not None else None for x in gs)
