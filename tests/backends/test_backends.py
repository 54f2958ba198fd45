"""Backends and devices: the array module switch, defaults, transfers and missing CUDA."""
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import minidl as mdl
from minidl import backends

HAS_CUDA = mdl.cuda.is_available()


def test_get_array_module(device):
    x = mdl.tensor([1.0], device=device)
    xp = backends.get_array_module(x)
    assert xp is backends.get_backend(device).xp
    assert backends.get_array_module(x.data) is xp
    assert backends.get_array_module(np.zeros(2)) is np
    assert backends.get_array_module(mdl.tensor([1.0])) is np
    assert x.xp is xp


def test_available_lists_the_devices_that_run_here():
    names = backends.available()
    assert names[0] == "cpu" and "strict" in names  # the test suite registered 'strict'
    assert ("cuda" in names) == HAS_CUDA
    assert mdl.cuda.is_available() == HAS_CUDA


@pytest.mark.skipif(HAS_CUDA, reason="CUDA is available here")
def test_to_cuda_without_cupy_says_what_is_missing_and_how_to_install():
    x = mdl.tensor([1.0])
    try:
        import cupy  # noqa: F401
        missing = "GPU"
    except ImportError:
        missing = "CuPy"
    for attempt in (lambda: x.to("cuda"), lambda: x.cuda(),
                    lambda: mdl.tensor([1.0], device="cuda"), lambda: mdl.zeros(2, device="cuda:0"),
                    lambda: mdl.set_default_device("cuda")):
        with pytest.raises(RuntimeError, match=missing) as info:
            attempt()
        if missing == "CuPy":
            # the extras that name prebuilt wheels (plain `cupy` would compile from source)
            assert 'minidl[gpu-cuda12]' in str(info.value)
            assert 'minidl[gpu-cuda13]' in str(info.value) and "nvidia-smi" in str(info.value)
    assert backends.default_device() == "cpu"


def test_unknown_device_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown device 'tpu'.*'cpu'"):
        mdl.tensor([1.0], device="tpu")


def test_set_default_device():
    mdl.set_default_device("strict")
    assert backends.default_device() == "strict"
    assert mdl.tensor([1.0]).device == "strict"
    assert mdl.zeros(2).device == "strict" and mdl.randn(2).device == "strict"
    assert mdl.tensor(np.ones(2)).device == "strict"
    mdl.set_default_device(None)
    assert mdl.tensor([1.0]).device == "cpu"


def test_minidl_device_environment_variable(monkeypatch):
    monkeypatch.setenv("MINIDL_DEVICE", "strict")
    assert backends.default_device() == "strict"
    assert mdl.ones(1).device == "strict"
    mdl.set_default_device("cpu")  # an explicit choice wins over the environment
    assert mdl.ones(1).device == "cpu"


def _run_python(code, **env):
    environ = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=environ, timeout=60)


def test_minidl_device_in_a_fresh_process():
    code = "import minidl as mdl; print(mdl.tensor([1.0]).device, mdl.backends.default_device())"
    result = _run_python(code, MINIDL_DEVICE="cpu")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cpu", "cpu"]
    if not HAS_CUDA:
        result = _run_python(code, MINIDL_DEVICE="cuda")
        assert result.returncode != 0
        assert "RuntimeError" in result.stderr and "cuda" in result.stderr


def test_mixing_devices_raises_naming_both():
    a = mdl.tensor([1.0, 2.0], device="cpu")
    b = mdl.tensor([1.0, 2.0], device="strict")
    for op in (lambda: a + b, lambda: b * a, lambda: mdl.maximum(a, b), lambda: a @ b,
               lambda: mdl.concatenate([a, b]), lambda: mdl.where(b > 0, a, b)):
        with pytest.raises(RuntimeError, match=r"devices \['cpu', 'strict'\]|"
                                               r"devices \['strict', 'cpu'\]"):
            op()
    with pytest.raises(RuntimeError, match="'cpu' and 'strict'"):
        a < b


def test_transfer_keeps_values_and_gradients_flow_back(device):
    other = "strict" if device == "cpu" else "cpu"
    x = mdl.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    y = x.to(other)
    assert y.device == other and y.requires_grad and y.tolist() == x.tolist()
    w = mdl.tensor([2.0, 3.0, 4.0], device=other)
    (y * w).sum().backward()
    assert x.grad.device == device
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0, 4.0])
    z = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    (z.to(other).to(device) * z).sum().backward()  # a round trip and a direct path
    np.testing.assert_array_equal(z.grad.numpy(), 2 * z.numpy())


def test_transfer_of_integer_tensors(device):
    other = "strict" if device == "cpu" else "cpu"
    i = mdl.tensor([1, 2], device=device).to(other)
    assert i.dtype == np.int64 and i.device == other and i.tolist() == [1, 2]


def test_gradients_live_on_the_tensor_device(device):
    x = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    (x.exp() * 2.0).sum().backward()
    assert x.grad.device == device
    assert isinstance(x.grad.data, backends.get_backend(device).array_types)


def test_random_draws_match_across_the_cpu_and_strict_backends():
    mdl.manual_seed(3)
    a = mdl.randn(4, device="cpu").numpy()
    b = mdl.randn(4, device="strict").numpy()
    np.testing.assert_array_equal(a, b)  # both are NumPy's generator, seeded alike


def test_a_cupy_array_met_first_makes_the_cuda_backend(monkeypatch):
    """A CuPy array given to minidl before any 'cuda' tensor exists is not taken for host data."""
    if "cuda" in backends._backends:
        pytest.skip("the cuda backend exists already")

    class FakeCupyArray:
        pass
    FakeCupyArray.__module__ = "cupy._core.core"  # where CuPy's ndarray lives
    fake = backends.Backend("cuda", types.SimpleNamespace(__name__="fake_cupy"),
                            (FakeCupyArray,), from_numpy=None, to_numpy=None, make_rng=None)
    monkeypatch.setitem(backends._factories, "cuda", lambda: fake)
    try:
        array = FakeCupyArray()
        assert backends.backend_of_array(array) is fake
        assert backends.get_array_module(array) is fake.xp
        assert backends.backend_of_array([1.0]).name == "cpu"  # host data stays host data
    finally:
        backends._backends.pop("cuda", None)
        backends._module_of_type.clear()
