"""Run optimizers from one starting point on a 2-D surface and record their paths.

    >>> from minidl.teaching import compare_optimizers
    >>> paths = compare_optimizers("valley", ["sgd", "momentum:0.02"], steps=3)
    >>> [(p.name, p.lr, len(p.points)) for p in paths.values()]
    [('sgd', 0.075, 4), ('momentum', 0.02, 4)]
"""
import math

import numpy as np

import minidl as mdl
from minidl.teaching.surfaces import get_surface

# name -> (minidl.optim.OPTIMIZERS name, fixed options); the learning rate comes from the surface
OPTIMIZERS = {"sgd": ("sgd", {}), "momentum": ("sgd", {"momentum": 0.9}),
              "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}),
              **{name: (name, {}) for name in mdl.optim.OPTIMIZERS if name not in ("sgd", "lbfgs")}}


class Trajectory:
    """The path of one optimizer: ``points`` (n, 2) and ``losses`` (n,), NumPy float64.

    Row 0 is the start; row k the point after k steps. A run that leaves the region 100×
    wider than the plotted one (divergence, or the unbounded saddle) stops there: ``stopped``
    then says why.
    """

    def __init__(self, name, lr, points, losses, stopped=None):
        self.name = name
        self.lr = lr
        self.points = points
        self.losses = losses
        self.stopped = stopped

    @property
    def label(self):
        return f"{self.name} (lr={self.lr:g})"

    def __repr__(self):
        end = self.points[-1]
        return (f"Trajectory({self.label}: {len(self.points) - 1} steps, end ({end[0]:.4g}, "
                f"{end[1]:.4g}), loss {self.losses[-1]:.4g})")


def parse_spec(spec):
    """``'adam'`` → ``('adam', None)``; ``'adam:0.1'`` → ``('adam', 0.1)``."""
    name, _, lr = spec.strip().partition(":")
    name = name.strip().lower()
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    if lr:
        try:
            lr = float(lr)
        except ValueError:
            raise ValueError(f"bad learning rate in {spec!r}: expected name:lr, e.g. adam:0.1")
        return name, lr
    return name, None


def make_optimizer(name, params, lr):
    """The minidl optimizer called ``name`` (a key of ``OPTIMIZERS``) over ``params``."""
    base, options = OPTIMIZERS[name]
    return mdl.optim.OPTIMIZERS[base](params, lr=lr, **options)


def run_optimizer(surface, name, lr=None, start=None, steps=None):
    """Minimise ``surface`` with one optimizer; returns a :class:`Trajectory`.

    Args:
        surface: a :class:`Surface` or its name.
        name: a key of ``OPTIMIZERS`` (``'sgd'``, ``'momentum'``, ``'adam'``...).
        lr: learning rate (default: the surface's choice for that optimizer).
        start: starting point (default: the surface's).
        steps: number of steps (default: the surface's).
    """
    surface = get_surface(surface)
    lr = surface.lrs[name] if lr is None else lr
    start = surface.start if start is None else start
    steps = surface.steps if steps is None else steps
    theta = mdl.tensor([float(start[0]), float(start[1])], dtype=mdl.float64, requires_grad=True)
    optimizer = make_optimizer(name, [theta], lr)
    far_x = 100 * (surface.xlim[1] - surface.xlim[0])
    far_y = 100 * (surface.ylim[1] - surface.ylim[0])
    points = [theta.numpy().copy()]
    losses = []
    stopped = None
    for _ in range(steps):
        optimizer.zero_grad()
        loss = surface(theta[0], theta[1])
        loss.backward()
        losses.append(float(loss))
        optimizer.step()
        point = theta.numpy().copy()
        points.append(point)
        if not np.all(np.isfinite(point)):
            stopped = "diverged (not finite)"
        elif abs(point[0]) > far_x or abs(point[1]) > far_y:
            stopped = "left the region (diverged or escaped to infinity)"
        if stopped:
            break
    with mdl.no_grad():
        last = surface(mdl.tensor(points[-1][0]), mdl.tensor(points[-1][1]))
    losses.append(float(last))
    return Trajectory(name, lr, np.array(points), np.array(losses), stopped)


def compare_optimizers(surface, optimizers=("sgd", "momentum", "nesterov", "adagrad",
                                            "rmsprop", "adam"), start=None, steps=None):
    """Run several optimizers from the same start on one surface.

    Args:
        surface: a :class:`Surface` or its name (``'saddle'``, ``'rosenbrock'``, ``'beale'``,
            ``'valley'``).
        optimizers: names, each optionally with a learning rate: ``['sgd', 'adam:0.1']``.
        start: the common starting point (default: the surface's).
        steps: number of steps (default: the surface's).

    Returns:
        ``{name: Trajectory}`` in the order given.
    """
    surface = get_surface(surface)
    result = {}
    for spec in optimizers:
        name, lr = parse_spec(spec)
        result[name] = run_optimizer(surface, name, lr, start, steps)
    return result


def distance_to(trajectory, point):
    """Euclidean distance from the last point of ``trajectory`` to ``point``."""
    end = trajectory.points[-1]
    return math.hypot(end[0] - point[0], end[1] - point[1])
