"""Conv2d, Conv1d, ConvTranspose2d layers: PyTorch's shapes, init, padding modes, values and
gradients against torch, error messages, and the memory budget of evaluation."""
import math
import tracemalloc

import numpy as np
import pytest

import minidl as mdl
import minidl.nn as nn
from tests.nn.helpers import assert_close, copy_weights, randn, torch_of


def test_conv2d_shapes_and_init_bounds():
    conv = nn.Conv2d(4, 6, (3, 2), groups=2)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,)
    bound = 1 / math.sqrt(2 * 3 * 2)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.numpy()).max() <= bound and np.abs(p.numpy()).max() > 0.5 * bound
    up = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert up.weight.shape == (4, 3, 3, 3)
    assert np.abs(up.weight.numpy()).max() <= 1 / math.sqrt(3 * 9)
    assert nn.Conv1d(3, 5, 4, bias=False).weight.shape == (5, 3, 4)
    assert nn.Conv1d(3, 5, 4, bias=False).bias is None
    assert "kernel_size=(3, 2)" in repr(conv) and "groups=2" in repr(conv)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("kwargs", [dict(padding=1, stride=2), dict(padding="same", dilation=2),
                                    dict(padding=(2, 1), groups=2)])
def test_conv2d_layer_matches_torch(mode, kwargs, rng):
    torch = pytest.importorskip("torch")
    ours = nn.Conv2d(4, 6, 3, padding_mode=mode, dtype="float64", **kwargs)
    theirs = torch.nn.Conv2d(4, 6, 3, padding_mode=mode, dtype=torch.float64, **kwargs)
    copy_weights(ours, theirs)
    x = randn(rng, 2, 4, 7, 6, requires_grad=True)
    tx = torch_of(x)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty)
    g = rng.standard_normal(y.shape)
    y.backward(mdl.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(x.grad, tx.grad)
    assert_close(ours.weight.grad, theirs.weight.grad)
    assert_close(ours.bias.grad, theirs.bias.grad)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "circular"])
def test_conv1d_layer_matches_torch(mode, rng):
    torch = pytest.importorskip("torch")
    ours = nn.Conv1d(3, 4, 3, stride=2, padding=2, padding_mode=mode, dtype="float64")
    theirs = torch.nn.Conv1d(3, 4, 3, stride=2, padding=2, padding_mode=mode, dtype=torch.float64)
    copy_weights(ours, theirs)
    for shape in ((2, 3, 9), (3, 9)):  # batched and unbatched
        x = randn(rng, *shape, requires_grad=True)
        tx = torch_of(x)
        y, ty = ours(x), theirs(tx)
        assert_close(y, ty)
        y.sum().backward()
        ty.sum().backward()
        assert_close(x.grad, tx.grad)


def test_conv_transpose2d_layer_matches_torch(rng):
    torch = pytest.importorskip("torch")
    ours = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, dtype="float64")
    theirs = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1,
                                      dtype=torch.float64)
    copy_weights(ours, theirs)
    x = randn(rng, 2, 4, 5, 4, requires_grad=True)
    tx = torch_of(x)
    y, ty = ours(x), theirs(tx)
    assert y.shape == (2, 2, 10, 8)
    assert_close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad, tx.grad)
    assert_close(ours.weight.grad, theirs.weight.grad)


@pytest.mark.parametrize("make, x_shape, pattern", [
    (lambda: nn.Conv2d(4, 6, 3, groups=3), None, r"in_channels \(4\) must be divisible by groups"),
    (lambda: nn.Conv2d(3, 6, 3, stride=2, padding="same"), None,
     r"padding='same' is not supported for strided"),
    (lambda: nn.Conv2d(3, 6, 3), (2, 4, 8, 8), r"Conv2d: expected input of shape \(N, 3, H, W\).*"
                                               r"got shape \(2, 4, 8, 8\)"),
    (lambda: nn.Conv2d(3, 6, 5), (1, 3, 4, 4), r"Conv2d: the kernel \(5, 5\).*larger than the "
                                               r"padded input.*\(1, 3, 4, 4\)"),
    (lambda: nn.Conv2d(1, 6, 3), (28, 28), r"Conv2d: expected input of shape \(N, 1, H, W\) or "
                                           r"\(1, H, W\).*got shape \(28, 28\)"),
    (lambda: nn.Conv1d(2, 4, 3), (2, 2, 5, 5), r"Conv1d: expected input of shape \(N, 2, L\)"),
    (lambda: nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=2), None, "output_padding"),
    (lambda: nn.Conv2d(2, 4, 3, padding_mode="mirror"), None, "padding_mode"),
])
def test_conv_errors_name_the_layer_and_shapes(make, x_shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        layer = make()
        layer(mdl.zeros(*x_shape))


def test_functional_conv_errors():
    F = nn.functional
    with pytest.raises(ValueError, match=r"conv2d: expected input with 4 channels.*\(1, 3, 5, 5\)"):
        F.conv2d(mdl.zeros(1, 3, 5, 5), mdl.zeros(2, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="out_channels .* divisible by groups"):
        F.conv2d(mdl.zeros(1, 4, 5, 5), mdl.zeros(3, 2, 3, 3), groups=2)
    with pytest.raises(TypeError, match="same dtype"):
        F.conv2d(mdl.zeros(1, 1, 5, 5), mdl.zeros(1, 1, 3, 3, dtype="float64"))
    with pytest.raises(ValueError, match="weight must be a 4-D"):
        F.conv2d(mdl.zeros(1, 1, 5, 5), mdl.zeros(1, 3, 3))


def test_conv_on_strict_device(device):
    conv = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(3, 2, 2, padding_mode="reflect", padding=1), nn.Flatten())
    conv.to(device)
    x = mdl.randn(2, 2, 6, 6, device=device, requires_grad=True)
    conv(x).sum().backward()
    assert x.grad.shape == x.shape and x.grad.device == device


def test_mnist_example_net_evaluates_within_the_memory_budget():
    """PyTorch's MNIST example net at batch 1000 without a graph. Unchunked, its second conv's
    columns alone are 1000·24·24·288·4 B = 633 MiB; chunked by output rows (one row: 26 MiB) the
    peak is set by two live (1000, 64, 24, 24) activations (2 × 141 MiB): under 320 MiB."""
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128),
                        nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    net.eval()
    x = mdl.tensor(np.random.default_rng(0).random((1000, 1, 28, 28), dtype=np.float32))
    tracemalloc.start()
    try:
        with mdl.no_grad():
            y = net(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert y.shape == (1000, 10)
    assert peak < 320 * 2**20, f"peak {peak / 2**20:.0f} MiB"
