"""Test accuracy within half a point of scikit-learn's MLPClassifier, same hyperparameters.

'sgd' and 'adam' follow scikit-learn's run step for step, so their accuracies agree exactly.
'lbfgs' is a different implementation (``minidl.optim.LBFGS``, PyTorch's algorithm, against
SciPy's L-BFGS-B): its iterates differ, so the comparison averages two seeds on problems where
both runs converge (the test set is small: one digit is 0.2 or 0.1 points).
"""
import os
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLP  # noqa: E402

from minidl.estimators import MLPClassifier  # noqa: E402

STOCHASTIC = {
    "adam": dict(solver="adam", max_iter=40),
    "sgd": dict(solver="sgd", learning_rate_init=0.1, max_iter=40),
}
LBFGS = dict(solver="lbfgs", activation="tanh", alpha=1.0, max_iter=300)


def accuracies(data, seeds, **params):
    X_train, X_test, y_train, y_test = data
    ours, theirs = [], []
    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: both stop at max_iter
            ours.append(MLPClassifier(random_state=seed, **params).fit(X_train, y_train)
                        .score(X_test, y_test))
            theirs.append(SkMLP(random_state=seed, **params).fit(X_train, y_train)
                          .score(X_test, y_test))
    return 100 * np.mean(ours), 100 * np.mean(theirs)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def mnist_subset():
    if not os.environ.get("MINIDL_DATA"):
        pytest.skip("MNIST needs $MINIDL_DATA (the data root holding mnist/)")
    from minidl.data import mnist
    X, y = mnist.load("train", download=False)
    X_test, y_test = mnist.load("test", download=False)
    return (X[:5000].reshape(5000, -1) / 255.0, X_test[:1000].reshape(1000, -1) / 255.0,
            y[:5000], y_test[:1000])


@pytest.mark.parametrize("solver", sorted(STOCHASTIC))
def test_digits_stochastic(digits, solver):
    ours, theirs = accuracies(digits, [0], hidden_layer_sizes=(64,), **STOCHASTIC[solver])
    assert ours > 95 and abs(ours - theirs) <= 0.5


def test_digits_lbfgs(digits):
    ours, theirs = accuracies(digits, [0, 1], hidden_layer_sizes=(32,), **LBFGS)
    assert ours > 95 and abs(ours - theirs) <= 0.5


@pytest.mark.parametrize("solver", sorted(STOCHASTIC))
def test_mnist_subset_stochastic(mnist_subset, solver):
    params = dict(STOCHASTIC[solver], max_iter=10)
    ours, theirs = accuracies(mnist_subset, [0], hidden_layer_sizes=(64,), **params)
    assert ours > 88 and abs(ours - theirs) <= 0.5


def test_mnist_subset_lbfgs(mnist_subset):
    X_train, X_test, y_train, y_test = mnist_subset
    small = (X_train[:2000], X_test, y_train[:2000], y_test)
    ours, theirs = accuracies(small, [0, 1], hidden_layer_sizes=(16,), **dict(LBFGS, max_iter=150))
    assert ours > 85 and abs(ours - theirs) <= 0.5
