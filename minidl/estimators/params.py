"""Checks of ``MLPClassifier``'s constructor parameters, made at ``fit`` (as scikit-learn's).

The same constraints as scikit-learn's ``_parameter_constraints``, with messages of the same
form: "The 'alpha' parameter of MLPClassifier must be a float in the range [0, inf). Got -1
instead."
"""
import numbers

import numpy as np


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter has a wrong type or value (scikit-learn raises the same kind)."""


def _real(lo, hi, closed):
    left = "[" if closed in ("left", "both") else "("
    right = "]" if closed in ("right", "both") else ")"

    def check(v):
        if not isinstance(v, numbers.Real) or isinstance(v, bool):
            return False
        ok_lo = lo is None or (v >= lo if closed in ("left", "both") else v > lo)
        ok_hi = hi is None or (v <= hi if closed in ("right", "both") else v < hi)
        return ok_lo and ok_hi
    low, high = ("-inf" if lo is None else lo), ("inf" if hi is None else hi)
    text = f"a float in the range {left}{low}, {high}{right}"
    return check, text


def _int(lo):
    def check(v):
        return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= lo
    return check, f"an int in the range [{lo}, inf)"


def _options(*names):
    return (lambda v: isinstance(v, str) and v in names), f"a str among {set(names)}"


def _bool():
    return (lambda v: isinstance(v, (bool, np.bool_))), "an instance of 'bool'"


def _either(*checks):
    return (lambda v: any(c(v) for c, _ in checks)), " or ".join(t for _, t in checks)


def _array_like_or_int():
    def check(v):
        if isinstance(v, numbers.Integral) and not isinstance(v, bool):
            return v >= 1
        return hasattr(v, "__len__") and not isinstance(v, str)
    return check, "an array-like or an int in the range [1, inf)"


def _random_state():
    def check(v):
        return (v is None or (isinstance(v, numbers.Integral) and not isinstance(v, bool)
                              and 0 <= v <= 2**32 - 1)
                or isinstance(v, np.random.RandomState))
    return check, ("an int in the range [0, 4294967295], an instance of "
                   "'numpy.random.mtrand.RandomState' or None")


def _verbose():
    return (lambda v: isinstance(v, (bool, np.bool_, numbers.Integral))), "an int or a bool"


CONSTRAINTS = {
    "hidden_layer_sizes": _array_like_or_int(),
    "activation": _options("identity", "logistic", "tanh", "relu"),
    "solver": _options("lbfgs", "sgd", "adam"),
    "alpha": _real(0, None, "left"),
    "batch_size": _either(_options("auto"), _int(1)),
    "learning_rate": _options("constant", "invscaling", "adaptive"),
    "learning_rate_init": _real(0, None, "neither"),
    "power_t": _real(0, None, "left"),
    "max_iter": _int(1),
    "shuffle": _bool(),
    "random_state": _random_state(),
    "tol": _real(0, None, "left"),
    "verbose": _verbose(),
    "warm_start": _bool(),
    "momentum": _real(0, 1, "both"),
    "nesterovs_momentum": _bool(),
    "early_stopping": _bool(),
    "validation_fraction": _real(0, 1, "left"),
    "beta_1": _real(0, 1, "left"),
    "beta_2": _real(0, 1, "left"),
    "epsilon": _real(0, None, "neither"),
    "n_iter_no_change": _either(_int(1), ((lambda v: v == np.inf), "inf")),
    "max_fun": _int(1),
}


def validate_params(estimator):
    """Raise ``InvalidParameterError`` naming the first parameter outside its constraint."""
    for name, (check, text) in CONSTRAINTS.items():
        value = getattr(estimator, name)
        if not check(value):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} must be {text}. "
                f"Got {value!r} instead.")
