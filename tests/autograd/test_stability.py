"""Numerical stability: logits of ±1e4 give finite, correct values and gradients."""
import warnings

import numpy as np
import pytest

import minidl as mdl
from tests.autograd.helpers import check_grad, leaf

LOGITS = np.array([[1e4, -1e4, 0.0, 1e4 - 1.0],
                   [-1e4, -1e4 + 2.0, -1e4, -1e4],
                   [1e4, 1e4, 1e4, 1e4]])


def reference_softmax(x, axis):
    """Softmax in float64 with the max subtracted (exact enough to judge float32 results)."""
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_family_with_huge_logits(dtype, axis, device):
    """Values and gradients are finite and match a float64 reference, without any warning."""
    p = reference_softmax(LOGITS, axis)
    lse = np.log(np.exp(LOGITS - LOGITS.max(axis, keepdims=True)).sum(axis)) + LOGITS.max(axis)
    gy = np.random.default_rng(0).standard_normal(LOGITS.shape)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-12}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no invalid value anywhere
        for name in ("softmax", "log_softmax", "logsumexp"):
            x = leaf(LOGITS, device, dtype=dtype)
            y = getattr(mdl, name)(x, axis=axis)
            assert y.dtype == dtype and np.all(np.isfinite(y.numpy()))
            if name == "softmax":
                expected, upstream = p, gy
                grad = p * (gy - (gy * p).sum(axis, keepdims=True))
            elif name == "log_softmax":
                expected, upstream = LOGITS - np.expand_dims(lse, axis), gy
                grad = gy - p * gy.sum(axis, keepdims=True)
            else:
                expected, upstream = lse, gy.sum(axis)
                grad = np.expand_dims(upstream, axis) * p
            np.testing.assert_allclose(y.numpy(), expected, **tol)
            y.backward(mdl.tensor(upstream, dtype=dtype, device=device))
            assert np.all(np.isfinite(x.grad.numpy()))
            np.testing.assert_allclose(x.grad.numpy(), grad, **tol)


def test_gradcheck_at_huge_logits(device):
    x = leaf(LOGITS / 10, device)  # ±1e3: the central difference still resolves at this size
    check_grad(lambda x: x.logsumexp(axis=1), x)
    check_grad(lambda x: x.softmax(axis=0), x)
    check_grad(lambda x: x.log_softmax(axis=1), x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_of_huge_inputs(dtype, device):
    x = leaf([-1e4, -80.0, 0.0, 80.0, 1e4], device, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = mdl.sigmoid(x)
        y.sum().backward()
    assert y.dtype == dtype
    expected = np.exp(-np.logaddexp(0.0, -x.numpy().astype("float64")))  # 1 / (1 + e^-x)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6, atol=0)
    assert y.numpy()[0] == 0.0 and y.numpy()[-1] == 1.0
    np.testing.assert_allclose(x.grad.numpy(), expected * (1 - expected), rtol=1e-5, atol=1e-30)


def test_logsumexp_of_infinite_and_empty_inputs(device):
    with np.errstate(divide="ignore"):
        x = mdl.tensor([[-np.inf, -np.inf], [0.0, -np.inf]], device=device)
        np.testing.assert_array_equal(x.logsumexp(axis=1).numpy(), [-np.inf, 0.0])
        empty = mdl.zeros(0, 3, device=device)
        np.testing.assert_array_equal(empty.logsumexp(axis=0).numpy(), [-np.inf] * 3)
        assert empty.logsumexp(axis=1).shape == (0,)
