"""The backward trace: one record per visited node, in order, with the true gradient norms."""
import numpy as np
import pytest

import minidl as mdl
from minidl.autograd import engine
from minidl.autograd.ops import linear
from minidl.teaching import trace_backward


def _norm(t):
    return float(np.linalg.norm(mdl.backends.get_backend(t.device).to_numpy(t.data)
                                .astype(np.float64)))


def _two_layer(device):
    x = mdl.randn(4, 3, device=device)
    W1 = mdl.randn(5, 3, device=device, requires_grad=True)
    b1 = mdl.randn(5, device=device, requires_grad=True)
    W2 = mdl.randn(2, 5, device=device, requires_grad=True)
    b2 = mdl.randn(2, device=device, requires_grad=True)
    names = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return x, names


def test_trace_records_nodes_in_reverse_order_with_true_norms(device):
    x, p = _two_layer(device)
    with trace_backward(names=p) as trace:
        h = linear(x, p["W1"], p["b1"])
        a = mdl.relu(h)
        h.retain_grad()
        a.retain_grad()
        y = linear(a, p["W2"], p["b2"])
        loss = (y * y).sum()
        loss.backward()
    ops = [r.op for r in trace.records]
    assert ops == ["Sum", "Mul", "Linear", "ReLU", "Linear"]
    second, relu, first = trace.records[2:]
    assert second.output_shape == (4, 2)
    assert second.input_shapes == ((4, 5), (2, 5), (2,))
    assert [o.target for o in second.outgoing] == ["#4 ReLU", "W2", "b2"]
    assert [o.shape for o in second.outgoing] == [(4, 5), (2, 5), (2,)]
    # what Linear#2 sends to ReLU is dL/da; what ReLU receives is the same gradient
    assert second.outgoing[0].norm == pytest.approx(_norm(a.grad), rel=1e-6)
    assert relu.grad_norm == pytest.approx(_norm(a.grad), rel=1e-6)
    assert relu.outgoing[0].norm == pytest.approx(_norm(h.grad), rel=1e-6)
    for out, name in zip(second.outgoing[1:] + first.outgoing[1:], ["W2", "b2", "W1", "b1"]):
        assert out.target == name
        assert out.norm == pytest.approx(_norm(p[name].grad), rel=1e-6)
    # the input x needs no gradient: listed with its shape, no norm
    assert first.outgoing[0].target == "(needs no grad)" and first.outgoing[0].norm is None
    assert first.outgoing[0].shape == (4, 3)
    assert trace.records[0].grad_norm == 1.0


def test_trace_table_text():
    x, p = _two_layer("cpu")
    with trace_backward(names=p) as trace:
        loss = linear(mdl.relu(linear(x, p["W1"], p["b1"])), p["W2"], p["b2"]).sum()
        loss.backward()
    text = str(trace)
    lines = text.splitlines()
    assert lines[0] == "backward trace: 4 nodes, in the order backward visits them"
    assert lines[1].split() == ["step", "op", "output", "|dL/d", "out|", "sends", "dL/d",
                                "input", "to", "input", "|dL/d", "in|"]
    rows = [line.split() for line in lines[3:]]
    assert rows[0][:4] == ["1", "Sum", "()", "1"] and rows[0][4:7] == ["#2", "Linear", "(4,"]
    w2 = next(r for r in rows if "W2" in r)
    assert float(w2[-1]) == pytest.approx(_norm(p["W2"].grad), rel=1e-3)
    assert any(r[:3] == ["3", "ReLU", "(4,"] for r in rows)


def test_broadcast_gradient_is_summed_to_the_input_shape(device):
    x = mdl.randn(3, 4, device=device, requires_grad=True)
    b = mdl.randn(4, device=device, requires_grad=True)
    with trace_backward(names={"x": x, "b": b}) as trace:
        ((x + b) * 2.0).sum().backward()
    add = trace.records[-1]
    assert add.op == "Add"
    assert [o.shape for o in add.outgoing] == [(3, 4), (4,)]
    assert add.outgoing[1].norm == pytest.approx(_norm(b.grad))    # 2·3 per element, summed
    assert add.outgoing[1].norm == pytest.approx(6.0 * 2.0)


def test_no_observer_left_behind_and_nothing_recorded_outside():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    with trace_backward() as trace:
        pass
    assert engine.observers == []
    (x * x).sum().backward()
    assert len(trace) == 0
    with pytest.raises(ValueError):
        with trace_backward():
            raise ValueError("boom")
    assert engine.observers == []


def test_two_backward_passes_are_both_recorded():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    with trace_backward() as trace:
        (x * x).sum().backward()
        (3.0 * x).sum().backward()
    assert [r.op for r in trace.records] == ["Sum", "Mul", "Sum", "Mul"]
