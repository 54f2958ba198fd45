"""Explain mode: the printed equations' Δθ and state equal what the optimizer really did."""
import numpy as np
import pytest

import minidl as mdl
from minidl.teaching import explain_step

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.8, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.1)),
]
STATE_KEYS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "sum", "square_avg", "grad_avg",
              "momentum_buffer", "acc_delta")


def _loss(theta, k):
    return (theta ** 3).sum() + (theta * theta).sum() * float(k + 1)


@pytest.mark.parametrize("name, options", CASES)
def test_explained_delta_equals_the_real_update(name, options, device):
    theta = mdl.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=mdl.float64, requires_grad=True,
                       device=device)
    opt = getattr(mdl.optim, name)([theta], **options)
    for k in range(3):
        opt.zero_grad()
        before = theta.numpy().copy()
        _loss(theta, k).backward()
        e = explain_step(opt, theta, (1, 0))
        after = theta.numpy()
        assert e.actual == after[1, 0] - before[1, 0]
        assert e.delta == pytest.approx(e.actual, abs=1e-14)
        # the other elements were updated too (explain runs the real step)
        assert after[0, 1] != before[0, 1]
        for key in STATE_KEYS:
            if key in e.values and key in e.values["state_after"]:
                assert e.values[key] == pytest.approx(e.values["state_after"][key], abs=1e-14)
        assert f"actual change made by the optimizer: {e.actual:.7g}" in e.text
        assert e.text.count("Δθ") == 1


def test_float32_agrees_to_float32_precision():
    theta = mdl.tensor([0.3, -1.7, 2.2], requires_grad=True)
    opt = mdl.optim.Adam([theta], lr=0.01)
    for k in range(3):
        opt.zero_grad()
        _loss(theta, k).backward()
        e = explain_step(opt, theta, 2)
        assert abs(e.delta - e.actual) <= 2 * np.spacing(np.float32(e.theta_before))


def test_adam_text_shows_every_quantity():
    theta = mdl.tensor([0.5, -1.0], dtype=mdl.float64, requires_grad=True)
    opt = mdl.optim.Adam([theta], lr=0.1)
    (theta * theta).sum().backward()
    e = explain_step(opt, theta, 1, name="w")
    lines = e.text.splitlines()
    assert lines[0].startswith("Adam, step 1, w[1]   (lr=0.1, betas=(0.9, 0.999), eps=1e-08")
    labels = [line.split("=")[0].strip() for line in lines[1:-1]]
    assert labels == ["g", "m", "v", "m̂", "v̂", "lr/(√v̂ + ε)", "Δθ"]
    # g = 2θ = −2; m = 0.1·g; m̂ = g; v̂ = g²; the first Adam step is −lr·sign(g)·(almost 1)
    assert lines[1] == "  g           = ∂L/∂θ               = -2"
    assert lines[2] == "  m           = β1·m + (1 − β1)·g   = 0.9·0 + 0.1·(-2) = -0.2"
    assert lines[4] == "  m̂           = m / (1 − β1ᵗ)       = -0.2 / (1 − 0.9^1) = -2"
    assert e.values["m_hat"] == pytest.approx(-2.0) and e.values["v_hat"] == pytest.approx(4.0)
    assert e.delta == pytest.approx(0.1 * 2 / (2 + 1e-8))
    assert lines[-1] == "  θ           : -1 → -0.9   (actual change made by the optimizer: 0.1)"


def test_sgd_momentum_by_hand_numbers():
    """The classic lesson: with μ = 0.9 and a constant gradient 1, steps are 0.1 then 0.19."""
    w = mdl.tensor([0.0], dtype=mdl.float64, requires_grad=True)
    opt = mdl.optim.SGD([w], lr=0.1, momentum=0.9)
    deltas = []
    for _ in range(2):
        opt.zero_grad()
        w.sum().backward()     # gradient 1
        deltas.append(explain_step(opt, w, 0).delta)
    assert deltas == pytest.approx([-0.1, -0.19])


def test_schedule_lr_is_the_one_used():
    w = mdl.tensor([1.0], dtype=mdl.float64, requires_grad=True)
    opt = mdl.optim.SGD([w], lr=lambda k: 0.1 / (k + 1))
    for k in range(3):
        opt.zero_grad()
        w.sum().backward()
        e = explain_step(opt, w, 0)
        assert e.delta == pytest.approx(-0.1 / (k + 1)) == pytest.approx(e.actual)


def test_errors_are_clear():
    w = mdl.tensor([1.0, 2.0], requires_grad=True)
    other = mdl.tensor([1.0], requires_grad=True)
    opt = mdl.optim.SGD([w], lr=0.1)
    with pytest.raises(RuntimeError, match="has no gradient; call loss.backward"):
        explain_step(opt, w, 0)
    w.sum().backward()
    with pytest.raises(ValueError, match="not one of the optimizer's parameters"):
        explain_step(opt, other, 0)
    with pytest.raises(IndexError, match="index 5 is out of range for a parameter of shape"):
        explain_step(opt, w, 5)
    with pytest.raises(NotImplementedError, match="no explanation written for NAdam"):
        explain_step(mdl.optim.NAdam([w]), w, 0)


def test_explain_step_dispatches_through_the_class_hierarchy():
    import minidl as mdl
    from minidl.teaching import explain_step

    class MyAdam(mdl.optim.Adam):  # keeps Adam's update: explained as Adam
        pass

    class Rewritten(mdl.optim.Adam):
        def update(self, theta, g, state, **options):
            theta -= g

    w = mdl.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    assert explain_step(MyAdam([w], lr=0.1), w).title.startswith("Adam")
    with pytest.raises(NotImplementedError, match="Rewritten"):
        explain_step(Rewritten([w]), w)
