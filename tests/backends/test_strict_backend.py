"""The strict test backend really refuses NumPy, so a test passing on it means something."""
import numpy as np
import pytest

import minidl as mdl
from tests.strict_backend import StrictArray, StrictArrayError, register_strict_backend

backend = register_strict_backend()
xp = backend.xp


def strict(values):
    return backend.from_numpy(np.asarray(values, dtype=np.float64))


def test_implicit_conversion_to_numpy_raises():
    a = strict([1.0, 2.0])
    with pytest.raises(StrictArrayError, match="implicit conversion"):
        np.asarray(a)
    with pytest.raises(StrictArrayError):
        np.array(a)
    with pytest.raises(AttributeError):
        a.__array_interface__


def test_numpy_functions_on_strict_arrays_raise():
    a = strict([1.0, 2.0])
    with pytest.raises(StrictArrayError, match=r"numpy\.exp was called on a device array"):
        np.exp(a)
    with pytest.raises(StrictArrayError, match=r"numpy\.(sum|add)"):
        np.sum(a)
    with pytest.raises(StrictArrayError, match="numpy.concatenate"):
        np.concatenate([a, a])
    with pytest.raises(StrictArrayError):
        np.add.at(a, [0], 1.0)


def test_mixing_numpy_and_strict_arrays_raises():
    a = strict([1.0, 2.0])
    for op in (lambda: a + np.ones(2), lambda: np.ones(2) * a, lambda: xp.maximum(a, np.ones(2)),
               lambda: a.__setitem__(0, np.ones(()))):
        with pytest.raises(StrictArrayError, match="mixed with device|was called on a device"):
            op()


def test_the_array_module_works_and_mimics_cupy():
    a = strict([[1.0, -2.0], [3.0, 4.0]])
    b = xp.exp(a) + a * 2.0
    assert isinstance(b, StrictArray) and b.shape == (2, 2)
    total = a.sum()
    assert isinstance(total, StrictArray) and total.ndim == 0  # 0-d, as CuPy's reductions
    assert float(total) == 6.0 and total.item() == 6.0
    assert isinstance(xp.asarray(np.ones(2)), StrictArray)  # the explicit transfer is allowed
    assert isinstance(a[np.array([0, 0])], StrictArray)  # host index arrays are allowed
    np.testing.assert_array_equal(backend.to_numpy(a), [[1.0, -2.0], [3.0, 4.0]])


def test_an_op_calling_numpy_directly_fails_only_on_the_strict_device(device):
    """The point of the fixture: a stray `np.` call in op code is caught on 'strict'."""
    class SloppyExp(mdl.autograd.Function):
        def forward(self, x):
            return np.exp(x)  # wrong: should be self.xp.exp(x)

        def backward(self, gy):
            return gy

    x = mdl.tensor([0.0, 1.0], device=device)
    if device == "strict":
        with pytest.raises(StrictArrayError):
            SloppyExp.apply(x)
    else:
        np.testing.assert_allclose(SloppyExp.apply(x).numpy(), [1.0, np.e])


def test_every_core_op_keeps_arrays_on_the_strict_device():
    x = mdl.tensor([[0.5, -1.0, 2.0]], device="strict", requires_grad=True)
    y = (x.exp() + x.sigmoid() * x.tanh() - x.relu() + x.abs().sqrt().log()).softmax()
    y = mdl.concatenate([y, x.log_softmax(), mdl.clip(x, -0.5, 0.5)]).T @ x.T
    y = mdl.where(y > 0, y, y * 0.1).max(axis=0) + x[0, [0, 0]].sum() + x.var() + x.logsumexp()
    y.sum().backward()
    assert isinstance(x.grad.data, StrictArray)


def test_the_strict_generator_offers_only_what_cupys_generator_has():
    rng = backend.rng()
    assert isinstance(rng.random((2, 3), dtype=np.float32), StrictArray)
    assert isinstance(rng.standard_normal(4, dtype=np.float32), StrictArray)
    assert isinstance(rng.integers(0, 5, 3), StrictArray)
    for missing in ("permutation", "shuffle", "choice", "normal"):
        with pytest.raises(StrictArrayError, match=rf"rng\.{missing}\(\) does not exist on "
                                                   r"CuPy's Generator"):
            getattr(rng, missing)
