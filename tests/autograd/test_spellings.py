"""PyTorch's spellings: dim=/keepdim= beside axis=/keepdims=, and view, permute, unsqueeze,
clone, t(), numel(), mdl.cat, mdl.from_numpy; they compute what the NumPy spellings compute."""
import numpy as np
import pytest

import minidl as mdl
from tests.autograd.helpers import check_grad, compare_torch, leaf, values

REDUCTIONS = ["sum", "mean", "var", "std", "max", "min", "logsumexp"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_dim_and_keepdim_as_methods_and_functions(name, device):
    x = leaf(values((3, 4)), device)
    expected = getattr(x, name)(axis=1, keepdims=True).numpy()
    np.testing.assert_array_equal(getattr(x, name)(dim=1, keepdim=True).numpy(), expected)
    if hasattr(mdl, name):
        np.testing.assert_array_equal(getattr(mdl, name)(x, dim=1, keepdim=True).numpy(),
                                      expected)


def test_dim_everywhere_else(device):
    x = leaf(values((2, 3)), device)
    same = np.testing.assert_array_equal
    same(x.argmax(dim=1).numpy(), x.argmax(axis=1).numpy())
    same(mdl.argmin(x, dim=0).numpy(), mdl.argmin(x, axis=0).numpy())
    same(x.softmax(dim=0).numpy(), x.softmax(axis=0).numpy())
    same(mdl.softmax(x, dim=0).numpy(), mdl.softmax(x, axis=0).numpy())
    same(mdl.log_softmax(x, dim=0).numpy(), x.log_softmax(axis=0).numpy())
    same(mdl.nn.functional.softmax(x, dim=0).numpy(), mdl.softmax(x, axis=0).numpy())
    same(x.unsqueeze(1).numpy(), mdl.expand_dims(x, axis=1).numpy())
    same(mdl.unsqueeze(x, dim=0).numpy(), x.expand_dims(0).numpy())
    same(x.reshape(1, 2, 3).squeeze(dim=0).numpy(), x.numpy())
    same(mdl.cat([x, x], dim=1).numpy(), mdl.concatenate([x, x], axis=1).numpy())
    same(mdl.stack([x, x], dim=2).numpy(), mdl.stack([x, x], axis=2).numpy())
    same(x.flatten(start_dim=1).numpy(), x.flatten(1).numpy())
    assert (x > 0).all(dim=1).shape == (2,) and (x > 0).any(dim=0, keepdim=True).shape == (1, 3)
    with pytest.raises(TypeError, match=r"sum\(\) got both axis= and dim="):
        x.sum(axis=0, dim=1)


def test_shape_spellings(device):
    x = leaf(values((2, 3, 4)), device)
    assert x.view(6, 4).shape == (6, 4) and x.view((4, 6)).shape == (4, 6)
    assert x.permute(2, 0, 1).shape == (4, 2, 3) and x.permute((1, 0, 2)).shape == (3, 2, 4)
    m = leaf(values((2, 3)), device)
    np.testing.assert_array_equal(m.t().numpy(), m.numpy().T)
    v = leaf(values((3,)), device)
    assert v.t() is v
    with pytest.raises(ValueError, match=r"t\(\) expects a tensor with at most 2 dimensions"):
        x.t()
    assert x.numel() == 24 and x.size == 24 and isinstance(x.numel(), int)


def test_clone_is_a_copy_in_the_graph(device):
    x = leaf(values((2, 3)), device)
    y = x.clone()
    assert y.grad_fn is not None and y.data is not x.data
    with mdl.no_grad():
        y.data[0, 0] = 100.0
    assert x.numpy()[0, 0] != 100.0
    (mdl.clone(x) * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))


@pytest.mark.parametrize("shape", [(), (1,), (3, 4), (0, 4)])
def test_clone_grad(shape, device):
    check_grad(lambda x: x.clone() * x, leaf(values(shape), device))


@pytest.mark.parametrize("name, torch_fn, mdl_fn", [
    ("clone", lambda x: x.clone(), lambda x: x.clone()),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1)),
    ("view", lambda x: x.view(6, 4), lambda x: x.view(6, 4)),
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda x: x.unsqueeze(1)),
    ("sum_dim", lambda x: x.sum(dim=1, keepdim=True), lambda x: x.sum(dim=1, keepdim=True)),
])
def test_against_torch(name, torch_fn, mdl_fn):
    compare_torch([(2, 3, 4)], torch_fn, mdl_fn)


def test_t_against_torch():
    compare_torch([(3, 5)], lambda x: x.t(), lambda x: x.t())


def test_from_numpy_shares_memory():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = mdl.from_numpy(a)
    assert t.dtype == np.float64 and t.device == "cpu" and not t.requires_grad
    a[0, 0] = 42.0
    assert t.numpy()[0, 0] == 42.0
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        mdl.from_numpy([1.0, 2.0])
