import os

import numpy as np
import pytest

import minidl as mdl
from minidl.training import (EarlyStopping, LambdaCallback, LearningRateScheduler,
                             ModelCheckpoint, Trainer)

from tests.training.helpers import blobs, mlp, weights


class FakeTrainer:
    """Just what the callbacks touch: a model, an optimizer and the stop flag."""

    def __init__(self, model=None):
        self.model = model or mlp()
        self.optimizer = mdl.optim.SGD(self.model.parameters(), lr=0.1)
        self.stop_training = False


def _run(callback, values, key="val_loss", trainer=None, on_epoch=None):
    """Feed per-epoch values; returns the epoch at which training stopped (or None)."""
    trainer = trainer or FakeTrainer()
    callback.on_train_begin(trainer)
    for epoch, value in enumerate(values):
        if on_epoch:
            on_epoch(trainer, epoch)
        callback.on_epoch_end(trainer, epoch, {key: value})
        if trainer.stop_training:
            callback.on_train_end(trainer)
            return epoch
    callback.on_train_end(trainer)
    return None


def test_early_stopping_patience():
    assert _run(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.96, 0.5]) == 3
    assert _run(EarlyStopping(patience=0), [1.0, 1.1]) == 1
    assert _run(EarlyStopping(patience=2), [1.0, 0.9, 0.8, 0.7]) is None


def test_early_stopping_min_delta_and_mode():
    # improvements smaller than min_delta do not count
    assert _run(EarlyStopping(patience=1, min_delta=0.1), [1.0, 0.95, 0.92]) == 1
    assert _run(EarlyStopping(patience=1, min_delta=0.1), [1.0, 0.85, 0.8]) == 2
    # 'auto' maximises names with "acc"
    es = EarlyStopping(monitor="val_accuracy", patience=1)
    assert es.mode == "max"
    assert _run(es, [0.5, 0.6, 0.55, 0.58], key="val_accuracy") == 2
    assert es.best == 0.6 and es.best_epoch == 1
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="up")


def test_early_stopping_baseline_and_start_from_epoch():
    # the wait restarts only on improvements that also beat the baseline (Keras's rule)
    assert _run(EarlyStopping(patience=2, baseline=0.1), [1.0, 0.9, 0.95, 0.96]) == 2
    assert _run(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.96]) == 3
    assert _run(EarlyStopping(patience=0, start_from_epoch=2), [1.0, 2.0, 3.0, 4.0]) == 3


def test_early_stopping_restores_best_weights():
    trainer = FakeTrainer()
    snapshots = {}

    def perturb(trainer, epoch):  # the "training" of each epoch: set the weights to epoch
        with mdl.no_grad():
            for p in trainer.model.parameters():
                p.data[...] = float(epoch)
        snapshots[epoch] = weights(trainer.model)

    es = EarlyStopping(patience=2, restore_best_weights=True)
    assert _run(es, [1.0, 0.5, 0.7, 0.8, 0.1], trainer=trainer, on_epoch=perturb) == 3
    for key, value in weights(trainer.model).items():
        np.testing.assert_array_equal(value, snapshots[1][key])


def test_early_stopping_missing_monitor_warns():
    with pytest.warns(UserWarning, match="val_loss.*not available"):
        assert _run(EarlyStopping(), [1.0, 2.0], key="loss") is None


def test_early_stopping_in_a_real_fit():
    x, y = blobs()
    model = mlp()
    es = EarlyStopping(monitor="loss", patience=0, min_delta=10.0)  # nothing is ever enough
    trainer = Trainer(model, mdl.optim.SGD(model.parameters(), lr=0.1), "cross_entropy",
                      callbacks=[es])
    history = trainer.fit((x, y), epochs=10, progress=False)
    assert len(history) == 2 and es.stopped_epoch == 1


def test_model_checkpoint_best_only(tmp_path):
    path = str(tmp_path / "best-{epoch:02d}-{val_loss:.2f}.npz")
    cb = ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    _run(cb, [1.0, 0.8, 0.9, 0.5])
    assert sorted(os.listdir(tmp_path)) == ["best-01-1.00.npz", "best-02-0.80.npz",
                                           "best-04-0.50.npz"]
    assert cb.best == 0.5 and cb.last_path.endswith("best-04-0.50.npz")


def test_model_checkpoint_weights_only_loads_into_a_model(tmp_path):
    x, y = blobs()
    model = mlp()
    cb = ModelCheckpoint(tmp_path / "w.npz", monitor="loss", save_weights_only=True)
    Trainer(model, mdl.optim.Adam(model.parameters()), "cross_entropy", callbacks=[cb]).fit(
        (x, y), epochs=2, progress=False)
    fresh = mlp()
    fresh.load_state_dict(mdl.load(tmp_path / "w.npz"))
    for key, value in weights(model).items():
        np.testing.assert_array_equal(weights(fresh)[key], value)


def test_model_checkpoint_full_state_resumes_a_trainer(tmp_path):
    x, y = blobs()
    model = mlp()
    cb = ModelCheckpoint(tmp_path / "sub" / "state.npz", monitor="loss")
    trainer = Trainer(model, mdl.optim.Adam(model.parameters()), "cross_entropy", callbacks=[cb])
    trainer.fit((x, y), epochs=2, progress=False)
    fresh_model = mlp()
    fresh = Trainer(fresh_model, mdl.optim.Adam(fresh_model.parameters()), "cross_entropy")
    fresh.load_state_dict(mdl.load(tmp_path / "sub" / "state.npz"))
    assert fresh.epoch == 2 and fresh.history.history == trainer.history.history


def test_learning_rate_scheduler_callback():
    x, y = blobs(n=32)
    model = mlp()
    opt = mdl.optim.SGD(model.parameters(), lr=0.1)
    seen = []
    cb = LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
    spy = LambdaCallback(on_epoch_begin=lambda trainer, epoch: seen.append(
        trainer.optimizer.param_groups[0]["lr"]))
    Trainer(model, opt, "cross_entropy", callbacks=[cb, spy]).fit((x, y), epochs=3,
                                                                  progress=False)
    assert seen == pytest.approx([0.1, 0.05, 0.025])
    with pytest.raises(ValueError, match="unknown hook 'on_step'"):
        LambdaCallback(on_step=print)
