"""A line search for the strong Wolfe conditions (Nocedal & Wright, Numerical Optimization,
2nd ed., Algorithms 3.5 and 3.6, with the cubic step of eq. 3.59).

Along a descent direction d from x, write φ(t) = f(x + t·d), so φ'(t) = ∇f(x + t·d)ᵀd and
φ'(0) < 0. A step t satisfies the *strong Wolfe conditions* when

    φ(t) ≤ φ(0) + c₁·t·φ'(0)          (sufficient decrease, "Armijo")
    |φ'(t)| ≤ c₂·|φ'(0)|               (curvature: the slope has flattened enough)

with 0 < c₁ < c₂ < 1 (here c₁ = 1e−4, c₂ = 0.9, the usual choice for quasi-Newton methods).

The search runs in two phases:

* bracketing (``_bracket``, Alg. 3.5): try steps that grow, t₀ < t₁ < …, until one of them
  satisfies both conditions (done), or an interval [tᵢ₋₁, tᵢ] is known to contain such a step;
* zoom (``_zoom``, Alg. 3.6): shrink that interval, always keeping at one end the lowest point
  seen, until a step inside it satisfies both conditions.

Every trial step is a :class:`TrialPoint`. The choices below (extrapolation bounds, the
safeguard against steps stuck next to an end, the tie-breaks, the order of evaluations, the
budget) are those of ``torch.optim.LBFGS(line_search_fn='strong_wolfe')``, so that minidl's
L-BFGS takes the same steps with the same number of function evaluations.
"""
import math
from collections import namedtuple

TrialPoint = namedtuple("TrialPoint", ["t", "f", "g", "gtd"])
TrialPoint.__doc__ = """One evaluated step: t, φ(t) = f(x + t·d), the full gradient
g = ∇f(x + t·d) (an array, handed back to the optimizer) and the slope φ'(t) = gᵀd."""


def cubic_minimizer(p, q, bounds=None):
    """The minimizer of the cubic that matches φ and φ' at the trial points p and q
    (Nocedal & Wright eq. 3.59), clipped to ``bounds`` (default: the interval between them).

    With a the left point and b the right one:

        d₁ = φ'(a) + φ'(b) − 3·(φ(a) − φ(b)) / (a − b)
        d₂ = √(d₁² − φ'(a)·φ'(b))
        t  = b − (b − a)·(φ'(b) + d₂ − d₁) / (φ'(b) − φ'(a) + 2·d₂)

    When d₁² < φ'(a)·φ'(b) the cubic has no minimizer; the middle of ``bounds`` is used.

    >>> a = TrialPoint(0.0, 0.0, None, -2.0)         # φ(t) = t² − 2t, minimum at t = 1
    >>> b = TrialPoint(3.0, 3.0, None, 4.0)
    >>> cubic_minimizer(a, b)
    1.0
    """
    left, right = (p, q) if p.t <= q.t else (q, p)
    low_bound, high_bound = bounds if bounds is not None else (left.t, right.t)
    d1 = left.gtd + right.gtd - 3 * (left.f - right.f) / (left.t - right.t)
    discriminant = d1 ** 2 - left.gtd * right.gtd
    if discriminant >= 0:
        d2 = math.sqrt(discriminant)
        t = right.t - (right.t - left.t) * ((right.gtd + d2 - d1)
                                            / (right.gtd - left.gtd + 2 * d2))
        return min(max(t, low_bound), high_bound)
    return (low_bound + high_bound) / 2.0


class _Trials:
    """Evaluates φ at trial steps and counts them against the budget: one first trial, then at
    most ``max_ls`` more."""

    def __init__(self, phi, max_ls):
        self.phi, self.max_ls, self.count = phi, max_ls, 0

    def at(self, t):
        self.count += 1
        return self.phi(t)

    def may_continue(self):
        return self.count - 1 < self.max_ls


def strong_wolfe(phi, start, t, scale=1.0, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Search for a step satisfying the strong Wolfe conditions, starting with step ``t``.

    Args:
        phi: ``phi(t)`` evaluates f at x + t·d and returns a :class:`TrialPoint`.
        start: the :class:`TrialPoint` at t = 0 (its slope must be negative).
        t: the first step to try.
        scale: max|d|; the search stops when the interval times this is under
            ``tolerance_change`` (the steps no longer move x).
        c1, c2: the constants of the two conditions.
        max_ls: the number of evaluations allowed after the first trial.

    Returns:
        (the accepted :class:`TrialPoint`, the number of evaluations of φ). When the budget or
        the tolerance ends the search first, the lowest point found (possibly ``start``).

    >>> def phi(t):                                   # φ(t) = (t − 2)², from t = 0
    ...     return TrialPoint(t, (t - 2.0) ** 2, None, 2.0 * (t - 2.0))
    >>> point, evaluations = strong_wolfe(phi, phi(0.0), t=1.0)
    >>> point.t, evaluations                          # the first step already qualifies
    (1.0, 1)
    """
    trials = _Trials(phi, max_ls)

    def sufficient_decrease(p):
        return not p.f > start.f + c1 * p.t * start.gtd

    def flat_enough(p):
        return abs(p.gtd) <= -c2 * start.gtd

    found, interval = _bracket(trials, start, trials.at(t), sufficient_decrease, flat_enough)
    if found is None:
        found = _zoom(trials, interval, scale, tolerance_change,
                      sufficient_decrease, flat_enough, start)
    return found, trials.count


def _bracket(trials, start, trial, sufficient_decrease, flat_enough):
    """Phase 1 (Alg. 3.5): extrapolate until a step is accepted or an interval is bracketed.

    Invariant: every step tried before ``trial`` (``previous``, 0 at first) decreased φ
    sufficiently and still had a negative slope. So a minimizer of φ lies beyond ``previous``:
    once ``trial`` fails to decrease φ enough, fails to be lower than ``previous`` (checked
    from the third trial on), or has a slope ≥ 0, the interval between ``previous`` and
    ``trial`` contains steps satisfying both conditions.

    The next step is the cubic minimizer through ``previous`` and ``trial``, kept within
    [t + 0.01·(t − t_previous), 10·t] so that it moves forward, but not too far.

    Returns ``(accepted point, None)`` or ``(None, [previous, trial])``. When the budget runs
    out first: ``(the lower of start and the last trial, None)``.
    """
    previous = start
    while trials.may_continue():
        if (not sufficient_decrease(trial)
                or (trials.count > 2 and trial.f >= previous.f)):
            return None, [previous, trial]
        if flat_enough(trial):
            return trial, None
        if trial.gtd >= 0:
            return None, [previous, trial]
        bounds = (trial.t + 0.01 * (trial.t - previous.t), trial.t * 10)
        next_t = cubic_minimizer(previous, trial, bounds)
        previous, trial = trial, trials.at(next_t)
    return (start if start.f <= trial.f else trial), None


def _zoom(trials, ends, scale, tolerance_change, sufficient_decrease, flat_enough, start):
    """Phase 2 (Alg. 3.6): shrink the interval ``ends`` (two trial points) around an
    acceptable step.

    Invariants (Nocedal & Wright's): the interval between the ends holds steps satisfying
    both conditions; ``ends[low]`` is the end with the lower φ (a tie goes to ``ends[0]``),
    ``ends[high]`` the other one. A trial that fails to decrease φ sufficiently, or is not
    lower than ``ends[low]``, replaces ``ends[high]``. Otherwise it becomes the new low end,
    and if its slope points away from ``ends[high]``, φ'(t)·(t_high − t_low) ≥ 0, the old low
    end becomes the high one (the minimizer lies on the other side of the trial).

    Each trial is the cubic minimizer of the two ends. When it falls within 10% of the
    interval's width from an end for the second time running (or outside the interval), it
    is moved to 10% of the width from the nearer end instead, so that the interval keeps
    shrinking. The search ends when a trial satisfies both conditions, when the interval is
    narrower than ``tolerance_change`` (times ``scale``), or when the budget is spent; it
    returns ``ends[low]`` (the accepted trial, when there is one).
    """
    low, high = _low_high(ends)
    stuck_near_an_end = False
    while trials.may_continue():
        if abs(ends[1].t - ends[0].t) * scale < tolerance_change:
            break
        t = cubic_minimizer(ends[0], ends[1])
        left, right = min(ends[0].t, ends[1].t), max(ends[0].t, ends[1].t)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:
            if stuck_near_an_end or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                stuck_near_an_end = False
            else:
                stuck_near_an_end = True
        else:
            stuck_near_an_end = False

        trial = trials.at(t)
        if not sufficient_decrease(trial) or trial.f >= ends[low].f:
            ends[high] = trial                     # too high: it closes the interval
            low, high = _low_high(ends)
            continue
        if flat_enough(trial):
            ends[low] = trial
            break
        if trial.gtd * (ends[high].t - ends[low].t) >= 0:
            ends[high] = ends[low]                 # the minimizer lies on the other side
        ends[low] = trial
    return ends[low]


def _low_high(ends):
    """The indices of the lower and the higher end (a tie goes to the first)."""
    return (0, 1) if ends[0].f <= ends[-1].f else (1, 0)
