"""Surfaces, optimizer races and their pictures (pictures skip without matplotlib)."""
import numpy as np
import pytest

from minidl.teaching import SURFACES, compare_optimizers, get_surface, run_optimizer
from minidl.teaching.compare import parse_spec


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_surface_gradient_matches_finite_differences(name):
    s = SURFACES[name]
    point = (0.3, -0.7)
    f, (gx, gy) = s.value_and_grad(point)
    h = 1e-6
    fx = (s.value_and_grad((0.3 + h, -0.7))[0] - s.value_and_grad((0.3 - h, -0.7))[0]) / (2 * h)
    fy = (s.value_and_grad((0.3, -0.7 + h))[0] - s.value_and_grad((0.3, -0.7 - h))[0]) / (2 * h)
    assert (gx, gy) == pytest.approx((fx, fy), rel=1e-6, abs=1e-6)
    if s.minimum is not None:
        fmin, gmin = s.value_and_grad(s.minimum)
        assert fmin == pytest.approx(0.0, abs=1e-12) and gmin == pytest.approx((0.0, 0.0))


def test_run_optimizer_is_the_optimizer_itself():
    """Two plain SGD steps on the valley, by hand: θ ← θ − lr·∇f, ∇f = (x, 25y)."""
    t = run_optimizer("valley", "sgd", lr=0.01, start=(2.0, 1.0), steps=2)
    x, y = 2.0, 1.0
    expected = [(x, y)]
    for _ in range(2):
        x, y = x - 0.01 * x, y - 0.01 * 25 * y
        expected.append((x, y))
    np.testing.assert_allclose(t.points, expected, rtol=1e-12)
    np.testing.assert_allclose(t.losses, [0.5 * (a * a + 25 * b * b) for a, b in expected])


def test_saddle_sgd_stays_momentum_and_adaptive_escape():
    paths = compare_optimizers("saddle", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop",
                                          "adam"])
    sgd = paths.pop("sgd")
    # plain SGD ends near the saddle point (0, 0), barely off the ridge y = 0
    assert abs(sgd.points[-1][1]) < 0.05 and abs(sgd.points[-1][0]) < 0.2
    for t in paths.values():   # every other one has left the saddle far behind
        assert abs(t.points[-1][1]) > 1.5, t
        assert t.losses[-1] < -2.0, t
    assert all(len(t.points) >= 2 for t in paths.values())


def test_same_start_and_specs():
    paths = compare_optimizers("rosenbrock", ["adam:0.02", "momentum"], steps=5,
                               start=(0.0, 0.0))
    assert list(paths) == ["adam", "momentum"]
    assert paths["adam"].lr == 0.02 and paths["momentum"].lr == SURFACES["rosenbrock"].lrs[
        "momentum"]
    for t in paths.values():
        assert tuple(t.points[0]) == (0.0, 0.0) and len(t.points) == 6 == len(t.losses)
    assert parse_spec(" Adam:1e-3 ") == ("adam", 1e-3)
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'"):
        parse_spec("adamm")
    with pytest.raises(ValueError, match="unknown surface 'himmelblau'"):
        get_surface("himmelblau")


def test_divergence_stops_the_run():
    t = run_optimizer("valley", "sgd", lr=1.0, steps=200)   # lr·25 > 2: diverges along y
    assert t.stopped is not None and len(t.points) < 201
