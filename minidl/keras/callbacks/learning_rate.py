"""``LearningRateScheduler`` and ``ReduceLROnPlateau``: change ``model.optimizer.learning_rate``
between epochs."""
import numbers
import warnings

from minidl.keras.callbacks.callback import Callback
from minidl.keras.callbacks.monitor import MonitorCallback


class LearningRateScheduler(Callback):
    """At the start of each epoch, ``optimizer.learning_rate = schedule(epoch, lr)``.

    ``epoch`` counts from 0 and ``lr`` is the current rate; a one-argument
    ``schedule(epoch)`` works too (Keras's old API). The rate is also logged as
    ``'learning_rate'`` at the end of each epoch.

    Args:
        schedule: a function ``(epoch, lr) -> float``.
        verbose: 1 prints the new rate each epoch.

    Example:
        >>> scheduler = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        lr = float(optimizer.learning_rate)
        try:
            new_lr = self.schedule(epoch, lr)
        except TypeError:  # the old API: schedule(epoch)
            new_lr = self.schedule(epoch)
        if isinstance(new_lr, bool) or not isinstance(new_lr, numbers.Real) or \
                isinstance(new_lr, numbers.Integral):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: "
                             f"{new_lr}")
        optimizer.learning_rate = float(new_lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{new_lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving (Keras 3).

    Each epoch: during a cooldown, count it down and keep ``wait`` at 0; an improvement (by
    more than ``min_delta``) resets ``wait``; otherwise, outside a cooldown, ``wait += 1``
    and at ``wait ≥ patience`` the rate becomes ``max(lr·factor, min_lr)`` (if lr is above
    ``min_lr``, both as float32, as Keras compares them), starting a cooldown of ``cooldown`` epochs. The current rate is
    logged as ``'learning_rate'``.

    Args:
        monitor: the quantity to watch.
        factor: the reduction factor (< 1).
        patience: epochs without improvement before a reduction.
        verbose: 1 prints each reduction.
        mode: ``'auto'``, ``'min'`` or ``'max'``.
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the lower bound of the rate.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if kwargs:
            raise ValueError(f"ReduceLROnPlateau: unexpected arguments {sorted(kwargs)}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received "
                             f"factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _reduce(self, optimizer, epoch):
        # Keras reads the rate from a float32 variable: compare (and scale) it as that
        old_lr = _float32(optimizer.learning_rate)
        if old_lr > _float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                      f"{new_lr}.")
            return True
        return False

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = {} if logs is None else logs
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: "
                          f"{','.join(list(logs.keys()))}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(self.model.optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0


def _float32(value):
    """``value`` rounded to float32 (Keras compares the rate with ``np.float32(min_lr)``)."""
    import struct
    return struct.unpack("f", struct.pack("f", float(value)))[0]
