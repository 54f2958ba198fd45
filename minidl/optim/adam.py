"""Adam and its AMSGrad variant: momentum on the gradient, scaled by a running RMS of it."""
from minidl.backends import fast_scalars, get_array_module
from minidl.optim.flat import FlatState
from minidl.optim.optimizer import (Optimizer, check_betas, check_lr, check_nonnegative,
                                    ema_square_, lerp_)


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

    When every parameter of a group has a gradient, the group is updated at once
    (:meth:`update_group`): the same operations in the same order, so the same numbers, in
    fewer array calls.
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
        g = self.decayed_grad(theta, g, weight_decay)          # g + λθ
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = self.scratch(theta)                              # the one work array
        lerp_(m, g, 1.0 - beta1, tmp)                          # m ← β₁·m + (1 − β₁)·g
        ema_square_(v, g, beta2, tmp)                          # v ← β₂·v + (1 − β₂)·g²
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5
        if amsgrad:
            v_max = state["max_exp_avg_sq"]
            xp.maximum(v_max, v, out=v_max)                    # v^max ← max(v^max, v)
            v = v_max
        # (the three numbers as 0-d arrays of θ's dtype under NumPy: same values, faster ops)
        (eps,) = fast_scalars(theta, eps)
        bias_correction2_sqrt, step_size = fast_scalars(theta, bias_correction2_sqrt, step_size,
                                                        cache=False)
        denom = xp.sqrt(v, out=tmp)
        denom /= bias_correction2_sqrt
        denom += eps                                           # √v̂ + ε
        xp.divide(m, denom, out=tmp)
        tmp *= step_size
        theta -= tmp                                           # θ − γ·m̂/(√v̂ + ε)

    # -- the whole group at once ("foreach") ------------------------------------------------
    def update_group(self, group, options):
        """:meth:`update` for all of ``group``'s parameters at once, bit for bit.

        m, v (and v^max) of the whole group live in one flat buffer each (see
        :mod:`minidl.optim.flat`); the operations that read g or θ run per parameter (4 of
        them), the other 9 once on the flat buffers: 4·P + 9 array calls instead of 13·P.
        Returns False (the per-parameter path) when a parameter has no gradient, when the
        parameters differ in type, device or dtype or in step count, or when β₁ ≤ 0.5 (then
        PyTorch's lerp takes a form that reads g after the flat part).
        """
        flat = self._flat_state(group, options)
        if flat is None:
            return False
        self._update_flat(flat, options)
        return True

    def _flat_state(self, group, options):
        params = group["params"]
        if len(params) < 2 or options["betas"][0] <= 0.5:
            return None
        for p in params:
            if p.grad is None:
                return None
        names = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if options["amsgrad"] else ())
        flats = self._flat
        flat = flats.get(id(group))
        if flat is None or flat.names != names or not flat.matches(params, self.state):
            flat = FlatState.pack(params, self.state, names, lambda p: self.init_state(p, group))
            flats[id(group)] = flat
        return flat

    def _update_flat(self, flat, options):
        params, states = flat.params, flat.states
        lr, (beta1, beta2), eps = options["lr"], options["betas"], options["eps"]
        weight_decay = options["weight_decay"]
        first = params[0].data
        xp = get_array_module(first)
        t = states[0]["step"] + 1
        for state in states:
            state["step"] = t
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        one_minus_beta1, beta2, one_minus_beta2, eps = fast_scalars(
            first, 1.0 - beta1, beta2, 1.0 - beta2, eps)
        bias_correction2_sqrt, step_size = fast_scalars(
            first, bias_correction2 ** 0.5, lr / bias_correction1, cache=False)  # (this step's)
        m, v = flat.arrays["exp_avg"], flat.arrays["exp_avg_sq"]
        tmp, tmps = flat.scratch, flat.scratch_views
        # v ← β₂·v + (1 − β₂)·g²: the g² terms per parameter, the sum once
        for p, part in zip(params, tmps):
            g = self.decayed_grad(p.data, p.grad.data, weight_decay)      # g + λθ
            xp.multiply(g, one_minus_beta2, out=part)
            part *= g
        v *= beta2
        v += tmp
        # m ← m + (1 − β₁)·(g − m): the differences per parameter, the rest once (with weight
        # decay, g + λθ is formed again: its scratch is shared by same-shaped parameters)
        for p, m_part, part in zip(params, flat.views["exp_avg"], tmps):
            g = self.decayed_grad(p.data, p.grad.data, weight_decay)
            xp.subtract(g, m_part, out=part)
        tmp *= one_minus_beta1
        m += tmp
        if options["amsgrad"]:
            v_max = flat.arrays["max_exp_avg_sq"]
            xp.maximum(v_max, v, out=v_max)                             # v^max ← max(v^max, v)
            v = v_max
        denom = xp.sqrt(v, out=tmp)
        denom /= bias_correction2_sqrt
        denom += eps                                                    # √v̂ + ε
        xp.divide(m, denom, out=tmp)
        tmp *= step_size                                                # γ·m̂/(√v̂ + ε)
        for p, part in zip(params, tmps):
            p.data -= part
            p._version += 1
