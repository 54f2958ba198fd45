"""Callbacks: code that runs at fixed points of ``Trainer.fit`` (Keras's callback API).

Each hook gets the trainer (``.model``, ``.optimizer``, ``.history``, ``.epoch``); a callback
stops training by setting ``trainer.stop_training = True``. Epoch indices count from 0.
"""
import os
import warnings

from minidl.autograd.tensor import Tensor, constant


class Callback:
    """Base class: override the hooks you need (all of them do nothing here)."""

    def on_train_begin(self, trainer):
        pass

    def on_epoch_begin(self, trainer, epoch):
        pass

    def on_batch_begin(self, trainer, batch):
        pass

    def on_after_backward(self, trainer, batch):
        """Gradients are in ``.grad``; the optimizer has not stepped yet (clip them here)."""

    def on_batch_end(self, trainer, batch, logs):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_train_end(self, trainer):
        pass


def _monitor_op(monitor, mode, who):
    """``'min'`` or ``'max'``: the direction of improvement for ``monitor`` (Keras's rule)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if "acc" in monitor or monitor.startswith("fmeasure") else "min"


def _copy_state(model):
    """A copy of the model's state (the state dict shares memory with the parameters)."""
    return {k: constant(v.data.copy(), v)
            for k, v in model.state_dict().items()}


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving (Keras's semantics).

    Args:
        monitor: the logged quantity, e.g. ``'val_loss'`` or ``'val_accuracy'``.
        min_delta: a change smaller than this does not count as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints a line when it stops or restores weights.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (``'max'`` for names with "acc").
        baseline: training stops unless the quantity beats this value within ``patience``.
        restore_best_weights: at the end, load the weights of the best epoch.
        start_from_epoch: epochs to wait before monitoring starts.

    Attributes:
        stopped_epoch: the epoch at which training was stopped (0 when it was not).
        best, best_epoch: the best value seen and its epoch.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = _monitor_op(monitor, mode, "EarlyStopping")
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = float("inf") if self.mode == "min" else -float("inf")
        self.best_weights = None
        self.best_epoch = 0

    def _is_improvement(self, value, reference):
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, trainer):
        self._reset()

    def on_epoch_end(self, trainer, epoch, logs):
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _copy_state(trainer.model)  # the first epoch is the best so far
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _copy_state(trainer.model)
            # only restart the wait if we beat both the baseline and the previous best
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def on_train_end(self, trainer):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            trainer.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Save a checkpoint (with :func:`minidl.save`) at the end of epochs.

    Args:
        filepath: where to save; may hold ``{epoch}`` (counting from 1) and logged names,
            e.g. ``'ckpt-{epoch:02d}-{val_loss:.3f}.npz'``.
        monitor: the quantity that decides what "best" is (with ``save_best_only``).
        verbose: 1 prints a line for each save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: save only ``model.state_dict()``; otherwise the whole training state
            (``trainer.state_dict()``: model, optimizer, scheduler, epoch, history, RNG), which
            ``trainer.load_state_dict`` resumes from.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (``'max'`` for names with "acc").
        initial_value_threshold: a value the first saved one must beat.

    Attributes:
        best: the best monitored value saved so far; ``last_path``: the latest file written.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", initial_value_threshold=None):
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = _monitor_op(monitor, mode, "ModelCheckpoint")
        self.initial_value_threshold = initial_value_threshold
        self.best = self._initial_best()
        self.last_path = None

    def _initial_best(self):
        if self.initial_value_threshold is not None:
            return self.initial_value_threshold
        return float("inf") if self.mode == "min" else -float("inf")

    def on_epoch_end(self, trainer, epoch, logs):
        if not getattr(trainer, "is_main_process", True):  # data-parallel: rank 0 writes
            return
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, "
                              "skipping.", stacklevel=2)
                return
            better = current < self.best if self.mode == "min" else current > self.best
            if not better:
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        from minidl.serialization import save
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        save(trainer.model.state_dict() if self.save_weights_only else trainer.state_dict(), path)
        self.last_path = path


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from ``schedule(epoch, lr) -> new lr``.

    Keras's callback: ``epoch`` counts from 0, ``lr`` is the current rate of the first
    parameter group; the new rate is written into every group.
    """

    def __init__(self, schedule, verbose=0):
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, trainer, epoch):
        groups = trainer.optimizer.param_groups
        lr = float(self.schedule(epoch, float(groups[0]["lr"])))
        for group in groups:
            group["lr"] = lr
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")


class LambdaCallback(Callback):
    """A callback made of functions, e.g. ``LambdaCallback(on_epoch_end=fn)`` with
    ``fn(trainer, epoch, logs)``."""

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)


class TensorBoard(Callback):
    """Write TensorBoard event files of the run (through tensorboardX, an optional extra).

    Per epoch, every logged quantity as a scalar ``epoch_<name>`` (``val_`` ones in
    ``<log_dir>/validation``, the others and the learning rate in ``<log_dir>/train``, as
    Keras's callback lays them out); every ``histogram_freq`` epochs (0: never), a histogram
    of each parameter (``<name>/histogram``) and of its gradient in the epoch's last batch
    (``<name>/gradient``). Open with ``tensorboard --logdir <log_dir>``.

    Args:
        log_dir: the folder of the event files.
        histogram_freq: epochs between histograms (epoch 0 included), 0 for none.

    Raises:
        ImportError: tensorboardX is missing (``pip install 'minidl[tensorboard]'``).
    """

    def __init__(self, log_dir="logs", histogram_freq=0):
        from minidl.training.tensorboard import RunWriters
        if histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be >= 0, got {histogram_freq}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.writers = RunWriters(self.log_dir)
        self._gradients = None
        self._histograms_due = False

    def on_epoch_begin(self, trainer, epoch):
        self._histograms_due = bool(self.histogram_freq) and epoch % self.histogram_freq == 0
        self._gradients = None

    def on_after_backward(self, trainer, batch):
        if self._histograms_due:   # references only: each backward makes new gradient arrays
            self._gradients = [(name, p.grad) for name, p in trainer.model.named_parameters()
                               if p.grad is not None]

    def on_epoch_end(self, trainer, epoch, logs):
        logs = dict(logs)
        groups = getattr(trainer.optimizer, "param_groups", None)
        if groups and not callable(groups[0].get("lr")):
            logs.setdefault("learning_rate", float(groups[0]["lr"]))
        self.writers.write_epoch(logs, epoch)
        if self._histograms_due:
            self.writers.write_histograms(trainer.model.named_parameters(), epoch, "histogram")
            if self._gradients:
                self.writers.write_histograms(self._gradients, epoch, "gradient")
            self._gradients = None

    def on_train_end(self, trainer):
        self.writers.close()
