"""Sequential, functional and subclassed models against Keras 3: weight order, predictions
with copied weights, summary counts, and the errors for shapes that do not fit."""
import io
import contextlib

import numpy as np
import pytest

from minidl import keras as mk
from tests.keras.reference import keras_module, to_numpy

RNG = np.random.default_rng(1)
X = RNG.standard_normal((6, 8)).astype(np.float32)


def _mlp(K):
    return K.Sequential([K.Input((8,)), K.layers.Dense(16, activation="relu"),
                         K.layers.BatchNormalization(), K.layers.Dropout(0.2),
                         K.layers.Dense(3, activation="softmax")])


def _two_in_two_out(K):
    a, b = K.Input((8,), name="a"), K.Input((3,), name="b")
    h = K.layers.Dense(5, activation="tanh")(a)
    left = K.layers.Dense(2, name="left")(h)
    right = K.layers.Dense(4, activation="sigmoid", name="right")(K.layers.Dense(3)(b))
    both = K.layers.Dense(1, name="both")(K.layers.Flatten()(K.layers.Reshape((5, 1))(h)))
    return K.Model([a, b], [left, right, both])


def test_sequential_predictions_match_keras_with_copied_weights():
    keras = keras_module()
    theirs, ours = _mlp(keras), _mlp(mk)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert ours.count_params() == theirs.count_params()
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_functional_several_inputs_and_outputs_match_keras():
    keras = keras_module()
    theirs, ours = _two_in_two_out(keras), _two_in_two_out(mk)
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in theirs.layers]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    inputs = [X, X[:, :3]]
    for got, expected in zip(ours.predict(inputs, verbose=0), theirs.predict(inputs, verbose=0)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    named = ours.predict({"a": X, "b": X[:, :3]}, verbose=0)
    np.testing.assert_allclose(named[0], ours.predict(inputs, verbose=0)[0])


def test_subclassed_model_matches_keras():
    keras = keras_module()

    def make(K):
        class TwoLayer(K.Model):
            def __init__(self):
                super().__init__()
                self.hidden = K.layers.Dense(4, activation="relu")
                self.drop = K.layers.Dropout(0.5)
                self.out = K.layers.Dense(2)

            def call(self, inputs, training=None):
                return self.out(self.drop(self.hidden(inputs), training=training))
        return TwoLayer()

    theirs, ours = make(keras), make(mk)
    theirs(X), ours(X)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(X).numpy(), to_numpy(theirs(X)), rtol=1e-5, atol=1e-6)
    assert [l.name for l in ours.layers] == ["dense", "dropout", "dense_1"] or len(ours.layers) == 3


def _summary_lines(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def test_summary_counts_and_table_match_keras():
    keras = keras_module()
    for make in (_mlp, _two_in_two_out):
        theirs, ours = make(keras), make(mk)
        expected = []
        theirs.summary(print_fn=lambda line, **kw: expected.append(line))
        text = "\n".join(expected)
        ours_lines = _summary_lines(ours)
        for line in ours_lines[-3:]:  # Total / Trainable / Non-trainable params with sizes
            assert line in text, line
        for layer in ours.layers:
            assert f"{layer.count_params():,}" in text
    lines = _summary_lines(_mlp(mk))
    assert lines[0].startswith('Model: "sequential')
    assert "Layer (type)" in lines[2] and "Output Shape" in lines[2] and "Param #" in lines[2]
    assert any("(None, 16)" in line and "│" in line for line in lines)


def test_deferred_build_and_input_shape_argument():
    model = mk.Sequential([mk.layers.Dense(4), mk.layers.Dense(2)])
    assert not model.built and model.weights == []
    model(np.ones((3, 5), np.float32))
    assert model.built and [w.shape for w in model.weights] == [(5, 4), (4,), (4, 2), (2,)]
    first = mk.Sequential([mk.layers.Dense(4, input_shape=(7,))])
    assert first.built and first.count_params() == 32
    built = mk.Sequential([mk.layers.Dense(3)])
    built.build((None, 2))
    assert built.count_params() == 9


def test_add_and_pop():
    model = mk.Sequential()
    model.add(mk.Input((4,)))
    model.add(mk.layers.Dense(3))
    model.add(mk.layers.Dense(2))
    assert model.output_shape == (None, 2)
    popped = model.pop()
    assert isinstance(popped, mk.layers.Dense) and model.output_shape == (None, 3)
    assert len(model.layers) == 1


def test_shape_mismatch_names_both_layers_and_shapes():
    first = mk.layers.Dense(4, name="encoder")
    second = mk.layers.Dense(3, name="head")
    second.build((None, 5))
    with pytest.raises(ValueError) as error:
        mk.Sequential([mk.Input((8,)), first, second])
    message = str(error.value)
    assert "'head'" in message and "'encoder'" in message
    assert "(None, 4)" in message and "5" in message
    model = mk.Sequential([mk.layers.Dense(4, name="a1"), mk.layers.Dense(2, name="a2")])
    model(np.ones((1, 3)))
    with pytest.raises(ValueError, match="a1.*expected axis -1.*value 3.*shape \\(2, 6\\)"):
        model(np.ones((2, 6)))


def test_functional_input_shape_checked():
    inputs = mk.Input((4,))
    model = mk.Model(inputs, mk.layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match=r"expects shape \(None, 4\).*\(3, 5\)"):
        model(np.ones((3, 5)))


def test_fit_before_compile_says_so():
    model = _mlp(mk)
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(X, np.zeros(6))
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(X, np.zeros(6))


def test_predict_returns_numpy_in_batches():
    model = _mlp(mk)
    out = model.predict(np.ones((70, 8)), batch_size=32, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (70, 3) and out.dtype == np.float32
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        model.predict(np.ones((70, 8)), verbose=2)
    assert buffer.getvalue().startswith("3/3 - ")
