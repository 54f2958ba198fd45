"""Graph pictures: DOT text always; SVG/PNG only where Graphviz's `dot` is installed."""
import shutil

import numpy as np
import pytest

import minidl as mdl
from minidl.autograd.ops import linear
from minidl.teaching import graphviz
from minidl.teaching import GraphvizNotFoundError, draw_backward, draw_graph

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's 'dot' program is not installed "
                                      "(apt-get install graphviz); rendering is not tested")


def _step():
    x = mdl.randn(4, 3)
    W = mdl.randn(2, 3, requires_grad=True)
    b = mdl.zeros(2, requires_grad=True)
    loss = mdl.relu(linear(x, W, b)).sum()
    return loss, {"fc.weight": W, "fc.bias": b}


def test_draw_backward_writes_dot_with_gradient_norms(tmp_path):
    loss, names = _step()
    trace = draw_backward(loss, tmp_path / "g.dot", names=names, title="one step")
    text = (tmp_path / "g.dot").read_text()
    assert text.startswith("digraph minidl {")
    assert 'label="one step"' in text
    w_norm = float(np.linalg.norm(names["fc.weight"].grad.numpy()))
    assert f"fc.weight\\n(2, 3) float32\\nrequires_grad\\ngrad norm {w_norm:.4g}" in text
    relu = next(r for r in trace.records if r.op == "ReLU")
    assert f"ReLU\\n(4, 2) float32\\nneeds grad\\nstep {relu.step} of backward" in text
    assert f"|dL/d out| = {relu.grad_norm:.4g}" in text
    # the graph was kept, so a second backward works and the gradients double
    loss.backward()
    assert np.linalg.norm(names["fc.weight"].grad.numpy()) == pytest.approx(2 * w_norm)


def test_unknown_format_is_refused(tmp_path):
    loss, names = _step()
    with pytest.raises(ValueError, match="unknown picture format 'jpgx'"):
        draw_graph(loss, tmp_path / "g.jpgx")


def test_missing_dot_gives_clear_error_and_leaves_grads_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(graphviz.shutil, "which", lambda name: None)
    loss, names = _step()
    with pytest.raises(GraphvizNotFoundError, match="Graphviz's 'dot' program was not found"):
        draw_backward(loss, tmp_path / "g.svg", names=names)
    assert names["fc.weight"].grad is None
    assert not (tmp_path / "g.svg").exists()


@needs_dot
def test_svg_and_png_render(tmp_path):
    loss, names = _step()
    draw_graph(loss, tmp_path / "g.svg", names=names)
    svg = (tmp_path / "g.svg").read_text()
    assert "<svg" in svg and "Linear" in svg and "fc.weight" in svg
    draw_backward(loss, tmp_path / "g.png", names=names)
    data = (tmp_path / "g.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    PIL = pytest.importorskip("PIL.Image")
    with PIL.open(tmp_path / "g.png") as im:
        assert im.size[0] > 100 and im.size[1] > 100
