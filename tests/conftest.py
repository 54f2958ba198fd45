"""Shared fixtures: every core test runs on NumPy ('cpu') and on the strict backend."""
import numpy as np
import pytest

import minidl as mdl
from tests.strict_backend import register_strict_backend

register_strict_backend()

DEVICES = ["cpu", "strict"]


@pytest.fixture(params=DEVICES)
def device(request):
    """A device name: 'cpu' (NumPy) or 'strict' (arrays that refuse NumPy, as CuPy's do)."""
    return request.param


@pytest.fixture(autouse=True)
def _reset_global_state():
    """Each test starts with the default dtype, device, grad mode and a fixed seed."""
    mdl.manual_seed(0)
    yield
    mdl.set_default_dtype(mdl.float32)
    mdl.set_default_device(None)
    mdl.autograd.grad_mode.state.enabled = True
    mdl.autograd.anomaly.state.enabled = False


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
