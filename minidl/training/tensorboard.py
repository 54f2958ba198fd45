"""TensorBoard event files: scalars and histograms, written through ``tensorboardX``.

The TensorBoard callbacks (``minidl.training.TensorBoard`` for the Trainer and
``minidl.keras.callbacks.TensorBoard``) lay their runs out as Keras does: one folder per
run kind, ``<log_dir>/train`` and ``<log_dir>/validation``, each with its own event file,
so that TensorBoard shows training and validation curves of one tag (``epoch_loss``,
``epoch_accuracy``, ...) side by side. Open them with ``tensorboard --logdir <log_dir>``.

``tensorboardX`` is an optional dependency: ``pip install 'minidl[tensorboard]'``.
"""
import os


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError("writing TensorBoard event files needs the optional package "
                          "tensorboardX: pip install 'minidl[tensorboard]' (or pip install "
                          "tensorboardX)") from None
    return SummaryWriter


class EventWriter:
    """One event file in ``folder``: ``scalar(tag, value, step)``, ``histogram(tag, values,
    step)``, ``flush()``, ``close()``. Values are copied to the host (NumPy) as they are
    written.

    Raises:
        ImportError: tensorboardX is missing (the message names the extra to install).
    """

    def __init__(self, folder):
        writer_class = _summary_writer_class()
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        self._writer = writer_class(logdir=folder)

    def scalar(self, tag, value, step):
        self._writer.add_scalar(tag, float(value), global_step=int(step))

    def histogram(self, tag, values, step):
        """A histogram of ``values`` (a Tensor or an array, any shape, any device)."""
        if hasattr(values, "numpy"):
            values = values.numpy()
        self._writer.add_histogram(tag, values.reshape(-1).astype("float64"),
                                   global_step=int(step))

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


class RunWriters:
    """The ``train`` and ``validation`` event files of one log folder, opened on first use.

    ``write_epoch(logs, step)`` writes each log entry as ``epoch_<name>``: ``val_`` entries
    (without the prefix) to ``validation``, the others to ``train``, as Keras does.
    """

    def __init__(self, log_dir):
        self.log_dir = os.fspath(log_dir)
        self._writers = {}
        _summary_writer_class()  # fail at construction when tensorboardX is missing

    def writer(self, kind):
        """The :class:`EventWriter` of ``'train'`` or ``'validation'``."""
        if kind not in self._writers:
            self._writers[kind] = EventWriter(os.path.join(self.log_dir, kind))
        return self._writers[kind]

    def write_epoch(self, logs, step, prefix="epoch_"):
        for name, value in logs.items():
            if name.startswith("val_"):
                self.writer("validation").scalar(prefix + name[4:], value, step)
            else:
                self.writer("train").scalar(prefix + name, value, step)
        self.flush()

    def write_histograms(self, named_values, step, suffix):
        """``(name, values)`` pairs as histograms ``<name>/<suffix>`` of the train run."""
        train = self.writer("train")
        for name, values in named_values:
            train.histogram(f"{name}/{suffix}", values, step)
        train.flush()

    def flush(self):
        for writer in self._writers.values():
            writer.flush()

    def close(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
