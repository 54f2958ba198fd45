"""L-BFGS on the Rosenbrock function, against torch.optim.LBFGS and the transcribed algorithm."""
import numpy as np
import pytest

import minidl as mdl
from tests.optim import reference
from tests.optim.problem import torch_float64

START = np.array([-1.5, 2.0, -1.2, 1.0, 0.5, -0.8])
SPLIT = 4                      # two parameters: x[:4] (shape (2, 2)) and x[4:] (shape (2,))


def rosenbrock(x):
    """f(x) = Σ 100·(x_{i+1} − x_i²)² + (1 − x_i)², and its gradient, in NumPy float64."""
    x = np.asarray(x, dtype=np.float64)
    f = float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return f, g


def run_minidl(steps, device="cpu", **kwargs):
    a = mdl.tensor(START[:SPLIT].reshape(2, 2), device=device, requires_grad=True)
    b = mdl.tensor(START[SPLIT:], device=device, requires_grad=True)
    opt = mdl.optim.LBFGS([a, b], **kwargs)

    def closure():                        # the same f and ∇f for every implementation
        x = np.concatenate([a.numpy().ravel(), b.numpy()])
        f, g = rosenbrock(x)
        a.grad = mdl.tensor(g[:SPLIT].reshape(2, 2), device=device)
        b.grad = mdl.tensor(g[SPLIT:], device=device)
        return mdl.tensor(f, dtype="float64", device=device)

    trajectory = []
    for _ in range(steps):
        opt.step(closure)
        x = np.concatenate([a.numpy().ravel(), b.numpy()])
        trajectory.append((x, opt.state[a]["func_evals"], opt.state[a]["n_iter"]))
    return trajectory, opt


def run_torch(torch, steps, **kwargs):
    with torch_float64(torch):
        a = torch.tensor(START[:SPLIT].reshape(2, 2), requires_grad=True)
        b = torch.tensor(START[SPLIT:], requires_grad=True)
        opt = torch.optim.LBFGS([a, b], **kwargs)

        def closure():
            x = np.concatenate([a.detach().numpy().ravel(), b.detach().numpy()])
            f, g = rosenbrock(x)
            a.grad = torch.tensor(g[:SPLIT].reshape(2, 2))
            b.grad = torch.tensor(g[SPLIT:])
            return torch.tensor(f)

        trajectory = []
        for _ in range(steps):
            opt.step(closure)
            x = np.concatenate([a.detach().numpy().ravel(), b.detach().numpy()])
            trajectory.append((x, opt.state[a]["func_evals"], opt.state[a]["n_iter"]))
    return trajectory


@pytest.mark.parametrize("kwargs, steps", [
    (dict(line_search_fn="strong_wolfe"), 4),
    (dict(line_search_fn="strong_wolfe", history_size=3, max_iter=7), 8),
    (dict(lr=0.05, max_iter=10, history_size=5), 6),
    (dict(lr=0.3, max_iter=12, tolerance_change=1e-12), 5),
], ids=["wolfe", "wolfe-short-history", "fixed-lr", "fixed-lr-tolerance"])
def test_matches_torch_on_rosenbrock(kwargs, steps):
    torch = pytest.importorskip("torch")
    ours, _ = run_minidl(steps, **kwargs)
    theirs = run_torch(torch, steps, **kwargs)
    for (x, evals, n_iter), (x_t, evals_t, n_iter_t) in zip(ours, theirs):
        assert (evals, n_iter) == (evals_t, n_iter_t)      # the same path, evaluation by evaluation
        # last-bit differences (torch fuses multiply-adds, BLAS sums dot products in its own
        # order) grow along Rosenbrock's curved valley: ~1e-14 after 20 evaluations, ~1e-9
        # after 60 with a 3-pair history
        np.testing.assert_allclose(x, x_t, rtol=1e-8, atol=1e-12)
    assert np.abs(ours[-1][0] - START).max() > 0.1            # it did move


def test_strong_wolfe_converges_to_the_minimum(device):
    trajectory, opt = run_minidl(6, device=device, line_search_fn="strong_wolfe",
                                 tolerance_grad=1e-12, tolerance_change=1e-15)
    np.testing.assert_allclose(trajectory[-1][0], np.ones(6), atol=1e-6)


def test_fixed_step_matches_the_documented_algorithm(device):
    """One step from a fresh state equals the textbook two-loop iteration."""
    kwargs = dict(lr=0.05, max_iter=30, history_size=4)
    trajectory, _ = run_minidl(1, device=device, **kwargs)
    expected, evals = reference.lbfgs_fixed_step(rosenbrock, START.copy(), **kwargs)
    assert trajectory[0][1] == evals
    np.testing.assert_allclose(trajectory[0][0], expected, rtol=1e-10, atol=1e-12)


def test_state_round_trip_resumes_identically():
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=3, history_size=4)
    full, _ = run_minidl(6, **kwargs)
    _, opt = run_minidl(3, **kwargs)
    saved = opt.state_dict()
    a = mdl.tensor(full[2][0][:SPLIT].reshape(2, 2), requires_grad=True)
    b = mdl.tensor(full[2][0][SPLIT:], requires_grad=True)
    resumed = mdl.optim.LBFGS([a, b], **kwargs)
    resumed.load_state_dict(saved)

    def closure():
        f, g = rosenbrock(np.concatenate([a.numpy().ravel(), b.numpy()]))
        a.grad, b.grad = mdl.tensor(g[:SPLIT].reshape(2, 2)), mdl.tensor(g[SPLIT:])
        return mdl.tensor(f, dtype="float64")

    for k in range(3, 6):
        resumed.step(closure)
        assert np.array_equal(np.concatenate([a.numpy().ravel(), b.numpy()]), full[k][0])


def test_step_returns_the_first_loss_and_stops_when_optimal():
    x = mdl.tensor([1.0, 1.0], dtype="float64", requires_grad=True)
    opt = mdl.optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = ((x - 1.0) ** 2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0.0 and len(calls) == 1   # gradient is 0: done


def test_minimize_works_with_lbfgs():
    x = mdl.tensor([3.0, -1.0], dtype="float64", requires_grad=True)
    opt = mdl.optim.LBFGS(line_search_fn="strong_wolfe")
    loss = opt.minimize(lambda: ((x - 2.0) ** 2).sum(), var_list=[x])
    assert loss.item() == pytest.approx(10.0)
    np.testing.assert_allclose(x.numpy(), [2.0, 2.0], atol=1e-8)


def test_needs_a_closure_and_one_group():
    a, b = mdl.tensor([1.0], requires_grad=True), mdl.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        mdl.optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = mdl.optim.LBFGS([a])
    with pytest.raises(ValueError, match="requires a closure"):
        opt.step()
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        opt.add_param_group({"params": [b]})


def test_max_eval_default_is_stored_as_pytorch_does():
    opt = mdl.optim.LBFGS([mdl.tensor([1.0], requires_grad=True)], max_iter=7)
    assert opt.param_groups[0]["max_eval"] == 8


def logistic_loss(w, features, labels):
    """Mean binary cross-entropy of σ(X·w[:-1] + w[-1]) and its gradient, in NumPy float64."""
    z = features @ w[:-1] + w[-1]
    f = float(np.mean(np.logaddexp(0.0, z) - labels * z))
    residual = (1.0 / (1.0 + np.exp(-z)) - labels) / len(labels)
    return f, np.concatenate([features.T @ residual, [residual.sum()]])


@pytest.mark.parametrize("kwargs", [
    dict(line_search_fn="strong_wolfe", max_iter=4),
    dict(line_search_fn="strong_wolfe", max_iter=3, history_size=2, lr=0.5),
], ids=["wolfe", "wolfe-short-history"])
def test_matches_torch_on_logistic_regression(kwargs):
    """Iterates and function evaluations equal torch's over several steps on another problem."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 3))
    labels = (features @ [1.5, -2.0, 0.5] + 0.3 * rng.normal(size=40) > 0).astype(np.float64)
    start = np.array([0.2, 0.1, -0.3, 0.05])

    w = mdl.tensor(start.copy(), requires_grad=True)
    opt = mdl.optim.LBFGS([w], **kwargs)

    def closure():
        f, g = logistic_loss(w.numpy(), features, labels)
        w.grad = mdl.tensor(g)
        return mdl.tensor(f, dtype="float64")

    with torch_float64(torch):
        w_t = torch.tensor(start.copy(), requires_grad=True)
        opt_t = torch.optim.LBFGS([w_t], **kwargs)

        def closure_t():
            f, g = logistic_loss(w_t.detach().numpy(), features, labels)
            w_t.grad = torch.tensor(g)
            return torch.tensor(f)

        for _ in range(4):
            opt.step(closure)
            opt_t.step(closure_t)
            assert opt.state[w]["func_evals"] == opt_t.state[w_t]["func_evals"]
            assert opt.state[w]["n_iter"] == opt_t.state[w_t]["n_iter"]
            np.testing.assert_allclose(w.numpy(), w_t.detach().numpy(), rtol=1e-10, atol=1e-13)
    assert np.abs(w.numpy() - start).max() > 0.5                    # it did move
