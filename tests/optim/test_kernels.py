"""The optimizer kernels against the equation each one stands for (and PyTorch's order)."""
import numpy as np
import pytest

from minidl.optim import kernels


@pytest.fixture(params=[np.float32, np.float64])
def arrays(request):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(7).astype(request.param) for _ in range(3)]


@pytest.mark.parametrize("weight", [0.1, 0.5, 0.9])
def test_lerp(arrays, weight):
    m, g, _ = arrays
    want = m + weight * (g - m) if weight < 0.5 else g - (g - m) * (1 - weight)
    got = kernels.lerp_(m.copy(), g, weight, np.empty_like(m))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    if weight < 0.5:  # PyTorch's two forms, exactly
        ref = m.copy()
        ref += (g - m) * m.dtype.type(weight)
    else:
        ref = g - (g - m) * m.dtype.type(1 - weight)
    np.testing.assert_array_equal(got, ref)


def test_ema_square(arrays):
    v, g, _ = arrays
    v = np.abs(v)
    beta = 0.999
    want = v * v.dtype.type(beta) + g * v.dtype.type(1 - beta) * g
    np.testing.assert_array_equal(kernels.ema_square_(v.copy(), g, beta, np.empty_like(v)), want)


def test_axpy_sqrt_scaled_addcdiv(arrays):
    y, x, z = arrays
    t = y.dtype.type
    np.testing.assert_array_equal(kernels.axpy_(y.copy(), 0.3, x, np.empty_like(y)), y + x * t(0.3))
    v = np.abs(z)
    want = np.sqrt(v) / t(0.7) + t(1e-8)
    np.testing.assert_array_equal(kernels.sqrt_scaled_(np.empty_like(v), v, 0.7, 1e-8), want)
    den = want.copy()
    np.testing.assert_array_equal(kernels.addcdiv_(y.copy(), -0.01, x, den),
                                  y + (x / want) * t(-0.01))
