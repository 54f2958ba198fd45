"""The held-out split of ``early_stopping``: scikit-learn's ``train_test_split``, draw for draw.

``MLPClassifier(early_stopping=True)`` sets aside ``validation_fraction`` of the training data
with ``train_test_split(X, y, random_state=rs, test_size=validation_fraction,
stratify=y if n_outputs_ == 1 else None)``. These functions repeat scikit-learn's algorithm
(``ShuffleSplit`` / ``StratifiedShuffleSplit`` and its ``_approximate_mode``) with the same
calls on the same ``RandomState``, so a given ``random_state`` gives the same split.
"""
import math

import numpy as np


def _split_sizes(n_samples, test_size):
    if not 0 < test_size < 1:
        raise ValueError(f"test_size={test_size} should be either positive and smaller than "
                         f"the number of samples {n_samples} or a float in the (0, 1) range")
    n_test = math.ceil(test_size * n_samples)
    n_train = n_samples - n_test
    if n_train == 0:
        raise ValueError(f"With n_samples={n_samples}, test_size={test_size} and "
                         "train_size=None, the resulting train set will be empty. Adjust any "
                         "of the aforementioned parameters.")
    return n_train, n_test


def approximate_mode(class_counts, n_draws, rng):
    """How many of ``n_draws`` to take from each class (ties broken by ``rng``), as scikit-learn."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    if need_to_add > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (inds,) = np.where(remainder == value)
            add_now = min(len(inds), need_to_add)
            inds = rng.choice(inds, size=add_now, replace=False)
            floored[inds] += 1
            need_to_add -= add_now
            if need_to_add == 0:
                break
    return floored.astype(int)


def shuffle_split(n_samples, test_size, rng):
    """(train, test) index arrays of a random partition (``ShuffleSplit``)."""
    n_train, n_test = _split_sizes(n_samples, test_size)
    permutation = rng.permutation(n_samples)
    return permutation[n_test:n_test + n_train], permutation[:n_test]


def stratified_shuffle_split(y, test_size, rng):
    """(train, test) index arrays that keep the class proportions of y (``StratifiedShuffleSplit``).

    Args:
        y: labels of shape (n,) (a 2-D y must have one column).
        test_size: fraction in (0, 1) of the samples that go to the test part.
        rng: a ``numpy.random.RandomState``.
    """
    y = np.asarray(y)
    if y.ndim == 2:
        y = y[:, 0]
    n_train, n_test = _split_sizes(len(y), test_size)
    classes, y_indices, class_counts = np.unique(y, return_inverse=True, return_counts=True)
    if np.min(class_counts) < 2:
        raise ValueError("The least populated classes in y have only 1 member, which is too "
                         "few. The minimum number of groups for any class cannot be less than "
                         f"2. Classes with too few members are: "
                         f"{classes[class_counts < 2].tolist()}")
    if n_train < len(classes):
        raise ValueError(f"The train_size = {n_train} should be greater or equal to the number "
                         f"of classes = {len(classes)}")
    if n_test < len(classes):
        raise ValueError(f"The test_size = {n_test} should be greater or equal to the number "
                         f"of classes = {len(classes)}")
    class_indices = np.split(np.argsort(y_indices, kind="stable"), np.cumsum(class_counts)[:-1])
    n_i = approximate_mode(class_counts, n_train, rng)
    t_i = approximate_mode(class_counts - n_i, n_test, rng)
    train, test = [], []
    for i in range(len(classes)):
        permutation = rng.permutation(class_counts[i])
        members = class_indices[i].take(permutation, mode="clip")
        train.extend(members[:n_i[i]])
        test.extend(members[n_i[i]:n_i[i] + t_i[i]])
    return rng.permutation(train), rng.permutation(test)
