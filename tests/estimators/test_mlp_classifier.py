"""MLPClassifier's API: parameters, attributes, errors, devices, and life without scikit-learn."""
import inspect
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minidl as mdl
from minidl.estimators import ConvergenceWarning, MLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::minidl.estimators.ConvergenceWarning")


@pytest.fixture(scope="module")
def blobs():
    rs = np.random.RandomState(0)
    centers = np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]])
    y = rs.randint(0, 3, size=90)
    return centers[y] + rs.normal(scale=0.5, size=(90, 3)), y


SKLEARN_DEFAULTS = dict(
    hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=1e-4, batch_size="auto",
    learning_rate="constant", learning_rate_init=1e-3, power_t=0.5, max_iter=200, shuffle=True,
    random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
    nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9,
    beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000)


def test_constructor_defaults_are_sklearns():
    assert MLPClassifier().get_params() == SKLEARN_DEFAULTS
    sk = pytest.importorskip("sklearn.neural_network")
    ours = inspect.signature(MLPClassifier.__init__).parameters
    theirs = inspect.signature(sk.MLPClassifier.__init__).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.values()]


def test_fitted_attributes(blobs, device):
    mdl.set_default_device(device)
    X, y = blobs
    clf = MLPClassifier((7, 4), random_state=0, max_iter=5)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(5\) reached"):
        clf.fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(3, 7), (7, 4), (4, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (4,), (3,)]
    assert all(isinstance(c, np.ndarray) for c in clf.coefs_ + clf.intercepts_)
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    assert clf.n_iter_ == 5 and clf.t_ == 5 * 90 and len(clf.loss_curve_) == 5
    assert clf.loss_ == clf.loss_curve_[-1] and clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.n_features_in_ == 3
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    proba = clf.predict_proba(X)
    assert proba.shape == (90, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_same_result_on_every_device(blobs, device):
    X, y = blobs
    reference = MLPClassifier((5,), solver="sgd", random_state=2, max_iter=3,
                              early_stopping=True, validation_fraction=0.3).fit(X, y)
    mdl.set_default_device(device)
    clf = MLPClassifier((5,), solver="sgd", random_state=2, max_iter=3,
                        early_stopping=True, validation_fraction=0.3).fit(X, y)
    for a, b in zip(clf.coefs_ + clf.intercepts_, reference.coefs_ + reference.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert clf.validation_scores_ == reference.validation_scores_


def test_random_state_reproducible_and_instance_accepted(blobs):
    X, y = blobs
    a = MLPClassifier((4,), random_state=11, max_iter=3).fit(X, y)
    b = MLPClassifier((4,), random_state=11, max_iter=3).fit(X, y)
    c = MLPClassifier((4,), random_state=np.random.RandomState(11), max_iter=3).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    np.testing.assert_array_equal(a.coefs_[0], c.coefs_[0])
    d = MLPClassifier((4,), random_state=12, max_iter=3).fit(X, y)
    assert not np.array_equal(a.coefs_[0], d.coefs_[0])


def test_verbose_prints_sklearns_lines(blobs, capsys):
    X, y = blobs
    MLPClassifier((4,), random_state=0, max_iter=2, verbose=True).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ") and lines[1].startswith("Iteration 2, ")
    assert len(lines[0].split("= ")[1].split(".")[1]) == 8


def test_tol_stopping_message(blobs, capsys):
    X, y = blobs
    clf = MLPClassifier((4,), random_state=0, tol=10.0, n_iter_no_change=2, verbose=True)
    clf.fit(X, y)
    # epoch 1 improves on best_loss_=inf; epochs 2, 3, 4 count 1, 2, 3 > n_iter_no_change=2
    assert clf.n_iter_ == 4
    assert "Training loss did not improve more than tol=10.000000 for 2 consecutive epochs. " \
           "Stopping." in capsys.readouterr().out


def test_partial_fit_rules(blobs):
    X, y = blobs
    clf = MLPClassifier((4,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:30], y[:30], classes=[0, 1, 2])
    assert clf.n_iter_ == 1 and clf.t_ == 30
    clf.partial_fit(X[30:], y[30:])
    assert clf.t_ == 90
    with pytest.raises(ValueError, match="is not the same as on last call"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X[:3], [0, 1, 5])
    lbfgs = MLPClassifier(solver="lbfgs")
    assert not hasattr(lbfgs, "partial_fit")
    with pytest.raises(AttributeError, match="lbfgs is not stochastic"):
        lbfgs.partial_fit(X, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


def test_input_errors(blobs):
    X, y = blobs
    clf = MLPClassifier((4,), random_state=0, max_iter=2)
    with pytest.raises(ValueError, match="not fitted|fit"):
        clf.predict(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(bad, y)
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.fit(bad, y)
    with pytest.raises(ValueError, match="Expected 2D array"):
        clf.fit(X[:, 0], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(X, y[:-1])
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, y + 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but MLPClassifier is expecting 3"):
        clf.predict(X[:, :2])
    with pytest.raises(ValueError, match="'alpha' parameter of MLPClassifier must be a float"):
        MLPClassifier(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="'solver' parameter"):
        MLPClassifier(solver="newton").fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be > 0"):
        MLPClassifier(hidden_layer_sizes=(3, 0)).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used"):
        MLPClassifier((3,), warm_start=True, max_iter=1).fit(X, y).fit(X[y < 2], y[y < 2])


def test_sklearn_tools_work(blobs):
    pytest.importorskip("sklearn")
    from sklearn.base import clone, is_classifier
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = blobs
    clf = MLPClassifier((5,), solver="lbfgs", random_state=0)
    assert is_classifier(clf)
    copy = clone(clf.set_params(alpha=0.01))
    assert copy.get_params() == clf.get_params() and copy is not clf
    pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    assert pipe.score(X, y) > 0.9
    search = GridSearchCV(MLPClassifier((5,), solver="lbfgs", random_state=0),
                          {"alpha": [1e-3, 1.0]}, cv=3).fit(X, y)
    assert search.best_params_["alpha"] in (1e-3, 1.0)


def test_pickle_roundtrip_keeps_predictions_and_partial_fit_state(blobs):
    import pickle
    X, y = blobs
    clf = MLPClassifier((4,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(again.partial_fit(X, y).coefs_[0],
                                  clf.partial_fit(X, y).coefs_[0])


_WITHOUT_SKLEARN = r"""
import sys, warnings, pickle
import numpy as np

class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError("scikit-learn is hidden for this test")
sys.meta_path.insert(0, Block())

from minidl.estimators import ConvergenceWarning, MLPClassifier
from minidl.estimators import sklearn_compat
assert not sklearn_compat.HAVE_SKLEARN and "sklearn" not in sys.modules
assert issubclass(ConvergenceWarning, UserWarning)

rs = np.random.RandomState(0)
X = rs.normal(size=(60, 4)); y = np.where(X[:, 0] + X[:, 1] > 0, "pos", "neg")
clf = MLPClassifier((6,), random_state=0, max_iter=300)
assert clf.get_params()["alpha"] == 1e-4
clf.set_params(alpha=1e-3, learning_rate_init=0.01)
assert repr(clf) == ("MLPClassifier(hidden_layer_sizes=(6,), alpha=0.001, "
                     "learning_rate_init=0.01, max_iter=300, random_state=0)"), repr(clf)
try:
    clf.predict(X)
except ValueError as e:
    assert "not fitted" in str(e)
else:
    raise AssertionError("predict before fit must fail")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X, y)
assert clf.score(X, y) > 0.9, clf.score(X, y)
assert list(clf.classes_) == ["neg", "pos"] and clf.predict_proba(X).shape == (60, 2)
for bad, message in [(X[:, 0], "Expected 2D array"), (np.full((3, 4), np.nan), "NaN")]:
    try:
        clf.predict(bad) if bad.ndim == 1 else clf.fit(bad, y[:3])
    except ValueError as e:
        assert message in str(e), str(e)
    else:
        raise AssertionError(message)
try:
    clf.predict(X[:, :3])
except ValueError as e:
    assert "X has 3 features, but MLPClassifier is expecting 4" in str(e)
try:
    clf.set_params(nope=1)
except ValueError as e:
    assert "Invalid parameter 'nope'" in str(e)
Y = np.stack([X[:, 0] > 0, X[:, 1] > 0], axis=1).astype(int)
multi = MLPClassifier((6,), solver="lbfgs", random_state=0).fit(X, Y)
assert multi.predict(X).shape == (60, 2) and multi.score(X, Y) > 0.8
es = MLPClassifier((6,), random_state=0, early_stopping=True, max_iter=50).fit(X, y)
assert len(es.validation_scores_) == es.n_iter_
pickle.loads(pickle.dumps(clf)).predict(X)
print("ok")
"""


def test_works_without_sklearn():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run([sys.executable, "-c", _WITHOUT_SKLEARN], capture_output=True,
                            text=True, cwd=root, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
