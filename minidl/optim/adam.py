"""Adam and its AMSGrad variant: momentum on the gradient, scaled by a running RMS of it."""
from minidl.backends import get_array_module
from minidl.optim.kernels import addcdiv_, ema_square_, lerp_, sqrt_scaled_
from minidl.optim.optimizer import Optimizer, check_betas, check_lr, check_nonnegative


class Adam(Optimizer):
    """Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015), with the
    AMSGrad variant (Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018).

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight decay),
               amsgrad, ε
        initialize: m₀ ← 0 (first moment), v₀ ← 0 (second moment), v₀^max ← 0
        for t = 1 to ... do
            g_t ← ∇f_t(θ_{t−1})
            if λ ≠ 0:   g_t ← g_t + λ·θ_{t−1}
            m_t ← β₁·m_{t−1} + (1 − β₁)·g_t
            v_t ← β₂·v_{t−1} + (1 − β₂)·g_t²
            m̂_t ← m_t / (1 − β₁ᵗ)
            if amsgrad:
                v_t^max ← max(v_{t−1}^max, v_t)
                v̂_t ← v_t^max / (1 − β₂ᵗ)
            else:
                v̂_t ← v_t / (1 − β₂ᵗ)
            θ_t ← θ_{t−1} − γ·m̂_t / (√v̂_t + ε)
        return θ_t

    The code computes the last line in PyTorch's order (``_single_tensor_adam``):
    θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε), so ε is added after the bias
    correction of √v, exactly as above, and results match torch.optim.Adam.

    Args:
        params: parameters or parameter groups (None: take them from ``minimize``'s var_list).
        lr: learning rate γ (a number or a schedule of the step).
        betas: (β₁, β₂), the decay rates of the two moments, each in [0, 1).
        eps: ε, added to the denominator.
        weight_decay: L2 penalty λ, added to the gradient (see :class:`AdamW` for the
            decoupled form).
        amsgrad: normalize by the largest second moment seen so far.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad,
    ``max_exp_avg_sq`` (v^max).

    ``update`` runs once per parameter group, on the group's flat buffers (see
    :mod:`minidl.optim.flat`).
    """

    def __init__(self, params=None, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False):
        check_lr(lr)
        check_nonnegative(eps, "epsilon")
        check_betas(betas)
        check_nonnegative(weight_decay, "weight_decay")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        state = {"step": 0, "exp_avg": p.xp.zeros_like(p.data),
                 "exp_avg_sq": p.xp.zeros_like(p.data)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = p.xp.zeros_like(p.data)
        return state

    def update(self, theta, g, state, *, lr, betas, eps, weight_decay, amsgrad):
        xp = get_array_module(theta)
        beta1, beta2 = betas
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = self.scratch(theta)                              # the one work array
        g = self.decayed_grad(theta, g, weight_decay)          # g ← g + λ·θ
        lerp_(m, g, 1.0 - beta1, tmp)                          # m ← β₁·m + (1 − β₁)·g
        ema_square_(v, g, beta2, tmp)                          # v ← β₂·v + (1 − β₂)·g²
        if amsgrad:
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        # θ ← θ − γ·m̂/(√v̂ + ε), as (γ / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)
        denom = sqrt_scaled_(tmp, v, (1 - beta2 ** t) ** 0.5, eps)
        addcdiv_(theta, -lr / (1 - beta1 ** t), m, denom)
