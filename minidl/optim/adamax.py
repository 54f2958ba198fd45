"""Adamax: Adam with the infinity norm in place of the second moment."""
from minidl.backends import get_array_module
from minidl.optim.kernels import lerp_
from minidl.optim.optimizer import Optimizer, check_betas, check_lr, check_nonnegative


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, §7.1).

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight decay), ε
        initialize: m₀ ← 0 (first moment), u₀ ← 0 (infinity norm)
        for t = 1 to ... do
            g_t ← ∇f_t(θ_{t−1})
            if λ ≠ 0:   g_t ← g_t + λ·θ_{t−1}
            m_t ← β₁·m_{t−1} + (1 − β₁)·g_t
            u_t ← max(β₂·u_{t−1}, |g_t| + ε)
            θ_t ← θ_{t−1} − γ·m_t / ((1 − β₁ᵗ)·u_t)
        return θ_t

    Args:
        params: parameters or parameter groups (None: take them from ``minimize``'s var_list).
        lr: learning rate γ (a number or a schedule of the step).
        betas: (β₁, β₂), each in [0, 1).
        eps: ε, keeps u away from zero.
        weight_decay: L2 penalty λ.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).
    """

    def __init__(self, params=None, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        check_lr(lr)
        check_nonnegative(eps, "epsilon")
        check_betas(betas)
        check_nonnegative(weight_decay, "weight_decay")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        return {"step": 0, "exp_avg": p.xp.zeros_like(p.data), "exp_inf": p.xp.zeros_like(p.data)}

    def update(self, theta, g, state, *, lr, betas, eps, weight_decay):
        xp = get_array_module(theta)
        beta1, beta2 = betas
        state["step"] += 1
        t = state["step"]
        g = self.decayed_grad(theta, g, weight_decay)
        m, u = state["exp_avg"], state["exp_inf"]
        tmp = self.scratch(theta)
        lerp_(m, g, 1.0 - beta1, tmp)                          # β₁·m + (1 − β₁)·g
        u *= beta2
        xp.abs(g, out=tmp)
        tmp += eps
        xp.maximum(u, tmp, out=u)                              # max(β₂·u, |g| + ε)
        clr = lr / (1 - beta1 ** t)
        xp.divide(m, u, out=tmp)
        tmp *= clr
        theta -= tmp                                           # θ − γ/(1 − β₁ᵗ) · m/u
