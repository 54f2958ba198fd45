"""``minidl.keras.metrics``: Keras 3's stateful metrics (``update_state``/``result``/
``reset_state``), the accuracy functions, and ``'accuracy'`` resolved as Keras's compile does.

Every metric here is a weighted mean over the samples seen since the last reset:

    update_state(y_true, y_pred, sample_weight):  values = fn(y_true, y_pred) (one per sample)
                                                  total += Σ wᵢ·valuesᵢ;  count += Σ wᵢ
    result() = total / count  (0 when count = 0);  wᵢ = 1 without sample weights

What ``fit`` logs as ``'loss'`` is Keras's ``Mean(name='loss')`` updated once per batch with
``update_state(batch_loss, sample_weight=batch_size)``: the batch-size-weighted mean of the
batch losses (:func:`loss_tracker`). Metrics for losses (``SparseCategoricalCrossentropy``,
... below) are the per-sample loss functions of :mod:`minidl.keras.losses` in a
:class:`MeanMetricWrapper`.

``result()`` returns a Python float (Keras returns a 0-d tensor; ``float()`` of it is the
same number). Totals are accumulated in float64 (Keras's are float32 variables), which
agrees with Keras to about 1e-7.
"""
from minidl.autograd.grad_mode import no_grad
from minidl.autograd.tensor import Tensor
from minidl.backends import get_array_module
from minidl.keras import losses as losses_module


def _array(value, like=None):
    """An array for ``value`` (a Tensor's data, an array, a number or a list), on ``like``'s
    device when ``like`` (a Tensor) is given."""
    if isinstance(value, Tensor):
        return value.data
    if like is not None:
        if isinstance(value, like.backend.array_types):
            return value
        return Tensor(value, device=like.device).data
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return value
    return Tensor(value).data


def _align_ranks(x1, x2):
    """:func:`minidl.keras.losses.squeeze_or_expand_to_same_rank` on arrays."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1:
            x2 = x2.reshape(tuple(x2.shape) + (1,))
        else:
            x1 = x1.reshape(tuple(x1.shape[:-1]))
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1:
            x1 = x1.reshape(tuple(x1.shape) + (1,))
        else:
            x2 = x2.reshape(tuple(x2.shape[:-1]))
    return x1, x2


# -- the base classes -----------------------------------------------------------------------
class Metric:
    """Base class of the stateful metrics.

    Subclasses implement ``update_state(...)``, ``result()`` and ``reset_state()``; calling
    a metric updates it and returns the result.

    Args:
        name: the metric's name (its key in ``fit``'s logs).
        dtype: Keras's result dtype, kept for the config (default ``'float32'``).
    """

    #: which way is better, ``'up'`` (accuracies) or ``'down'`` (losses); None: unknown.
    #: Callbacks with ``mode='auto'`` read it (Keras's ``_direction``).
    direction = None

    def __init__(self, dtype=None, name=None):
        self.name = name or type(self).__name__.lower()
        self.dtype = dtype or "float32"

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self):
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state()")

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def state_values(self):
        """The metric's state as a list of numbers that add up over disjoint data (data-
        parallel ``fit`` sums them over the ranks); override with :meth:`set_state_values`."""
        raise NotImplementedError(f"{type(self).__name__} has no additive state, so it cannot "
                                  "be summed over the ranks of a data-parallel fit")

    def set_state_values(self, values):
        raise NotImplementedError(f"{type(self).__name__} must implement set_state_values()")

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The weighted mean of the values given to ``update_state(values, sample_weight=None)``.

    Keras's reduction to one value per sample: weights are aligned to the values' rank
    (a trailing size-1 axis squeezed or added), values with more axes than the weights are
    averaged over the extra axes, and each sample's weight is its weights' mean over the
    non-batch axes.

    Example:
        >>> m = Mean()
        >>> m.update_state([1, 3, 5, 7])
        >>> m.result()
        4.0
        >>> m.reset_state(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        like = values if isinstance(values, Tensor) else None
        values = _array(values)
        xp = get_array_module(values)
        values = values.astype("float64")
        if sample_weight is not None:
            weight = _array(sample_weight, like).astype("float64")
            values, weight = _align_ranks(values, weight)
            if values.ndim > weight.ndim:
                values = values.mean(axis=tuple(range(weight.ndim, values.ndim)))
            weight = xp.broadcast_to(weight, values.shape)
            values = values * weight
            if weight.ndim > 1:
                weight = weight.mean(axis=tuple(range(1, weight.ndim)))
            count = float(weight.sum())
        else:
            count = float(values.shape[0]) if values.ndim >= 1 else 1.0
        if values.ndim > 1:
            values = values.mean(axis=tuple(range(1, values.ndim)))
        self.total += float(values.sum())
        self.count += count

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def state_values(self):
        return [self.total, self.count]

    def set_state_values(self, values):
        self.total, self.count = (float(v) for v in values)

    def result(self):
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    """The weighted sum of the values given to ``update_state(values, sample_weight=None)``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._mean = Mean()

    def update_state(self, values, sample_weight=None):
        self._mean.update_state(values, sample_weight)

    def reset_state(self):
        self._mean.reset_state()

    def state_values(self):
        return self._mean.state_values()

    def set_state_values(self, values):
        self._mean.set_state_values(values)

    def result(self):
        return self._mean.total


class MeanMetricWrapper(Mean):
    """The :class:`Mean` of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: returns one value per sample (a Tensor or an array); evaluated without a graph.
        name, dtype: see :class:`Metric`.
        kwargs: passed on to ``fn``.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if fn in losses_module.ALL_OBJECTS or type(fn) in losses_module.ALL_OBJECTS:
            self.direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        with no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)


# -- accuracy functions (one value per sample: 1.0 for a hit, 0.0 for a miss) ----------------
def _pair(y_true, y_pred):
    pred = _array(y_pred)
    true = _array(y_true, y_pred if isinstance(y_pred, Tensor) else None)
    return get_array_module(pred), true, pred


def _as_result(matches, y_pred):
    out = matches.astype("float32")
    if isinstance(y_pred, Tensor):
        from minidl.autograd.tensor import constant
        return constant(out, y_pred)
    return Tensor(out)


def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` (ranks aligned as Keras does), else 0.0."""
    xp, true, pred = _pair(y_true, y_pred)
    true, pred = _align_ranks(true.astype(pred.dtype), pred)
    return _as_result(true == pred, y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``(y_pred > threshold) == y_true``, else 0.0.

    Example:
        >>> binary_accuracy([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]).tolist()
        [[1.0], [1.0], [1.0], [0.0]]
    """
    xp, true, pred = _pair(y_true, y_pred)
    true, pred = _align_ranks(true, pred)
    predicted = (pred > threshold).astype(true.dtype)
    return _as_result(true == predicted, y_pred)


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred) == argmax(y_true)`` (one-hot targets), else 0.0."""
    xp, true, pred = _pair(y_true, y_pred)
    true = true.argmax(axis=-1)
    shape = true.shape
    reshape = true.ndim == pred.ndim
    if reshape:
        true = true.reshape(tuple(true.shape[:-1]))
    matches = pred.argmax(axis=-1) == true
    if reshape:
        matches = matches.reshape(shape)
    return _as_result(matches, y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred) == y_true`` (integer labels, shape (N,) or (N, 1)), else 0.0.

    Example:
        >>> sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]).tolist()
        [0.0, 1.0]
    """
    xp, true, pred = _pair(y_true, y_pred)
    shape = true.shape
    reshape = true.ndim == pred.ndim and true.shape[-1] == 1
    if reshape:
        true = true.reshape(tuple(true.shape[:-1]))
    matches = pred.argmax(axis=-1).astype(pred.dtype) == true.astype(pred.dtype)
    if reshape:
        matches = matches.reshape(shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches.reshape(tuple(matches.shape[:-1]))
    return _as_result(matches, y_pred)


# -- metric classes ---------------------------------------------------------------------------
class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels (exactly)."""

    direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels.

    Example:
        >>> m = BinaryAccuracy()
        >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
        >>> m.result()
        0.75
    """

    direction = "up"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class (argmax) matches one-hot labels."""

    direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class (argmax) matches integer labels.

    Example:
        >>> m = SparseCategoricalAccuracy()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
        ...                sample_weight=[0.7, 0.3])
        >>> round(m.result(), 6)
        0.3
    """

    direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean sparse categorical cross-entropy (see :mod:`minidl.keras.losses`)."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(losses_module.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical cross-entropy (see :mod:`minidl.keras.losses`)."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(losses_module.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary cross-entropy (see :mod:`minidl.keras.losses`)."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(losses_module.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)
        self.from_logits, self.label_smoothing = from_logits, label_smoothing

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class MeanSquaredError(MeanMetricWrapper):
    """The mean squared error (see :mod:`minidl.keras.losses`)."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses_module.mean_squared_error, name=name, dtype=dtype)


def loss_tracker():
    """The metric behind ``fit``'s ``'loss'`` log: ``Mean(name='loss')``, to be updated once
    per batch with ``update_state(batch_loss, sample_weight=batch_size)`` (as Keras 3's
    trainer does), so its result is the batch-size-weighted mean of the batch losses."""
    return Mean(name="loss")


# -- names ------------------------------------------------------------------------------------
ALL_OBJECTS = (Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
               SparseCategoricalAccuracy, SparseCategoricalCrossentropy,
               CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError)


def _snake(name):
    import re
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({_snake(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({"bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
                         "mse": MeanSquaredError, "MSE": MeanSquaredError})


def serialize(metric):
    """``{'module', 'class_name', 'config', 'registered_name'}`` of a metric."""
    return {"module": "minidl.keras.metrics", "class_name": type(metric).__name__,
            "config": metric.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The metric a :func:`serialize` dict (or Keras's) describes; only names known here or
    in ``custom_objects`` are looked up."""
    name = config.get("class_name") if isinstance(config, dict) else config
    cls = ALL_OBJECTS_DICT.get(name) or (custom_objects or {}).get(name)
    if cls is None:
        raise ValueError(f"Could not interpret metric identifier: {name!r}; known metrics: "
                         f"{sorted(ALL_OBJECTS_DICT)}")
    return cls.from_config(config.get("config", {})) if isinstance(config, dict) else cls()


def get(identifier):
    """A metric from a name (``'sparse_categorical_accuracy'``, ``'SparseCategoricalAccuracy'``,
    ``'mse'``, ``'accuracy'`` (exact equality: use :func:`resolve_metric` for compile's
    meaning), ...), a config dict, or a metric / function (returned as it is).

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret metric identifier: {identifier!r}; known "
                             f"metrics: {sorted(ALL_OBJECTS_DICT)} (and 'acc' in compile)")
        return cls()
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def resolve_metric(identifier, y_true, y_pred):
    """The metric ``compile(metrics=[identifier])`` uses, once the data's shapes are known,
    exactly as Keras 3's ``compile_utils.get_metric``.

    ``'accuracy'`` / ``'acc'`` (any case) is chosen from the shapes alone (Keras 3 does not
    look at the loss, unlike tf.keras 2): :class:`BinaryAccuracy` when y_pred's last axis
    has size 1; :class:`SparseCategoricalAccuracy` when y_true has a lower rank than y_pred,
    or y_true's last axis has size 1 and y_pred's more; :class:`CategoricalAccuracy`
    otherwise. The metric is *named* ``identifier`` (so ``'acc'`` logs as ``'acc'``). Any
    other identifier goes through :func:`get`; a function is wrapped in a
    :class:`MeanMetricWrapper` named after it (or after the string).

    Args:
        identifier: a string, a :class:`Metric`, a metric class or a function.
        y_true, y_pred: one batch's targets and predictions (anything with ``.shape``).

    Returns:
        A :class:`Metric` instance.

    Example:
        >>> import numpy as np
        >>> m = resolve_metric("accuracy", np.zeros(8), np.zeros((8, 10)))
        >>> type(m).__name__, m.name
        ('SparseCategoricalAccuracy', 'accuracy')
    """
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    if str(identifier).lower() in ("accuracy", "acc"):
        is_binary, is_sparse = losses_module.is_binary_or_sparse_categorical(y_true, y_pred)
        cls = BinaryAccuracy if is_binary else (
            SparseCategoricalAccuracy if is_sparse else CategoricalAccuracy)
        metric = cls(name=str(identifier))
    else:
        metric = get(identifier)
    if isinstance(identifier, str):
        name = identifier
    else:
        name = getattr(metric, "name", None) or getattr(metric, "__name__", None) or \
            type(metric).__name__
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    metric.name = name
    return metric


__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
           "CategoricalCrossentropy", "BinaryCrossentropy", "MeanSquaredError", "accuracy",
           "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "get",
           "serialize", "deserialize", "resolve_metric", "loss_tracker"]
