"""The Tensor object: attributes, conversions, constructors, in-place updates, repr."""
import numpy as np
import pytest

import minidl as mdl


def test_attributes(device):
    x = mdl.tensor(np.arange(6.0).reshape(2, 3), device=device, requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert x.dtype == np.float64 and x.device == device
    assert x.is_leaf and x.grad_fn is None and x.grad is None and x.requires_grad
    y = x.T
    assert y.shape == (3, 2) and not y.is_leaf and y.grad_fn is not None
    assert isinstance(mdl.Tensor, type) and isinstance(x, mdl.Tensor)
    assert isinstance(x.data, mdl.backends.get_backend(device).array_types)


def test_scalars_and_conversions(device):
    x = mdl.tensor([[1.5, 2.0]], device=device)
    assert x.sum().item() == 3.5 and isinstance(x.sum().item(), float)
    assert float(x[0, 0]) == 1.5 and int(mdl.tensor(3, device=device)) == 3
    assert x.tolist() == [[1.5, 2.0]]
    assert isinstance(x.numpy(), np.ndarray)
    np.testing.assert_array_equal(x.numpy(), [[1.5, 2.0]])
    assert bool(mdl.tensor([1.0], device=device)) is True
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    with pytest.raises(ValueError, match="2 elements"):
        x.item()
    with pytest.raises(TypeError, match="0-d"):
        len(mdl.tensor(1.0, device=device))


def test_numpy_shares_memory_on_cpu():
    x = mdl.tensor([1.0, 2.0])
    a = x.numpy()
    a[0] = 10.0
    assert x.tolist() == [10.0, 2.0]
    assert np.shares_memory(a, x.data)
    assert np.asarray(x) is x.data  # __array__ hands the array over on the CPU


def test_numpy_copies_off_the_cpu():
    x = mdl.tensor([1.0, 2.0], device="strict")
    a = x.numpy()
    a[0] = 10.0
    assert x.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="implicitly"):
        np.asarray(x)


def test_tensor_copies_its_input(device):
    a = np.array([1.0, 2.0])
    x = mdl.tensor(a, device=device)
    a[0] = 5.0
    assert x.tolist() == [1.0, 2.0]
    y = mdl.tensor(x)
    assert y.data is not x.data and y.device == device


def test_detach_shares_memory_without_the_graph(device):
    x = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * 2.0).detach()
    assert not y.requires_grad and y.grad_fn is None
    d = x.detach()
    with mdl.no_grad():
        d += 1.0  # updates x's values, as torch's detach() shares storage
    assert x.tolist() == [2.0, 3.0]


def test_requires_grad_(device):
    x = mdl.tensor([1.0], device=device)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = mdl.tensor([1.0], device=device, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_to_and_astype(device):
    x = mdl.tensor([1.0, 2.0], device=device)
    assert x.to(device) is x
    assert x.to(dtype="float64").dtype == np.float64
    assert x.astype("float32") is x
    z = x.to("cpu", dtype="float64")
    assert z.device == "cpu" and z.dtype == np.float64 and z.tolist() == [1.0, 2.0]
    assert x.cpu().device == "cpu"


def test_repr(device):
    x = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    assert repr(mdl.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    text = repr(x * 2.0)
    assert "grad_fn=<Mul>" in text
    assert ("device='strict'" in text) == (device == "strict")
    assert "requires_grad=True" in repr(x)
    assert "dtype=float64" in repr(mdl.tensor([1.0], dtype="float64"))


def test_comparisons_give_bool_tensors_without_grad(device):
    x = mdl.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    for y in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2, 2 < x, x == x):
        assert y.dtype == np.bool_ and not y.requires_grad and y.device == device
    assert (x == 2).tolist() == [False, True, False]
    assert (x > 1).all().item() is False and (x > 1).any().item() is True
    assert hash(x) == hash(x)  # tensors stay usable as dict keys despite elementwise ==


def test_ndarray_on_the_left_defers_to_the_tensor():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, mdl.Tensor) and y.requires_grad
    z = np.array([1.0, 1.0]) @ x
    assert isinstance(z, mdl.Tensor) and z.item() == 3.0


def test_in_place_updates_under_no_grad_bump_the_version(device):
    x = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    with mdl.no_grad():
        for op in (lambda t: t.__iadd__(1.0), lambda t: t.__isub__(0.5),
                   lambda t: t.__imul__(2.0), lambda t: t.__itruediv__(4.0)):
            assert op(x) is x
        x.copy_(mdl.tensor([5.0, 6.0], dtype="float64", device=device))
        x.zero_()
    assert x._version == 6 and x.tolist() == [0.0, 0.0]
    c = mdl.tensor([1.0, 2.0], device=device)
    c[0] = 7.0  # a tensor that needs no grad can be changed in place at any time
    c += 1.0
    assert c.tolist() == [8.0, 3.0] and c._version == 2


def test_constructors(device):
    assert mdl.zeros(2, 3, device=device).tolist() == [[0.0] * 3] * 2
    assert mdl.ones((2,), device=device).tolist() == [1.0, 1.0]
    assert mdl.full((2,), 7.0, device=device).tolist() == [7.0, 7.0]
    assert mdl.full(3, 1.0, device=device).shape == (3,)
    assert mdl.arange(4, device=device).tolist() == [0, 1, 2, 3]
    assert mdl.arange(1, 7, 2, device=device).tolist() == [1, 3, 5]
    assert mdl.eye(2, device=device).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert mdl.ones_like(mdl.zeros(2, 2, device=device)).tolist() == [[1.0, 1.0]] * 2
    assert mdl.zeros(2, requires_grad=True, device=device).requires_grad
    r = mdl.rand(1000, device=device).numpy()
    assert 0.0 <= r.min() and r.max() < 1.0


def test_manual_seed_reproduces_random_draws(device):
    mdl.manual_seed(42)
    a = mdl.randn(5, device=device).numpy()
    b = mdl.rand(3, device=device).numpy()
    mdl.manual_seed(42)
    np.testing.assert_array_equal(mdl.randn(5, device=device).numpy(), a)
    np.testing.assert_array_equal(mdl.rand(3, device=device).numpy(), b)
    mdl.manual_seed(43)
    assert not np.array_equal(mdl.randn(5, device=device).numpy(), a)
    with pytest.raises(ValueError, match="non-negative int"):
        mdl.manual_seed(-1)


def test_top_level_functions_match_methods(device):
    x = mdl.tensor([[1.0, -2.0], [3.0, 0.5]], device=device)
    for name in ("exp", "sqrt", "tanh", "sigmoid", "relu", "abs", "sum", "mean", "var", "max",
                 "min", "logsumexp", "softmax", "log_softmax", "flatten", "squeeze", "argmax"):
        method = getattr(x.abs() if name == "sqrt" else x, name)
        np.testing.assert_array_equal(getattr(mdl, name)(x.abs() if name == "sqrt" else x).numpy(),
                                      method().numpy())
