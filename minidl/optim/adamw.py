"""AdamW: Adam with weight decay applied to the parameters, not added to the gradient."""
from minidl.optim.adam import Adam


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019).

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight decay),
               amsgrad, ε
        initialize: m₀ ← 0, v₀ ← 0, v₀^max ← 0
        for t = 1 to ... do
            g_t ← ∇f_t(θ_{t−1})
            θ_t ← θ_{t−1} − γ·λ·θ_{t−1}              (decay the weights, not the gradient)
            m_t ← β₁·m_{t−1} + (1 − β₁)·g_t
            v_t ← β₂·v_{t−1} + (1 − β₂)·g_t²
            m̂_t ← m_t / (1 − β₁ᵗ)
            v̂_t ← (v_t^max ← max(v_{t−1}^max, v_t) if amsgrad else v_t) / (1 − β₂ᵗ)
            θ_t ← θ_t − γ·m̂_t / (√v̂_t + ε)
        return θ_t

    The decay is computed as PyTorch does, θ ← θ·(1 − γλ), before the Adam step.

    Args:
        params: parameters or parameter groups (None: take them from ``minimize``'s var_list).
        lr: learning rate γ (a number or a schedule of the step).
        betas: (β₁, β₂), each in [0, 1).
        eps: ε, added to the denominator.
        weight_decay: λ, the decoupled weight decay.
        amsgrad: normalize by the largest second moment seen so far.

    State per parameter: as :class:`Adam`.
    """

    def __init__(self, params=None, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)

    def update(self, theta, g, state, *, lr, betas, eps, weight_decay, amsgrad):
        if weight_decay != 0:
            theta *= 1 - lr * weight_decay                     # θ ← θ − γλθ
        super().update(theta, g, state, lr=lr, betas=betas, eps=eps, weight_decay=0,
                       amsgrad=amsgrad)
