"""A layer given another dtype than its parameters' refuses it, naming both (as PyTorch)."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn


def test_linear_refuses_float64_input_for_float32_weights(device):
    layer = nn.Linear(3, 2).to(device)
    x = mdl.tensor(np.ones((4, 3)), device=device)   # a NumPy float64 array keeps its dtype
    with pytest.raises(TypeError, match=r"Linear: input dtype float64 does not match the "
                                        r"layer's parameter dtype float32; cast the input"):
        layer(x)
    with pytest.raises(TypeError, match="float64"):
        layer.forward_relu(x)  # the fused Linear→ReLU path of MLP checks too
    assert layer(x.astype("float32")).dtype == np.float32


def test_uint8_images_are_refused_with_the_way_to_convert_them():
    model = nn.MLP(4, [3], 2)
    with pytest.raises(TypeError, match=r"Linear: input dtype uint8 .* minidl.data.to_float"):
        model(mdl.tensor(np.zeros((2, 4), np.uint8)))


def test_float64_model_takes_float64_input():
    model = nn.MLP(4, [3], 2, batchnorm=True).to(dtype="float64")
    assert model(mdl.tensor(np.ones((5, 4)))).dtype == np.float64
    with pytest.raises(TypeError, match="BatchNorm1d: input dtype float32 does not match the "
                                        "layer's parameter dtype float64"):
        model.layers[1](mdl.ones(5, 3))


def test_batchnorm_without_affine_checks_against_its_running_stats():
    bn = nn.BatchNorm1d(3, affine=False)
    with pytest.raises(TypeError, match="BatchNorm1d: input dtype float64"):
        bn(mdl.tensor(np.ones((4, 3))))
