"""conv2d / max_pool2d give the same numbers whatever the layout of their input.

A convolution's output is stored batch-innermost (memory (C, H, W, N)) behind its (N, C, H, W)
shape; the ops copy windows as runs over (OW, N), keep that layout through max-pooling and
ReLU, and send gradients back in it (``ops/conv.py``, ``ops/pool.py``). Here the ops on an
input stored that way are compared with the same ops on a C-contiguous copy (which the
convolution first copies into the layout), values and gradients, and the layouts themselves
are checked, so that a change that silently leaves the layout shows up.
"""
import numpy as np
import pytest

import minidl as mdl
import minidl.nn.functional as F
from minidl.autograd import gradcheck


def batch_innermost(array, device, requires_grad=True):
    """A tensor of shape (N, C, H, W) stored as (C, H, W, N): a transposed view of a leaf."""
    t = mdl.tensor(np.ascontiguousarray(array.transpose(1, 2, 3, 0)), device=device,
                   requires_grad=requires_grad)
    return t, t.transpose(3, 0, 1, 2)


def is_batch_innermost(t):
    return t.data.strides[0] < t.data.strides[3]


GEOMETRIES = [  # (C, H, W, O, kernel, stride, padding, dilation)
    (3, 7, 6, 4, 3, 1, 0, 1),
    (4, 9, 8, 5, (3, 2), 2, 1, 1),     # H + 2p − k not a multiple of the stride
    (2, 8, 8, 3, 2, 3, (1, 2), 2),
    (5, 6, 6, 2, 1, 1, 0, 1),          # 1×1 kernel
]


@pytest.mark.parametrize("c, h, w, o, k, s, p, d", GEOMETRIES)
def test_conv2d_batch_innermost_equals_contiguous(c, h, w, o, k, s, p, d, device, rng):
    x_np = rng.standard_normal((2, c, h, w))
    kh, kw = (k, k) if isinstance(k, int) else k
    w_np = rng.standard_normal((o, c, kh, kw))
    b_np = rng.standard_normal(o)
    leaf_bi, x_bi = batch_innermost(x_np, device)
    x_c = mdl.tensor(x_np, device=device, requires_grad=True)
    assert is_batch_innermost(x_bi) and not is_batch_innermost(x_c)
    results, g_np = [], None
    for x, leaf in ((x_bi, leaf_bi), (x_c, x_c)):
        weight = mdl.tensor(w_np, device=device, requires_grad=True)
        bias = mdl.tensor(b_np, device=device, requires_grad=True)
        y = F.conv2d(x, weight, bias, stride=s, padding=p, dilation=d)
        if g_np is None:
            g_np = rng.standard_normal(y.shape)
        (y * mdl.tensor(g_np, device=device)).sum().backward()
        gx = leaf.grad.numpy()
        if leaf is leaf_bi:
            gx = gx.transpose(3, 0, 1, 2)
        results.append((y.numpy(), gx, weight.grad.numpy(), bias.grad.numpy()))
    for fast, readable in zip(*results):
        np.testing.assert_allclose(fast, readable, rtol=1e-12, atol=1e-12)


def test_conv_stack_keeps_batch_innermost_and_gradchecks(device, rng):
    """conv → relu → max-pool → conv: the intermediates stay batch-innermost, gradients are exact."""
    x = mdl.tensor(rng.standard_normal((2, 2, 9, 9)), device=device, requires_grad=True)
    w1 = mdl.tensor(rng.standard_normal((3, 2, 3, 3)), device=device, requires_grad=True)
    w2 = mdl.tensor(rng.standard_normal((4, 3, 2, 2)), device=device, requires_grad=True)
    b2 = mdl.tensor(rng.standard_normal(4), device=device, requires_grad=True)

    def net(x, w1, w2, b2):
        h = F.max_pool2d(F.relu(F.conv2d(x, w1)), 2)
        return F.conv2d(h, w2, b2, padding=1)

    h = F.conv2d(x, w1)
    assert is_batch_innermost(h)
    pooled = F.max_pool2d(F.relu(h), 2)
    assert is_batch_innermost(pooled)
    pooled.retain_grad()
    F.conv2d(pooled, w2, b2).sum().backward()
    assert is_batch_innermost(pooled.grad)
    assert gradcheck(net, (x, w1, w2, b2))


def first_max_gradient(x, k):
    """The max-pool gradient by its definition: each window's 1 goes to its first maximum."""
    n, c, h, w = x.shape
    g = np.zeros_like(x)
    for a in range(n):
        for b in range(c):
            for i in range(h // k):
                for j in range(w // k):
                    window = x[a, b, i * k:(i + 1) * k, j * k:(j + 1) * k]
                    r, s = divmod(int(np.argmax(window)), k)   # argmax: the first maximum
                    g[a, b, i * k + r, j * k + s] += 1.0
    return g


@pytest.mark.parametrize("h, w", [(8, 8), (9, 7)])
def test_max_pool_batch_innermost_ties_go_to_the_first_maximum(h, w, device, rng):
    x_np = rng.integers(0, 3, (2, 3, h, w)).astype(np.float64)  # many ties
    leaf_bi, x_bi = batch_innermost(x_np, device)
    x_c = mdl.tensor(x_np, device=device, requires_grad=True)
    for x, leaf in ((x_bi, leaf_bi), (x_c, x_c)):
        y = F.max_pool2d(x, 2)
        assert is_batch_innermost(y) == (x is x_bi)
        y.sum().backward()
        gx = leaf.grad.numpy()
        if leaf is leaf_bi:
            gx = gx.transpose(3, 0, 1, 2)
        np.testing.assert_array_equal(gx, first_max_gradient(x_np, 2))


def test_max_pool_overlapping_windows_still_add(device, rng):
    """kernel 3, stride 2: windows overlap, so the slow (adding) scatter must run."""
    x_np = rng.standard_normal((1, 2, 7, 7))
    leaf_bi, x_bi = batch_innermost(x_np, device)
    F.max_pool2d(x_bi, 3, stride=2).sum().backward()
    x_c = mdl.tensor(x_np, device=device, requires_grad=True)
    F.max_pool2d(x_c, 3, stride=2).sum().backward()
    np.testing.assert_array_equal(leaf_bi.grad.numpy().transpose(3, 0, 1, 2), x_c.grad.numpy())
    assert x_c.grad.numpy().max() >= 2.0      # some pixel is the maximum of two windows


@pytest.mark.parametrize("h, w, stride", [(8, 8, 2), (9, 7, 2), (7, 6, 1)])
def test_max_pool_2x2_tournament_equals_the_general_loop(h, w, stride, rng):
    """The 2×2 fast path's maxima and first-maximum offsets are the general loop's, ties and
    −∞ padding included, on both layouts."""
    from minidl.autograd.ops import pool
    x_np = rng.integers(0, 3, (3, 2, h, w)).astype(np.float32)
    for x in (x_np, np.ascontiguousarray(x_np.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)):
        padded = pool.pad2d(np, x, (1, 0, 0, 1), -np.inf)
        win = pool.sliding_windows(np, padded, (2, 2), (stride, stride), (1, 1))
        y_fast, choice_fast = pool._window_max_2x2(np, win)
        y_loop, choice_loop = pool._window_max_and_choice(np, win, (2, 2))
        np.testing.assert_array_equal(y_fast, y_loop)
        np.testing.assert_array_equal(choice_fast, choice_loop)
        assert len(np.unique(choice_loop)) == 4   # every offset is chosen somewhere


def test_linear_input_gradient_keeps_a_column_major_layout(device, rng):
    """Flatten of batch-innermost images is a column-major (N, F) view: the dense layer's
    input gradient comes back in that layout (so the pool below reads it in its own order),
    with the values of the row-major path."""
    x_np, w_np, b_np = (rng.standard_normal(s) for s in ((6, 5), (3, 5), (3,)))
    g_np = rng.standard_normal((6, 3))
    grads = []
    for column_major in (False, True):
        if column_major:  # the transposed view of a (F, N) leaf
            x = mdl.tensor(np.ascontiguousarray(x_np.T), device=device,
                           requires_grad=True).transpose(1, 0)
        else:
            x = mdl.tensor(x_np, device=device, requires_grad=True)
        x.retain_grad()
        assert (x.data.strides[0] < x.data.strides[1]) == column_major
        w = mdl.tensor(w_np, device=device, requires_grad=True)
        b = mdl.tensor(b_np, device=device, requires_grad=True)
        (F.linear(x, w, b) * mdl.tensor(g_np, device=device)).sum().backward()
        assert (x.grad.data.strides[0] < x.grad.data.strides[1]) == column_major
        grads.append((x.grad.numpy(), w.grad.numpy(), b.grad.numpy()))
    for column_major, row_major in zip(*grads):
        np.testing.assert_allclose(column_major, row_major, rtol=1e-12, atol=1e-12)


def test_dropout_mask_is_drawn_in_the_input_layout(device):
    """A batch-innermost input gets a mask laid out as it is: the product keeps the layout."""
    leaf, x = batch_innermost(np.ones((64, 3, 4, 5)), device, requires_grad=False)
    y = F.dropout(x, p=0.25)
    assert is_batch_innermost(y)
    kept = (y.numpy() != 0).mean()
    assert 0.70 < kept < 0.80
    np.testing.assert_array_equal(np.unique(y.numpy()), [0.0, 1 / 0.75])
