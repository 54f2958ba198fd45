"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""
from minidl.backends import get_array_module
from minidl.optim.optimizer import Optimizer, check_lr, check_nonnegative


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum).

        input: γ (lr), θ₀ (params), f(θ) (objective), λ (weight decay),
               μ (momentum), τ (dampening), nesterov, maximize
        for t = 1 to ... do
            g_t ← −∇f_t(θ_{t−1})  if maximize  else  ∇f_t(θ_{t−1})
            if λ ≠ 0:   g_t ← g_t + λ·θ_{t−1}
            if μ ≠ 0:
                b_t ← μ·b_{t−1} + (1 − τ)·g_t   if t > 1  else  g_t
                g_t ← g_t + μ·b_t               if nesterov  else  b_t
            θ_t ← θ_{t−1} − γ·g_t
        return θ_t

    Nesterov momentum follows Sutskever et al., "On the importance of initialization and
    momentum in deep learning" (2013), in PyTorch's form (momentum buffer b, not velocity).

    Args:
        params: parameters or parameter groups (None: take them from ``minimize``'s var_list).
        lr: learning rate γ (a number or a schedule of the step).
        momentum: momentum factor μ.
        dampening: dampening τ of the momentum's gradient term.
        weight_decay: L2 penalty λ.
        nesterov: use Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: ascend the objective instead of descending.

    State per parameter: ``momentum_buffer`` (None until the first step with μ ≠ 0).

    Example:
        >>> import minidl as mdl
        >>> w = mdl.tensor(1.0, requires_grad=True)
        >>> opt = mdl.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     _ = opt.minimize(lambda: w ** 2 / 2)
        >>> round(w.item(), 6)   # moved by 0.1, then by 0.1·(0.9·1 + 0.9) = 0.18
        0.72
    """

    def __init__(self, params=None, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, maximize=False):
        check_lr(lr)
        check_nonnegative(momentum, "momentum")
        check_nonnegative(weight_decay, "weight_decay")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        return {"momentum_buffer": None}

    def update(self, theta, g, state, *, lr, momentum, dampening, weight_decay, nesterov,
               maximize):
        xp = get_array_module(theta)
        g = self.decayed_grad(theta, g, weight_decay, maximize)     # ±∇f + λθ
        if momentum != 0:
            b = state["momentum_buffer"]
            if b is None:
                b = state["momentum_buffer"] = xp.array(g, copy=True)  # b_1 = g_1 (an array even
                # when g is a 0-d NumPy scalar, so that the in-place updates below stick)
            else:
                b *= momentum                                       # μ·b
                if dampening == 0:
                    b += g                                          # + g   ((1 − 0)·g is g)
                else:
                    tmp = self.scratch(theta)
                    xp.multiply(g, 1.0 - dampening, out=tmp)
                    b += tmp                                        # + (1 − τ)·g
            if nesterov:
                tmp = self.scratch(theta)
                xp.multiply(b, momentum, out=tmp)
                tmp += g                                            # g + μ·b
                g = tmp
            else:
                g = b
        tmp = self.scratch(theta)
        xp.multiply(g, lr, out=tmp)
        theta -= tmp                                                # θ − γ·g
