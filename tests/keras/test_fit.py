"""compile / fit / evaluate against Keras 3 on a scripted case: the same initial weights,
shuffle=False, so every epoch's loss and metrics must agree."""
import contextlib
import io

import numpy as np
import pytest

import minidl as mdl
from minidl import keras as mk
from tests.keras.reference import keras_module

pytest.importorskip("minidl.keras.callbacks")
pytest.importorskip("minidl.keras.metrics")

RNG = np.random.default_rng(3)
X = RNG.standard_normal((90, 6)).astype(np.float32)
Y = (X[:, 0] - X[:, 2] > 0).astype(np.int64)


def _pair(keras, make, optimizer, loss, metrics=("accuracy",)):
    theirs, ours = make(keras), make(mk)
    ours.set_weights(theirs.get_weights())
    theirs.compile(optimizer=optimizer(keras), loss=loss, metrics=list(metrics))
    ours.compile(optimizer=optimizer(mk), loss=loss, metrics=list(metrics))
    return theirs, ours


def _mlp(K):
    return K.Sequential([K.Input((6,)), K.layers.Dense(12, activation="relu"),
                         K.layers.BatchNormalization(), K.layers.Dense(2, activation="softmax")])


@pytest.mark.parametrize("optimizer", [
    lambda K: K.optimizers.SGD(learning_rate=0.1, momentum=0.9),
    lambda K: K.optimizers.Adam(learning_rate=0.01),
    lambda K: "rmsprop",
], ids=["sgd_momentum", "adam", "rmsprop_by_name"])
def test_fit_history_matches_keras(optimizer):
    keras = keras_module()
    theirs, ours = _pair(keras, _mlp, optimizer, "sparse_categorical_crossentropy")
    kw = dict(batch_size=16, epochs=3, shuffle=False, validation_split=0.2, verbose=0)
    expected = theirs.fit(X, Y, **kw).history
    got = ours.fit(X, Y, **kw).history
    assert list(got) == sorted(expected) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=2e-5, atol=2e-6, err_msg=key)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0),
                               rtol=1e-4, atol=1e-5)
    assert ours.evaluate(X, Y, verbose=0) == pytest.approx(theirs.evaluate(X, Y, verbose=0),
                                                          rel=1e-5)


def test_fit_with_class_and_sample_weights_matches_keras():
    keras = keras_module()
    opt = lambda K: K.optimizers.SGD(learning_rate=0.05)  # noqa: E731
    for kwargs in ({"class_weight": {0: 1.0, 1: 3.0}},
                   {"sample_weight": np.linspace(0.5, 2.0, len(X)).astype(np.float32)}):
        theirs, ours = _pair(keras, _mlp, opt, "sparse_categorical_crossentropy")
        expected = theirs.fit(X, Y, batch_size=32, epochs=2, shuffle=False, verbose=0,
                              **kwargs).history
        got = ours.fit(X, Y, batch_size=32, epochs=2, shuffle=False, verbose=0,
                       **kwargs).history
        for key in expected:
            np.testing.assert_allclose(got[key], expected[key], rtol=2e-5, atol=2e-6)


def test_fit_mse_regression_with_validation_data_and_initial_epoch():
    keras = keras_module()
    target = (X @ np.arange(6, dtype=np.float32))[:, None] * 0.1

    def make(K):
        return K.Sequential([K.Input((6,)), K.layers.Dense(8, activation="tanh"),
                             K.layers.Dense(1)])
    theirs, ours = _pair(keras, make, lambda K: K.optimizers.SGD(0.05), "mse", metrics=())
    kw = dict(batch_size=20, epochs=4, initial_epoch=1, shuffle=False, verbose=0,
              validation_data=(X[:30], target[:30]))
    expected = theirs.fit(X, target, **kw)
    got = ours.fit(X, target, **kw)
    assert got.epoch == expected.epoch == [1, 2, 3]
    for key in expected.history:
        np.testing.assert_allclose(got.history[key], expected.history[key], rtol=2e-5,
                                   atol=1e-6)
    assert isinstance(ours.evaluate(X, target, verbose=0), float)  # no metrics: a scalar
    as_dict = ours.evaluate(X, target, verbose=0, return_dict=True)
    assert list(as_dict) == ["loss"]


def test_verbose_lines():
    model = _mlp(mk)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.fit(X, Y, epochs=2, verbose=2)
        model.fit(X, Y, epochs=1, verbose=0)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Epoch 1/2"
    assert lines[1].startswith("3/3 - ") and "/step - accuracy: " in lines[1] \
        and " - loss: " in lines[1]
    assert len(lines) == 4
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.fit(X, Y, epochs=1, verbose=1)
    assert "3/3 ━━━━━━━━━━━━━━━━━━━━" in out.getvalue()


def test_shuffle_is_seeded_by_manual_seed():
    results = []
    for _ in range(2):
        mdl.manual_seed(7)
        model = _mlp(mk)
        model.compile("sgd", "sparse_categorical_crossentropy")
        results.append(model.fit(X, Y, epochs=2, verbose=0).history["loss"])
    assert results[0] == results[1]
