"""``minidl.keras.losses``: Keras 3's losses, with its probability clipping and reductions.

A loss object is called as ``loss(y_true, y_pred, sample_weight=None)`` and returns a
differentiable scalar Tensor (``loss.backward()`` works). The per-sample functions
(``sparse_categorical_crossentropy``, ...) return one value per sample, as Keras's do.

Keras's formulas, with ε = 1e-7 (``keras.backend.epsilon()``):

    probabilities p (from_logits=False):  p ← p / Σ_c p;  p ← clip(p, ε, 1 − ε)  (categorical)
                                          p ← clip(p, ε, 1 − ε)                  (binary)
    sparse categorical   ℓ = −log p_y                (logits: log_softmax, fused op)
    categorical          ℓ = −Σ_c y_c·log p_c        (label smoothing: y ← y(1 − s) + s/C)
    binary               ℓ = mean over the last axis of −(y·log p + (1 − y)·log(1 − p))
                                                     (label smoothing: y ← y(1 − s) + s/2;
                                                      logits: the stable softplus form)
    mean squared error   ℓ = mean over the last axis of (y − ŷ)²

Reductions: ``'sum_over_batch_size'`` (default, also ``'mean'``) = Σ wᵢ·ℓᵢ / (number of
values ℓ), ``'sum'``, ``'mean_with_sample_weight'`` = Σ wᵢ·ℓᵢ / Σ wᵢ, ``None``/``'none'``.
PyTorch's ``CrossEntropyLoss(weight=...)`` divides by Σ w instead; Keras's sample weights
do not change the denominator.
"""
from minidl.autograd.tensor import Tensor, constant
from minidl.nn import functional as F

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


# -- inputs -----------------------------------------------------------------------------------
def as_prediction(y_pred):
    """``y_pred`` as a Tensor (arrays in the default float dtype)."""
    if isinstance(y_pred, Tensor):
        return y_pred
    pred = Tensor(y_pred)
    return pred if pred.dtype.kind == "f" else pred.float()


def as_target(y_true, like, who, dtype=None):
    """``y_true`` as a constant Tensor on ``like``'s device, in ``dtype`` (``like``'s)."""
    dtype = like.dtype if dtype is None else dtype
    if isinstance(y_true, Tensor):
        if y_true.device != like.device:
            raise ValueError(f"{who}: y_true is on device '{y_true.device}' but y_pred is on "
                             f"'{like.device}'")
        array = y_true.data
    elif isinstance(y_true, like.backend.array_types):
        array = y_true
    else:
        array = Tensor(y_true, device=like.device).data
    if array.dtype != dtype:
        array = array.astype(dtype)
    return constant(array, like)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rank alignment: when ranks differ by one and the longer ends in a size-1 axis,
    expand a rank-1 partner (``expand_rank_1``) or squeeze the longer one."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.reshape(tuple(x2.shape) + (1,))
        else:
            x1 = x1.reshape(tuple(x1.shape[:-1]))
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.reshape(tuple(x1.shape) + (1,))
        else:
            x2 = x2.reshape(tuple(x2.shape[:-1]))
    return x1, x2


def _check_same_shape(y_true, y_pred, who):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"{who}: Arguments `target` and `output` must have the same shape. "
                         f"Received: target.shape={tuple(y_true.shape)}, "
                         f"output.shape={tuple(y_pred.shape)}")


def _clipped_probabilities(p, normalize, axis):
    if normalize:
        p = p / p.sum(axis=axis, keepdims=True)
    return p.clip(EPSILON, 1.0 - EPSILON)


# -- the per-sample functions ---------------------------------------------------------------
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """ℓ = −log p_y per sample, for integer labels ``y_true`` (shape of ``y_pred`` without
    the class axis, or with it of size 1).

    Labels equal to ``ignore_class`` get ℓ = 0 (the loss class also leaves them out of the
    mean).

    Example:
        >>> import numpy as np
        >>> loss = sparse_categorical_crossentropy([1, 2], np.array(
        ...     [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]], np.float32))
        >>> [round(v, 4) for v in loss.tolist()]
        [0.0513, 2.3026]
    """
    who = "sparse_categorical_crossentropy"
    y_pred = as_prediction(y_pred)
    labels = as_target(y_true, y_pred, who, dtype="int64")
    if y_pred.ndim < 1:
        raise ValueError(f"{who}: Argument `output` must be at least rank 1. Received: "
                         f"output.shape={tuple(y_pred.shape)}")
    axis = axis % y_pred.ndim
    if labels.ndim == y_pred.ndim and labels.shape[axis] == 1:
        labels = labels.squeeze(axis)
    if axis != y_pred.ndim - 1:
        y_pred = y_pred.swapaxes(axis, -1)
    rest = tuple(y_pred.shape[:-1])
    if tuple(labels.shape) != rest:
        raise ValueError(f"{who}: Arguments `target` and `output` must have the same shape up "
                         f"until the last dimension: target.shape={tuple(labels.shape)}, "
                         f"output.shape={tuple(y_pred.shape)}")
    c = y_pred.shape[-1]
    flat_labels = labels.data.reshape(-1)
    valid = None
    if ignore_class is not None:
        valid = flat_labels != ignore_class
        flat_labels = y_pred.xp.where(valid, flat_labels, 0)
    flat = y_pred.reshape((-1, c))
    if from_logits:
        losses = F.cross_entropy(flat, constant(flat_labels, y_pred), reduction="none")
    else:
        log_p = _clipped_probabilities(flat, True, -1).log()
        losses = F.nll_loss(log_p, constant(flat_labels, y_pred), reduction="none")
    if valid is not None:
        losses = losses * constant(valid.astype(losses.dtype), losses)
    return losses.reshape(rest)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """ℓ = −Σ_c y_c·log p_c per sample, for one-hot (or soft) targets ``y_true``.

    Example:
        >>> import numpy as np
        >>> loss = categorical_crossentropy(np.array([[0, 1, 0], [0, 0, 1]], np.float32),
        ...     np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]], np.float32))
        >>> [round(v, 4) for v in loss.tolist()]
        [0.0513, 2.3026]
    """
    who = "categorical_crossentropy"
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type "
                         f"{type(axis)}")
    y_pred = as_prediction(y_pred)
    y_true = as_target(y_true, y_pred, who)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    _check_same_shape(y_true, y_pred, who)
    if from_logits:
        log_p = y_pred.log_softmax(axis=axis)
    else:
        log_p = _clipped_probabilities(y_pred, True, axis).log()
    return -(y_true * log_p).sum(axis=axis)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """ℓ = mean over ``axis`` of −(y·log p + (1 − y)·log(1 − p)), p clipped to [ε, 1 − ε]
    (with logits: max(x, 0) − x·y + log(1 + e^−|x|)).

    Example:
        >>> import numpy as np
        >>> loss = binary_crossentropy(np.array([[0, 1], [0, 0]], np.float32),
        ...     np.array([[0.6, 0.4], [0.4, 0.6]], np.float32))
        >>> [round(v, 3) for v in loss.tolist()]
        [0.916, 0.714]
    """
    who = "binary_crossentropy"
    y_pred = as_prediction(y_pred)
    y_true = as_target(y_true, y_pred, who)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    _check_same_shape(y_true, y_pred, who)
    if from_logits:
        losses = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        p = _clipped_probabilities(y_pred, False, axis)
        losses = -(y_true * p.log() + (1.0 - y_true) * (1.0 - p).log())
    return losses.mean(axis=axis)


def mean_squared_error(y_true, y_pred):
    """ℓ = mean over the last axis of (y − ŷ)².

    Example:
        >>> import numpy as np
        >>> mean_squared_error(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]])).tolist()
        [0.5]
    """
    y_pred = as_prediction(y_pred)
    y_true = as_target(y_true, y_pred, "mean_squared_error")
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    diff = y_true - y_pred
    return (diff * diff).mean(axis=-1)


# -- the loss classes -------------------------------------------------------------------------
class Loss:
    """Base class: ``call(y_true, y_pred)`` gives per-sample values; ``__call__`` weights and
    reduces them.

    Args:
        name: the loss's name (its entry in logs when used as a metric).
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'``, ``'mean'``,
            ``'mean_with_sample_weight'``, or ``None``/``'none'`` (per-sample values).
        dtype: accepted for Keras compatibility; minidl computes in y_pred's dtype.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"Invalid value for argument `reduction`. Expected one of "
                             f"{set(REDUCTIONS)}. Received: reduction={reduction}")
        self.name = name or type(self).__name__.lower()
        self.reduction = reduction
        self.dtype = dtype

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def mask(self, y_true, values):
        """A 0/1 mask of the values that count (None: all of them; see ignore_class)."""
        return None

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = as_prediction(y_pred)
        values = self.call(y_true, y_pred)
        weight = None if sample_weight is None else as_target(sample_weight, values,
                                                              self.name)
        mask = self.mask(y_true, values)
        if mask is not None:
            if self.reduction in ("mean", "sum_over_batch_size"):
                valid = float(mask.data.sum())
                mask = mask * (mask.size / valid if valid else 0.0)   # mean over valid values
            if weight is None:
                weight = mask
            else:
                mask, weight = squeeze_or_expand_to_same_rank(mask, weight)
                weight = weight * mask
        return reduce_weighted_values(values, weight, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Keras's ``reduce_weighted_values``: weight (ranks aligned), then reduce."""
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    if reduction is None or reduction == "none" or values.ndim == 0 or \
            tuple(values.shape) == (0,):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = float(sample_weight.data.sum()) if sample_weight.ndim else \
            float(sample_weight.item()) * values.size
    else:
        divisor = values.size
    return total * (1.0 / divisor) if divisor else total * 0.0     # divide_no_nan


class LossFunctionWrapper(Loss):
    """A loss class around a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if self.fn is not sparse_categorical_crossentropy:
            y_true = as_target(y_true, y_pred, self.name)
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of integer labels and per-class probabilities (or logits).

    Example:
        >>> import numpy as np
        >>> loss = SparseCategoricalCrossentropy()
        >>> round(loss([1, 2], np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]],
        ...                              np.float32)).item(), 3)
        1.177
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def mask(self, y_true, values):
        if self.ignore_class is None:
            return None
        labels = as_target(y_true, values, self.name, dtype="int64").reshape(values.shape)
        return constant((labels.data != self.ignore_class).astype(values.dtype), values)

    def get_config(self):
        config = super().get_config()
        config.update({"from_logits": self.from_logits, "ignore_class": self.ignore_class})
        return config


class _SmoothedCrossentropy(LossFunctionWrapper):
    """The shared part of the two dense-target cross-entropies (categorical and binary): both
    take ``from_logits``, ``label_smoothing`` and ``axis``, keep them as attributes and write
    them into their config."""

    def __init__(self, fn, from_logits, label_smoothing, axis, reduction, name, dtype):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        config = super().get_config()
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis})
        return config


class CategoricalCrossentropy(_SmoothedCrossentropy):
    """Cross-entropy of one-hot (or soft) targets and probabilities (or logits).

    Example:
        >>> import numpy as np
        >>> loss = CategoricalCrossentropy()
        >>> round(loss(np.array([[0, 1, 0], [0, 0, 1]], np.float32),
        ...            np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], np.float32)).item(), 3)
        1.177
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, from_logits, label_smoothing, axis,
                         reduction, name, dtype)


class BinaryCrossentropy(_SmoothedCrossentropy):
    """Binary cross-entropy of 0/1 targets and probabilities (or logits).

    Example:
        >>> import numpy as np
        >>> loss = BinaryCrossentropy()
        >>> round(loss(np.array([[0, 1], [0, 0]], np.float32),
        ...            np.array([[0.6, 0.4], [0.4, 0.6]], np.float32)).item(), 3)
        0.815
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, from_logits, label_smoothing, axis,
                         reduction, name, dtype)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors.

    Example:
        >>> import numpy as np
        >>> round(MeanSquaredError()(np.array([[0.0, 1.0], [0.0, 0.0]]),
        ...                          np.array([[1.0, 1.0], [1.0, 0.0]])).item(), 3)
        0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


# -- names ------------------------------------------------------------------------------------
ALL_OBJECTS = (SparseCategoricalCrossentropy, CategoricalCrossentropy, BinaryCrossentropy,
               MeanSquaredError, sparse_categorical_crossentropy, categorical_crossentropy,
               binary_crossentropy, mean_squared_error)
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({"bce": binary_crossentropy, "BCE": binary_crossentropy,
                         "mse": mean_squared_error, "MSE": mean_squared_error})


def serialize(loss):
    """``{'module', 'class_name', 'config', 'registered_name'}`` of a loss (its name for a
    function)."""
    if isinstance(loss, Loss):
        return {"module": "minidl.keras.losses", "class_name": type(loss).__name__,
                "config": loss.get_config(), "registered_name": None}
    return getattr(loss, "__name__", str(loss))


def deserialize(config, custom_objects=None):
    """The loss a :func:`serialize` result (or Keras's) describes; only names known here (or
    in ``custom_objects``) are looked up."""
    if isinstance(config, str):
        return get(config)
    name = config.get("class_name") if isinstance(config, dict) else None
    cls = ALL_OBJECTS_DICT.get(name) or (custom_objects or {}).get(name)
    if cls is None:
        raise ValueError(f"Could not interpret loss identifier: {name!r}; known losses: "
                         f"{sorted(ALL_OBJECTS_DICT)}")
    return cls.from_config(config.get("config", {})) if isinstance(cls, type) else cls


def get(identifier):
    """A loss from a name (a class name gives an instance, a function name the function),
    a config dict, or a loss / callable (returned as it is).

    Raises:
        ValueError: an unknown name, listing the known ones.

    Example:
        >>> get("sparse_categorical_crossentropy").__name__
        'sparse_categorical_crossentropy'
        >>> get("MeanSquaredError").name
        'mean_squared_error'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier)
        if obj is None:
            raise ValueError(f"Could not interpret loss identifier: {identifier!r}; known "
                             f"losses: {sorted(ALL_OBJECTS_DICT)} (or 'crossentropy'/'ce' in "
                             "compile, chosen by the target shapes)")
    else:
        obj = identifier
    if isinstance(obj, type):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def resolve_loss(identifier, y_true, y_pred):
    """The loss ``compile(loss=identifier)`` uses once the data's shapes are known, as Keras 3's
    ``compile_utils.get_loss``: ``'crossentropy'``/``'ce'`` become binary (y_pred's last axis
    of size 1), sparse categorical (y_true of lower rank, or last axis 1 against y_pred's > 1)
    or categorical cross-entropy; any other identifier goes through :func:`get`. A function
    is wrapped in a :class:`LossFunctionWrapper` named after the identifier.

    Args:
        identifier: what ``compile`` was given (None: no loss for this output).
        y_true, y_pred: arrays or Tensors (or anything with ``.shape``) of one batch.
    """
    if identifier is None:
        return None
    if str(identifier).lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        obj = binary_crossentropy if is_binary else (
            sparse_categorical_crossentropy if is_sparse else categorical_crossentropy)
    else:
        obj = get(identifier)
    if not isinstance(obj, Loss):
        name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", None)
        obj = LossFunctionWrapper(obj, name=name)
    return obj


def is_binary_or_sparse_categorical(y_true, y_pred):
    """Keras's shape test: ``(is_binary, is_sparse_categorical)``."""
    t_shape, p_shape = tuple(y_true.shape), tuple(y_pred.shape)
    is_binary = p_shape[-1] == 1
    is_sparse = len(t_shape) < len(p_shape) or (t_shape[-1] == 1 and p_shape[-1] > 1)
    return is_binary, is_sparse


__all__ = ["Loss", "LossFunctionWrapper", "SparseCategoricalCrossentropy",
           "CategoricalCrossentropy", "BinaryCrossentropy", "MeanSquaredError",
           "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
           "mean_squared_error", "get", "serialize", "deserialize", "resolve_loss",
           "reduce_weighted_values", "EPSILON"]
