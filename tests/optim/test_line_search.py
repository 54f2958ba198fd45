"""The strong Wolfe line search on 1-D functions with known answers, and against PyTorch's."""
import math

import numpy as np
import pytest

from minidl.optim.line_search import TrialPoint, cubic_minimizer, strong_wolfe

C1, C2 = 1e-4, 0.9


def line(f, df):
    """φ as the line search sees it: t ↦ TrialPoint(t, φ(t), φ'(t) as a 1-vector, φ'(t))."""
    def phi(t):
        slope = float(df(t))
        return TrialPoint(t, float(f(t)), np.array([slope]), slope)
    return phi


def assert_strong_wolfe(point, start):
    assert point.f <= start.f + C1 * point.t * start.gtd            # sufficient decrease
    assert abs(point.gtd) <= -C2 * start.gtd                         # curvature


def test_cubic_minimizer_is_exact_on_a_cubic():
    phi = line(lambda t: t ** 3 - 3 * t, lambda t: 3 * t ** 2 - 3)   # local minimum at t = 1
    assert cubic_minimizer(phi(0.0), phi(2.0)) == pytest.approx(1.0, abs=1e-15)
    assert cubic_minimizer(phi(2.0), phi(0.0)) == cubic_minimizer(phi(0.0), phi(2.0))
    assert cubic_minimizer(phi(0.0), phi(2.0), bounds=(1.5, 3.0)) == 1.5     # clipped


def test_cubic_minimizer_without_a_minimum_takes_the_middle():
    a, b = TrialPoint(0.0, 0.0, None, 1.0), TrialPoint(1.0, 0.9, None, 1.0)   # d₁² < φ'(a)φ'(b)
    assert cubic_minimizer(a, b) == 0.5
    assert cubic_minimizer(a, b, bounds=(2.0, 4.0)) == 3.0


def test_an_acceptable_first_step_is_taken_at_once():
    phi = line(lambda t: (t - 2.0) ** 2, lambda t: 2 * (t - 2.0))
    start = phi(0.0)
    point, evaluations = strong_wolfe(phi, start, t=1.0)
    assert (point.t, evaluations) == (1.0, 1)
    assert_strong_wolfe(point, start)


def test_a_short_first_step_is_extrapolated():
    """φ = (t − 1000)²: t = 1 is far too short; bracketing grows it by at most 10× a trial."""
    phi = line(lambda t: (t - 1000.0) ** 2, lambda t: 2 * (t - 1000.0))
    start = phi(0.0)
    tried = []
    point, evaluations = strong_wolfe(lambda t: tried.append(t) or phi(t), start, t=1.0)
    assert tried == [1.0, 10.0, 100.0]            # the cubic's 1000 is capped at 10·t each time
    assert evaluations == 3 and point.t == 100.0  # |φ'(100)| = 0.9·|φ'(0)|: just flat enough
    assert_strong_wolfe(point, start)


def test_a_long_first_step_is_zoomed_into():
    """φ = (t − 1)²: t = 10 fails to decrease φ, so [0, 10] is bracketed and zoomed into; the
    cubic through the ends of a quadratic lands on its minimum."""
    phi = line(lambda t: (t - 1.0) ** 2, lambda t: 2 * (t - 1.0))
    start = phi(0.0)
    point, evaluations = strong_wolfe(phi, start, t=10.0)
    assert evaluations == 2
    assert point.t == pytest.approx(1.0, abs=1e-12)
    assert_strong_wolfe(point, start)


@pytest.mark.parametrize("f, df, t", [
    (lambda t: (t - 1.0) ** 4 - t, lambda t: 4 * (t - 1.0) ** 3 - 1, 50.0),
    (lambda t: -math.sin(t) - 0.1 * t, lambda t: -math.cos(t) - 0.1, 0.01),
    (lambda t: -math.sin(t) - 0.1 * t, lambda t: -math.cos(t) - 0.1, 6.0),
    (lambda t: math.exp(t) - 5 * t, lambda t: math.exp(t) - 5, 30.0),
    (lambda t: t * t * (t - 3.0) - t, lambda t: 3 * t * t - 6 * t - 1, 2.5),
], ids=["quartic-far", "sine-short", "sine-past-a-bump", "exp-far", "cubic"])
def test_the_returned_step_satisfies_the_strong_wolfe_conditions(f, df, t):
    phi = line(f, df)
    start = phi(0.0)
    assert start.gtd < 0
    point, evaluations = strong_wolfe(phi, start, t=t)
    assert 1 <= evaluations <= 26
    assert_strong_wolfe(point, start)


@pytest.mark.parametrize("max_ls", [0, 1, 2, 5, 25])
@pytest.mark.parametrize("f, df, t", [
    (lambda s: -s ** 3 - s, lambda s: -3 * s * s - 1, 1.0),               # never flattens
    (lambda s: abs(s - 1.0) - 1.0, lambda s: math.copysign(1.0, s - 1.0), 3.0),   # a kink
], ids=["bracketing-budget", "zoom-budget"])
def test_evaluations_never_exceed_the_budget(max_ls, f, df, t):
    """The first trial plus at most max_ls more; then the lower end found is returned."""
    phi = line(f, df)
    start, seen = phi(0.0), []
    point, evaluations = strong_wolfe(lambda s: seen.append(phi(s)) or seen[-1], start, t=t,
                                      max_ls=max_ls, tolerance_change=0.0)
    assert evaluations == len(seen) == max_ls + 1
    assert point in seen + [start] and point.f <= start.f


def test_stops_when_the_interval_no_longer_moves_x():
    """A kink the cubic cannot resolve: the zoom ends on the interval's width (times max|d|)."""
    phi = line(lambda s: abs(s - 1.0) - 1.0, lambda s: math.copysign(1.0, s - 1.0))
    start = phi(0.0)
    unit, n_unit = strong_wolfe(phi, start, t=3.0, scale=1.0, max_ls=100)
    large, n_large = strong_wolfe(phi, start, t=3.0, scale=1e6, max_ls=100)
    assert n_unit < n_large < 101          # a longer d needs a narrower interval in t
    assert abs(unit.t - 1.0) < 1e-9 and abs(large.t - 1.0) < 1e-14


@pytest.mark.parametrize("f, df, t", [
    (lambda t: (t - 1.0) ** 4 - t, lambda t: 4 * (t - 1.0) ** 3 - 1, 50.0),
    (lambda t: -math.sin(t) - 0.1 * t, lambda t: -math.cos(t) - 0.1, 0.01),
    (lambda t: -math.sin(t) - 0.1 * t, lambda t: -math.cos(t) - 0.1, 6.0),
    (lambda t: math.exp(t) - 5 * t, lambda t: math.exp(t) - 5, 30.0),
    (lambda t: abs(t - 1.0) - 1.0, lambda t: math.copysign(1.0, t - 1.0), 3.0),
    (lambda t: -t ** 3 - t, lambda t: -3 * t * t - 1, 1.0),
], ids=["quartic-far", "sine-short", "sine-past-a-bump", "exp-far", "kink", "unbounded"])
def test_matches_torchs_line_search(f, df, t):
    """The same trial steps, in the same order, and the same answer as PyTorch's."""
    torch = pytest.importorskip("torch")
    torch_search = getattr(pytest.importorskip("torch.optim.lbfgs"), "_strong_wolfe", None)
    if torch_search is None:
        pytest.skip("this torch has no torch.optim.lbfgs._strong_wolfe")
    phi = line(f, df)
    ours, theirs = [], []
    point, evaluations = strong_wolfe(lambda s: ours.append(s) or phi(s), phi(0.0), t=t)

    def torch_phi(x, s, d):
        theirs.append(float(s))
        return float(f(float(s))), torch.tensor([float(df(float(s)))], dtype=torch.float64)

    d = torch.ones(1, dtype=torch.float64)
    g0 = torch.tensor([float(df(0.0))], dtype=torch.float64)
    f_t, g_t, t_t, n_t = torch_search(torch_phi, None, t, d, float(f(0.0)), g0, g0.dot(d))
    assert evaluations == n_t and ours == theirs
    assert (point.t, point.f, float(point.g[0])) == (float(t_t), float(f_t), float(g_t[0]))
