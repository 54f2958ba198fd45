"""Linear, activations and Flatten: forward/backward against PyTorch, gradient checks."""
import math

import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from minidl.autograd import gradcheck
from minidl.autograd.ops import activation as elementwise
from tests.nn.helpers import assert_close, copy_weights, randn, torch_of

# (minidl module, torch module factory); inputs include the kinks 0 and 6 and large values
ACTIVATIONS = [
    (lambda: nn.ReLU(), lambda t: t.nn.ReLU()),
    (lambda: nn.ReLU6(), lambda t: t.nn.ReLU6()),
    (lambda: nn.LeakyReLU(), lambda t: t.nn.LeakyReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2)),
    (lambda: nn.ELU(), lambda t: t.nn.ELU()),
    (lambda: nn.ELU(0.5), lambda t: t.nn.ELU(0.5)),
    (lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda t: t.nn.Tanh()),
    (lambda: nn.Softplus(), lambda t: t.nn.Softplus()),
    (lambda: nn.Softplus(beta=2.0, threshold=5.0), lambda t: t.nn.Softplus(2.0, 5.0)),
    (lambda: nn.Softsign(), lambda t: t.nn.Softsign()),
    (lambda: nn.GELU(), lambda t: t.nn.GELU()),
    (lambda: nn.GELU("tanh"), lambda t: t.nn.GELU("tanh")),
    (lambda: nn.Identity(), lambda t: t.nn.Identity()),
    (lambda: nn.Softmax(), lambda t: t.nn.Softmax(dim=-1)),
    (lambda: nn.Softmax(axis=0), lambda t: t.nn.Softmax(dim=0)),
    (lambda: nn.LogSoftmax(), lambda t: t.nn.LogSoftmax(dim=-1)),
    (lambda: nn.PReLU(), lambda t: t.nn.PReLU()),
    (lambda: nn.PReLU(4, init=0.1), lambda t: t.nn.PReLU(4, init=0.1)),
]
IDS = [repr(make()) for make, _ in ACTIVATIONS]


def _activation_input():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 4)) * 3.0
    x[0] = [0.0, 6.0, -30.0, 30.0]  # kinks and saturation
    x[1] = [4.0, -4.0, 11.0, -11.0]  # softplus thresholds (β=2: 2x > 5 at 4)
    return x


@pytest.mark.parametrize("pair", ACTIVATIONS, ids=IDS)
def test_activation_matches_torch(pair):
    torch = pytest.importorskip("torch")
    make, make_torch = pair
    ours, theirs = make().double(), make_torch(torch).double()
    if list(ours.parameters()):
        copy_weights(ours, theirs)
    x = _activation_input()
    g = np.random.default_rng(8).standard_normal(x.shape)
    xm, xt = mdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ym, yt = ours(xm), theirs(xt)
    assert_close(ym, yt, rtol=1e-12, atol=1e-14)
    ym.backward(mdl.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xm.grad, xt.grad, rtol=1e-12, atol=1e-14)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, q.grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("pair", ACTIVATIONS, ids=IDS)
def test_activation_gradcheck(pair, device):
    make = pair[0]
    module = make().to(device)
    rng = np.random.default_rng(1)
    x = randn(rng, 3, 4, device=device, requires_grad=True)  # away from kinks almost surely
    params = [p for p in module.parameters()]
    if params:
        p = params[0]
        assert gradcheck(lambda x, w: nn.functional.prelu(x, w), (x, p.double()))
    else:
        assert gradcheck(module, (x,))
    y = module.double()(x)
    assert y.dtype == np.float64 and y.device == device


@pytest.mark.parametrize("fn", [
    lambda x: nn.functional.leaky_relu(x, 0.1),
    lambda x: nn.functional.elu(x),
    lambda x: nn.functional.softplus(x, beta=1.5),
    lambda x: nn.functional.gelu(x),
    lambda x: nn.functional.gelu(x, approximate="tanh"),
    lambda x: nn.functional.relu6(x * 4.0),
])
def test_activation_second_derivative(fn, device):
    """The fused activation nodes' backward is itself differentiable (create_graph)."""
    x = randn(np.random.default_rng(2), 6, device=device, requires_grad=True)

    def first_derivative(x):
        with mdl.enable_grad():  # gradcheck's finite differences run under no_grad
            return mdl.autograd.grad(fn(x).sum(), x, create_graph=True)[0]

    assert gradcheck(first_derivative, (x,))


def test_float32_stays_float32(device):
    x = mdl.randn(3, 4, device=device)
    for make, _ in ACTIVATIONS:
        module = make().to(device)
        assert module(x).dtype == np.float32, repr(module)


def test_activations_stable_at_extremes(device):
    x = mdl.tensor([[-1e4, -100.0, 100.0, 1e4]], requires_grad=True, device=device)
    for make, _ in ACTIVATIONS:
        module = make().to(device)
        y = module(x)
        y.sum().backward()
        assert np.isfinite(y.numpy()).all(), repr(module)
        assert np.isfinite(x.grad.numpy()).all(), repr(module)
        x.grad = None


def test_erfc_accuracy():
    x = np.linspace(-26.0, 26.0, 10001)  # erfc(26) ≈ 6e-296, still a normal float64
    reference = np.array([math.erfc(v) for v in x])
    rel = np.abs(elementwise.erfc(np, x) - reference) / reference
    assert rel.max() < 2e-15
    x32 = x.astype(np.float32)[np.abs(x) < 8]
    err = np.abs(elementwise.erfc(np, x32) - np.array([math.erfc(v) for v in x32.astype(float)]))
    assert elementwise.erfc(np, x32).dtype == np.float32 and err.max() < 5e-7


def test_activation_reprs_and_validation():
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(axis=1)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.PReLU()) == "PReLU(num_parameters=1)"
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="4 slopes do not match"):
        nn.PReLU(4)(mdl.zeros(2, 3))


# -- Linear -------------------------------------------------------------------------------------
def test_linear_matches_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(5, 3).double()
    ours = nn.Linear(5, 3, dtype="float64")
    copy_weights(ours, theirs)
    x = randn(np.random.default_rng(3), 4, 5, requires_grad=True)
    xt = torch_of(x)
    y, yt = ours(x), theirs(xt)
    assert_close(y, yt)
    g = np.random.default_rng(4).standard_normal((4, 3))
    y.backward(mdl.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)
    assert_close(ours.weight.grad, theirs.weight.grad)
    assert_close(ours.bias.grad, theirs.bias.grad)


def test_linear_is_one_fused_node_and_gradchecks(device):
    rng = np.random.default_rng(5)
    lin = nn.Linear(3, 2, device=device, dtype="float64")
    x = randn(rng, 4, 3, device=device, requires_grad=True)
    y = lin(x)
    assert type(y.grad_fn).__name__ == "Linear"
    assert gradcheck(lambda x, w, b: nn.functional.linear(x, w, b), (x, lin.weight, lin.bias))
    x3 = randn(rng, 2, 4, 3, device=device, requires_grad=True)
    assert lin(x3).shape == (2, 4, 2)
    no_bias = nn.Linear(3, 2, bias=False, device=device)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]


def test_linear_default_init(device):
    mdl.manual_seed(0)
    lin = nn.Linear(400, 300, device=device)
    assert lin.weight.dtype == np.float32 and lin.weight.device == device
    w, b = lin.weight.numpy(), lin.bias.numpy()
    bound = 1 / math.sqrt(400)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(−k, k): mean 0, variance k²/3 (120000 samples: tight)
    assert abs(w.mean()) < 0.01 * bound and abs(w.var() / (bound ** 2 / 3) - 1) < 0.02
    mdl.manual_seed(0)
    again = nn.Linear(400, 300, device=device)
    np.testing.assert_array_equal(again.weight.numpy(), w)  # seeded
    assert nn.Dense is nn.Linear
    assert repr(lin) == "Linear(in_features=400, out_features=300, bias=True)"
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 2)


def test_linear_shape_error_names_shapes():
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(2, 3\)"):
        nn.Linear(3, 2)(mdl.zeros(4, 5))


# -- Flatten ------------------------------------------------------------------------------------
def test_flatten(device):
    x = mdl.zeros(2, 3, 4, 5, device=device)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Flatten(-2)(x).shape == (2, 3, 20)
    assert nn.Flatten()(mdl.zeros(0, 3, 4, device=device)).shape == (0, 12)
    with pytest.raises(ValueError, match="comes after"):
        nn.Flatten(2, 1)(x)
    x = randn(np.random.default_rng(0), 2, 3, 2, device=device, requires_grad=True)
    assert gradcheck(nn.Flatten(), (x,))
