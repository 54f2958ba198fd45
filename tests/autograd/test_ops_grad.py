"""Gradient checks (float64, central differences) of every differentiable op, on every device.

Shapes cover 0-d tensors, size-1 axes, broadcasting pairs and an empty leading axis. Inputs
stay away from the points where an op has no derivative (|x| and relu at 0, clip bounds, ties
of max/min); the tie rules themselves are tested exactly at the end of this file.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl as mdl
from tests.autograd.helpers import check_grad, leaf, positive, values

SHAPES = [(), (1,), (3,), (2, 3), (1, 4), (2, 1, 3), (0, 4)]


def away(*points):
    return lambda shape, seed: values(shape, seed, away_from=points)


# name: (function, input maker, smallest ndim the op accepts)
UNARY = {
    "neg": (lambda x: -x, values, 0),
    "pos": (lambda x: +x * 1.0, values, 0),
    "exp": (mdl.exp, values, 0),
    "log": (mdl.log, positive, 0),
    "sqrt": (mdl.sqrt, positive, 0),
    "abs": (mdl.abs, away(0.0), 0),
    "tanh": (mdl.tanh, values, 0),
    "sigmoid": (mdl.sigmoid, values, 0),
    "relu": (mdl.relu, away(0.0), 0),
    "clip": (lambda x: mdl.clip(x, -0.5, 0.5), away(-0.5, 0.5), 0),
    "clip_min": (lambda x: x.clip(min=-0.5), away(-0.5), 0),
    "clip_max": (lambda x: x.clip(max=0.3), away(0.3), 0),
    "pow_2": (lambda x: x ** 2, values, 0),
    "pow_3": (lambda x: x ** 3, values, 0),
    "pow_half": (lambda x: x ** 0.5, positive, 0),
    "pow_neg": (lambda x: x ** -1.5, positive, 0),
    "pow_0": (lambda x: x ** 0, values, 0),
    "radd": (lambda x: 1.5 + x, values, 0),
    "rsub": (lambda x: 2.0 - x, values, 0),
    "rmul": (lambda x: 3 * x, values, 0),
    "rdiv": (lambda x: 2.0 / x, away(0.0), 0),
    "rpow": (lambda x: 2.0 ** x, values, 0),
    "sub_scalar": (lambda x: x - 0.5, values, 0),
    "div_scalar": (lambda x: x / 3, values, 0),
    "mul_self": (lambda x: x * x, values, 0),
    "maximum_scalar": (lambda x: mdl.maximum(x, 0.3), away(0.3), 0),
    "minimum_scalar": (lambda x: mdl.minimum(-0.2, x), away(-0.2), 0),
    "where_self": (lambda x: mdl.where(x > 0, x, x * x), away(0.0), 0),
    "where_scalar": (lambda x: mdl.where(x > 0, 0.5, x), away(0.0), 0),
    "astype": (lambda x: x.astype("float32").astype("float64"), values, 0),
    "T": (lambda x: x.T, values, 0),
    "transpose": (lambda x: mdl.transpose(x), values, 0),
    "flatten": (lambda x: x.flatten(), values, 0),
    "reshape": (lambda x: x.reshape(-1, 1), values, 0),
    "expand_dims_0": (lambda x: mdl.expand_dims(x, 0), values, 0),
    "expand_dims_-1": (lambda x: mdl.expand_dims(x, -1), values, 0),
    "squeeze": (lambda x: x.squeeze(), values, 0),
    "getitem_none": (lambda x: x[None], values, 0),
    "getitem_ellipsis": (lambda x: x[..., None], values, 0),
    "std": (lambda x: (x * x).std(), values, 0),
    "softmax": (mdl.softmax, values, 1),
    "softmax_0": (lambda x: mdl.softmax(x, axis=0), values, 1),
    "log_softmax": (mdl.log_softmax, values, 1),
    "log_softmax_0": (lambda x: mdl.log_softmax(x, axis=0), values, 1),
    "softmax_all": (lambda x: mdl.softmax(x, axis=None), values, 0),
    "log_softmax_all": (lambda x: x.log_softmax(axis=None), values, 0),
    "stack": (lambda x: mdl.stack([x, x * 2], axis=0), values, 0),
    "concatenate": (lambda x: mdl.concatenate([x, x * x], axis=-1), values, 1),
    "getitem_last": (lambda x: x[..., -1], values, 1),
    "getitem_slice": (lambda x: x[::-1], values, 1),
    "getitem_repeat": (lambda x: x[..., [0, 0, -1]], values, 1),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_grad(name, shape, device):
    fn, make, min_ndim = UNARY[name]
    if len(shape) < min_ndim:
        pytest.skip(f"{name} needs at least {min_ndim} dimensions")
    if name == "std" and int(np.prod(shape)) <= 1:
        pytest.skip("std of one value is 0, where sqrt has no derivative")
    if name == "astype":  # the float32 round trip loses digits: a coarser step and tolerance
        check_grad(fn, leaf(make(shape, 0), device), eps=1e-3, atol=1e-3)
        return
    check_grad(fn, leaf(make(shape, 0), device))


BINARY_SHAPES = [((), ()), ((3,), ()), ((), (2, 3)), ((2, 3), (2, 3)), ((2, 3), (3,)),
                 ((2, 1, 3), (4, 1)), ((1, 3), (2, 1)), ((0, 4), (4,)), ((0, 4), (1, 4))]

BINARY = {
    "add": (lambda a, b: a + b, values, values),
    "sub": (lambda a, b: a - b, values, values),
    "mul": (lambda a, b: a * b, values, values),
    "div": (lambda a, b: a / b, values, away(0.0)),
    "pow": (lambda a, b: a ** b, positive, values),
    "maximum": (mdl.maximum, values, values),
    "minimum": (mdl.minimum, values, values),
    "where": (lambda a, b: mdl.where(a > b, a * 2.0, b), values, values),
}


@pytest.mark.parametrize("sa, sb", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_grad(name, sa, sb, device):
    fn, make_a, make_b = BINARY[name]
    a, b = leaf(make_a(sa, 1), device), leaf(make_b(sb, 2), device)
    check_grad(fn, a, b)
    check_grad(lambda b: fn(a.detach(), b), b)  # only the second input needs grad


def test_where_condition_broadcasts(device):
    cond = mdl.tensor(np.array([[True], [False]]), device=device)
    a, b = leaf(values((2, 3), 1), device), leaf(values((3,), 2), device)
    check_grad(lambda a, b: mdl.where(cond, a, b), a, b)
    check_grad(lambda b: mdl.where([True, False, True], 1.0, b), b)


REDUCE_SHAPES = [(), (3,), (1, 4), (2, 3), (2, 3, 2), (0, 4)]
REDUCTIONS = {
    "sum": lambda x, axis, k: x.sum(axis=axis, keepdims=k),
    "mean": lambda x, axis, k: x.mean(axis=axis, keepdims=k),
    "max": lambda x, axis, k: x.max(axis=axis, keepdims=k),
    "min": lambda x, axis, k: mdl.min(x, axis=axis, keepdims=k),
    "var": lambda x, axis, k: x.var(axis=axis, keepdims=k),
    "var_ddof1": lambda x, axis, k: mdl.var(x, axis=axis, keepdims=k, ddof=1),
    "logsumexp": lambda x, axis, k: x.logsumexp(axis=axis, keepdims=k),
}


def _axes(ndim):
    axes = [None]
    if ndim >= 1:
        axes += [0, -1]
    if ndim >= 2:
        axes += [(0, -1), (-1, 0)]
    return axes


@pytest.mark.filterwarnings("ignore:divide by zero", "ignore:invalid value")  # log Σ of nothing
@pytest.mark.parametrize("shape", REDUCE_SHAPES, ids=str)
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_grad(name, shape, device):
    fn = REDUCTIONS[name]
    x = leaf(values(shape, 3), device)
    for axis in _axes(len(shape)):
        reduced = [shape[a] for a in (range(len(shape)) if axis is None else np.atleast_1d(axis))]
        if name in ("max", "min") and 0 in reduced:
            with pytest.raises(ValueError, match=f"{name}: reduction over an empty axis"):
                fn(x, axis, False)
            continue
        if name == "var_ddof1" and int(np.prod(reduced)) <= 1:
            continue  # n - ddof = 0: the variance is undefined (nan)
        for keepdims in (False, True):
            y = fn(x, axis, keepdims)
            expected = getattr(np, name.split("_")[0], None)
            if expected is not None and name != "var_ddof1" and 0 not in reduced:
                np.testing.assert_allclose(
                    y.numpy(), expected(x.numpy(), axis=axis, keepdims=keepdims), rtol=1e-12)
            check_grad(lambda x: fn(x, axis, keepdims), x)


SHAPE_OPS = [
    ("reshape", (2, 3, 4), lambda x: x.reshape(4, 6)),
    ("reshape_tuple", (2, 3, 4), lambda x: mdl.reshape(x, (3, -1))),
    ("reshape_0d", (), lambda x: x.reshape(1, 1)),
    ("reshape_empty", (0, 4), lambda x: x.reshape(4, 0)),
    ("transpose_none", (2, 3, 4), lambda x: x.transpose()),
    ("transpose_axes", (2, 3, 4), lambda x: x.transpose(1, 0, 2)),
    ("transpose_negative", (2, 3, 4), lambda x: mdl.transpose(x, (-1, 0, 1))),
    ("swapaxes", (2, 3, 4), lambda x: x.swapaxes(0, -1)),
    ("flatten_1", (2, 3, 4), lambda x: x.flatten(1)),
    ("expand_dims_1", (2, 3), lambda x: mdl.expand_dims(x, 1)),
    ("squeeze_axis", (2, 1, 3, 1), lambda x: mdl.squeeze(x, -1)),
    ("squeeze_axes", (2, 1, 3, 1), lambda x: x.squeeze((1, 3))),
    ("broadcast_to", (3, 1), lambda x: x.broadcast_to(2, 3, 4)),
    ("concatenate_0", (2, 3), lambda x: mdl.concatenate([x, x[:1] * 3.0, x[:0]], axis=0)),
    ("concatenate_empty", (0, 3), lambda x: mdl.concatenate([x, x * 2.0], axis=0)),
    ("stack_-1", (2, 3), lambda x: mdl.stack([x, x * x, -x], axis=-1)),
    ("stack_1", (0, 3), lambda x: mdl.stack([x, x], axis=1)),
]


@pytest.mark.parametrize("name, shape, fn", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_op_grad(name, shape, fn, device):
    check_grad(fn, leaf(values(shape, 4), device))


def test_concatenate_and_stack_several_inputs(device):
    a, b, c = (leaf(values(s, i), device) for i, s in enumerate([(2, 3), (2, 1), (2, 2)]))
    check_grad(lambda a, b, c: mdl.concatenate([a, b, c], axis=1), a, b, c)
    d, e = leaf(values((2, 3), 5), device), leaf(values((2, 3), 6), device)
    check_grad(lambda a, d, e: mdl.stack([a, d, e], axis=1), a, d, e)


INDICES = [
    ("int", 1),
    ("negative_int", -1),
    ("slice", slice(1, 3)),
    ("step_slice", slice(None, None, -2)),
    ("tuple", (slice(None), 0)),
    ("ellipsis", (Ellipsis, 1)),
    ("none", (None, 1)),
    ("mixed", (1, slice(None), None)),
    ("int_array_repeated", np.array([0, 0, 2, 0])),
    ("list_repeated", [3, 3, 1]),
    ("two_arrays_repeated", (np.array([0, 0, 1]), np.array([2, 2, 0]))),
    ("array_in_second_axis", (slice(None), [2, 0, 2])),
    ("2d_int_array", np.array([[0, 1], [1, 1]])),
    ("bool_mask_rows", np.array([True, False, True, True])),
    ("bool_mask_full", "mask"),
    ("empty_int_array", np.array([], dtype=np.int64)),
]


@pytest.mark.parametrize("name, index", INDICES, ids=[i[0] for i in INDICES])
def test_getitem_grad(name, index, device):
    x = leaf(values((4, 3, 2), 7), device)
    if isinstance(index, str):
        index = x > 0  # a bool Tensor mask on the same device
    check_grad(lambda x: x[index], x)


def test_getitem_with_tensor_indices(device):
    x = leaf(values((4, 3), 8), device)
    rows = mdl.tensor(np.array([3, 0, 3, 3]), device=device)
    check_grad(lambda x: x[rows], x)
    check_grad(lambda x: x[rows, rows[:1] - 1], x)


def test_getitem_of_empty_leading_axis(device):
    x = leaf(np.zeros((0, 4)), device)
    check_grad(lambda x: x[:, 1:3], x)
    check_grad(lambda x: x[np.array([], dtype=np.int64)], x)


def test_repeated_indices_accumulate(device):
    x = leaf([1.0, 2.0, 3.0], device)
    x[[0, 2, 0, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])
    y = leaf(np.zeros((2, 2)), device)
    (y[[1, 1], [0, 0]] * mdl.tensor([2.0, 5.0], dtype="float64", device=device)).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[0.0, 0.0], [7.0, 0.0]])


MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                 ((2, 2, 3), (3, 4)), ((2, 3), (2, 3, 4)), ((2, 1, 2, 3), (3, 3, 2)),
                 ((3,), (2, 3, 4)), ((2, 3, 4), (4,)), ((0, 3), (3, 2)), ((2, 0), (0, 3)),
                 ((1, 1), (1, 1))]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES, ids=str)
def test_matmul_grad(sa, sb, device):
    a, b = leaf(values(sa, 9), device), leaf(values(sb, 10), device)
    check_grad(lambda a, b: a @ b, a, b)
    y = a @ b
    np.testing.assert_allclose(y.numpy(), np.matmul(a.numpy(), b.numpy()), rtol=1e-12)


def test_matmul_with_constant_operands(device):
    a, b = leaf(values((2, 3), 9), device), leaf(values((3, 2), 10), device)
    check_grad(lambda a: a @ b.detach(), a)
    check_grad(lambda b: mdl.matmul(a.detach(), b), b)


@pytest.mark.parametrize("x_shape", [(2, 3), (3,), (2, 2, 3), (0, 3)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_grad(x_shape, bias, device):
    from minidl.autograd.ops import linear
    x, w = leaf(values(x_shape, 11), device), leaf(values((4, 3), 12), device)
    inputs = (x, w, leaf(values((4,), 13), device)) if bias else (x, w)
    check_grad(lambda *args: linear(*args), *inputs)
    composite = x @ w.T + inputs[2] if bias else x @ w.T
    np.testing.assert_allclose(linear(*inputs).numpy(), composite.numpy(), rtol=1e-12)


def test_linear_matches_composite_gradients(device):
    from minidl.autograd.ops import linear
    x, w, b = (leaf(values(s, i), device) for i, s in enumerate([(5, 3), (4, 3), (4,)]))
    fused = mdl.autograd.grad((linear(x, w, b) ** 2).sum(), (x, w, b))
    composite = mdl.autograd.grad(((x @ w.T + b) ** 2).sum(), (x, w, b))
    for f, c in zip(fused, composite):
        np.testing.assert_allclose(f.numpy(), c.numpy(), rtol=1e-12)


@pytest.mark.parametrize("x_shape", [(2, 3), (3,), (2, 2, 3), (0, 3)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_relu_grad(x_shape, bias, device):
    """The fused Linear → ReLU node: gradcheck (inputs keep x @ Wᵀ + b away from the kink)
    and equality with its composite twin relu(linear(x, W, b)), values and gradients."""
    from minidl.autograd.ops import linear, linear_relu
    x, w = leaf(values(x_shape, 21), device), leaf(values((4, 3), 22), device)
    inputs = (x, w, leaf(values((4,), 23), device)) if bias else (x, w)
    pre = linear(*inputs).numpy()
    assert pre.size == 0 or np.abs(pre).min() > 1e-3  # (no input sits on the kink)
    check_grad(lambda *args: linear_relu(*args), *inputs)
    fused, composite = linear_relu(*inputs), mdl.relu(linear(*inputs))
    np.testing.assert_array_equal(fused.numpy(), composite.numpy())
    if fused.size:
        gf = mdl.autograd.grad((fused ** 2).sum(), inputs)
        gc = mdl.autograd.grad((composite ** 2).sum(), inputs)
        for f, c in zip(gf, gc):
            np.testing.assert_array_equal(f.numpy(), c.numpy())


def test_linear_relu_second_derivative_equals_composite(device):
    from minidl.autograd.ops import linear, linear_relu
    x, w, b = (leaf(values(s, 30 + i), device) for i, s in enumerate([(5, 3), (4, 3), (4,)]))
    results = []
    for f in (linear_relu, lambda *a: mdl.relu(linear(*a))):
        (gx,) = mdl.autograd.grad((f(x, w, b) ** 3).sum(), x, create_graph=True)
        results.append(mdl.autograd.grad((gx * gx).sum(), (w, b)))
    for f, c in zip(*results):
        np.testing.assert_allclose(f.numpy(), c.numpy(), rtol=1e-12)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                                max_side=3),
       op=st.sampled_from(["add", "sub", "mul", "div", "maximum", "minimum"]),
       seed=st.integers(0, 2 ** 16))
def test_binary_broadcasting_property(shapes, op, seed):
    """Any pair of broadcastable shapes: the gradient is summed back to each input's shape."""
    fn, make_a, make_b = BINARY[op]
    sa, sb = shapes.input_shapes
    for device in ("cpu", "strict"):
        a, b = leaf(make_a(sa, seed), device), leaf(make_b(sb, seed + 1), device)
        check_grad(fn, a, b)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
       data=st.data())
def test_reduction_axis_property(shape, data):
    """sum/max/logsumexp/softmax over any axis of any small shape, on both devices."""
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdims = data.draw(st.booleans())
    for device in ("cpu", "strict"):
        x = leaf(values(shape, len(shape) + axis), device)
        check_grad(lambda x: x.sum(axis=axis, keepdims=keepdims) * x.max(axis, keepdims).exp(), x)
        check_grad(lambda x: x.logsumexp(axis, keepdims) + x.softmax(axis).sum(axis, keepdims), x)


# -- the documented rules at non-differentiable points --------------------------------------
def test_max_min_split_ties_evenly(device):
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], device)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    x.grad = None
    x.min().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 0, 0], [0, 0, 0]])
    x.grad = None
    mdl.max(x).backward()  # the two 3s tie over the whole tensor
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [0, 0, 0]])
    x.grad = None
    x.min(axis=0, keepdims=True).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 0, 0], [0, 1, 1]])


def test_maximum_minimum_split_ties_in_half(device):
    a, b = leaf([1.0, 2.0, 3.0], device), leaf([1.0, 5.0, 0.0], device)
    mdl.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0, 0.0])
    a.grad = b.grad = None
    mdl.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.0, 1.0])


def test_gradients_at_kinks(device):
    x = leaf([-1.0, 0.0, 2.0], device)
    mdl.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0])  # sign(0) = 0
    x.grad = None
    mdl.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])  # 0 at 0
    x.grad = None
    mdl.clip(x, 0.0, 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0])  # bounds are inside
    x.grad = None
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])  # not 0 * 0**-1 = nan
