"""conv2d, conv1d, conv_transpose2d: gradient checks (cpu and strict), PyTorch comparisons of
values, gradients and second derivatives, and the column-budget chunking."""
import numpy as np
import pytest

import minidl as mdl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from minidl.autograd.ops import conv as conv_ops
from tests.autograd.helpers import compare_torch, leaf, values
from tests.autograd.ops.conv_helpers import second_order_torch

# (x shape, weight shape, arguments): strides, paddings, dilations, groups, 1×1, 'same',
# and sizes where H + 2p − d(k − 1) − 1 is not a multiple of the stride (rows no window reads)
CONV2D = [
    ((2, 3, 5, 5), (4, 3, 3, 3), dict()),
    ((2, 3, 6, 7), (4, 3, 3, 2), dict(stride=2, padding=1)),                 # 5 % 2, 6 % 2 ...
    ((1, 4, 7, 6), (6, 2, 3, 2), dict(stride=(2, 3), padding=(1, 2), dilation=(1, 2), groups=2)),
    ((2, 2, 6, 5), (3, 2, 4, 3), dict(padding="same", dilation=(2, 1))),    # asymmetric 'same'
    ((1, 4, 8, 7), (4, 1, 3, 3), dict(stride=3, padding=2, groups=4)),       # depthwise
    ((2, 3, 4, 5), (5, 3, 1, 1), dict()),                                    # 1×1
    ((4, 6, 5), (4, 2, 2, 2), dict(stride=2, groups=2)),                     # unbatched
]


def _conv(kwargs):
    return lambda x, w, b: F.conv2d(x, w, b, **kwargs)


@pytest.mark.parametrize("xs, ws, kwargs", CONV2D)
def test_conv2d_gradcheck(xs, ws, kwargs, device):
    x, w, b = (leaf(values(s, i), device) for i, s in enumerate((xs, ws, (ws[0],))))
    assert gradcheck(_conv(kwargs), (x, w, b))


@pytest.mark.parametrize("xs, ws, kwargs", CONV2D)
def test_conv2d_matches_torch(xs, ws, kwargs):
    torch = pytest.importorskip("torch")
    compare_torch([xs, ws, (ws[0],)],
                  lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kwargs), _conv(kwargs))


@pytest.mark.parametrize("xs, ws, kwargs", CONV2D[1:5])
def test_conv2d_second_order_matches_torch(xs, ws, kwargs):
    torch = pytest.importorskip("torch")
    arrays = [values(s, i) for i, s in enumerate((xs, ws, (ws[0],)))]
    second_order_torch(_conv(kwargs),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kwargs), arrays)


def test_conv2d_second_order_gradcheck(device):
    """The gradient of conv2d (a transposed conv and a weight-gradient node) checks again."""
    x, w = leaf(values((1, 2, 5, 4), 0), device), leaf(values((2, 2, 2, 3), 1), device)
    gy = leaf(values((1, 2, 2, 4), 2), device)

    def grads(x, w, gy):
        gx, gw = mdl.autograd.grad(F.conv2d(x, w, stride=(2, 1), padding=(0, 1), dilation=(2, 1)),
                                   (x, w), gy, create_graph=True)
        return mdl.concatenate([gx.reshape(-1), gw.reshape(-1)])
    assert gradcheck(grads, (x, w, gy))


CONV1D = [
    ((2, 3, 9), (4, 3, 3), dict(stride=2, padding=1, dilation=2)),
    ((2, 4, 8), (2, 2, 2), dict(groups=2, padding="same")),
    ((3, 7), (2, 3, 4), dict(stride=3)),
]


@pytest.mark.parametrize("xs, ws, kwargs", CONV1D)
def test_conv1d_gradcheck_and_torch(xs, ws, kwargs, device):
    x, w, b = (leaf(values(s, i), device) for i, s in enumerate((xs, ws, (ws[0],))))
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, **kwargs), (x, w, b))
    if device == "cpu":
        torch = pytest.importorskip("torch")
        compare_torch([xs, ws, (ws[0],)],
                      lambda x, w, b: torch.nn.functional.conv1d(x, w, b, **kwargs),
                      lambda x, w, b: F.conv1d(x, w, b, **kwargs))


CONV_T = [
    ((2, 4, 3, 3), (4, 3, 3, 3), dict()),
    ((1, 4, 3, 4), (4, 2, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ((2, 2, 4, 3), (2, 3, 2, 3), dict(stride=(1, 2), dilation=(2, 1), output_padding=(1, 0))),
    ((3, 3, 3), (3, 2, 2, 2), dict(stride=2)),                                # unbatched
]


def _conv_t(kwargs):
    return lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs)


@pytest.mark.parametrize("xs, ws, kwargs", CONV_T)
def test_conv_transpose2d_gradcheck(xs, ws, kwargs, device):
    groups = kwargs.get("groups", 1)
    x, w, b = (leaf(values(s, i), device)
               for i, s in enumerate((xs, ws, (ws[1] * groups,))))
    assert gradcheck(_conv_t(kwargs), (x, w, b))


@pytest.mark.parametrize("xs, ws, kwargs", CONV_T)
def test_conv_transpose2d_matches_torch(xs, ws, kwargs):
    torch = pytest.importorskip("torch")
    bs = (ws[1] * kwargs.get("groups", 1),)
    compare_torch([xs, ws, bs],
                  lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **kwargs),
                  _conv_t(kwargs))
    arrays = [values(s, i) for i, s in enumerate((xs, ws, bs))]
    second_order_torch(_conv_t(kwargs),
                       lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **kwargs),
                       arrays)


def test_conv2d_is_adjoint_of_conv_transpose2d():
    """⟨conv2d(x, W), g⟩ = ⟨x, conv_transpose2d(g, W)⟩ (the transposed conv is conv's adjoint)."""
    x, w = mdl.tensor(values((2, 3, 7, 6), 0)), mdl.tensor(values((4, 3, 3, 2), 1))
    y = F.conv2d(x, w, stride=2, padding=1)
    g = mdl.tensor(values(y.shape, 2))
    back = F.conv_transpose2d(g, w, stride=2, padding=1)
    assert back.shape == x.shape
    np.testing.assert_allclose((y * g).sum().item(), (x * back).sum().item(), rtol=1e-12)


def test_chunked_forward_equals_one_gemm(monkeypatch):
    """The output rows run in chunks of at most CACHE_BUDGET bytes of columns (one row at least)."""
    x, w, b = (mdl.tensor(values(s, i)) for i, s in enumerate(((5, 3, 6, 6), (4, 3, 3, 3), (4,))))
    whole = F.conv2d(x, w, b, padding=1)
    per_row = (27 + 1) * 6 * 5 * 8  # (K + 1 with the bias's ones row) · OW · N · 8 bytes
    monkeypatch.setattr(conv_ops, "CACHE_BUDGET", 4 * per_row)  # rows 0–3, then 4–5
    assert [(s.start, s.stop) for s in conv_ops.row_chunks(6, per_row, conv_ops.CACHE_BUDGET)
            ] == [(0, 4), (4, 6)]
    np.testing.assert_array_equal(F.conv2d(x, w, b, padding=1).numpy(), whole.numpy())
    xg = mdl.tensor(x.numpy(), requires_grad=True)
    y = F.conv2d(xg, w, b, padding=1)  # only x needs a gradient: chunked too, columns not kept
    assert y.grad_fn.columns is None
    gy = mdl.tensor(values(y.shape, 4))
    (gx,) = mdl.autograd.grad(y, (xg,), gy)  # the transposed conv runs in chunks as well
    wg = mdl.tensor(w.numpy(), requires_grad=True)
    y = F.conv2d(x, wg, b, padding=1)  # W's gradient wanted: the columns, too big, not kept
    assert y.grad_fn.columns is None
    (gw,) = mdl.autograd.grad(y, (wg,), gy)  # rebuilt chunk by chunk, summed over the chunks
    monkeypatch.setattr(conv_ops, "CACHE_BUDGET", 2**30)
    (gx_whole,) = mdl.autograd.grad(F.conv2d(xg, w, b, padding=1), (xg,), gy)
    np.testing.assert_allclose(gx.numpy(), gx_whole.numpy(), rtol=1e-13, atol=1e-13)
    y = F.conv2d(x, wg, b, padding=1)
    assert y.grad_fn.columns is not None  # kept whole now
    (gw_whole,) = mdl.autograd.grad(y, (wg,), gy)
    np.testing.assert_allclose(gw.numpy(), gw_whole.numpy(), rtol=1e-13, atol=1e-13)


def test_columns_kept_only_for_the_weight_gradient():
    x = mdl.tensor(values((2, 3, 5, 5), 0))
    w = mdl.tensor(values((4, 3, 3, 3), 1), requires_grad=True)
    y = F.conv2d(x, w)
    assert y.grad_fn.columns.shape == (1, 27, 3 * 3 * 2)  # (G, K, OH·OW·N)
    y.sum().backward()
    assert y.grad_fn.columns is None  # freed with the graph


def test_empty_batch():
    y = F.conv2d(mdl.zeros(0, 3, 5, 5), mdl.ones(2, 3, 3, 3))
    assert y.shape == (0, 2, 3, 3)


@pytest.mark.parametrize("xs, ws, kwargs", [CONV2D[0], CONV2D[1], CONV2D[2], CONV2D[4]])
@pytest.mark.parametrize("budget", [None, 64])  # columns kept whole / rebuilt in chunks
def test_bias_folded_into_the_products_equals_the_formula(xs, ws, kwargs, budget, device,
                                                          monkeypatch):
    """y = [cols 1] @ [Wᵀ; b], and without a graph gW, gb from one product [cols 1]ᵀ @ g:
    against conv2d(x, W) + b and the recorded backward (Conv2dWeight, Σ gy)."""
    if budget is not None:
        monkeypatch.setattr(conv_ops, "CACHE_BUDGET", budget)
    x, w = leaf(values(xs, 0), device), leaf(values(ws, 1), device)
    b = leaf(values(ws[:1], 2), device)
    y = F.conv2d(x, w, b, **kwargs)
    assert y.grad_fn.fold and (y.grad_fn.columns is None) == (budget is not None)
    reference = F.conv2d(x, w, **kwargs) + b.reshape((-1, 1, 1))
    np.testing.assert_allclose(y.detach().numpy(), reference.detach().numpy(), rtol=1e-13,
                               atol=1e-13)
    gy = mdl.tensor(values(y.shape, 3), device=device)
    fast = mdl.autograd.grad(y, [x, w, b], gy, retain_graph=True)          # arrays, one GEMM
    formula = mdl.autograd.grad(y, [x, w, b], gy, create_graph=True)     # recorded
    for got, want in zip(fast, formula):
        np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-13, atol=1e-13)


def test_folded_gradients_go_straight_into_the_optimizer_buffers(rng):
    """Once Adam has its flat gradient, the fast backward writes gW and gb into it."""
    from minidl.autograd.grad_buffer import buffer_of
    conv = mdl.nn.Conv2d(3, 4, 3)
    opt = mdl.optim.Adam(conv.parameters())
    x = mdl.tensor(rng.standard_normal((2, 3, 6, 6)).astype("float32"))
    for step in range(3):
        opt.zero_grad()
        y = conv(x)
        y.sum().backward()
        if step:
            for p in conv.parameters():
                assert buffer_of(p) is not None and p.grad.data is buffer_of(p)
        want = mdl.autograd.grad(conv(x).sum(), list(conv.parameters()), create_graph=True)
        for p, g in zip(conv.parameters(), want):
            np.testing.assert_allclose(p.grad.numpy(), g.detach().numpy(), rtol=1e-5)
        opt.step()
