"""Arrays in, batches out: how ``fit``/``evaluate``/``predict`` slice NumPy data (Keras's rules).

``x`` and ``y`` may be one array or a list/tuple/dict of arrays (several inputs or outputs).
Floating data is cast to the model's dtype (float32); integer labels stay integers.
"""
import math

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.keras.layers.node import flatten, map_structure


def as_arrays(data, float_dtype):
    """``data`` with every leaf a NumPy array (floats in ``float_dtype``); None stays None."""
    def convert(leaf):
        if leaf is None:
            return None
        if isinstance(leaf, Tensor):
            leaf = leaf.numpy()
        array = np.asarray(leaf)
        if array.dtype.kind == "f" and array.dtype != float_dtype:
            array = array.astype(float_dtype)
        elif array.dtype.kind == "b":
            array = array.astype(float_dtype)
        return array
    return map_structure(convert, data)


def num_samples(*structures):
    """The common length of every array in the structures (a clear error when they differ)."""
    sizes = {}
    for name, structure in zip(("x", "y", "sample_weight"), structures):
        for leaf in flatten(structure):
            if leaf is not None:
                sizes.setdefault(len(leaf), []).append(name)
    if not sizes:
        raise ValueError("No data given: pass x (and y) as NumPy arrays")
    if len(sizes) > 1:
        detail = ", ".join(f"{'/'.join(sorted(set(v)))}: {k}" for k, v in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous: the arrays hold different numbers of "
                         f"samples ({detail}). Make sure all arrays contain the same number of "
                         "samples.")
    return next(iter(sizes))


def take(structure, index):
    """Rows ``index`` (a slice or an index array) of every array of the structure."""
    return map_structure(lambda a: None if a is None else a[index], structure)


def train_validation_split(x, y, sample_weight, validation_split):
    """The last ``validation_split`` of the samples, taken before any shuffling (Keras's rule:
    the first ⌊n·(1 − split)⌋ samples train)."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
    n = num_samples(x, y, sample_weight)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to split "
                         f"it into a validation and training set as specified by "
                         f"`validation_split={validation_split}`. Either provide more data, or "
                         "a different value for the `validation_split` argument.")
    head, tail = slice(0, split_at), slice(split_at, n)
    return ((take(x, head), take(y, head), take(sample_weight, head)),
            (take(x, tail), take(y, tail), take(sample_weight, tail)))


def class_weights_to_sample_weights(y, class_weight, dtype):
    """Each sample's weight is the weight of its class (one-hot labels: their argmax)."""
    labels = np.asarray(y)
    if labels.ndim > 1:
        labels = labels.argmax(axis=-1) if labels.shape[-1] != 1 else labels[..., 0]
    labels = np.round(labels).astype(np.int64)
    weights = np.ones(labels.shape[0], dtype=dtype)
    for i, label in enumerate(labels):
        weights[i] = class_weight.get(int(label), 1.0)
    return weights


def batch_slices(n, batch_size, shuffle, rng):
    """Index arrays of the batches of one epoch (the last one may be smaller)."""
    order = rng.permutation(n) if shuffle else np.arange(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def unpack(data):
    """``(x, y, sample_weight)`` from a batch given as x, (x,), (x, y) or (x, y, sw)."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
        raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, "
                         f"sample_weight)`, found a tuple of {len(data)} items")
    return data, None, None
