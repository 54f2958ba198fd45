"""Keras layers against Keras 3: configs (defaults), forward outputs with copied weights,
weight order and shapes, training-mode statistics, and bad input."""
import numpy as np
import pytest

import minidl as mdl
from minidl import keras as mk
from tests.keras.reference import keras_module, to_numpy

RNG = np.random.default_rng(0)


def _pairs():
    """(name, minidl layer factory, Keras layer factory, input array), one per layer kind."""
    x2 = RNG.standard_normal((4, 6)).astype(np.float32)
    x3 = RNG.standard_normal((4, 3, 6)).astype(np.float32)
    ids = RNG.integers(0, 10, size=(4, 5))
    return [
        ("dense", lambda K: K.layers.Dense(5), x2),
        ("dense_relu_no_bias", lambda K: K.layers.Dense(3, activation="relu", use_bias=False), x2),
        ("dense_3d", lambda K: K.layers.Dense(4, activation="tanh"), x3),
        ("batchnorm", lambda K: K.layers.BatchNormalization(), x2),
        ("batchnorm_axis1", lambda K: K.layers.BatchNormalization(axis=1, center=False), x3),
        ("embedding", lambda K: K.layers.Embedding(10, 3), ids),
        ("flatten", lambda K: K.layers.Flatten(), x3),
        ("reshape", lambda K: K.layers.Reshape((6, 3)), x3),
        ("reshape_infer", lambda K: K.layers.Reshape((-1, 2)), x3),
        ("dropout_inference", lambda K: K.layers.Dropout(0.5), x2),
    ] + [(f"activation_{name}", (lambda n: lambda K: K.layers.Activation(n))(name), x2 * 3)
         for name in ("relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "elu",
                      "selu", "gelu", "leaky_relu", "linear", "silu", "relu6", "hard_sigmoid",
                      "exponential", "log_softmax")]


@pytest.mark.parametrize("name, make, x", _pairs(), ids=[p[0] for p in _pairs()])
def test_forward_matches_keras_with_copied_weights(name, make, x):
    keras = keras_module()
    theirs, ours = make(keras), make(mk)
    expected = to_numpy(theirs(x))
    ours(x)  # build
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    got = ours(x).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("axis", [-1, 1])
def test_batchnorm_training_step_matches_keras(axis):
    keras = keras_module()
    import torch
    x = RNG.standard_normal((8, 3, 5)).astype(np.float32) * 2 + 1
    theirs = keras.layers.BatchNormalization(axis=axis, momentum=0.9)
    ours = mk.layers.BatchNormalization(axis=axis, momentum=0.9)
    y_theirs = theirs(torch.tensor(x), training=True).detach().numpy()
    y_ours = ours(x, training=True).numpy()
    np.testing.assert_allclose(y_ours, y_theirs, rtol=1e-5, atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):  # moving statistics
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert len(ours.trainable_weights) == 2 and len(ours.non_trainable_weights) == 2


def test_batchnorm_gradient_matches_keras():
    keras = keras_module()
    import torch
    x = RNG.standard_normal((6, 4)).astype(np.float32)
    theirs = keras.layers.BatchNormalization()
    xt = torch.tensor(x, requires_grad=True)
    (theirs(xt, training=True) ** 3).sum().backward()
    ours = mk.layers.BatchNormalization()
    xm = mdl.tensor(x, requires_grad=True)
    (ours(xm, training=True) ** 3).sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.gamma.grad.numpy(), theirs.gamma.value.grad.numpy(),
                               rtol=1e-4, atol=1e-5)


_CONFIG_CASES = [
    ("Dense", lambda K: K.layers.Dense(7)),
    ("BatchNormalization", lambda K: K.layers.BatchNormalization()),
    ("Embedding", lambda K: K.layers.Embedding(10, 3)),
    ("Dropout", lambda K: K.layers.Dropout(0.3)),
    ("Activation", lambda K: K.layers.Activation("relu")),
    ("Reshape", lambda K: K.layers.Reshape((2, 3))),
]


@pytest.mark.parametrize("name, make", _CONFIG_CASES, ids=[c[0] for c in _CONFIG_CASES])
def test_config_defaults_match_keras(name, make):
    keras = keras_module()
    theirs, ours = make(keras).get_config(), make(mk).get_config()
    for key, value in ours.items():
        if key in ("name", "dtype"):
            continue
        assert key in theirs, key
        expected = theirs[key]
        if isinstance(expected, dict) and "class_name" in expected:  # an initializer
            assert value["class_name"] == expected["class_name"], key
            for k, v in value["config"].items():
                assert expected["config"][k] == v, (key, k)
        elif isinstance(expected, tuple):
            assert tuple(value) == expected, key
        else:
            assert value == expected, key


def test_layer_names_number_like_keras():
    mk.layers.base.reset_uids()
    names = [mk.layers.Dense(2).name, mk.layers.Dense(2).name, mk.layers.Dense(2).name,
             mk.layers.BatchNormalization().name, mk.layers.GlobalAveragePooling2D().name
             if hasattr(mk.layers, "GlobalAveragePooling2D") else "global_average_pooling2d"]
    assert names == ["dense", "dense_1", "dense_2", "batch_normalization",
                     "global_average_pooling2d"]


def test_initializers_draw_keras_distributions():
    mdl.manual_seed(0)
    glorot = mk.initializers.get("glorot_uniform")((300, 200))
    limit = np.sqrt(6 / 500)
    assert np.abs(glorot).max() <= limit and np.abs(glorot).max() > 0.99 * limit
    he = mk.initializers.get("he_normal")((400, 300))
    assert np.abs(he).max() <= 2 * np.sqrt(2 / 400) / 0.87962566103423978 + 1e-6
    assert abs(he.std() - np.sqrt(2 / 400)) < 0.02 * np.sqrt(2 / 400)
    uniform = mk.initializers.get("uniform")((1000,))
    assert -0.05 <= uniform.min() and uniform.max() <= 0.05
    assert mk.initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    seeded = mk.initializers.GlorotNormal(seed=3)
    np.testing.assert_array_equal(seeded((4, 4)), seeded((4, 4)))


def test_activation_defaults_are_keras():
    x = mdl.tensor([-1.0, 2.0])
    assert mk.activations.get("leaky_relu")(x).tolist() == pytest.approx([-0.2, 2.0])
    keras = keras_module()
    import torch
    z = np.linspace(-4, 4, 9).astype(np.float32)
    for name in ("gelu", "selu", "elu", "softplus"):
        expected = to_numpy(keras.activations.get(name)(torch.tensor(z)))
        np.testing.assert_allclose(mk.activations.get(name)(mdl.tensor(z)).numpy(), expected,
                                   rtol=1e-6, atol=1e-6)


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="relu.*sigmoid|sigmoid.*relu"):
        mk.layers.Dense(3, activation="relux")


def test_dropout_training_scales_and_zeroes():
    mdl.manual_seed(1)
    y = mk.layers.Dropout(0.25)(np.ones((200, 50), np.float32), training=True).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    shaped = mk.layers.Dropout(0.5, noise_shape=(None, 1))(np.ones((64, 8), np.float32),
                                                           training=True).numpy()
    assert all(len(set(row)) == 1 for row in shaped)  # one draw per row, broadcast


def test_custom_layer_add_weight_trainable_and_not():
    class ComputeSum(mk.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = self.add_weight(shape=(input_dim,), initializer="zeros",
                                         trainable=False)

        def call(self, inputs):
            self.total.assign(self.total + inputs.sum(axis=0).detach())
            return self.total

    layer = ComputeSum(2)
    layer(np.ones((2, 2)))
    assert layer(np.ones((2, 2))).tolist() == [4.0, 4.0]
    assert len(layer.weights) == 1 and not layer.trainable_weights
    assert layer.get_config()["input_dim"] == 2  # the default config of a custom layer


def test_frozen_layer_has_no_trainable_weights():
    layer = mk.layers.Dense(2)
    layer(np.ones((1, 3)))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    assert not layer.kernel.requires_grad
    layer.trainable = True
    assert len(layer.trainable_weights) == 2 and layer.kernel.requires_grad


def test_embedding_rejects_out_of_range_indices():
    with pytest.raises(IndexError, match="index 10 is out of range for input_dim=10"):
        mk.layers.Embedding(10, 2)(np.array([[1, 10]]))


def test_embedding_gradient_accumulates_repeated_indices():
    layer = mk.layers.Embedding(4, 2)
    layer(np.array([[1, 1, 3]])).sum().backward()
    assert layer.embeddings.grad.numpy()[:, 0].tolist() == [0.0, 2.0, 0.0, 1.0]
