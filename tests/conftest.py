"""Shared fixtures: every device-parametrized test runs on each selected device.

Devices (the ``device`` fixture):
    cpu     NumPy.
    strict  NumPy underneath, but its arrays refuse silent conversion to NumPy, as CuPy's do
            (tests/strict_backend.py): a failure only there means code called ``np.`` where it
            should have asked ``xp``.
    cuda    CuPy on a GPU; added by default when ``minidl.cuda.is_available()``.

Choose them with the environment variable ``MINIDL_TEST_DEVICES`` (comma-separated):

    MINIDL_TEST_DEVICES=cuda python -m pytest          # every device test on the GPU only
    MINIDL_TEST_DEVICES=cpu,strict python -m pytest    # what CI runs without a GPU

Unset (or blank): every device that can run here. A name that is unknown, or a device that
cannot run here (e.g. 'cuda' without CuPy or a GPU), stops the run at collection with the
reason; it is never skipped silently. ``tests/devices.py`` holds the parsing.
``MINIDL_PARITY_DEVICE`` (tests/backends/test_cuda_parity.py) picks the device the parity
tests compare with 'cpu'.

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
from tests.devices import DeviceSelectionError, select_test_devices
from tests.references import missing_references, required
from tests.strict_backend import register_strict_backend

register_strict_backend()

try:
    DEVICES = select_test_devices()
    _DEVICE_ERROR = None
except DeviceSelectionError as exc:
    DEVICES, _DEVICE_ERROR = [], str(exc)


def pytest_configure(config):
    if _DEVICE_ERROR:
        raise pytest.UsageError(_DEVICE_ERROR)


def pytest_report_header(config):
    return f"minidl test devices: {', '.join(DEVICES)} (set $MINIDL_TEST_DEVICES to choose)"


def pytest_sessionstart(session):
    """Under MINIDL_REQUIRE_REFERENCES=1, stop at once if a reference library is missing."""
    if required():
        missing = missing_references()
        if missing:
            raise pytest.UsageError("MINIDL_REQUIRE_REFERENCES=1 but these reference libraries "
                                    "cannot be imported: " + ", ".join(missing))


@pytest.fixture(params=DEVICES)
def device(request):
    """A device name from DEVICES: 'cpu', 'strict' and, with a GPU, 'cuda' (see above)."""
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
