"""Sequential's rewrites (Linear → ReLU fused, ReLU → MaxPool reordered) give exactly the
numbers of running the modules one by one (``forward_unfused``)."""
import numpy as np
import pytest

import minidl as mdl
import minidl.nn as nn


def _ties_and_negative_windows(rng, shape):
    """Values on a coarse grid (many ties inside 2×2 windows, exact zeros), with some windows
    wholly negative and some all-zero."""
    x = np.round(rng.standard_normal(shape) * 2) / 2
    x[..., :2, :2] = -np.abs(x[..., :2, :2]) - 0.5   # every element < 0
    x[..., 2:4, :2] = 0.0                           # the maximum is a tie of zeros
    x[..., 2:4, 2:4] = 1.5                          # a positive four-way tie
    x[..., :2, 2:4] = np.array([[-1.0, 0.0], [0.0, -2.0]])  # max 0, two ties
    return x


def _pair(make, device, dtype="float64"):
    """Two copies of a Sequential with the same weights, on ``device``."""
    mdl.manual_seed(0)
    a = make().to(device, dtype=dtype)
    b = make().to(device, dtype=dtype)
    b.load_state_dict(a.state_dict())
    return a, b


def _conv_net():
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(3, 2, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                         nn.Flatten(), nn.Linear(2 * 3 * 3, 3))


def _second_order(net, forward, x):
    """Values, first and second derivatives of a scalar of ``forward(x)``: the output, the
    loss's gradients in x and every parameter (with a graph), and the gradient of their
    squared norm in x and every parameter."""
    params = list(net.parameters())
    y = forward(x)
    loss = (y * y).sum() + y.sum()
    grads = mdl.autograd.grad(loss, [x] + params, create_graph=True)
    norm = sum((g * g).sum() for g in grads)
    second = mdl.autograd.grad(norm, [x] + params)
    return [y] + list(grads) + list(second)


def _arrays(tensors):
    return [t.detach().to("cpu").numpy() for t in tensors]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_relu_before_max_pool_runs_after_it_with_the_same_numbers(device, dtype, rng):
    x = _ties_and_negative_windows(rng, (2, 2, 8, 8)).astype(dtype)
    # also the first layer's input: a conv's output rarely ties, so pool the ties directly
    for make in (_conv_net, lambda: nn.Sequential(nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())):
        fused, plain = _pair(make, device, dtype)
        xa = mdl.tensor(x, device=device, requires_grad=True)
        xb = mdl.tensor(x, device=device, requires_grad=True)
        got = _arrays(_second_order(fused, fused.forward, xa))
        want = _arrays(_second_order(plain, plain.forward_unfused, xb))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


def test_reordered_gradient_follows_the_first_maximum_and_relu(device):
    """The rule itself on one window each: positive tie → the first; max ≤ 0 → nothing."""
    x = mdl.tensor([[[[1.0, 1.0, -1.0, -2.0, 0.0, -1.0],
                      [0.5, 1.0, -3.0, -1.0, 0.0, 0.0]]]], device=device, requires_grad=True)
    y = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(x)
    y.backward(mdl.ones_like(y))
    np.testing.assert_array_equal(y.detach().to("cpu").numpy(), [[[[1.0, 0.0, 0.0]]]])
    np.testing.assert_array_equal(x.grad.to("cpu").numpy(),
                                  [[[[1.0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]]])


def test_relu_before_max_pool1d_and_nan_propagate_the_same(device, rng):
    x = _ties_and_negative_windows(rng, (2, 3, 4, 8)).reshape(2, 3, 32)
    x[0, 0, 5] = np.nan
    fused, plain = _pair(lambda: nn.Sequential(nn.ReLU(), nn.MaxPool1d(3, stride=2)), device)
    xa = mdl.tensor(x, device=device)
    np.testing.assert_array_equal(_arrays([fused(xa)])[0], _arrays([plain.forward_unfused(xa)])[0])


def test_eval_mode_and_no_grad_give_the_same_numbers(device, rng):
    x = mdl.tensor(_ties_and_negative_windows(rng, (2, 2, 8, 8)), device=device)
    fused, plain = _pair(_conv_net, device)
    fused.eval()
    plain.eval()
    with mdl.no_grad():
        a, b = fused(x), plain.forward_unfused(x)
    np.testing.assert_array_equal(_arrays([a])[0], _arrays([b])[0])


def test_modules_with_hooks_or_indices_run_as_written(rng):
    x = mdl.tensor(_ties_and_negative_windows(rng, (1, 2, 4, 4)))
    net = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    seen = []
    net[0].register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    net(x)
    assert seen == [(1, 2, 4, 4)]  # the ReLU saw the full-size input: not reordered
    net = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2, return_indices=True))
    y, idx = net(x)
    want, want_idx = nn.MaxPool2d(2, return_indices=True)(mdl.relu(x))
    np.testing.assert_array_equal(idx.numpy(), want_idx.numpy())
    np.testing.assert_array_equal(y.numpy(), want.numpy())


def test_a_reordered_block_is_one_graph_node_fewer_in_relu_size(rng):
    """The point of the rewrite: the ReLU node's output is the pooled size."""
    x = mdl.tensor(rng.standard_normal((1, 2, 6, 6)), requires_grad=True)
    y = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(x)
    assert y.shape == (1, 2, 3, 3)
    assert type(y.grad_fn).__name__ == "ReLU"
