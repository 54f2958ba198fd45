"""Dropout: keep rate and scaling (statistically, seeded), modes, gradients, validation."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_keep_rate_and_scaling(p, device):
    mdl.manual_seed(123)
    n = 200_000
    y = nn.Dropout(p)(mdl.ones(n, device=device)).numpy()
    kept = y != 0
    # only two values: 0 and 1/(1−p)
    np.testing.assert_allclose(np.unique(y[kept]), [1.0 / (1.0 - p)], rtol=1e-6)
    # keep count ~ Binomial(n, 1−p): within 5 standard deviations
    sd = np.sqrt(n * p * (1 - p))
    assert abs(kept.sum() - n * (1 - p)) < 5 * sd
    assert abs(y.mean() - 1.0) < 5 * sd / (n * (1 - p))  # the expectation is preserved


def test_seeded_and_fresh_masks(device):
    mdl.manual_seed(7)
    a = nn.functional.dropout(mdl.ones(64, device=device)).numpy()
    b = nn.functional.dropout(mdl.ones(64, device=device)).numpy()
    mdl.manual_seed(7)
    np.testing.assert_array_equal(nn.functional.dropout(mdl.ones(64, device=device)).numpy(), a)
    assert (a != b).any()  # each call draws a new mask


def test_gradient_is_the_mask_times_scale(device):
    x = mdl.randn(1000, device=device, dtype="float64", requires_grad=True)
    y = nn.functional.dropout(x, p=0.3)
    y.sum().backward()
    kept = y.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7)
    assert y.dtype == np.float64


def test_eval_p0_p1_and_dtype(device):
    x = mdl.randn(5, 4, device=device)
    drop = nn.Dropout(0.5)
    assert drop.eval()(x) is x
    assert nn.Dropout(0.0)(x) is x
    zeros = nn.Dropout(1.0)(x)
    assert zeros.dtype == np.float32 and not zeros.numpy().any()
    assert nn.Dropout(0.5)(x).dtype == np.float32
    assert repr(nn.Dropout(0.3)) == "Dropout(p=0.3)"


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_invalid_p(p):
    with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.functional.dropout(mdl.ones(2), p=p)
