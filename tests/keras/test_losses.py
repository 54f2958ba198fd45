"""minidl.keras.losses against Keras 3 (torch backend): values and gradients of every loss,
with from_logits, label smoothing, sample weights, reductions, clipping, and the names."""
import inspect

import numpy as np
import pytest

import minidl as mdl
from minidl.autograd import gradcheck
from minidl.keras import losses
from tests.keras.reference import keras_module

RNG = np.random.default_rng(3)


def _probabilities(shape, extreme=False):
    p = RNG.random(shape).astype(np.float32) + 0.05
    p /= p.sum(-1, keepdims=True)
    if extreme:   # exact 0s and 1s: only Keras's clipping keeps the logs finite
        p[0] = 0.0
        p[0, ..., 0] = 1.0
    return p


def _logits(shape):
    return (3 * RNG.standard_normal(shape)).astype(np.float32)


def _one_hot(labels, c):
    return np.eye(c, dtype=np.float32)[labels]


def _case_data():
    labels = RNG.integers(0, 5, size=8)
    sw = RNG.random(8).astype(np.float32)
    binary_t = (RNG.random((8, 3)) > 0.5).astype(np.float32)
    yield "scce-probs", "SparseCategoricalCrossentropy", {}, labels, _probabilities((8, 5)), None
    yield "scce-extreme", "SparseCategoricalCrossentropy", {}, labels, \
        _probabilities((8, 5), True), None
    yield "scce-logits", "SparseCategoricalCrossentropy", {"from_logits": True}, labels, \
        _logits((8, 5)), None
    yield "scce-labels-n1-weighted", "SparseCategoricalCrossentropy", {"from_logits": True}, \
        labels[:, None].astype(np.float32), _logits((8, 5)), sw
    yield "scce-rank3", "SparseCategoricalCrossentropy", {}, labels.reshape(2, 4), \
        _probabilities((2, 4, 5)), None
    yield "scce-ignore", "SparseCategoricalCrossentropy", {"from_logits": True,
                                                           "ignore_class": 2}, \
        labels, _logits((8, 5)), None
    yield "scce-sum", "SparseCategoricalCrossentropy", {"reduction": "sum"}, labels, \
        _probabilities((8, 5)), sw
    yield "cce-probs", "CategoricalCrossentropy", {}, _one_hot(labels, 5), \
        _probabilities((8, 5)), None
    yield "cce-extreme", "CategoricalCrossentropy", {}, _one_hot(labels, 5), \
        _probabilities((8, 5), True), None
    yield "cce-logits-smoothing", "CategoricalCrossentropy", {"from_logits": True,
                                                              "label_smoothing": 0.1}, \
        _one_hot(labels, 5), _logits((8, 5)), sw
    yield "cce-smoothing", "CategoricalCrossentropy", {"label_smoothing": 0.2}, \
        _one_hot(labels, 5), _probabilities((8, 5)), None
    yield "cce-mean-with-sw", "CategoricalCrossentropy", \
        {"reduction": "mean_with_sample_weight"}, _one_hot(labels, 5), \
        _probabilities((8, 5)), sw
    yield "cce-none", "CategoricalCrossentropy", {"reduction": None}, _one_hot(labels, 5), \
        _probabilities((8, 5)), sw
    yield "bce-probs", "BinaryCrossentropy", {}, binary_t, \
        RNG.random((8, 3)).astype(np.float32), None
    yield "bce-extreme", "BinaryCrossentropy", {}, binary_t, \
        np.round(RNG.random((8, 3))).astype(np.float32), None
    yield "bce-logits-smoothing", "BinaryCrossentropy", {"from_logits": True,
                                                         "label_smoothing": 0.1}, binary_t, \
        _logits((8, 3)), sw
    yield "bce-rank1-target", "BinaryCrossentropy", {}, binary_t[:, 0], \
        RNG.random((8, 1)).astype(np.float32), sw
    yield "bce-smoothing", "BinaryCrossentropy", {"label_smoothing": 0.3}, binary_t, \
        RNG.random((8, 3)).astype(np.float32), None
    yield "mse", "MeanSquaredError", {}, RNG.standard_normal((8, 3)).astype(np.float32), \
        RNG.standard_normal((8, 3)).astype(np.float32), None
    yield "mse-rank1", "MeanSquaredError", {}, RNG.standard_normal(8).astype(np.float32), \
        RNG.standard_normal((8, 1)).astype(np.float32), sw
    yield "mse-sum", "MeanSquaredError", {"reduction": "sum"}, \
        RNG.standard_normal((8, 3)).astype(np.float32), \
        RNG.standard_normal((8, 3)).astype(np.float32), sw


CASES = list(_case_data())


def keras_loss(name, options, y_true, y_pred, sample_weight):
    """Keras's value and its gradient with respect to y_pred."""
    keras = keras_module()
    import torch
    pred = torch.tensor(y_pred, requires_grad=True)
    sw = None if sample_weight is None else torch.tensor(sample_weight)
    value = getattr(keras.losses, name)(**options)(torch.tensor(y_true), pred, sample_weight=sw)
    value.sum().backward()
    return value.detach().numpy(), pred.grad.numpy()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_keras(case, device):
    _, name, options, y_true, y_pred, sample_weight = case
    expected, expected_grad = keras_loss(name, options, y_true, y_pred, sample_weight)
    pred = mdl.Tensor(y_pred, device=device, requires_grad=True)
    value = getattr(losses, name)(**options)(y_true, pred, sample_weight=sample_weight)
    value.sum().backward()
    np.testing.assert_allclose(value.numpy(), expected, rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(pred.grad.numpy(), expected_grad, rtol=1e-5, atol=1e-6)


FUNCTIONS = [("sparse_categorical_crossentropy", {}, 0), ("categorical_crossentropy", {}, 7),
             ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1}, 9),
             ("binary_crossentropy", {}, 13), ("binary_crossentropy", {"from_logits": True}, 15),
             ("mean_squared_error", {}, 18)]


@pytest.mark.parametrize("fn, options, index", FUNCTIONS)
def test_functions_match_keras(fn, options, index):
    keras = keras_module()
    _, _, _, y_true, y_pred, _ = CASES[index]
    import torch
    expected = getattr(keras.losses, fn)(torch.tensor(y_true), torch.tensor(y_pred), **options)
    actual = getattr(losses, fn)(y_true, y_pred, **options)
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("name, options, make", [
    ("SparseCategoricalCrossentropy", {}, lambda: ([1, 0, 2], _probabilities((3, 4)))),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, lambda: ([1, 0, 2], _logits((3, 4)))),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1},
     lambda: (_one_hot([1, 0, 2], 4), _probabilities((3, 4)))),
    ("BinaryCrossentropy", {}, lambda: (np.array([[1.0, 0.0]]), RNG.random((1, 2)) * 0.8 + 0.1)),
    ("BinaryCrossentropy", {"from_logits": True}, lambda: (np.array([[1.0, 0.0]]), _logits((1, 2)))),
    ("MeanSquaredError", {}, lambda: (RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2)))),
])
def test_gradcheck(name, options, make, device):
    y_true, y_pred = make()
    loss = getattr(losses, name)(**options)
    pred = mdl.Tensor(np.asarray(y_pred, np.float64), device=device, requires_grad=True)
    assert gradcheck(lambda p: loss(y_true, p), (pred,))


@pytest.mark.parametrize("name", ["SparseCategoricalCrossentropy", "CategoricalCrossentropy",
                                  "BinaryCrossentropy", "MeanSquaredError"])
def test_signature_and_config_match_keras(name):
    keras = keras_module()
    ours = inspect.signature(getattr(losses, name).__init__).parameters
    theirs = inspect.signature(getattr(keras.losses, name).__init__).parameters
    assert [(k, p.default) for k, p in ours.items()] == \
        [(k, p.default) for k, p in theirs.items()]
    assert getattr(losses, name)().get_config() == getattr(keras.losses, name)().get_config()


def test_get_names():
    assert losses.get("mse") is losses.mean_squared_error
    assert isinstance(losses.get("BinaryCrossentropy"), losses.BinaryCrossentropy)
    assert losses.get("sparse_categorical_crossentropy") is \
        losses.sparse_categorical_crossentropy
    made = losses.get({"class_name": "CategoricalCrossentropy",
                       "config": {"from_logits": True}})
    assert made.from_logits is True
    again = losses.deserialize(losses.serialize(made))
    assert again.get_config() == made.get_config()


def test_unknown_loss_lists_the_known_ones():
    with pytest.raises(ValueError, match="known losses: .*'mean_squared_error'"):
        losses.get("mean_square_error")
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")


@pytest.mark.parametrize("t_shape, p_shape, expected", [
    ((8,), (8, 1), "binary_crossentropy"), ((8, 1), (8, 1), "binary_crossentropy"),
    ((8,), (8, 5), "sparse_categorical_crossentropy"),
    ((8, 1), (8, 5), "sparse_categorical_crossentropy"),
    ((8, 5), (8, 5), "categorical_crossentropy")])
def test_crossentropy_is_resolved_by_shapes_as_keras(t_shape, p_shape, expected):
    keras = keras_module()
    from keras.src.trainers.compile_utils import get_loss
    y_true, y_pred = np.zeros(t_shape), np.zeros(p_shape)
    ours = losses.resolve_loss("crossentropy", y_true, y_pred)
    theirs = get_loss("crossentropy", keras.ops.convert_to_tensor(y_true),
                      keras.ops.convert_to_tensor(y_pred))
    assert ours.fn.__name__ == theirs.fn.__name__ == expected
    assert ours.name == theirs.name == "crossentropy"


def test_shape_mismatch_is_named():
    with pytest.raises(ValueError, match=r"target.shape=\(2, 3\), output.shape=\(2, 4\)"):
        losses.CategoricalCrossentropy()(np.zeros((2, 3)), np.ones((2, 4)) / 4)
    with pytest.raises(ValueError, match="same shape up until the last dimension"):
        losses.SparseCategoricalCrossentropy()([0, 1, 2], np.ones((2, 4)) / 4)
