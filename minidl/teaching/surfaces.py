"""Classic 2-D test surfaces for watching optimizers, written with minidl ops.

Each surface is a function f(x, y) built from minidl ops, so its gradient comes from autograd
like any model's; the same code evaluates the contour grid (on arrays, without a graph).

    saddle            f = x² − y²                                  (a saddle point at 0, 0)
    rosenbrock        f = (1 − x)² + 100·(y − x²)²                 (minimum 0 at 1, 1)
    beale             f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²
                                                                   (minimum 0 at 3, 0.5)
    valley            f = 0.5·(x² + 25·y²)                         (minimum 0 at 0, 0; a long,
                                                                    narrow quadratic valley)
"""
import numpy as np

import minidl as mdl


class Surface:
    """A 2-D function f(x, y) with what a picture of it needs.

    Attributes:
        name, formula: for titles and legends.
        start: the default starting point (x, y).
        minimum: the minimiser (x, y), or None (the saddle has none).
        xlim, ylim: the plotted region.
        log_levels: contour levels spaced logarithmically (for steep, curved valleys).
        lrs: a learning rate per optimizer name that gives a readable picture here.
        steps: the default number of steps.
    """

    def __init__(self, name, formula, fn, start, minimum, xlim, ylim, lrs, steps,
                 log_levels=False):
        self.name = name
        self.formula = formula
        self.fn = fn
        self.start = start
        self.minimum = minimum
        self.xlim = xlim
        self.ylim = ylim
        self.lrs = lrs
        self.steps = steps
        self.log_levels = log_levels

    def __call__(self, x, y):
        """f(x, y) for tensors x, y of one shape (differentiable)."""
        return self.fn(x, y)

    def value_and_grad(self, point):
        """f and its gradient at ``point`` = (x, y), in float64, through minidl autograd.

        Example:
            >>> f, g = SURFACES["saddle"].value_and_grad((1.0, 2.0))
            >>> f, g
            (-3.0, (2.0, -4.0))
        """
        x = mdl.tensor(float(point[0]), dtype=mdl.float64, requires_grad=True)
        y = mdl.tensor(float(point[1]), dtype=mdl.float64, requires_grad=True)
        f = self.fn(x, y)
        f.backward()
        return float(f), (float(x.grad), float(y.grad))

    def grid(self, n=200):
        """``(X, Y, Z)`` NumPy arrays of shape (n, n) over ``xlim`` × ``ylim``, for contours."""
        xs = np.linspace(self.xlim[0], self.xlim[1], n)
        ys = np.linspace(self.ylim[0], self.ylim[1], n)
        X, Y = np.meshgrid(xs, ys)
        with mdl.no_grad():
            Z = self.fn(mdl.tensor(X), mdl.tensor(Y)).numpy()
        return X, Y, Z

    def __repr__(self):
        return f"Surface({self.name!r}: f = {self.formula})"


def _saddle(x, y):
    return x * x - y * y


def _rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _beale(x, y):
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


def _valley(x, y):
    return 0.5 * (x * x + 25.0 * y * y)


SURFACES = {
    "saddle": Surface(
        "saddle", "x² − y²", _saddle, start=(-1.0, 1e-3), minimum=None,
        xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), steps=60,
        lrs={"sgd": 0.02, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.2,
             "rmsprop": 0.01, "adam": 0.05, "adadelta": 1.0, "adamw": 0.05, "adamax": 0.05,
             "nadam": 0.05, "radam": 0.05}),
    "rosenbrock": Surface(
        "rosenbrock", "(1 − x)² + 100·(y − x²)²", _rosenbrock, start=(-1.5, 2.0),
        minimum=(1.0, 1.0), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), steps=500, log_levels=True,
        lrs={"sgd": 2e-4, "momentum": 2e-4, "nesterov": 2e-4, "adagrad": 0.5,
             "rmsprop": 0.01, "adam": 0.05, "adadelta": 1.0, "adamw": 0.05, "adamax": 0.1,
             "nadam": 0.05, "radam": 0.1}),
    "beale": Surface(
        "beale", "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²", _beale,
        start=(1.0, 1.5), minimum=(3.0, 0.5), xlim=(-4.5, 4.5), ylim=(-4.5, 4.5), steps=300,
        log_levels=True,
        lrs={"sgd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "adagrad": 0.5,
             "rmsprop": 0.01, "adam": 0.05, "adadelta": 1.0, "adamw": 0.05, "adamax": 0.1,
             "nadam": 0.05, "radam": 0.1}),
    "valley": Surface(
        "valley", "0.5·(x² + 25·y²)", _valley, start=(-4.5, 1.0), minimum=(0.0, 0.0),
        xlim=(-5.0, 5.0), ylim=(-1.5, 1.5), steps=60,
        lrs={"sgd": 0.075, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.5,
             "rmsprop": 0.05, "adam": 0.2, "adadelta": 1.0, "adamw": 0.2, "adamax": 0.2,
             "nadam": 0.2, "radam": 0.2}),
}


def get_surface(name):
    """The :class:`Surface` called ``name`` (one of ``SURFACES``), or ``name`` if it is one."""
    if isinstance(name, Surface):
        return name
    try:
        return SURFACES[name]
    except KeyError:
        raise ValueError(f"unknown surface {name!r}; choose one of {sorted(SURFACES)}") from None
