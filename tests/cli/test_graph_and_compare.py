"""`python -m minidl graph` and `python -m minidl compare-optimizers` write their files."""
import shutil

import pytest

from minidl.cli import main


def test_graph_dot(tmp_path, capsys):
    out = tmp_path / "step.dot"
    assert main(["graph", "--out", str(out), "--trace", "--hidden", "6,5"]) == 0
    text = out.read_text()
    assert text.startswith("digraph minidl {") and "layers.4.weight" in text
    printed = capsys.readouterr().out
    assert "backward trace: 6 nodes" in printed and f"wrote {out}" in printed
    ops = [line.split()[1] for line in printed.splitlines()[3:] if line[:4].strip().isdigit()]
    assert ops == ["SoftmaxCrossEntropy", "Linear", "ReLU", "Linear", "ReLU", "Linear"]


def test_graph_without_dot_prints_the_trace_writes_dot_text_and_succeeds(tmp_path, capsys,
                                                                          monkeypatch):
    from minidl.teaching import graphviz
    monkeypatch.setattr(graphviz.shutil, "which", lambda name: None)
    assert main(["graph", "--out", str(tmp_path / "step.svg"), "--trace"]) == 0
    printed = capsys.readouterr()
    assert "Graphviz's 'dot' program was not found" in printed.err
    assert "wrote the DOT text to" in printed.err and "dot -Tsvg" in printed.err
    assert "backward trace: 4 nodes" in printed.out  # the trace needs no Graphviz
    assert f"wrote {tmp_path / 'step.dot'}" in printed.out
    assert (tmp_path / "step.dot").read_text().startswith("digraph")
    assert not (tmp_path / "step.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's 'dot' is not installed (apt-get install graphviz)")
def test_graph_svg(tmp_path):
    assert main(["graph", "--out", str(tmp_path / "step.svg")]) == 0
    assert "<svg" in (tmp_path / "step.svg").read_text()


def test_compare_optimizers_writes_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed")
    Image = pytest.importorskip("PIL.Image")
    code = main(["compare-optimizers", "--surface", "saddle", "--optimizers",
                 "sgd,momentum,nesterov,adagrad,rmsprop,adam", "--steps", "20", "--frames", "5",
                 "--out", str(tmp_path)])
    assert code == 0
    for name in ("saddle_paths.png", "saddle_loss.png", "saddle.gif"):
        assert (tmp_path / name).stat().st_size > 1000
    with Image.open(tmp_path / "saddle.gif") as im:
        assert im.n_frames == 5
    printed = capsys.readouterr().out
    assert "sgd (lr=0.02)" in printed and "adam (lr=0.05)" in printed
    assert main(["compare-optimizers", "--optimizers", "sgd,bogus", "--out",
                 str(tmp_path)]) == 2
    assert "unknown optimizer 'bogus'" in capsys.readouterr().err
