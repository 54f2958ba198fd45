"""The fitting loops of ``MLPClassifier``: mini-batch ('sgd', 'adam') and full-batch L-BFGS.

Each takes the estimator ``clf`` and updates its ``coefs_``, ``intercepts_``, ``loss_curve_``
and the rest of scikit-learn's fitted attributes, as ``BaseMultilayerPerceptron._fit_*`` do.
"""
import warnings

import numpy as np

from minidl import backends
from minidl.autograd import grad_mode
from minidl.autograd.tensor import constant
from minidl.estimators import network
from minidl.estimators.sklearn_compat import ConvergenceWarning
from minidl.estimators.solvers import AdamOptimizer, SGDOptimizer
from minidl.estimators.validation_split import shuffle_split, stratified_shuffle_split

_SCIPY_FTOL = 2.220446049250313e-09  # SciPy's L-BFGS-B default ftol (factr=1e7 · float64 eps)


def fit_stochastic(clf, X, Y, sample_weight, incremental):
    backend = backends.get_backend(None)
    xp = backend.xp
    params = clf._device_params(backend, X.dtype)
    if not incremental or not hasattr(clf, "_optimizer"):
        if clf.solver == "sgd":
            clf._optimizer = SGDOptimizer(
                params, xp, clf.learning_rate_init, clf.learning_rate, clf.momentum,
                clf.nesterovs_momentum, clf.power_t)
        else:
            clf._optimizer = AdamOptimizer(
                params, xp, clf.learning_rate_init, clf.beta_1, clf.beta_2, clf.epsilon)

    if clf.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    early_stopping = clf.early_stopping
    if early_stopping:
        if clf.n_outputs_ == 1:  # stratified, except for multilabel (and multiclass) Y
            train, val = stratified_shuffle_split(Y, clf.validation_fraction,
                                                  clf._random_state)
        else:
            train, val = shuffle_split(len(Y), clf.validation_fraction, clf._random_state)
        if len(val) < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        X_train, Y_train = X[train], Y[train]
        X_val = backend.from_numpy(X[val])
        y_val = clf._label_binarizer.inverse_transform(Y[val])
        sw_train = None if sample_weight is None else sample_weight[train]
        sw_val = None if sample_weight is None else sample_weight[val]
    else:
        X_train, Y_train, sw_train = X, Y, sample_weight
        X_val = y_val = sw_val = None

    n_samples = X_train.shape[0]
    sample_idx = np.arange(n_samples, dtype=int)
    if clf.batch_size == "auto":
        batch_size = min(200, n_samples)
    else:
        if clf.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                          "going to be clipped")
        batch_size = int(np.clip(clf.batch_size, 1, n_samples))

    x_all = backend.from_numpy(X_train)
    T_all = clf._targets(Y_train, sw_train, X.dtype, backend)
    weights = None if sw_train is None else np.asarray(sw_train, dtype=np.float64)
    try:
        clf.n_iter_ = 0
        for _ in range(clf.max_iter):
            if clf.shuffle:
                # scikit-learn's utils.shuffle of the previous order: arange, shuffle, take
                order = np.arange(n_samples)
                clf._random_state.shuffle(order)
                sample_idx = sample_idx[order]
                idx = backend.from_numpy(sample_idx)
            accumulated_loss = 0.0
            for start in range(0, n_samples, batch_size):
                stop = min(start + batch_size, n_samples)
                batch = idx[start:stop] if clf.shuffle else slice(start, stop)
                if weights is None:
                    weight_sum = float(stop - start)
                else:
                    weight_sum = float(weights[sample_idx[start:stop] if clf.shuffle
                                               else batch].sum())
                batch_loss, grads = clf._loss_and_grads(params, x_all[batch], T_all[batch],
                                                         weight_sum, backend)
                accumulated_loss += batch_loss * (stop - start)
                clf._optimizer.update_params(params, grads, xp)

            clf.n_iter_ += 1
            clf.loss_ = accumulated_loss / n_samples
            clf.t_ += n_samples
            clf.loss_curve_.append(clf.loss_)
            if clf.verbose:
                print("Iteration %d, loss = %.8f" % (clf.n_iter_, clf.loss_))

            update_no_improvement_count(clf, early_stopping, params, backend,
                                              X_val, y_val, sw_val)
            clf._optimizer.iteration_ends(clf.t_)

            if clf._no_improvement_count > clf.n_iter_no_change:
                if early_stopping:
                    msg = ("Validation score did not improve more than tol=%f for %d "
                           "consecutive epochs." % (clf.tol, clf.n_iter_no_change))
                else:
                    msg = ("Training loss did not improve more than tol=%f for %d "
                           "consecutive epochs." % (clf.tol, clf.n_iter_no_change))
                if clf._optimizer.trigger_stopping(msg, clf.verbose):
                    break
                clf._no_improvement_count = 0

            if incremental:
                break
            if clf.n_iter_ == clf.max_iter:
                warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and the "
                              "optimization hasn't converged yet." % clf.max_iter,
                              ConvergenceWarning)
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.")

    clf._store_params(params, backend)
    if early_stopping:  # restore the best weights
        clf.coefs_ = clf._best_coefs
        clf.intercepts_ = clf._best_intercepts


def update_no_improvement_count(clf, early_stopping, params, backend, X_val, y_val, sw_val):
    if early_stopping:
        val_score = clf._score_params(params, backend, X_val, y_val, sw_val)
        clf.validation_scores_.append(val_score)
        if clf.verbose:
            print("Validation score: %f" % clf.validation_scores_[-1])
        last_valid_score = clf.validation_scores_[-1]
        if last_valid_score < (clf.best_validation_score_ + clf.tol):
            clf._no_improvement_count += 1
        else:
            clf._no_improvement_count = 0
        if last_valid_score > clf.best_validation_score_:
            clf.best_validation_score_ = last_valid_score
            n = len(params) // 2
            copies = [np.array(backend.to_numpy(p), copy=True) for p in params]
            clf._best_coefs, clf._best_intercepts = copies[:n], copies[n:]
    else:
        if clf.loss_curve_[-1] > clf.best_loss_ - clf.tol:
            clf._no_improvement_count += 1
        else:
            clf._no_improvement_count = 0
        if clf.loss_curve_[-1] < clf.best_loss_:
            clf.best_loss_ = clf.loss_curve_[-1]


def fit_lbfgs(clf, X, Y, sample_weight):
    """Full-batch L-BFGS with ``minidl.optim.LBFGS`` (scikit-learn: SciPy's L-BFGS-B).

    Mapping of scikit-learn's call ``minimize(method='L-BFGS-B', options={'maxiter':
    max_iter, 'maxfun': max_fun, 'gtol': tol})`` (memory maxcor=10, ftol=2.2e-9):

        max_iter → max_iter                  max_fun → max_eval
        tol      → tolerance_grad (stop when max |gradient| ≤ tol, as SciPy's gtol)
        ftol     → tolerance_change=2.2e-9 (PyTorch's test is absolute, SciPy's relative
                   to max(|f|, 1); the same for losses below 1)
        maxcor   → history_size=10, line search 'strong_wolfe' (SciPy's dcsrch also
                   enforces the strong Wolfe conditions)

    The two implementations take different line-search steps, so the iterates, n_iter_
    and the final weights differ from scikit-learn's (the minimum reached is comparable).
    n_iter_ is the number of L-BFGS iterations performed; loss_ the loss at the end.
    """
    from minidl.optim import LBFGS  # imported when needed: only lbfgs uses it

    backend = backends.get_backend(None)
    leaves = [constant(p, backend).requires_grad_()
              for p in clf._device_params(backend, X.dtype)]
    x = constant(backend.from_numpy(X), backend)
    T = constant(clf._targets(Y, sample_weight, X.dtype, backend), backend)
    weight_sum = float(X.shape[0] if sample_weight is None else np.sum(sample_weight))
    optimizer = LBFGS(leaves, lr=1, max_iter=clf.max_iter, max_eval=clf.max_fun,
                      tolerance_grad=clf.tol, tolerance_change=_SCIPY_FTOL,
                      history_size=10, line_search_fn="strong_wolfe")
    evaluations = []

    def closure():
        optimizer.zero_grad()
        with grad_mode.enable_grad():
            loss = network.loss(leaves, x, T, weight_sum, clf.out_activation_,
                                clf.activation, float(clf.alpha))
            loss.backward()
        evaluations.append(loss.item())
        if clf.verbose:
            print("Evaluation %d, loss = %.8f" % (len(evaluations), evaluations[-1]))
        return loss

    optimizer.step(closure)
    state = optimizer.state[leaves[0]] if leaves[0] in optimizer.state else {}
    clf.n_iter_ = min(int(state.get("n_iter", 0)), clf.max_iter)
    with grad_mode.no_grad():
        clf.loss_ = network.loss(leaves, x, T, weight_sum, clf.out_activation_,
                                  clf.activation, float(clf.alpha)).item()
    clf._store_params([leaf.data for leaf in leaves], backend)
    converged_by = None
    if clf.n_iter_ >= clf.max_iter:
        converged_by = f"reached max_iter={clf.max_iter} iterations"
    elif len(evaluations) >= clf.max_fun:
        converged_by = f"reached max_fun={clf.max_fun} loss evaluations"
    if converged_by is not None:
        warnings.warn(f"lbfgs failed to converge after {clf.n_iter_} iteration(s): "
                      f"{converged_by}.\nIncrease the number of iterations (max_iter) or "
                      "scale the data, e.g. with sklearn.preprocessing.StandardScaler.",
                      ConvergenceWarning)

# -- prediction -----------------------------------------------------------------------
