"""PyTorch-style schedulers: values over 130 steps, equal to torch's and near the closed forms."""
import math

import numpy as np
import pytest

import minidl as mdl
from minidl.optim import lr_scheduler
from minidl.optim.schedules import ExponentialDecay

STEPS = 130
LRS = (0.1, 0.03)          # two parameter groups, different rates


def make_optimizer(kind="SGD", **kwargs):
    a = mdl.tensor([1.0], requires_grad=True)
    b = mdl.tensor([1.0], requires_grad=True)
    cls = getattr(mdl.optim, kind)
    return cls([{"params": [a], "lr": LRS[0]}, {"params": [b], "lr": LRS[1]}], **kwargs)


def lr_history(opt, scheduler, steps=STEPS, metrics=None):
    history = []
    for k in range(steps):
        history.append(list(scheduler.get_last_lr()))
        assert history[-1] == [g["lr"] for g in opt.param_groups]
        opt.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[k])
    return history


# name: (build(module, optimizer) with module = minidl's or torch's lr_scheduler, closed form)
SCHEDULERS = {
    "StepLR": (lambda m, o: m.StepLR(o, step_size=17, gamma=0.5),
               lambda lr, k: lr * 0.5 ** (k // 17)),
    "MultiStepLR": (lambda m, o: m.MultiStepLR(o, milestones=[10, 40, 40, 90], gamma=0.3),
                    lambda lr, k: lr * 0.3 ** sum(m <= k for m in [10, 40, 40, 90])),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.97),
                      lambda lr, k: lr * 0.97 ** k),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=50, eta_min=0.001),
                          lambda lr, k: 0.001 + (lr - 0.001)
                          * (1 + math.cos(math.pi * k / 50)) / 2),
    "LambdaLR": (lambda m, o: m.LambdaLR(o, lr_lambda=lambda k: 1 / (1 + 0.1 * k)),
                 lambda lr, k: lr / (1 + 0.1 * k)),
    "LinearLR": (lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=30),
                 lambda lr, k: lr * (0.25 + (0.9 - 0.25) * min(k, 30) / 30)),
    "LinearLR-defaults": (lambda m, o: m.LinearLR(o),
                          lambda lr, k: lr * (1 / 3 + (1 - 1 / 3) * min(k, 5) / 5)),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_against_closed_form(name):
    build, formula = SCHEDULERS[name]
    opt = make_optimizer()
    history = lr_history(opt, build(lr_scheduler, opt))
    for k, lrs in enumerate(history):
        for lr, base in zip(lrs, LRS):
            assert lr == pytest.approx(formula(base, k), rel=1e-12, abs=1e-16), (name, k)


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_equal_to_torch(name):
    torch = pytest.importorskip("torch")
    build, _ = SCHEDULERS[name]
    opt = make_optimizer()
    ours = lr_history(opt, build(lr_scheduler, opt))
    topt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": LRS[0]},
                            {"params": [torch.zeros(1, requires_grad=True)], "lr": LRS[1]}])
    theirs = lr_history(topt, build(torch.optim.lr_scheduler, topt))
    assert ours == theirs                       # the same arithmetic, so the same bits


def test_one_cycle_with_sgd_momentum_equal_to_torch():
    torch = pytest.importorskip("torch")
    total = 120
    opt = make_optimizer("SGD", momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=[0.5, 0.2], total_steps=total)
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([{"params": [a], "lr": LRS[0]}, {"params": [b], "lr": LRS[1]}],
                           momentum=0.9)
    tscheduler = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=[0.5, 0.2], total_steps=total)
    for _ in range(total - 1):
        assert scheduler.get_last_lr() == tscheduler.get_last_lr()
        assert ([g["momentum"] for g in opt.param_groups]
                == [g["momentum"] for g in topt.param_groups])
        opt.step()
        topt.step()
        scheduler.step()
        tscheduler.step()
    assert opt.param_groups[0]["initial_lr"] == 0.5 / 25
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 / 25 / 1e4)


@pytest.mark.parametrize("kwargs", [dict(three_phase=True, anneal_strategy="linear"),
                                    dict(pct_start=0.25, div_factor=10.0, final_div_factor=100.0)])
def test_one_cycle_with_adam_betas_equal_to_torch(kwargs):
    torch = pytest.importorskip("torch")
    total = 100
    opt = make_optimizer("Adam")
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=total, **kwargs)
    topt = torch.optim.Adam([{"params": [torch.zeros(1, requires_grad=True)], "lr": LRS[0]},
                             {"params": [torch.zeros(1, requires_grad=True)], "lr": LRS[1]}])
    tscheduler = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.01, total_steps=total,
                                                     **kwargs)
    for _ in range(total - 1):
        assert scheduler.get_last_lr() == tscheduler.get_last_lr()
        assert ([g["betas"] for g in opt.param_groups]
                == [tuple(g["betas"]) for g in topt.param_groups])
        opt.step()
        topt.step()
        scheduler.step()
        tscheduler.step()


def test_one_cycle_shape_without_torch():
    opt = make_optimizer("SGD", momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, epochs=4, steps_per_epoch=25)
    lrs, momenta = [], []
    for _ in range(100):
        lrs.append(scheduler.get_last_lr()[0])
        momenta.append(opt.param_groups[0]["momentum"])
        scheduler.step()
    peak = int(np.argmax(lrs))
    assert lrs[0] == pytest.approx(1.0 / 25) and lrs[peak] == pytest.approx(1.0)
    assert peak == round(0.3 * 100) - 1
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert momenta[0] == 0.95 and momenta[peak] == pytest.approx(0.85)
    assert momenta[-1] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="Tried to step 101 times"):
        scheduler.step()
        scheduler.step()


def test_one_cycle_needs_momentum():
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.OneCycleLR(make_optimizer("Adagrad"), max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="total_steps"):
        lr_scheduler.OneCycleLR(make_optimizer(), max_lr=0.1)


METRICS = ([1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85] * 13
           + [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(mode="max", factor=0.5, patience=2, cooldown=1),
    dict(patience=1, threshold=0.05, threshold_mode="abs", min_lr=[0.01, 0.001]),
    dict(mode="max", patience=0, threshold_mode="abs", min_lr=0.002, eps=1e-3),
])
def test_reduce_on_plateau_equal_to_torch(kwargs):
    torch = pytest.importorskip("torch")
    opt = make_optimizer()
    ours = lr_history(opt, lr_scheduler.ReduceLROnPlateau(opt, **kwargs), len(METRICS), METRICS)
    topt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": LRS[0]},
                            {"params": [torch.zeros(1, requires_grad=True)], "lr": LRS[1]}])
    theirs = lr_history(topt, torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs),
                        len(METRICS), METRICS)
    assert ours == theirs
    assert ours[-1] != ours[0] or kwargs.get("mode") == "max"


def test_reduce_on_plateau_by_hand():
    opt = make_optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    for metric in [1.0, 1.0, 1.0]:          # the first sets the best; two bad epochs are allowed
        scheduler.step(metric)
    assert scheduler.get_last_lr() == list(LRS)
    scheduler.step(1.0)                     # the third bad epoch reduces
    assert scheduler.get_last_lr() == [LRS[0] * 0.5, LRS[1] * 0.5]
    scheduler.step(mdl.tensor(0.5))         # a Tensor metric works; an improvement resets
    assert scheduler.num_bad_epochs == 0 and scheduler.best == 0.5
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode 'avg' is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="avg")


def test_construction_performs_the_initial_step_and_records_initial_lr():
    opt = make_optimizer()
    scheduler = lr_scheduler.StepLR(opt, step_size=3)
    assert scheduler.last_epoch == 0 and scheduler.base_lrs == list(LRS)
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS)
    linear = lr_scheduler.LinearLR(make_optimizer(), start_factor=0.5)
    assert linear.get_last_lr() == [LRS[0] * 0.5, LRS[1] * 0.5]


def test_state_dict_round_trip():
    opt = make_optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=20)
    for _ in range(7):
        scheduler.step()
    saved, saved_opt = scheduler.state_dict(), opt.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 7
    expected = [scheduler.step() or scheduler.get_last_lr() for _ in range(10)]

    opt2 = make_optimizer()
    scheduler2 = lr_scheduler.CosineAnnealingLR(opt2, T_max=20)
    opt2.load_state_dict(saved_opt)
    scheduler2.load_state_dict(saved)
    assert [scheduler2.step() or scheduler2.get_last_lr() for _ in range(10)] == expected


def test_lambda_state_dict_keeps_callable_objects_only():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    decay = Decay()
    scheduler = lr_scheduler.LambdaLR(make_optimizer(), [decay, lambda k: 1.0])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]
    decay.rate = 0.9
    scheduler.load_state_dict(state)
    assert decay.rate == 0.5
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        lr_scheduler.LambdaLR(make_optimizer(), [decay] * 3)


def test_schedulers_refuse_schedule_lrs():
    w = mdl.tensor([1.0], requires_grad=True)
    opt = mdl.optim.SGD([w], lr=ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="use either a scheduler or a schedule"):
        lr_scheduler.StepLR(opt, step_size=2)
    with pytest.raises(TypeError, match="use either a scheduler or a schedule"):
        lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)


def test_scheduler_changes_what_the_optimizer_does():
    w = mdl.tensor([0.0], dtype="float64", requires_grad=True)
    opt = mdl.optim.SGD([w], lr=1.0)
    scheduler = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(5):
        w.grad = mdl.tensor([1.0], dtype="float64")
        opt.step()
        scheduler.step()
    assert w.item() == -(1 + 1 + 0.5 + 0.5 + 0.25)
