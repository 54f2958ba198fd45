"""Module forward hooks and pre-hooks (PyTorch's API and semantics), and how Sequential's
Linear → ReLU fusion steps aside for a module that has them."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn


def test_forward_pre_hook_and_forward_hook_see_and_may_replace():
    layer = nn.Linear(3, 2)
    seen = []
    pre = layer.register_forward_pre_hook(lambda m, args: seen.append(("pre", m, args[0].shape)))
    post = layer.register_forward_hook(lambda m, args, y: seen.append(("post", y.shape)))
    x = mdl.randn(4, 3)
    y = layer(x)
    assert seen == [("pre", layer, (4, 3)), ("post", (4, 2))]
    doubled = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2.0,))
    zeroed = layer.register_forward_hook(lambda m, args, out: out * 0.0)
    np.testing.assert_allclose(layer(x).numpy(), 0.0)
    zeroed.remove()
    np.testing.assert_allclose(layer(x).numpy(), layer.forward(x * 2.0).numpy())
    for handle in (pre, post, doubled):
        handle.remove()
    seen.clear()
    np.testing.assert_array_equal(layer(x).numpy(), y.numpy())
    assert seen == [] and not layer.has_forward_hooks


def test_a_pre_hook_may_return_one_value_instead_of_a_tuple():
    relu = nn.ReLU()
    relu.register_forward_pre_hook(lambda m, args: -args[0])
    np.testing.assert_array_equal(relu(mdl.tensor([1.0, -2.0])).numpy(), [0.0, 2.0])


def test_hooks_are_checked_and_handles_work_as_context_managers():
    layer = nn.ReLU()
    with pytest.raises(TypeError, match="callable"):
        layer.register_forward_hook(3)
    calls = []
    with layer.register_forward_hook(lambda m, a, y: calls.append(1)):
        layer(mdl.zeros(2))
    layer(mdl.zeros(2))
    assert calls == [1]


def test_sequential_fuses_linear_relu_unless_a_member_has_hooks():
    mdl.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = mdl.randn(5, 3)
    assert type(net(x).grad_fn.parents[0]).__name__ == "LinearReLU"
    outputs = []
    handle = net[1].register_forward_hook(lambda m, args, y: outputs.append(y))
    y = net(x)
    assert type(y.grad_fn.parents[0]).__name__ == "ReLU" and len(outputs) == 1
    handle.remove()
    np.testing.assert_array_equal(net(x).numpy(), y.numpy())
    np.testing.assert_array_equal(net.forward_unfused(x).numpy(), y.numpy())
