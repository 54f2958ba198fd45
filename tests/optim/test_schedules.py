"""Keras-style schedules: every value over 120 steps against the formulas and against torch."""
import math

import numpy as np
import pytest

import minidl as mdl
from minidl.optim.schedules import (CosineDecay, ExponentialDecay, InverseTimeDecay,
                                    PiecewiseConstantDecay, PolynomialDecay)

STEPS = range(121)


def test_piecewise_constant_boundaries():
    schedule = PiecewiseConstantDecay([10, 20, 50], [1.0, 0.5, 0.1, 0.01])
    for step in STEPS:
        if step <= 10:
            expected = 1.0
        elif step <= 20:
            expected = 0.5
        elif step <= 50:
            expected = 0.1
        else:
            expected = 0.01
        assert schedule(step) == expected, step
    assert [schedule(s) for s in (10, 11, 20, 21, 50, 51)] == [1.0, 0.5, 0.5, 0.1, 0.1, 0.01]


def test_piecewise_constant_needs_one_more_value_than_boundaries():
    with pytest.raises(ValueError, match="The length of boundaries should be 1 less"):
        PiecewiseConstantDecay([10, 20], [1.0, 0.5])
    with pytest.raises(ValueError, match="length 2"):
        PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1, 0.01][:2])


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    schedule = ExponentialDecay(0.1, decay_steps=7, decay_rate=0.8, staircase=staircase)
    for step in STEPS:
        exponent = step // 7 if staircase else step / 7
        assert schedule(step) == pytest.approx(0.1 * 0.8 ** exponent, rel=1e-15)
    if staircase:
        assert schedule(6) == schedule(0) == 0.1 and schedule(7) == pytest.approx(0.08)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    schedule = InverseTimeDecay(0.5, decay_steps=10, decay_rate=0.3, staircase=staircase)
    for step in STEPS:
        p = math.floor(step / 10) if staircase else step / 10
        assert schedule(step) == pytest.approx(0.5 / (1 + 0.3 * p), rel=1e-15)
    if staircase:
        assert schedule(9) == 0.5 and schedule(10) == pytest.approx(0.5 / 1.3)


def test_cosine_decay_clips_at_decay_steps():
    schedule = CosineDecay(0.2, decay_steps=80, alpha=0.1)
    for step in STEPS:
        s = min(step, 80)
        decayed = (1 - 0.1) * 0.5 * (1 + math.cos(math.pi * s / 80)) + 0.1
        assert schedule(step) == pytest.approx(0.2 * decayed, rel=1e-14)
    assert schedule(80) == schedule(120) == pytest.approx(0.02)


def test_cosine_decay_with_warmup():
    schedule = CosineDecay(0.0, decay_steps=50, warmup_target=0.1, warmup_steps=10)
    assert schedule(0) == 0.0 and schedule(5) == pytest.approx(0.05)
    assert schedule(10) == pytest.approx(0.1)
    assert schedule(35) == pytest.approx(0.05)
    assert schedule(60) == pytest.approx(0.0, abs=1e-18) and schedule(100) == schedule(60)


@pytest.mark.parametrize("power", [1.0, 0.5, 2.0])
def test_polynomial_decay(power):
    schedule = PolynomialDecay(0.1, decay_steps=60, end_learning_rate=0.001, power=power)
    for step in STEPS:
        s = min(step, 60)
        expected = (0.1 - 0.001) * (1 - s / 60) ** power + 0.001
        assert schedule(step) == pytest.approx(expected, rel=1e-14)
    assert schedule(120) == pytest.approx(0.001)


def test_polynomial_decay_cycle():
    schedule = PolynomialDecay(0.1, decay_steps=30, end_learning_rate=0.0, power=1.0, cycle=True)
    for step in STEPS:
        decay_steps = 30 * (1 if step == 0 else math.ceil(step / 30))
        assert schedule(step) == pytest.approx(0.1 * (1 - step / decay_steps), abs=1e-16)
    assert schedule(30) == 0.0 and schedule(31) == pytest.approx(0.1 * (1 - 31 / 60))


def test_decay_steps_must_be_positive():
    for make in (lambda: ExponentialDecay(0.1, 0, 0.5), lambda: InverseTimeDecay(0.1, -1, 0.5),
                 lambda: CosineDecay(0.1, 0), lambda: PolynomialDecay(0.1, 0)):
        with pytest.raises(ValueError, match="decay_steps"):
            make()


def test_config_round_trip():
    for schedule in (PiecewiseConstantDecay([3], [1.0, 0.5]), ExponentialDecay(0.1, 5, 0.9, True),
                     InverseTimeDecay(0.1, 5, 0.9), CosineDecay(0.1, 50, alpha=0.2),
                     PolynomialDecay(0.1, 20, power=2.0, cycle=True)):
        clone = type(schedule).from_config(schedule.get_config())
        assert [clone(s) for s in STEPS] == [schedule(s) for s in STEPS]
    assert ExponentialDecay(0.1, 5, 0.9).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.9, "staircase": False,
        "name": "ExponentialDecay"}


# -- the same curves from torch's schedulers ----------------------------------------------
def torch_lrs(torch, make_scheduler, lr, steps=len(STEPS)):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = make_scheduler(opt)
    values = []
    for _ in range(steps):
        values.append(scheduler.get_last_lr()[0])
        opt.step()
        scheduler.step()
    return np.array(values)


def test_against_torch_schedulers():
    torch = pytest.importorskip("torch")
    lr_scheduler = torch.optim.lr_scheduler
    checks = [
        # Keras's boundary b is PyTorch's milestone b + 1 (the value changes after step b)
        (PiecewiseConstantDecay([10, 40], [0.1, 0.01, 0.001]),
         lambda o: lr_scheduler.MultiStepLR(o, milestones=[11, 41], gamma=0.1), 0.1),
        (ExponentialDecay(0.1, decay_steps=1, decay_rate=0.97),
         lambda o: lr_scheduler.ExponentialLR(o, gamma=0.97), 0.1),
        (ExponentialDecay(0.1, decay_steps=15, decay_rate=0.5, staircase=True),
         lambda o: lr_scheduler.StepLR(o, step_size=15, gamma=0.5), 0.1),
        (CosineDecay(0.1, decay_steps=120, alpha=0.05),
         lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=120, eta_min=0.005), 0.1),
        (PolynomialDecay(0.1, decay_steps=90, end_learning_rate=0.0, power=2.0),
         lambda o: lr_scheduler.PolynomialLR(o, total_iters=90, power=2.0), 0.1),
        (InverseTimeDecay(0.1, decay_steps=4, decay_rate=0.5),
         lambda o: lr_scheduler.LambdaLR(o, lambda k: 1 / (1 + 0.5 * k / 4)), 0.1),
    ]
    for schedule, make, lr in checks:
        ours = np.array([schedule(step) for step in STEPS])
        np.testing.assert_allclose(ours, torch_lrs(torch, make, lr), rtol=1e-12, atol=1e-17,
                                   err_msg=repr(schedule))


def test_schedule_drives_an_optimizer_like_keras():
    """Step k of the optimizer uses schedule(k): SGD on a constant gradient sums the rates."""
    schedule = PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.25])
    w = mdl.tensor([0.0], dtype="float64", requires_grad=True)
    opt = mdl.optim.SGD(lr=schedule)
    positions = []
    for _ in range(7):
        opt.minimize(lambda: w.sum(), var_list=[w])      # gradient 1
        positions.append(-w.item())
    assert positions == [1.0, 2.0, 3.0, 3.5, 4.0, 4.25, 4.5]
