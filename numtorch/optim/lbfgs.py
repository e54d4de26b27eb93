"""L-BFGS: quasi-Newton steps from a short history of gradient changes, optionally with a
strong-Wolfe line search.

The iteration is torch's, operation for operation. The scalars torch keeps as 0-d tensors
(ys, ro, H_diag, the slopes gtd, often the step length t) are 0-d tensors here too, so a
float32 run rounds where torch's does. All state lives in the first param's state dict,
torch's layout, so checkpoints convert between the two libraries; unlike torch, a deepcopy
or an unpickled LBFGS can still step (torch loses its `_params` there).
"""
from __future__ import annotations

from collections import namedtuple
from functools import partial

from .._ops.shape import cat
from ..autograd.grad_mode import enable_grad, no_grad
from ._functional import check_lr
from .optimizer import Optimizer, _get_value, _to_scalar

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """L-BFGS (after minFunc) over one group of params; torch.optim.LBFGS's contract.

    `step(closure)` needs the closure: it runs it up to `max_eval` times.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
                    "tolerance_change": tolerance_change, "history_size": history_size,
                    "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def __setstate__(self, state):
        super().__setstate__(state)
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    # -- the params seen as one flat vector ----------------------------------------------------------
    def _numel(self) -> int:
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self):
        """Every grad flattened into one new vector (zeros for a param without grad)."""
        return cat([p.new_zeros(p.numel()) if p.grad is None else
                    (p.grad.to_dense() if p.grad.is_sparse else p.grad).reshape(-1) for p in self._params], 0)

    def _add_grad(self, step_size, update) -> None:
        """params += step_size * update, the flat `update` cut back into the params' shapes."""
        alpha, offset = _get_value(step_size), 0
        for p in self._params:
            n = p.numel()
            p.add_(update[offset:offset + n].view_as(p), alpha=alpha)
            offset += n
        if offset != self._numel():
            raise AssertionError(f"Expected offset {offset} to equal {self._numel()}")

    def _clone_param(self):
        return [p.clone() for p in self._params]

    def _set_param(self, params_data) -> None:
        for p, data in zip(self._params, params_data, strict=True):
            p.copy_(data)

    def _directional_evaluate(self, closure, x, t, d):
        """(loss, flat grad) at x + t*d; the params are put back to x afterwards."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def _move(self, closure, t, d, loss, flat_grad, gtd, max_ls, evaluate):
        """Move the params along d, by t or by the line search's step; returns (loss, flat grad, t, evaluations).

        Without a line search the loss and grad are evaluated at the new point
        only if `evaluate` (torch skips it on the last iteration, whose loss would
        go unused); otherwise the ones given are returned.
        """
        line_search_fn = self.param_groups[0]["line_search_fn"]
        if line_search_fn is None:
            self._add_grad(t, d)
            if not evaluate:
                return loss, flat_grad, t, 0
            loss = float(closure())
            return loss, self._gather_flat_grad(), t, 1
        if line_search_fn != "strong_wolfe":
            raise RuntimeError("only 'strong_wolfe' is supported")
        loss, flat_grad, t, evals = _strong_wolfe(partial(self._directional_evaluate, closure), self._clone_param(),
                                                  t, d, loss, flat_grad, gtd, max_ls=max_ls)
        self._add_grad(t, d)
        return loss, flat_grad, t, evals

    # -- one step ---------------------------------------------------------------------------------------
    @no_grad()
    def step(self, closure):
        """Up to `max_iter` L-BFGS iterations on `closure`'s loss; returns the loss it first evaluated."""
        if len(self.param_groups) != 1:
            raise AssertionError(f"Expected exactly one param_group, but got {len(self.param_groups)}")
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        lr = _to_scalar(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        opt_cond = flat_grad.abs().max() <= tolerance_grad
        if opt_cond:
            return orig_loss

        d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, prev_loss = (state.get(k) for k in _CARRIED)
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = flat_grad.neg()
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                H_diag = _remember(flat_grad.sub(prev_flat_grad), d.mul(t), old_dirs, old_stps, ro, H_diag,
                                   group["history_size"])
                if "al" not in state:
                    state["al"] = [None] * group["history_size"]
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, state["al"])
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.clone()
            else:
                prev_flat_grad.copy_(flat_grad)
            prev_loss = loss

            # the first step ever is scaled down by the gradient's size; later ones start from lr
            t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction any more
                break

            loss, flat_grad, t, ls_func_evals = self._move(closure, t, d, loss, flat_grad, gtd,
                                                           max_ls=max_eval - current_evals,
                                                           evaluate=n_iter != max_iter)
            opt_cond = ls_func_evals > 0 and flat_grad.abs().max() <= tolerance_grad
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if (n_iter == max_iter or current_evals >= max_eval or opt_cond
                    or d.mul(t).abs().max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                break

        state.update(zip(_CARRIED, (d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, prev_loss)))
        return orig_loss


_CARRIED = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")


def _remember(y, s, old_dirs, old_stps, ro, H_diag, history_size):
    """Store the curvature pair (y, s) if it keeps the approximation positive definite; returns H_diag.

    The oldest pair is dropped once `history_size` are kept, and the initial
    inverse Hessian is rescaled to y's curvature (ys / yy).
    """
    ys = y.dot(s)
    if ys > 1e-10:
        if len(old_dirs) == history_size:
            del old_dirs[0], old_stps[0], ro[0]
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        H_diag = ys / y.dot(y)
    return H_diag


def _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, al):
    """-H·g, H the inverse Hessian the stored pairs approximate (the two-loop recursion, one buffer).

    `al` is the state's own list, filled in place, as torch keeps it.
    """
    q = flat_grad.neg()
    for i in reversed(range(len(old_dirs))):
        al[i] = old_stps[i].dot(q) * ro[i]
        q.add_(old_dirs[i], alpha=-_get_value(al[i]))
    r = q.mul(H_diag)
    for i in range(len(old_dirs)):
        be_i = old_dirs[i].dot(r) * ro[i]
        r.add_(old_stps[i], alpha=_get_value(al[i] - be_i))
    return r


# -- the strong-Wolfe line search (after minFunc / torch7's lswolfe) -----------------------------------------

def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Where the cubic through (x1, f1) and (x2, f2) with slopes g1, g2 has its minimum, clamped to
    `bounds` (default: between the two points); their midpoint when the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    if x1 > x2:  # the formula below, written for x1 <= x2, is symmetric in the two points
        x1, f1, g1, x2, f2, g2 = x2, f2, g2, x1, f1, g1
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if not d2_square >= 0:
        return (lo + hi) / 2.0
    d2 = d2_square.sqrt()
    min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    return min(max(min_pos, lo), hi)


_Point = namedtuple("_Point", "t f g gtd")  # a trial step length, its loss, flat grad and slope along d


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step length along d meeting the strong Wolfe conditions, from at most `max_ls` evaluations.

    Returns (loss, flat grad, t, number of evaluations). First grows t until an
    interval is known to hold an acceptable point, then shrinks that interval
    by cubic interpolation ("zoom").
    """
    d_norm = d.abs().max()
    start = _Point(0, f, g.clone(), gtd)
    f_new, g_new = obj_func(x, t, d)
    evals, ls_iter = 1, 0
    new = _Point(t, f_new, g_new, g_new.dot(d))

    def sufficient_decrease(p):
        return not p.f > (f + c1 * p.t * gtd)

    def curvature_ok(p):
        return abs(p.gtd) <= -c2 * gtd

    prev, bracket, done = start, None, False
    while ls_iter < max_ls:
        if not sufficient_decrease(new) or (ls_iter > 1 and new.f >= prev.f) or (
                not curvature_ok(new) and new.gtd >= 0):
            bracket = [prev, new._replace(g=new.g.clone())]
            break
        if curvature_ok(new):
            bracket, done = [new], True
            break
        t = _cubic_interpolate(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                               bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))
        prev = new._replace(g=new.g.clone())
        f_new, g_new = obj_func(x, t, d)
        evals, ls_iter = evals + 1, ls_iter + 1
        new = _Point(t, f_new, g_new, g_new.dot(d))
    if ls_iter == max_ls:
        bracket = [start, new]

    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    insuf_progress = False
    while not done and ls_iter < max_ls:
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:  # the interval is too small
            break
        a, b = bracket
        t = _cubic_interpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        t, insuf_progress = _away_from_ends(t, a.t, b.t, insuf_progress)
        f_new, g_new = obj_func(x, t, d)
        evals, ls_iter = evals + 1, ls_iter + 1
        new = _Point(t, f_new, g_new.clone(), g_new.dot(d))
        if not sufficient_decrease(new) or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if curvature_ok(new):
            done = True
        elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]  # the old low becomes the high end
        bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals


def _away_from_ends(t, a, b, insuf_progress):
    """Keep a zoom trial off the interval's ends: moved to 10% inside when it sits at an end, or when it
    has been within 10% of one twice in a row. Returns (t, insufficient progress flag)."""
    hi, lo = max(a, b), min(a, b)
    eps = 0.1 * (hi - lo)
    if not min(hi - t, t - lo) < eps:
        return t, False
    if insuf_progress or t >= hi or t <= lo:
        return (hi - eps if abs(t - hi) < abs(t - lo) else lo + eps), False
    return t, True
