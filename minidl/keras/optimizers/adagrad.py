"""Keras's Adagrad: an accumulator that starts at 0.1, ε inside the square root."""
from minidl.backends import get_array_module
from minidl.keras.optimizers.optimizer import Optimizer, hyperparameter


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer, JMLR 2011), Keras 3's form.

        Keras                                       PyTorch (torch.optim.Adagrad)
        s₀ = 0.1 (initial_accumulator_value)        s₀ = 0
        s ← s + g²                                  s ← s + g²
        θ ← θ − lr·g / √(s + ε)                     θ ← θ − lr·g / (√s + ε)   (ε = 1e-10)

    Keras has no ``lr_decay``; its default lr is 0.001 (PyTorch's 0.01).

    Args:
        learning_rate: lr (a number or a schedule of the step).
        initial_accumulator_value: s₀, the starting value of every accumulator (≥ 0).
        epsilon: ε, added under the square root.
        weight_decay, clipnorm, clipvalue, global_clipnorm, ...: see :class:`Optimizer`.

    State per variable: ``accumulator`` (s).
    """

    initial_accumulator_value = hyperparameter("initial_accumulator_value")
    epsilon = hyperparameter("epsilon")

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-07,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        if not initial_accumulator_value >= 0:
            raise ValueError(f"Adagrad: initial_accumulator_value must be >= 0, got "
                             f"{initial_accumulator_value}")
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name,
                         options={"initial_accumulator_value": initial_accumulator_value,
                                  "epsilon": epsilon}, **kwargs)

    def slot_names(self):
        return [("accumulator",)]

    def init_state(self, p, group):
        return {"accumulator": p.xp.full_like(p.data, group["initial_accumulator_value"])}

    def update(self, theta, g, state, *, lr, weight_decay, initial_accumulator_value, epsilon):
        xp = get_array_module(theta)
        self.decay_weights(theta, lr, weight_decay)
        s = state["accumulator"]
        tmp = self.scratch(theta)
        denom = self.scratch(theta, "denom")
        xp.multiply(g, g, out=tmp)
        s += tmp                                          # s ← s + g²
        xp.add(s, epsilon, out=denom)
        xp.sqrt(denom, out=denom)                         # √(s + ε)
        xp.multiply(g, lr, out=tmp)
        tmp /= denom
        theta -= tmp                                      # θ − lr·g/√(s + ε)

    def algorithm_config(self):
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
