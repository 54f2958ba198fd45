"""Class labels ⇄ the network's targets, with scikit-learn's rules, in NumPy alone.

scikit-learn's ``MLPClassifier`` hands its targets to a ``LabelBinarizer``: the kind of target
(``type_of_target``) decides the output layer, and ``transform`` / ``inverse_transform`` map
labels to the 0/1 matrix the loss sees and network outputs back to labels:

    binary       y ∈ {a, b}          → one column, 1 for b (classes_[1])   logistic output
    multiclass   y ∈ {c_1 … c_K}     → K one-hot columns                  softmax output
    multilabel   y a 0/1 matrix (n, K) → itself                           logistic outputs

These are transcriptions of ``sklearn.utils.multiclass.type_of_target`` / ``unique_labels`` and
``sklearn.preprocessing.LabelBinarizer`` (scikit-learn 1.9) for dense inputs, so that the
estimator behaves the same whether or not scikit-learn is installed.
"""
import numpy as np


def _as_label_array(y):
    """y as a NumPy array; ragged or mixed sequences become object arrays, as scikit-learn's."""
    if hasattr(y, "toarray"):  # a SciPy sparse matrix
        y = y.toarray()
    try:
        return np.asarray(y)
    except ValueError:
        return np.asarray(y, dtype=object)


def _is_integral_float(y):
    return y.dtype.kind == "f" and np.all(y.astype(np.int64) == y)


def is_multilabel(y):
    """True for a 2-D 0/1 indicator matrix with more than one column (scikit-learn's rule)."""
    y = _as_label_array(y)
    if not (y.ndim == 2 and y.shape[1] > 1):
        return False
    labels = np.unique(y)
    return len(labels) < 3 and (y.dtype.kind in "biu" or _is_integral_float(labels))


def type_of_target(y):
    """The kind of target, as ``sklearn.utils.multiclass.type_of_target`` names it.

    Returns one of ``'binary'``, ``'multiclass'``, ``'multilabel-indicator'``,
    ``'continuous'``, ``'multiclass-multioutput'``, ``'continuous-multioutput'``, ``'unknown'``.

    Example:
        >>> type_of_target([1, 2, 2]), type_of_target(['a', 'b', 'c']), type_of_target([0.5, 1])
        ('binary', 'multiclass', 'continuous')
        >>> type_of_target([[0, 1], [1, 1]])
        'multilabel-indicator'
    """
    if isinstance(y, (str, bytes)) or not (hasattr(y, "__len__") or hasattr(y, "__array__")):
        raise ValueError(f"Expected array-like (array or non-string sequence), got {y!r}")
    if is_multilabel(y):
        return "multilabel-indicator"
    y = _as_label_array(y)
    if y.ndim > 0 and y.shape[0] > 0 and isinstance(y.flat[0], bytes):
        raise TypeError("Support for labels represented as bytes is not supported. Convert "
                        "the labels to a string or integer format.")
    if y.ndim not in (1, 2):
        return "unknown"
    if not min(y.shape):
        return "binary" if y.ndim == 1 else "unknown"
    if y.dtype == object and not isinstance(y.flat[0], str):
        return "unknown"
    suffix = "-multioutput" if y.ndim == 2 and y.shape[1] > 1 else ""
    if y.dtype.kind == "f" and np.any(y != y.astype(np.int64).astype(y.dtype)):
        return "continuous" + suffix
    if y.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    first = y[0]
    if len(np.unique(y)) > 2 or (y.ndim == 2 and len(first) > 1):
        return "multiclass" + suffix
    return "binary"


def unique_labels(y):
    """The sorted distinct labels of y (for an indicator matrix: ``arange(n_columns)``).

    Raises ``ValueError('Unknown label type: ...')`` for continuous or multi-output targets,
    as scikit-learn does.

    Example:
        >>> unique_labels([3, 5, 5, 7])
        array([3, 5, 7])
    """
    kind = type_of_target(y)
    y = _as_label_array(y)
    if kind == "multilabel-indicator":
        return np.arange(y.shape[1])
    if kind in ("binary", "multiclass"):
        labels = np.unique(y)
        if y.dtype == object and len({isinstance(v, str) for v in labels}) > 1:
            raise ValueError("Mix of label input types (string and number)")
        return labels
    raise ValueError(f"Unknown label type: {y!r}")


def column_or_1d(y):
    """A 1-D view of y, which must be of shape (n,) or (n, 1)."""
    y = np.asarray(y)
    if y.ndim == 1:
        return y
    if y.ndim == 2 and y.shape[1] == 1:
        return y.ravel()
    raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")


class LabelBinarizer:
    """scikit-learn's ``LabelBinarizer`` (neg_label=0, pos_label=1, dense output).

    Attributes after :meth:`fit`: ``classes_`` (sorted labels, or column indices for a
    multilabel indicator), ``y_type_`` (``type_of_target`` of the fitted y).

    Example:
        >>> lb = LabelBinarizer().fit(['no', 'yes', 'no'])
        >>> lb.transform(['yes', 'no']).ravel().tolist()
        [1, 0]
        >>> lb.inverse_transform(np.array([0.9, 0.2])).tolist()
        ['yes', 'no']
    """

    def fit(self, y):
        self.y_type_ = type_of_target(y)
        if "multioutput" in self.y_type_:
            raise ValueError("Multioutput target data is not supported with label binarization")
        if len(_as_label_array(y)) == 0:
            raise ValueError(f"y has 0 samples: {y!r}")
        self.classes_ = unique_labels(y)
        return self

    def transform(self, y):
        """The 0/1 target matrix: (n, 1) for binary, (n, K) otherwise."""
        kind = type_of_target(y)
        if kind.startswith("multilabel") and not self.y_type_.startswith("multilabel"):
            raise ValueError("The object was not fitted with multilabel input.")
        if "multioutput" in kind:
            raise ValueError("Multioutput target data is not supported with label binarization")
        if kind == "unknown":
            raise ValueError("The type of target data is not known")
        y = _as_label_array(y)
        classes = self.classes_
        n_classes = len(classes)
        if kind == "binary" and n_classes == 1:
            return np.zeros((len(y), 1), dtype=int)
        if kind == "binary" and n_classes >= 3:
            kind = "multiclass"
        if kind == "multilabel-indicator":
            if y.shape[1] != n_classes:
                raise ValueError(f"classes {classes} mismatch with the labels "
                                 f"{unique_labels(y)} found in the data")
            return y.astype(int)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"{kind} target data is not supported with label binarization")
        y = column_or_1d(y)
        sorted_classes = np.sort(classes)
        Y = np.zeros((len(y), n_classes), dtype=int)
        seen = np.isin(y, classes)
        Y[np.flatnonzero(seen), np.searchsorted(sorted_classes, y[seen])] = 1
        if np.any(classes != sorted_classes):
            Y = Y[:, np.searchsorted(sorted_classes, classes)]
        if kind == "binary":
            Y = Y[:, -1:]
        return Y

    def inverse_transform(self, Y, threshold=0.5):
        """Labels from network outputs: argmax for multiclass, ``> threshold`` otherwise."""
        if self.y_type_ == "multiclass":
            return self.classes_[np.clip(np.argmax(Y, axis=1), 0, len(self.classes_) - 1)]
        if self.y_type_ == "binary" and Y.ndim == 2 and Y.shape[1] > 2:
            raise ValueError(f"output_type='binary', but y.shape = {Y.shape}")
        if self.y_type_ != "binary" and Y.shape[1] != len(self.classes_):
            raise ValueError("The number of class is not equal to the number of dimension of y.")
        positive = (Y > threshold).astype(np.int64)
        if self.y_type_ == "multilabel-indicator":
            return positive
        if self.y_type_ != "binary":
            raise ValueError(f"{self.y_type_} format is not supported")
        if positive.ndim == 2 and positive.shape[1] == 2:
            return self.classes_[positive[:, 1]]
        if len(self.classes_) == 1:
            return np.repeat(self.classes_[0], len(positive))
        return self.classes_[positive.reshape(-1)]
