"""``TensorBoard``: event files of a Keras-style ``fit`` (through tensorboardX)."""
import time

from minidl.keras.callbacks.callback import Callback


class TensorBoard(Callback):
    """Write TensorBoard event files: Keras 3's layout, minidl's writer.

    Per epoch: each log entry as a scalar ``epoch_<name>`` (``val_`` entries, without the
    prefix, in ``<log_dir>/validation``; the others and ``learning_rate`` in
    ``<log_dir>/train``). Every ``histogram_freq`` epochs (0: never; epoch 0 included): a
    histogram ``<weight path>/histogram`` of each weight of ``model.layers`` and, when ``fit``
    leaves gradients in the trainable weights' ``.grad`` (as minidl's does), a histogram
    ``<weight path>/gradient`` of each weight's gradient in the epoch's last batch (Keras 3
    writes no gradients). With ``update_freq='batch'`` (or a number of batches), also
    ``batch_<name>`` scalars against the global batch count. Open the folder with
    ``tensorboard --logdir <log_dir>``.

    Args:
        log_dir: the folder of the run.
        histogram_freq: epochs between weight histograms (0: none).
        write_graph: accepted; minidl writes no graph (TensorBoard's graph format is
            TensorFlow's).
        write_images, profile_batch, embeddings_freq, embeddings_metadata: Keras's
            arguments; only their defaults are supported (others raise NotImplementedError).
        write_steps_per_second: also log ``steps_per_second`` each epoch.
        update_freq: ``'epoch'``, ``'batch'`` or a number of batches.

    Raises:
        ImportError: tensorboardX is missing (``pip install 'minidl[tensorboard]'``).
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        from minidl.training.tensorboard import RunWriters
        for arg, value, default in (("write_images", write_images, False),
                                    ("profile_batch", profile_batch, 0),
                                    ("embeddings_freq", embeddings_freq, 0),
                                    ("embeddings_metadata", embeddings_metadata, None)):
            if value != default:
                raise NotImplementedError(f"TensorBoard: {arg}={value!r} is not supported by "
                                          f"minidl (leave it at {default!r})")
        if update_freq != "epoch" and update_freq != "batch" and (
                isinstance(update_freq, bool) or not isinstance(update_freq, int)):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or an int, "
                             f"got {update_freq!r}")
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.writers = RunWriters(self.log_dir)
        self._global_train_batch = 0
        self._epoch_start = None
        self._epoch_batches = 0
        self._gradients = None

    def _histograms_due(self, epoch):
        return bool(self.histogram_freq) and epoch % self.histogram_freq == 0

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_start = time.time()
        self._epoch_batches = 0
        self._gradients = None

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_batches += 1
        if self.update_freq != "epoch" and logs and \
                self._global_train_batch % self.update_freq == 0:
            train = self.writers.writer("train")
            for name, value in logs.items():
                train.scalar(f"batch_{name}", value, self._global_train_batch)
        if self._histograms_due(getattr(self, "_epoch", 0)):
            self._gradients = [(name, w.grad) for name, w in self._named_weights(trainable=True)
                               if getattr(w, "grad", None) is not None]

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            logs.setdefault("learning_rate", float(optimizer.learning_rate))
        if self.write_steps_per_second and self._epoch_start is not None:
            seconds = time.time() - self._epoch_start
            logs["steps_per_second"] = self._epoch_batches / seconds if seconds > 0 else 0.0
        self.writers.write_epoch(logs, epoch)
        if self._histograms_due(epoch):
            self.writers.write_histograms(self._named_weights(), epoch, "histogram")
            if self._gradients:
                self.writers.write_histograms(self._gradients, epoch, "gradient")
        self._gradients = None

    def on_train_end(self, logs=None):
        self.writers.close()

    def _named_weights(self, trainable=False):
        """``(path, weight)`` of every weight of ``model.layers`` (Keras's ``weight.path``,
        else ``<layer name>/<weight name>``)."""
        out = []
        layers = getattr(self.model, "layers", None) or [self.model]
        for layer in layers:
            weights = getattr(layer, "trainable_weights" if trainable else "weights", None) or []
            layer_name = getattr(layer, "name", type(layer).__name__)
            for i, w in enumerate(weights):
                path = getattr(w, "path", None) or \
                    f"{layer_name}/{getattr(w, 'name', None) or f'weight_{i}'}"
                out.append((str(path).replace(":", "_"), w))
        return out
