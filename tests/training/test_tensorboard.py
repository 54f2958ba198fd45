"""The Trainer's TensorBoard callback: event files that TensorBoard reads, with the right
scalars per epoch and weight/gradient histograms every histogram_freq epochs."""
import builtins

import numpy as np
import pytest

import minidl as mdl
from minidl.training import TensorBoard, Trainer

from tests.training.helpers import blobs, mlp


def _events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def test_trainer_tensorboard_event_files(tmp_path, device):
    pytest.importorskip("tensorboardX")
    pytest.importorskip("tensorboard")
    x, y = blobs()
    model = mlp(device=device)
    trainer = Trainer(model, mdl.optim.SGD(model.parameters(), lr=0.1),
                      mdl.nn.CrossEntropyLoss(),
                      callbacks=[TensorBoard(log_dir=tmp_path, histogram_freq=2)])
    history = trainer.fit((x, y), epochs=3, val_data=(x[:40], y[:40]), progress=False)
    train, val = _events(tmp_path / "train"), _events(tmp_path / "validation")
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy",
                                            "epoch_learning_rate"}
    assert set(val.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy"}
    np.testing.assert_allclose([e.value for e in train.Scalars("epoch_loss")],
                               history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_accuracy")],
                               history.history["val_accuracy"], rtol=1e-6)
    assert [e.step for e in val.Scalars("epoch_loss")] == [0, 1, 2]
    names = [name for name, _ in model.named_parameters()]
    tags = set(train.Tags()["histograms"])
    assert {f"{n}/histogram" for n in names} | {f"{n}/gradient" for n in names} <= tags
    first = names[0]
    assert [h.step for h in train.Histograms(f"{first}/histogram")] == [0, 2]
    weight = dict(model.named_parameters())[first].numpy()
    last = train.Histograms(f"{first}/histogram")[-1].histogram_value
    assert last.num == weight.size
    assert last.min == pytest.approx(float(weight.min()))
    assert last.max == pytest.approx(float(weight.max()))


def test_missing_tensorboardx_names_the_extra(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("tensorboardX"):
            raise ImportError("No module named 'tensorboardX'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'minidl\[tensorboard\]'"):
        TensorBoard(log_dir=tmp_path / "logs")
    assert not (tmp_path / "logs").exists()
