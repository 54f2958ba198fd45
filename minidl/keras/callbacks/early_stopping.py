"""``EarlyStopping``: stop when the monitored quantity has stopped improving."""
import warnings

from minidl.keras.callbacks.monitor import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras 3).

    Each epoch (from ``start_from_epoch`` on): ``wait += 1``; an improvement on the best
    (by more than ``min_delta``) records it and resets ``wait`` to 0 (only if it also beats
    ``baseline``); otherwise, once ``wait ≥ patience`` (and after the first epoch), sets
    ``model.stop_training``. With ``restore_best_weights``, the best epoch's
    ``model.get_weights()`` are put back with ``model.set_weights`` when training ends
    (if there was any monitored epoch, even when training did not stop early).

    Args:
        monitor: the logged quantity (``'val_loss'``, ``'val_accuracy'``, ...).
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints when it stops and when it restores weights.
        mode: ``'auto'``, ``'min'`` or ``'max'`` (see :class:`MonitorCallback`).
        baseline: a value the quantity must beat for the wait to reset.
        restore_best_weights: restore the weights of the best epoch at the end.
        start_from_epoch: epochs of warm-up before monitoring starts.

    Attributes:
        stopped_epoch: the epoch at which training stopped (0 if it did not).
        best, best_epoch, wait, best_weights.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()   # the first epoch is the best yet
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # the wait restarts only when the value beats the baseline too
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(list(logs.keys()))}",
                          stacklevel=2)
        return value
