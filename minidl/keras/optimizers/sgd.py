"""Keras's SGD: plain, with momentum, or with Nesterov momentum, in Keras's velocity form."""
from minidl.backends import get_array_module
from minidl.keras.optimizers.optimizer import Optimizer, hyperparameter


class SGD(Optimizer):
    """Gradient descent with momentum (Keras 3's ``keras.optimizers.SGD``).

        Keras (velocity v, lr inside it)          PyTorch (buffer b, lr outside it)
        v ← μ·v − lr·g                             b ← μ·b + g
        θ ← θ + v                                  θ ← θ − lr·b
        nesterov:  θ ← θ + μ·v − lr·g              nesterov:  θ ← θ − lr·(g + μ·b)

    With a constant learning rate both give the same iterates (v = −lr·b); they differ when
    lr changes during training: Keras's velocity keeps the old rates' steps, PyTorch's
    buffer is rescaled by the new rate. Keras's first step starts from v = 0 (PyTorch's from
    b = g, the same step).

    Args:
        learning_rate: lr (a number or a schedule of the step).
        momentum: μ in [0, 1]; 0 is plain gradient descent θ ← θ − lr·g.
        nesterov: use Nesterov momentum.
        weight_decay, clipnorm, clipvalue, global_clipnorm, ...: see :class:`Optimizer`.

    State per variable (when μ ≠ 0): ``momentum`` (v).
    """

    momentum = hyperparameter("momentum")
    nesterov = hyperparameter("nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if isinstance(momentum, bool) or not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name,
                         options={"momentum": float(momentum), "nesterov": bool(nesterov)},
                         **kwargs)

    def slot_names(self):
        return [("momentum",)] if self.momentum != 0 else []

    def init_state(self, p, group):
        return {"momentum": p.xp.zeros_like(p.data)} if group["momentum"] != 0 else {}

    def update(self, theta, g, state, *, lr, weight_decay, momentum, nesterov):
        xp = get_array_module(theta)
        self.decay_weights(theta, lr, weight_decay)
        step = xp.multiply(g, lr, out=self.scratch(theta))      # lr·g
        if momentum == 0:
            theta -= step                                       # θ − lr·g
            return
        v = state["momentum"]
        v *= momentum
        v -= step                                               # v ← μ·v − lr·g
        if nesterov:
            theta -= step
            xp.multiply(v, momentum, out=step)
            theta += step                                       # θ + μ·v − lr·g
        else:
            theta += v                                          # θ + v

    def algorithm_config(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}
