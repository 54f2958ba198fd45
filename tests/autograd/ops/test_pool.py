"""Max, average and adaptive pooling: gradient checks (cpu and strict), PyTorch comparisons
of values, indices, gradients and second derivatives, and the first-maximum tie rule."""
import numpy as np
import pytest

import minidl as mdl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from tests.autograd.helpers import compare_torch, leaf
from tests.autograd.ops.conv_helpers import second_order_torch


def distinct(shape, seed=0):
    """Values with no two closer than 0.01 (a max-pool is smooth around them)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.01 - n * 0.005).reshape(shape)


# (x shape, kernel_size, arguments); sizes chosen so that H + 2p − d(k − 1) − 1 is often not
# a multiple of the stride, and ceil_mode adds a partial last window
MAX_POOL = [
    ((2, 3, 6, 6), 2, dict()),
    ((1, 2, 7, 5), 3, dict(stride=2, padding=1)),
    ((1, 2, 7, 6), (3, 2), dict(stride=(2, 1), padding=(1, 1), dilation=(1, 2))),
    ((2, 1, 7, 7), 3, dict(stride=2, ceil_mode=True)),
    ((1, 2, 8, 7), 2, dict(stride=3, padding=1, ceil_mode=True)),
    ((2, 5, 5), 2, dict(stride=1)),                                    # unbatched, overlapping
]


@pytest.mark.parametrize("xs, k, kwargs", MAX_POOL)
def test_max_pool2d_gradcheck(xs, k, kwargs, device):
    x = leaf(distinct(xs), device)
    assert gradcheck(lambda x: F.max_pool2d(x, k, **kwargs), (x,))


@pytest.mark.parametrize("xs, k, kwargs", MAX_POOL)
def test_max_pool2d_matches_torch(xs, k, kwargs):
    torch = pytest.importorskip("torch")
    compare_torch([xs], lambda x: torch.nn.functional.max_pool2d(x, k, **kwargs),
                  lambda x: F.max_pool2d(x, k, **kwargs), make=lambda s, seed: distinct(s, seed))
    x = distinct(xs)
    y, idx = F.max_pool2d(mdl.tensor(x), k, return_indices=True, **kwargs)
    ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), k, return_indices=True, **kwargs)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert idx.dtype == mdl.int64
    second_order_torch(lambda x: F.max_pool2d(x, k, **kwargs) ** 2,
                       lambda x: torch.nn.functional.max_pool2d(x, k, **kwargs) ** 2, [x])


def test_max_pool_ties_go_to_the_first_maximum_in_row_major_order():
    """Every window of a constant image is a tie: the gradient goes to its top-left element
    (overlapping windows add up there), exactly as PyTorch's."""
    x = mdl.tensor(np.ones((1, 1, 4, 5)), requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    expected = np.zeros((4, 5))
    expected[:3, :4] = 1.0
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)
    # a tie between the second and third offsets of one window: the second wins
    x = mdl.tensor(np.array([[[[0.0, 3.0], [3.0, 1.0]]]]), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0.0, 1.0], [0.0, 0.0]])
    assert idx.item() == 1
    torch = pytest.importorskip("torch")
    for shape, k, s, p in [((2, 3, 6, 7), 3, 2, 1), ((1, 2, 5, 5), 2, 1, 0)]:
        data = np.random.default_rng(0).integers(0, 3, size=shape).astype(np.float64)
        m = mdl.tensor(data, requires_grad=True)
        t = torch.tensor(data, requires_grad=True)
        F.max_pool2d(m, k, s, p).sum().backward()
        torch.nn.functional.max_pool2d(t, k, s, p).sum().backward()
        np.testing.assert_array_equal(m.grad.numpy(), t.grad.numpy())


def test_max_pool_padding_counts_as_minus_infinity():
    x = mdl.tensor(-np.ones((1, 1, 2, 2)) * 5)
    assert F.max_pool2d(x, 2, stride=1, padding=1).numpy().max() == -5.0


def test_max_pool1d_matches_torch(device):
    torch = pytest.importorskip("torch")
    for kwargs in (dict(stride=2, padding=1, ceil_mode=True), dict(dilation=2)):
        x = leaf(distinct((2, 3, 9)), device)
        assert gradcheck(lambda x: F.max_pool1d(x, 3, **kwargs), (x,))
        if device == "cpu":
            compare_torch([(2, 3, 9)], lambda x: torch.nn.functional.max_pool1d(x, 3, **kwargs),
                          lambda x: F.max_pool1d(x, 3, **kwargs),
                          make=lambda s, seed: distinct(s, seed))
            _, idx = F.max_pool1d(mdl.tensor(distinct((3, 9))), 3, return_indices=True, **kwargs)
            _, tidx = torch.nn.functional.max_pool1d(torch.tensor(distinct((3, 9))), 3,
                                                     return_indices=True, **kwargs)
            np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


AVG_POOL = [
    ((2, 3, 6, 6), 2, dict()),
    ((1, 2, 7, 5), 3, dict(stride=2, padding=1)),
    ((1, 2, 7, 5), 3, dict(stride=2, padding=1, count_include_pad=False)),
    ((1, 2, 8, 7), (3, 2), dict(stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 8, 7), 3, dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ((1, 2, 6, 7), 3, dict(stride=2, padding=1, ceil_mode=True, divisor_override=4)),
    ((3, 5, 5), 2, dict(stride=1)),                                     # unbatched
]


@pytest.mark.parametrize("xs, k, kwargs", AVG_POOL)
def test_avg_pool2d(xs, k, kwargs, device):
    x = leaf(distinct(xs), device)
    assert gradcheck(lambda x: F.avg_pool2d(x, k, **kwargs), (x,))
    if device == "cpu":
        torch = pytest.importorskip("torch")
        compare_torch([xs], lambda x: torch.nn.functional.avg_pool2d(x, k, **kwargs),
                      lambda x: F.avg_pool2d(x, k, **kwargs))
        second_order_torch(lambda x: F.avg_pool2d(x, k, **kwargs) ** 2,
                           lambda x: torch.nn.functional.avg_pool2d(x, k, **kwargs) ** 2,
                           [distinct(xs)])


def test_avg_pool1d(device):
    torch = pytest.importorskip("torch")
    for kwargs in (dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                   dict(stride=1)):
        x = leaf(distinct((2, 3, 9)), device)
        assert gradcheck(lambda x: F.avg_pool1d(x, 3, **kwargs), (x,))
        if device == "cpu":
            compare_torch([(2, 3, 9)], lambda x: torch.nn.functional.avg_pool1d(x, 3, **kwargs),
                          lambda x: F.avg_pool1d(x, 3, **kwargs))


@pytest.mark.parametrize("xs, out", [((2, 3, 7, 5), (3, 2)), ((1, 2, 6, 6), 3),
                                     ((3, 5, 4), 1), ((1, 2, 4, 6), (None, 4))])
def test_adaptive_avg_pool2d(xs, out, device):
    x = leaf(distinct(xs), device)
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, out), (x,))
    if device == "cpu":
        torch = pytest.importorskip("torch")
        compare_torch([xs], lambda x: torch.nn.functional.adaptive_avg_pool2d(x, out),
                      lambda x: F.adaptive_avg_pool2d(x, out))


@pytest.mark.parametrize("fn, message", [
    (lambda: F.max_pool2d(mdl.zeros(1, 1, 4, 4), 2, padding=2), "half of kernel"),
    (lambda: F.max_pool2d(mdl.zeros(1, 1, 1, 4), 2), "too small"),
    (lambda: F.max_pool2d(mdl.zeros(4, 4), 2), "3-D"),
    (lambda: F.avg_pool2d(mdl.zeros(1, 1, 4, 4), 2, divisor_override=0), "divisor_override"),
    (lambda: F.adaptive_avg_pool2d(mdl.zeros(1, 1, 4, 4), 0), "positive"),
])
def test_pool_errors(fn, message):
    with pytest.raises(ValueError, match=message):
        fn()
