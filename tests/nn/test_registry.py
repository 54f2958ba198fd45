"""Architectures as plain data: registered builders, rebuilt by name."""
import json

import pytest

import minidl as mdl
from minidl import nn
from minidl.nn import registry


def test_mlp_is_registered_and_rebuilt_from_its_record():
    record = nn.architecture("mlp", in_features=6, hidden_sizes=[5, 4], out_features=3,
                             dropout=0.1, batchnorm=True)
    assert json.loads(json.dumps(record)) == record
    model = nn.build_model(record)
    assert isinstance(model, nn.MLP)
    reference = nn.MLP(6, [5, 4], 3, dropout=0.1, batchnorm=True)
    assert list(model.state_dict()) == list(reference.state_dict())
    assert model.load_state_dict(reference.state_dict()) is not None


def test_a_new_model_kind_registers_itself(monkeypatch):
    monkeypatch.setattr(registry, "MODELS", dict(registry.MODELS))

    @nn.register_model("tiny")
    class Tiny(nn.Module):
        def __init__(self, width=2):
            super().__init__()
            self.fc = nn.Linear(width, 1)

        def forward(self, x):
            return self.fc(x)

    model = nn.build_model(nn.architecture("tiny", width=3))
    assert isinstance(model, Tiny) and model.fc.in_features == 3
    nn.register_model("tiny", Tiny)  # the same builder again: fine
    with pytest.raises(ValueError, match="'tiny' is already registered"):
        nn.register_model("tiny", nn.MLP)


def test_unknown_names_and_non_data_arguments_are_refused():
    with pytest.raises(ValueError, match="no model is registered as 'cnnn'; registered: .*mlp"):
        nn.architecture("cnnn")
    with pytest.raises(ValueError, match="must be plain data"):
        nn.architecture("mlp", in_features=mdl.ones(2))
    with pytest.raises(ValueError, match="build_model: expected"):
        nn.build_model(["mlp"])
