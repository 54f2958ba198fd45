"""$MINIDL_TEST_DEVICES picks the devices of the ``device`` fixture, and fails loudly.

The parsing is a plain function (tests/devices.py), tested here without a GPU; two runs of
pytest in a subprocess check that a bad value stops collection with the reason.
"""
import os
import subprocess
import sys

import pytest

from tests import devices
from tests.devices import DeviceSelectionError, parse_test_devices

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def everything_runs(name):
    return None


def no_gpu(name):
    return "CuPy is not installed" if name == "cuda" else None


@pytest.mark.parametrize("value, expected", [
    ("cuda", ["cuda"]),
    ("cpu,strict", ["cpu", "strict"]),
    (" strict , CPU ", ["strict", "cpu"]),   # spaces and case do not matter; order is kept
    ("cpu,cpu,cuda,", ["cpu", "cuda"]),       # repeats and a trailing comma are dropped
])
def test_parse_names_the_devices_in_order(value, expected):
    assert parse_test_devices(value, everything_runs) == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_unset_or_blank_means_every_device_that_runs(value):
    assert parse_test_devices(value, no_gpu) is None
    assert devices.select_test_devices({} if value is None else {devices.ENV_VAR: value}) == \
        devices.default_devices(False) == ["cpu", "strict"]


def test_default_devices_add_cuda_when_a_gpu_is_there():
    assert devices.default_devices(True) == ["cpu", "strict", "cuda"]


def test_an_unknown_device_is_an_error_naming_the_known_ones():
    with pytest.raises(DeviceSelectionError, match=r"unknown device 'tpu'; choose from cpu, "
                                                   r"strict, cuda"):
        parse_test_devices("cpu,tpu", everything_runs)


def test_an_unavailable_device_is_an_error_with_the_reason_never_a_skip():
    with pytest.raises(DeviceSelectionError, match=r"'cuda' cannot run here: CuPy is not "
                                                   r"installed"):
        parse_test_devices("cpu,cuda", no_gpu)


def test_a_list_of_nothing_is_an_error():
    with pytest.raises(DeviceSelectionError, match="names no device"):
        parse_test_devices(" , ", everything_runs)


def test_the_backend_gives_the_reason_for_cuda(monkeypatch):
    """The reason comes from minidl's own backend: its install hint, or 'unknown device'."""
    import minidl as mdl
    if mdl.cuda.is_available():
        assert devices.backend_unavailable_reason("cuda") is None
    else:
        assert "cuda" in devices.backend_unavailable_reason("cuda")
    assert devices.backend_unavailable_reason("strict") is None  # registered by conftest
    assert devices.backend_unavailable_reason("cpu") is None


def _collect(value):
    env = dict(os.environ, **{devices.ENV_VAR: value})
    test = os.path.join("tests", "backends", "test_device_selection.py")
    return subprocess.run([sys.executable, "-m", "pytest", test, "--collect-only", "-q",
                           "-o", "addopts=", "-p", "no:cacheprovider", "-k", "fixture_runs"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_bad_value_stops_the_run_at_collection():
    done = _collect("cpu,tpu")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert "unknown device 'tpu'" in done.stderr


def test_the_fixture_runs_on_each_selected_device(device):
    from tests.conftest import DEVICES
    assert device in DEVICES


def test_a_good_value_parametrizes_the_fixture_with_those_devices_only():
    done = _collect("strict")
    assert done.returncode == 0, done.stdout + done.stderr
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert ids == [f"tests/backends/test_device_selection.py::"
                   f"test_the_fixture_runs_on_each_selected_device[strict]"]
