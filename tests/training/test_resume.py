"""Stopping after an epoch and resuming from a checkpoint equals an uninterrupted run, exactly."""
import numpy as np
import pytest

import minidl as mdl
from minidl.data import DataLoader, TensorDataset
from minidl.training import Trainer

from tests.training.helpers import blobs, weights

X, Y = blobs(n=100, d=6, classes=3)


def _setup(seeded_loader, schedule):
    model = mdl.nn.MLP(6, [12, 8], 3, dropout=0.2, batchnorm=True)  # RNG in init and dropout
    opt = mdl.optim.Adam(model.parameters(), lr=0.01)
    if schedule == "cosine-per-batch":
        sched, interval = mdl.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12), "batch"
    else:
        sched, interval = mdl.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5), "epoch"
    trainer = Trainer(model, opt, "cross_entropy", scheduler=sched, scheduler_interval=interval)
    data = (DataLoader(TensorDataset(X, Y), batch_size=32, shuffle=True, seed=7)
            if seeded_loader else (X, Y))  # (x, y): shuffled by minidl's global generator
    return trainer, data


@pytest.mark.parametrize("seeded_loader", [False, True])
@pytest.mark.parametrize("schedule", ["cosine-per-batch", "step-per-epoch"])
def test_resume_equals_uninterrupted(tmp_path, seeded_loader, schedule):
    mdl.manual_seed(0)
    trainer, data = _setup(seeded_loader, schedule)
    trainer.fit(data, epochs=3, val_data=(X[:30], Y[:30]), progress=False)
    expected_weights, expected_history = weights(trainer.model), trainer.history.history

    mdl.manual_seed(0)
    first, data = _setup(seeded_loader, schedule)
    first.fit(data, epochs=1, val_data=(X[:30], Y[:30]), progress=False)
    mdl.save(first.state_dict(), tmp_path / "ckpt.npz")
    del first

    mdl.manual_seed(12345)  # a new process: other seed, fresh model, optimizer and loader
    resumed, data = _setup(seeded_loader, schedule)
    resumed.load_state_dict(mdl.load(tmp_path / "ckpt.npz"))
    assert resumed.epoch == 1
    resumed.fit(data, epochs=2, val_data=(X[:30], Y[:30]), progress=False)

    assert resumed.epoch == 3 and resumed.history.epoch == [0, 1, 2]
    assert resumed.history.history == expected_history
    got = weights(resumed.model)
    for key, value in expected_weights.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)
    assert resumed.optimizer.param_groups[0]["lr"] == trainer.optimizer.param_groups[0]["lr"]


def test_load_state_dict_rejects_other_dicts():
    trainer, _ = _setup(False, "step-per-epoch")
    with pytest.raises(ValueError, match="not a trainer state"):
        trainer.load_state_dict(trainer.model.state_dict())
