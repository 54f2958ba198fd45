"""Every lesson in examples/ runs (quick settings) and prints what its docstring promises."""
import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def expected_output(script):
    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    assert doc and "Expected output" in doc, f"{script.name}: no 'Expected output' in docstring"
    block = re.split(r"Expected output[^\n]*:\n", doc, maxsplit=1)[1]
    lines = []
    for line in block.splitlines():
        if line and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines)).strip().splitlines()


def run(name, *args, env=None):
    full_env = dict(os.environ, MINIDL_EXAMPLE_QUICK="1", MPLBACKEND="Agg",
                    PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    full_env.update(env or {})
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True,
                            text=True, env=full_env, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_every_example_is_tested_and_documented():
    scripts = sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py"))
    assert scripts == sorted(TESTED)
    for name in scripts:
        assert expected_output(EXAMPLES / name)


def test_01_sgd_momentum_by_hand():
    # deterministic and independent of quick mode: the whole output is the docstring's
    assert run("01_sgd_momentum_by_hand.py") == expected_output(
        EXAMPLES / "01_sgd_momentum_by_hand.py")


def test_02_batch_vs_minibatch():
    out = run("02_batch_vs_minibatch.py")
    assert out[0] == "N = 200 samples, 10 features, lr = 0.05, full-data MSE after each epoch"
    rows = [line.split() for line in out[2:-1]]
    iters = {(r[0] + " " + r[1]): int(r[3]) for r in rows}
    assert iters == {"batch GD": 1, "stochastic GD": 200, "mini-batch GD": 7}  # ceil(200/32)
    final = dict(re.findall(r"(\w[\w-]* GD) ([\d.]+)", out[-1]))
    assert float(final["mini-batch GD"]) < float(final["batch GD"])
    assert float(final["stochastic GD"]) < 0.05


def test_03_optimizers_on_a_saddle(tmp_path):
    out = run("03_optimizers_on_a_saddle.py", "--out", str(tmp_path))
    expected = expected_output(EXAMPLES / "03_optimizers_on_a_saddle.py")
    assert out[:3] == expected[:3]                 # header and the SGD line, exactly
    for got, want in zip(out[3:], expected[3:]):   # the others: same escape, same numbers
        assert got.split()[:2] == want.split()[:2] and got.endswith("yes")
        assert [float(v) for v in got.split()[2:5]] == pytest.approx(
            [float(v) for v in want.split()[2:5]], rel=1e-3, abs=1e-3)
    if "(no pictures" not in out[-1]:
        assert (tmp_path / "saddle_paths.png").read_bytes()[:4] == b"\x89PNG"


def test_04_learning_rate_decay(tmp_path):
    out = run("04_learning_rate_decay.py", "--out", str(tmp_path))
    assert out[:6] == expected_output(EXAMPLES / "04_learning_rate_decay.py")


@pytest.mark.skipif(not os.environ.get("MINIDL_DATA"),
                    reason="MINIDL_DATA is not set, so MNIST cannot be found")
def test_05_mnist_mlp():
    out = run("05_mnist_mlp.py")
    assert out[0] == "train 2000 images, test 1000 images, 1 epochs"
    assert out[2] == "diagnostics, epoch 1"
    assert out[4].startswith("layers.0  Linear") and out[5].startswith("layers.1  ReLU")
    accuracy = float(out[-1].split(":")[1])
    assert out[-1].startswith("test accuracy:") and accuracy > 0.6


def test_06_batchnorm_dropout():
    out = run("06_batchnorm_dropout.py")
    expected = expected_output(EXAMPLES / "06_batchnorm_dropout.py")
    assert out[:5] == expected[:5]                 # the first 3 epochs: quick mode runs 3
    assert out[5] == expected[10]                  # BatchNorm normalises: mean 0, std 1
    assert out[6].startswith("BatchNorm in eval mode uses running stats: running_mean[:3] =")
    assert out[7:] == expected[12:]                # the Dropout part, exactly


def test_07_gradient_flow():
    out = run("07_gradient_flow_sigmoid_vs_relu.py")
    expected = expected_output(EXAMPLES / "07_gradient_flow_sigmoid_vs_relu.py")
    assert out == expected[:len(out)] and len(out) == 13     # depths 1, 2, 4, 8


def test_11_convolution_by_hand():
    # deterministic (float64, fixed seed): the whole output is the docstring's
    assert run("11_convolution_by_hand.py") == expected_output(
        EXAMPLES / "11_convolution_by_hand.py")


TESTED = ["01_sgd_momentum_by_hand.py", "02_batch_vs_minibatch.py",
          "03_optimizers_on_a_saddle.py", "04_learning_rate_decay.py", "05_mnist_mlp.py",
          "06_batchnorm_dropout.py", "07_gradient_flow_sigmoid_vs_relu.py",
          "08_keras_seven_steps.py", "09_keras_custom_layers.py",
          "10_keras_mnist_like_the_cli.py", "11_convolution_by_hand.py"]


@pytest.mark.skipif(not os.environ.get("MINIDL_DATA"),
                    reason="MINIDL_DATA is not set, so MNIST cannot be found")
def test_08_keras_seven_steps():
    pytest.importorskip("minidl.keras.callbacks")
    out = run("08_keras_seven_steps.py")
    expected = expected_output(EXAMPLES / "08_keras_seven_steps.py")
    assert out[:13] == expected[:13]  # the summary table, exactly
    assert out[13].startswith("85/85 - ") and "val_accuracy" in out[13]  # quick: 1 epoch
    assert out[14] == expected[-4]
    test_accuracy = float(out[15].rsplit(" ", 1)[1])
    assert test_accuracy > 0.8
    assert out[-1] == expected[-1]


def test_09_keras_custom_layers():
    assert run("09_keras_custom_layers.py") == expected_output(
        EXAMPLES / "09_keras_custom_layers.py")


@pytest.mark.skipif(not os.environ.get("MINIDL_DATA"),
                    reason="MINIDL_DATA is not set, so MNIST cannot be found")
def test_10_keras_mnist_like_the_cli():
    pytest.importorskip("minidl.keras.callbacks")
    out = run("10_keras_mnist_like_the_cli.py")
    assert out[0] == "train 3600, validation 400, test 1000 images; 29 steps per epoch"
    assert out[1].startswith("epoch  1: loss ") and out[2].startswith("epoch  2: loss ")
    assert float(out[3].split()[2]) > 0.85
