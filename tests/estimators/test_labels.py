"""Label handling and the early-stopping split, against scikit-learn's own functions."""
import numpy as np
import pytest

from minidl.estimators.labels import LabelBinarizer, type_of_target, unique_labels
from minidl.estimators.validation_split import shuffle_split, stratified_shuffle_split

TARGETS = [
    [1, 2, 2, 1],
    [0, 1, 2, 3, 1],
    ["b", "a", "b"],
    ["x", "y", "z", "x"],
    [1.0, 2.0, 2.0],
    [True, False, True],
    [7, 7, 7],
    np.array([[0, 1], [1, 1], [0, 0]]),
    np.array([[0, 1, 0], [1, 0, 1]], dtype=bool),
    np.array([[1.0, 0.0], [0.0, 1.0]]),
    np.array([[1], [2], [1]]),
]


@pytest.mark.parametrize("y", TARGETS, ids=range(len(TARGETS)))
def test_label_binarizer_matches_sklearn(y):
    sk_preprocessing = pytest.importorskip("sklearn.preprocessing")
    from sklearn.utils.multiclass import type_of_target as sk_type_of_target
    assert type_of_target(y) == sk_type_of_target(y)
    ours, theirs = LabelBinarizer().fit(y), sk_preprocessing.LabelBinarizer().fit(y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.y_type_ == theirs.y_type_
    Y = ours.transform(y)
    np.testing.assert_array_equal(Y, theirs.transform(y))
    scores = np.random.RandomState(0).rand(*Y.shape)
    if Y.shape[1] == 1:
        scores = scores.ravel()
    np.testing.assert_array_equal(ours.inverse_transform(scores), theirs.inverse_transform(scores))


@pytest.mark.parametrize("y, kind", [
    ([0.5, 1.5], "continuous"),
    (np.array([[1, 2], [3, 4]]), "multiclass-multioutput"),
    (np.array([[0.5, 1.0], [0.0, 1.0]]), "continuous-multioutput"),
    ([[[1]]], "unknown"),
])
def test_targets_that_cannot_be_classes(y, kind):
    assert type_of_target(y) == kind
    with pytest.raises(ValueError):
        LabelBinarizer().fit(y)


def test_unknown_label_message_and_partial_classes():
    with pytest.raises(ValueError, match="Unknown label type"):
        unique_labels([0.1, 0.2, 0.7])
    lb = LabelBinarizer().fit([3, 1, 2])
    np.testing.assert_array_equal(lb.transform([2, 5]), [[0, 1, 0], [0, 0, 0]])  # 5: unseen


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_splits_match_sklearns_train_test_split(seed):
    pytest.importorskip("sklearn")
    from sklearn.model_selection import train_test_split
    y = np.repeat([0, 1, 1, 1, 0, 1, 0], 9)[:57].reshape(-1, 1).astype(bool)
    idx = np.arange(len(y))
    train, val = stratified_shuffle_split(y, 0.2, np.random.RandomState(seed))
    sk_train, sk_val = train_test_split(idx, test_size=0.2, stratify=y,
                                        random_state=np.random.RandomState(seed))
    np.testing.assert_array_equal(train, sk_train)
    np.testing.assert_array_equal(val, sk_val)
    train, val = shuffle_split(len(y), 0.15, np.random.RandomState(seed))
    sk_train, sk_val = train_test_split(idx, test_size=0.15,
                                        random_state=np.random.RandomState(seed))
    np.testing.assert_array_equal(train, sk_train)
    np.testing.assert_array_equal(val, sk_val)


def test_stratified_split_needs_two_members_per_class():
    with pytest.raises(ValueError, match="only 1 member"):
        stratified_shuffle_split(np.array([0, 0, 0, 1]), 0.5, np.random.RandomState(0))
