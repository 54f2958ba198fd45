"""Adam's whole-group path (flat m and v buffers) against its per-parameter path, bit for bit."""
import numpy as np
import pytest

import minidl as mdl
from minidl import optim


class PerParameter:
    """Mixin: never take the whole-group path."""
    def update_group(self, group, options):
        return False


class AdamPerParameter(PerParameter, optim.Adam):
    pass


class AdamWPerParameter(PerParameter, optim.AdamW):
    pass


SHAPES = [(5, 3), (3,), (2, 5), (2,)]


def make_params(device, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [mdl.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True, device=device)
            for s in SHAPES]


def set_grads(params, step, seed=1):
    rng = np.random.default_rng(seed + step)
    for p in params:
        g = rng.standard_normal(p.shape).astype(p.dtype)
        p.grad = mdl.tensor(g, device=p.device)


def run(cls, device, dtype, steps, **options):
    params = make_params(device, dtype)
    opt = cls(params, **options)
    for step in range(steps):
        set_grads(params, step)
        opt.step()
    return params, opt


CASES = [
    (optim.Adam, AdamPerParameter, {}),
    (optim.Adam, AdamPerParameter, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    (optim.Adam, AdamPerParameter, {"betas": (0.8, 0.99), "eps": 1e-6}),
    (optim.AdamW, AdamWPerParameter, {}),
    (optim.AdamW, AdamWPerParameter, {"amsgrad": True, "weight_decay": 0.3}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fast, slow, options", CASES)
def test_group_path_equals_per_parameter_path_bit_for_bit(device, dtype, fast, slow, options):
    got, opt = run(fast, device, dtype, 7, **options)
    want, _ = run(slow, device, dtype, 7, **options)
    for a, b in zip(got, want):
        assert np.array_equal(a.numpy(), b.numpy())
    assert opt._flat, "the whole-group path was not taken"
    for p, q in zip(opt.state_dict()["state"].values(), _.state_dict()["state"].values()):
        assert p.keys() == q.keys()
        for name in p:
            assert np.array_equal(np.asarray(mdl.tensor(p[name]).numpy()),
                                  np.asarray(mdl.tensor(q[name]).numpy()))


def test_state_holds_views_of_one_buffer_in_each_parameters_shape(device):
    params, opt = run(optim.Adam, device, np.float32, 2)
    flat = next(iter(opt._flat.values()))
    for p, view in zip(params, flat.views["exp_avg"]):
        assert opt.state[p]["exp_avg"] is view
        assert tuple(view.shape) == p.shape
        assert opt.state[p]["step"] == 2
    assert opt.state_dict()["state"][0]["exp_avg"].shape == SHAPES[0]


def test_a_missing_gradient_falls_back_and_results_still_match(device):
    def train(cls):
        params = make_params(device, np.float32)
        opt = cls(params)
        for step in range(6):
            set_grads(params, step)
            if step == 2:
                params[1].grad = None  # this step updates the others only
            opt.step()
        return params
    for a, b in zip(train(optim.Adam), train(AdamPerParameter)):
        assert np.array_equal(a.numpy(), b.numpy())


def test_resume_from_state_dict_after_group_steps_is_exact(device):
    params, opt = run(optim.Adam, device, np.float64, 3)
    saved = opt.state_dict()
    snapshot = [p.numpy().copy() for p in params]
    for step in range(3, 6):
        set_grads(params, step)
        opt.step()
    reference = [p.numpy().copy() for p in params]

    resumed = [mdl.tensor(s, requires_grad=True, device=device) for s in snapshot]
    opt2 = optim.Adam(resumed)
    opt2.load_state_dict(saved)
    for step in range(3, 6):
        set_grads(resumed, step)
        opt2.step()
    for a, b in zip(resumed, reference):
        assert np.array_equal(a.numpy(), b)


def test_load_state_dict_rewires_the_flat_buffers(device):
    params, opt = run(optim.Adam, device, np.float32, 2)
    opt.load_state_dict(opt.state_dict())  # new state arrays: the old packing no longer holds
    set_grads(params, 9)
    opt.step()
    flat = next(iter(opt._flat.values()))
    assert all(opt.state[p]["exp_avg"] is v for p, v in zip(params, flat.views["exp_avg"]))
    assert all(opt.state[p]["step"] == 3 for p in params)


def test_mixed_dtypes_use_the_per_parameter_path(device):
    a = mdl.tensor(np.ones(3, np.float32), requires_grad=True, device=device)
    b = mdl.tensor(np.ones(3, np.float64), requires_grad=True, device=device)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = mdl.ones(3, device=device)
    b.grad = mdl.ones(3, dtype="float64", device=device)
    opt.step()
    assert not any(opt._flat.values())
    assert np.allclose(a.numpy(), 0.9) and np.allclose(b.numpy(), 0.9)
