"""``python -m minidl train`` on small subsets of the real MNIST files ($MINIDL_DATA)."""
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import minidl as mdl
from minidl.cli import main


@pytest.fixture
def data_root():
    root = os.environ.get("MINIDL_DATA")
    if not root or not os.path.isfile(os.path.join(root, "mnist", "t10k-labels-idx1-ubyte.gz")):
        pytest.skip("MINIDL_DATA is not set or has no mnist/ files")
    return root


def _train(*options):
    return main(["train", "--no-progress", *options])


def test_train_writes_metrics_checkpoint_and_curves(tmp_path, data_root, capsys):
    out = tmp_path / "run"
    code = _train("--data", data_root, "--limit", "1000", "--epochs", "2", "--hidden", "32",
                  "--out", str(out))
    assert code == 0
    printed = capsys.readouterr()
    assert "model      MLP 784 -> [32] -> 10, relu" in printed.out
    assert "test accuracy" in printed.out and "epoch 2/2: loss" in printed.err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["train_samples"] == 900
    assert metrics["val_samples"] == 100 and metrics["test_samples"] == 10000
    assert 0.5 < metrics["test_accuracy"] <= 1.0  # 900 images, 2 epochs: far above chance
    assert len(metrics["history"]["val_accuracy"]) == 2
    state = mdl.load(out / "checkpoint.npz")
    assert state["epoch"] == 2 and state["config"]["hidden"] == "32"
    assert state["model"]["layers.0.weight"].shape == (32, 784)
    pytest.importorskip("matplotlib")
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resume_equals_an_uninterrupted_run(tmp_path, data_root, capsys):
    common = ["--data", data_root, "--limit", "600", "--hidden", "16", "--schedule", "none"]
    assert _train(*common, "--epochs", "2", "--out", str(tmp_path / "straight")) == 0
    assert _train(*common, "--epochs", "1", "--out", str(tmp_path / "stopped")) == 0
    assert _train("--resume", str(tmp_path / "stopped"), "--out", str(tmp_path / "stopped"),
                  "--data", data_root, "--epochs", "2") == 0
    assert "resumed from" in capsys.readouterr().out
    straight = mdl.load(tmp_path / "straight" / "checkpoint.npz")
    resumed = mdl.load(tmp_path / "stopped" / "checkpoint.npz")
    assert resumed["epoch"] == 2 and resumed["history"] == straight["history"]
    for key, value in straight["model"].items():
        np.testing.assert_array_equal(resumed["model"][key].numpy(), value.numpy(), err_msg=key)
    # the architecture of a resumed run cannot change
    assert _train("--resume", str(tmp_path / "stopped"), "--out", str(tmp_path / "x"),
                  "--hidden", "64") == 2
    assert "--hidden 64 differs from the resumed run's '16'" in capsys.readouterr().err


def test_resumed_schedules_keep_their_length():
    import argparse

    from minidl.cli.train import DEFAULTS, resolve_config
    args = argparse.Namespace(**{key: None for key in DEFAULTS})
    saved = {"config": dict(DEFAULTS, schedule="cosine", epochs=4)}
    assert resolve_config(args, saved)["epochs"] == 4
    args.epochs = 6
    with pytest.raises(ValueError, match="--epochs cannot change when resuming a run with "
                                         "--schedule cosine"):
        resolve_config(args, saved)
    saved["config"]["schedule"] = "none"
    assert resolve_config(args, saved)["epochs"] == 6


def test_missing_data_without_network_fails_fast_with_how_to(tmp_path, monkeypatch, capsys):
    from minidl.data import mnist
    with socket.socket() as s:  # a port where nothing listens: the "network" is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(mnist.SOURCE, "mirrors", [f"http://127.0.0.1:{port}/"])
    (tmp_path / "empty").mkdir()  # an existing data root without the files: download, fail
    code = _train("--data", str(tmp_path / "empty"), "--out", str(tmp_path / "run"))
    assert code == 1
    err = capsys.readouterr().err
    assert "MNIST files not found in" in err and "MINIDL_DATA=DIR" in err and "--data DIR" in err
    assert "train-images-idx3-ubyte.gz" in err and "Connection refused" in err


def test_bad_options_are_reported(tmp_path, capsys):
    assert _train("--hidden", "12,x", "--out", str(tmp_path)) == 2
    assert "--hidden must be comma-separated sizes" in capsys.readouterr().err
    assert _train("--resume", str(tmp_path / "nothing"), "--out", str(tmp_path)) == 2
    assert "no such checkpoint" in capsys.readouterr().err


def test_help_lists_the_options():
    result = subprocess.run([sys.executable, "-m", "minidl", "train", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for option in ["--hidden", "--activation", "--optimizer", "--lr", "--schedule", "--epochs",
                   "--batch-size", "--dropout", "--batchnorm", "--device", "--seed", "--data",
                   "--resume", "--out", "--val-split", "--limit", "--no-progress"]:
        assert option in result.stdout
