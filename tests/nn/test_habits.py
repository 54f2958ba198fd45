"""What a learner with PyTorch habits types gets an answer: Module.apply, and errors that say
what to pass instead of a list or of the model itself."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn, optim


def test_module_apply_visits_every_module_children_first():
    model = nn.MLP(4, [8], 2)
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "MLP"]

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
    model.apply(init)
    assert all((m.weight.numpy() == 0.5).all() for m in model.modules()
               if isinstance(m, nn.Linear))


@pytest.mark.parametrize("layer", [nn.Linear(4, 2), nn.MLP(4, [3], 2), nn.ReLU(),
                                   nn.BatchNorm1d(4), nn.Dropout(0.5)])
def test_a_list_passed_to_a_layer_says_to_pass_a_tensor(layer):
    name = type(layer).__name__
    with pytest.raises(TypeError, match=rf"^{name}: the input is a list, not a Tensor; pass "
                                        r"mdl.tensor\(x\)"):
        layer([[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0]])


def test_a_list_of_tensors_and_a_numpy_array_get_their_own_advice():
    model = nn.MLP(4, [3], 2)
    with pytest.raises(TypeError, match=r"list of samples; stack them with mdl.stack"):
        model([mdl.ones(4), mdl.ones(4)])
    with pytest.raises(TypeError, match=r"MLP: the input is a ndarray, not a Tensor; pass "
                                        r"mdl.tensor\(x\) \(a copy\) or mdl.from_numpy"):
        model(np.ones((2, 4), np.float32))


def test_a_module_taking_a_list_keeps_its_own_errors():
    class Join(nn.Module):
        def forward(self, xs):
            raise TypeError("Join: my own message")
    with pytest.raises(TypeError, match="^Join: my own message$"):
        Join()([mdl.ones(2)])


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop])
def test_a_model_passed_to_an_optimizer_says_to_pass_its_parameters(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__}: got the model \(MLP\) itself; pass "
                                        rf"its parameters: {cls.__name__}\(model.parameters\(\)"):
        cls(nn.MLP(4, [3], 2), lr=0.1)
