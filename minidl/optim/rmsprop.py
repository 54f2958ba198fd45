"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from minidl.backends import get_array_module
from minidl.optim.kernels import lerp_
from minidl.optim.optimizer import Optimizer, check_lr, check_nonnegative


class RMSprop(Optimizer):
    """RMSprop (Hinton, Coursera lecture 6e, 2012; centered version: Graves, "Generating
    Sequences With Recurrent Neural Networks", 2013).

        input: α (alpha), γ (lr), θ₀ (params), f(θ) (objective), λ (weight decay),
               μ (momentum), centered, ε
        initialize: v₀ ← 0 (square average), b₀ ← 0 (buffer), g^ave₀ ← 0
        for t = 1 to ... do
            g_t ← ∇f_t(θ_{t−1})
            if λ ≠ 0:   g_t ← g_t + λ·θ_{t−1}
            v_t ← α·v_{t−1} + (1 − α)·g_t²
            ṽ_t ← v_t
            if centered:
                g^ave_t ← α·g^ave_{t−1} + (1 − α)·g_t
                ṽ_t ← ṽ_t − (g^ave_t)²
            if μ > 0:
                b_t ← μ·b_{t−1} + g_t / (√ṽ_t + ε)
                θ_t ← θ_{t−1} − γ·b_t
            else:
                θ_t ← θ_{t−1} − γ·g_t / (√ṽ_t + ε)
        return θ_t

    Args:
        params: parameters or parameter groups (None: take them from ``minimize``'s var_list).
        lr: learning rate γ (a number or a schedule of the step).
        alpha: smoothing constant α.
        eps: ε, added to the denominator.
        weight_decay: L2 penalty λ.
        momentum: momentum factor μ.
        centered: normalize by an estimate of the gradient's variance instead of its
            second moment.

    State per parameter: ``step``, ``square_avg``, and ``momentum_buffer`` (if μ > 0),
    ``grad_avg`` (if centered).
    """

    def __init__(self, params=None, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False):
        check_lr(lr)
        check_nonnegative(eps, "epsilon")
        check_nonnegative(momentum, "momentum")
        check_nonnegative(weight_decay, "weight_decay")
        check_nonnegative(alpha, "alpha")
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        state = {"step": 0, "square_avg": p.xp.zeros_like(p.data)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = p.xp.zeros_like(p.data)
        if group["centered"]:
            state["grad_avg"] = p.xp.zeros_like(p.data)
        return state

    def update(self, theta, g, state, *, lr, alpha, eps, weight_decay, momentum, centered):
        xp = get_array_module(theta)
        state["step"] += 1
        g = self.decayed_grad(theta, g, weight_decay)
        v = state["square_avg"]
        avg = self.scratch(theta, "avg")
        tmp = self.scratch(theta)
        v *= alpha
        xp.multiply(g, 1.0 - alpha, out=tmp)
        tmp *= g
        v += tmp                                          # α·v + (1 − α)·g²
        if centered:
            g_ave = lerp_(state["grad_avg"], g, 1.0 - alpha, tmp)   # α·g_ave + (1 − α)·g
            xp.multiply(g_ave, g_ave, out=avg)
            xp.subtract(v, avg, out=avg)                  # ṽ = v − g_ave²
            xp.sqrt(avg, out=avg)
        else:
            xp.sqrt(v, out=avg)
        avg += eps                                        # √ṽ + ε
        xp.divide(g, avg, out=tmp)                        # g / (√ṽ + ε)
        if momentum > 0:
            b = state["momentum_buffer"]
            b *= momentum
            b += tmp                                      # μ·b + g/(√ṽ + ε)
            xp.multiply(b, lr, out=tmp)
        else:
            tmp *= lr
        theta -= tmp                                      # θ − γ·(b or g/(√ṽ + ε))
