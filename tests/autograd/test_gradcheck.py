"""gradcheck itself: passes on correct ops, names the input, index and values of a wrong one."""
import re

import numpy as np
import pytest

import minidl as mdl
from minidl.autograd import Function, GradcheckError, gradcheck
from tests.autograd.helpers import leaf, values


class WrongSquare(Function):
    """y = x²; backward deliberately wrong on the second element: gx = 2x, except 3x there."""
    def forward(self, x):
        self.save_inputs(0)
        return x * x

    def backward(self, gy):
        (x,) = self.saved_tensors
        factor = self.xp.full(x.shape, 2.0, dtype=x.dtype)
        factor.reshape(-1)[1] = 3.0
        return gy * x * mdl.Tensor._make(factor, gy._backend, False, None)


class ScaledAdd(Function):
    """y = a + 2b, a correct custom op with two inputs."""
    def forward(self, a, b):
        return a + 2.0 * b

    def backward(self, gy):
        return gy, gy * 2.0


def test_passes_on_correct_ops_and_returns_true(device):
    x = leaf(values((2, 3), 0), device)
    assert gradcheck(lambda x: (x * x).tanh().sum(axis=0), (x,)) is True
    assert gradcheck(lambda x: x.exp(), x) is True  # a single Tensor is accepted


def test_wrong_backward_names_input_index_and_both_values(device):
    x = leaf([0.5, -1.5, 2.0], device)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: WrongSquare.apply(x), (x,))
    message = str(info.value)
    assert "input 0 (shape (3,)), element (1,), output element (1,)" in message
    analytic, numerical = map(float, re.search(r"analytic (\S+) vs numerical (\S+)",
                                               message).groups())
    assert analytic == pytest.approx(-4.5) and numerical == pytest.approx(-3.0, rel=1e-6)


def test_wrong_gradient_of_the_second_input_is_found(device):
    a, b = leaf(values((2,), 1), device), leaf(values((2, 2), 2), device)
    assert gradcheck(lambda a, b: ScaledAdd.apply(a, b), (a, b))
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(2, 2\)\), element \(0, 1\)"):
        gradcheck(lambda a, b: a * 1.0 + WrongSquare.apply(b.reshape(4)).reshape(2, 2), (a, b))


def test_checks_the_whole_jacobian_of_non_scalar_outputs(device):
    x = leaf(values((3,), 3), device)
    w = leaf(values((2, 3), 4), device)
    assert gradcheck(lambda x, w: (w @ x).exp(), (x, w))
    with pytest.raises(GradcheckError, match=r"output element \(1, 0\)"):
        # element 1 of WrongSquare's output lands at row 1, column 0 of the result
        gradcheck(lambda x: mdl.stack([x[:1], WrongSquare.apply(x)[1:2]]), (x,))


def test_float32_inputs_are_checked_in_float64(device):
    x = mdl.tensor([0.3, -0.7], device=device, requires_grad=True)
    assert gradcheck(lambda x: (x ** 3).sum(), (x,))
    assert x.dtype == np.float32 and x.grad is None  # the caller's tensor is untouched


def test_only_inputs_that_require_grad_are_checked(device):
    a = leaf([1.0, 2.0], device)
    c = mdl.tensor([3.0, 4.0], dtype="float64", device=device)
    assert gradcheck(lambda a, c: WrongSquare.apply(c) + a, (a, c))  # c is a constant
    with pytest.raises(GradcheckError):
        gradcheck(lambda c: WrongSquare.apply(c), (c,))  # no input requires grad: check all


def test_an_output_that_does_not_depend_on_the_input(device):
    x = leaf([1.0, 2.0], device)
    assert gradcheck(lambda x: mdl.ones(2, dtype="float64", device=device), (x,))
    with pytest.raises(GradcheckError, match=r"analytic 0.0 vs numerical 1.99999"):
        gradcheck(lambda x: x.detach() * 2.0, (x,))  # a cut in the graph is caught


def test_tolerances_are_used(device):
    x = leaf([0.5, -1.5, 2.0], device)
    assert gradcheck(lambda x: WrongSquare.apply(x), (x,), atol=2.0)


def test_misuse_is_reported():
    x = leaf([1.0], "cpu")
    with pytest.raises(TypeError, match="fn must return a Tensor"):
        gradcheck(lambda x: 1.0, (x,))
    with pytest.raises(ValueError, match="no floating-point input"):
        gradcheck(lambda i: i * 2, (mdl.tensor([1, 2]),))


def test_gradcheck_reads_device_elements_only_to_perturb_them(monkeypatch):
    """On a GPU each element read is a transfer and a synchronisation: the Jacobians are
    compared on the host, so only the perturbed input elements are read one by one."""
    from tests.strict_backend import StrictArray
    reads = []
    original_item = StrictArray.item
    monkeypatch.setattr(StrictArray, "item", lambda self: reads.append(1) or original_item(self))
    x = mdl.randn(3, 4, dtype="float64", device="strict", requires_grad=True)
    w = mdl.randn(4, 5, dtype="float64", device="strict")
    assert mdl.autograd.gradcheck(lambda x: (x @ w).tanh(), (x,))
    assert len(reads) == x.size  # not x.size + 2 · x.size · 15 (one per Jacobian entry)
