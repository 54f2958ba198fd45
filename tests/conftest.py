"""Shared fixtures: every core test runs on NumPy ('cpu') and on the strict backend.

Reference libraries (torch, scikit-learn, ...): comparison tests get theirs with
``tests.references.require_reference("torch")`` (or ``pytest.importorskip``) and are skipped
without it. CI sets ``MINIDL_REQUIRE_REFERENCES=1``: then every reference registered in
``tests/references.py`` must import, or the run stops before any test, and a missing one
fails instead of skipping. A new reference library is registered there with one line,
``register_reference("keras")``.
"""
import numpy as np
import pytest

import minidl as mdl
from tests.references import missing_references, required
from tests.strict_backend import register_strict_backend

register_strict_backend()

DEVICES = ["cpu", "strict"]


def pytest_sessionstart(session):
    """Under MINIDL_REQUIRE_REFERENCES=1, stop at once if a reference library is missing."""
    if required():
        missing = missing_references()
        if missing:
            raise pytest.UsageError("MINIDL_REQUIRE_REFERENCES=1 but these reference libraries "
                                    "cannot be imported: " + ", ".join(missing))


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
