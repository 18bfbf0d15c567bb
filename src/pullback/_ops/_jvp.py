"""JVP rules: how each primitive maps input tangents to output tangents (forward mode).

Most primitives fall in a family, so their JVP follows from what is already declared:

- ELEMENTWISE: the Jacobian of each input is diagonal (after broadcasting), so ``J_i t_i`` is the
  input's own VJP rule applied to ``t_i``: ``sin``'s ``g * cos(x)`` gives ``t * cos(x)``.
- LINEAR: the primitive is linear in its differentiable inputs (jointly): apply it to the
  tangents (``sum``, ``reshape``, ``getitem``, ``cat``, ``index_put``...).
- MULTILINEAR: linear in each input separately: the sum over inputs of the primitive with that
  input replaced by its tangent (``mul`` of matrices, ``matmul``, ``einsum``, ``conv2d``).
- TRANSPOSE (the default for the rest): ``J t`` from the VJP rules themselves, by the double-VJP
  trick: ``J t = d/dg <J^T g, t>``. Exact for every primitive with a VJP, at the cost of a small
  backward pass; explicit rules replace it where that matters (softmax, log_softmax, linear).
"""
from . import elementwise as E, reduction as R, shape as S, linalg as L, indexing as I, nn as N, conv as C
from . import sorting as So
from ._registry import Joint
from .._backend import ndarray
from ..autograd.engine import sum_to

ELEMENTWISE, LINEAR, MULTILINEAR = "elementwise", "linear", "multilinear"

KIND = {}
for _p in [E.neg, E.add, E.sub, E.mul, E.div, E.div_rounding, E.floor_divide, E.remainder, E.fmod, E.pow, E.atan2,
           E.maximum, E.minimum, E.where_, E.lerp, E.exp, E.expm1, E.log, E.log1p, E.log2, E.log10, E.sqrt,
           E.rsqrt, E.sin, E.cos, E.tan, E.asin, E.acos, E.atan, E.sinh, E.cosh, E.tanh, E.sigmoid, E.relu,
           E.interval_mask, E.erf, E.softplus_, E.abs, E.sign, E.floor, E.ceil, E.trunc, E.round_, E.frac,
           E.reciprocal, E.clamp_scalar, N.leaky_relu_, N.slope_mask, N.elu_, N.hardtanh_]:
    KIND[_p] = ELEMENTWISE
for _p in [E.to_dtype, E.clone, E.overwrite, R._sum, R._mean, R.cumsum_, S._reshape, S._view, S._squeeze,
           S._unsqueeze, S._expand, S._transpose, S._permute, S._flip, S._roll, S._repeat, S._tril, S._triu,
           S._diagonal, S._diag_embed, S._diag_1d, S._diag_2d, S._split, S._unbind, S._cat, S._stack,
           I.getitem, I.index_add_zeros, I.index_put, I.take_along, I.put_along, I.scatter_, I.masked_fill_,
           I.view_scatter, N.rows_scatter, N.rows_gather, N.nll_loss_, N.scale_grad, C.unfold_, C.fold_, S._unfold,
           S._unfold_backward]:
    KIND[_p] = LINEAR
for _p in [L.matmul_, L.vecmat_, L.einsum_, C.conv2d_]:
    KIND[_p] = MULTILINEAR


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
    from ._registry import _Tensor
    return tuple((tuple(a.shape), a.dtype) if isinstance(a, _Tensor) else None for a in primals)


def tangents(prim, primals, tangents_in, params, outputs):
    """The output tangents (one per output) of ``prim`` at ``primals`` given input tangents."""
    kind = KIND.get(prim) or _EXPLICIT.get(prim)
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
    if callable(kind):
        return kind(primals, tangents_in, params, outputs)
    return _transpose(prim, primals, tangents_in, params, outputs)


def _transpose(prim, primals, tangents_in, params, outputs):
    """J t by the double-VJP trick: g -> <J^T g, t> is linear in g, and its gradient is J t."""
    from .. import autograd
    from ..autograd.grad_mode import enable_grad
    with enable_grad():
        gs = [(o * 0).detach().requires_grad_(True) if o.dtype.is_floating_point and k not in prim.nondiff_outputs
              else None for k, o in enumerate(outputs)]
        g = gs[0] if prim.n_outputs == 1 else tuple(gs)
        needs = tuple(t is not None for t in tangents_in)
        results = prim.run_vjp(g, _rule_values(prim, primals, outputs), params, _meta(primals), needs)
        total = None
        for r, t, p in zip(results, tangents_in, primals):
            if r is None or t is None:
                continue
            if tuple(r.shape) != tuple(p.shape):
                r = sum_to(r, tuple(p.shape))
            term = (r * t).sum()
            total = term if total is None else total + term
        wanted = [x for x in gs if x is not None]
        if total is None or not total.requires_grad:
            return tuple(None for _ in outputs)
        grads = iter(autograd.grad(total, wanted, create_graph=True, allow_unused=True))
    return tuple(next(grads) if x is not None else None for x in gs)


def _softmax_jvp(primals, tangents_in, params, outputs):
    (t,), (ans,) = tangents_in, outputs
    return (ans * (t - R._sum(t * ans, axis=(params["axis"],), keepdim=True)),)


def _log_softmax_jvp(primals, tangents_in, params, outputs):
    (t,), (ans,) = tangents_in, outputs
    return (t - R._sum(E.exp(ans) * t, axis=(params["axis"],), keepdim=True),)


def _linear_jvp(primals, tangents_in, params, outputs):
    x, w = primals[0], primals[1]
    tx, tw = tangents_in[0], tangents_in[1]
    total = None
    for term in ((L.linear_nobias_(tx, w) if tx is not None else None),
                 (L.linear_nobias_(x, tw) if tw is not None else None),
                 (tangents_in[2] if len(tangents_in) > 2 else None)):
        if term is not None:
            total = term if total is None else total + term
    return (total,)


def _addmm_jvp(primals, tangents_in, params, outputs):
    c, a, b = primals
    tc, ta, tb = tangents_in
    total = None
    for term in ((tc * params["beta"] if tc is not None else None),
                 (L.matmul_(ta, b) * params["alpha"] if ta is not None else None),
                 (L.matmul_(a, tb) * params["alpha"] if tb is not None else None)):
        if term is not None:
            total = term if total is None else total + term
    return (total,)


def _max_dim_jvp(primals, tangents_in, params, outputs):
    (t,) = tangents_in
    indices = outputs[1]
    axis = params["axis"]
    if not params["keepdim"]:
        idx = S.unsqueeze(indices, axis)
        return (S.squeeze(I.take_along(t, idx._data, axis=axis), axis), None)
    return (I.take_along(t, indices._data, axis=axis), None)


def _sort_jvp(primals, tangents_in, params, outputs):
    # The values are x gathered at the indices along the axis: so is their tangent.
    if not outputs[1].ndim:  # a 0-dim input is its own sort
        return (tangents_in[0], None)
    return (I.take_along(tangents_in[0], outputs[1]._data, axis=params["axis"]), None)


def _reduced(value, x, params):
    """``value`` summed over the reduced dims, with the output's keepdim."""
    return R._sum(value, axis=params["axis"], keepdim=params["keepdim"])


def _extremum_jvp(primals, tangents_in, params, outputs):
    # The mean of the tangents at the tied extrema: torch's even split of the gradient, transposed.
    (x,), (t,), (ans,) = primals, tangents_in, outputs
    axis, keepdim = params["axis"], params["keepdim"]
    mask = (x == R.expand_back(ans, tuple(x.shape), axis, keepdim)) * 1.0
    return (_reduced(t * mask, x, params) / _reduced(mask, x, params),)


def _logsumexp_jvp(primals, tangents_in, params, outputs):
    # d logsumexp = sum(softmax(x) * t) over the reduced dims.
    (x,), (t,), (ans,) = primals, tangents_in, outputs
    weights = E.exp(x - R.expand_back(ans, tuple(x.shape), params["axis"], params["keepdim"]))
    return (_reduced(weights * t, x, params),)


def _var_jvp(primals, tangents_in, params, outputs):
    # d var = 2 / (n - correction) * sum((x - mean) * t), written as the VJP rule applied to t.
    (x,), (t,) = primals, tangents_in
    centered = x - R._mean(x, axis=params["axis"], keepdim=True)
    n = R.numel_over(tuple(x.shape), params["axis"])
    scale = 2.0 / (n - params["correction"]) if n != params["correction"] else float("inf")
    return (_reduced(centered * t, x, params) * scale,)


def _std_jvp(primals, tangents_in, params, outputs):
    # d std = d var / (2 std), 0 where std == 0 as in the VJP.
    (dvar,) = _var_jvp(primals, tangents_in, params, outputs)
    return (R._std_to_var_cotangent(dvar, outputs[0]),)


def _prod_jvp(primals, tangents_in, params, outputs):
    # d prod = sum(t * prod of the other elements): exact with zeros present.
    (x,), (t,) = primals, tangents_in
    axis = params["axis"]
    if axis is None:
        others = S._reshape(R._prod_others(S._reshape(x, shape=(-1,)), 0), shape=tuple(x.shape))
        return (R._sum(t * others, axis=None, keepdim=False),)
    return (R._sum(t * R._prod_others(x, axis), axis=(axis,), keepdim=params["keepdim"]),)


def _cumprod_jvp(primals, tangents_in, params, outputs):
    # d ans_j = sum_{i <= j} t_i prod_{k <= j, k != i} x_k: ans * cumsum(t / x) without zeros,
    # the products of the other elements formed explicitly where there are.
    (x,), (t,), (ans,) = primals, tangents_in, outputs
    axis = params["axis"]
    if x.shape[axis] <= 1:
        return (t,)
    if not (x == 0).any():
        return (ans * R.cumsum_(t / x, axis=axis),)
    xm, tm = S.movedim(x, axis, -1), S.movedim(t, axis, -1)
    n = xm.shape[-1]
    eye = R.B.eye(n, dtype=bool)
    partial = R._cumprod(E.where(eye, 1.0, S.unsqueeze(xm, -2)), axis=len(xm.shape))  # [..., i, j]
    upper = R.B.triu(R.B.ones((n, n), dtype=bool))                                  # keep i <= j
    contrib = E.where(upper, partial * S.unsqueeze(tm, -1), 0.0)
    return (S.movedim(R._sum(contrib, axis=(len(xm.shape) - 1,), keepdim=False), -1, axis),)


def _pad_jvp(primals, tangents_in, params, outputs):
    return (N.pad_(tangents_in[0], widths=params["widths"], value=0.0),)


_EXPLICIT = {N.pad_: _pad_jvp, N.softmax_: _softmax_jvp, N.log_softmax_: _log_softmax_jvp, L.linear_: _linear_jvp,
             L.linear_nobias_: _linear_jvp, L.addmm_: _addmm_jvp, R.max_dim: _max_dim_jvp, R.min_dim: _max_dim_jvp,
             R.amax_: _extremum_jvp, R.amin_: _extremum_jvp, R.logsumexp_: _logsumexp_jvp, R.var_: _var_jvp,
             R.std_: _std_jvp, R._prod: _prod_jvp,
             R._cumprod: _cumprod_jvp, So.sort_: _sort_jvp}


# Pooling (see pooling.py): the average poolings, their backwards and max pooling's gather and
# scatter at the argmax are linear; max pooling reads the tangent at each window's argmax.
from . import pooling as P  # noqa: E402
for _p in [P.avg_pool2d_, P.avg_pool2d_backward_, P.adaptive_avg_pool2d_, P.adaptive_avg_pool2d_backward_,
           P.max_pool2d_select, P.max_pool2d_backward_]:
    KIND[_p] = LINEAR
_EXPLICIT[P.max_pool2d_] = P.max_pool2d_jvp
