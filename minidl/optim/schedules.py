"""Learning-rate schedules as functions of the step, with Keras's formulas and boundary rules.

A schedule is a small callable, ``schedule(step) -> float``; give one as an optimizer's ``lr``
and step k (counting from 0, as Keras's ``optimizer.iterations``) uses ``schedule(k)``:

    >>> import minidl as mdl
    >>> from minidl.optim.schedules import ExponentialDecay
    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    >>> [schedule(k) for k in (0, 9, 10, 25)]
    [0.1, 0.1, 0.05, 0.025]
    >>> w = mdl.tensor(1.0, requires_grad=True)
    >>> opt = mdl.optim.SGD([w], lr=schedule)

Each has ``get_config()`` (its constructor arguments) and ``from_config(config)``.
"""
import math


class LearningRateSchedule:
    """Base class: a callable ``schedule(step) -> float`` with a config."""

    def __call__(self, step):
        raise NotImplementedError(f"learning rate schedule '{type(self).__name__}' must "
                                  "override __call__(self, step)")

    def get_config(self):
        raise NotImplementedError(f"learning rate schedule '{type(self).__name__}' must "
                                  "override get_config()")

    @classmethod
    def from_config(cls, config):
        """The schedule that ``get_config()`` describes."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


def _check_decay_steps(decay_steps):
    if decay_steps <= 0:
        raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}")


class PiecewiseConstantDecay(LearningRateSchedule):
    """Constant pieces:

        values[0]   if step ≤ boundaries[0]
        values[i]   if boundaries[i−1] < step ≤ boundaries[i]
        values[-1]  if step > boundaries[-1]

    Args:
        boundaries: increasing step numbers, one fewer than ``values``.
        values: the learning rate of each piece.

    Example:
        >>> schedule = PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1])
        >>> [schedule(s) for s in (100, 101, 110, 111)]
        [1.0, 0.5, 0.5, 0.1]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of "
                             f"values. Received: boundaries={boundaries} of length "
                             f"{len(boundaries)}, and values={values} of length {len(values)}.")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        step = float(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class _DecayEveryNSteps(LearningRateSchedule):
    """What ExponentialDecay and InverseTimeDecay share: the rate at step 0, decayed by
    ``decay_rate`` per ``decay_steps`` steps, continuously or (``staircase``) in whole steps."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def progress(self, step):
        """``step / decay_steps``, floored with ``staircase``."""
        p = float(step) / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_DecayEveryNSteps):
    """``initial_learning_rate · decay_rate ^ (step / decay_steps)``; with ``staircase``, the
    exponent is ``floor(step / decay_steps)`` (the rate drops every ``decay_steps`` steps).

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps per factor of ``decay_rate`` (> 0).
        decay_rate: the factor.
        staircase: decay in whole steps.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self.progress(step)


class InverseTimeDecay(_DecayEveryNSteps):
    """``initial_learning_rate / (1 + decay_rate · step / decay_steps)``; with ``staircase``,
    ``step / decay_steps`` is floored.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: how often to apply the decay (> 0).
        decay_rate: the decay rate.
        staircase: decay in whole steps.

    Example:
        >>> schedule = InverseTimeDecay(0.1, decay_steps=1.0, decay_rate=0.5)
        >>> [round(schedule(s), 6) for s in (0, 1, 2)]
        [0.1, 0.066667, 0.05]
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return self.initial_learning_rate / (1 + self.decay_rate * self.progress(step))


class CosineDecay(LearningRateSchedule):
    """Cosine decay (Loshchilov & Hutter, "SGDR", ICLR 2017), with an optional linear warmup:

        step ← min(step, decay_steps)
        cosine_decay ← ½·(1 + cos(π · step / decay_steps))
        lr ← initial_learning_rate · ((1 − alpha)·cosine_decay + alpha)

    With ``warmup_target``, the rate first goes linearly from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps`` steps, then decays from ``warmup_target``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps to decay over (> 0); later steps keep the final rate.
        alpha: the final rate, as a fraction of the starting one.
        warmup_target: the rate reached by the warmup (None: no warmup).
        warmup_steps: the length of the warmup.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, decay_from_lr):
        completed_fraction = step / self.decay_steps
        cosine_decayed = 0.5 * (1.0 + math.cos(math.pi * completed_fraction))
        decayed = (1 - self.alpha) * cosine_decayed + self.alpha
        return decay_from_lr * decayed

    def __call__(self, step):
        step = float(step)
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            completed_fraction = step / self.warmup_steps
            total_step_delta = self.warmup_target - self.initial_learning_rate
            return total_step_delta * completed_fraction + self.initial_learning_rate
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``:

        step ← min(step, decay_steps)
        lr ← (initial_learning_rate − end_learning_rate) · (1 − step / decay_steps)^power
             + end_learning_rate

    With ``cycle``, ``decay_steps`` is instead replaced by its first multiple that is at
    least ``step`` (``decay_steps · ceil(step / decay_steps)``, and ``decay_steps`` at step 0),
    so the decay restarts.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps to decay over (> 0).
        end_learning_rate: the final rate.
        power: the exponent of the polynomial (1: linear).
        cycle: restart the decay every ``decay_steps`` steps.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=1e-4, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = float(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            multiplier = 1.0 if step == 0 else math.ceil(step / self.decay_steps)
            decay_steps = decay_steps * multiplier
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return ((self.initial_learning_rate - self.end_learning_rate) * (1 - p) ** self.power
                + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


__all__ = ["LearningRateSchedule", "PiecewiseConstantDecay", "ExponentialDecay",
           "InverseTimeDecay", "CosineDecay", "PolynomialDecay"]
