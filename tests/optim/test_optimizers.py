"""Each optimizer, step by step, against the transcribed math and against torch.optim."""
import numpy as np
import pytest

import minidl as mdl
from tests.optim import reference
from tests.optim.problem import (CASES, Problem, case_id, max_deviation, problem_for,
                                 run_minidl, run_reference, run_torch)

TOL = 1e-12   # max |minidl − oracle| / max(|oracle|, 1), over 60 steps and every parameter


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_reference_every_step(case, device):
    name, kwargs = case
    problem = problem_for(kwargs)
    ours, _, _ = run_minidl(name, kwargs, problem, device=device)
    expected = run_reference(name, kwargs, problem)
    assert len(ours) == problem.steps >= 50
    _, rel = max_deviation(ours, expected)
    assert rel <= TOL, f"{name}: deviates from the documented rule by {rel:.3g}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch_every_step(case):
    torch = pytest.importorskip("torch")
    name, kwargs = case
    problem = problem_for(kwargs)
    ours, _, _ = run_minidl(name, kwargs, problem)
    expected = run_torch(torch, name, kwargs, problem)
    _, rel = max_deviation(ours, expected)
    assert rel <= TOL, f"{name}: deviates from torch.optim.{name} by {rel:.3g}"


def test_reference_matches_torch():
    """The oracle itself is checked against PyTorch, so that it cannot drift unnoticed."""
    torch = pytest.importorskip("torch")
    for name, kwargs in CASES:
        problem = problem_for(kwargs)
        _, rel = max_deviation(run_reference(name, kwargs, problem),
                               run_torch(torch, name, kwargs, problem))
        assert rel <= TOL, name


def test_trajectories_actually_move():
    """Guard against a vacuous comparison: every case changes every parameter."""
    for name, kwargs in CASES:
        problem = problem_for(kwargs)
        ours, _, _ = run_minidl(name, kwargs, problem, steps=5)
        for before, after in zip(problem.init, ours[-1]):
            assert np.abs(after - before).max() > 1e-3, name


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_float32_parameters_stay_float32(case, device):
    name, kwargs = case
    problem = problem_for(kwargs)
    ours, opt, params = run_minidl(name, kwargs, problem, device=device, dtype="float32",
                                   steps=20)
    for p in params:
        assert p.dtype == np.float32
        for value in opt.state[p].values():
            if hasattr(value, "dtype"):
                assert value.dtype == np.float32, (name, value.dtype)
    expected = run_reference(name, kwargs, problem, steps=20)
    _, rel = max_deviation(ours, expected)
    assert rel < 1e-4


def test_update_is_in_place_and_bumps_version(device):
    w = mdl.tensor(np.ones((2, 3)), device=device, requires_grad=True)
    data = w.data
    version = w._version
    opt = mdl.optim.Adam([w], lr=0.1)
    w.grad = mdl.tensor(np.ones((2, 3)), device=device)
    grad_array = w.grad.data
    opt.step()
    assert w.data is data and w._version == version + 1
    assert w.grad.data is grad_array
    assert float(w.grad.data.sum()) == 6.0            # the gradient was not modified


def test_no_graph_is_recorded(device):
    w = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    opt = mdl.optim.SGD([w], lr=0.1, momentum=0.9)
    opt.minimize(lambda: (w * w).sum())
    assert w.is_leaf and w.grad_fn is None


# -- the facts users learn first ----------------------------------------------------------
def test_sgd_one_minimize_step_keras_example(device):
    var = mdl.tensor(1.0, device=device, requires_grad=True)
    opt = mdl.optim.SGD(lr=0.1)                       # Keras style: no params yet
    loss = opt.minimize(lambda: var ** 2 / 2, var_list=[var])
    assert var.item() == pytest.approx(0.9, abs=1e-7)
    assert loss.item() == pytest.approx(0.5)


def test_sgd_momentum_moves_by_point_one_then_point_one_eight(device):
    var = mdl.tensor(1.0, dtype="float64", device=device, requires_grad=True)
    opt = mdl.optim.SGD(lr=0.1, momentum=0.9)
    opt.minimize(lambda: var ** 2 / 2, var_list=[var])
    first = 1.0 - var.item()
    opt.minimize(lambda: var ** 2 / 2, var_list=[var])
    second = 1.0 - first - var.item()
    assert first == pytest.approx(0.1, abs=1e-15)
    assert second == pytest.approx(0.18, abs=1e-15)


# -- convergence --------------------------------------------------------------------------
CONVERGE = [
    ("SGD", dict(lr=0.1), 200),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), 200),
    ("Adagrad", dict(lr=0.5), 300),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5), 400),
    ("Adadelta", dict(lr=20.0), 400),
    ("Adam", dict(lr=0.05), 400),
    ("Adam", dict(lr=0.05, amsgrad=True), 400),
    ("AdamW", dict(lr=0.05, weight_decay=0.0), 400),
    ("Adamax", dict(lr=0.1), 400),
    ("NAdam", dict(lr=0.05), 400),
    ("RAdam", dict(lr=0.05), 400),
]


@pytest.mark.parametrize("name, kwargs, steps", CONVERGE, ids=lambda v: str(v))
def test_converges_on_a_parabola(name, kwargs, steps):
    target = np.array([1.0, -2.0, 0.5])
    theta = mdl.tensor(np.zeros(3), requires_grad=True)
    c, curvature = mdl.tensor(target), mdl.tensor([1.0, 2.0, 0.5], dtype="float64")
    opt = getattr(mdl.optim, name)([theta], **kwargs)
    for _ in range(steps):
        opt.minimize(lambda: (((theta - c) ** 2) * curvature).sum())
    assert np.abs(theta.numpy() - target).max() < 1e-2, theta.numpy()


# -- validation ---------------------------------------------------------------------------
BAD = [
    ("SGD", dict(lr=-1), "Invalid learning rate: -1"),
    ("SGD", dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(weight_decay=-1e-4), "Invalid weight_decay value: -0.0001"),
    ("SGD", dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1),
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value"),
    ("Adagrad", dict(eps=-1), "Invalid epsilon value: -1"),
    ("RMSprop", dict(alpha=-0.1), "Invalid alpha value: -0.1"),
    ("RMSprop", dict(momentum=-1), "Invalid momentum value: -1"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adam", dict(betas=(1.2, 0.999)), "Invalid beta parameter at index 0: 1.2"),
    ("Adam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("AdamW", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("AdamW", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("Adamax", dict(betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("RAdam", dict(betas=(0.9, 2.0)), "Invalid beta parameter at index 1: 2.0"),
    ("LBFGS", dict(lr=-1), "Invalid learning rate: -1"),
    ("LBFGS", dict(line_search_fn="armijo"), "line_search_fn must be None or 'strong_wolfe'"),
]


@pytest.mark.parametrize("name, kwargs, message", BAD, ids=lambda v: str(v))
def test_invalid_options_raise_naming_the_parameter(name, kwargs, message):
    w = mdl.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        getattr(mdl.optim, name)([w], **kwargs)


def test_validation_messages_match_torch():
    torch = pytest.importorskip("torch")
    for name, kwargs, _ in BAD:
        if name == "LBFGS" and "line_search_fn" in kwargs:
            continue                      # torch checks this one only at step time
        w = mdl.tensor([1.0], requires_grad=True)
        with pytest.raises(ValueError) as ours:
            getattr(mdl.optim, name)([w], **kwargs)
        with pytest.raises(ValueError) as theirs:
            getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kwargs)
        assert str(ours.value) == str(theirs.value)


def test_reference_rules_cover_every_optimizer():
    names = {name for name, _ in CASES}
    assert names == set(reference.RULES) == {"SGD", "Adagrad", "RMSprop", "Adadelta", "Adam",
                                             "AdamW", "Adamax", "NAdam", "RAdam"}


def test_defaults_are_pytorchs():
    torch = pytest.importorskip("torch")
    for name in reference.RULES:
        ours = getattr(mdl.optim, name)([mdl.tensor([1.0], requires_grad=True)]).defaults
        theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
        for key, value in ours.items():
            assert theirs[key] == value, (name, key)
    ours = mdl.optim.LBFGS([mdl.tensor([1.0], requires_grad=True)]).defaults
    theirs = torch.optim.LBFGS([torch.zeros(1, requires_grad=True)]).defaults
    assert ours == theirs
    assert ours["max_eval"] == 25


def test_problem_is_reproducible():
    a, b = Problem(seed=3), Problem(seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a.init, b.init))
