"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
from minidl.backends import get_array_module
from minidl.optim.optimizer import Optimizer, check_lr, check_nonnegative


class Adadelta(Optimizer):
    """Adadelta (Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012).

        input: γ (lr), θ₀ (params), f(θ) (objective), ρ (decay), λ (weight decay), ε
        initialize: v₀ ← 0 (square average), u₀ ← 0 (accumulated update)
        for t = 1 to ... do
            g_t ← ∇f_t(θ_{t−1})
            if λ ≠ 0:   g_t ← g_t + λ·θ_{t−1}
            v_t ← ρ·v_{t−1} + (1 − ρ)·g_t²
            Δx_t ← √(u_{t−1} + ε) / √(v_t + ε) · g_t
            u_t ← ρ·u_{t−1} + (1 − ρ)·Δx_t²
            θ_t ← θ_{t−1} − γ·Δx_t
        return θ_t

    Args:
        params: parameters or parameter groups (None: take them from ``minimize``'s var_list).
        lr: γ, scales Δx before it is applied (a number or a schedule of the step).
        rho: ρ, the decay of both running averages.
        eps: ε, added inside both square roots.
        weight_decay: L2 penalty λ.

    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    """

    def __init__(self, params=None, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative(eps, "epsilon")
        check_nonnegative(weight_decay, "weight_decay")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        return {"step": 0, "square_avg": p.xp.zeros_like(p.data),
                "acc_delta": p.xp.zeros_like(p.data)}

    def update(self, theta, g, state, *, lr, rho, eps, weight_decay):
        xp = get_array_module(theta)
        state["step"] += 1
        g = self.decayed_grad(theta, g, weight_decay)
        v, u = state["square_avg"], state["acc_delta"]
        std = self.scratch(theta, "std")
        delta = self.scratch(theta)
        v *= rho
        xp.multiply(g, 1.0 - rho, out=delta)
        delta *= g
        v += delta                                        # ρ·v + (1 − ρ)·g²
        xp.add(v, eps, out=std)
        xp.sqrt(std, out=std)                             # √(v + ε)
        xp.add(u, eps, out=delta)
        xp.sqrt(delta, out=delta)                         # √(u + ε)
        delta /= std
        delta *= g                                        # Δx
        u *= rho
        xp.multiply(delta, 1.0 - rho, out=std)
        std *= delta
        u += std                                          # ρ·u + (1 − ρ)·Δx²
        delta *= lr
        theta -= delta                                    # θ − γ·Δx
