"""A shared test problem and three ways to run an optimizer on it: minidl, torch, reference.

The problem: three parameters of different shapes ((3, 4), (5,), a scalar) in two parameter
groups (the second with half the learning rate). Step k feeds each parameter the gradient
``c·(θ − T_k) + 0.1·θ³`` of a noisy quadratic-plus-quartic loss (T_k is a fresh random target
per step, so gradients keep their variance, as minibatch gradients do), computed in NumPy
from that run's own current θ. Every implementation thus sees the same gradient rule and
none depends on autograd; the runs return the parameters after every step.
"""
import contextlib

import numpy as np

import minidl as mdl
from tests.optim import reference

SHAPES = [(3, 4), (5,), ()]
STEPS = 60


class Problem:
    def __init__(self, seed=0, steps=STEPS, sign=1.0):
        rng = np.random.default_rng(seed)
        self.init = [rng.standard_normal(s) for s in SHAPES]
        self.coef = [1.0, 0.5, 2.0]
        self.targets = [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]
        self.steps = steps
        self.sign = sign          # -1: gradients of −f, for maximize=True

    def grad(self, i, theta, k):
        theta = np.asarray(theta, dtype=np.float64)
        g = self.coef[i] * (theta - self.targets[k][i]) + 0.1 * theta ** 3
        return self.sign * g


def group_options(kwargs):
    """The second group's options: half the learning rate (a schedule lr is kept as is)."""
    lr = kwargs.get("lr", 1e-3)
    return {} if callable(lr) else {"lr": lr * 0.5}


def run_minidl(name, kwargs, problem, device="cpu", dtype="float64", steps=None):
    params = [mdl.tensor(a, dtype=dtype, device=device, requires_grad=True) for a in problem.init]
    opt = getattr(mdl.optim, name)([{"params": params[:2]},
                                    {"params": params[2:], **group_options(kwargs)}], **kwargs)
    trajectory = []
    for k in range(steps or problem.steps):
        for i, p in enumerate(params):
            g = problem.grad(i, p.numpy(), k).astype(dtype)
            p.grad = mdl.tensor(g, device=device)
        opt.step()
        trajectory.append([p.numpy().astype(np.float64) for p in params])
    return trajectory, opt, params


@contextlib.contextmanager
def torch_float64(torch):
    """torch's optimizers keep step counts and NAdam's mu_product in the default dtype."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def run_torch(torch, name, kwargs, problem, steps=None):
    with torch_float64(torch):
        params = [torch.tensor(a, requires_grad=True) for a in problem.init]
        extra = {"foreach": False}
        opt = getattr(torch.optim, name)([{"params": params[:2]},
                                          {"params": params[2:], **group_options(kwargs)}],
                                         **kwargs, **extra)
        trajectory = []
        for k in range(steps or problem.steps):
            for i, p in enumerate(params):
                p.grad = torch.tensor(problem.grad(i, p.detach().numpy(), k))
            opt.step()
            trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def run_reference(name, kwargs, problem, steps=None):
    rule = reference.RULES[name]
    thetas = [a.copy() for a in problem.init]
    states = [{} for _ in thetas]
    options = [kwargs, kwargs, {**kwargs, **group_options(kwargs)}]
    trajectory = []
    for k in range(steps or problem.steps):
        grads = [problem.grad(i, theta, k) for i, theta in enumerate(thetas)]
        thetas = [rule(theta, g, state, **opts)
                  for theta, g, state, opts in zip(thetas, grads, states, options)]
        trajectory.append([theta.copy() for theta in thetas])
    return trajectory


def max_deviation(a, b):
    """(max |a − b|, max |a − b| / max(|b|, 1)) over every step and every parameter."""
    abs_dev = rel_dev = 0.0
    for step_a, step_b in zip(a, b):
        for x, y in zip(step_a, step_b):
            diff = np.abs(x - y)
            abs_dev = max(abs_dev, float(diff.max(initial=0.0)))
            rel_dev = max(rel_dev, float((diff / np.maximum(np.abs(y), 1.0)).max(initial=0.0)))
    return abs_dev, rel_dev


# optimizer name, non-default options (each case is a 60-step run)
CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1,
                     eps=1e-8)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5,
                     centered=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.95, weight_decay=0.05)),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.3, 0.9))),              # 1 − β₁ ≥ 0.5: lerp's other form
    ("AdamW", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01,
                   momentum_decay=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.01)),  # ρ_t crosses 5
]


def case_id(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items() if k != "lr")


def problem_for(kwargs):
    return Problem(sign=-1.0 if kwargs.get("maximize") else 1.0)
