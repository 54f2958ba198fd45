import numpy as np
import pytest

import minidl as mdl
from minidl.data import DataLoader, TensorDataset
from minidl.training import Callback, Trainer

from tests.training.helpers import blobs, mlp, weights


def _trainer(model, lr=0.05, **kwargs):
    return Trainer(model, mdl.optim.SGD(model.parameters(), lr=lr, momentum=0.9),
                   mdl.nn.CrossEntropyLoss(), **kwargs)


def test_fit_learns_and_returns_keras_history(device):
    x, y = blobs()
    trainer = _trainer(mlp(device=device))
    history = trainer.fit((x, y), epochs=4, val_data=(x[:40], y[:40]), progress=False)
    assert history is trainer.history
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 4 for v in history.history.values()) and history.epoch == [0, 1, 2, 3]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9 and history.history["val_accuracy"][-1] > 0.9
    assert trainer.epoch == 4 and trainer.iterations == 4 * 4  # 120 samples, batch 32


def test_epoch_logs_are_sample_weighted_means(device):
    x, y = blobs(n=50)
    model = mlp(device=device)
    trainer = _trainer(model, lr=0.0)  # no learning: every batch sees the same model
    loader = DataLoader(TensorDataset(x, y), batch_size=16, device=device)  # 16, 16, 16, 2
    history = trainer.fit(loader, epochs=1, progress=False)
    with mdl.no_grad():
        outputs = model(mdl.tensor(x, device=device))
        full_loss = mdl.nn.CrossEntropyLoss()(outputs, mdl.tensor(y, device=device)).item()
    accuracy = float((outputs.numpy().argmax(1) == y).mean())
    assert history.history["loss"][0] == pytest.approx(full_loss, rel=1e-5)
    assert history.history["accuracy"][0] == pytest.approx(accuracy, abs=1e-12)
    assert trainer.evaluate(loader) == pytest.approx({"loss": full_loss, "accuracy": accuracy},
                                                     rel=1e-5)


def test_evaluate_and_predict_use_eval_mode_and_batches(device):
    x, y = blobs(n=70)
    model = mlp(dropout=0.5, device=device)
    trainer = _trainer(model)
    model.train()
    out = trainer.predict(x, batch_size=32)
    assert isinstance(out, mdl.Tensor) and out.shape == (70, 3) and out.device == device
    assert not out.requires_grad and model.training  # the mode is restored
    model.eval()
    with mdl.no_grad():
        direct = model(mdl.tensor(x, device=device)).numpy()
    np.testing.assert_allclose(out.numpy(), direct, rtol=1e-5, atol=1e-6)
    loader_out = trainer.predict(DataLoader(TensorDataset(x, y), batch_size=25, device=device))
    np.testing.assert_allclose(loader_out.numpy(), direct, rtol=1e-5, atol=1e-6)
    assert set(trainer.evaluate((x, y))) == {"loss", "accuracy"}
    assert not model.training


def test_float64_inputs_and_int32_labels_are_converted():
    x, y = blobs()
    trainer = _trainer(mlp())
    trainer.fit((x.astype(np.float64), y.astype(np.int32)), epochs=1, progress=False)
    assert trainer.model.state_dict()["layers.0.weight"].dtype == np.float32


def test_loss_by_name_and_custom_metric():
    x, y = blobs()
    model = mlp()

    def top2(outputs, targets):
        top = np.argsort(outputs.numpy(), axis=1)[:, -2:]
        return float((top == targets.numpy()[:, None]).any(axis=1).mean())

    trainer = Trainer(model, mdl.optim.Adam(model.parameters(), lr=0.01), "cross_entropy",
                      metrics=["accuracy", top2])
    history = trainer.fit((x, y), epochs=2, progress=False)
    assert set(history.history) == {"loss", "accuracy", "top2"}
    assert all(h >= a for h, a in zip(history.history["top2"], history.history["accuracy"]))
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        Trainer(model, trainer.optimizer, "mse", metrics=["f1"])
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        Trainer(model, trainer.optimizer, "hinge")


def test_binary_accuracy_from_a_single_logit():
    x, y = blobs(classes=2)
    model = mlp(classes=1)

    def bce(outputs, targets):
        return mdl.nn.BCEWithLogitsLoss()(outputs.reshape(-1), targets)

    trainer = Trainer(model, mdl.optim.Adam(model.parameters(), lr=0.05), bce)
    history = trainer.fit((x, y.astype(np.float32)), epochs=5, progress=False)
    assert history.history["accuracy"][-1] > 0.9


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, trainer):
        self.calls.append("train_begin")

    def on_epoch_begin(self, trainer, epoch):
        self.calls.append(f"epoch_begin {epoch}")

    def on_batch_begin(self, trainer, batch):
        self.calls.append(f"batch_begin {batch}")

    def on_after_backward(self, trainer, batch):
        self.calls.append(f"after_backward {batch}")

    def on_batch_end(self, trainer, batch, logs):
        self.calls.append(f"batch_end {batch} {sorted(logs)}")

    def on_epoch_end(self, trainer, epoch, logs):
        self.calls.append(f"epoch_end {epoch} {sorted(logs)} {trainer.epoch} "
                          f"{len(trainer.history)}")

    def on_train_end(self, trainer):
        self.calls.append("train_end")


def test_callback_order():
    x, y = blobs(n=40)
    rec = Recorder()
    _trainer(mlp(), callbacks=[rec]).fit((x, y), epochs=2, val_data=(x, y), progress=False,
                                         batch_size=20)
    logs = "['accuracy', 'loss', 'val_accuracy', 'val_loss']"
    batch = ["batch_begin {b}", "after_backward {b}", "batch_end {b} ['accuracy', 'loss']"]
    expected = ["train_begin"]
    for epoch in range(2):
        expected.append(f"epoch_begin {epoch}")
        for b in range(2):
            expected += [s.format(b=b) for s in batch]
        expected.append(f"epoch_end {epoch} {logs} {epoch + 1} {epoch + 1}")
    expected.append("train_end")
    assert rec.calls == expected


def test_after_backward_sees_gradients_before_the_step():
    x, y = blobs(n=32)
    model = mlp()
    seen = []

    class Check(Callback):
        def on_after_backward(self, trainer, batch):
            w = trainer.model.state_dict()["layers.0.weight"]
            seen.append((w.numpy().copy(), trainer.model.layers[0].weight.grad is not None))

    before = weights(model)["layers.0.weight"]
    _trainer(model, callbacks=[Check()]).fit((x, y), epochs=1, progress=False)
    np.testing.assert_array_equal(seen[0][0], before)
    assert seen[0][1]
    assert not np.array_equal(weights(model)["layers.0.weight"], before)


def test_stop_training_from_a_batch_callback():
    x, y = blobs(n=128)

    class StopAfterTwo(Callback):
        def on_batch_end(self, trainer, batch, logs):
            if batch == 1:
                trainer.stop_training = True

    trainer = _trainer(mlp(), callbacks=[StopAfterTwo()])
    history = trainer.fit((x, y), epochs=5, progress=False)
    assert trainer.iterations == 2 and len(history) == 1


def test_schedulers_per_epoch_and_per_batch():
    x, y = blobs(n=64)
    model = mlp()
    opt = mdl.optim.SGD(model.parameters(), lr=0.1)
    sched = mdl.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    Trainer(model, opt, "cross_entropy", scheduler=sched).fit((x, y), epochs=3, progress=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 3)

    opt = mdl.optim.SGD(model.parameters(), lr=0.1)
    sched = mdl.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    Trainer(model, opt, "cross_entropy", scheduler=sched, scheduler_interval="batch").fit(
        (x, y), epochs=1, batch_size=16, progress=False)
    assert sched.last_epoch == 4 and opt.param_groups[0]["lr"] == pytest.approx(0.1 / 16)


def test_plateau_scheduler_gets_the_monitored_value():
    x, y = blobs(n=64)
    model = mlp()
    opt = mdl.optim.SGD(model.parameters(), lr=0.1)
    received = []

    class Spy(mdl.optim.lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics):
            received.append(metrics)
            super().step(metrics)

    trainer = Trainer(model, opt, "cross_entropy", scheduler=Spy(opt))
    history = trainer.fit((x, y), epochs=2, val_data=(x[:20], y[:20]), progress=False)
    assert received == history.history["val_loss"]
    received.clear()
    trainer.fit((x, y), epochs=1, progress=False)  # no validation: falls back to the loss
    assert received == history.history["loss"][-1:]


def test_progress_off_is_silent_and_line_mode_prints_one_line_per_epoch(capsys):
    x, y = blobs(n=40)
    _trainer(mlp()).fit((x, y), epochs=2, progress=False)
    assert capsys.readouterr() == ("", "")
    _trainer(mlp()).fit((x, y), epochs=2, val_data=(x, y), progress=True)  # stderr is no TTY
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[1].startswith("epoch 2/2: loss ")
    assert "val_accuracy" in err[1] and "samples/s" in err[1]


def test_progress_bar_on_a_terminal(monkeypatch):
    pytest.importorskip("tqdm")
    import io

    from minidl.training import progress

    class FakeTTY(io.StringIO):
        def isatty(self):
            return True

    stream = FakeTTY()
    monkeypatch.setattr(progress.sys, "stderr", stream)
    monkeypatch.setattr(progress, "_REFRESH_S", 0.0)
    x, y = blobs(n=64)
    _trainer(mlp()).fit((x, y), epochs=1, progress=True, batch_size=16)
    text = stream.getvalue()
    assert "epoch 1/1" in text and "4/4" in text and "samples/s" in text and "accuracy" in text


def test_bad_arguments():
    model = mlp()
    opt = mdl.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler_interval"):
        Trainer(model, opt, "mse", scheduler_interval="step")
    with pytest.raises(TypeError, match="Callback instances"):
        Trainer(model, opt, "mse", callbacks=[print])
    with pytest.raises(TypeError, match="DataLoader or an \\(x, y\\) pair"):
        Trainer(model, opt, "mse").fit(42)
    with pytest.raises(ValueError, match="x has 3 samples but y has 2"):
        Trainer(model, opt, "mse").fit((np.zeros((3, 4)), np.zeros(2)))


def test_empty_training_data_is_an_error():
    x, y = blobs(n=10)
    trainer = _trainer(mlp())
    loader = DataLoader(TensorDataset(x, y), batch_size=32, drop_last=True)  # no full batch
    with pytest.raises(ValueError, match="the training data gave no batches"):
        trainer.fit(loader, progress=False)
