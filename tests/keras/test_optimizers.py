"""minidl.keras.optimizers against Keras 3 (torch backend): defaults, configs, 20-step
trajectories of every optimizer and option, state variables, and the API around them."""
import inspect

import numpy as np
import pytest

import minidl as mdl
from minidl.keras import optimizers
from minidl.optim import schedules
from tests.keras.reference import keras_module, to_numpy

NAMES = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam"]
SHAPES = [(3, 4), (5,)]
STEPS = 20

# (class, options): every option Keras's rules branch on, plus the base class's extras
CASES = [
    ("SGD", {"learning_rate": 0.05}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {"learning_rate": 0.01}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5}),
    ("Adam", {"learning_rate": 0.05}),
    ("Adam", {"learning_rate": 0.05, "amsgrad": True}),
    ("AdamW", {"learning_rate": 0.05}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.0}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {"learning_rate": 0.05}),
    ("Nadam", {"learning_rate": 0.05}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.05}),
    ("RMSprop", {"learning_rate": 0.01, "weight_decay": 0.05}),
    ("Nadam", {"learning_rate": 0.05, "weight_decay": 0.05}),
    ("Adam", {"learning_rate": 0.05, "clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.05, "global_clipnorm": 0.5}),
    ("Adagrad", {"learning_rate": 0.1, "clipvalue": 0.2}),
    ("SGD", {"learning_rate": ("ExponentialDecay", dict(initial_learning_rate=0.1,
                                                        decay_steps=5, decay_rate=0.5)),
             "momentum": 0.9}),
    ("Adam", {"learning_rate": ("PiecewiseConstantDecay", dict(boundaries=[5, 10],
                                                               values=[0.1, 0.05, 0.01]))}),
    ("RMSprop", {"learning_rate": ("CosineDecay", dict(initial_learning_rate=0.01,
                                                       decay_steps=20))}),
    ("AdamW", {"learning_rate": ("InverseTimeDecay", dict(initial_learning_rate=0.05,
                                                          decay_steps=4, decay_rate=0.5,
                                                          staircase=True))}),
    ("Adamax", {"learning_rate": ("PolynomialDecay", dict(initial_learning_rate=0.05,
                                                          decay_steps=15))}),
]


def _options(options, library):
    out = dict(options)
    lr = out.get("learning_rate")
    if isinstance(lr, tuple):
        name, config = lr
        module = schedules if library == "minidl" else keras_module().optimizers.schedules
        out["learning_rate"] = getattr(module, name)(**config)
    return out


def _gradient(theta, k, i):
    """A fixed gradient field: g = θ³ − θ + r_k (r_k the same random array for both)."""
    r = np.random.default_rng(100 * k + i).standard_normal(theta.shape)
    t = theta.astype(np.float64)
    return (t ** 3 - t + r).astype(np.float32)


def _initial():
    rng = np.random.default_rng(7)
    return [rng.standard_normal(s).astype(np.float32) for s in SHAPES]


def _keras_trajectory(name, options):
    keras = keras_module()
    import torch
    opt = getattr(keras.optimizers, name)(**_options(options, "keras"))
    variables = [keras.Variable(a) for a in _initial()]
    out = []
    for k in range(STEPS):
        grads = [torch.from_numpy(_gradient(to_numpy(v), k, i)) for i, v in enumerate(variables)]
        opt.apply_gradients(zip(grads, variables))
        out.append([to_numpy(v).copy() for v in variables])
    return out, opt


def _minidl_trajectory(name, options, device="cpu"):
    opt = getattr(optimizers, name)(**_options(options, "minidl"))
    params = [mdl.Tensor(a, device=device, requires_grad=True) for a in _initial()]
    out = []
    for k in range(STEPS):
        grads = [_gradient(p.numpy(), k, i) for i, p in enumerate(params)]
        opt.apply_gradients(zip(grads, params))
        out.append([p.numpy().copy() for p in params])
    return out, opt


def max_deviation(a, b):
    return max(float(np.max(np.abs(x - y))) for step_a, step_b in zip(a, b)
               for x, y in zip(step_a, step_b))


@pytest.mark.parametrize("name, options", CASES, ids=lambda v: str(v) if isinstance(v, str)
                         else ",".join(f"{k}={v[k] if not isinstance(v[k], tuple) else v[k][0]}"
                                       for k in v))
def test_trajectory_matches_keras(name, options, device):
    expected, _ = _keras_trajectory(name, options)
    actual, _ = _minidl_trajectory(name, options, device)
    deviation = max_deviation(actual, expected)
    moved = max(float(np.max(np.abs(x - y))) for x, y in zip(expected[-1], _initial()))
    assert moved > 1e-2, "the case does not move the parameters: it could not catch a bug"
    # float32 arithmetic in two different operation orders, over 20 steps
    assert deviation <= 2e-6 * max(1.0, moved), (name, options, deviation)


@pytest.mark.parametrize("name", NAMES)
def test_signature_and_defaults_match_keras(name):
    keras = keras_module()
    ours = inspect.signature(getattr(optimizers, name).__init__).parameters
    theirs = inspect.signature(getattr(keras.optimizers, name).__init__).parameters
    assert list(ours) == list(theirs)
    for arg in theirs:
        assert ours[arg].default == theirs[arg].default, arg


@pytest.mark.parametrize("name", NAMES)
def test_config_matches_keras(name):
    keras = keras_module()
    ours = getattr(optimizers, name)().get_config()
    theirs = getattr(keras.optimizers, name)().get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours.keys() == theirs.keys()
    for key in theirs:
        assert ours[key] == pytest.approx(theirs[key]) if isinstance(theirs[key], float) \
            else ours[key] == theirs[key], key


@pytest.mark.parametrize("name, options", [c for c in CASES if "clip" not in str(c)][:16])
def test_variables_match_keras(name, options):
    """``variables`` in Keras's order and values after 20 steps (iteration, lr, slots...)."""
    _, theirs = _keras_trajectory(name, options)
    _, ours = _minidl_trajectory(name, options)
    theirs = [to_numpy(v) for v in theirs.variables]
    ours = [v.numpy() for v in ours.variables]
    assert [v.shape for v in ours] == [v.shape for v in theirs]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_names_and_config_round_trip():
    opt = optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.9), amsgrad=True)
    config = opt.get_config()
    again = optimizers.Adam.from_config(config)
    assert again.get_config() == config
    assert isinstance(again.defaults["lr"], schedules.ExponentialDecay)
    assert optimizers.get(optimizers.serialize(opt)).get_config() == config


def test_keras_schedule_config_is_read():
    """A config that Keras wrote (a Keras schedule inside) rebuilds minidl's schedule."""
    keras = keras_module()
    config = keras.optimizers.Adam(
        learning_rate=keras.optimizers.schedules.CosineDecay(0.1, 100)).get_config()
    opt = optimizers.Adam.from_config(config)
    assert isinstance(opt.defaults["lr"], schedules.CosineDecay)
    assert opt.learning_rate == pytest.approx(0.1)


@pytest.mark.parametrize("identifier", ["sgd", "SGD", "rmsprop", "adam", "AdamW", "adagrad",
                                        "adadelta", "adamax", "nadam"])
def test_get_by_name(identifier):
    opt = optimizers.get(identifier)
    assert type(opt).__name__.lower() == identifier.lower()


def test_get_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="known optimizers.*'adam'.*'sgd'"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Could not interpret"):
        optimizers.get(42)


def test_get_returns_the_same_object_and_reads_dicts():
    opt = optimizers.SGD()
    assert optimizers.get(opt) is opt
    made = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5,
                                                           "momentum": 0.9}})
    assert made.learning_rate == 0.5 and made.momentum == 0.9


def test_learning_rate_is_settable_and_schedule_is_not():
    w = mdl.tensor([1.0], requires_grad=True)
    opt = optimizers.SGD(learning_rate=0.1)
    opt.build([w])
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.param_groups[0]["lr"] == 0.5
    opt.apply_gradients([(np.array([1.0], np.float32), w)])
    assert w.item() == pytest.approx(0.5)
    scheduled = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 1, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        scheduled.learning_rate = 0.1


def test_schedule_is_evaluated_at_iterations():
    w = mdl.tensor([0.0], requires_grad=True)
    opt = optimizers.SGD(learning_rate=schedules.PiecewiseConstantDecay([0], [1.0, 0.1]))
    assert opt.learning_rate == 1.0
    opt.apply_gradients([(np.array([1.0], np.float32), w)])
    assert opt.learning_rate == pytest.approx(0.1)
    assert w.item() == pytest.approx(-1.0)


def test_apply_leaves_grads_alone_and_updates_only_given_variables():
    a = mdl.tensor([1.0], requires_grad=True)
    b = mdl.tensor([1.0], requires_grad=True)
    opt = optimizers.SGD(learning_rate=0.1)
    opt.build([a, b])
    b.grad = mdl.tensor([5.0])
    opt.apply([mdl.tensor([1.0])], [a])
    assert a.item() == pytest.approx(0.9) and b.item() == 1.0
    assert b.grad.item() == 5.0 and a.grad is None


def test_apply_without_variables_uses_the_built_list():
    a = mdl.tensor([1.0], requires_grad=True)
    opt = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([np.ones(1, np.float32)])
    opt.build([a])
    opt.apply([np.ones(1, np.float32)])
    assert a.item() == pytest.approx(0.9)


def test_apply_errors_name_the_problem():
    a = mdl.tensor([1.0, 2.0], requires_grad=True)
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match=r"shape \(3,\) does not match"):
        opt.apply_gradients([(np.ones(3, np.float32), a)])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(np.ones(1, np.float32), mdl.tensor([1.0], requires_grad=True))])
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply_gradients([(None, a)])
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        b = mdl.tensor([1.0], requires_grad=True)
        opt2 = optimizers.SGD()
        opt2.apply_gradients([(np.ones(2, np.float32), a), (None, b)])


def test_minimize_with_a_function_and_with_a_tensor():
    w = mdl.tensor([3.0], requires_grad=True)
    opt = optimizers.SGD(learning_rate=0.1)
    loss = opt.minimize(lambda: (w * w).sum(), [w])
    assert loss.item() == pytest.approx(9.0)
    assert w.item() == pytest.approx(3.0 - 0.1 * 6.0)
    loss = (w * w).sum()
    opt.minimize(loss, [w])
    assert w.item() == pytest.approx(2.4 - 0.1 * 4.8)
    assert opt.iterations == 2
    with pytest.raises(TypeError, match="loss must be a Tensor"):
        opt.minimize(lambda: 3.0, [w])


def test_minimize_matches_keras_on_a_small_regression():
    """minimize(loss_fn, var_list) reproduces Keras's apply_gradients of the same gradients."""
    keras = keras_module()
    import torch
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    y = rng.standard_normal((16, 1)).astype(np.float32)
    w0 = rng.standard_normal((3, 1)).astype(np.float32)
    w = mdl.tensor(w0, requires_grad=True)
    opt = optimizers.Adam(learning_rate=0.1)
    kw = keras.Variable(w0)
    kopt = keras.optimizers.Adam(learning_rate=0.1)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(10):
        opt.minimize(lambda: ((mdl.tensor(x) @ w - mdl.tensor(y)) ** 2).mean(), [w])
        kv = kw.value.detach().requires_grad_(True)
        loss = ((xt @ kv - yt) ** 2).mean()
        loss.backward()
        kopt.apply_gradients([(kv.grad, kw)])
    np.testing.assert_allclose(w.numpy(), to_numpy(kw), atol=1e-5)


def test_loss_scale_factor_divides_the_gradients():
    w = mdl.tensor([1.0], requires_grad=True)
    opt = optimizers.SGD(learning_rate=0.1, loss_scale_factor=8.0)
    opt.minimize(lambda: (w * w).sum(), [w])
    assert w.item() == pytest.approx(0.8)


def test_unsupported_keras_options_raise():
    with pytest.raises(NotImplementedError, match="use_ema"):
        optimizers.Adam(use_ema=True)
    with pytest.raises(NotImplementedError, match="gradient_accumulation_steps"):
        optimizers.Adam(gradient_accumulation_steps=2)
    with pytest.raises(ValueError, match="Argument\\(s\\) not recognized"):
        optimizers.Adam(lr=0.1)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)


def test_set_weights_and_store_round_trip():
    a, opt = _minidl_trajectory("Nadam", {"learning_rate": 0.05})
    store = {}
    opt.save_own_variables(store)
    fresh = optimizers.Nadam(learning_rate=0.05)
    params = [mdl.Tensor(x, requires_grad=True) for x in a[-1]]
    fresh.build(params)
    fresh.load_own_variables(store)
    assert fresh.iterations == STEPS and fresh.u_product == pytest.approx(opt.u_product)
    for x, y in zip(fresh.variables, opt.variables):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizers.Nadam().load_own_variables(store)


def test_state_dict_resumes_exactly(tmp_path):
    """Trainer checkpoints use state_dict: the resumed run continues bit for bit."""
    full, _ = _minidl_trajectory("Nadam", {"learning_rate": 0.05})
    opt = optimizers.Nadam(learning_rate=0.05)
    params = [mdl.Tensor(x, requires_grad=True) for x in _initial()]
    for k in range(10):
        opt.apply_gradients(zip([_gradient(p.numpy(), k, i) for i, p in enumerate(params)],
                                params))
    mdl.save(opt.state_dict(), tmp_path / "opt.mdl")
    resumed = optimizers.Nadam(learning_rate=0.05)
    resumed.build(params)
    resumed.load_state_dict(mdl.load(tmp_path / "opt.mdl"))
    for k in range(10, STEPS):
        resumed.apply_gradients(zip([_gradient(p.numpy(), k, i) for i, p in enumerate(params)],
                                    params))
    for p, expected in zip(params, full[-1]):
        np.testing.assert_array_equal(p.numpy(), expected)


def test_works_as_a_pytorch_style_optimizer():
    """zero_grad / backward / step, as the Trainer drives an optimizer."""
    w = mdl.tensor([3.0], requires_grad=True)
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.build([w])
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    # v1 = −0.6, θ1 = 2.4; v2 = 0.9·(−0.6) − 0.1·4.8 = −1.02, θ2 = 1.38
    assert w.item() == pytest.approx(1.38)
