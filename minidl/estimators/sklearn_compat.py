"""scikit-learn when it is installed, NumPy stand-ins when it is not.

With scikit-learn importable, the estimator subclasses ``sklearn.base.ClassifierMixin`` and
``BaseEstimator`` (so ``clone``, ``Pipeline``, ``GridSearchCV`` and the estimator checks work),
validates inputs with ``sklearn.utils.validation.validate_data`` (identical errors, feature
names) and warns with ``sklearn.exceptions.ConvergenceWarning``. Without it, the small classes
and functions below provide the same methods and the same checks, in NumPy.
"""
import inspect
import numbers
import warnings

import numpy as np

try:  # scikit-learn is optional: never a runtime dependency of minidl
    import sklearn  # noqa: F401
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
    HAVE_SKLEARN = True
except ImportError:
    HAVE_SKLEARN = False

FLOAT_DTYPES = (np.float64, np.float32)

if not HAVE_SKLEARN:
    class ConvergenceWarning(UserWarning):
        """The optimizer stopped before it converged (scikit-learn's class, when installed)."""

    class NotFittedError(ValueError, AttributeError):
        """The estimator was used before ``fit`` (scikit-learn's class, when installed)."""

    class BaseEstimator:
        """Parameters from ``__init__``'s signature: ``get_params``, ``set_params``, ``repr``."""

        @classmethod
        def _get_param_names(cls):
            signature = inspect.signature(cls.__init__)
            return sorted(p.name for p in signature.parameters.values()
                          if p.name != "self" and p.kind != p.VAR_KEYWORD)

        def get_params(self, deep=True):
            """The constructor parameters, name → value (``deep`` also lists nested estimators')."""
            out = {}
            for key in self._get_param_names():
                value = getattr(self, key)
                if deep and hasattr(value, "get_params") and not isinstance(value, type):
                    out.update((key + "__" + k, v) for k, v in value.get_params().items())
                out[key] = value
            return out

        def set_params(self, **params):
            """Set constructor parameters (``name__sub`` reaches into nested estimators)."""
            valid = self.get_params(deep=True)
            nested = {}
            for key, value in params.items():
                key, delim, sub_key = key.partition("__")
                if key not in valid:
                    raise ValueError(f"Invalid parameter {key!r} for estimator {self}. "
                                     f"Valid parameters are: {self._get_param_names()!r}.")
                if delim:
                    nested.setdefault(key, {})[sub_key] = value
                else:
                    setattr(self, key, value)
                    valid[key] = value
            for key, sub_params in nested.items():
                valid[key].set_params(**sub_params)
            return self

        def __repr__(self):
            signature = inspect.signature(type(self).__init__)
            changed = []
            for name, p in signature.parameters.items():
                if name == "self" or p.kind == p.VAR_KEYWORD:
                    continue
                value = getattr(self, name)
                if p.default is inspect.Parameter.empty or not _same(value, p.default):
                    changed.append(f"{name}={value!r}")
            return f"{type(self).__name__}({', '.join(changed)})"

        def __getstate__(self):
            return dict(self.__dict__)

    class ClassifierMixin:
        """``score``: mean accuracy (subset accuracy for multilabel targets)."""

        _estimator_type = "classifier"

        def score(self, X, y, sample_weight=None):
            """Mean accuracy of ``predict(X)`` against y (exact-match rows for multilabel)."""
            return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    def check_is_fitted(estimator):
        if not any(k.endswith("_") and not k.startswith("__") for k in vars(estimator)):
            raise NotFittedError(f"This {type(estimator).__name__} instance is not fitted yet. "
                                 "Call 'fit' with appropriate arguments before using this "
                                 "estimator.")


def _same(a, b):
    try:
        return bool(a == b) if type(a) is type(b) or isinstance(a, numbers.Number) else a is b
    except (ValueError, TypeError):
        return False


def check_random_state(seed):
    """A ``numpy.random.RandomState`` from None (NumPy's global one), an int, or an instance."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral):
        return np.random.RandomState(seed)
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(f"{seed!r} cannot be used to seed a numpy.random.RandomState instance")


def accuracy_score(y_true, y_pred, sample_weight=None):
    """Fraction (weighted by ``sample_weight``) of rows predicted exactly right."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true.ravel()
    right = y_true == y_pred
    if right.ndim == 2:
        right = right.all(axis=1)
    return float(np.average(right, weights=sample_weight))


def _densify(X):
    return X.toarray() if hasattr(X, "toarray") else X


def _check_array(X, name, estimator, dtype):
    """Dense, finite, 2-D, non-empty X in float32/float64 (the stand-in for ``check_array``)."""
    estimator_name = type(estimator).__name__
    X = _densify(X)
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        X = X.to_numpy()
    array = np.asarray(X)
    if array.dtype.kind == "c":
        raise ValueError(f"Complex data not supported\n{array}\n")
    if array.ndim == 0:
        raise ValueError(f"Expected 2D array, got scalar array instead:\narray={array}.\n"
                         "Reshape your data either using array.reshape(-1, 1) if your data has "
                         "a single feature or array.reshape(1, -1) if it contains a single sample.")
    if array.ndim == 1:
        raise ValueError(f"Expected 2D array, got 1D array instead:\narray={array}.\n"
                         "Reshape your data either using array.reshape(-1, 1) if your data has "
                         "a single feature or array.reshape(1, -1) if it contains a single sample.")
    if array.ndim > 2:
        raise ValueError(f"Found array with dim {array.ndim}. {estimator_name} expected <= 2.")
    if dtype is not None and array.dtype not in dtype:
        try:
            array = array.astype(dtype[0])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{estimator_name}: could not convert {name} of dtype "
                             f"{array.dtype} to {np.dtype(dtype[0])}: {exc}") from exc
    if array.shape[0] < 1:
        raise ValueError(f"Found array with 0 sample(s) (shape={array.shape}) while a minimum "
                         f"of 1 is required by {estimator_name}.")
    if array.shape[1] < 1:
        raise ValueError(f"Found array with 0 feature(s) (shape={array.shape}) while a minimum "
                         f"of 1 is required by {estimator_name}.")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        if np.isnan(array).any():
            raise ValueError(f"Input {name} contains NaN.")
        raise ValueError(f"Input {name} contains infinity or a value too large for "
                         f"{array.dtype!r}.")
    return array


def _feature_names(X):
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = np.asarray(columns, dtype=object)
    return names if len(names) and all(isinstance(n, str) for n in names) else None


def validate_fit_data(estimator, X, y, reset):
    """X as a dense float32/float64 array and y as an array, checked as scikit-learn does."""
    if HAVE_SKLEARN:
        X, y = validate_data(estimator, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=FLOAT_DTYPES, reset=reset)
        return _densify(X), y
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y "
                         "is None.")
    names = _feature_names(X)
    X = _check_array(X, "X", estimator, FLOAT_DTYPES)
    y = np.asarray(_densify(y))
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("Input y contains NaN." if np.isnan(y).any()
                         else "Input y contains infinity or a value too large for "
                              f"{y.dtype!r}.")
    if y.ndim == 0 or len(y) != X.shape[0]:
        raise ValueError("Found input variables with inconsistent numbers of samples: "
                         f"[{X.shape[0]}, {1 if y.ndim == 0 else len(y)}]")
    _check_n_features(estimator, X, names, reset)
    return X, y


def validate_predict_data(estimator, X):
    """X for prediction: dense, 2-D, finite, with the number of features seen in ``fit``."""
    if HAVE_SKLEARN:
        return _densify(validate_data(estimator, X, accept_sparse=["csr", "csc"], reset=False))
    names = _feature_names(X)
    X = _check_array(X, "X", estimator, None)
    if X.dtype.kind not in "fiub":
        X = _check_array(X, "X", estimator, FLOAT_DTYPES)
    _check_n_features(estimator, X, names, reset=False)
    return X


def _check_n_features(estimator, X, names, reset):
    if reset:
        estimator.n_features_in_ = X.shape[1]
        if names is not None:
            estimator.feature_names_in_ = names
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return
    expected = getattr(estimator, "n_features_in_", None)
    if expected is not None and X.shape[1] != expected:
        raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
                         f"expecting {expected} features as input.")


def check_sample_weight(sample_weight, X):
    """sample_weight as a 1-D float array of length n_samples, not all zero."""
    if HAVE_SKLEARN:
        return _check_sample_weight(sample_weight, X)
    n_samples = X.shape[0]
    if isinstance(sample_weight, numbers.Number):
        return np.full(n_samples, sample_weight, dtype=X.dtype)
    sample_weight = np.asarray(sample_weight)
    if sample_weight.dtype not in FLOAT_DTYPES:
        sample_weight = sample_weight.astype(np.float64)
    if sample_weight.ndim != 1:
        raise ValueError(f"Sample weights must be 1D array or scalar, got {sample_weight.ndim}D "
                         f"array. Expected either a scalar value or a 1D array of length "
                         f"{n_samples}.")
    if sample_weight.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {sample_weight.shape}, expected {(n_samples,)}!")
    if not np.isfinite(sample_weight).all():
        raise ValueError("Input sample_weight contains NaN or infinity.")
    if np.all(sample_weight == 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


def warn_column_vector_y():
    message = ("A column-vector y was passed when a 1d array was expected. Please change the "
               "shape of y to (n_samples, ), for example using ravel().")
    if HAVE_SKLEARN:
        from sklearn.exceptions import DataConversionWarning
        warnings.warn(message, DataConversionWarning, stacklevel=3)
    else:
        warnings.warn(message, UserWarning, stacklevel=3)


class available_if:
    """A method that exists only when ``check(self)`` is true (else: AttributeError), as sklearn's.

    ``hasattr(estimator, 'partial_fit')`` is then False for solver='lbfgs'.
    """

    def __init__(self, check):
        self.check = check

    def __call__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        return self

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.fn
        self.check(obj)  # raises AttributeError when unavailable
        return self.fn.__get__(obj, owner)
