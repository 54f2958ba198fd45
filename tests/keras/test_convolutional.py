"""Conv2D and pooling on NHWC images against Keras 3 (copied weights): outputs and input
gradients, 'valid' and 'same' padding (asymmetric too), strides, dilation and groups."""
import numpy as np
import pytest

import minidl as mdl
from minidl import keras as mk
from tests.keras.reference import keras_module, to_numpy

if not hasattr(mk.layers, "Conv2D"):
    pytest.skip("minidl's convolution ops (minidl.nn.functional.conv2d) are not in this tree",
                allow_module_level=True)

X = np.random.default_rng(4).standard_normal((2, 7, 6, 3)).astype(np.float32)

CASES = {
    "conv_valid": lambda K: K.layers.Conv2D(4, 3),
    "conv_same_stride2_relu": lambda K: K.layers.Conv2D(4, 3, strides=2, padding="same",
                                                        activation="relu"),
    "conv_same_dilated_no_bias": lambda K: K.layers.Conv2D(6, (2, 3), padding="same",
                                                           dilation_rate=2, use_bias=False),
    "conv_groups_same": lambda K: K.layers.Conv2D(6, 3, groups=3, padding="same",
                                                  strides=(2, 1)),
    "max_pool": lambda K: K.layers.MaxPooling2D(),
    "max_pool_same_asymmetric": lambda K: K.layers.MaxPooling2D(3, strides=2, padding="same"),
    "avg_pool": lambda K: K.layers.AveragePooling2D(2),
    "avg_pool_same_symmetric": lambda K: K.layers.AveragePooling2D(3, strides=1,
                                                                   padding="same"),
    "global_avg": lambda K: K.layers.GlobalAveragePooling2D(),
    "global_avg_keepdims": lambda K: K.layers.GlobalAveragePooling2D(keepdims=True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_keras_outputs_and_gradients(name):
    keras = keras_module()
    import torch
    theirs, ours = CASES[name](keras), CASES[name](mk)
    xt = torch.tensor(X, requires_grad=True)
    yt = theirs(xt)
    (yt * yt).sum().backward()
    ours(X)
    ours.set_weights(theirs.get_weights())
    xm = mdl.tensor(X, requires_grad=True)
    ym = ours(xm)
    (ym * ym).sum().backward()
    np.testing.assert_allclose(ym.numpy(), to_numpy(yt), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_conv_config_and_kernel_layout_match_keras():
    keras = keras_module()
    theirs = keras.layers.Conv2D(8, 3, padding="same")
    ours = mk.layers.Conv2D(8, 3, padding="same")
    theirs(X), ours(X)
    assert ours.kernel.shape == tuple(theirs.kernel.shape) == (3, 3, 3, 8)
    config = theirs.get_config()
    for key, value in ours.get_config().items():
        if key in ("name", "dtype") or isinstance(value, dict):
            continue
        assert (list(config[key]) if isinstance(config[key], tuple) else config[key]) == value


def test_average_pooling_same_averages_real_pixels_only():
    # Keras's rule (TensorFlow, JAX and NumPy backends): padded cells do not count. (Keras's
    # torch backend pads asymmetric windows by repeating the edge instead; minidl follows
    # the documented rule.)
    layer = mk.layers.AveragePooling2D(3, strides=2, padding="same")
    x = np.arange(2 * 5 * 4 * 1, dtype=np.float32).reshape(2, 5, 4, 1)
    got = layer(x).numpy()
    expected = np.zeros((2, 3, 2, 1), np.float32)
    for i in range(3):
        for j in range(2):
            rows = slice(max(2 * i - 1, 0), min(2 * i + 2, 5))  # top pad 1 (total 2 → 1, 1)
            cols = slice(max(2 * j, 0), min(2 * j + 3, 4))      # left pad 0 (total 1 → 0, 1)
            expected[:, i, j, 0] = x[:, rows, cols, 0].mean(axis=(1, 2))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_cnn_summary_counts_match_keras():
    keras = keras_module()

    def make(K):
        return K.Sequential([K.Input((28, 28, 1)), K.layers.Conv2D(8, 3, activation="relu"),
                             K.layers.MaxPooling2D(), K.layers.Conv2D(16, 3, padding="same"),
                             K.layers.BatchNormalization(), K.layers.GlobalAveragePooling2D(),
                             K.layers.Dense(10)])
    theirs, ours = make(keras), make(mk)
    assert ours.count_params() == theirs.count_params()
    assert [l.count_params() for l in ours.layers] == [l.count_params() for l in theirs.layers]
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(5).random((3, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)
