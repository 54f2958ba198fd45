"""Keras's Nadam: Dozat's momentum schedule with decay 0.96 per step."""
from minidl.backends import get_array_module
from minidl.keras.optimizers.optimizer import Optimizer, hyperparameter
from minidl.optim.optimizer import ema_square_, lerp_


class Nadam(Optimizer):
    """Nadam (Dozat, "Incorporating Nesterov Momentum into Adam", ICLR workshop 2016),
    Keras 3's form.

        m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²   (minidl.optim's kernels)

        Keras                                       PyTorch (torch.optim.NAdam)
        μ_t ← β₁·(1 − ½·0.96^t)                     μ_t ← β₁·(1 − ½·0.96^(t·ψ)), ψ = 0.004
        Π_t ← Π_{t−1}·μ_t  (u_product, one for all variables)
        m̂ ← μ_{t+1}·m/(1 − Π_t·μ_{t+1}) + (1 − μ_t)·g/(1 − Π_t)        (the same)
        v̂ ← v/(1 − β₂ᵗ)                                                (the same)
        θ ← θ − lr·m̂ / (√v̂ + ε)                      θ ← θ − lr·m̂ / (√v̂ + ε), in two parts

    So Keras's momentum schedule decays per step with base 0.96 (μ_t reaches β₁ within a
    few hundred steps), PyTorch's 250 times slower (its ``momentum_decay`` ψ); Keras has no
    ψ argument. Defaults: lr = 0.001, ε = 1e-7 (PyTorch 2e-3, 1e-8).

    Args:
        learning_rate: lr (a number or a schedule of the step).
        beta_1, beta_2: β₁, β₂.
        epsilon: ε.
        weight_decay, clipnorm, clipvalue, global_clipnorm, ...: see :class:`Optimizer`.

    State per variable: ``momentum`` (m), ``velocity`` (v); for the optimizer:
    ``u_product`` (Π, a float, the last of ``variables``).
    """

    beta_1 = hyperparameter("beta_1")
    beta_2 = hyperparameter("beta_2")
    epsilon = hyperparameter("epsilon")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name,
                         options={"beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon},
                         **kwargs)
        self.u_product = 1.0

    def slot_names(self):
        return [("momentum", "velocity")]

    def init_state(self, p, group):
        return {"momentum": p.xp.zeros_like(p.data), "velocity": p.xp.zeros_like(p.data)}

    def momentum_at(self, t, theta):
        """μ_t = β₁·(1 − ½·0.96^t), with β₁ and 0.96 in θ's dtype (as Keras casts them)."""
        beta_1, decay = self.in_dtype(self.beta_1, theta), self.in_dtype(0.96, theta)
        return beta_1 * (1.0 - 0.5 * decay ** t)

    def begin_step(self):
        first = next(p for p in self.all_variables() if p.grad is not None)
        self.u_product *= self.momentum_at(self.step_count(), first.data)     # Π_t

    def update(self, theta, g, state, *, lr, weight_decay, beta_1, beta_2, epsilon):
        xp = get_array_module(theta)
        self.decay_weights(theta, lr, weight_decay)
        t = self.step_count()
        mu, mu_next = self.momentum_at(t, theta), self.momentum_at(t + 1, theta)
        u_product, u_product_next = self.u_product, self.u_product * mu_next
        beta_2_power = self.in_dtype(beta_2, theta) ** t       # (β₂ rounded as Keras rounds it)
        m, v = state["momentum"], state["velocity"]
        tmp = self.scratch(theta)
        m_hat = self.scratch(theta, "m_hat")
        lerp_(m, g, 1.0 - beta_1, tmp)                     # m ← β₁·m + (1 − β₁)·g
        ema_square_(v, g, beta_2, tmp)                     # v ← β₂·v + (1 − β₂)·g²
        xp.multiply(m, mu_next / (1.0 - u_product_next), out=m_hat)
        xp.multiply(g, (1.0 - mu) / (1.0 - u_product), out=tmp)
        m_hat += tmp                                       # m̂
        xp.divide(v, 1.0 - beta_2_power, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp += epsilon                                     # √v̂ + ε
        m_hat *= lr
        m_hat /= tmp
        theta -= m_hat                                     # θ − lr·m̂/(√v̂ + ε)

    def extra_scalars(self):
        return [("u_product", self.u_product)]

    def set_extra_scalar(self, name, value):
        if name != "u_product":
            super().set_extra_scalar(name, value)
        self.u_product = value

    def algorithm_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
