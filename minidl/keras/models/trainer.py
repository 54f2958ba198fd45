"""``compile`` / ``fit`` / ``evaluate`` / ``predict``: Keras 3's training API on minidl.

One training step is Keras's ``train_step``, which is the five lines of every course::

    y_pred = model(x, training=True)                # forward (Dropout, BatchNorm in training)
    loss = compiled_loss(y, y_pred, sample_weight)  # + the weights' regularization penalties
    loss.backward()                                 # minidl's autograd fills each .grad
    optimizer.apply(grads, model.trainable_weights)  # the Keras update rule
    metrics.update_state(y, y_pred)                 # running epoch values

``fit`` adds what Keras adds around it: batching (32 by default, the last batch smaller),
``validation_split`` (the last fraction, taken before shuffling), a new shuffle every epoch
from minidl's seeded generator (``minidl.manual_seed``), class and sample weights,
callbacks, and the progress display. The epoch's ``loss`` is the batch losses' mean weighted
by batch size; ``History.history`` holds the logs under Keras's names, sorted as Keras sorts
them (``accuracy``, ``loss``, ``val_accuracy``, ``val_loss``).
"""
import numpy as np

from minidl import backends
from minidl.autograd.grad_mode import no_grad
from minidl.autograd.tensor import Tensor
from minidl.keras.layers.node import flatten, map_structure
from minidl.keras.models import data as data_utils
from minidl.keras.models.data_parallel import DataParallelFit
from minidl.keras.models.progress import Progbar, resolve_verbose


class CompiledLoss:
    """The compiled loss: one loss per output (or one shared by all), weighted and summed."""

    def __init__(self, loss, loss_weights, output_names):
        from minidl.keras import losses as losses_module
        self.output_names = list(output_names)
        n = len(self.output_names)
        if isinstance(loss, dict):
            unknown = [k for k in loss if k not in self.output_names]
            if unknown:
                raise ValueError(f"compile: loss names {unknown} are not outputs of the model; "
                                 f"its outputs are {self.output_names}")
            per_output = [loss.get(name) for name in self.output_names]
        elif isinstance(loss, (list, tuple)):
            if len(loss) != n:
                raise ValueError(f"compile: {len(loss)} losses given for a model with {n} "
                                 f"outputs {self.output_names}")
            per_output = list(loss)
        else:
            per_output = [loss] * n
        self._given = per_output
        self.losses = None  # resolved on the first batch: 'crossentropy' depends on the shapes
        self._resolve = losses_module.resolve_loss
        if loss_weights is None:
            self.weights = [1.0] * n
        elif isinstance(loss_weights, dict):
            self.weights = [float(loss_weights.get(name, 1.0)) for name in self.output_names]
        else:
            if len(loss_weights) != n:
                raise ValueError(f"compile: {len(loss_weights)} loss_weights for {n} outputs")
            self.weights = [float(w) for w in loss_weights]

    def __call__(self, y_true, y_pred, sample_weight=None):
        ys, preds = _per_output(y_true, self.output_names), _per_output(y_pred, self.output_names)
        weights = _per_output(sample_weight, self.output_names) if sample_weight is not None \
            else [None] * len(preds)
        if len(weights) == 1 and len(preds) > 1:
            weights = weights * len(preds)
        if self.losses is None:
            self.losses = [self._resolve(given, y, p) for given, y, p in
                           zip(self._given, ys, preds)]
        total = None
        for loss, w, y, p, sw in zip(self.losses, self.weights, ys, preds, weights):
            if loss is None:
                continue
            value = loss(y, p, sample_weight=sw)
            if w != 1.0:
                value = value * w
            total = value if total is None else total + value
        return total


def _per_output(structure, names):
    """A list with one entry per output, from one value, a list, or a dict keyed by name."""
    if isinstance(structure, dict):
        return [structure[name] for name in names]
    if isinstance(structure, (list, tuple)) and len(names) > 1:
        return list(structure)
    return [structure]


class Trainer:
    """The training half of ``Model`` (mixed into it): compile, fit, evaluate, predict."""

    compiled = False
    optimizer = None
    stop_training = False

    # -- compile --------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer, the loss and the metrics (objects or their Keras names).

        Args:
            optimizer: ``'rmsprop'`` (Keras's default), ``'adam'``, ``'sgd'``… or an optimizer
                of :mod:`minidl.keras.optimizers`.
            loss: ``'sparse_categorical_crossentropy'``, ``'mse'``… or a loss object or
                function ``loss(y_true, y_pred)``; per output, a list or a dict by output name.
            metrics: e.g. ``['accuracy']`` (resolved from the loss and shapes as Keras does);
                per output, a dict by output name.
            weighted_metrics: metrics that also receive ``sample_weight``.
        """
        from minidl.keras import optimizers as optimizers_module
        if steps_per_execution != 1:
            raise NotImplementedError("compile: steps_per_execution other than 1 is not "
                                      "supported")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        self._compiled_loss = None if loss is None else CompiledLoss(
            loss, loss_weights, self._output_names())
        self._metric_specs = (metrics, weighted_metrics)
        self._compiled_metrics = None  # resolved on the first batch, from the data's shapes
        self.compiled = True
        self._compile_config = {"optimizer": optimizer if isinstance(optimizer, str) else None,
                                "loss": loss if isinstance(loss, str) else None,
                                "metrics": metrics if _all_strings(metrics) else None}

    def _output_names(self):
        outputs = getattr(self, "outputs", None)
        if outputs:
            return [t._keras_history[0].name for t in outputs]
        return ["output"]

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before using the model: "
                               f"{what}() needs an optimizer and a loss, e.g. model.compile("
                               f"optimizer='adam', loss='sparse_categorical_crossentropy', "
                               f"metrics=['accuracy'])")
        if what == "fit" and self._compiled_loss is None and not self.losses:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")

    def _metrics_for(self, y, y_pred):
        """The compiled metrics as (name, metric, weighted) triples, built on first use."""
        if self._compiled_metrics is None:
            from minidl.keras import metrics as metrics_module
            names = self._output_names()
            specs = []
            for weighted, given in zip((False, True), self._metric_specs):
                if given is None:
                    continue
                ys, preds = _per_output(y, names), _per_output(y_pred, names)
                for i, name in enumerate(names):
                    if isinstance(given, dict):
                        items = given.get(name, [])
                    elif isinstance(given, (list, tuple)) and given and len(names) > 1 \
                            and isinstance(given[0], (list, tuple)):
                        items = given[i]
                    else:
                        items = given
                    items = [items] if not isinstance(items, (list, tuple)) else items
                    for item in items:
                        metric = metrics_module.resolve_metric(item, ys[i], preds[i])
                        label = metric.name if len(names) == 1 else f"{name}_{metric.name}"
                        specs.append((label, metric, weighted, i))
            self._compiled_metrics = specs
        return self._compiled_metrics

    @property
    def metrics_names(self):
        names = ["loss"]
        if self._compiled_metrics:
            names += [label for label, _, _, _ in self._compiled_metrics]
        return names

    def reset_metrics(self):
        for _, metric, _, _ in self._compiled_metrics or []:
            metric.reset_state()

    # -- one step -------------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the regularization penalties of the weights."""
        total = None
        if self._compiled_loss is not None:
            total = self._compiled_loss(y, y_pred, sample_weight)
        for penalty in self.losses:
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def train_step(self, data):
        """Forward, loss, backward, the optimizer's update; returns the batch's loss value."""
        x, y, sample_weight = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        variables = self.trainable_weights
        for v in variables:
            v.grad = None
        loss.backward()
        self.optimizer.apply([v.grad for v in variables], variables)
        self._update_metrics(y, y_pred, sample_weight)
        return loss.item()

    def _empty_train_step(self):
        """This rank has no samples in the batch: it adds no gradient to the all-reduce,
        and applies the same update as the others."""
        variables = self.trainable_weights
        self.optimizer.apply([None] * len(variables), variables)

    def test_step(self, data):
        x, y, sample_weight = data
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
            self._update_metrics(y, y_pred, sample_weight)
        return loss.item()

    def predict_step(self, data):
        x, _, _ = data
        with no_grad():
            return self(x, training=False)

    def _update_metrics(self, y, y_pred, sample_weight):
        metrics = self._metrics_for(y, y_pred)
        if not metrics:
            return
        names = self._output_names()
        ys, preds = _per_output(y, names), _per_output(y_pred, names)
        with no_grad():
            for _, metric, weighted, i in metrics:
                sw = sample_weight if weighted else None
                metric.update_state(ys[i], preds[i].detach(), sample_weight=sw)

    def _logs(self, loss_sum, seen):
        logs = {"loss": loss_sum / max(seen, 1)}
        for label, metric, _, _ in self._compiled_metrics or []:
            logs[label] = float(metric.result())
        return dict(sorted(logs.items()))  # Keras sorts the names in its logs

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train the model on NumPy data for epochs ``initial_epoch`` … ``epochs − 1``.

        Args:
            x, y: inputs and targets (arrays; lists or dicts of arrays for several inputs or
                outputs).
            batch_size: samples per step (None: 32).
            epochs: the index of the last epoch + 1 (Keras counts from ``initial_epoch``).
            verbose: 'auto' or 1 (a progress bar), 2 (one line per epoch), 0 (silent).
            callbacks: :mod:`minidl.keras.callbacks` instances.
            validation_split: the fraction of the data, taken from its end before shuffling,
                held out and evaluated after each epoch.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight)``;
                overrides ``validation_split``.
            shuffle: reshuffle the training samples every epoch.
            class_weight: ``{class: weight}``, turned into per-sample loss weights.
            sample_weight: one loss weight per training sample.

        Returns:
            The ``History`` callback; ``history.history`` maps each log name to its epochs.
        """
        self._require_compiled("fit")
        if steps_per_epoch is not None or validation_steps is not None:
            raise NotImplementedError("fit: steps_per_epoch/validation_steps are not supported "
                                      "for array data (each epoch is one pass over it)")
        verbose = resolve_verbose(verbose)
        batch_size = 32 if batch_size is None else int(batch_size)
        float_dtype = self.dtype
        x, y, sample_weight = data_utils.as_arrays((x, y, sample_weight), float_dtype)
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot `class_weight` and `sample_weight` at the same "
                                 "time.")
            if len(flatten(y)) != 1:
                raise ValueError("`class_weight` is only supported for Models with a single "
                                 "output.")
            sample_weight = data_utils.class_weights_to_sample_weights(
                flatten(y)[0], class_weight, float_dtype)
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = data_utils.train_validation_split(
                x, y, sample_weight, validation_split)
        val = None
        if validation_data is not None:
            val = data_utils.unpack(tuple(validation_data))
            val = data_utils.as_arrays(val, float_dtype)
        n = data_utils.num_samples(x, y, sample_weight)
        steps = -(-n // batch_size)
        parallel = DataParallelFit.of_job()  # several MPI ranks: see data_parallel.py
        if parallel is not None:
            parallel.check_sizes(n, batch_size)
            verbose = verbose if parallel.is_main else 0
            callbacks = parallel.callbacks(callbacks)
            if self.built:
                parallel.share_weights(self.weights)
            self.optimizer.gradient_aggregator = parallel.aggregate
        try:
            return self._fit_epochs(x, y, sample_weight, val, n, batch_size, epochs, verbose,
                                    callbacks, shuffle, initial_epoch, validation_freq,
                                    validation_batch_size, steps, parallel)
        finally:
            if parallel is not None:
                self.optimizer.gradient_aggregator = None

    def _fit_epochs(self, x, y, sample_weight, val, n, batch_size, epochs, verbose, callbacks,
                    shuffle, initial_epoch, validation_freq, validation_batch_size, steps,
                    parallel):
        history, callback_list = self._callbacks(callbacks, verbose, epochs, steps)
        rng = backends.get_backend("cpu").rng()
        self.stop_training = False
        callback_list.on_train_begin()
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            if verbose and epochs > 1:  # Keras prints the epoch header only for several
                print(f"Epoch {epoch + 1}/{epochs}")
            bar = Progbar(steps, verbose)
            loss_sum, seen = 0.0, 0
            if parallel is None:
                batches = data_utils.batch_slices(n, batch_size, shuffle, rng)
            else:
                batches = parallel.batches(n, batch_size, shuffle, rng, data_utils.batch_slices)
            for step, index in enumerate(batches):
                callback_list.on_train_batch_begin(step)
                if parallel is not None:
                    index = parallel.my_part(index)
                    if len(index) == 0:  # (a last batch smaller than the ranks)
                        self._empty_train_step()
                        continue
                batch = self._to_tensors(data_utils.take((x, y, sample_weight), index))
                if parallel is not None and not self.built:  # build, then rank 0's weights
                    self(batch[0], training=False)
                    parallel.share_weights(self.weights)
                loss_value = self.train_step(batch)
                loss_sum += loss_value * len(index)
                seen += len(index)
                logs = self._logs(loss_sum, seen)
                callback_list.on_train_batch_end(step, logs)
                bar.update(step + 1, logs)
                if self.stop_training:
                    break
            if parallel is not None:  # the epoch over all ranks' data; one set of statistics
                loss_sum, seen = parallel.totals(
                    loss_sum, seen, [m for _, m, _, _ in self._compiled_metrics or []])
                parallel.share_weights(self.non_trainable_weights)
            epoch_logs = self._logs(loss_sum, seen)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self.evaluate(val[0], val[1], sample_weight=val[2],
                                         batch_size=validation_batch_size or batch_size,
                                         verbose=0, return_dict=True, _callbacks=callback_list)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                epoch_logs = dict(sorted(epoch_logs.items()))
            bar.update(step + 1, epoch_logs, finalize=True)
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end(logs=epoch_logs)
        return history

    def _callbacks(self, callbacks, verbose, epochs, steps):
        """The History callback (always first) and the list that calls every callback."""
        from minidl.keras import callbacks as callbacks_module
        given = list(callbacks or [])
        history = next((cb for cb in given if isinstance(cb, callbacks_module.History)), None)
        if history is None:
            history = callbacks_module.History()
            given.append(history)
        callback_list = callbacks_module.CallbackList(given, model=self, verbose=verbose,
                                                      epochs=epochs, steps=steps)
        self.history = history
        return history, callback_list

    def _to_tensors(self, batch):
        """A batch of NumPy arrays as Tensors on the model's device."""
        device = self._device()

        def convert(a):
            if a is None:
                return None
            return Tensor(a, device=device)
        return map_structure(convert, batch)

    def _device(self):
        for p in self.parameters():
            return p.device
        return None

    # -- evaluate / predict ---------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, _callbacks=None):
        """The loss and metrics on ``(x, y)`` in inference mode.

        Returns:
            The loss alone (no metrics), ``[loss, metric, …]`` in ``metrics_names`` order, or
            a dict of them (``return_dict=True``), as Keras returns them.
        """
        self._require_compiled("evaluate")
        if steps is not None:
            raise NotImplementedError("evaluate: steps is not supported for array data")
        verbose = resolve_verbose(verbose)
        batch_size = 32 if batch_size is None else int(batch_size)
        x, y, sample_weight = data_utils.as_arrays((x, y, sample_weight), self.dtype)
        n = data_utils.num_samples(x, y, sample_weight)
        steps = -(-n // batch_size)
        self.reset_metrics()
        callback_list = _callbacks
        if callback_list is None and callbacks:
            from minidl.keras import callbacks as callbacks_module
            callback_list = callbacks_module.CallbackList(list(callbacks), model=self,
                                                          verbose=verbose, steps=steps)
        if callback_list is not None:
            callback_list.on_test_begin()
        bar = Progbar(steps, verbose)
        loss_sum, seen = 0.0, 0
        for step, index in enumerate(data_utils.batch_slices(n, batch_size, False, None)):
            batch = self._to_tensors(data_utils.take((x, y, sample_weight), index))
            loss_sum += self.test_step(batch) * len(index)
            seen += len(index)
            bar.update(step + 1, self._logs(loss_sum, seen))
        logs = self._logs(loss_sum, seen)
        bar.update(steps, logs, finalize=True)
        if callback_list is not None:
            callback_list.on_test_end(logs)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x`` in inference mode, as NumPy arrays (a list or dict of
        them for several outputs)."""
        if steps is not None:
            raise NotImplementedError("predict: steps is not supported for array data")
        verbose = resolve_verbose(verbose)
        batch_size = 32 if batch_size is None else int(batch_size)
        x = data_utils.as_arrays(x, self.dtype)
        n = data_utils.num_samples(x)
        steps = -(-n // batch_size)
        bar = Progbar(steps, verbose)
        batches = []
        for step, index in enumerate(data_utils.batch_slices(n, batch_size, False, None)):
            out = self.predict_step((self._to_tensors(data_utils.take(x, index)), None, None))
            batches.append(map_structure(lambda t: t.numpy(), out))
            bar.update(step + 1)
        bar.update(steps, finalize=True)
        first = batches[0]
        leaves = [flatten(b) for b in batches]
        joined = [np.concatenate([b[i] for b in leaves]) for i in range(len(leaves[0]))]
        position = iter(joined)
        return map_structure(lambda _: next(position), first)


def _all_strings(value):
    return value is None or isinstance(value, str) or (
        isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value))
