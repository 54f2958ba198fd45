"""Keras's Adamax: ε added to the infinity norm in the denominator, not inside the max."""
from minidl.backends import get_array_module
from minidl.keras.optimizers.optimizer import Optimizer, hyperparameter
from minidl.optim.optimizer import lerp_


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, ICLR 2015, §7.1), Keras 3's form.

        m ← β₁·m + (1 − β₁)·g                       (both: minidl.optim's lerp_ kernel)

        Keras                                       PyTorch (torch.optim.Adamax)
        u ← max(β₂·u, |g|)                          u ← max(β₂·u, |g| + ε)
        θ ← θ − lr·m / ((1 − β₁ᵗ)·(u + ε))          θ ← θ − lr·m / ((1 − β₁ᵗ)·u)

    Keras's defaults: lr = 0.001, ε = 1e-7 (PyTorch: 2e-3, 1e-8).

    Args:
        learning_rate: lr (a number or a schedule of the step).
        beta_1, beta_2: β₁ (first moment), β₂ (decay of the infinity norm).
        epsilon: ε.
        weight_decay, clipnorm, clipvalue, global_clipnorm, ...: see :class:`Optimizer`.

    State per variable: ``momentum`` (m), ``norm`` (u).
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

    def slot_names(self):
        return [("momentum", "norm")]

    def init_state(self, p, group):
        return {"momentum": p.xp.zeros_like(p.data), "norm": p.xp.zeros_like(p.data)}

    def update(self, theta, g, state, *, lr, weight_decay, beta_1, beta_2, epsilon):
        xp = get_array_module(theta)
        self.decay_weights(theta, lr, weight_decay)
        t = self.step_count()
        m, u = state["momentum"], state["norm"]
        tmp = self.scratch(theta)
        denom = self.scratch(theta, "denom")
        lerp_(m, g, 1.0 - beta_1, tmp)                     # m ← β₁·m + (1 − β₁)·g
        u *= beta_2
        xp.abs(g, out=tmp)
        xp.maximum(u, tmp, out=u)                          # u ← max(β₂·u, |g|)
        xp.add(u, epsilon, out=denom)
        denom *= 1.0 - self.in_dtype(beta_1, theta) ** t   # (1 − β₁ᵗ)·(u + ε), β₁ as Keras
        xp.multiply(m, lr, out=tmp)
        tmp /= denom
        theta -= tmp                                       # θ − lr·m/((1 − β₁ᵗ)(u + ε))

    def algorithm_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
