"""grad()'s bookkeeping: only the nodes a request needs run, so nodes freed by an earlier pass
that it does not need are no error (as in PyTorch), and fused ops' recorded backward."""
import numpy as np
import pytest

import minidl as mdl
from minidl.autograd.ops.fused import FusedFunction
from minidl.autograd.ops.linalg import Linear


def leaf(value, device):
    return mdl.tensor(value, dtype="float64", device=device, requires_grad=True)


def test_second_gradients_through_a_shared_graph_in_either_order(device):
    """PyTorch: x = y = −1 gives gx = y² = 1, gy = 2xy = 2, d(gx)/dy = 2y = −2, d(gy)/dx = 2y."""
    x, y = leaf(-1.0, device), leaf(-1.0, device)
    f = (x * y * y).sum()
    gx, gy = mdl.autograd.grad(f, [x, y], create_graph=True)
    (dgx_dy,) = mdl.autograd.grad(gx.sum(), [y])  # frees the nodes this pass ran ...
    (dgy_dx,) = mdl.autograd.grad(gy.sum(), [x])  # ... which this one does not need
    assert (float(gx), float(gy)) == (1.0, 2.0)
    assert (float(dgx_dy), float(dgy_dx)) == (-2.0, -2.0)


def test_the_issue_example_matches_torch(device):
    torch = pytest.importorskip("torch")
    values = (0.5, -1.0)
    x, y = leaf(values[0], device), leaf(values[1], device)
    gx, gy = mdl.autograd.grad((x * y * y).sum(), [x, y], create_graph=True)
    got = (float(mdl.autograd.grad(gx.sum(), [y])[0]), float(mdl.autograd.grad(gy.sum(), [x])[0]))
    xt, yt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values)
    gxt, gyt = torch.autograd.grad((xt * yt * yt).sum(), [xt, yt], create_graph=True)
    want = (torch.autograd.grad(gxt.sum(), [yt])[0].item(),
            torch.autograd.grad(gyt.sum(), [xt])[0].item())
    assert got == want


def test_a_needed_node_that_was_freed_is_still_an_error(device):
    x = leaf([1.0, 2.0], device)
    h = x.exp()
    mdl.autograd.grad(h.sum(), x)  # frees Exp
    with pytest.raises(RuntimeError, match="second time"):
        mdl.autograd.grad((h * 2.0).sum(), x)


def test_grad_of_a_non_leaf_leaves_the_graph_below_alone(device):
    """grad() with respect to h runs nothing below h, so a second pass below it still works."""
    x = leaf([1.0, 2.0], device)
    h = x.exp()
    (gh,) = mdl.autograd.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.numpy(), 2 * np.exp([1.0, 2.0]))
    h.sum().backward()  # Exp was neither run nor freed by grad()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]))


def test_fused_recorded_backward_gives_partials_when_one_tensor_is_two_inputs(device):
    """Linear(x, x): the twin's vector-Jacobian product gives each input its own partial."""
    rng = np.random.default_rng(0)
    a = mdl.tensor(rng.standard_normal((3, 3)), device=device, requires_grad=True)
    g = mdl.tensor(rng.standard_normal((3, 3)), device=device)
    (plain,) = mdl.autograd.grad(Linear.apply(a, a), a, g)
    (recorded,) = mdl.autograd.grad(Linear.apply(a, a), a, g, create_graph=True)
    (composite,) = mdl.autograd.grad(a @ a.T, a, g)
    np.testing.assert_allclose(plain.numpy(), composite.numpy(), rtol=1e-12)
    np.testing.assert_allclose(recorded.numpy(), composite.numpy(), rtol=1e-12)


def test_fused_function_runs_arrays_or_its_twin(device):
    class Square(FusedFunction):
        """y = x²;  gx = 2x·gy"""
        calls = []

        def forward(self, x):
            self.save_inputs(0)
            return x * x

        def backward_arrays(self, gy):
            Square.calls.append("arrays")
            (x,) = self.saved_tensors
            return 2.0 * x.data * gy  # an array: the engine wraps it

        def twin(self, x):
            Square.calls.append("twin")
            return x * x

    x = leaf([1.0, 3.0], device)
    (g,) = mdl.autograd.grad(Square.apply(x).sum(), x)
    (g2,) = mdl.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    (gg,) = mdl.autograd.grad(g2.sum(), x)
    assert Square.calls == ["arrays", "twin"]
    np.testing.assert_array_equal(g.numpy(), [2.0, 6.0])
    np.testing.assert_array_equal(g2.numpy(), [2.0, 6.0])
    np.testing.assert_array_equal(gg.numpy(), [2.0, 2.0])


def test_post_accumulate_grad_hooks_and_queued_callbacks(device):
    from minidl.autograd import engine
    w = leaf([1.0, 2.0], device)
    seen = []

    def hook(p):
        seen.append(("hook", p.grad.numpy().tolist()))
        engine.queue_callback(lambda: seen.append(("end", p.grad.numpy().tolist())))

    handle = w.register_post_accumulate_grad_hook(hook)
    ((w * 3.0).sum() + (w * w).sum()).backward()
    assert seen == [("hook", [5.0, 7.0]), ("end", [5.0, 7.0])]
    handle.remove()
    (w * 1.0).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 1.0).register_post_accumulate_grad_hook(hook)
    with pytest.raises(RuntimeError, match="no backward pass"):
        engine.queue_callback(lambda: None)


def test_observers_see_gradients_summed_to_each_input_shape(device):
    from minidl.autograd import engine
    x = leaf(np.ones((2, 3)), device)
    b = leaf(np.ones(3), device)
    shapes = []
    engine.observers.append(lambda node, gy, gxs: shapes.append(
        [None if g is None else g.shape for g in gxs]))
    try:
        (x + b).sum().backward()
    finally:
        engine.observers.pop()
    assert [(2, 3), (3,)] in shapes
