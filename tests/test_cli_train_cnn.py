"""``python -m minidl train --model cnn``: Keras's MNIST convnet, briefly, on a real subset."""
import json
import os

import numpy as np
import pytest

import minidl as mdl
from minidl.cli import main
from minidl.cli.train import build_model
from minidl.nn import mnist_convnet


@pytest.fixture
def data_root():
    root = os.environ.get("MINIDL_DATA")
    if not root or not os.path.isfile(os.path.join(root, "mnist", "t10k-labels-idx1-ubyte.gz")):
        pytest.skip("MINIDL_DATA is not set or has no mnist/ files")
    return root


def test_the_cnn_is_keras_mnist_convnet():
    model = mnist_convnet()
    assert sum(p.size for p in model.parameters()) == 34826
    assert model(mdl.zeros(2, 784)).shape == (2, 10)            # the loader's flat images
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Unflatten", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d",
                     "Flatten", "Dropout", "Linear"]
    assert type(build_model({"model": "mlp", "hidden": "8", "activation": "relu",
                             "dropout": 0.0, "batchnorm": False})).__name__ == "MLP"
    rebuilt = mdl.nn.build_model(mdl.nn.architecture("mnist_convnet", classes=10))
    assert [type(m).__name__ for m in rebuilt] == kinds            # a checkpoint's record


def test_cnn_learns_far_above_chance_in_seconds(data_root):
    """80 Adam steps of batch 32 on 2,560 real digits: far above chance on 1,000 test digits."""
    from minidl.cli.train import load_data, make_loader
    config = {"dataset": "mnist", "limit": 2560, "val_split": 0.0, "seed": 0}
    x, y, _, _, x_test, y_test = load_data(config, data_root)
    mdl.manual_seed(0)
    model = mnist_convnet()
    trainer = mdl.Trainer(model, mdl.optim.Adam(model.parameters(), lr=1e-3),
                          mdl.nn.CrossEntropyLoss())
    trainer.fit(make_loader(x, y, 32, "cpu", shuffle=True, seed=0), epochs=1, progress=False)
    test = trainer.evaluate(make_loader(x_test[:1000], y_test[:1000], 500, "cpu"))
    assert test["accuracy"] > 0.8                                # chance is 0.1


def test_train_cnn_command(tmp_path, data_root, capsys):
    out = tmp_path / "cnn"
    code = main(["train", "--no-progress", "--model", "cnn", "--data", data_root, "--limit",
                 "300", "--epochs", "1", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "model      CNN conv 32@3x3" in printed and "34,826 parameters" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["parameters"] == 34826 and metrics["config"]["model"] == "cnn"
    assert metrics["epochs"] == 1 and metrics["test_samples"] == 10000
    state = mdl.load(out / "checkpoint.npz")
    assert state["model"]["1.weight"].shape == (32, 1, 3, 3)
    # resuming keeps the architecture: a CNN checkpoint cannot continue as an MLP
    assert main(["train", "--no-progress", "--resume", str(out), "--model", "mlp", "--data",
                 data_root, "--out", str(tmp_path / "x")]) == 2
    pytest.importorskip("matplotlib")
    for name in ("filters.png", "feature_maps.png", "curves.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG", name
    assert np.isfinite(metrics["test_loss"])
