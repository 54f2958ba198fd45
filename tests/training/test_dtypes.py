"""The training paths feed a float32 model float32 inputs, whatever the data's float dtype."""
import numpy as np
import pytest

import minidl as mdl
from minidl.data import DataLoader, TensorDataset
from tests.training.helpers import blobs


class Recorder(mdl.nn.Module):
    """An MLP that remembers the dtypes of the inputs it was given."""

    def __init__(self):
        super().__init__()
        self.net = mdl.nn.MLP(4, [8], 3)
        self.seen = set()

    def forward(self, x):
        self.seen.add(str(x.dtype))
        return self.net(x)


@pytest.mark.parametrize("kind", ["loader", "arrays", "tensors"])
def test_float64_data_is_cast_to_the_models_float32(kind):
    x, y = blobs(n=64)
    x = x.astype(np.float64)   # what `images / 255.0` gives
    data = {"loader": DataLoader(TensorDataset(x, y), batch_size=16),
            "arrays": (x, y),
            "tensors": (mdl.tensor(x), mdl.tensor(y))}[kind]
    model = Recorder()
    trainer = mdl.Trainer(model, mdl.optim.SGD(model.parameters(), lr=0.1), "cross_entropy")
    trainer.fit(data, epochs=1, val_data=data, progress=False)
    trainer.evaluate(data)
    outputs = trainer.predict(data if kind == "loader" else data[0])
    assert model.seen == {"float32"}
    assert outputs.dtype == np.float32
    assert {str(p.dtype) for p in model.parameters()} == {"float32"}


def test_float_targets_follow_the_model_dtype_and_a_float64_model_keeps_float64():
    x, y = blobs(n=32)
    model = mdl.nn.Linear(4, 1).to(dtype="float64")
    trainer = mdl.Trainer(model, mdl.optim.SGD(model.parameters(), lr=0.01), "mse", metrics=())
    loader = DataLoader(TensorDataset(x, y[:, None].astype(np.float32)), batch_size=8)
    trainer.fit(loader, epochs=1, progress=False)
    assert trainer.predict(x).dtype == np.float64
