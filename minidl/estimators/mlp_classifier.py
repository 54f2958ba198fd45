"""``MLPClassifier``: scikit-learn's multi-layer perceptron classifier, trained by minidl.

Same parameters, defaults, methods, fitted attributes and training rules as
``sklearn.neural_network.MLPClassifier`` (scikit-learn 1.9): Glorot-uniform initialisation from
``random_state``, scikit-learn's SGD/Adam update forms and learning-rate schedules, per-epoch
shuffling, ``early_stopping`` on a (stratified) held-out split, ``n_iter_no_change`` / ``tol``
stopping, ``warm_start`` and ``partial_fit``. The forward pass and the loss are minidl ops and
every gradient comes from minidl's autograd; the arrays live on minidl's default device
(``mdl.set_default_device`` / ``$MINIDL_DEVICE``) and every array op goes through its ``xp``
(checked on the strict CuPy-like test backend), while ``coefs_`` and all results are NumPy.

Dtype policy (scikit-learn's): float32 input is trained in float32, any other input in float64.
With the same ``random_state`` and float64 data, the 'sgd' and 'adam' solvers follow
scikit-learn's run step for step (same initial weights, same batches, same updates, up to
floating-point rounding). 'lbfgs' uses ``minidl.optim.LBFGS`` instead of SciPy's L-BFGS-B:
see ``fitting.fit_lbfgs`` for the mapping and the differences.
"""
import numpy as np

from minidl import backends
from minidl.autograd import grad_mode
from minidl.autograd.engine import grad as autograd_grad
from minidl.autograd.tensor import constant
from minidl.estimators import fitting, network
from minidl.estimators.labels import LabelBinarizer, type_of_target, unique_labels
from minidl.estimators.params import validate_params
from minidl.estimators.sklearn_compat import (BaseEstimator, ClassifierMixin, ConvergenceWarning,
                                              accuracy_score, available_if, check_is_fitted,
                                              check_random_state, check_sample_weight,
                                              validate_fit_data, validate_predict_data,
                                              warn_column_vector_y)

_STOCHASTIC_SOLVERS = ("sgd", "adam")


def _check_solver(estimator):
    if estimator.solver not in _STOCHASTIC_SOLVERS:
        raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                             f"{estimator.solver} is not stochastic.")
    return True


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier (scikit-learn's ``MLPClassifier``, on minidl).

    Optimises the log-loss (softmax output for multiclass targets, logistic outputs for binary
    and multilabel ones) plus ``alpha``/2 · ‖W‖² / n_samples with L-BFGS, SGD or Adam.

    Args:
        hidden_layer_sizes: the i-th element is the number of units of hidden layer i.
        activation: hidden activation, 'identity', 'logistic', 'tanh' or 'relu'.
        solver: 'lbfgs' (``minidl.optim.LBFGS``), 'sgd' or 'adam' (scikit-learn's forms).
        alpha: strength of the L2 penalty (divided by the number of samples in the batch).
        batch_size: minibatch size of 'sgd'/'adam'; 'auto' is min(200, n_samples).
        learning_rate: 'constant', 'invscaling' or 'adaptive' schedule of 'sgd'.
        learning_rate_init: initial step size of 'sgd' and 'adam'.
        power_t: exponent of 'invscaling': lr = learning_rate_init / (t + 1) ** power_t,
            t = number of samples seen.
        max_iter: epochs for 'sgd'/'adam', iterations for 'lbfgs'.
        shuffle: shuffle the samples at each epoch.
        random_state: None, an int or a ``numpy.random.RandomState``: initial weights, the
            early-stopping split and the shuffling (scikit-learn's ``check_random_state``).
        tol: the loss (or validation score) must improve by ``tol`` within
            ``n_iter_no_change`` epochs; for 'lbfgs' the gradient tolerance.
        verbose: print the loss at each iteration.
        warm_start: start from the previous fit's weights.
        momentum: momentum of 'sgd', in [0, 1].
        nesterovs_momentum: use Nesterov's momentum.
        early_stopping: hold out ``validation_fraction`` of the data (stratified for a single
            output) and stop when its accuracy stalls; the best weights are kept.
        validation_fraction: size of the held-out part.
        beta_1, beta_2, epsilon: Adam's constants.
        n_iter_no_change: epochs without ``tol`` improvement before stopping ('sgd'/'adam').
        max_fun: maximum number of loss evaluations of 'lbfgs'.

    Attributes (after ``fit``): ``classes_``, ``loss_``, ``best_loss_``, ``loss_curve_``,
    ``validation_scores_``, ``best_validation_score_``, ``t_``, ``coefs_`` (list of NumPy
    arrays of shape (n_in, n_out)), ``intercepts_``, ``n_features_in_``,
    ``feature_names_in_`` (for DataFrames with string column names), ``n_iter_``,
    ``n_layers_``, ``n_outputs_``, ``out_activation_`` ('softmax' or 'logistic'). As in
    scikit-learn, ``loss_curve_``, ``best_loss_``, ``validation_scores_`` and
    ``best_validation_score_`` exist only for the stochastic solvers.

    Example:
        >>> import numpy as np
        >>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), solver='lbfgs', random_state=0)
        >>> clf.fit(X, [0, 1, 1, 0]).predict(X).tolist()
        [0, 1, 1, 0]
        >>> [c.shape for c in clf.coefs_], clf.out_activation_
        ([(2, 8), (8, 1)], 'logistic')
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # -- public API ---------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data X and targets y (labels, or a 0/1 indicator matrix).

        Args:
            X: array-like or sparse matrix of shape (n_samples, n_features).
            y: array-like of shape (n_samples,) or (n_samples, n_labels) for multilabel.
            sample_weight: optional per-sample weights of shape (n_samples,).

        Returns:
            self, fitted.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(_check_solver)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over (X, y) of 'sgd' or 'adam', continuing from the current state.

        Args:
            X, y, sample_weight: as in :meth:`fit`.
            classes: all the classes the model will see; required on the first call.

        Returns:
            self.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predicted labels, shape (n_samples,) (or (n_samples, n_labels) for multilabel)."""
        check_is_fitted(self)
        return self._predict(X)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns ordered as ``classes_``."""
        check_is_fitted(self)
        y_pred = self._forward_numpy(validate_predict_data(self, X))
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def predict_log_proba(self, X):
        """log(predict_proba(X))."""
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags

    # -- fitting --------------------------------------------------------------------------
    def _fit(self, X, y, sample_weight=None, incremental=False):
        validate_params(self)
        hidden_layer_sizes = self.hidden_layer_sizes
        if not hasattr(hidden_layer_sizes, "__iter__"):
            hidden_layer_sizes = [hidden_layer_sizes]
        hidden_layer_sizes = list(hidden_layer_sizes)
        if np.any(np.array(hidden_layer_sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden_layer_sizes}.")
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)

        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        n_features = X.shape[1]
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
        if Y.ndim == 1:
            Y = Y.reshape((-1, 1))
        self.n_outputs_ = Y.shape[1]
        layer_units = [n_features] + hidden_layer_sizes + [self.n_outputs_]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units, X.dtype)

        if self.solver in _STOCHASTIC_SOLVERS:
            fitting.fit_stochastic(self, X, Y, sample_weight, incremental)
        else:
            fitting.fit_lbfgs(self, X, Y, sample_weight)

        if not all(np.isfinite(w).all() for w in self.coefs_ + self.intercepts_):
            raise ValueError("Solver produced non-finite parameter weights. The input data may "
                             "contain large values and need to be preprocessed.")
        return self

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_fit_data(self, X, y, reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            warn_column_vector_y()
            y = y.ravel()
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError("warm_start can only be used where `y` has the same classes "
                                     f"as in the previous call to fit. Previously got "
                                     f"{self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(bool)

    def _initialize(self, layer_units, dtype):
        """Fresh state: Glorot-uniform weights and intercepts, drawn as scikit-learn draws them."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_layers_ = len(layer_units)
        if self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"
        # U(−r, r), r = √(factor / (fan_in + fan_out)); factor 6, or 2 for logistic units
        factor = 2.0 if self.activation == "logistic" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            intercept = self._random_state.uniform(-bound, bound, fan_out)
            self.coefs_.append(coef.astype(dtype, copy=False))
            self.intercepts_.append(intercept.astype(dtype, copy=False))
        self._best_coefs = [c.copy() for c in self.coefs_]
        self._best_intercepts = [b.copy() for b in self.intercepts_]
        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _device_params(self, backend, dtype):
        """coefs_ + intercepts_ as arrays on the device (on the CPU: the same arrays)."""
        return [backend.from_numpy(np.asarray(p, dtype=dtype))
                for p in self.coefs_ + self.intercepts_]

    def _store_params(self, params, backend):
        n = len(params) // 2
        arrays = [backend.to_numpy(p) for p in params]
        self.coefs_, self.intercepts_ = arrays[:n], arrays[n:]

    def _targets(self, Y, sample_weight, dtype, backend):
        """The loss's target array on the device: paired for logistic outputs, times weights."""
        xp = backend.xp
        T = network.paired_targets(backend.from_numpy(Y.astype(dtype)), self.out_activation_, xp)
        if sample_weight is not None:
            sw = backend.from_numpy(np.asarray(sample_weight, dtype=dtype))
            T = T * sw.reshape((-1,) + (1,) * (T.ndim - 1))
        return T

    def _loss_and_grads(self, params, x, T, weight_sum, backend):
        """(loss as a float, gradient arrays) of one batch, the gradient by minidl's autograd."""
        leaves = [constant(p, backend).requires_grad_() for p in params]
        with grad_mode.enable_grad():
            loss = network.loss(leaves, constant(x, backend),
                                constant(T, backend), weight_sum,
                                self.out_activation_, self.activation, float(self.alpha))
            grads = autograd_grad(loss, leaves)
        return loss.item(), [g.data for g in grads]

    def _forward_numpy(self, X):
        """Output probabilities of the fitted network for validated X, as a NumPy array."""
        backend = backends.get_backend(None)
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        if dtype.kind != "f":
            dtype = np.dtype(np.float64)
        params = self._device_params(backend, dtype)
        return backend.to_numpy(self._proba_on_device(params, backend,
                                                      backend.from_numpy(X.astype(dtype, copy=False))))

    def _proba_on_device(self, params, backend, x):
        leaves = [constant(p, backend) for p in params]
        with grad_mode.no_grad():
            return network.predict_proba(leaves, constant(x, backend),
                                         self.out_activation_, self.activation).data

    def _predict(self, X):
        y_pred = self._forward_numpy(validate_predict_data(self, X))
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def _score_params(self, params, backend, x_val, y_val, sample_weight):
        """Accuracy of the current device weights on the held-out split (NaN if not finite)."""
        y_pred = backend.to_numpy(self._proba_on_device(params, backend, x_val))
        if not np.isfinite(y_pred).all():
            return np.nan
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return accuracy_score(y_val, self._label_binarizer.inverse_transform(y_pred),
                              sample_weight=sample_weight)


def _check_partial_fit_first_call(clf, classes=None):
    """True (and ``classes_`` set) on the first ``partial_fit``; checks ``classes`` later."""
    if getattr(clf, "classes_", None) is None and classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    if classes is not None:
        if getattr(clf, "classes_", None) is not None:
            if not np.array_equal(clf.classes_, unique_labels(classes)):
                raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                                 f"partial_fit, was: {clf.classes_!r}")
        else:
            clf.classes_ = unique_labels(classes)
            return True
    return False


__all__ = ["MLPClassifier", "ConvergenceWarning"]
