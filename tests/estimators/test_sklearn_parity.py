"""Step-for-step agreement with scikit-learn's MLPClassifier (float64, same random_state).

minidl draws the same initial weights, the same shuffles and the same early-stopping split
from the same ``RandomState`` and applies scikit-learn's update forms, so in float64 the
weights after training agree to rounding (~1e-12), and stopping decisions (n_iter_) agree
exactly.
"""
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLP  # noqa: E402

from minidl.estimators import MLPClassifier  # noqa: E402


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


def fit_both(X, y, fit_kwargs=None, **params):
    ours, theirs = MLPClassifier(**params), SkMLP(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X, y, **(fit_kwargs or {}))
        theirs.fit(X, y, **(fit_kwargs or {}))
    return ours, theirs


def assert_same_model(ours, theirs, atol=1e-10):
    assert len(ours.coefs_) == len(theirs.coefs_)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12, atol=0)
    assert ours.out_activation_ == theirs.out_activation_
    assert ours.n_layers_ == theirs.n_layers_ and ours.n_outputs_ == theirs.n_outputs_
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)


@pytest.mark.parametrize("params", [
    dict(solver="adam"),
    dict(solver="adam", beta_1=0.8, beta_2=0.99, epsilon=1e-6, alpha=0.1, batch_size=32),
    dict(solver="sgd", learning_rate_init=0.05),
    dict(solver="sgd", learning_rate_init=0.05, nesterovs_momentum=False, momentum=0.5),
    dict(solver="sgd", learning_rate_init=0.05, momentum=0.0, shuffle=False),
    dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.2, power_t=0.3),
    dict(solver="adam", activation="tanh", hidden_layer_sizes=(7, 5), batch_size=40),
    dict(solver="adam", activation="logistic", hidden_layer_sizes=(6,)),
    dict(solver="sgd", activation="identity", hidden_layer_sizes=(4,), learning_rate_init=0.02),
], ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_multiclass_epochs_match_sklearn(iris, params):
    X, y = iris
    ours, theirs = fit_both(X, y, hidden_layer_sizes=params.pop("hidden_layer_sizes", (10,)),
                            random_state=3, max_iter=8, **params)
    assert_same_model(ours, theirs)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)


def test_binary_string_labels_match_sklearn(iris):
    X, y = iris
    labels = np.where(y == 2, "virginica", "other")
    ours, theirs = fit_both(X, labels, hidden_layer_sizes=(6,), random_state=0, max_iter=10)
    assert ours.out_activation_ == "logistic" and ours.coefs_[-1].shape == (6, 1)
    assert_same_model(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X), atol=1e-9)


def test_multilabel_matches_sklearn(iris):
    X, y = iris
    Y = np.stack([y == 0, y == 1, X[:, 0] > 0], axis=1).astype(int)
    ours, theirs = fit_both(X, Y, hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.1,
                            random_state=0, max_iter=10)
    assert_same_model(ours, theirs)
    assert ours.predict(X).shape == (150, 3)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, Y) == theirs.score(X, Y)  # subset accuracy


def test_sample_weight_matches_sklearn(iris):
    X, y = iris
    w = np.random.RandomState(0).uniform(0.1, 3, size=len(y))
    ours, theirs = fit_both(X, y, fit_kwargs={"sample_weight": w}, hidden_layer_sizes=(5,),
                            random_state=1, max_iter=6)
    assert_same_model(ours, theirs)


@pytest.mark.parametrize("params", [
    dict(solver="adam", learning_rate_init=0.01),          # multiclass: plain shuffle split
    dict(solver="sgd", learning_rate_init=0.05, tol=1e-3),
], ids=["adam", "sgd"])
def test_early_stopping_matches_sklearn(iris, params):
    X, y = iris
    ours, theirs = fit_both(X, y, hidden_layer_sizes=(10,), early_stopping=True,
                            validation_fraction=0.2, n_iter_no_change=3, random_state=0,
                            max_iter=300, **params)
    assert ours.n_iter_ == theirs.n_iter_ < 300  # stopped early, at the same epoch
    assert ours.validation_scores_ == pytest.approx(theirs.validation_scores_, abs=1e-12)
    assert ours.best_validation_score_ == theirs.best_validation_score_
    assert ours.best_loss_ is None and ours.validation_scores_ is not None
    assert_same_model(ours, theirs)  # the restored best weights


def test_early_stopping_binary_uses_the_stratified_split(iris):
    X, y = iris
    ours, theirs = fit_both(X, y == 1, hidden_layer_sizes=(4,), early_stopping=True,
                            validation_fraction=0.25, n_iter_no_change=2, random_state=5,
                            learning_rate_init=0.01, max_iter=200)
    assert ours.n_iter_ == theirs.n_iter_ < 200
    assert ours.validation_scores_ == pytest.approx(theirs.validation_scores_, abs=1e-12)
    assert_same_model(ours, theirs)


def test_tol_stopping_and_adaptive_learning_rate_match_sklearn(iris):
    X, y = iris
    ours, theirs = fit_both(X, y, hidden_layer_sizes=(8,), solver="sgd", learning_rate="adaptive",
                            learning_rate_init=0.5, tol=1e-2, n_iter_no_change=2,
                            random_state=0, max_iter=60)
    assert ours._optimizer.learning_rate == theirs._optimizer.learning_rate < 0.5
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-12)
    assert_same_model(ours, theirs, atol=1e-9)


def test_partial_fit_and_warm_start_match_sklearn(iris):
    X, y = iris
    ours, theirs = MLPClassifier((6,), random_state=0), SkMLP((6,), random_state=0)
    for start in (0, 50, 100, 0):
        part = slice(start, start + 50)
        ours.partial_fit(X[part], y[part], classes=[0, 1, 2])
        theirs.partial_fit(X[part], y[part], classes=[0, 1, 2])
    assert_same_model(ours, theirs)

    params = dict(hidden_layer_sizes=(6,), random_state=0, max_iter=3, warm_start=True)
    ours, theirs = fit_both(X, y, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X, y)
        theirs.fit(X, y)
    assert len(ours.loss_curve_) == 6
    assert_same_model(ours, theirs)


def test_float32_is_trained_in_float32(iris):
    X, y = iris
    ours, theirs = fit_both(X.astype(np.float32), y, hidden_layer_sizes=(5,), random_state=0,
                            max_iter=5, solver="sgd", learning_rate_init=0.05)
    assert all(c.dtype == np.float32 for c in ours.coefs_ + ours.intercepts_)
    assert ours.predict_proba(X.astype(np.float32)).dtype == np.float32
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_lbfgs_reaches_sklearns_minimum(iris):
    X, y = iris
    ours, theirs = fit_both(X, y, hidden_layer_sizes=(5,), solver="lbfgs", activation="tanh",
                            alpha=1.0, tol=1e-7, random_state=0, max_iter=500)
    assert not hasattr(ours, "loss_curve_")  # scikit-learn sets it for sgd/adam only
    assert 0 < ours.n_iter_ < 500 and ours.t_ == 0
    # a smooth, strongly regularised problem: both L-BFGS variants (different line searches,
    # so different iterates and n_iter_) find the same minimum
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-3)
