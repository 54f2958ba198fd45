"""The backward pass: order, accumulation, freeing, hooks, retain_grad, grad(), grad mode."""
import numpy as np
import pytest

import minidl as mdl
from tests.autograd.helpers import leaf


def test_chain_of_10000_ops_backpropagates_iteratively(device):
    x = leaf(1.0, device)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()  # a recursive walk would raise RecursionError long before 10,000 nodes
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 10_000, rtol=1e-10)


def test_deep_chain_through_grad_with_create_graph():
    x = leaf(0.5, "cpu")
    y = x
    for _ in range(3_000):
        y = (y * 0.999).tanh() + 0.001
    (g,) = mdl.autograd.grad(y, x, create_graph=True)
    (gg,) = mdl.autograd.grad(g, x)
    assert np.isfinite(g.item()) and np.isfinite(gg.item())


def test_diamond_graph_sums_both_paths(device):
    x = leaf([1.0, -2.0], device)
    h = x * 3.0
    y = (h + h * h).sum()  # dy/dx = 3 + 2·h·3
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 + 18 * x.numpy())


def test_gradients_accumulate_across_backward_calls(device):
    x = leaf([1.0, 2.0], device)
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 3)


def test_first_gradient_is_not_shared_between_leaves(device):
    a, b = leaf([1.0, 2.0], device), leaf([3.0, 4.0], device)
    (a + b).sum().backward()  # Add hands the same gy to both inputs
    with mdl.no_grad():
        a.grad *= 2.0
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_graph_is_freed_after_backward(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_freed_saved_tensors_raise_a_clear_error(device):
    x = leaf([1.0, 2.0], device)
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (h * 2.0).sum().backward()  # reaches Exp, whose saved output was freed


def test_retain_graph_allows_a_second_backward(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.numpy())


def test_backward_needs_a_gradient_for_non_scalars(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match=r"one-element outputs.*shape \(2,\)"):
        (x * 2.0).backward()
    (x * 2.0).backward(mdl.tensor([1.0, 10.0], dtype="float64", device=device))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 20.0])


def test_backward_gradient_shape_must_match(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match=r"gradient of shape \(3,\).*shape \(2,\)"):
        (x * 2.0).backward(mdl.ones(3, dtype="float64", device=device))


def test_backward_of_a_tensor_without_grad_raises(device):
    x = mdl.tensor([1.0], device=device)
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2.0).sum().backward()


def test_backward_on_a_leaf_and_on_one_element_tensors(device):
    x = leaf([3.0], device)
    x.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0])
    y = leaf([[2.0]], device)
    (y * y).backward()  # one element, any number of axes
    np.testing.assert_array_equal(y.grad.numpy(), [[4.0]])


def test_inputs_without_grad_get_none(device):
    x, c = leaf([1.0], device), mdl.tensor([5.0], dtype="float64", device=device)
    (x * c).sum().backward()
    assert c.grad is None and x.grad is not None


def test_non_leaf_grad_is_kept_only_with_retain_grad(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2.0
    k = h * 3.0
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad.numpy(), h.numpy())
    assert not h.is_leaf and x.is_leaf


def test_leaf_hook_sees_the_total_gradient_once_and_may_replace_it(device):
    x = leaf([1.0, 2.0], device)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = x.register_hook(lambda g: g * 10.0)
    (x * 2.0 + x * 3.0).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [5.0, 5.0])
    np.testing.assert_array_equal(x.grad.numpy(), [50.0, 50.0])
    handle.remove()
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    handle.remove()  # removing twice is harmless


def test_non_leaf_hook_changes_what_flows_further(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2.0
    got = []
    h.register_hook(lambda g: got.append(g.numpy().copy()))
    h.register_hook(lambda g: g * 0.0 + 1.0)
    (h * h).sum().backward()  # d/dh = 2h, replaced by 1 before reaching x
    np.testing.assert_array_equal(got[0], 2 * h.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_retain_grad_records_the_hooked_gradient(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2.0
    h.retain_grad()
    h.register_hook(lambda g: g * 3.0)
    h.sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_hooks_and_retain_grad_need_requires_grad(device):
    c = mdl.tensor([1.0], device=device)
    with pytest.raises(RuntimeError, match="does not require grad"):
        c.register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="does not require grad"):
        c.retain_grad()


def test_grad_returns_without_accumulating(device):
    x, w = leaf([1.0, 2.0], device), leaf([3.0, -1.0], device)
    y = (x * w).sum()
    gx, gw = mdl.autograd.grad(y, [x, w])
    np.testing.assert_array_equal(gx.numpy(), w.numpy())
    np.testing.assert_array_equal(gw.numpy(), x.numpy())
    assert x.grad is None and w.grad is None


def test_grad_accepts_sequences_and_non_leaf_inputs(device):
    x = leaf([1.0, 2.0], device)
    h = x * x
    y1, y2 = h.sum(), (h * 2.0).sum()
    (gh,) = mdl.autograd.grad([y1, y2], h, grad_outputs=[None, None])
    np.testing.assert_array_equal(gh.numpy(), [3.0, 3.0])
    gx = mdl.autograd.grad(h, (x,), grad_outputs=mdl.ones(2, dtype="float64", device=device))
    assert isinstance(gx, tuple) and len(gx) == 1
    np.testing.assert_array_equal(gx[0].numpy(), [2.0, 4.0])


def test_grad_of_an_unused_input(device):
    x, z = leaf([1.0], device), leaf([2.0], device)
    with pytest.raises(RuntimeError, match="input 1.*not used"):
        mdl.autograd.grad((x * 2.0).sum(), [x, z])
    gx, gz = mdl.autograd.grad((x * 2.0).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.item() == 2.0


def test_grad_keeps_or_frees_the_graph(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    mdl.autograd.grad(y, x, retain_graph=True)
    mdl.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        mdl.autograd.grad(y, x)


def test_no_grad_and_enable_grad_as_context_managers(device):
    x = leaf([1.0], device)
    assert mdl.is_grad_enabled()
    with mdl.no_grad():
        assert not mdl.is_grad_enabled()
        y = x * 2.0
        with mdl.enable_grad():
            assert mdl.is_grad_enabled()
            z = x * 2.0
        assert not mdl.is_grad_enabled()
    assert mdl.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_and_enable_grad_as_decorators(device):
    x = leaf([1.0], device)

    @mdl.no_grad()
    def frozen(t):
        return t * 2.0, mdl.is_grad_enabled()

    @mdl.enable_grad()
    def tracked(t):
        return t * 2.0

    y, enabled = frozen(x)
    assert not y.requires_grad and not enabled
    with mdl.no_grad():
        assert tracked(x).requires_grad
    assert mdl.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with mdl.no_grad():
            1 / 0
    assert mdl.is_grad_enabled()


def test_backward_does_not_record_unless_create_graph(device):
    x = leaf([1.0, 2.0], device)
    (x * x).sum().backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad
    y = leaf([1.0, 2.0], device)
    (y * y).sum().backward(create_graph=True)
    assert y.grad.requires_grad
    y.grad.sum().backward()  # d/dy Σ 2y = 2, added to the first gradient 2y
    np.testing.assert_array_equal(y.grad.numpy(), 2 * y.numpy() + 2)


def test_version_counter_catches_in_place_changes_of_saved_inputs(device):
    x = leaf([1.0, 2.0], device)
    w = mdl.tensor([3.0, 4.0], dtype="float64", device=device)
    y = (x * w).sum()  # Mul saved w
    with mdl.no_grad():
        w += 1.0
    with pytest.raises(RuntimeError, match=r"Mul: a tensor of shape \(2,\).*modified in place"):
        y.backward()


def test_version_counter_catches_in_place_changes_of_saved_outputs(device):
    x = leaf([1.0, 2.0], device)
    h = x.exp()  # Exp saved its output h
    y = h.sum()  # (Sum saves nothing)
    with mdl.no_grad():
        h.data[...] = 0.0
        h._bump_version()
    with pytest.raises(RuntimeError, match="Exp.*modified in place"):
        y.backward()


def test_unmodified_saved_tensors_are_fine(device):
    x = leaf([1.0, 2.0], device)
    w = mdl.tensor([3.0, 4.0], dtype="float64", device=device)
    y = (x * w).sum()
    other = w * 1.0
    with mdl.no_grad():
        other += 1.0  # a different tensor
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_in_place_change_of_a_leaf_that_requires_grad_is_refused(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="in-place change of a tensor that requires grad"):
        x[0] = 5.0
    with pytest.raises(RuntimeError, match="no_grad"):
        x.fill_(0.0)
    y = x
    y += 1.0  # under grad mode this rebinds (y = y + 1), leaving x alone
    assert y is not x and y.grad_fn is not None
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    with mdl.no_grad():
        x += 1.0
        x[1] = 0.0
    assert x._version == 2
    np.testing.assert_array_equal(x.numpy(), [2.0, 0.0])
