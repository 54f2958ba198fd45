"""detect_anomaly: the first op whose forward or backward makes NaN/Inf raises, naming it."""
import numpy as np
import pytest

import minidl as mdl

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the infs and nans are the point


def test_forward_anomaly_names_the_op_and_where_it_was_created(device):
    x = mdl.tensor([0.0, 1.0], device=device, requires_grad=True)
    with mdl.autograd.detect_anomaly():
        y = x * 2.0
        with pytest.raises(FloatingPointError) as info:
            mdl.log(y)  # log(0) = -inf
    message = str(info.value)
    assert message.startswith("Log: forward produced non-finite values")
    assert "test_anomaly.py" in message and "mdl.log(y)" in message


def test_backward_anomaly_names_the_op_and_where_it_was_created(device):
    x = mdl.tensor([0.0, 4.0], device=device, requires_grad=True)
    with mdl.autograd.detect_anomaly():
        y = mdl.sqrt(x).sum()  # finite forward; d√x/dx at 0 is inf
        with pytest.raises(FloatingPointError) as info:
            y.backward()
    message = str(info.value)
    assert message.startswith("Sqrt: backward produced non-finite values")
    assert "input 0" in message and "test_anomaly.py" in message and "mdl.sqrt(x)" in message


def test_nan_in_the_middle_of_a_graph_is_caught_at_its_op(device):
    x = mdl.tensor([-1.0, 1.0], device=device, requires_grad=True)
    with mdl.autograd.detect_anomaly():
        h = x.exp()
        with pytest.raises(FloatingPointError, match="^Sqrt: forward"):
            (h - 2.0).sqrt()


def test_without_detect_anomaly_nothing_is_raised(device):
    x = mdl.tensor([0.0, 4.0], device=device, requires_grad=True)
    with np.errstate(divide="ignore"):
        mdl.sqrt(x).sum().backward()
        assert np.isinf(x.grad.numpy()[0])
        assert np.isinf(mdl.log(mdl.tensor([0.0], device=device)).item())


def test_detect_anomaly_as_a_decorator_restores_the_state(device):
    @mdl.autograd.detect_anomaly()
    def run(x):
        return mdl.log(x)

    with pytest.raises(FloatingPointError, match="Log"):
        run(mdl.tensor([-1.0], device=device))
    from minidl.autograd import anomaly
    assert not anomaly.state.enabled
    with mdl.autograd.detect_anomaly(check_nan=False):
        assert not anomaly.state.enabled


def test_integer_outputs_are_not_checked(device):
    with mdl.autograd.detect_anomaly():
        x = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
        assert (x.astype("int64") * 2).tolist() == [2, 4]
        (x * 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
