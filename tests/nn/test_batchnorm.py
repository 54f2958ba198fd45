"""BatchNorm1d: the fused node against its composite twin and PyTorch, running statistics."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from minidl.autograd import gradcheck
from minidl.autograd.ops import normalization as fused
from tests.nn.helpers import assert_close, copy_weights, randn

SHAPES = [(6, 3), (4, 3, 5), (2, 1)]


def _fused(x, gamma, beta, eps=1e-5):
    return fused.BatchNormTrain.apply(x, gamma, beta, eps=eps)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_fused_equals_composite(shape, affine, device):
    rng = np.random.default_rng(0)
    x = randn(rng, *shape, device=device, requires_grad=True, scale=3.0)
    c = shape[1]
    gamma = randn(rng, c, device=device, requires_grad=True) if affine else None
    beta = randn(rng, c, device=device, requires_grad=True) if affine else None
    g = randn(rng, *shape, device=device)
    inputs = [t for t in (x, gamma, beta) if t is not None]
    y1 = _fused(x, gamma, beta)
    grads1 = mdl.autograd.grad(y1, inputs, g)
    y2 = fused.batch_norm_train_composite(x, gamma, beta)
    grads2 = mdl.autograd.grad(y2, inputs, g)
    assert type(y1.grad_fn).__name__ == "BatchNormTrain"
    assert_close(y1, y2.numpy(), rtol=1e-12, atol=1e-12)
    for a, b in zip(grads1, grads2):
        assert_close(a, b.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4)])
def test_fused_gradcheck(shape, device):
    rng = np.random.default_rng(1)
    x = randn(rng, *shape, device=device, requires_grad=True)
    gamma = randn(rng, shape[1], device=device, requires_grad=True)
    beta = randn(rng, shape[1], device=device, requires_grad=True)
    assert gradcheck(_fused, (x, gamma, beta))
    assert gradcheck(lambda x: _fused(x, None, None), (x,))


def test_fused_second_derivative_equals_composite(device):
    """With create_graph the fused backward is recorded from Tensor ops: exact Hessian terms."""
    rng = np.random.default_rng(2)
    x = randn(rng, 5, 3, device=device, requires_grad=True)
    gamma = randn(rng, 3, device=device, requires_grad=True)
    beta = randn(rng, 3, device=device, requires_grad=True)
    w = randn(rng, 5, 3, device=device)

    def gradient_norm(bn):
        gx, gg = mdl.autograd.grad((bn(x, gamma, beta) * w).sum(), [x, gamma], create_graph=True)
        return (gx * gx).sum() + (gg * gg).sum()

    a = mdl.autograd.grad(gradient_norm(_fused), [x, gamma])
    b = mdl.autograd.grad(gradient_norm(fused.batch_norm_train_composite), [x, gamma])
    for u, v in zip(a, b):
        assert_close(u, v.numpy(), rtol=1e-9, atol=1e-11)

    def first_derivative(x):
        with mdl.enable_grad():
            return mdl.autograd.grad((_fused(x, gamma, beta) * w).sum(), x, create_graph=True)[0]

    assert gradcheck(first_derivative, (x,))


@pytest.mark.parametrize("shape, momentum", [((8, 4), 0.1), ((5, 4, 3), 0.1), ((6, 4), None),
                                             ((4, 4, 2), 0.5)])
def test_training_matches_torch_over_several_steps(shape, momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    theirs = torch.nn.BatchNorm1d(4, momentum=momentum).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.random(4) + 0.5))
        theirs.bias.copy_(torch.tensor(rng.standard_normal(4)))
    ours = nn.BatchNorm1d(4, momentum=momentum, dtype="float64")
    copy_weights(ours, theirs)
    for _ in range(4):
        x = rng.standard_normal(shape) * 2.0 + 1.5
        g = rng.standard_normal(shape)
        xm, xt = mdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ym, yt = ours(xm), theirs(xt)
        assert_close(ym, yt, rtol=1e-10, atol=1e-12)
        ym.backward(mdl.tensor(g))
        yt.backward(torch.tensor(g))
        assert_close(xm.grad, xt.grad, rtol=1e-10, atol=1e-12)
        assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-10, atol=1e-12)
        assert_close(ours.bias.grad, theirs.bias.grad, rtol=1e-10, atol=1e-12)
        ours.zero_grad()
        theirs.zero_grad()
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value, rtol=1e-12, atol=1e-14)
    assert int(ours.num_batches_tracked.item()) == 4
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((1,) + shape[1:])  # a batch of one works in eval
    xm, xt = mdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ym, yt = ours(xm), theirs(xt)
    assert_close(ym, yt, rtol=1e-12, atol=1e-14)
    ym.sum().backward()
    yt.sum().backward()
    assert_close(xm.grad, xt.grad, rtol=1e-12, atol=1e-14)
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-12, atol=1e-14)


def test_no_affine_no_running_stats_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((6, 3))
    theirs = torch.nn.BatchNorm1d(3, affine=False, track_running_stats=False).double()
    ours = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    for mode in ("train", "eval"):  # without running stats, eval uses the batch too
        getattr(ours, mode)()
        getattr(theirs, mode)()
        assert_close(ours(mdl.tensor(x)), theirs(torch.tensor(x)), rtol=1e-12, atol=1e-14)


def test_running_stats_on_device(device):
    bn = nn.BatchNorm1d(2, device=device)
    x = mdl.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]], device=device)
    y = bn(x)
    assert y.device == device and y.dtype == np.float32
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.3, 0.6], rtol=1e-6)
    # unbiased variances 4 and 16: 0.9·1 + 0.1·v
    np.testing.assert_allclose(bn.running_var.numpy(), [1.3, 2.5], rtol=1e-6)
    np.testing.assert_allclose(y.numpy().mean(axis=0), [0, 0], atol=1e-6)
    bn.eval()
    np.testing.assert_allclose(bn(x[:1]).numpy(), [[(1 - 0.3) / np.sqrt(1.3 + 1e-5),
                                                    (2 - 0.6) / np.sqrt(2.5 + 1e-5)]], rtol=1e-5)


def test_batch_of_one_in_training_raises(device):
    bn = nn.BatchNorm1d(3, device=device)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, "
                                         r"got input size \(1, 3\)"):
        bn(mdl.zeros(1, 3, device=device))
    assert int(bn.num_batches_tracked.item()) == 0  # the failed call changed nothing
    bn(mdl.zeros(1, 3, 2, device=device))  # two values per channel: fine


def test_wrong_shape_raises():
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3\) or \(N, 3, L\), "
                                         r"got \(4, 2\)"):
        nn.BatchNorm1d(3)(mdl.zeros(4, 2))


def test_functional_batch_norm(device):
    rng = np.random.default_rng(5)
    x = randn(rng, 4, 3, device=device, dtype="float32")
    mean, var = mdl.zeros(3, device=device), mdl.ones(3, device=device)
    y = nn.functional.batch_norm(x, mean, var, training=True, momentum=0.5)
    np.testing.assert_allclose(mean.numpy(), 0.5 * x.numpy().mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(var.numpy(), 0.5 + 0.5 * x.numpy().var(axis=0, ddof=1), rtol=1e-5)
    assert y.shape == (4, 3)
    eval_y = nn.functional.batch_norm(x, mean, var)  # training=False: running statistics
    np.testing.assert_allclose(eval_y.numpy(), (x.numpy() - mean.numpy()) /
                               np.sqrt(var.numpy() + 1e-5), rtol=1e-5)
    with pytest.raises(ValueError, match="running_mean of shape \\(2,\\)"):
        nn.functional.batch_norm(x, mdl.zeros(2, device=device), var)
