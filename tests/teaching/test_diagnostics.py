"""The Trainer diagnostics callback: numbers per layer and epoch, and warnings naming layers."""
import math
import warnings

import numpy as np
import pytest

import minidl as mdl
from minidl.teaching.diagnostics import Diagnostics, TrainingDiagnosticsWarning


def _data(n=64, d=4, classes=3):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x, rng.integers(0, classes, n)


def test_numbers_match_a_manual_computation():
    mdl.manual_seed(0)
    model = mdl.nn.MLP(4, [8], 3)
    opt = mdl.optim.SGD(model.parameters(), lr=0.1)
    diag = Diagnostics(warn=False)
    x, y = _data(n=16)
    trainer = mdl.Trainer(model, opt, mdl.nn.CrossEntropyLoss(), callbacks=[diag])
    w0 = [p.numpy().copy() for p in model.layers[0].parameters()]
    with mdl.no_grad():
        h = model.layers[0](mdl.tensor(x)).numpy()
    trainer.fit((x, y), epochs=1, batch_size=16, progress=False, shuffle=False)
    row0, row1 = diag.history[0]["layers.0"], diag.history[0]["layers.1"]
    g = [p.grad.numpy() for p in model.layers[0].parameters()]
    w1 = [p.numpy() for p in model.layers[0].parameters()]
    assert row0["grad_norm"] == pytest.approx(math.sqrt(sum((a ** 2).sum() for a in g)))
    moved = math.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(w1, w0)))
    assert row0["update_ratio"] == pytest.approx(moved / math.sqrt(sum((a ** 2).sum()
                                                                       for a in w1)), rel=1e-5)
    assert row0["act_mean"] == pytest.approx(h.mean(), abs=1e-6)
    assert row0["act_std"] == pytest.approx(h.std(), rel=1e-5)
    relu = np.maximum(h, 0)
    assert row1["dead_fraction"] == pytest.approx(np.mean(~(relu > 0).any(axis=0)))
    assert "dead_fraction" not in row0 and "grad_norm" not in row1
    # the recorder is uninstalled: forward is the class's again
    assert "forward" not in model.layers[0].__dict__
    table = diag.table()
    assert table.splitlines()[0] == "diagnostics, epoch 1"
    assert table.splitlines()[2].startswith("layers.0  Linear")


def test_dead_relus_warn_with_the_layer_named():
    mdl.manual_seed(0)
    model = mdl.nn.MLP(4, [8], 3)
    with mdl.no_grad():
        model.layers[0].bias.data[:] = -100.0      # every hidden unit is off for every input
    diag = Diagnostics()
    trainer = mdl.Trainer(model, mdl.optim.SGD(model.parameters(), lr=0.01),
                          mdl.nn.CrossEntropyLoss(), callbacks=[diag])
    with pytest.warns(TrainingDiagnosticsWarning,
                      match=r"layer 'layers.1' \(ReLU\), epoch 1: 100% of its units output 0"):
        trainer.fit(_data(), epochs=1, progress=False)
    assert diag.history[0]["layers.1"]["dead_fraction"] == 1.0


def test_vanishing_and_exploding_gradients_warn():
    mdl.manual_seed(0)
    model = mdl.nn.MLP(4, [8], 3)
    diag = Diagnostics(vanishing=1e9)     # any gradient counts as vanishing here
    trainer = mdl.Trainer(model, mdl.optim.SGD(model.parameters(), lr=0.01),
                          mdl.nn.CrossEntropyLoss(), callbacks=[diag])
    with pytest.warns(TrainingDiagnosticsWarning,
                      match=r"layer 'layers.0' \(Linear\), epoch 1: gradient norm .* vanishing"):
        trainer.fit(_data(), epochs=1, progress=False)
    diag = Diagnostics(exploding=1e-9)
    trainer.callbacks = [diag]
    with pytest.warns(TrainingDiagnosticsWarning, match=r"layer 'layers.2'.*exploding"):
        trainer.fit(_data(), epochs=1, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.callbacks = [Diagnostics()]   # healthy defaults: no warning
        trainer.fit(_data(), epochs=1, progress=False)
