"""Keras's RMSprop: ε inside the square root, lr inside the momentum."""
from minidl.backends import get_array_module
from minidl.keras.optimizers.optimizer import Optimizer, hyperparameter


class RMSprop(Optimizer):
    """RMSprop (Hinton, Coursera lecture 6e, 2012; centered: Graves, 2013), Keras 3's form.

        Keras                                       PyTorch (torch.optim.RMSprop)
        v ← ρ·v + (1 − ρ)·g²                        v ← α·v + (1 − α)·g²     (α = 0.99)
        centered: a ← ρ·a + (1 − ρ)·g               centered: a ← α·a + (1 − α)·g
        d ← √(v − a² + ε)   (a = 0 if not centered) d ← √(v − a²) + ε        (ε outside)
        momentum: b ← μ·b + lr·g/d;  θ ← θ − b      momentum: b ← μ·b + g/d;  θ ← θ − lr·b
        else:     θ ← θ − lr·g/d                    else:     θ ← θ − lr·g/d

    Keras's defaults also differ: ρ = 0.9, ε = 1e-7, lr = 0.001.

    Args:
        learning_rate: lr (a number or a schedule of the step).
        rho: ρ, the decay of the running averages.
        momentum: μ (0: none).
        epsilon: ε, added under the square root.
        centered: divide by an estimate of the gradient's variance (v − a²) instead of v.
        weight_decay, clipnorm, clipvalue, global_clipnorm, ...: see :class:`Optimizer`.

    State per variable: ``velocity`` (v), ``momentum`` (b, if μ > 0), ``average_gradient``
    (a, if centered).
    """

    rho = hyperparameter("rho")
    momentum = hyperparameter("momentum")
    epsilon = hyperparameter("epsilon")
    centered = hyperparameter("centered")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name,
                         options={"rho": rho, "momentum": momentum, "epsilon": epsilon,
                                  "centered": centered}, **kwargs)

    def slot_names(self):
        names = [("velocity",)]
        if self.momentum > 0:
            names.append(("momentum",))
        if self.centered:
            names.append(("average_gradient",))
        return names

    def init_state(self, p, group):
        state = {"velocity": p.xp.zeros_like(p.data)}
        if group["momentum"] > 0:
            state["momentum"] = p.xp.zeros_like(p.data)
        if group["centered"]:
            state["average_gradient"] = p.xp.zeros_like(p.data)
        return state

    def update(self, theta, g, state, *, lr, weight_decay, rho, momentum, epsilon, centered):
        xp = get_array_module(theta)
        self.decay_weights(theta, lr, weight_decay)
        tmp = self.scratch(theta)
        d = self.scratch(theta, "denom")
        v = state["velocity"]
        v *= rho
        xp.multiply(g, g, out=tmp)
        tmp *= 1.0 - rho
        v += tmp                                          # v ← ρ·v + (1 − ρ)·g²
        xp.add(v, epsilon, out=d)                         # v + ε
        if centered:
            a = state["average_gradient"]
            a *= rho
            xp.multiply(g, 1.0 - rho, out=tmp)
            a += tmp                                      # a ← ρ·a + (1 − ρ)·g
            xp.multiply(a, a, out=tmp)
            d -= tmp                                      # v + ε − a²
        xp.sqrt(d, out=d)                                 # d
        xp.multiply(g, lr, out=tmp)
        tmp /= d                                          # lr·g/d
        if momentum > 0:
            b = state["momentum"]
            b *= momentum
            b += tmp                                      # b ← μ·b + lr·g/d
            theta -= b
        else:
            theta -= tmp                                  # θ − lr·g/d

    def algorithm_config(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
