"""L-BFGS: a quasi-Newton method that builds its curvature model from the last few steps.

minidl's L-BFGS makes the same decisions as ``torch.optim.LBFGS`` (the first step's scaling,
which (s, y) pairs are kept, the stopping rules, the line search in
``minidl.optim.line_search``), so its iterates, its count of function evaluations and its
state match PyTorch's. The optimizer sees all parameters as one flat vector; step sizes and
dot products are Python floats.
"""
from minidl.autograd.grad_mode import enable_grad, no_grad
from minidl.optim.line_search import TrialPoint, strong_wolfe
from minidl.optim.optimizer import Optimizer, check_lr


class LBFGS(Optimizer):
    """L-BFGS (Liu & Nocedal, "On the limited memory BFGS method for large scale
    optimization", Math. Programming 1989; Nocedal & Wright, Numerical Optimization, Alg. 7.4).

        input: γ (lr), x (all parameters as one vector), f (closure), m (history_size)
        per step(closure), up to max_iter iterations of:
            g ← ∇f(x)
            if max|g| ≤ tolerance_grad: stop
            first iteration: d ← −g, H₀ ← 1
            later:  y ← g − g_prev,  s ← t·d
                    if yᵀs > 1e−10: remember (s, y, ρ = 1/yᵀs) (the last m pairs), H₀ ← yᵀs / yᵀy
                    two-loop recursion, d ← −H·g:
                        q ← −g
                        for i = newest … oldest:  αᵢ ← ρᵢ·sᵢᵀq;   q ← q − αᵢ·yᵢ
                        r ← H₀·q
                        for i = oldest … newest:  βᵢ ← ρᵢ·yᵢᵀr;   r ← r + (αᵢ − βᵢ)·sᵢ
                        d ← r
            t ← min(1, 1/Σ|g|)·γ on the very first iteration, else γ
            if gᵀd > −tolerance_change: stop (not a descent direction)
            line_search_fn = 'strong_wolfe':  t ← a step satisfying the strong Wolfe conditions
                f(x + t·d) ≤ f(x) + c₁·t·gᵀd  and  |∇f(x + t·d)ᵀd| ≤ −c₂·gᵀd  (c₁ = 1e−4, c₂ = 0.9)
            x ← x + t·d
            stop after max_iter iterations or max_eval evaluations of f, or when max|g|,
            max|t·d| or |Δf| falls under its tolerance

    Args:
        params: the parameters (one group only; None: take them from ``minimize``'s var_list).
        lr: γ, the step length (a number or a schedule of the step).
        max_iter: iterations per ``step``.
        max_eval: function evaluations per ``step`` (None: ``max_iter * 5 // 4``, stored so).
        tolerance_grad: stop when max|g| is at most this.
        tolerance_change: stop when a step, or the change of the loss, is smaller than this.
        history_size: m, the number of (s, y) pairs kept.
        line_search_fn: None (fixed step t) or ``'strong_wolfe'``.

    ``step(closure)`` needs the closure: a function that zeroes the gradients, computes the
    loss, calls ``backward()`` and returns the loss; it may be called several times per step.

    State (kept on the first parameter, as PyTorch does): ``func_evals``, ``n_iter``, ``d``,
    ``t``, ``old_dirs`` (y's), ``old_stps`` (s's), ``ro``, ``al``, ``H_diag``,
    ``prev_flat_grad``, ``prev_loss``.

    Example:
        >>> import minidl as mdl
        >>> x = mdl.tensor([1.5, -0.5], dtype="float64", requires_grad=True)
        >>> opt = mdl.optim.LBFGS([x], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((x - 3.0) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> [round(v, 6) for v in x.tolist()]
        [3.0, 3.0]
    """

    flat_groups = False  # its step works on all parameters as one vector (its own)

    def __init__(self, params=None, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', "
                             f"got {line_search_fn!r}")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # -- the parameters as one flat vector ------------------------------------------------
    def _group_params(self):
        return self.param_groups[0]["params"]

    def _gather_flat_grad(self):
        params = self._group_params()
        xp = params[0].xp
        views = [p.grad.data.reshape(-1) if p.grad is not None
                 else xp.zeros(p.size, dtype=p.dtype) for p in params]
        return xp.concatenate(views)                   # a new array, never a view of a .grad

    def _add_grad(self, step_size, update):
        """x ← x + step_size·update, parameter by parameter."""
        offset = 0
        for p in self._group_params():
            n = p.size
            p.data += step_size * update[offset:offset + n].reshape(p.shape)
            p.bump_version()
            offset += n

    def _clone_param(self):
        return [p.data.copy() for p in self._group_params()]

    def _set_param(self, params_data):
        for p, data in zip(self._group_params(), params_data):
            p.data[...] = data
            p.bump_version()

    def _directional_evaluate(self, closure, x, t, d):
        """(f(x + t·d), ∇f(x + t·d)), leaving the parameters at x."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def update(self, theta, g, state, **options):
        raise TypeError("LBFGS updates all parameters together; call step(closure)")

    # -- one step: up to max_iter iterations -----------------------------------------------
    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss before the first one."""
        if closure is None:
            raise ValueError("LBFGS.step() requires a closure that zeroes the gradients, "
                             "computes the loss, calls backward() and returns the loss")
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS needs exactly one parameter group, but has "
                             f"{len(self.param_groups)}")
        with no_grad():
            loss = self._run(closure)
        self.iterations += 1
        return loss

    def _run(self, closure):
        xp = self._group_params()[0].xp

        def evaluate():
            with enable_grad():
                return closure()

        group = self.param_groups[0]
        lr = self._options(group)["lr"]
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]

        state = self.state.setdefault(self._group_params()[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
        if opt_cond:                                   # the gradient already vanishes
            return orig_loss

        d = state.get("d")
        t = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the direction d ← −H·g
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(xp.dot(y, s))
                if ys > 1e-10:                         # keep only pairs with positive curvature
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(xp.dot(y, y))
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad                         # two-loop recursion
                for i in range(num_old - 1, -1, -1):
                    al[i] = float(xp.dot(old_stps[i], q)) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = float(xp.dot(old_dirs[i], r)) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(xp.abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(xp.dot(flat_grad, d))          # the slope of f along d, gᵀd
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = self._clone_param()

                def phi(step_length, direction=d):     # f and ∇f at x + step_length·d
                    f, g = self._directional_evaluate(evaluate, x_init, step_length, direction)
                    return TrialPoint(step_length, f, g, float(xp.dot(g, direction)))

                accepted, ls_func_evals = strong_wolfe(
                    phi, TrialPoint(0.0, loss, flat_grad, gtd), t,
                    scale=float(xp.abs(d).max()), max_ls=max_eval - current_evals)
                loss, flat_grad, t = accepted.f, accepted.g, accepted.t
                self._add_grad(t, d)
                opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
            else:
                self._add_grad(t, d)                   # without a line search: x ← x + t·d
                if n_iter != max_iter:
                    loss = float(evaluate())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # stopping rules
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if float(xp.abs(d * t).max()) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = d
        state["t"] = t
        state["old_dirs"] = old_dirs
        state["old_stps"] = old_stps
        state["ro"] = ro
        state["H_diag"] = H_diag
        state["prev_flat_grad"] = prev_flat_grad
        state["prev_loss"] = prev_loss
        return orig_loss
