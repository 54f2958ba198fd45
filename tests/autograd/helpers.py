"""Shared helpers of the autograd tests: inputs, gradient checks and the PyTorch comparison."""
import numpy as np
import pytest

import minidl as mdl
from minidl.autograd import gradcheck


def values(shape, seed=0, low=-2.0, high=2.0, away_from=(), gap=0.1):
    """Deterministic float64 values in [low, high), at least ``gap`` from each point in
    ``away_from`` (to keep gradient checks off kinks such as |x| at 0 or clip bounds)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, size=shape)
    for point in away_from:
        near = np.abs(x - point) < gap
        x = np.where(near, point + np.where(x >= point, gap, -gap) * 2, x)
    return x


def positive(shape, seed=0, low=0.5, high=2.0):
    return values(shape, seed, low, high)


def leaf(array, device, dtype="float64", requires_grad=True):
    """A leaf tensor on ``device`` holding ``array``."""
    return mdl.tensor(np.asarray(array), dtype=dtype, device=device, requires_grad=requires_grad)


def check_grad(fn, *inputs, **tolerances):
    """gradcheck ``fn`` at ``inputs``, then check one backward's gradient shapes and dtypes.

    The second part matters for empty tensors, where the Jacobian has no entries to compare
    but backward must still hand each input a gradient of its own shape.
    """
    assert gradcheck(fn, inputs, **tolerances)
    xs = [x for x in inputs if x.requires_grad]
    y = fn(*inputs)
    gy = mdl.ones(y.shape, dtype=y.dtype, device=y.device)
    grads = mdl.autograd.grad(y, xs, gy, allow_unused=True)
    for x, g in zip(xs, grads):
        if g is not None:
            assert g.shape == x.shape and g.dtype == x.dtype and g.device == x.device


def to_numpy(t):
    return t.numpy() if isinstance(t, mdl.Tensor) else t.detach().numpy()


def compare_torch(shapes, torch_fn, mdl_fn, device="cpu", make=values,
                  dtypes=("float32", "float64"), atol=None, rtol=None, grad=True, seed=0,
                  torch_float64=False):
    """Run ``torch_fn`` and ``mdl_fn`` on the same inputs; compare values, dtypes and gradients.

    One line per op, in the manner of tinygrad's ``helper_test_op``. ``shapes`` is a list of
    input shapes (or NumPy arrays to use as they are); the backward pass uses the same random
    upstream gradient for both libraries. Runs in float32 and float64. With
    ``torch_float64=True`` PyTorch always computes in float64, as the exact reference for
    cases where its own float32 result is the less accurate one.
    """
    torch = pytest.importorskip("torch")
    for dtype in dtypes:
        arrays = [np.asarray(s, dtype=dtype) if isinstance(s, np.ndarray)
                  else make(s, seed + i).astype(dtype) for i, s in enumerate(shapes)]
        arrays = [np.ascontiguousarray(a) for a in arrays]  # torch refuses negative strides
        ts = [torch.tensor(a.astype("float64") if torch_float64 else a, requires_grad=grad)
              for a in arrays]
        ms = [mdl.tensor(a, device=device, requires_grad=grad) for a in arrays]
        ty, my = torch_fn(*ts), mdl_fn(*ms)
        tight = dtype == "float64"
        a_tol = atol if atol is not None else (1e-10 if tight else 1e-5)
        r_tol = rtol if rtol is not None else (1e-9 if tight else 1e-5)
        assert my.shape == tuple(ty.shape), (my.shape, tuple(ty.shape))
        expected_dtype = str(ty.dtype).replace("torch.", "")
        if torch_float64 and expected_dtype == "float64":
            expected_dtype = dtype
        assert str(my.dtype) == expected_dtype, (my.dtype, ty.dtype)
        np.testing.assert_allclose(my.numpy(), ty.detach().numpy(), atol=a_tol, rtol=r_tol,
                                   err_msg=f"forward values ({dtype})")
        if not grad:
            continue
        gy = np.random.default_rng(seed + 99).standard_normal(my.shape).astype(dtype)
        ty.backward(torch.tensor(gy, dtype=ty.dtype))
        my.backward(mdl.tensor(gy, device=device))
        for i, (t, m) in enumerate(zip(ts, ms)):
            if t.grad is None:
                assert m.grad is None or not np.any(m.grad.numpy()), f"input {i}: unexpected grad"
                continue
            assert m.grad is not None, f"input {i}: no gradient"
            assert m.grad.dtype == m.dtype and m.grad.shape == m.shape
            np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=a_tol, rtol=r_tol,
                                       err_msg=f"gradient of input {i} ({dtype})")
