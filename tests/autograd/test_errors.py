"""Bad input gets a clear error naming the op and the shapes, dtypes or axes involved."""
import numpy as np
import pytest

import minidl as mdl
from minidl.autograd.ops import linear


def t(shape, device):
    return mdl.zeros(shape, device=device, requires_grad=True)


def test_matmul_mismatch_names_op_and_shapes(device):
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned"):
        t((2, 3), device) @ t((4, 5), device)
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(2,\)"):
        mdl.matmul(t((3,), device), t((2,), device))
    with pytest.raises(ValueError, match=r"matmul: batch shapes of \(2, 2, 3\) and \(3, 3, 1\)"):
        t((2, 2, 3), device) @ t((3, 3, 1), device)
    with pytest.raises(ValueError, match=r"matmul: .*at least one dimension.*\(\) and \(3,\)"):
        t((), device) @ t((3,), device)


@pytest.mark.parametrize("op, name", [(lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"),
                                      (lambda a, b: a * b, "mul"), (lambda a, b: a / b, "div"),
                                      (lambda a, b: a ** b, "pow"), (mdl.maximum, "maximum"),
                                      (mdl.minimum, "minimum"), (lambda a, b: a < b, "less")])
def test_broadcast_mismatch_names_op_and_shapes(op, name, device):
    with pytest.raises(ValueError, match=rf"{name}: operands of shapes \(2, 3\) and \(2,\) "
                                         "cannot be broadcast"):
        op(t((2, 3), device), t((2,), device))


def test_where_mismatch(device):
    with pytest.raises(ValueError, match=r"where: operands of shapes \(4,\) and \(2, 3\)"):
        mdl.where(mdl.ones(4, device=device) > 0, t((2, 3), device), 0.0)


def test_linear_mismatch(device):
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\) does not match weight "
                                         r"of shape \(4, 3\)"):
        linear(t((2, 5), device), t((4, 3), device))
    with pytest.raises(ValueError, match=r"linear: bias of shape \(3,\)"):
        linear(t((2, 3), device), t((4, 3), device), t((3,), device))


def test_reshape_size_mismatch(device):
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) "
                                         r"\(6 elements\) into shape \(4,\)"):
        t((2, 3), device).reshape(4)


@pytest.mark.parametrize("op, name", [
    (lambda x: x.sum(axis=2), "sum"), (lambda x: x.mean(axis=-3), "mean"),
    (lambda x: x.max(axis=5), "max"), (lambda x: x.min(axis=(0, 2)), "min"),
    (lambda x: x.var(axis=2), "var"), (lambda x: x.logsumexp(axis=2), "logsumexp"),
    (lambda x: x.softmax(axis=2), "softmax"), (lambda x: x.log_softmax(axis=-3), "log_softmax"),
    (lambda x: mdl.squeeze(x, 2), "squeeze"), (lambda x: x.flatten(2), "flatten"),
    (lambda x: mdl.concatenate([x, x], axis=2), "concatenate")])
def test_bad_axis_names_op_and_dimensions(op, name, device):
    with pytest.raises(ValueError, match=rf"{name}: axis -?\d is out of bounds for a tensor of 2 "
                                         "dimensions"):
        op(t((2, 3), device))


def test_numpy_integer_axes_are_accepted(device):
    x = t((2, 3), device)
    assert x.sum(axis=np.int64(-1)).shape == (2,)
    assert x.max(axis=(np.int32(0), 1)).shape == ()
    with pytest.raises(ValueError, match="softmax: expected one axis"):
        x.softmax(axis=(0, 1))


def test_axis_of_a_0d_tensor(device):
    with pytest.raises(ValueError, match="sum: axis 0 is out of bounds for a tensor of 0"):
        t((), device).sum(axis=0)
    assert t((), device).sum().shape == ()


def test_other_shape_errors(device):
    x = t((2, 3), device)
    with pytest.raises(ValueError, match=r"sum: repeated axis"):
        x.sum(axis=(0, 0))
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 0\) are not a permutation"):
        x.transpose(0, 0)
    with pytest.raises(ValueError, match=r"squeeze: axis 1 of shape \(2, 3\) has size 3"):
        x.squeeze(1)
    with pytest.raises(ValueError, match=r"expand_dims: axis 4 out of range for shape \(2, 3\)"):
        mdl.expand_dims(x, 4)
    with pytest.raises(ValueError, match=r"concatenate: all shapes must match except along axis 0"):
        mdl.concatenate([x, t((2, 2), device)])
    with pytest.raises(ValueError, match=r"stack: all shapes must be equal"):
        mdl.stack([x, t((3, 2), device)])
    with pytest.raises(ValueError, match=r"max: reduction over an empty axis 0 of shape \(0, 3\)"):
        t((0, 3), device).max(axis=0)
    with pytest.raises(IndexError, match=r"getitem: .*\(tensor of shape \(2, 3\)\)"):
        x[5]
    with pytest.raises(ValueError, match="broadcast_to: cannot broadcast shape"):
        x.broadcast_to(4, 3)
    with pytest.raises(ValueError, match="clip: at least one of min and max"):
        x.clip()


def test_backward_errors_name_shapes(device):
    x = t((2, 3), device)
    with pytest.raises(RuntimeError, match=r"backward: .*one-element outputs.*\(2, 3\)"):
        (x * 2.0).backward()
    with pytest.raises(RuntimeError, match=r"gradient of shape \(3, 2\) given for output 0 of "
                                           r"shape \(2, 3\)"):
        (x * 2.0).backward(mdl.ones(3, 2, device=device))


def test_a_bad_custom_backward_is_reported(device):
    class Wrong(mdl.autograd.Function):
        def forward(self, x):
            return x * 2.0

        def backward(self, gy):
            return mdl.ones(5, dtype=gy.dtype, device=gy.device)

    with pytest.raises(RuntimeError, match=r"Wrong.backward returned a gradient of shape \(5,\) "
                                           r"for input 0 of shape \(2, 3\)"):
        Wrong.apply(t((2, 3), device)).sum().backward()


def test_function_needs_a_tensor_input():
    class Noop(mdl.autograd.Function):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="Noop: at least one input must be a Tensor"):
        Noop.apply(np.ones(2))


def test_integer_powers_of_integer_tensors(device):
    with pytest.raises(ValueError, match="pow: integer tensors cannot be raised to negative"):
        mdl.tensor([1, 2], device=device) ** -1


def test_tensor_from_unsupported_data():
    with pytest.raises(TypeError, match="cannot make a tensor from str"):
        mdl.tensor(["a"])
