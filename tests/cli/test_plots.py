"""minidl.cli.plots: the PNGs ``python -m minidl train`` writes, on a tiny model and history."""
import os
import sys

import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from minidl.cli.plots import plot_cnn_pictures, plot_curves, write_run_pictures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HISTORY = {"loss": [2.1, 1.2, 0.8], "accuracy": [0.3, 0.6, 0.75],
           "val_loss": [1.9, 1.3, 1.0], "val_accuracy": [0.35, 0.55, 0.7]}
MLP_CONFIG = {"dataset": "mnist", "model": "mlp", "hidden": "8", "optimizer": "adam",
              "schedule": "cosine"}
CNN_CONFIG = dict(MLP_CONFIG, model="cnn")


def read_png(path):
    """The decoded pixels (rows, cols, channels) of a PNG file; fails on anything else."""
    assert os.path.isfile(path), path
    with open(path, "rb") as f:
        assert f.read(8) == PNG_SIGNATURE, path
    import matplotlib.image
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[2] in (3, 4), pixels.shape
    return pixels


def tiny_cnn():
    """Flat 8×8 images -> conv 4@3×3 -> ReLU -> pool 2 -> linear: the CNN pictures' shape."""
    mdl.manual_seed(0)
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 4, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 10))


def tiny_test_set():
    x = np.random.default_rng(0).standard_normal((2, 64)).astype(np.float32)
    return x, np.array([7, 2], dtype=np.int64)


def test_curves_png_is_drawn_with_and_without_validation(tmp_path):
    pytest.importorskip("matplotlib")
    path = str(tmp_path / "curves.png")
    assert plot_curves(HISTORY, path, MLP_CONFIG) == path
    assert read_png(path).shape[:2] == (400, 1000)          # figsize (10, 4) at dpi 100
    train_only = {"loss": HISTORY["loss"], "accuracy": HISTORY["accuracy"]}   # --val-split 0
    other = str(tmp_path / "train-only.png")
    assert plot_curves(train_only, other, CNN_CONFIG) == other
    read_png(other)


def test_an_mlp_run_gets_only_its_curves(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    x_test, y_test = tiny_test_set()
    written = write_run_pictures(str(tmp_path), HISTORY, MLP_CONFIG, None, x_test, y_test)
    assert written == [str(tmp_path / "curves.png")]
    read_png(written[0])
    assert sorted(os.listdir(tmp_path)) == ["curves.png"]
    assert capsys.readouterr().err == ""


def test_a_cnn_run_gets_curves_filters_and_feature_maps(tmp_path):
    pytest.importorskip("matplotlib")
    model = tiny_cnn()
    model.train()
    x_test, y_test = tiny_test_set()
    written = write_run_pictures(str(tmp_path), HISTORY, CNN_CONFIG, model, x_test, y_test)
    assert written == [str(tmp_path / name)
                       for name in ("curves.png", "filters.png", "feature_maps.png")]
    for path in written:
        read_png(path)
    assert model.training                                   # the pictures leave its mode alone


def test_without_matplotlib_nothing_is_drawn_and_the_run_says_so(tmp_path, monkeypatch,
                                                                 capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # `import matplotlib` fails
    x_test, y_test = tiny_test_set()
    assert write_run_pictures(str(tmp_path), HISTORY, CNN_CONFIG, tiny_cnn(), x_test,
                              y_test) == []
    assert capsys.readouterr().err == ("matplotlib is not installed: no curves.png was written "
                                       "(pip install 'minidl[plot]' to get it)\n")
    assert plot_curves(HISTORY, str(tmp_path / "curves.png"), MLP_CONFIG) is None
    assert plot_cnn_pictures(tiny_cnn(), x_test, y_test, str(tmp_path)) == []
    assert os.listdir(tmp_path) == []
