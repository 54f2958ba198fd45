"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
from minidl.backends import get_array_module
from minidl.optim.optimizer import Optimizer, check_lr, check_nonnegative


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and
    Stochastic Optimization", JMLR 2011).

        input: γ (lr), θ₀ (params), f(θ) (objective), λ (weight decay),
               τ (initial accumulator value), η (lr decay), ε
        initialize: sum₀ ← τ
        for t = 1 to ... do
            g_t ← ∇f_t(θ_{t−1})
            γ̃ ← γ / (1 + (t − 1)·η)
            if λ ≠ 0:   g_t ← g_t + λ·θ_{t−1}
            sum_t ← sum_{t−1} + g_t²
            θ_t ← θ_{t−1} − γ̃ · g_t / (√sum_t + ε)
        return θ_t

    Args:
        params: parameters or parameter groups (None: take them from ``minimize``'s var_list).
        lr: learning rate γ (a number or a schedule of the step).
        lr_decay: η.
        weight_decay: L2 penalty λ.
        initial_accumulator_value: τ, the starting value of every ``sum``.
        eps: ε, added to the denominator.

    State per parameter: ``step``, ``sum``.
    """

    def __init__(self, params=None, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10):
        check_lr(lr)
        check_nonnegative(lr_decay, "lr_decay")
        check_nonnegative(weight_decay, "weight_decay")
        check_nonnegative(initial_accumulator_value, "initial_accumulator_value")
        check_nonnegative(eps, "epsilon")
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        total = p.xp.full_like(p.data, group["initial_accumulator_value"])
        return {"step": 0, "sum": total}

    def update(self, theta, g, state, *, lr, lr_decay, weight_decay, initial_accumulator_value,
               eps):
        xp = get_array_module(theta)
        state["step"] += 1
        t = state["step"]
        g = self.decayed_grad(theta, g, weight_decay)
        clr = lr / (1 + (t - 1) * lr_decay)               # γ̃
        total = state["sum"]
        tmp = self.scratch(theta)
        xp.multiply(g, g, out=tmp)
        total += tmp                                      # sum + g²
        xp.sqrt(total, out=tmp)
        tmp += eps                                        # √sum + ε
        xp.divide(g, tmp, out=tmp)
        tmp *= clr
        theta -= tmp                                      # θ − γ̃·g/(√sum + ε)
