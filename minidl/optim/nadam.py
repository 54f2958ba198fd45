"""NAdam: Adam with Nesterov momentum and Dozat's momentum-decay schedule."""
from minidl.backends import get_array_module
from minidl.optim.kernels import ema_square_, lerp_
from minidl.optim.optimizer import Optimizer, check_betas, check_lr, check_nonnegative


class NAdam(Optimizer):
    """NAdam (Dozat, "Incorporating Nesterov Momentum into Adam", ICLR workshop 2016).

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight decay),
               ψ (momentum decay), ε
        initialize: m₀ ← 0 (first moment), v₀ ← 0 (second moment), Π₀ ← 1 (mu_product)
        for t = 1 to ... do
            g_t ← ∇f_t(θ_{t−1})
            if λ ≠ 0:   g_t ← g_t + λ·θ_{t−1}
            μ_t ← β₁·(1 − ½·0.96^(t·ψ))
            μ_{t+1} ← β₁·(1 − ½·0.96^((t+1)·ψ))
            Π_t ← Π_{t−1}·μ_t                         (Π_t = μ₁·μ₂·…·μ_t)
            m_t ← β₁·m_{t−1} + (1 − β₁)·g_t
            v_t ← β₂·v_{t−1} + (1 − β₂)·g_t²
            m̂_t ← μ_{t+1}·m_t / (1 − Π_t·μ_{t+1}) + (1 − μ_t)·g_t / (1 − Π_t)
            v̂_t ← v_t / (1 − β₂ᵗ)
            θ_t ← θ_{t−1} − γ·m̂_t / (√v̂_t + ε)
        return θ_t

    As in PyTorch, the last line is applied as two steps sharing the denominator
    d = √(v/(1 − β₂ᵗ)) + ε: θ ← θ − γ(1 − μ_t)/(1 − Π_t) · g/d, then
    θ ← θ − γμ_{t+1}/(1 − Π_tμ_{t+1}) · m/d.

    Args:
        params: parameters or parameter groups (None: take them from ``minimize``'s var_list).
        lr: learning rate γ (a number or a schedule of the step).
        betas: (β₁, β₂), each in [0, 1).
        eps: ε, added to the denominator.
        weight_decay: L2 penalty λ.
        momentum_decay: ψ.

    State per parameter: ``step``, ``mu_product`` (Π, a Python float), ``exp_avg``,
    ``exp_avg_sq``.
    """

    def __init__(self, params=None, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3):
        check_lr(lr)
        check_nonnegative(eps, "epsilon")
        check_betas(betas)
        check_nonnegative(weight_decay, "weight_decay")
        check_nonnegative(momentum_decay, "momentum_decay")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        return {"step": 0, "mu_product": 1.0, "exp_avg": p.xp.zeros_like(p.data),
                "exp_avg_sq": p.xp.zeros_like(p.data)}

    def update(self, theta, g, state, *, lr, betas, eps, weight_decay, momentum_decay):
        xp = get_array_module(theta)
        beta1, beta2 = betas
        state["step"] += 1
        t = state["step"]
        bias_correction2 = 1 - beta2 ** t
        g = self.decayed_grad(theta, g, weight_decay)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * momentum_decay)))
        state["mu_product"] *= mu                              # Π_t
        mu_product = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = self.scratch(theta)
        lerp_(m, g, 1.0 - beta1, tmp)                          # β₁·m + (1 − β₁)·g
        ema_square_(v, g, beta2, tmp)                          # β₂·v + (1 − β₂)·g²
        denom = self.scratch(theta, "denom")
        xp.divide(v, bias_correction2, out=denom)
        xp.sqrt(denom, out=denom)
        denom += eps                                           # √v̂ + ε
        xp.divide(g, denom, out=tmp)
        tmp *= lr * (1.0 - mu) / (1.0 - mu_product)
        theta -= tmp                                           # the gradient's share
        mu_product_next = mu_product * mu_next
        xp.divide(m, denom, out=tmp)
        tmp *= (lr * mu_next) / (1.0 - mu_product_next)
        theta -= tmp                                           # the momentum's share
