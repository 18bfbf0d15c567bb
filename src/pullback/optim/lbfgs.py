"""L-BFGS, as ``torch.optim.LBFGS``: a limited-memory quasi-Newton method on all the parameters as
one flat vector, with a fixed step or a strong-Wolfe line search (minFunc's, as torch's)."""
from .._backend import B
from .._tensor import Tensor
from ..autograd import grad_mode
from .optimizer import Optimizer, check_lr


def _interpolate(t1, f1, g1, t2, f2, g2, bounds=None):
    """The minimiser of the cubic through (t1, f1) and (t2, f2) with slopes g1, g2, clipped to
    ``bounds`` (by default the interval between the points); the middle where it has none."""
    low, high = bounds if bounds is not None else (min(t1, t2), max(t1, t2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (t1 - t2)
    discriminant = d1 ** 2 - g1 * g2
    if discriminant < 0:
        return (low + high) / 2.0
    d2 = B.sqrt(discriminant)
    if t1 <= t2:
        t = t2 - (t2 - t1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        t = t1 - (t1 - t2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(t, low), high)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step ``t`` along ``d`` meeting the strong Wolfe conditions: first a bracket, then zoom.
    Returns (loss, gradient, t, evaluations)."""
    d_norm = B.abs(d).max()
    g = g.copy()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    it = 0
    bracket = None
    while it < max_ls:
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):  # too far: bracketed
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new.copy(), gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:  # the strong Wolfe conditions hold
            bracket, done = [[t, f_new, g_new, gtd_new]], True
            break
        if gtd_new >= 0:  # past a minimum: bracketed
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new.copy(), gtd_new]]
            break
        # extrapolate: a step between just past t and ten times t
        t_next = _interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.copy(), gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        it += 1
    if it == max_ls:
        bracket = [[0, f, g, None], [t, f_new, g_new, None]]
    # zoom into the bracket [lo, hi] (as points: step, loss, gradient, slope)
    insufficient = False
    lo, hi = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and it < max_ls:
        if abs(bracket[1][0] - bracket[0][0]) * d_norm < tolerance_change:
            break
        t = _interpolate(bracket[0][0], bracket[0][1], bracket[0][3], bracket[1][0], bracket[1][1], bracket[1][3])
        top = max(bracket[0][0], bracket[1][0])
        bottom = min(bracket[0][0], bracket[1][0])
        margin = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < margin:  # too close to an end of the bracket
            if insufficient or t >= top or t <= bottom:
                t = top - margin if abs(t - top) < abs(t - bottom) else bottom + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket[lo][1]:
            bracket[hi] = [t, f_new, g_new.copy(), gtd_new]
            lo, hi = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[hi][0] - bracket[lo][0]) >= 0:
                bracket[hi] = bracket[lo]
            bracket[lo] = [t, f_new, g_new.copy(), gtd_new]
    t, f_new, g_new, _ = bracket[lo]
    return f_new, g_new, t, evals


def _wrap(a):
    return Tensor._make(a)


def _unwrap(a):
    return a._data if isinstance(a, Tensor) else a


class LBFGS(Optimizer):
    """L-BFGS. ``step(closure)`` runs up to ``max_iter`` iterations (``max_eval`` evaluations of
    ``closure``, which recomputes the loss and the gradients), keeping the last ``history_size``
    curvature pairs across steps. One parameter group only.

    Args:
        params (iterable): parameters to optimize (one group).
        lr (float or Tensor, optional): learning rate (default: 1).
        max_iter (int, optional): iterations per ``step`` (default: 20).
        max_eval (int, optional): closure evaluations per ``step`` (default: ``max_iter * 5 // 4``).
        tolerance_grad (float, optional): stop when every gradient element is this small (default: 1e-7).
        tolerance_change (float, optional): stop when the loss or the parameters change less
            (default: 1e-9).
        history_size (int, optional): the number of curvature pairs kept (default: 100).
        line_search_fn (str, optional): ``"strong_wolfe"`` or None, a fixed step (default: None).

    Example::

        >>> opt = pullback.optim.LBFGS([x], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = f(x)
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self):
        return B.concatenate([B.zeros(p.numel(), dtype=p._data.dtype) if p._grad is None
                              else B.ravel(p._grad._data) for p in self._params])

    def _move(self, t, d):
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data += t * d[offset:offset + n].reshape(p._data.shape)
            p._bump_version()
            offset += n

    def _restore(self, saved):
        for p, a in zip(self._params, saved):
            p._data[...] = a
            p._bump_version()

    def _evaluate(self, closure):
        with grad_mode.enable_grad():
            loss = closure()
        return loss

    def step(self, closure):
        """One optimization step: ``closure`` reevaluates the model and returns the loss."""
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        state = self.state.setdefault(self._params[0], {})  # the global state, kept with the first parameter
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if B.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = _unwrap(state.get("d")), state.get("t")
        old_dirs = [_unwrap(a) for a in state.get("old_dirs", [])]
        old_stps = [_unwrap(a) for a in state.get("old_stps", [])]
        ro = [_unwrap(a) for a in state.get("ro", [])]
        h_diag = _unwrap(state.get("H_diag"))
        prev_flat_grad, prev_loss = _unwrap(state.get("prev_flat_grad")), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # the direction: the two-loop recursion over the stored curvature pairs
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        del old_dirs[0], old_stps[0], ro[0]
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                alphas = state.setdefault("al", [None] * history_size)
                q = -flat_grad
                for i in reversed(range(len(old_dirs))):
                    alphas[i] = _wrap(B.asarray(old_stps[i].dot(q) * ro[i]))
                    q = q - alphas[i]._data * old_dirs[i]
                r = q * h_diag
                for i in range(len(old_dirs)):
                    beta = old_dirs[i].dot(r) * ro[i]
                    r = r + (alphas[i]._data - beta) * old_stps[i]
                d = r
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            # the step length
            t = min(1.0, 1.0 / B.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break
            ls_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x0 = [p._data.copy() for p in self._params]

                def evaluate(step, d=d, x0=x0):
                    self._move(step, d)
                    value = float(self._evaluate(closure))
                    grad = self._flat_grad()
                    self._restore(x0)
                    return value, grad
                loss, flat_grad, t, ls_evals = _strong_wolfe(evaluate, t, d, loss, flat_grad, gtd,
                                                             max_ls=max_eval - evals)
                self._move(t, d)
                converged = B.abs(flat_grad).max() <= tolerance_grad
            else:
                self._move(t, d)
                converged = False
                if n_iter != max_iter:  # (the last iteration's loss is not needed)
                    loss = float(self._evaluate(closure))
                    flat_grad = self._flat_grad()
                    converged = B.abs(flat_grad).max() <= tolerance_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or evals >= max_eval or converged:
                break
            if B.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break

        state["d"], state["t"] = _wrap(d), t
        state["old_dirs"] = [_wrap(a) for a in old_dirs]
        state["old_stps"] = [_wrap(a) for a in old_stps]
        state["ro"] = [_wrap(B.asarray(a)) for a in ro]
        state["H_diag"] = h_diag if isinstance(h_diag, int) else _wrap(B.asarray(h_diag))
        state["prev_flat_grad"] = _wrap(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss
