"""The Optimizer base class: groups, state, zero_grad, closures, minimize, saving and resuming."""
import copy

import numpy as np
import pytest

import minidl as mdl
from minidl.optim.schedules import ExponentialDecay, PiecewiseConstantDecay
from tests.optim.problem import CASES, Problem, case_id, group_options, problem_for


def leaf(values, device="cpu"):
    return mdl.tensor(np.asarray(values, dtype=np.float64), device=device, requires_grad=True)


# -- parameter groups ---------------------------------------------------------------------
def test_groups_take_missing_options_from_defaults():
    a, b = leaf([1.0]), leaf([2.0])
    opt = mdl.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert all(g["momentum"] == 0.9 for g in opt.param_groups)
    assert opt.param_groups[1]["params"] == [b] or opt.param_groups[1]["params"][0] is b


def test_per_group_learning_rates_are_used():
    a, b = leaf([1.0]), leaf([1.0])
    opt = mdl.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = mdl.tensor([1.0], dtype="float64"), mdl.tensor([1.0], dtype="float64")
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)


def test_add_param_group():
    a, b = leaf([1.0]), leaf([2.0])
    opt = mdl.optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "betas": (0.5, 0.9)})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.5, 0.9)


def test_a_parameter_in_two_groups_raises():
    a = leaf([1.0])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        mdl.optim.SGD([{"params": [a]}, {"params": [a], "lr": 1.0}], lr=0.1)
    opt = mdl.optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_bad_params_raise():
    with pytest.raises(ValueError, match="empty parameter list"):
        mdl.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        mdl.optim.SGD({leaf([1.0])}, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        mdl.optim.SGD([np.ones(2)], lr=0.1)
    w = leaf([1.0])
    with pytest.raises(ValueError, match="non-leaf"):
        mdl.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        mdl.optim.SGD(w, lr=0.1)


def test_params_may_be_a_generator():
    ws = [leaf([1.0]), leaf([2.0])]
    opt = mdl.optim.SGD((w for w in ws), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 2


# -- step, zero_grad, closure -------------------------------------------------------------
def test_parameters_without_grad_are_skipped(device):
    a, b = leaf([1.0], device), leaf([2.0], device)
    opt = mdl.optim.Adam([a, b], lr=0.1)
    a.grad = mdl.tensor([1.0], dtype="float64", device=device)
    opt.step()
    assert b.item() == 2.0 and b not in opt.state and opt.state[a]["step"] == 1


def test_lazy_state_on_the_parameters_device(device):
    w = leaf(np.zeros((2, 2)), device)
    opt = mdl.optim.Adam([w], lr=0.1, amsgrad=True)
    assert opt.state == {}
    w.grad = mdl.tensor(np.ones((2, 2)), device=device)
    opt.step()
    state = opt.state[w]
    assert set(state) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert isinstance(state["exp_avg"], type(w.data))


def test_zero_grad_set_to_none():
    w = leaf([1.0])
    opt = mdl.optim.SGD([w], lr=0.1)
    w.grad = mdl.tensor([3.0], dtype="float64")
    opt.zero_grad()
    assert w.grad is None


def test_zero_grad_without_none_makes_fresh_zeros_and_leaves_shared_arrays_alone(device):
    w = leaf([1.0, 2.0], device)
    opt = mdl.optim.SGD([w], lr=0.1)
    shared = mdl.tensor([3.0, 4.0], dtype="float64", device=device)
    w.grad = shared
    opt.zero_grad(set_to_none=False)
    assert w.grad is not shared and w.grad.numpy().tolist() == [0.0, 0.0]
    assert w.grad.dtype == np.float64 and w.grad.device == device
    assert shared.numpy().tolist() == [3.0, 4.0]


def test_step_with_closure_returns_the_loss_and_enables_grad(device):
    w = leaf([2.0], device)
    opt = mdl.optim.SGD([w], lr=0.25)

    def closure():
        assert mdl.is_grad_enabled()
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with mdl.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and w.item() == 1.0
    assert opt.step() is None


def test_minimize_without_params_needs_var_list():
    opt = mdl.optim.SGD(lr=0.1)
    with pytest.raises(ValueError, match="var_list"):
        opt.minimize(lambda: mdl.tensor(1.0))
    w = leaf(1.0)
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        opt.minimize(w * w, var_list=[w])


def test_minimize_adds_new_variables_once():
    a, b = leaf(1.0), leaf(2.0)
    opt = mdl.optim.SGD(lr=0.1)
    opt.minimize(lambda: a * a, var_list=[a])
    opt.minimize(lambda: a * a, var_list=[a])
    assert len(opt.param_groups) == 1
    opt.minimize(lambda: a * b, var_list=[a, b])
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["params"][0] is b


def test_repr_lists_groups():
    opt = mdl.optim.SGD([leaf([1.0])], lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.1" in text


# -- lr as a schedule ---------------------------------------------------------------------
def test_schedule_as_lr_is_evaluated_at_the_step_count(device):
    schedule = ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5)
    w = leaf([0.0], device)
    opt = mdl.optim.SGD([w], lr=schedule)
    total = 0.0
    for k in range(10):
        w.grad = mdl.tensor([1.0], dtype="float64", device=device)   # constant gradient
        opt.step()
        total += schedule(k)                                         # step k uses lr(k)
        assert w.item() == pytest.approx(-total, rel=1e-14)
    assert opt.iterations == 10
    assert opt.param_groups[0]["lr"] is schedule


def test_piecewise_schedule_with_adam_matches_float_lrs():
    schedule = PiecewiseConstantDecay([2, 5], [0.1, 0.05, 0.01])
    a, b = leaf([1.0, -1.0]), leaf([1.0, -1.0])
    scheduled = mdl.optim.Adam([a], lr=schedule)
    manual = mdl.optim.Adam([b], lr=0.1)
    for k in range(8):
        manual.param_groups[0]["lr"] = schedule(k)
        for w, opt in ((a, scheduled), (b, manual)):
            w.grad = mdl.tensor([0.3 * k, 1.0], dtype="float64")
            opt.step()
        assert np.array_equal(a.numpy(), b.numpy())


# -- state_dict ---------------------------------------------------------------------------
def _build(name, kwargs, problem, device="cpu"):
    params = [mdl.tensor(a, device=device, requires_grad=True) for a in problem.init]
    opt = getattr(mdl.optim, name)([{"params": params[:2]},
                                    {"params": params[2:], **group_options(kwargs)}], **kwargs)
    return params, opt


def _train(params, opt, problem, steps, device="cpu"):
    for k in steps:
        for i, p in enumerate(params):
            p.grad = mdl.tensor(problem.grad(i, p.numpy(), k), device=device)
        opt.step()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_state_dict_round_trip_resumes_bit_for_bit(case):
    name, kwargs = case
    problem = problem_for(kwargs)
    params, opt = _build(name, kwargs, problem)
    _train(params, opt, problem, range(50))                    # uninterrupted

    first, opt1 = _build(name, kwargs, problem)
    _train(first, opt1, problem, range(20))
    saved = opt1.state_dict()
    saved_values = [p.numpy().copy() for p in first]
    _train(first, opt1, problem, range(20, 25))                # training on must not matter

    resumed = [mdl.tensor(v, requires_grad=True) for v in saved_values]
    opt2 = getattr(mdl.optim, name)([{"params": resumed[:2]}, {"params": resumed[2:]}],
                                    **kwargs)
    opt2.load_state_dict(saved)
    _train(resumed, opt2, problem, range(20, 50))
    for p, q in zip(params, resumed):
        assert np.array_equal(p.numpy(), q.numpy()), name
    assert opt2.param_groups[1]["lr"] == group_options(kwargs)["lr"]


def test_state_dict_layout_is_pytorchs():
    problem = Problem()
    params, opt = _build("Adam", dict(lr=0.01, amsgrad=True), problem)
    _train(params, opt, problem, range(3))
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups", "iterations"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.005 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"]) == {0, 1, 2}
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][0]["step"] == 3
    assert isinstance(sd["state"][0]["exp_avg"], mdl.Tensor)
    assert sd["state"][0]["exp_avg"].shape == (3, 4)
    assert sd["iterations"] == 3


def test_state_dict_matches_torchs_values():
    torch = pytest.importorskip("torch")
    from tests.optim.problem import torch_float64
    problem = Problem()
    kwargs = dict(lr=0.01, betas=(0.8, 0.99))
    params, opt = _build("Adam", kwargs, problem)
    _train(params, opt, problem, range(5))
    ours = opt.state_dict()
    with torch_float64(torch):
        tparams = [torch.tensor(a, requires_grad=True) for a in problem.init]
        topt = torch.optim.Adam([{"params": tparams[:2]},
                                 {"params": tparams[2:], **group_options(kwargs)}], **kwargs,
                                foreach=False)
        for k in range(5):
            for i, p in enumerate(tparams):
                p.grad = torch.tensor(problem.grad(i, p.detach().numpy(), k))
            topt.step()
        theirs = topt.state_dict()
    assert set(ours["state"]) == set(theirs["state"])
    for index, state in theirs["state"].items():
        assert set(ours["state"][index]) == set(state)
        assert ours["state"][index]["step"] == float(state["step"])
        np.testing.assert_allclose(ours["state"][index]["exp_avg"].numpy(),
                                   state["exp_avg"].numpy(), rtol=1e-13, atol=1e-16)
    for g_ours, g_theirs in zip(ours["param_groups"], theirs["param_groups"]):
        assert g_ours["params"] == g_theirs["params"]
        assert g_ours["lr"] == g_theirs["lr"]


def test_load_state_dict_onto_another_device_and_copies():
    problem = Problem()
    kwargs = dict(lr=0.01, momentum=0.9)
    params, opt = _build("SGD", kwargs, problem)
    _train(params, opt, problem, range(3))
    sd = opt.state_dict()
    strict_params, strict_opt = _build("SGD", kwargs, problem, device="strict")
    strict_opt.load_state_dict(sd)
    buf = strict_opt.state[strict_params[0]]["momentum_buffer"]
    assert isinstance(buf, type(strict_params[0].data))
    assert np.array_equal(mdl.backends.get_backend("strict").to_numpy(buf),
                          opt.state[params[0]]["momentum_buffer"])
    # loading copies: training the source on leaves the loaded state alone
    before = mdl.backends.get_backend("strict").to_numpy(buf).copy()
    _train(params, opt, problem, range(3, 5))
    assert np.array_equal(mdl.backends.get_backend("strict").to_numpy(buf), before)


def test_load_state_dict_casts_floating_state_to_the_parameters_dtype():
    w64 = leaf(np.ones(3))
    opt64 = mdl.optim.Adam([w64], lr=0.1)
    w64.grad = mdl.tensor(np.ones(3))
    opt64.step()
    w32 = mdl.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt32 = mdl.optim.Adam([w32], lr=0.1)
    opt32.load_state_dict(opt64.state_dict())
    assert opt32.state[w32]["exp_avg"].dtype == np.float32 and opt32.state[w32]["step"] == 1


def test_load_state_dict_rejects_mismatched_groups():
    a, b, c = leaf([1.0]), leaf([2.0]), leaf([3.0])
    sd = mdl.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="2 parameter groups, but this optimizer has 1"):
        mdl.optim.SGD([a, b], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError,
                       match="group 1 has 1 parameters, but this optimizer's group 1 has 2"):
        mdl.optim.SGD([{"params": [a]}, {"params": [b, c]}], lr=0.1).load_state_dict(sd)


def test_state_dict_survives_deepcopy_of_plain_values():
    w = leaf([1.0, 2.0])
    opt = mdl.optim.NAdam([w], lr=0.1)
    w.grad = mdl.tensor([1.0, 1.0], dtype="float64")
    opt.step()
    sd = opt.state_dict()
    plain = {"state": {i: {k: (v.numpy().copy() if isinstance(v, mdl.Tensor) else v)
                           for k, v in s.items()} for i, s in sd["state"].items()},
             "param_groups": copy.deepcopy(sd["param_groups"]), "iterations": sd["iterations"]}
    other = mdl.optim.NAdam([leaf([1.0, 2.0])], lr=0.1)
    other.load_state_dict(plain)                     # NumPy arrays load as well as Tensors
    state = next(iter(other.state.values()))
    assert state["mu_product"] == opt.state[w]["mu_product"]
    assert np.array_equal(state["exp_avg"], opt.state[w]["exp_avg"])


def test_checkpoint_through_minidl_save_with_a_schedule_lr(tmp_path):
    schedule = PiecewiseConstantDecay([3, 6], [0.1, 0.05, 0.01])
    problem = Problem()
    params, opt = _build("Adam", dict(lr=schedule, amsgrad=True), problem)
    _train(params, opt, problem, range(4))
    saved = opt.state_dict()
    assert saved["param_groups"][0]["lr"] == {"schedule": "PiecewiseConstantDecay",
                                              "config": schedule.get_config()}
    path = tmp_path / "opt.npz"
    mdl.save({"optimizer": saved, "params": [p.detach() for p in params]}, path)
    checkpoint = mdl.load(path)
    _train(params, opt, problem, range(4, 9))

    resumed = [mdl.tensor(p.numpy(), requires_grad=True) for p in checkpoint["params"]]
    opt2 = mdl.optim.Adam([{"params": resumed[:2]}, {"params": resumed[2:]}])
    opt2.load_state_dict(checkpoint["optimizer"])
    lr = opt2.param_groups[0]["lr"]
    assert isinstance(lr, PiecewiseConstantDecay) and lr is not schedule
    assert [lr(k) for k in range(10)] == [schedule(k) for k in range(10)]
    _train(resumed, opt2, problem, range(4, 9))
    for p, q in zip(params, resumed):
        assert np.array_equal(p.numpy(), q.numpy())
