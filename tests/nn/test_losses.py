"""Losses: values and gradients against PyTorch, fused vs composite, stability, label errors."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from minidl.autograd import gradcheck
from minidl.autograd.ops import loss as fused
from minidl.nn import functional as F
from tests.nn.helpers import assert_close, randn

REDUCTIONS = ["mean", "sum", "none"]
LABELS = np.array([0, 4, 2, 1, 3, 2])
LABELS_IGNORED = np.array([0, 4, -100, 1, 3, -100])
CE_OPTIONS = [
    dict(),
    dict(weight=True),
    dict(ignore=True),
    dict(label_smoothing=0.2),
    dict(weight=True, ignore=True, label_smoothing=0.3),
]


def _options(opts, rng):
    kwargs = {}
    if opts.get("weight"):
        kwargs["weight"] = rng.random(5) + 0.2
    if "label_smoothing" in opts:
        kwargs["label_smoothing"] = opts["label_smoothing"]
    labels = LABELS_IGNORED if opts.get("ignore") else LABELS
    return kwargs, labels


def _torch_loss_and_grads(torch, fn, x, labels, reduction, g, kwargs):
    xt = torch.tensor(x, requires_grad=True)
    tk = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    loss = fn(xt, torch.tensor(labels), reduction=reduction, **tk)
    loss.backward(torch.tensor(g).reshape(loss.shape))
    return loss, xt.grad


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", CE_OPTIONS, ids=lambda o: "-".join(o) or "plain")
def test_cross_entropy_matches_torch(reduction, opts):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    kwargs, labels = _options(opts, rng)
    x = rng.standard_normal((6, 5)) * 2.0
    g = rng.standard_normal(6 if reduction == "none" else ())
    loss_t, grad_t = _torch_loss_and_grads(torch, torch.nn.functional.cross_entropy, x, labels,
                                           reduction, g, kwargs)
    xm = mdl.tensor(x, requires_grad=True)
    loss = nn.CrossEntropyLoss(reduction=reduction, **kwargs)(xm, labels)
    loss.backward(mdl.tensor(g))
    assert_close(loss, loss_t, rtol=1e-12, atol=1e-13)
    assert_close(xm.grad, grad_t, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", CE_OPTIONS, ids=lambda o: "-".join(o) or "plain")
def test_fused_cross_entropy_equals_composite_and_gradchecks(reduction, opts, device):
    rng = np.random.default_rng(1)
    kwargs, labels = _options(opts, rng)
    x = randn(rng, 6, 5, device=device, requires_grad=True)
    weight = kwargs.get("weight")
    like = x.detach()
    w = None if weight is None else mdl.tensor(weight, device=device)
    safe, sample_w, valid, denominator = F._sample_weights(
        like._backend.from_numpy(labels), 5, None if w is None else w.data, -100, like, "test")
    args = dict(labels=safe, class_weight=None if w is None else w.data, valid=valid,
                label_smoothing=kwargs.get("label_smoothing", 0.0), reduction=reduction,
                denominator=denominator)

    def composite(x):
        def const(a):
            return None if a is None else mdl.Tensor._make(a, x._backend, False, None)
        return fused.softmax_cross_entropy_composite(
            x, safe, const(sample_w), const(args["class_weight"]), const(valid),
            args["label_smoothing"], reduction, const(x.xp.asarray(denominator)))

    def fused_loss(x):
        return F.cross_entropy(x, mdl.tensor(labels, device=device), w, reduction=reduction,
                               label_smoothing=args["label_smoothing"])

    y1, y2 = fused_loss(x), composite(x)
    assert type(y1.grad_fn).__name__ in ("SoftmaxCrossEntropy", "Reshape")
    assert_close(y1, y2.numpy(), rtol=1e-12, atol=1e-13)
    g = randn(rng, *y1.shape, device=device)
    (g1,) = mdl.autograd.grad(y1, x, g)
    (g2,) = mdl.autograd.grad(y2, x, g)
    assert_close(g1, g2.numpy(), rtol=1e-11, atol=1e-13)
    assert gradcheck(fused_loss, (x,))

    def first_derivative(x):  # the recorded (create_graph) backward is exact too
        with mdl.enable_grad():
            return mdl.autograd.grad((fused_loss(x) * 1.0).sum(), x, create_graph=True)[0]

    assert gradcheck(first_derivative, (x,))


def test_cross_entropy_one_sample_and_label_containers(device):
    x = mdl.tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]], device=device)
    expected = F.cross_entropy(x, [1, 2]).item()
    for labels in ([1, 2], np.array([1, 2]), mdl.tensor([1, 2], device=device),
                   mdl.tensor(np.array([1, 2], dtype=np.int32), device=device)):
        assert F.cross_entropy(x, labels).item() == pytest.approx(expected)
    single = F.cross_entropy(x[0], 1, reduction="none")
    assert single.shape == () and single.item() == pytest.approx(
        F.cross_entropy(x, [1, 2], reduction="none")[0].item())


def test_cross_entropy_bad_labels(device):
    x = mdl.zeros(3, 4, device=device)
    with pytest.raises(IndexError, match=r"target 7 is out of bounds at position 1: class labels "
                                         r"must be in \[0, 4\)"):
        F.cross_entropy(x, [0, 7, 1])
    with pytest.raises(IndexError, match="target -1 is out of bounds"):
        nn.CrossEntropyLoss()(x, [0, -1, 1])
    with pytest.raises(IndexError, match="target 4 is out of bounds"):
        F.nll_loss(x, [4, 0, 0])
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(x, [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\)"):
        F.cross_entropy(x, [0, 1])
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="avg")
    if device != "cpu":
        with pytest.raises(RuntimeError, match="target is on device 'cpu'"):
            F.cross_entropy(x, mdl.tensor([0, 1, 2]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_losses_stable_for_extreme_logits(dtype, device):
    logits = mdl.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4]], dtype=dtype,
                        device=device, requires_grad=True)
    labels = [1, 0, 2]
    losses = [
        F.cross_entropy(logits, labels),
        F.cross_entropy(logits, labels, label_smoothing=0.1, weight=mdl.tensor(
            [1.0, 2.0, 3.0], dtype=dtype, device=device)),
        F.nll_loss(F.log_softmax(logits, axis=1), labels),
        F.binary_cross_entropy_with_logits(logits, mdl.tensor(
            [[0.0, 1.0, 0.5]] * 3, dtype=dtype, device=device)),
        F.binary_cross_entropy_with_logits(logits, mdl.ones(3, 3, dtype=dtype, device=device),
                                           pos_weight=mdl.tensor([3.0, 1.0, 0.5], dtype=dtype,
                                                                 device=device)),
    ]
    for loss in losses:
        (g,) = mdl.autograd.grad(loss, logits)
        assert loss.dtype == np.dtype(dtype)
        assert np.isfinite(loss.item()) and np.isfinite(g.numpy()).all()
    # the CE is exactly the margin: 2e4 for the first row
    per_row = F.cross_entropy(logits, labels, reduction="none").numpy()
    np.testing.assert_allclose(per_row[:2], [2e4, 2e4 + np.log(2)], rtol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [dict(), dict(weight=True), dict(ignore=True),
                                  dict(weight=True, ignore=True)],
                         ids=lambda o: "-".join(o) or "plain")
def test_nll_loss_matches_torch(reduction, opts):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    kwargs, labels = _options(opts, rng)
    x = rng.standard_normal((6, 5))
    g = rng.standard_normal(6 if reduction == "none" else ())
    loss_t, grad_t = _torch_loss_and_grads(torch, torch.nn.functional.nll_loss, x, labels,
                                           reduction, g, kwargs)
    xm = mdl.tensor(x, requires_grad=True)
    loss = nn.NLLLoss(reduction=reduction, **kwargs)(xm, labels)
    loss.backward(mdl.tensor(g))
    assert_close(loss, loss_t, rtol=1e-12, atol=1e-13)
    assert_close(xm.grad, grad_t, rtol=1e-12, atol=1e-13)


def test_nll_gradcheck(device):
    rng = np.random.default_rng(3)
    x = randn(rng, 4, 3, device=device, requires_grad=True)
    w = mdl.tensor([0.5, 1.0, 2.0], device=device)
    assert gradcheck(lambda x: F.nll_loss(x, [2, 0, 1, -100], weight=w), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    xm, xt = mdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lm = nn.MSELoss(reduction=reduction)(xm, y)
    lt = torch.nn.MSELoss(reduction=reduction)(xt, torch.tensor(y))
    assert_close(lm, lt)
    lm.sum().backward()
    lt.sum().backward()
    assert_close(xm.grad, xt.grad)


def test_mse_gradcheck_and_broadcast_warning(device):
    rng = np.random.default_rng(5)
    x = randn(rng, 4, 1, device=device, requires_grad=True)
    t = randn(rng, 4, 1, device=device, requires_grad=True)
    assert gradcheck(F.mse_loss, (x, t))
    with pytest.warns(UserWarning, match=r"target shape \(4,\) differs from input shape \(4, 1\)"):
        F.mse_loss(x, mdl.zeros(4, device=device, dtype="float64"))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", ["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits_matches_torch(reduction, opts):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 3)) * 4.0
    x[0] = [50.0, -50.0, 0.0]
    y = rng.random((5, 3))
    y[1] = [0.0, 1.0, 1.0]
    kwargs = {}
    if opts in ("weight", "both"):
        kwargs["weight"] = rng.random(3) + 0.5
    if opts in ("pos_weight", "both"):
        kwargs["pos_weight"] = rng.random(3) * 3.0
    xm, xt = mdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lm = nn.BCEWithLogitsLoss(reduction=reduction, **kwargs)(xm, y)
    lt = torch.nn.BCEWithLogitsLoss(reduction=reduction,
                                    **{k: torch.tensor(v) for k, v in kwargs.items()})(
        xt, torch.tensor(y))
    assert_close(lm, lt, rtol=1e-12, atol=1e-13)
    lm.sum().backward()
    lt.sum().backward()
    assert_close(xm.grad, xt.grad, rtol=1e-12, atol=1e-13)


def test_bce_gradcheck_and_shape_error(device):
    rng = np.random.default_rng(7)
    x = randn(rng, 3, 2, device=device, requires_grad=True)
    y = mdl.tensor(rng.random((3, 2)), device=device)
    pw = mdl.tensor([2.0, 0.5], device=device, dtype="float64")
    assert gradcheck(lambda x: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw), (x,))
    with pytest.raises(ValueError, match=r"Target size \(\(3,\)\) must be the same as input size"):
        F.binary_cross_entropy_with_logits(x[:, 0].reshape(3, 1), mdl.zeros(3, device=device))


def test_loss_modules_keep_weights_as_buffers(device):
    loss = nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0]).to(device)
    assert list(loss.state_dict()) == ["weight"] and list(loss.parameters()) == []
    assert repr(loss) == "CrossEntropyLoss(reduction='mean')"
    x = mdl.randn(4, 3, device=device)
    assert loss(x, [0, 1, 2, 1]).device == device
    bce = nn.BCEWithLogitsLoss(pos_weight=[2.0])
    assert list(bce.state_dict()) == ["pos_weight"]
