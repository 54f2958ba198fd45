"""Pooling layers against PyTorch's, including return_indices, ceil_mode and unbatched input."""
import numpy as np
import pytest

import minidl as mdl
import minidl.nn as nn
from tests.nn.helpers import assert_close, randn, torch_of


@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 8, 7)),
    ("MaxPool2d", (2,), dict(), (3, 6, 6)),
    ("MaxPool1d", (3,), dict(stride=2, dilation=2), (2, 3, 11)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False, ceil_mode=True),
     (2, 3, 8, 7)),
    ("AvgPool2d", (2,), dict(divisor_override=3), (2, 3, 6, 6)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1), (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((3, 2),), dict(), (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", (1,), dict(), (3, 7, 5)),
])
def test_pool_layer_matches_torch(name, args, kwargs, shape, rng):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    x = randn(rng, *shape, requires_grad=True)
    tx = torch_of(x)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty)
    g = rng.standard_normal(y.shape)
    y.backward(mdl.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(x.grad, tx.grad)


def test_max_pool_layer_return_indices(rng):
    torch = pytest.importorskip("torch")
    x = randn(rng, 2, 3, 7, 7)
    y, idx = nn.MaxPool2d(3, 2, return_indices=True)(x)
    ty, tidx = torch.nn.MaxPool2d(3, 2, return_indices=True)(torch_of(x))
    assert_close(y, ty)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_pool_layer_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"MaxPool2d: expected a 3-D \(C, H, W\) or 4-D"):
        nn.MaxPool2d(2)(mdl.zeros(4, 4))
    with pytest.raises(ValueError, match=r"AvgPool1d: expected a 2-D \(C, L\)"):
        nn.AvgPool1d(2)(mdl.zeros(1, 2, 4, 4))
