"""scikit-learn's own estimator suite, run on minidl's MLPClassifier.

No check is excluded: every check that scikit-learn 1.9 yields for this estimator passes.
(Skipped ones are skipped by scikit-learn itself: pandas not installed, array-API input not
requested, no decision_function.) One exclusion scikit-learn makes for its own MLPClassifier
is mirrored in reverse: it runs ``check_sample_weight_equivalence_on_dense_data`` with
solver='lbfgs' (the minibatch solvers shuffle, so weighting a sample by 2 and repeating it
give different batches); the default instance happens to pass it too, and the lbfgs case is
run explicitly below.
"""
import warnings

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import (  # noqa: E402
    check_sample_weight_equivalence_on_dense_data, parametrize_with_checks)

from minidl.estimators import MLPClassifier  # noqa: E402


@parametrize_with_checks([MLPClassifier(max_iter=100)])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on the checks' tiny data sets
        check(estimator)


def test_sample_weight_equivalence_lbfgs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_sample_weight_equivalence_on_dense_data("MLPClassifier",
                                                      MLPClassifier(solver="lbfgs"))
