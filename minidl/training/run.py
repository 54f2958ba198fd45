"""A trained run, back from its folder: the model rebuilt and loaded, and how to feed it.

``python -m minidl train`` writes ``checkpoint.npz`` with, beside the weights, plain-data
records of everything needed to use them (:func:`run_record`):

- ``architecture``: ``{"name": "mlp", "args": {...}}``, rebuilt by :func:`minidl.nn.build_model`;
- ``preprocessing``: how stored pixels became inputs (``Standardize(...).get_config()``);
- ``dataset``, ``classes`` (class names, by index) and ``input_shape`` (one sample's stored
  shape, e.g. ``[28, 28]``).

:func:`load_run` reads them back (never executing code) and returns a :class:`TrainedRun`::

    run = minidl.load_run("runs/mnist-mlp")
    classes, probabilities = run.predict(images)        # uint8 [N, 28, 28], as mnist.load
"""
import json
import os

import numpy as np

from minidl.autograd.grad_mode import no_grad
from minidl.autograd.tensor import Tensor
from minidl.data.preprocessing import preprocessing_from_config
from minidl.nn.registry import build_model
from minidl.serialization import load

CHECKPOINT = "checkpoint.npz"
METRICS = "metrics.json"


def run_record(architecture, preprocessing, dataset=None, classes=None, input_shape=None):
    """The plain-data entries a checkpoint needs for :func:`load_run` (merge them into it).

    Args:
        architecture: ``minidl.nn.architecture(name, **args)``.
        preprocessing: the step that made the inputs (e.g. a ``Standardize``), or its config.
        dataset: the dataset's name (``'mnist'``).
        classes: the class names by index (``['0', ..., '9']``).
        input_shape: the stored shape of one sample, e.g. ``(28, 28)``.
    """
    if hasattr(preprocessing, "get_config"):
        preprocessing = preprocessing.get_config()
    return {"architecture": architecture, "preprocessing": preprocessing, "dataset": dataset,
            "classes": None if classes is None else [str(c) for c in classes],
            "input_shape": None if input_shape is None else [int(n) for n in input_shape]}


class TrainedRun:
    """A model rebuilt from a run folder, in eval mode, with the preprocessing it was trained with.

    Attributes:
        model: the Module, weights loaded, in eval mode.
        preprocess: the step from stored pixels to inputs (``preprocess(images)``).
        architecture, dataset, classes, input_shape: the checkpoint's records.
        config: the run's configuration (``python -m minidl train`` options), or None.
        metrics: ``metrics.json`` of the run when present, else None.
        path: the checkpoint file.
    """

    def __init__(self, model, preprocess, state, path, metrics=None):
        self.model = model
        self.preprocess = preprocess
        self.architecture = state["architecture"]
        self.dataset = state.get("dataset")
        self.classes = state.get("classes")
        self.input_shape = tuple(state["input_shape"]) if state.get("input_shape") else None
        self.config = state.get("config")
        self.metrics = metrics
        self.path = path

    def inputs(self, images):
        """Stored pixels (a NumPy array, one sample or a batch) → a batch of float inputs."""
        images = np.asarray(images)
        if self.input_shape is not None and images.shape == self.input_shape:
            images = images[None]  # one sample
        return self.preprocess(images)

    def _outputs(self, x, batch_size):
        device = next((p.device for p in self.model.parameters()), "cpu")
        dtype = next((p.dtype for p in self.model.parameters() if p.dtype.kind == "f"), None)
        chunks = []
        with no_grad():
            for start in range(0, len(x), batch_size):
                xb = Tensor(x[start:start + batch_size], dtype=dtype, device=device)
                chunks.append(self.model(xb).numpy())
        if not chunks:
            raise ValueError("TrainedRun: no images given")
        return np.concatenate(chunks)

    def predict(self, images, batch_size=1000):
        """The predicted class of each image and its probability.

        Args:
            images: stored pixels, as the dataset's ``load`` returns them (uint8
                ``[N, 28, 28]``), or one image ``[28, 28]``; the recorded preprocessing is
                applied here.

        Returns:
            ``(classes int64 [N], probabilities float [N, C])``: the softmax of the outputs.
        """
        logits = self._outputs(self.inputs(images), batch_size).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)  # so exp cannot overflow
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return p.argmax(axis=1), p

    def evaluate(self, images, labels, batch_size=1000):
        """``{'loss', 'accuracy'}`` on stored images and their labels (cross-entropy, as trained)."""
        from minidl.training.trainer import Trainer
        x = self.inputs(images)
        trainer = Trainer(self.model, None, "cross_entropy")
        return trainer.evaluate((x, np.asarray(labels)), batch_size=batch_size)

    def class_name(self, index):
        """The name of class ``index`` (the index itself when the run records no names)."""
        if self.classes is not None and 0 <= index < len(self.classes):
            return self.classes[index]
        return str(index)

    def __repr__(self):
        return (f"TrainedRun({self.path!r}, architecture={self.architecture['name']}, "
                f"dataset={self.dataset})")


def load_run(path, device=None):
    """Rebuild the trained model of a run folder (or checkpoint file) and its preprocessing.

    Args:
        path: a run folder written by ``python -m minidl train`` (or its ``checkpoint.npz``).
        device: where the model goes (default ``'cpu'``).

    Returns:
        A :class:`TrainedRun`: ``run.model`` (eval mode), ``run.preprocess``,
        ``run.predict(images)``, ``run.evaluate(images, labels)``.

    Raises:
        FileNotFoundError: there is no checkpoint at ``path``.
        ValueError: the checkpoint does not record its architecture and preprocessing.

    Example:
        >>> import minidl as mdl                                   # doctest: +SKIP
        >>> run = mdl.load_run("runs/mnist-mlp")                    # doctest: +SKIP
        >>> classes, probabilities = run.predict(images)            # doctest: +SKIP
    """
    path = os.fspath(path)
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    checkpoint = os.path.join(path, CHECKPOINT) if os.path.isdir(path) else path
    if not os.path.isfile(checkpoint):
        raise FileNotFoundError(f"load_run: no checkpoint at {checkpoint}")
    state = load(checkpoint, map_location=device)
    if not isinstance(state, dict) or not state.get("architecture") \
            or not state.get("preprocessing"):
        raise ValueError(f"load_run: {checkpoint} does not record its architecture and "
                         "preprocessing (it was written before minidl recorded them, or not by "
                         "`python -m minidl train`); rebuild the model by hand and call "
                         "model.load_state_dict(minidl.load(path)['model'])")
    model = build_model(state["architecture"])
    if device is not None:
        model = model.to(device)
    model.load_state_dict(state["model"])
    model.eval()
    preprocess = preprocessing_from_config(state["preprocessing"])
    metrics = None
    metrics_path = os.path.join(folder, METRICS)
    if os.path.isfile(metrics_path):
        with open(metrics_path, encoding="utf-8") as f:
            metrics = json.load(f)
    return TrainedRun(model, preprocess, state, checkpoint, metrics)
