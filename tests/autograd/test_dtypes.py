"""Dtypes: float32 by default, float64 on request, scalars never widen, ints carry no grad."""
import numpy as np
import pytest

import minidl as mdl
from minidl.autograd.ops import linear


def test_python_numbers_take_the_default_float_dtype(device):
    assert mdl.tensor([1.0, 2.0], device=device).dtype == np.float32
    assert mdl.tensor(1.5, device=device).dtype == np.float32
    assert mdl.tensor([1, 2.5], device=device).dtype == np.float32
    assert mdl.tensor([1, 2], device=device).dtype == np.int64
    assert mdl.tensor([True, False], device=device).dtype == np.bool_
    assert mdl.tensor([], device=device).dtype == np.float32


def test_numpy_arrays_keep_their_dtype(device):
    for dtype in (np.float64, np.float32, np.float16, np.int32, np.int64, np.uint8, np.bool_):
        assert mdl.tensor(np.zeros(3, dtype=dtype), device=device).dtype == dtype
    assert mdl.tensor(np.zeros(3), dtype="float32", device=device).dtype == np.float32


@pytest.mark.parametrize("spec", ["float64", mdl.float64, np.float64, np.dtype("float64")],
                         ids=["name", "mdl", "numpy", "dtype"])
def test_dtype_arguments_accept_names_and_objects(spec, device):
    assert mdl.tensor([1.0], dtype=spec, device=device).dtype == np.float64
    assert mdl.zeros(2, 3, dtype=spec, device=device).dtype == np.float64
    assert mdl.tensor([1.0], device=device).astype(spec).dtype == np.float64


def test_other_dtype_names(device):
    assert mdl.ones(2, dtype=mdl.int32, device=device).dtype == np.int32
    assert mdl.ones(2, dtype="int64", device=device).dtype == np.int64
    assert mdl.ones(2, dtype=mdl.bool_, device=device).dtype == np.bool_
    with pytest.raises(TypeError, match="not a dtype"):
        mdl.tensor([1.0], dtype="float99")


def test_constructors_default_to_float32(device):
    for t in (mdl.zeros(2, 3, device=device), mdl.ones((2, 3), device=device),
              mdl.full((2,), 0.5, device=device), mdl.rand(2, device=device),
              mdl.randn(2, 3, device=device), mdl.eye(3, device=device),
              mdl.arange(0.0, 1.0, 0.25, device=device)):
        assert t.dtype == np.float32 and t.device == device
    assert mdl.arange(5, device=device).dtype == np.int64
    assert mdl.zeros(2, 3).shape == mdl.zeros((2, 3)).shape == (2, 3)
    assert mdl.randn(4, dtype="float64", device=device).dtype == np.float64
    assert mdl.zeros_like(mdl.ones(2, dtype="float64", device=device)).dtype == np.float64


def test_set_default_dtype(device):
    mdl.set_default_dtype("float64")
    assert mdl.get_default_dtype() == np.float64
    assert mdl.tensor([1.0], device=device).dtype == np.float64
    assert mdl.randn(2, device=device).dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        mdl.set_default_dtype("int32")


SCALAR_OPS = {
    "x * 0.5": lambda x: x * 0.5,
    "0.5 * x": lambda x: 0.5 * x,
    "0.5 - x": lambda x: 0.5 - x,
    "x + 1": lambda x: x + 1,
    "x / 3": lambda x: x / 3,
    "3 / x": lambda x: 3 / x,
    "x ** 2": lambda x: x ** 2,
    "x ** 0.5": lambda x: x.abs() ** 0.5,
    "2 ** x": lambda x: 2 ** x,
    "x * np.float64": lambda x: x * np.float64(0.5),
    "where(c, x, 0.5)": lambda x: mdl.where(x > 0, x, 0.5),
    "where(c, 0.5, x)": lambda x: mdl.where(x > 0, 0.5, x),
    "maximum(x, 0.1)": lambda x: mdl.maximum(x, 0.1),
    "minimum(0.1, x)": lambda x: mdl.minimum(0.1, x),
    "clip(x, -0.5, 0.5)": lambda x: mdl.clip(x, -0.5, 0.5),
    "mean": lambda x: x.mean(),
    "var": lambda x: x.var(ddof=1),
    "std": lambda x: x.std(),
    "logsumexp": lambda x: x.logsumexp(),
    "softmax": lambda x: x.softmax(),
    "log_softmax": lambda x: x.log_softmax(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "tanh": lambda x: x.tanh(),
    "exp": lambda x: x.exp(),
    "log": lambda x: x.abs().log(),
    "sqrt": lambda x: x.abs().sqrt(),
    "max": lambda x: x.max(axis=0),
    "getitem": lambda x: x[[0, 0]],
    "matmul": lambda x: x @ x.T,
    "linear": lambda x: linear(x, x, x[0]),
    "stack": lambda x: mdl.stack([x, x]),
}


@pytest.mark.parametrize("name", list(SCALAR_OPS))
def test_float32_stays_float32_forward_and_backward(name, device):
    """A Python (or NumPy) scalar never widens float32; gradients keep their input's dtype."""
    x = mdl.tensor([[0.5, -1.0], [2.0, 0.25]], device=device, requires_grad=True)
    y = SCALAR_OPS[name](x)
    assert y.dtype == np.float32, y.dtype
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float64_is_kept(device):
    x = mdl.tensor([0.5, 2.0], dtype="float64", device=device, requires_grad=True)
    y = (x * 0.5 + 1).exp().softmax().log()
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float64


def test_mixed_tensor_dtypes_follow_numpy_promotion_and_gradients_keep_theirs(device):
    a = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = mdl.tensor([3.0, 4.0], dtype="float64", device=device, requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    i = mdl.tensor([1, 2], device=device)
    assert (i * a).dtype == np.result_type(np.int64, np.float32)


def test_integer_and_bool_tensors_cannot_require_grad(device):
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        mdl.tensor([1, 2], requires_grad=True, device=device)
    with pytest.raises(TypeError, match="dtype bool"):
        mdl.tensor([True], device=device).requires_grad_()
    with pytest.raises(TypeError, match="int32"):
        mdl.zeros(2, dtype="int32", requires_grad=True, device=device)


def test_integer_results_carry_no_gradient(device):
    x = mdl.tensor([1.5, -2.0], device=device, requires_grad=True)
    assert not x.astype("int64").requires_grad
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad
    i = mdl.tensor([1, 2], device=device)
    assert (i * 2).dtype == np.int64 and not (i * 2).requires_grad


def test_float32_gradient_of_a_float64_cast(device):
    x = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    (x.astype("float64") * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    assert x.float() is x and x.double().dtype == np.float64


@pytest.mark.parametrize("expr", ["i * 0.5", "0.5 * i", "i / 2", "i / i", "i - 1.5", "b * 0.5",
                                  "i ** 0.5", "2.0 ** i"])
def test_python_float_never_makes_an_integer_tensor_float64(expr, device):
    """Integer/bool tensors meeting a Python float (or true division) take the default float
    dtype, as in PyTorch: a Python scalar never widens to float64."""
    i = mdl.tensor([1, 2, 3], device=device)  # noqa: F841 (used by eval)
    b = mdl.tensor([True, False, True], device=device)  # noqa: F841 (used by eval)
    assert eval(expr).dtype == np.float32
    mdl.set_default_dtype("float64")
    assert eval(expr).dtype == np.float64


def test_integer_arithmetic_with_python_ints_stays_integer(device):
    i = mdl.tensor([1, 2, 3], device=device)  # noqa: F841 (used by eval)
    assert (i + 1).dtype == np.int64 and (i * 2).dtype == np.int64 and (i ** 2).dtype == np.int64
