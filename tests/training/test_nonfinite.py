"""One NaN in the data stops training at once, saying where and that the data is the cause."""
import warnings

import numpy as np
import pytest

import minidl as mdl
from minidl.teaching import Diagnostics, TrainingDiagnosticsWarning
from minidl.training import NonFiniteLossError
from tests.training.helpers import blobs, mlp, weights


def _trainer(model, lr=0.1, **kwargs):
    return mdl.Trainer(model, mdl.optim.SGD(model.parameters(), lr=lr), "cross_entropy",
                       **kwargs)


def test_a_nan_pixel_stops_training_at_its_step_naming_the_data(device):
    x, y = blobs(n=64)
    x[37, 2] = np.nan                          # batch 3 of 4 (batch size 16), in epoch 2
    model = mlp(device=device)
    trainer = _trainer(model)
    trainer.fit((x[:32], y[:32]), epochs=1, batch_size=16, shuffle=False, progress=False)
    before = weights(model)
    with pytest.raises(NonFiniteLossError, match=r"the loss is nan at epoch 2/3, step 3/4; "
                                                 r"training stopped before .*"
                                                 r"already non-finite \(1 of its input values"):
        trainer.fit((x, y), epochs=2, batch_size=16, shuffle=False, progress=False)
    # the two good steps of epoch 2 were taken; the poisoned one was not: all weights finite
    after = weights(model)
    assert all(np.isfinite(v).all() for v in after.values())
    assert any(not np.array_equal(before[k], after[k]) for k in before)
    assert trainer.iterations == 2 + 2


def test_a_diverging_model_is_told_apart_from_bad_data():
    x, y = blobs(n=64)
    model = mlp()
    trainer = mdl.Trainer(model, mdl.optim.SGD(model.parameters(), lr=1e30), "mse",
                          metrics=())
    with pytest.raises(NonFiniteLossError) as info:
        trainer.fit((x, np.eye(3, dtype=np.float32)[y]), epochs=5, batch_size=16,
                    progress=False)
    assert info.value.bad_inputs == 0 and info.value.bad_targets == 0
    assert "inputs and targets are all finite" in str(info.value)
    assert "lower the learning rate" in str(info.value)


def test_the_check_can_be_turned_off_and_diagnostics_says_nan_not_large():
    x, y = blobs(n=64)
    x[0, 0] = np.nan
    model = mlp()
    diag = Diagnostics()
    trainer = _trainer(model, check_finite=False, callbacks=[diag])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = trainer.fit((x, y), epochs=1, batch_size=16, progress=False)
    assert np.isnan(history.history["loss"][0])
    messages = [str(w.message) for w in caught if issubclass(w.category,
                                                             TrainingDiagnosticsWarning)]
    assert any("hold NaN (not a number), which is not the same as large" in m for m in messages)
    assert not any("exploding" in m for m in messages), messages


def test_large_but_finite_gradients_are_still_called_exploding():
    x, y = blobs(n=64)
    model = mlp()
    trainer = _trainer(model, callbacks=[Diagnostics(exploding=1e-9)])
    with pytest.warns(TrainingDiagnosticsWarning, match="exploding"):
        trainer.fit((x, y), epochs=1, progress=False)
