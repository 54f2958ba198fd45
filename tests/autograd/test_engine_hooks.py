"""Engine seams: post-accumulate gradient hooks on leaves, and callbacks at the end of backward."""
import numpy as np
import pytest

import minidl as mdl
from minidl.autograd.engine import queue_callback
from tests.autograd.helpers import leaf


def _two_layers(device):
    x = mdl.tensor(np.arange(6.0).reshape(2, 3), device=device)
    w1 = leaf(np.full((3, 4), 0.5), device)
    w2 = leaf(np.full((4, 2), -0.25), device)
    return x, w1, w2


def test_post_accumulate_hook_sees_the_total_gradient_once(device):
    x = leaf([1.0, 2.0], device)
    seen = []
    x.register_post_accumulate_grad_hook(lambda p: seen.append((p is x, p.grad.numpy().copy())))
    (x * x + 3.0 * x).sum().backward()  # three uses of x, one call
    assert len(seen) == 1 and seen[0][0]
    np.testing.assert_allclose(seen[0][1], [5.0, 7.0])


def test_post_accumulate_hook_fires_as_soon_as_the_leaf_is_done(device):
    # the last layer's gradient is complete before the first layer's backward has run
    x, w1, w2 = _two_layers(device)
    w1_grad_when_w2_ready = []
    w2.register_post_accumulate_grad_hook(lambda p: w1_grad_when_w2_ready.append(w1.grad))
    ((x @ w1).relu() @ w2).sum().backward()
    assert w1_grad_when_w2_ready == [None]
    assert w1.grad is not None and w2.grad is not None


def test_post_accumulate_hook_sees_accumulation_across_backward_calls(device):
    x = leaf([1.0], device)
    seen = []
    x.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.item()))
    (2.0 * x).sum().backward()
    (3.0 * x).sum().backward()
    assert seen == [2.0, 5.0]


def test_post_accumulate_hook_may_replace_the_gradient_and_can_be_removed(device):
    x = leaf([1.0, 1.0], device)
    handle = x.register_post_accumulate_grad_hook(lambda p: setattr(p, "grad", p.grad * 10.0))
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])
    handle.remove()
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_post_accumulate_hook_is_not_called_by_grad():
    x = leaf([1.0, 2.0], "cpu")
    called = []
    x.register_post_accumulate_grad_hook(called.append)
    (gx,) = mdl.autograd.grad((x * x).sum(), x)
    assert called == [] and x.grad is None
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])


def test_post_accumulate_hook_only_on_leaves_that_require_grad():
    x = leaf([1.0], "cpu")
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        (x * 2.0).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="does not require grad"):
        mdl.tensor([1.0]).register_post_accumulate_grad_hook(print)


def test_queued_callbacks_run_after_every_gradient_is_set(device):
    x, w1, w2 = _two_layers(device)
    events = []

    def on_w2(p):
        events.append("w2 hook")
        queue_callback(lambda: events.append(("first", w1.grad is not None)))
        queue_callback(lambda: events.append("second"))

    w2.register_post_accumulate_grad_hook(on_w2)
    ((x @ w1) @ w2).sum().backward()
    assert events == ["w2 hook", ("first", True), "second"]
    ((x @ w1) @ w2).sum().backward()  # queued again for the next pass, not left over
    assert events[3:] == ["w2 hook", ("first", True), "second"]


def test_a_callback_may_queue_another():
    x = leaf([1.0], "cpu")
    events = []

    def later():
        events.append("later")

    x.register_post_accumulate_grad_hook(
        lambda p: queue_callback(lambda: (events.append("first"), queue_callback(later))))
    x.sum().backward()
    assert events == ["first", "later"]


def test_queue_callback_outside_backward_is_an_error():
    with pytest.raises(RuntimeError, match="no backward pass is running"):
        queue_callback(print)


def test_callbacks_of_a_failed_pass_are_dropped():
    x = leaf([1.0], "cpu")
    ran = []

    def hook(p):
        queue_callback(lambda: ran.append(True))
        raise ValueError("hook failed")

    handle = x.register_post_accumulate_grad_hook(hook)
    with pytest.raises(ValueError, match="hook failed"):
        (x * 2.0).sum().backward()
    assert ran == []
    handle.remove()
    (x * 2.0).sum().backward()  # the engine is clean again
    assert ran == []
    with pytest.raises(RuntimeError, match="no backward pass"):
        queue_callback(print)
