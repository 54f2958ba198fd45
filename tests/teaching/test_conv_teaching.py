"""The teaching tools see through convolution and pooling nodes; the CNN pictures draw."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from minidl.autograd.dot import to_dot
from minidl.teaching import draw_graph, trace_backward


def small_cnn():
    mdl.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(3 * 3 * 3, 4))


def test_trace_backward_visits_conv_and_pool_with_true_norms():
    model = small_cnn()
    x = mdl.randn(2, 1, 8, 8)
    names = dict(model.named_parameters())
    with trace_backward(names=names) as trace:
        loss = nn.CrossEntropyLoss()(model(x), mdl.tensor([1, 3]))
        loss.backward()
    ops = [r.op for r in trace.records]
    assert "Conv2d" in ops and "MaxPool2d" in ops
    conv = trace.records[ops.index("Conv2d")]
    pool = trace.records[ops.index("MaxPool2d")]
    assert conv.output_shape == (2, 3, 6, 6) and pool.output_shape == (2, 3, 3, 3)
    assert ops.index("MaxPool2d") < ops.index("Conv2d")          # backward: pool first
    sent = {o.target: o for o in conv.outgoing}
    weight = model[0].weight
    assert sent["0.weight"].shape == (3, 1, 3, 3)
    assert sent["0.weight"].norm == pytest.approx(float(np.linalg.norm(weight.grad.numpy())),
                                                  rel=1e-5)
    assert sent["0.bias"].norm == pytest.approx(
        float(np.linalg.norm(model[0].bias.grad.numpy())), rel=1e-5)
    table = trace.table()
    assert "Conv2d" in table and "MaxPool2d" in table and "0.weight" in table


def test_draw_graph_shows_conv_and_pool_nodes(tmp_path):
    model = small_cnn()
    loss = model(mdl.randn(2, 1, 8, 8)).sum()
    names = dict(model.named_parameters())
    text = to_dot(loss, names=names)
    assert "Conv2d" in text and "MaxPool2d" in text and "0.weight" in text
    path = draw_graph(loss, tmp_path / "cnn.dot", names=names)
    assert (tmp_path / "cnn.dot").read_text() == text and str(path).endswith("cnn.dot")


def test_second_order_trace_through_conv():
    """create_graph=True: the gradient of a conv is itself a graph the trace can walk."""
    x = mdl.randn(1, 2, 5, 5, dtype="float64", requires_grad=True)
    w = mdl.randn(3, 2, 3, 3, dtype="float64", requires_grad=True)
    c = nn.functional.conv2d(x, w)
    y = (c * c).sum()
    (gw,) = mdl.autograd.grad(y, [w], create_graph=True)
    with trace_backward() as trace:
        gw.sum().backward()
    assert any(r.op in ("Conv2dWeight", "ConvTranspose2d", "Conv2d") for r in trace.records)
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()


def test_filter_and_feature_map_pictures(tmp_path):
    pytest.importorskip("matplotlib")
    from minidl.teaching.conv_pictures import feature_maps, plot_feature_maps, plot_filters
    model = small_cnn()
    image = mdl.randn(1, 8, 8)
    maps = feature_maps(model, image)
    assert [name for name, _ in maps] == ["0 Conv2d", "1 ReLU", "2 MaxPool2d"]
    assert maps[0][1].shape == (3, 6, 6) and (maps[1][1] >= 0).all()
    assert model.training  # restored
    for path in (plot_filters(model, tmp_path / "f.png"),
                 plot_feature_maps(model, image, tmp_path / "m.png", label=7)):
        assert open(path, "rb").read(4) == b"\x89PNG"
    with pytest.raises(ValueError, match="no Conv2d"):
        plot_filters(nn.Sequential(nn.Linear(2, 2)), tmp_path / "x.png")
