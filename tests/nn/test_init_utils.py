"""nn.init (bounds, variances, gains vs PyTorch) and nn.utils gradient clipping vs PyTorch."""
import math

import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from minidl.nn import init
from tests.nn.helpers import assert_close


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
    ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None), ("conv2d", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


# (function, kwargs, expected distribution ('uniform', bound) or ('normal', std)) for (300, 200)
FAN_IN, FAN_OUT = 200, 300
CASES = [
    (init.xavier_uniform_, {}, ("uniform", math.sqrt(6 / (FAN_IN + FAN_OUT)))),
    (init.xavier_uniform_, {"gain": 2.0}, ("uniform", 2 * math.sqrt(6 / (FAN_IN + FAN_OUT)))),
    (init.xavier_normal_, {}, ("normal", math.sqrt(2 / (FAN_IN + FAN_OUT)))),
    (init.kaiming_uniform_, {}, ("uniform", math.sqrt(2) * math.sqrt(3 / FAN_IN))),  # a=0: gain √2
    (init.kaiming_uniform_, {"a": math.sqrt(5)}, ("uniform", 1 / math.sqrt(FAN_IN))),
    (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"},
     ("uniform", math.sqrt(2) * math.sqrt(3 / FAN_OUT))),
    (init.kaiming_normal_, {"nonlinearity": "relu"}, ("normal", math.sqrt(2 / FAN_IN))),
    (init.kaiming_normal_, {"mode": "fan_out"}, ("normal", math.sqrt(2 / FAN_OUT))),
    (init.uniform_, {"a": -2.0, "b": 3.0}, ("uniform", None)),
    (init.normal_, {"mean": 1.0, "std": 0.5}, ("normal", 0.5)),
]


@pytest.mark.parametrize("fn, kwargs, expected", CASES,
                         ids=[f"{c[0].__name__}{c[1]}" for c in CASES])
def test_init_distributions(fn, kwargs, expected, device):
    w = nn.Parameter(mdl.zeros(FAN_OUT, FAN_IN, device=device))
    version = w._version
    assert fn(w, **kwargs) is w
    assert w._version > version and w.dtype == np.float32 and w.device == device
    values = w.numpy().astype(np.float64)
    kind, scale = expected
    if fn is init.uniform_:
        assert values.min() >= -2.0 and values.max() < 3.0
        assert abs(values.mean() - 0.5) < 0.02
    elif kind == "uniform":
        assert np.abs(values).max() <= scale * (1 + 1e-6)
        assert abs(values.std() / (scale / math.sqrt(3)) - 1) < 0.02  # 60000 samples
    else:
        assert abs(values.std() / scale - 1) < 0.02
        assert abs(values.mean() - kwargs.get("mean", 0.0)) < 0.02 * scale + 1e-12


def test_constant_zeros_ones_and_seeding(device):
    w = mdl.zeros(3, 2, device=device)
    assert init.constant_(w, 0.5).numpy().tolist() == [[0.5] * 2] * 3
    assert init.ones_(w).numpy().sum() == 6 and init.zeros_(w).numpy().sum() == 0
    mdl.manual_seed(3)
    a = init.normal_(mdl.zeros(5, device=device)).numpy()
    mdl.manual_seed(3)
    np.testing.assert_array_equal(init.normal_(mdl.zeros(5, device=device)).numpy(), a)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(mdl.zeros(5))
    with pytest.raises(ValueError, match="mode 'fan_avg'"):
        init.kaiming_normal_(mdl.zeros(2, 2), mode="fan_avg")


def test_init_works_on_float64_and_in_grad_mode():
    w = nn.Parameter(mdl.zeros(4, 4, dtype="float64"))
    init.kaiming_normal_(w)  # in place on .data: no autograd complaint
    assert w.dtype == np.float64 and w.numpy().std() > 0


def _params_with_grads(rng, device, scale):
    params = [nn.Parameter(mdl.zeros(*s, dtype="float64", device=device))
              for s in [(3, 4), (4,), (2, 2)]]
    for p in params:
        p.grad = mdl.tensor(rng.standard_normal(p.shape) * scale, device=device)
    return params


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0),
                                                 (0.7, float("inf")), (2.0, 3)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours = _params_with_grads(rng, "cpu", 2.0)
    theirs = [torch.zeros(p.shape, dtype=torch.float64, requires_grad=True) for p in ours]
    for p, q in zip(ours, theirs):
        q.grad = torch.tensor(p.grad.numpy().copy())
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, mdl.Tensor) and total.shape == ()
    assert_close(total, total_t, rtol=1e-13)
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad, rtol=1e-13, atol=1e-15)


def test_clip_grad_norm_on_device(device):
    ours = _params_with_grads(np.random.default_rng(1), device, 10.0)
    ours.append(nn.Parameter(mdl.zeros(2, device=device)))  # no grad: skipped
    total = nn.utils.clip_grad_norm_(iter(ours), 1.0)
    assert total.device == device and total.item() > 1.0
    norm = math.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in ours[:3]))
    assert norm == pytest.approx(1.0, rel=1e-5)
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    p = ours[0]
    p.grad = mdl.tensor(np.full(p.shape, np.inf), device=device)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value(device):
    p = nn.Parameter(mdl.zeros(4, device=device))
    p.grad = mdl.tensor([-3.0, -0.5, 0.5, 3.0], device=device)
    grad = p.grad
    nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad is grad and p.grad.numpy().tolist() == [-1.0, -0.5, 0.5, 1.0]
