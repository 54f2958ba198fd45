"""Higher-order gradients: backward formulas are Tensor ops, so they differentiate again."""
import numpy as np
import pytest

import minidl as mdl
from minidl.autograd import grad, gradcheck
from minidl.autograd.ops import linear
from tests.autograd.helpers import leaf, positive, values


def second_derivative(fn, x):
    """d²/dx² of an elementwise fn, element by element (as the diagonal of the Hessian)."""
    (g,) = grad(fn(x).sum(), x, create_graph=True)
    assert g.requires_grad
    (gg,) = grad(g.sum(), x)
    return g.numpy(), gg.numpy()


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


ANALYTIC = {  # f, f', f''
    "tanh": (mdl.tanh, lambda x: 1 - np.tanh(x) ** 2,
             lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "cube": (lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x),
    "sigmoid": (mdl.sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x)),
                lambda x: sigmoid(x) * (1 - sigmoid(x)) * (1 - 2 * sigmoid(x))),
    "exp": (mdl.exp, np.exp, np.exp),
    "log": (mdl.log, lambda x: 1 / x, lambda x: -1 / x ** 2),
    "sqrt": (mdl.sqrt, lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 * x ** -1.5),
    "reciprocal": (lambda x: 1.0 / x, lambda x: -1 / x ** 2, lambda x: 2 / x ** 3),
    "rpow": (lambda x: 2.0 ** x, lambda x: np.log(2) * 2 ** x, lambda x: np.log(2) ** 2 * 2 ** x),
}


@pytest.mark.parametrize("name", list(ANALYTIC))
def test_second_derivative_matches_formula(name, device):
    fn, d1, d2 = ANALYTIC[name]
    x = leaf(positive((2, 3), 1) if name in ("log", "sqrt", "reciprocal") else values((2, 3), 1),
             device)
    g, gg = second_derivative(fn, x)
    np.testing.assert_allclose(g, d1(x.numpy()), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gg, d2(x.numpy()), rtol=1e-10, atol=1e-14)


def test_third_derivative_of_cube(device):
    x = leaf([0.5, -2.0], device)
    (g,) = grad((x ** 3).sum(), x, create_graph=True)
    (gg,) = grad(g.sum(), x, create_graph=True)
    (ggg,) = grad(gg.sum(), x)
    np.testing.assert_allclose(ggg.numpy(), [6.0, 6.0])


# Double-backward checks: the gradient function itself passes gradcheck.
GRADGRAD = {
    "mul": lambda x: x * x * 3.0,
    "div": lambda x: 1.0 / (x * x + 1.0),
    "pow": lambda x: (x * x + 1.0) ** 1.5,
    "tensor_pow": lambda x: (x * x + 1.0) ** x,
    "tanh": mdl.tanh,
    "sigmoid": mdl.sigmoid,
    "softmax": lambda x: mdl.softmax(x, axis=-1) * mdl.arange(3, dtype="float64", device=x.device),
    "log_softmax": lambda x: mdl.log_softmax(x, axis=0) ** 2,
    "logsumexp": lambda x: x.logsumexp(axis=1) ** 2,
    "max": lambda x: x.max(axis=1) ** 2,
    "var": lambda x: x.var(axis=0, ddof=1) ** 2,
    "getitem_repeated": lambda x: x[[0, 0, 1]] ** 3,
    "where": lambda x: mdl.where(x > 0, x ** 3, x ** 2),
    "maximum": lambda x: mdl.maximum(x ** 2, x * 0.5) ** 2,
    "concatenate": lambda x: mdl.concatenate([x, x * x], axis=1) ** 2,
    "matmul": lambda x: (x @ x.T) ** 2,
    "abs_relu": lambda x: mdl.abs(x) ** 3 + mdl.relu(x) ** 2,
    "clip": lambda x: mdl.clip(x, -0.5, 0.5) * x * x,
    "astype": lambda x: (x ** 3).astype("float64"),
}


@pytest.mark.parametrize("name", list(GRADGRAD))
def test_gradient_of_the_gradient(name, device):
    fn = GRADGRAD[name]
    x = leaf(values((2, 3), 2, away_from=(0.0, 0.5, -0.5)), device)
    weights = mdl.tensor(values((2, 3), 3), dtype="float64", device=device)

    def first_gradient(x):
        y = fn(x)
        (g,) = grad((y * weights).sum() if y.shape == x.shape else y.sum(), x, create_graph=True)
        return g

    assert gradcheck(first_gradient, (x,))


def test_second_derivatives_of_linear_and_matmul_match_torch(device):
    torch = pytest.importorskip("torch")
    xv, wv, bv = values((4, 3), 5), values((2, 3), 6), values((2,), 7)
    x, w, b = leaf(xv, device), leaf(wv, device), leaf(bv, device)
    # a gradient penalty: ||d loss / d x||² differentiated with respect to the weights
    loss = (linear(x, w, b).tanh() ** 2).sum()
    (gx,) = grad(loss, x, create_graph=True)
    penalty = (gx * gx).sum() + ((x @ w.T) ** 3).sum()
    gw, gb = grad(penalty, (w, b))

    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (xv, wv, bv))
    tloss = (torch.nn.functional.linear(tx, tw, tb).tanh() ** 2).sum()
    (tgx,) = torch.autograd.grad(tloss, tx, create_graph=True)
    tpenalty = (tgx * tgx).sum() + ((tx @ tw.T) ** 3).sum()
    tgw, tgb = torch.autograd.grad(tpenalty, (tw, tb))
    np.testing.assert_allclose(gw.numpy(), tgw.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gb.numpy(), tgb.numpy(), rtol=1e-10)


def test_hessian_vector_products_match_torch(device):
    torch = pytest.importorskip("torch")
    xv, vv = values((3, 4), 8), values((3, 4), 9)
    cases = [
        (lambda x: (mdl.softmax(x) * x).sum(), lambda x: (torch.softmax(x, -1) * x).sum()),
        (lambda x: mdl.log_softmax(x, 0).sum(0).exp().sum(),
         lambda x: torch.log_softmax(x, 0).sum(0).exp().sum()),
        (lambda x: mdl.sigmoid(x).tanh().sum(), lambda x: torch.sigmoid(x).tanh().sum()),
        (lambda x: (x.exp() * x.log_softmax()).mean(),
         lambda x: (x.exp() * x.log_softmax(-1)).mean()),
    ]
    for f, tf in cases:
        x, v = leaf(xv, device), mdl.tensor(vv, device=device)
        (g,) = grad(f(x), x, create_graph=True)
        (hv,) = grad((g * v).sum(), x)
        tx = torch.tensor(xv, requires_grad=True)
        (tg,) = torch.autograd.grad(tf(tx), tx, create_graph=True)
        (thv,) = torch.autograd.grad((tg * torch.tensor(vv)).sum(), tx)
        np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-9, atol=1e-13)
