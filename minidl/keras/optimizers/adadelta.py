"""Keras's Adadelta: the same rule as PyTorch's, with Keras's defaults."""
from minidl.backends import get_array_module
from minidl.keras.optimizers.optimizer import Optimizer, hyperparameter


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), Keras 3's form.

        a ← ρ·a + (1 − ρ)·g²                       (accumulated_grad)
        Δ ← √(d + ε) / √(a + ε) · g
        d ← ρ·d + (1 − ρ)·Δ²                       (accumulated_delta_var)
        θ ← θ − lr·Δ

    The rule is PyTorch's exactly (ε inside both roots); only the defaults differ:
    Keras lr = 0.001, ρ = 0.95, ε = 1e-7 (PyTorch lr = 1.0, ρ = 0.9, ε = 1e-6).

    Args:
        learning_rate: lr (a number or a schedule of the step).
        rho: ρ, the decay of both running averages.
        epsilon: ε, added inside both square roots.
        weight_decay, clipnorm, clipvalue, global_clipnorm, ...: see :class:`Optimizer`.

    State per variable: ``accumulated_grad`` (a), ``accumulated_delta_var`` (d).
    """

    rho = hyperparameter("rho")
    epsilon = hyperparameter("epsilon")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-07, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name,
                         options={"rho": rho, "epsilon": epsilon}, **kwargs)

    def slot_names(self):
        return [("accumulated_grad", "accumulated_delta_var")]

    def init_state(self, p, group):
        return {"accumulated_grad": p.xp.zeros_like(p.data),
                "accumulated_delta_var": p.xp.zeros_like(p.data)}

    def update(self, theta, g, state, *, lr, weight_decay, rho, epsilon):
        xp = get_array_module(theta)
        self.decay_weights(theta, lr, weight_decay)
        a, d = state["accumulated_grad"], state["accumulated_delta_var"]
        tmp = self.scratch(theta)
        delta = self.scratch(theta, "delta")
        a *= rho
        xp.multiply(g, g, out=tmp)
        tmp *= 1.0 - rho
        a += tmp                                          # a ← ρ·a + (1 − ρ)·g²
        xp.add(d, epsilon, out=delta)
        xp.sqrt(delta, out=delta)
        delta *= g                                        # √(d + ε)·g
        xp.add(a, epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        delta /= tmp                                      # Δ
        d *= rho
        xp.multiply(delta, delta, out=tmp)
        tmp *= 1.0 - rho
        d += tmp                                          # d ← ρ·d + (1 − ρ)·Δ²
        delta *= lr
        theta -= delta                                    # θ − lr·Δ

    def algorithm_config(self):
        return {"rho": self.rho, "epsilon": self.epsilon}
