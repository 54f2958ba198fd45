"""RAdam: Adam whose adaptive step is switched on only once its variance is tractable."""
from minidl.backends import get_array_module
from minidl.optim.kernels import ema_square_, lerp_
from minidl.optim.optimizer import Optimizer, check_betas, check_lr, check_nonnegative


class RAdam(Optimizer):
    """RAdam (Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", ICLR 2020).

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight decay), ε
        initialize: m₀ ← 0 (first moment), v₀ ← 0 (second moment)
        ρ_∞ ← 2/(1 − β₂) − 1
        for t = 1 to ... do
            g_t ← ∇f_t(θ_{t−1})
            if λ ≠ 0:   g_t ← g_t + λ·θ_{t−1}
            m_t ← β₁·m_{t−1} + (1 − β₁)·g_t
            v_t ← β₂·v_{t−1} + (1 − β₂)·g_t²
            m̂_t ← m_t / (1 − β₁ᵗ)
            ρ_t ← ρ_∞ − 2t·β₂ᵗ / (1 − β₂ᵗ)
            if ρ_t > 5:                               (the variance is tractable)
                l_t ← √(1 − β₂ᵗ) / (√v_t + ε)
                r_t ← √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
                θ_t ← θ_{t−1} − γ·m̂_t·r_t·l_t
            else:                                     (SGD with momentum)
                θ_t ← θ_{t−1} − γ·m̂_t
        return θ_t

    The product γ·m̂·l·r is formed in PyTorch's order, ((m̂·γ)·l)·r.

    Args:
        params: parameters or parameter groups (None: take them from ``minimize``'s var_list).
        lr: learning rate γ (a number or a schedule of the step).
        betas: (β₁, β₂), each in [0, 1).
        eps: ε, added to the denominator.
        weight_decay: L2 penalty λ.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v).
    """

    def __init__(self, params=None, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        check_lr(lr)
        check_nonnegative(eps, "epsilon")
        check_betas(betas)
        check_nonnegative(weight_decay, "weight_decay")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        return {"step": 0, "exp_avg": p.xp.zeros_like(p.data),
                "exp_avg_sq": p.xp.zeros_like(p.data)}

    def update(self, theta, g, state, *, lr, betas, eps, weight_decay):
        xp = get_array_module(theta)
        beta1, beta2 = betas
        state["step"] += 1
        t = state["step"]
        g = self.decayed_grad(theta, g, weight_decay)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = self.scratch(theta)
        lerp_(m, g, 1.0 - beta1, tmp)                          # β₁·m + (1 − β₁)·g
        ema_square_(v, g, beta2, tmp)                          # β₂·v + (1 − β₂)·g²
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        step = xp.divide(m, bias_correction1, out=tmp)         # m̂
        step *= lr                                             # γ·m̂
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
        if rho_t > 5.0:
            adaptive = self.scratch(theta, "adaptive")
            xp.sqrt(v, out=adaptive)
            adaptive += eps
            xp.divide(bias_correction2 ** 0.5, adaptive, out=adaptive)   # l_t
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5    # r_t
            step *= adaptive
            step *= rect
        theta -= step                                          # θ − γ·m̂·l·r  (or θ − γ·m̂)
