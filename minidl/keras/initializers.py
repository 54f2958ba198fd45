"""Weight initializers with Keras 3's names, defaults and formulas (``keras.initializers``).

Keras computes fans from a weight's shape as (input axes, output axes) = (shape[-2], shape[-1])
times the receptive field (the product of the other axes): a Dense kernel (in, units) has
fan_in = in, fan_out = units; a Conv2D kernel (kh, kw, in, out) fan_in = kh·kw·in.

    VarianceScaling(scale, mode, distribution):  n = fan_in | fan_out | (fan_in + fan_out)/2
        'uniform':            U(−√(3·scale/n), √(3·scale/n))
        'truncated_normal':   N(0, σ²) cut at ±2σ, σ = √(scale/n) / 0.87962566103423978
                              (the constant restores the variance the cut removes)
        'untruncated_normal': N(0, scale/n)
    glorot_uniform/normal = (1, fan_avg),  he_uniform/normal = (2, fan_in),
    lecun_uniform/normal = (1, fan_in);  RandomUniform(−0.05, 0.05), RandomNormal(0, 0.05),
    TruncatedNormal(0, 0.05).

Draws come from minidl's seeded generator (``minidl.manual_seed``); an initializer built with
an integer ``seed`` gives the same values on every call, as Keras 3's seeded initializers do.
The values differ from Keras's own draws (another generator): copy weights with
``set_weights`` to reproduce a Keras model exactly.
"""
import math

import numpy as np

from minidl import backends, dtypes

_TRUNCATION_STD = 0.87962566103423978  # std of N(0, 1) truncated to [−2, 2]


def compute_fans(shape):
    """``(fan_in, fan_out)`` of a weight shape, as Keras counts them.

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``initializer(shape, dtype=None)`` returns an array on the default device."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must define __call__(shape, dtype)")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("input_axes", "output_axes"):  # Keras 3.15's fan axes: only the default
            if config.pop(key, None) is not None:
                raise ValueError(f"{cls.__name__}: {key} other than None is not supported")
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _dtype(dtype):
    return dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)


class _Random(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"{type(self).__name__}: seed must be None or an int, got {seed!r}")
        self.seed = seed

    def _generator(self, backend):
        """(generator, on_host): the framework's seeded generator, or a fresh one for ``seed``."""
        if self.seed is None:
            return backend.rng(), False
        return np.random.default_rng(self.seed), True

    def _draw(self, shape, dtype, kind):
        backend = backends.get_backend(None)
        rng, on_host = self._generator(backend)
        draw = dtype if dtype.name in ("float32", "float64") else dtypes.float32
        if kind == "uniform":
            values = rng.random(shape, dtype=draw)
        else:
            values = rng.standard_normal(shape, dtype=draw)
            if kind == "truncated":  # redraw every value outside [−2, 2] until none is left
                outside = abs(values) > 2
                while bool(outside.any()):
                    values[outside] = rng.standard_normal(int(outside.sum()), dtype=draw)
                    outside = abs(values) > 2
        if on_host:
            values = backend.from_numpy(values)
        return values if values.dtype == dtype else values.astype(dtype)

    def get_config(self):
        return {"seed": self.seed}


class RandomUniform(_Random):
    """U(minval, maxval); Keras's default U(−0.05, 0.05) (``'uniform'``, ``'random_uniform'``)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        u = self._draw(shape, dtype, "uniform")
        u *= float(self.maxval) - float(self.minval)
        u += float(self.minval)
        return u

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(_Random):
    """N(mean, stddev²); Keras's default N(0, 0.05²) (``'normal'``, ``'random_normal'``)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None):
        z = self._draw(shape, _dtype(dtype), "normal")
        z *= float(self.stddev)
        z += float(self.mean)
        return z

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """N(mean, stddev²) with values beyond 2·stddev from the mean redrawn."""

    def __call__(self, shape, dtype=None):
        z = self._draw(shape, _dtype(dtype), "truncated")
        z *= float(self.stddev)
        z += float(self.mean)
        return z


class VarianceScaling(_Random):
    """Samples scaled to the weight's fans (see the module docstring for the three forms)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', "
                             f"got {mode!r}")
        distribution = distribution.lower()
        if distribution == "normal":  # Keras's older name
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"VarianceScaling: distribution must be 'uniform', "
                             f"'truncated_normal' or 'untruncated_normal', got {distribution!r}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            u = self._draw(shape, dtype, "uniform")
            u *= 2.0 * limit
            u -= limit
            return u
        if self.distribution == "truncated_normal":
            z = self._draw(shape, dtype, "truncated")
            z *= math.sqrt(variance) / _TRUNCATION_STD
            return z
        z = self._draw(shape, dtype, "normal")
        z *= math.sqrt(variance)
        return z

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _fixed(name, scale, mode, distribution, doc):
    class Fixed(VarianceScaling):
        __doc__ = doc

        def __init__(self, seed=None):
            super().__init__(scale, mode, distribution, seed)

        def get_config(self):
            return {"seed": self.seed}

    Fixed.__name__ = Fixed.__qualname__ = name
    return Fixed


GlorotUniform = _fixed("GlorotUniform", 1.0, "fan_avg", "uniform",
                       "Glorot & Bengio (2010): U(−a, a), a = √(6 / (fan_in + fan_out)).")
GlorotNormal = _fixed("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                      "Glorot & Bengio (2010): truncated N(0, 2 / (fan_in + fan_out)).")
HeUniform = _fixed("HeUniform", 2.0, "fan_in", "uniform",
                   "He et al. (2015): U(−a, a), a = √(6 / fan_in).")
HeNormal = _fixed("HeNormal", 2.0, "fan_in", "truncated_normal",
                  "He et al. (2015): truncated N(0, 2 / fan_in).")
LecunUniform = _fixed("LecunUniform", 1.0, "fan_in", "uniform",
                      "LeCun (1998): U(−a, a), a = √(3 / fan_in).")
LecunNormal = _fixed("LecunNormal", 1.0, "fan_in", "truncated_normal",
                     "LeCun (1998): truncated N(0, 1 / fan_in).")


class Constant(Initializer):
    """Every value ``value``."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return backends.get_backend(None).xp.full(shape, self.value, dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class Zeros(Initializer):
    """Every value 0."""

    def __call__(self, shape, dtype=None):
        return backends.get_backend(None).xp.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    """Every value 1."""

    def __call__(self, shape, dtype=None):
        return backends.get_backend(None).xp.ones(shape, dtype=_dtype(dtype))


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, got {tuple(shape)}")
        xp = backends.get_backend(None).xp
        return (xp.eye(*shape, dtype=_dtype(dtype)) * self.gain).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


ALL = {cls.__name__: cls for cls in (
    RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal,
    HeUniform, HeNormal, LecunUniform, LecunNormal, Constant, Zeros, Ones, Identity)}

_ALIASES = {
    "glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform", "he_normal": "HeNormal", "lecun_uniform": "LecunUniform",
    "lecun_normal": "LecunNormal", "uniform": "RandomUniform", "random_uniform": "RandomUniform",
    "normal": "RandomNormal", "random_normal": "RandomNormal",
    "truncated_normal": "TruncatedNormal", "variance_scaling": "VarianceScaling",
    "zeros": "Zeros", "zero": "Zeros", "ones": "Ones", "one": "Ones", "constant": "Constant",
    "identity": "Identity",
}


def get(identifier):
    """An initializer from a name (``'glorot_uniform'``), a config dict, an instance or a callable.

    Example:
        >>> get('he_normal')
        HeNormal(seed=None)
    """
    if identifier is None or isinstance(identifier, Initializer) or (
            callable(identifier) and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        if name not in ALL:
            raise ValueError(f"Unknown initializer class {name!r}; known: {sorted(ALL)}")
        return ALL[name].from_config(identifier.get("config") or {})
    if isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name in ALL:
            return ALL[name]()
        raise ValueError(f"Unknown initializer {identifier!r}; known: {sorted(_ALIASES)}")
    raise TypeError(f"Could not interpret initializer identifier: {identifier!r}")


def serialize(initializer):
    """The Keras-style config dict of an initializer (what ``get_config`` of a layer holds)."""
    if initializer is None:
        return None
    if not isinstance(initializer, Initializer):
        raise TypeError(f"cannot serialize initializer {initializer!r}: only minidl.keras "
                        "initializers have a config")
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


deserialize = get
