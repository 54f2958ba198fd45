"""A trained run can be used, and is never overwritten: load_run, `evaluate`, `predict`,
the run folders of `train`, and the small misleads around them."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import minidl as mdl
from minidl.cli import main


@pytest.fixture(scope="module")
def data_root():
    root = os.environ.get("MINIDL_DATA")
    if not root or not os.path.isfile(os.path.join(root, "mnist", "t10k-labels-idx1-ubyte.gz")):
        pytest.skip("MINIDL_DATA is not set or has no mnist/ files")
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_root):
    """A small run: 600 images, 1 epoch, hidden 16, the default dropout 0.1."""
    out = tmp_path_factory.mktemp("runs") / "small"
    assert main(["train", "--no-progress", "--data", data_root, "--limit", "600", "--epochs",
                 "1", "--hidden", "16", "--out", str(out)]) == 0
    return out


def _test_set():
    return mdl.data.mnist.load("test")


# -- item 4: the checkpoint records how to rebuild and feed the model --------------------------
def test_the_checkpoint_records_architecture_and_preprocessing_as_plain_data(trained):
    state = mdl.load(trained / "checkpoint.npz")
    assert state["architecture"] == {"name": "mlp", "args": {
        "in_features": 784, "hidden_sizes": [16], "out_features": 10, "activation": "relu",
        "dropout": 0.1, "batchnorm": False}}
    assert state["preprocessing"] == {"name": "standardize", "mean": 0.1307, "std": 0.3081,
                                      "flatten": True}
    assert state["dataset"] == "mnist" and state["classes"] == [str(i) for i in range(10)]
    assert state["input_shape"] == [28, 28]
    metrics = json.loads((trained / "metrics.json").read_text())
    assert metrics["architecture"] == state["architecture"]
    assert metrics["preprocessing"] == state["preprocessing"]


def test_load_run_rebuilds_the_model_that_gives_the_runs_test_accuracy(trained):
    run = mdl.load_run(trained)
    assert not run.model.training and run.architecture["name"] == "mlp"
    images, labels = _test_set()
    metrics = json.loads((trained / "metrics.json").read_text())
    result = run.evaluate(images, labels)
    assert result["accuracy"] == metrics["test_accuracy"]       # the same digits, exactly
    classes, probabilities = run.predict(images[:50])
    assert classes.shape == (50,) and probabilities.shape == (50, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert np.mean(classes == labels[:50]) == pytest.approx(
        np.mean(run.predict(images[:50])[0] == labels[:50]))
    one_class, _ = run.predict(images[0])                        # one image [28, 28]
    assert one_class.tolist() == classes[:1].tolist()
    assert mdl.load_run(trained / "checkpoint.npz").architecture == run.architecture


def test_load_run_explains_a_checkpoint_without_records(tmp_path):
    model = mdl.nn.Linear(2, 2)
    mdl.save({"model": model.state_dict()}, tmp_path / "checkpoint.npz")
    with pytest.raises(ValueError, match="does not record its architecture and preprocessing"):
        mdl.load_run(tmp_path)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        mdl.load_run(tmp_path / "nothing")


def test_evaluate_command_prints_the_runs_test_accuracy(trained, capsys):
    assert main(["evaluate", str(trained)]) == 0
    metrics = json.loads((trained / "metrics.json").read_text())
    out = capsys.readouterr().out
    assert f"test accuracy {100 * metrics['test_accuracy']:.2f}%" in out
    assert "on 10000 mnist test images" in out
    assert main(["evaluate", str(trained / "nowhere")]) == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_predict_command_reads_npy_idx_and_png(trained, tmp_path, capsys, data_root):
    images, labels = _test_set()
    run = mdl.load_run(trained)
    expected, p = run.predict(images[:3])
    np.save(tmp_path / "three.npy", images[:3])
    np.save(tmp_path / "one.npy", images[0])
    np.save(tmp_path / "flat.npy", images[:2].reshape(2, 784))
    idx_file = os.path.join(data_root, "mnist", "t10k-images-idx3-ubyte.gz")
    assert main(["predict", str(trained), str(tmp_path / "three.npy"), str(tmp_path / "one.npy"),
                 str(tmp_path / "flat.npy")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{tmp_path / 'three.npy'}[0]: {expected[0]} ({100 * p[0, expected[0]]:.1f}%)"
    assert lines[3] == f"{tmp_path / 'one.npy'}: {expected[0]} ({100 * p[0, expected[0]]:.1f}%)"
    assert len(lines) == 6
    assert main(["predict", str(trained), idx_file]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 10000
    assert main(["predict", str(trained), str(tmp_path / "missing.npy")]) == 1
    assert "missing.npy" in capsys.readouterr().err
    Image = pytest.importorskip("PIL.Image")
    # a dark digit on white, twice the size: turned, resized, and classified as the original
    Image.fromarray(255 - images[0]).resize((56, 56)).save(tmp_path / "digit.png")
    assert main(["predict", str(trained), str(tmp_path / "digit.png")]) == 0
    printed = capsys.readouterr()
    assert printed.out.startswith(f"{tmp_path / 'digit.png'}: ")
    assert "inverted" in printed.err and "resized from 56x56" in printed.err


# -- item 5: a run never replaces another one unasked ---------------------------------------
def test_new_runs_never_overwrite_and_a_resumed_run_stays_in_its_folder(tmp_path, data_root,
                                                                        monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    quick = ["train", "--no-progress", "--data", data_root, "--limit", "300", "--hidden", "8",
             "--schedule", "none"]
    assert main(quick + ["--epochs", "1"]) == 0
    first = (tmp_path / "runs" / "mnist-mlp" / "checkpoint.npz").read_bytes()
    assert main(quick + ["--epochs", "1", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert "runs/mnist-mlp holds an earlier run; this run goes to runs/mnist-mlp-2" in printed
    assert (tmp_path / "runs" / "mnist-mlp" / "checkpoint.npz").read_bytes() == first
    assert mdl.load(tmp_path / "runs" / "mnist-mlp-2" / "checkpoint.npz")["config"]["seed"] == 1
    # an explicit --out holding a run is refused unless --overwrite
    assert main(quick + ["--epochs", "1", "--out", "runs/mnist-mlp"]) == 2
    err = capsys.readouterr().err
    assert "--out runs/mnist-mlp already holds a run" in err and "--overwrite" in err
    assert (tmp_path / "runs" / "mnist-mlp" / "checkpoint.npz").read_bytes() == first
    # resuming (the command printed on Ctrl-C) continues in the run's own folder
    assert main(["train", "--no-progress", "--data", data_root, "--epochs", "2", "--resume",
                 "runs/mnist-mlp-2/checkpoint.npz"]) == 0
    assert mdl.load(tmp_path / "runs" / "mnist-mlp-2" / "checkpoint.npz")["epoch"] == 2
    assert (tmp_path / "runs" / "mnist-mlp" / "checkpoint.npz").read_bytes() == first
    assert not (tmp_path / "runs" / "mnist-mlp-3").exists()
    assert main(quick + ["--epochs", "1", "--seed", "2", "--out", "runs/mnist-mlp",
                         "--overwrite"]) == 0  # (another seed: the same one rewrites equal bytes)
    assert (tmp_path / "runs" / "mnist-mlp" / "checkpoint.npz").read_bytes() != first
    assert mdl.load(tmp_path / "runs" / "mnist-mlp" / "checkpoint.npz")["config"]["seed"] == 2


# -- item 10: small misleads -------------------------------------------------------------------
def test_a_mistyped_data_folder_is_never_created(tmp_path, capsys):
    typo = tmp_path / "dtaa"
    assert main(["train", "--data", str(typo), "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert f"the data root {typo} (root='{typo}') does not exist: is it mistyped?" in err
    assert not typo.exists()


def test_data_root_may_be_the_mnist_folder_itself(data_root, monkeypatch):
    monkeypatch.setenv("MINIDL_DATA", os.path.join(data_root, "mnist"))
    images, labels = mdl.data.mnist.load("test", download=False)
    assert images.shape == (10000, 28, 28)
    images, labels = mdl.data.mnist.load("test", root=os.path.join(data_root, "mnist"))
    assert labels.shape == (10000,)


def test_train_without_matplotlib_says_it_wrote_no_curves(tmp_path, data_root, monkeypatch,
                                                          capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # `import matplotlib` fails
    out = tmp_path / "run"
    assert main(["train", "--no-progress", "--data", data_root, "--limit", "300", "--epochs",
                 "1", "--hidden", "8", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "matplotlib is not installed: no curves.png was written" in err
    assert not (out / "curves.png").exists()


def test_example_05_without_data_does_not_mention_download_false(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, MINIDL_DATA=str(tmp_path / "no-data-here"), PYTHONPATH=root,
               MINIDL_EXAMPLE_QUICK="1")
    proc = subprocess.run([sys.executable, os.path.join(root, "examples", "05_mnist_mlp.py")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "download=False" not in proc.stderr + proc.stdout
    assert "MINIDL_DATA" in proc.stderr and "no-data-here" in proc.stderr


def test_train_stops_on_a_nan_pixel_naming_epoch_step_and_the_data(tmp_path, monkeypatch, capsys,
                                                                   data_root):
    from minidl.cli import train as train_cli
    real = train_cli.load_data

    def poisoned(config, root=None):
        x_train, *rest = real(config, root)
        x_train[-1, 300] = np.nan   # one pixel of one image: some batch of epoch 1
        return (x_train, *rest)

    monkeypatch.setattr(train_cli, "load_data", poisoned)
    out = tmp_path / "run"
    assert main(["train", "--no-progress", "--data", data_root, "--limit", "300", "--epochs",
                 "2", "--hidden", "8", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "the loss is nan at epoch 1/2, step " in err
    assert "the batch's data was already non-finite (1 of its input values" in err
    assert not (out / "metrics.json").exists()
