"""minidl.keras.callbacks against Keras 3's own callbacks, driven by the same scripted
sequences of epoch logs through fake models (EarlyStopping, ReduceLROnPlateau,
LearningRateScheduler, ModelCheckpoint, CSVLogger, History, CallbackList), and
TensorBoard's event files read back with TensorBoard's EventAccumulator."""
import inspect
import os

import numpy as np
import pytest

from minidl.keras import callbacks, metrics, optimizers
from tests.keras.reference import keras_module

VAL_LOSS = [1.0, 0.9, 0.95, 0.91, 0.8999, 0.90, 0.92, 0.93, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9]
VAL_ACC = [0.5, 0.6, 0.58, 0.6005, 0.61, 0.61, 0.6, 0.59, 0.7, 0.69, 0.7, 0.68, 0.67, 0.66]


def epoch_logs(epoch):
    return {"loss": 2.0 / (epoch + 1), "accuracy": 0.4 + 0.01 * epoch,
            "val_loss": VAL_LOSS[epoch], "val_accuracy": VAL_ACC[epoch]}


class FakeModel:
    """What the callbacks touch: stop_training, optimizer, weights, save, metrics."""

    def __init__(self, optimizer, metric_list=()):
        self.stop_training = False
        self.optimizer = optimizer
        self.weights = [np.zeros(2, np.float32)]
        self.saved = []
        self.metrics = list(metric_list)

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, path, **kwargs):
        self.saved.append(("model", path))

    def save_weights(self, path, **kwargs):
        self.saved.append(("weights", path))


def run(callback_list, model, epochs=len(VAL_LOSS), logs_fn=epoch_logs):
    """Drive callbacks as fit does; returns per-epoch (logs seen, learning rate)."""
    trace = []
    for cb in callback_list:
        cb.set_model(model)
        cb.set_params({"epochs": epochs, "steps": 3, "verbose": 0})
    for cb in callback_list:
        cb.on_train_begin({})
    for epoch in range(epochs):
        model.weights = [np.full(2, epoch, np.float32)]   # "training" changes the weights
        for cb in callback_list:
            cb.on_epoch_begin(epoch, {})
        for batch in range(3):
            for cb in callback_list:
                cb.on_train_batch_begin(batch, {})
                cb.on_train_batch_end(batch, {"loss": 1.0 / (batch + 1)})
        logs = logs_fn(epoch)
        for cb in callback_list:
            cb.on_epoch_end(epoch, logs)
        trace.append((dict(logs), float(model.optimizer.learning_rate)))
        if model.stop_training:
            break
    for cb in callback_list:
        cb.on_train_end({})
    return trace


def both(make, opt_kwargs=None, keras_metrics=None, our_metrics=None, **kwargs):
    keras = keras_module()
    opt_kwargs = opt_kwargs or {"learning_rate": 0.1}
    theirs_cb = make(keras.callbacks)
    ours_cb = make(callbacks)
    from keras.src.trainers.compile_utils import MetricsList
    theirs_model = FakeModel(keras.optimizers.SGD(**opt_kwargs),
                             [MetricsList(list(keras_metrics or []))])
    ours_model = FakeModel(optimizers.SGD(**opt_kwargs), list(our_metrics or []))
    theirs = run([theirs_cb], theirs_model, **kwargs)
    ours = run([ours_cb], ours_model, **kwargs)
    return (theirs_cb, theirs_model, theirs), (ours_cb, ours_model, ours)


def _compare_traces(theirs, ours):
    assert len(ours) == len(theirs)
    for (tl, tlr), (ol, olr) in zip(theirs, ours):
        assert ol.keys() == tl.keys()
        for key in tl:
            assert ol[key] == pytest.approx(float(tl[key]), rel=1e-6), key
        assert olr == pytest.approx(tlr, rel=1e-6)


EARLY_STOPPING = [
    dict(), dict(patience=2), dict(patience=3, min_delta=0.01), dict(patience=2, mode="max",
                                                                       monitor="val_accuracy"),
    dict(patience=2, monitor="val_accuracy"),
    dict(patience=1, restore_best_weights=True), dict(patience=4, restore_best_weights=True),
    dict(patience=2, baseline=0.85), dict(patience=2, start_from_epoch=3),
    dict(patience=100, restore_best_weights=True), dict(patience=2, monitor="loss"),
    dict(patience=1, mode="min", monitor="val_accuracy", min_delta=-0.5),
]


@pytest.mark.parametrize("kwargs", EARLY_STOPPING, ids=str)
def test_early_stopping_matches_keras(kwargs):
    keras = keras_module()
    (tcb, tmodel, theirs), (ocb, omodel, ours) = both(
        lambda m: m.EarlyStopping(**kwargs),
        keras_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        our_metrics=[metrics.SparseCategoricalAccuracy(name="accuracy")])
    _compare_traces(theirs, ours)
    assert (ocb.stopped_epoch, ocb.best_epoch, ocb.wait) == \
        (tcb.stopped_epoch, tcb.best_epoch, tcb.wait)
    assert ocb.best == pytest.approx(float(tcb.best))
    np.testing.assert_array_equal(omodel.weights[0], tmodel.weights[0])


REDUCE = [dict(), dict(patience=1), dict(patience=2, factor=0.5, cooldown=2),
          dict(patience=1, factor=0.2, min_lr=0.01), dict(patience=1, min_delta=0.05),
          dict(patience=2, mode="max", monitor="val_accuracy", factor=0.5),
          dict(patience=1, monitor="val_accuracy", cooldown=1)]


@pytest.mark.parametrize("kwargs", REDUCE, ids=str)
def test_reduce_lr_on_plateau_matches_keras(kwargs):
    keras = keras_module()
    (tcb, _, theirs), (ocb, _, ours) = both(
        lambda m: m.ReduceLROnPlateau(**kwargs),
        keras_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        our_metrics=[metrics.SparseCategoricalAccuracy(name="accuracy")])
    _compare_traces(theirs, ours)
    assert (ocb.wait, ocb.cooldown_counter) == (tcb.wait, tcb.cooldown_counter)


SCHEDULES = [lambda epoch, lr: lr if epoch < 3 else lr * 0.5,
             lambda epoch: 0.1 / (1 + epoch),
             lambda epoch, lr: float(np.float32(lr * 0.9))]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_learning_rate_scheduler_matches_keras(schedule):
    (_, _, theirs), (_, _, ours) = both(lambda m: m.LearningRateScheduler(schedule))
    _compare_traces(theirs, ours)
    assert ours[-1][1] != ours[0][1]


def test_learning_rate_scheduler_rejects_non_floats():
    model = FakeModel(optimizers.SGD())
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: "fast")
    cb.set_model(model)
    with pytest.raises(ValueError, match="should be a float"):
        cb.on_epoch_begin(0)


CHECKPOINTS = [dict(filepath="m-{epoch:02d}.keras"),
               dict(filepath="m-{epoch:02d}-{val_loss:.3f}.keras", save_best_only=True),
               dict(filepath="best.weights.h5", save_best_only=True, save_weights_only=True,
                    monitor="val_accuracy", mode="max"),
               dict(filepath="sub/m-{epoch}.keras", save_freq=2),
               dict(filepath="m.keras", save_best_only=True, initial_value_threshold=0.9)]


@pytest.mark.parametrize("kwargs", CHECKPOINTS, ids=str)
def test_model_checkpoint_matches_keras(kwargs, tmp_path):
    kwargs = dict(kwargs, filepath=str(tmp_path / kwargs["filepath"]))
    (_, tmodel, _), (_, omodel, _) = both(lambda m: m.ModelCheckpoint(**kwargs))
    assert omodel.saved == tmodel.saved
    assert omodel.saved


def test_model_checkpoint_checks_the_suffix_as_keras():
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        callbacks.ModelCheckpoint("model.npz")
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        callbacks.ModelCheckpoint("model.keras", save_weights_only=True)


@pytest.mark.parametrize("kwargs, logs_fn", [
    (dict(), epoch_logs),
    (dict(separator=";"), epoch_logs),
    (dict(), lambda e: {"loss": 1.0 / (e + 1), "accuracy": 0.5}),   # no val_: NA columns
])
def test_csv_logger_matches_keras(kwargs, logs_fn, tmp_path):
    keras = keras_module()
    paths = {}
    for name, module in (("keras", keras.callbacks), ("minidl", callbacks)):
        paths[name] = tmp_path / f"{name}.csv"
        model = FakeModel((keras.optimizers if name == "keras" else optimizers).SGD())
        run([module.CSVLogger(paths[name], **kwargs)], model, epochs=4, logs_fn=logs_fn)
    assert paths["minidl"].read_text() == paths["keras"].read_text()


def test_csv_logger_append(tmp_path):
    keras = keras_module()
    for name, module in (("keras", keras.callbacks), ("minidl", callbacks)):
        model = FakeModel((keras.optimizers if name == "keras" else optimizers).SGD())
        path = tmp_path / f"{name}.csv"
        run([module.CSVLogger(path)], model, epochs=2)
        run([module.CSVLogger(path, append=True)], model, epochs=3)
    assert (tmp_path / "minidl.csv").read_text() == (tmp_path / "keras.csv").read_text()


def test_history_and_callback_list():
    model = FakeModel(optimizers.SGD())
    seen = []
    probe = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    cbs = callbacks.CallbackList([probe], add_history=True, model=model, epochs=3)
    assert isinstance(model.history, callbacks.History) and probe.params == {"epochs": 3}
    cbs.on_train_begin()
    for epoch in range(3):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, epoch_logs(epoch))
    cbs.on_train_end()
    assert seen == [0, 1, 2]
    assert model.history.epoch == [0, 1, 2]
    assert model.history.history["val_loss"] == VAL_LOSS[:3]
    with pytest.raises(TypeError, match="Callback instances"):
        callbacks.CallbackList([object()])


def test_auto_mode_needs_a_known_direction():
    cb = callbacks.EarlyStopping(monitor="val_f1")
    cb.set_model(FakeModel(optimizers.SGD()))
    with pytest.raises(ValueError, match="mode='max'"):
        cb.on_epoch_end(0, {"val_f1": 0.3})


CALLBACK_NAMES = ["EarlyStopping", "ModelCheckpoint", "LearningRateScheduler",
                  "ReduceLROnPlateau", "CSVLogger", "TensorBoard", "History", "LambdaCallback",
                  "CallbackList"]


@pytest.mark.parametrize("name", CALLBACK_NAMES)
def test_signatures_match_keras(name):
    keras = keras_module()
    ours = inspect.signature(getattr(callbacks, name).__init__).parameters
    theirs = inspect.signature(getattr(keras.callbacks, name).__init__).parameters
    assert [(k, p.default) for k, p in ours.items()] == \
        [(k, p.default) for k, p in theirs.items()]


# -- TensorBoard --------------------------------------------------------------------------------
class FakeLayer:
    def __init__(self, name, weights):
        self.name = name
        self.weights = weights
        self.trainable_weights = weights


def _read_events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def test_tensorboard_writes_readable_event_files(tmp_path):
    pytest.importorskip("tensorboardX")
    pytest.importorskip("tensorboard")
    import minidl as mdl
    kernel = mdl.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    bias = mdl.tensor(np.zeros(3, np.float32), requires_grad=True)
    kernel.grad = mdl.tensor(np.ones((2, 3), np.float32))
    model = FakeModel(optimizers.SGD(learning_rate=0.05))
    model.layers = [FakeLayer("dense", [kernel, bias])]
    tb = callbacks.TensorBoard(log_dir=tmp_path, histogram_freq=2)
    run([tb], model, epochs=5)
    train, val = _read_events(tmp_path / "train"), _read_events(tmp_path / "validation")
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy",
                                            "epoch_learning_rate"}
    assert set(val.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy"}
    losses = [(e.step, e.value) for e in train.Scalars("epoch_loss")]
    assert [s for s, _ in losses] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([v for _, v in losses], [2.0 / (e + 1) for e in range(5)],
                               rtol=1e-6)
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_loss")], VAL_LOSS[:5],
                               rtol=1e-6)
    assert [e.value for e in train.Scalars("epoch_learning_rate")] == \
        pytest.approx([0.05] * 5)
    histograms = set(train.Tags()["histograms"])
    assert {"dense/weight_0/histogram", "dense/weight_1/histogram",
            "dense/weight_0/gradient"} <= histograms
    kernel_hist = train.Histograms("dense/weight_0/histogram")
    assert [h.step for h in kernel_hist] == [0, 2, 4]
    h = kernel_hist[0].histogram_value
    assert (h.min, h.max, h.num, h.sum) == (0.0, 5.0, 6, 15.0)


def test_tensorboard_batch_scalars(tmp_path):
    pytest.importorskip("tensorboardX")
    pytest.importorskip("tensorboard")
    model = FakeModel(optimizers.SGD())
    run([callbacks.TensorBoard(log_dir=tmp_path, update_freq=2)], model, epochs=2)
    train = _read_events(tmp_path / "train")
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6]


def test_tensorboard_unsupported_options():
    pytest.importorskip("tensorboardX")
    with pytest.raises(NotImplementedError, match="write_images"):
        callbacks.TensorBoard(write_images=True)


def test_tensorboard_without_tensorboardx_names_the_extra(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("tensorboardX"):
            raise ImportError("No module named 'tensorboardX'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"minidl\[tensorboard\]"):
        callbacks.TensorBoard(log_dir="unused")
    assert not os.path.exists("unused")


def test_auto_mode_without_model_metrics_uses_the_compiled_name():
    class Bare:
        stop_training = False
    cb = callbacks.EarlyStopping(monitor="val_accuracy", patience=0)
    cb.set_model(Bare())
    cb.on_train_begin()
    cb.on_epoch_end(0, {"val_accuracy": 0.5})
    cb.on_epoch_end(1, {"val_accuracy": 0.6})   # up is better: no stop
    assert not cb.model.stop_training
    cb.on_epoch_end(2, {"val_accuracy": 0.55})
    assert cb.model.stop_training


def test_callbacks_in_a_real_fit(tmp_path):
    """Every callback inside minidl.keras's own fit (the integration the fakes stand in for)."""
    pytest.importorskip("tensorboardX")
    pytest.importorskip("tensorboard")
    import minidl as mdl
    from minidl import keras
    mdl.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", patience=1,
                                      restore_best_weights=True)
    cbs = [stopper, callbacks.ReduceLROnPlateau(patience=1, factor=0.5),
           callbacks.LearningRateScheduler(lambda epoch, lr: lr),
           callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch:02d}.keras")),
           callbacks.CSVLogger(tmp_path / "log.csv"),
           callbacks.TensorBoard(log_dir=tmp_path / "tb", histogram_freq=1)]
    history = model.fit(x, y, epochs=6, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=cbs)
    epochs = len(history.epoch)
    assert sorted(p.name for p in tmp_path.glob("m-*.keras")) == \
        [f"m-{e:02d}.keras" for e in range(1, epochs + 1)]
    rows = (tmp_path / "log.csv").read_text().splitlines()
    assert rows[0].split(",")[0] == "epoch" and len(rows) == epochs + 1
    assert "learning_rate" in history.history
    train = _read_events(tmp_path / "tb" / "train")
    assert len(train.Scalars("epoch_loss")) == epochs
    assert any(tag.endswith("/gradient") for tag in train.Tags()["histograms"])
    if stopper.best_weights is not None:
        for w, best in zip(model.get_weights(), stopper.best_weights):
            np.testing.assert_array_equal(w, best)
