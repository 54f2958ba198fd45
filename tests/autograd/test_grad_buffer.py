"""Gradient buffers: backward writes a leaf's gradient into the memory its optimizer set aside
(autograd/grad_buffer.py) only where nothing can tell, and the numbers never change."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn, optim


def _mlp(seed=0):
    mdl.manual_seed(seed)
    return nn.MLP(6, [5, 4], 3)


def _batches(device, steps, seed=1):
    rng = np.random.default_rng(seed)
    return [(mdl.tensor(rng.standard_normal((8, 6)).astype(np.float32), device=device),
             mdl.tensor(rng.integers(0, 3, 8), device=device)) for _ in range(steps)]


def _train(device, steps, lend=True, keep=None):
    model = _mlp().to(device)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    for xb, yb in _batches(device, steps):
        opt.zero_grad()
        if not lend:
            for p in model.parameters():
                p.use_grad_buffer(None)
        loss_fn(model(xb), yb).backward()
        if keep is not None:
            keep.append([p.grad for p in model.parameters()])
        opt.step()
    return model, opt


def _flat(opt):
    return opt.flat_group(opt.param_groups[0])


def test_dense_gradients_land_in_the_optimizer_flat_buffer(device):
    model, opt = _train(device, 3)
    flat = _flat(opt)
    opt.zero_grad()
    xb, yb = _batches(device, 1, seed=5)[0]
    nn.CrossEntropyLoss()(model(xb), yb).backward()
    # each gradient *is* the optimizer's view: nothing is copied in the next step
    for p, view in zip(flat.params, flat.grad_views):
        assert p.grad.data is view


def test_training_with_buffers_is_bit_identical_to_training_without(device):
    with_buffers, _ = _train(device, 6)
    without, _ = _train(device, 6, lend=False)
    for a, b in zip(with_buffers.parameters(), without.parameters()):
        assert np.array_equal(a.numpy(), b.numpy())


def test_a_gradient_kept_from_the_previous_step_is_never_overwritten(device):
    kept = []
    _train(device, 4, keep=kept)
    again = []
    _train(device, 4, keep=again, lend=False)
    # the tensors kept at every step still hold that step's gradient
    for step_a, step_b in zip(kept, again):
        for a, b in zip(step_a, step_b):
            assert np.array_equal(a.numpy(), b.numpy())


def test_a_weight_used_twice_gets_the_sum_of_both_gradients(device):
    layer = nn.Linear(4, 4).to(device)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    x = mdl.tensor(np.arange(8.0, dtype=np.float32).reshape(2, 4) / 8, device=device)
    for _ in range(2):  # the second pass runs with the buffers in place
        opt.zero_grad()
        layer(layer(x)).sum().backward()
        w, b = layer.weight.numpy(), layer.bias.numpy()
        xn = x.numpy()
        h = xn @ w.T + b
        gy = np.ones((2, 4), np.float32)
        expected_w = gy.T @ h + (gy @ w).T @ xn
        np.testing.assert_allclose(layer.weight.grad.numpy(), expected_w, rtol=1e-5)
        expected_b = gy.sum(0) + (gy @ w).sum(0)
        np.testing.assert_allclose(layer.bias.grad.numpy(), expected_b, rtol=1e-5)
        opt.step()


def test_accumulating_over_two_backward_passes_adds(device):
    model, opt = _train(device, 2)
    xb, yb = _batches(device, 1, seed=7)[0]
    loss_fn = nn.CrossEntropyLoss()
    opt.zero_grad()
    loss_fn(model(xb), yb).backward()
    once = [p.grad.numpy().copy() for p in model.parameters()]
    loss_fn(model(xb), yb).backward()
    for p, g in zip(model.parameters(), once):
        np.testing.assert_allclose(p.grad.numpy(), 2 * g, rtol=1e-6)


def test_grad_and_create_graph_never_write_into_a_buffer(device):
    model, opt = _train(device, 2)
    flat = _flat(opt)
    before = mdl.tensor(flat.grad).numpy().copy()
    opt.zero_grad()
    xb, yb = _batches(device, 1, seed=9)[0]
    loss = nn.CrossEntropyLoss()(model(xb), yb)
    grads = mdl.autograd.grad(loss, list(model.parameters()), retain_graph=True)
    loss.backward(create_graph=True)
    assert all(p.grad.data is not v for p, v in zip(flat.params, flat.grad_views))
    assert np.array_equal(mdl.tensor(flat.grad).numpy(), before)  # untouched by both
    for g, p in zip(grads, model.parameters()):
        np.testing.assert_allclose(g.numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_zero_grad_without_set_to_none_still_gives_fresh_correct_gradients(device):
    model, opt = _train(device, 2)
    reference, _ = _train(device, 2)
    xb, yb = _batches(device, 1, seed=11)[0]
    opt.zero_grad(set_to_none=False)
    nn.CrossEntropyLoss()(model(xb), yb).backward()
    reference.zero_grad()
    nn.CrossEntropyLoss()(reference(xb), yb).backward()
    for a, b in zip(model.parameters(), reference.parameters()):
        assert np.array_equal(a.grad.numpy(), b.grad.numpy())


def test_use_grad_buffer_checks_size_and_dtype():
    w = mdl.zeros(2, 3, requires_grad=True)
    with pytest.raises(ValueError, match="holding 6 values from offset 2"):
        w.use_grad_buffer(np.zeros(7, np.float32), 2)
    with pytest.raises(ValueError, match="float64"):
        w.use_grad_buffer(np.zeros(6, np.float64))
    with pytest.raises(ValueError, match="1-D"):
        w.use_grad_buffer(np.zeros((2, 3), np.float32))
    w.use_grad_buffer(np.zeros(8, np.float32), 2)
    w.use_grad_buffer(None)  # (no buffer: allowed)


def test_an_optimizer_adopts_buffers_that_lie_end_to_end(device):
    layer = nn.Linear(3, 2).to(device)
    xp = layer.weight.xp
    shared = xp.zeros(8, dtype=layer.weight.dtype)
    layer.weight.use_grad_buffer(shared, 0)
    layer.bias.use_grad_buffer(shared, 6)
    opt = optim.Adam(layer.parameters())
    x = mdl.tensor(np.ones((4, 3), np.float32), device=device)
    for _ in range(2):
        opt.zero_grad()
        layer(x).sum().backward()
        opt.step()
    flat = _flat(opt)
    assert flat.grad.base is shared if device == "cpu" else flat.grad.size == 8
    assert layer.weight.grad.data is mdl.autograd.grad_buffer.buffer_of(layer.weight)
