"""``Trainer``: the training loop (fit / evaluate / predict), with callbacks and resumable state.

One training step is the five lines every deep-learning course writes::

    optimizer.zero_grad()          # forget the last batch's gradients
    outputs = model(x)             # forward
    loss = loss_fn(outputs, y)     # how wrong
    loss.backward()                # d loss / d every parameter
    optimizer.step()               # move against the gradient

Everything else here is bookkeeping: epoch means of the loss and metrics (weighted by batch
size), validation, the learning-rate scheduler, callbacks, the progress display, and the
state that lets a run stop and resume exactly where it was.
"""
import math

import numpy as np

from minidl import dtypes, random
from minidl.autograd.grad_mode import no_grad
from minidl.autograd.tensor import Tensor, constant
from minidl.data.dataset import TensorDataset
from minidl.data.loader import DataLoader
from minidl.data.sampler import DistributedSampler
from minidl.nn.loss import LOSSES
from minidl.training.callbacks import Callback
from minidl.training.history import History
from minidl.training.metrics import get_metric
from minidl.training.progress import EpochProgress, choose_mode

STATE_FORMAT = "minidl-trainer"



class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite (``Trainer(check_finite=True)``, the default).

    Attributes:
        loss: the loss value; ``epoch``, ``batch``: where (counting from 0, as callbacks do);
        bad_inputs, bad_targets: how many values of the batch's inputs / targets were
            already non-finite (0: the data was fine and the computation itself overflowed or
            hit an undefined operation).
    """

    def __init__(self, loss, epoch, epochs, batch, batches, x, y):
        self.loss = loss
        self.epoch = epoch
        self.batch = batch
        self.bad_inputs = _count_nonfinite(x)
        self.bad_targets = _count_nonfinite(y)
        where = (f"Trainer.fit: the loss is {loss} at epoch {epoch + 1}/{epochs}, step "
                 f"{batch + 1}/{batches}; training stopped before this step's backward pass, "
                 "so the weights are those of the step before")
        if self.bad_inputs or self.bad_targets:
            parts = [f"{n} of its {what} values" for n, what in
                     ((self.bad_inputs, "input"), (self.bad_targets, "target")) if n]
            cause = (f"the batch's data was already non-finite ({' and '.join(parts)} are NaN "
                     "or infinite): clean the data (numpy.isfinite finds them)")
        else:
            cause = ("the batch's inputs and targets are all finite, so the model's computation "
                     "produced it: lower the learning rate, clip the gradients "
                     "(nn.utils.clip_grad_norm_), or find the op with "
                     "minidl.autograd.detect_anomaly()")
        super().__init__(f"{where}. {cause}. (Trainer(..., check_finite=False) trains on "
                         "regardless.)")


def _count_nonfinite(t):
    data = getattr(t, "data", None)
    if data is None or data.dtype.kind not in "fc":
        return 0
    return int((~t.xp.isfinite(data)).sum().item())


class Trainer:
    """Train a model with an optimizer and a loss, as Keras's ``fit`` / ``evaluate`` / ``predict``.

    Args:
        model: a :class:`minidl.nn.Module` (or any callable with ``parameters()``,
            ``train()``, ``eval()``, ``state_dict()``, ``load_state_dict()``).
        optimizer: a :class:`minidl.optim.Optimizer` over the model's parameters.
        loss: a loss module or function ``loss(outputs, targets) -> scalar Tensor`` (batch
            mean), or a name: ``'cross_entropy'``, ``'nll'``, ``'mse'``, ``'bce_with_logits'``.
        metrics: names (``'accuracy'``) or functions ``metric(outputs, targets) -> float``
            (batch mean), logged per epoch under their names.
        scheduler: a learning-rate scheduler of :mod:`minidl.optim.lr_scheduler`, stepped
            once per epoch (after validation) or once per batch, see ``scheduler_interval``.
            ``ReduceLROnPlateau`` is stepped with ``logs[scheduler_monitor]`` (``'loss'`` when
            there is no validation data).
        callbacks: :class:`Callback` instances.
        scheduler_interval: ``'epoch'`` or ``'batch'``.
        check_finite: stop with :class:`NonFiniteLossError` at the first batch whose loss is
            NaN or infinite, before its backward pass and optimizer step (the weights stay
            those of the last good step); the error names the epoch and step and says whether
            the batch's own data was already non-finite. False trains on regardless.
        scheduler_monitor: the logged quantity ``ReduceLROnPlateau`` watches.

    Attributes:
        history: the :class:`History` of every epoch so far (it grows across ``fit`` calls).
        epoch: the number of epochs trained so far.
        iterations: the number of optimizer steps so far.
        stop_training: set to True (by a callback) to stop after the current batch.
        world: the data-parallel process group when ``model`` is a
            :class:`minidl.distributed.DistributedDataParallel` (else None). Then every rank
            runs ``fit`` alike on its shard (a ``DistributedSampler``; ``(x, y)`` arrays are
            sharded automatically, the sampler's epoch is set each epoch), epoch logs are
            means over all ranks' samples, and only rank 0 (``is_main_process``) shows
            progress and writes checkpoints.

    Example:
        >>> import numpy as np, minidl as mdl
        >>> _ = mdl.manual_seed(0)
        >>> x = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
        >>> y = (x[:, 0] > 0).astype(np.int64)
        >>> model = mdl.nn.Linear(2, 2)
        >>> trainer = mdl.Trainer(model, mdl.optim.SGD(model.parameters(), lr=0.5),
        ...                       mdl.nn.CrossEntropyLoss())
        >>> history = trainer.fit((x, y), epochs=5, progress=False)
        >>> sorted(history.history), history.history["accuracy"][-1] > 0.9
        (['accuracy', 'loss'], True)
    """

    def __init__(self, model, optimizer, loss, metrics=("accuracy",), scheduler=None,
                 callbacks=(), scheduler_interval="epoch", scheduler_monitor="val_loss",
                 check_finite=True):
        if scheduler_interval not in ("epoch", "batch"):
            raise ValueError(f"Trainer: scheduler_interval must be 'epoch' or 'batch', got "
                             f"{scheduler_interval!r}")
        if isinstance(metrics, str):
            metrics = (metrics,)
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = _get_loss(loss)
        self.metrics = [get_metric(m) for m in metrics]
        self.scheduler = scheduler
        self.scheduler_interval = scheduler_interval
        self.scheduler_monitor = scheduler_monitor
        self.check_finite = bool(check_finite)
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Trainer: callbacks must be Callback instances, got "
                                f"{type(cb).__name__}")
        # Data-parallel training: a model wrapped in DistributedDataParallel carries its
        # ``world`` (rank, size); None in one process.
        self.world = _world_of(model)
        self.history = History()
        self.epoch = 0
        self.iterations = 0
        self.stop_training = False
        self._train_loader = None
        self._loader_state = None  # a loaded loader state, applied at the next fit

    @property
    def is_main_process(self):
        """True unless this is a rank other than 0 of a data-parallel job: the rank that
        prints, draws progress and writes files (callbacks ask this too)."""
        return self.world is None or self.world.rank == 0

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, train_data, epochs=1, val_data=None, progress=True, batch_size=32,
            shuffle=True):
        """Train for ``epochs`` more epochs; validate after each one when ``val_data`` is given.

        Args:
            train_data: a :class:`DataLoader` (or any iterable of ``(x, y)`` batches with a
                length), or an ``(x, y)`` pair of arrays/Tensors, batched with ``batch_size``
                and reshuffled every epoch (``shuffle``).
            epochs: how many epochs to train now; epochs are numbered on from ``self.epoch``.
            val_data: the same kinds of data, evaluated at the end of every epoch.
            progress: True: a live bar per epoch on a terminal (with tqdm), else one line per
                epoch on stderr; ``'line'``: always one line per epoch; False: silent.
            batch_size, shuffle: used only for ``(x, y)`` pairs.

        Returns:
            ``self.history``: per-epoch ``'loss'``, each metric, and ``'val_'`` versions.
        """
        loader = self._as_loader(train_data, batch_size, shuffle)
        val_loader = None if val_data is None else self._as_loader(val_data, batch_size, False)
        if self._loader_state is not None and hasattr(loader, "load_state_dict"):
            loader.load_state_dict(self._loader_state)
        self._loader_state = None
        self._train_loader = loader
        mode = choose_mode(progress) if self.is_main_process else "off"
        self.stop_training = False
        self._emit("on_train_begin")
        last = self.epoch + int(epochs)
        for epoch in range(self.epoch, last):
            self._emit("on_epoch_begin", epoch)
            sampler = getattr(loader, "sampler", None)
            if hasattr(sampler, "set_epoch"):  # a DistributedSampler's shuffle for this epoch
                sampler.set_epoch(epoch)
            logs, bar = self._train_epoch(loader, epoch, last, mode)
            consolidate = getattr(self.optimizer, "consolidate_state_dict", None)
            if consolidate is not None:  # a sharded optimizer: whole state on every rank
                consolidate()             # before any checkpoint is written
            if val_loader is not None:
                logs.update({"val_" + k: v for k, v in self.evaluate(val_loader).items()})
            if self.scheduler is not None and self.scheduler_interval == "epoch":
                self._step_scheduler(logs)
            self.epoch = epoch + 1
            self.history.append(epoch, logs)
            bar.close(logs)
            self._emit("on_epoch_end", epoch, logs)
            if self.stop_training:
                break
        self._emit("on_train_end")
        return self.history

    def _train_epoch(self, loader, epoch, last, mode):
        """One pass over the training data: the hot loop."""
        model, optimizer, loss_fn, metrics = self.model, self.optimizer, self.loss_fn, self.metrics
        step_per_batch = self.scheduler is not None and self.scheduler_interval == "batch"
        check_finite = self.check_finite
        device, dtype = self._device(), self._float_dtype()
        model.train()
        seen = 0
        loss_sum = 0.0
        metric_sums = [0.0] * len(metrics)

        def running():
            logs = {"loss": loss_sum / max(seen, 1)}
            for (name, _), total in zip(metrics, metric_sums):
                logs[name] = total / max(seen, 1)
            return logs

        bar = EpochProgress(epoch + 1, last, len(loader), mode)
        try:
            for batch, data in enumerate(loader):
                x, y = _unpack(data, device, dtype)
                self._emit("on_batch_begin", batch)
                optimizer.zero_grad(set_to_none=True)
                outputs = model(x)
                loss = loss_fn(outputs, y)
                loss_value = loss.item()  # the one host transfer of the loss per batch
                if check_finite and not math.isfinite(loss_value):
                    raise NonFiniteLossError(loss_value, epoch, last, batch, len(loader), x, y)
                loss.backward()
                self._emit("on_after_backward", batch)
                optimizer.step()
                if step_per_batch:
                    self.scheduler.step()
                self.iterations += 1
                n = y.shape[0]
                loss_sum += loss_value * n
                batch_logs = {"loss": loss_value}
                for i, (name, fn) in enumerate(metrics):
                    value = fn(outputs, y)
                    metric_sums[i] += value * n
                    batch_logs[name] = value
                seen += n
                bar.update(n, running)
                self._emit("on_batch_end", batch, batch_logs)
                if self.stop_training:
                    break
        except BaseException:  # e.g. Ctrl-C: leave the terminal tidy
            bar.abort()
            raise
        if seen == 0 and not self.stop_training:
            bar.abort()
            raise ValueError("Trainer.fit: the training data gave no batches")
        if self.world is not None and self.world.size > 1:  # epoch means over every rank
            loss_sum, seen, *metric_sums = self.world.all_sum([loss_sum, seen] + metric_sums)
        return running(), bar

    def _step_scheduler(self, logs):
        if _is_plateau(self.scheduler):
            key = self.scheduler_monitor if self.scheduler_monitor in logs else "loss"
            self.scheduler.step(logs[key])
        else:
            self.scheduler.step()

    # -- evaluate / predict -----------------------------------------------------------------
    def evaluate(self, data, batch_size=32):
        """The mean loss and metrics over ``data`` (eval mode, no gradients).

        Args:
            data: a DataLoader or an ``(x, y)`` pair (batched with ``batch_size``).

        Returns:
            ``{'loss': ..., 'accuracy': ...}`` (one key per metric), sample-weighted means.
        """
        loader = self._as_loader(data, batch_size, False)
        device, dtype = self._device(), self._float_dtype()
        was_training = getattr(self.model, "training", True)
        self.model.eval()
        seen = 0
        loss_sum = 0.0
        metric_sums = [0.0] * len(self.metrics)
        try:
            with no_grad():
                for data_batch in loader:
                    x, y = _unpack(data_batch, device, dtype)
                    outputs = self.model(x)
                    n = y.shape[0]
                    loss_sum += self.loss_fn(outputs, y).item() * n
                    for i, (_, fn) in enumerate(self.metrics):
                        metric_sums[i] += fn(outputs, y) * n
                    seen += n
        finally:
            self.model.train(was_training)
        if self.world is not None and self.world.size > 1:  # means over every rank's shard
            loss_sum, seen, *metric_sums = self.world.all_sum([loss_sum, seen] + metric_sums)
        if seen == 0:
            raise ValueError("Trainer.evaluate: the data has no samples")
        logs = {"loss": loss_sum / seen}
        for (name, _), total in zip(self.metrics, metric_sums):
            logs[name] = total / seen
        return logs

    def predict(self, x, batch_size=32):
        """The model's outputs for ``x`` (eval mode, no gradients, in batches).

        Args:
            x: an array or Tensor of inputs, or a DataLoader (the first item of each batch).

        Returns:
            A Tensor: the outputs of all batches, concatenated, on the model's device.
        """
        device, dtype = self._device(), self._float_dtype()
        if isinstance(x, (np.ndarray, Tensor)):
            loader = DataLoader(TensorDataset(_as_input(x, dtype)), batch_size=batch_size,
                                device=device if isinstance(x, np.ndarray) else None)
        else:
            loader = x
        was_training = getattr(self.model, "training", True)
        self.model.eval()
        outputs = []
        try:
            with no_grad():
                for batch in loader:
                    xb = batch[0] if isinstance(batch, (tuple, list)) else batch
                    outputs.append(self.model(_cast(xb.to(device) if device else xb, dtype)))
        finally:
            self.model.train(was_training)
        if not outputs:
            raise ValueError("Trainer.predict: the data has no samples")
        first = outputs[0]
        if len(outputs) == 1:
            return first
        return constant(first.xp.concatenate([o.data for o in outputs]), first)

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self):
        """Everything needed to resume: model, optimizer, scheduler, epoch, history, RNG state.

        Save it with :func:`minidl.save`; :meth:`load_state_dict` on a trainer built the same
        way continues exactly as an uninterrupted run (same shuffles, same dropout masks on
        the CPU). The training loader's own generator state is included when it has one.
        """
        loader = self._train_loader
        return {
            "format": STATE_FORMAT,
            "version": 1,
            "epoch": self.epoch,
            "iterations": self.iterations,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "history": self.history.state_dict(),
            "rng": random.get_rng_state(),
            "loader": loader.state_dict() if hasattr(loader, "state_dict") else None,
        }

    def load_state_dict(self, state):
        """Restore :meth:`state_dict` (e.g. ``trainer.load_state_dict(minidl.load(path))``)."""
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ValueError("Trainer.load_state_dict: not a trainer state (expected the dict of "
                             "Trainer.state_dict(); a model's weights go to "
                             "model.load_state_dict)")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if state.get("scheduler") is not None:
            if self.scheduler is None:
                raise ValueError("Trainer.load_state_dict: the state has a scheduler, this "
                                 "trainer has none")
            self.scheduler.load_state_dict(state["scheduler"])
        self.history.load_state_dict(state["history"])
        self.epoch = int(state["epoch"])
        self.iterations = int(state.get("iterations", 0))
        if state.get("rng") is not None:
            random.set_rng_state(state["rng"])
        self._loader_state = state.get("loader")

    # -- helpers ------------------------------------------------------------------------------
    def _emit(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def _device(self):
        """The device of the model's first parameter (None for a model without parameters)."""
        for p in self.model.parameters():
            return p.device
        return None

    def _float_dtype(self):
        """The dtype of the model's first floating parameter: what floating inputs are cast to
        (None for a model without one: inputs then keep their dtype)."""
        for p in self.model.parameters():
            if p.dtype.kind == "f":
                return p.dtype
        return None

    def _as_loader(self, data, batch_size, shuffle):
        if isinstance(data, (tuple, list)) and len(data) == 2 \
                and isinstance(data[0], (np.ndarray, Tensor)):
            x, y = data
            if len(x) != len(y):
                raise ValueError(f"Trainer: x has {len(x)} samples but y has {len(y)}")
            dtype = self._float_dtype()
            dataset = TensorDataset(_as_input(x, dtype), _as_target(y, dtype))
            sampler = None
            if self.world is not None and self.world.size > 1:  # each rank: its own shard
                sampler = DistributedSampler(dataset, self.world.size, self.world.rank,
                                             shuffle=shuffle)
                shuffle = False
            return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, sampler=sampler,
                              device=self._device())
        if hasattr(data, "__iter__") and hasattr(data, "__len__"):
            return data
        raise TypeError(f"Trainer: data must be a DataLoader or an (x, y) pair of arrays, got "
                        f"{type(data).__name__}")

    def __repr__(self):
        names = ", ".join(name for name, _ in self.metrics)
        return (f"Trainer(model={type(self.model).__name__}, optimizer="
                f"{type(self.optimizer).__name__}, metrics=[{names}], epoch={self.epoch})")


def _world_of(model):
    """The process group of a data-parallel model (``DistributedDataParallel.world``)."""
    world = getattr(model, "world", None)
    return world if hasattr(world, "all_sum") and hasattr(world, "rank") else None


def _unpack(data, device, dtype=None):
    """``(x, y)`` of a batch, on ``device``, floating ones cast to ``dtype`` (the model's)."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"Trainer: each batch must be an (inputs, targets) pair, got a "
                         f"{type(data).__name__}")
    x, y = data
    if device is not None:
        x = x.to(device)
        y = y.to(device)
    return _cast(x, dtype), _cast(y, dtype)


def _cast(t, dtype):
    """A floating Tensor in ``dtype`` (a float32 model never runs silently in float64)."""
    if dtype is None or not isinstance(t, Tensor) or t.dtype == dtype or t.dtype.kind != "f":
        return t
    return t.astype(dtype)


def _as_input(x, dtype=None):
    """Inputs as an array/Tensor; floating inputs in ``dtype`` (default: the default float)."""
    dtype = dtype or dtypes.get_default_dtype()
    if isinstance(x, Tensor):
        return _cast(x, dtype)
    x = np.asarray(x)
    if x.dtype.kind == "f":
        return x.astype(dtype, copy=False)
    return x


def _as_target(y, dtype=None):
    """Targets: integer class labels as int64, floating targets in ``dtype`` (as inputs)."""
    dtype = dtype or dtypes.get_default_dtype()
    if isinstance(y, Tensor):
        return _cast(y, dtype)
    y = np.asarray(y)
    if y.dtype.kind in "iub":
        return y.astype(np.int64, copy=False)
    return y.astype(dtype, copy=False)


def _get_loss(loss):
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"Trainer: unknown loss {loss!r}; known: {sorted(LOSSES)} or a "
                             "loss module/function")
        return LOSSES[loss]()
    if not callable(loss):
        raise TypeError(f"Trainer: loss must be callable or a name, got {type(loss).__name__}")
    return loss


def _is_plateau(scheduler):
    try:
        from minidl.optim.lr_scheduler import ReduceLROnPlateau
    except ImportError:
        return False
    return isinstance(scheduler, ReduceLROnPlateau)

