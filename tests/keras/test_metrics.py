"""minidl.keras.metrics against Keras 3 (torch backend): results over scripted sequences of
updates (with and without sample weights, several shapes), resets, names, configs, and
'accuracy' resolved as Keras's compile resolves it."""
import inspect

import numpy as np
import pytest

import minidl as mdl
from minidl.keras import losses, metrics
from tests.keras.reference import keras_module

RNG = np.random.default_rng(5)


def _probs(n, c):
    p = RNG.random((n, c)).astype(np.float32) + 0.01
    return p / p.sum(-1, keepdims=True)


def _sequences():
    labels = [RNG.integers(0, 4, size=6) for _ in range(3)]
    weights = [RNG.random(6).astype(np.float32) for _ in range(3)]
    probs = [_probs(6, 4) for _ in range(3)]
    onehot = [np.eye(4, dtype=np.float32)[y] for y in labels]
    binary_true = [(RNG.random((6, 1)) > 0.5).astype(np.float32) for _ in range(3)]
    binary_pred = [RNG.random((6, 1)).astype(np.float32) for _ in range(3)]
    yield "sparse-acc", "SparseCategoricalAccuracy", {}, list(zip(labels, probs)), None
    yield "sparse-acc-n1-weighted", "SparseCategoricalAccuracy", {}, \
        [(y[:, None].astype(np.float32), p) for y, p in zip(labels, probs)], weights
    yield "categorical-acc", "CategoricalAccuracy", {}, list(zip(onehot, probs)), weights
    yield "binary-acc", "BinaryAccuracy", {}, list(zip(binary_true, binary_pred)), None
    yield "binary-acc-threshold-weighted", "BinaryAccuracy", {"threshold": 0.7}, \
        list(zip(binary_true, binary_pred)), weights
    yield "binary-acc-rank1-true", "BinaryAccuracy", {}, \
        [(t[:, 0], p) for t, p in zip(binary_true, binary_pred)], None
    yield "accuracy", "Accuracy", {}, [(y, np.argmax(p, -1)) for y, p in zip(labels, probs)], \
        weights
    yield "scce-metric", "SparseCategoricalCrossentropy", {}, list(zip(labels, probs)), weights
    yield "scce-metric-logits", "SparseCategoricalCrossentropy", {"from_logits": True}, \
        [(y, 3 * np.log(p)) for y, p in zip(labels, probs)], None
    yield "cce-metric", "CategoricalCrossentropy", {"label_smoothing": 0.1}, \
        list(zip(onehot, probs)), weights
    yield "bce-metric", "BinaryCrossentropy", {}, list(zip(binary_true, binary_pred)), weights
    yield "mse-metric", "MeanSquaredError", {}, \
        [(RNG.standard_normal((6, 2)).astype(np.float32),
          RNG.standard_normal((6, 2)).astype(np.float32)) for _ in range(3)], weights


SEQUENCES = list(_sequences())


def _keras_results(name, options, batches, weights):
    keras = keras_module()
    metric = getattr(keras.metrics, name)(**options)
    out = []
    for i, (y_true, y_pred) in enumerate(batches):
        metric.update_state(y_true, y_pred,
                            sample_weight=None if weights is None else weights[i])
        out.append(float(metric.result()))
    metric.reset_state()
    out.append(float(metric.result()))
    return out


@pytest.mark.parametrize("case", SEQUENCES, ids=[c[0] for c in SEQUENCES])
def test_metric_sequence_matches_keras(case, device):
    _, name, options, batches, weights = case
    expected = _keras_results(name, options, batches, weights)
    metric = getattr(metrics, name)(**options)
    actual = []
    for i, (y_true, y_pred) in enumerate(batches):
        metric.update_state(y_true, mdl.Tensor(y_pred, device=device),
                            sample_weight=None if weights is None else weights[i])
        actual.append(metric.result())
    metric.reset_state()
    actual.append(metric.result())
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)
    assert all(isinstance(v, float) for v in actual)


def test_mean_and_the_loss_tracker_match_keras():
    keras = keras_module()
    ours, theirs = metrics.loss_tracker(), keras.metrics.Mean(name="loss")
    for value, batch_size in [(2.0, 32), (4.0, 16), (1.5, 7)]:
        ours.update_state(mdl.tensor(value), sample_weight=batch_size)
        theirs.update_state(value, sample_weight=batch_size)
    assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-6)
    assert ours.name == "loss"
    values = RNG.standard_normal((5, 3)).astype(np.float32)
    weight = RNG.random((5, 3)).astype(np.float32)
    m, k = metrics.Mean(), keras.metrics.Mean()
    m.update_state(values, sample_weight=weight)
    k.update_state(values, sample_weight=weight)
    assert m.result() == pytest.approx(float(k.result()), rel=1e-6)


NAMES = ["Mean", "Accuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy",
         "BinaryAccuracy", "SparseCategoricalCrossentropy", "CategoricalCrossentropy",
         "BinaryCrossentropy", "MeanSquaredError"]


@pytest.mark.parametrize("name", NAMES)
def test_signature_and_config_match_keras(name):
    keras = keras_module()
    ours = inspect.signature(getattr(metrics, name).__init__).parameters
    theirs = inspect.signature(getattr(keras.metrics, name).__init__).parameters
    assert [(k, p.default) for k, p in ours.items()] == \
        [(k, p.default) for k, p in theirs.items()]
    assert getattr(metrics, name)().get_config() == getattr(keras.metrics, name)().get_config()


@pytest.mark.parametrize("identifier", ["accuracy", "acc", "Accuracy", "mse",
                                        "sparse_categorical_accuracy", "binary_crossentropy",
                                        losses.mean_squared_error])
@pytest.mark.parametrize("t_shape, p_shape", [((8,), (8, 1)), ((8, 1), (8, 1)), ((8,), (8, 5)),
                                              ((8, 1), (8, 5)), ((8, 5), (8, 5)),
                                              ((4, 3), (4, 3, 6))])
def test_resolve_metric_matches_keras_compile(identifier, t_shape, p_shape):
    keras = keras_module()
    from keras.src.trainers.compile_utils import get_metric
    y_true, y_pred = np.zeros(t_shape, np.float32), np.zeros(p_shape, np.float32)
    theirs_id = identifier if isinstance(identifier, str) else keras.losses.mean_squared_error
    theirs = get_metric(theirs_id, keras.ops.convert_to_tensor(y_true),
                        keras.ops.convert_to_tensor(y_pred))
    ours = metrics.resolve_metric(identifier, y_true, y_pred)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.name == theirs.name


def test_get_names_and_unknown_name():
    assert isinstance(metrics.get("SparseCategoricalAccuracy"), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("binary_accuracy"), metrics.BinaryAccuracy)
    assert metrics.get("mse").name == "mean_squared_error"
    made = metrics.deserialize(metrics.serialize(metrics.BinaryAccuracy(threshold=0.3)))
    assert made.threshold == 0.3
    with pytest.raises(ValueError, match="known metrics: .*'sparse_categorical_accuracy'"):
        metrics.get("sparse_accuracy")


def test_metric_call_updates_and_returns():
    m = metrics.SparseCategoricalAccuracy()
    assert m([1, 2], np.array([[0.1, 0.9, 0.0], [0.5, 0.3, 0.2]])) == 0.5
    assert m([0], np.array([[0.9, 0.1, 0.0]])) == pytest.approx(2 / 3)


def test_metrics_record_no_graph():
    p = mdl.tensor(np.array([[0.2, 0.8]], np.float32), requires_grad=True)
    m = metrics.CategoricalCrossentropy()
    m.update_state(np.array([[0.0, 1.0]], np.float32), p)
    assert m.result() == pytest.approx(-np.log(0.8), rel=1e-6)
    assert p.grad is None
