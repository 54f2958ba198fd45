"""BatchNorm2d, Dropout2d, Flatten/Unflatten, Unfold/Fold layers, and cross-entropy over
(N, C, d1, …) logits and soft targets, against PyTorch."""
import warnings

import numpy as np
import pytest

import minidl as mdl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from tests.nn.helpers import assert_close, copy_weights, randn, torch_of


def test_batchnorm2d_matches_torch_with_running_statistics(rng):
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm2d(3, momentum=0.2, dtype="float64")
    theirs = torch.nn.BatchNorm2d(3, momentum=0.2, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-0.5, 0.5)
    copy_weights(ours, theirs)
    for step in range(3):
        x = randn(rng, 4, 3, 5, 6, requires_grad=True, scale=2.0)
        tx = torch_of(x)
        y, ty = ours(x), theirs(tx)
        assert_close(y, ty, rtol=1e-9, atol=1e-11)
        g = rng.standard_normal(y.shape)
        y.backward(mdl.tensor(g))
        ty.backward(torch.tensor(g))
        assert_close(x.grad, tx.grad, rtol=1e-8, atol=1e-10)
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-9, atol=1e-10)
    assert_close(ours.running_mean, theirs.running_mean)
    assert_close(ours.running_var, theirs.running_var)
    assert ours.num_batches_tracked.item() == 3
    ours.eval()
    theirs.eval()
    x = randn(rng, 2, 3, 4, 4)
    assert_close(ours(x), theirs(torch_of(x)))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected input of shape \(N, 3, H, W\)"):
        ours(randn(rng, 3, 4, 4))


def test_batch_norm_functional_4d_gradcheck(device):
    x = mdl.tensor(np.random.default_rng(0).standard_normal((3, 2, 3, 2)), requires_grad=True,
                   device=device)
    w = mdl.tensor([1.5, 0.5], dtype="float64", requires_grad=True, device=device)
    b = mdl.tensor([0.1, -0.2], dtype="float64", requires_grad=True, device=device)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))


def test_dropout2d_drops_whole_channels_with_probability_p():
    x = mdl.ones(200, 50, 3, 3)
    y = nn.Dropout2d(0.3)(x).numpy()
    per_channel = y.reshape(200, 50, 9)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # all or nothing
    kept = per_channel[:, :, 0] != 0
    assert abs(kept.mean() - 0.7) < 0.02                    # 10,000 channels: σ ≈ 0.005
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    drop = nn.Dropout2d(0.3).eval()
    assert drop(x) is x
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(mdl.ones(2, 3, 4, 4), 0.5)
    with pytest.warns(UserWarning, match="3-D"):
        y = F.dropout2d(mdl.ones(2, 30, 4), 0.5).numpy()   # read as (N, C, L), as PyTorch
    assert np.all(y.min(axis=2) == y.max(axis=2))


def test_dropout2d_gradient_uses_the_same_mask(device):
    x = mdl.ones(4, 8, 2, 2, requires_grad=True, device=device)
    y = F.dropout2d(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_flatten_and_unflatten():
    x = mdl.zeros(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Flatten(-2)(x).shape == (2, 3, 20)
    assert nn.Unflatten(1, (3, 4))(mdl.zeros(2, 12, 5)).shape == (2, 3, 4, 5)
    assert nn.Unflatten(-1, (2, -1))(mdl.zeros(2, 12)).shape == (2, 2, 6)
    with pytest.raises(ValueError, match="Unflatten"):
        nn.Unflatten(1, (5, 5))(mdl.zeros(2, 12))


def test_unfold_fold_layers_match_torch(rng):
    torch = pytest.importorskip("torch")
    x = randn(rng, 2, 3, 6, 5)
    cols = nn.Unfold((2, 3), padding=1, stride=2)(x)
    tcols = torch.nn.Unfold((2, 3), padding=1, stride=2)(torch_of(x))
    assert_close(cols, tcols)
    back = nn.Fold((6, 5), (2, 3), padding=1, stride=2)(cols)
    assert_close(back, torch.nn.Fold((6, 5), (2, 3), padding=1, stride=2)(tcols))


@pytest.mark.parametrize("kwargs", [dict(), dict(reduction="sum"), dict(reduction="none"),
                                    dict(ignore_index=1), dict(label_smoothing=0.1),
                                    dict(weight=[1.0, 2.0, 0.5])])
def test_cross_entropy_over_spatial_positions(kwargs, rng):
    torch = pytest.importorskip("torch")
    x = randn(rng, 2, 3, 4, 5, requires_grad=True)
    labels = rng.integers(0, 3, size=(2, 4, 5))
    tx = torch_of(x)
    t_kwargs = dict(kwargs)
    if "weight" in kwargs:
        t_kwargs["weight"] = torch.tensor(kwargs["weight"], dtype=torch.float64)
    loss = nn.CrossEntropyLoss(**kwargs)(x, labels)
    t_loss = torch.nn.CrossEntropyLoss(**t_kwargs)(tx, torch.tensor(labels))
    assert_close(loss, t_loss)
    loss.sum().backward()
    t_loss.sum().backward()
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4, 5), (3,)])
@pytest.mark.parametrize("kwargs", [dict(), dict(reduction="none"), dict(label_smoothing=0.2),
                                    dict(weight=[1.0, 2.0, 0.5], reduction="sum")])
def test_cross_entropy_with_probability_targets(shape, kwargs, rng):
    torch = pytest.importorskip("torch")
    x = randn(rng, *shape, requires_grad=True)
    p = rng.random(shape)
    p /= p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)
    tx = torch_of(x)
    t_kwargs = dict(kwargs)
    if "weight" in kwargs:
        t_kwargs["weight"] = torch.tensor(kwargs["weight"], dtype=torch.float64)
    loss = F.cross_entropy(x, mdl.tensor(p), **kwargs)
    t_loss = torch.nn.functional.cross_entropy(tx, torch.tensor(p), **t_kwargs)
    assert_close(loss, t_loss)
    loss.sum().backward()
    t_loss.sum().backward()
    assert_close(x.grad, tx.grad)


def test_spatial_cross_entropy_label_shape_error():
    with pytest.raises(ValueError, match=r"expected target of shape \(2, 4, 5\)"):
        F.cross_entropy(mdl.zeros(2, 3, 4, 5), np.zeros((2, 4), dtype=np.int64))
