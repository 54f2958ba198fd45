"""Activations by name, with Keras 3's formulas and defaults (``keras.activations``).

Each is a plain function of a minidl Tensor built from ``minidl.nn.functional`` ops, so its
gradient is the ops' gradient. Where Keras's defaults differ from PyTorch's, Keras's hold here:
``leaky_relu`` has negative_slope 0.2 (PyTorch 0.01), ``gelu`` is exact unless
``approximate=True`` (a bool, PyTorch a string), ``softplus`` is log(1 + eˣ) with no threshold.

    relu  max(x, 0)                      elu      x if x > 0 else α(eˣ − 1), α = 1
    sigmoid  1 / (1 + e⁻ˣ)               selu     λ·elu(x, α), α ≈ 1.6733, λ ≈ 1.0507
    tanh  tanh(x)                        gelu     x·Φ(x)  (approximate: tanh form)
    softmax  eˣ / Σ eˣ (last axis)       leaky_relu  x if x > 0 else 0.2·x
    softplus  log(1 + eˣ)                silu / swish  x·sigmoid(x)
    softsign  x / (1 + |x|)              linear   x
"""
import math

from minidl.nn import functional as F

# SELU's constants (Klambauer et al., 2017), to the digits Keras and PyTorch use
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0); with options: slope below ``threshold``, a cap at ``max_value``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    from minidl.autograd import ops
    y = ops.where(x >= threshold, x, (x - threshold) * negative_slope if negative_slope else x * 0.0)
    if max_value is not None:
        y = ops.minimum(y, float(max_value))
    return y


def leaky_relu(x, negative_slope=0.2):
    """x if x > 0 else negative_slope·x (Keras's default slope 0.2)."""
    return F.leaky_relu(x, negative_slope)


def relu6(x):
    """min(max(x, 0), 6)."""
    return F.relu6(x)


def sigmoid(x):
    """1 / (1 + e⁻ˣ)."""
    return F.sigmoid(x)


def tanh(x):
    """tanh(x)."""
    return F.tanh(x)


def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along ``axis``."""
    return F.softmax(x, axis)


def log_softmax(x, axis=-1):
    """x − logsumexp(x) along ``axis``."""
    return F.log_softmax(x, axis)


def softplus(x):
    """log(1 + eˣ), computed stably for any x."""
    return F.softplus(x, beta=1.0, threshold=math.inf)


def softsign(x):
    """x / (1 + |x|)."""
    return F.softsign(x)


def elu(x, alpha=1.0):
    """x if x > 0 else α·(eˣ − 1)."""
    return F.elu(x, alpha)


def selu(x):
    """λ·(x if x > 0 else α·(eˣ − 1)) with Klambauer et al.'s α and λ."""
    return F.elu(x, SELU_ALPHA) * SELU_SCALE


def gelu(x, approximate=False):
    """x·Φ(x), Φ the standard normal CDF; ``approximate=True``: the tanh approximation."""
    return F.gelu(x, "tanh" if approximate else "none")


def silu(x):
    """x·sigmoid(x) (also called swish)."""
    return x * F.sigmoid(x)


def exponential(x):
    """eˣ."""
    return x.exp()


def hard_sigmoid(x):
    """relu6(x + 3) / 6: 0 below −3, 1 above 3, linear between (Keras 3's definition)."""
    return F.relu6(x + 3.0) * (1.0 / 6.0)


def linear(x):
    """The identity."""
    return x


swish = silu

ALL = {fn.__name__: fn for fn in (relu, leaky_relu, relu6, sigmoid, tanh, softmax, log_softmax,
                                   softplus, softsign, elu, selu, gelu, silu, exponential,
                                   hard_sigmoid, linear)}
ALL["swish"] = silu


def get(identifier):
    """The activation function for a name, None (``linear``) or a callable (returned as is).

    Raises:
        ValueError: an unknown name; the message lists the known ones.

    Example:
        >>> get('relu').__name__, get(None).__name__
        ('relu', 'linear')
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in ALL:
            raise ValueError(f"Unknown activation function {identifier!r}; known: "
                             f"{', '.join(sorted(ALL))}")
        return ALL[identifier]
    if isinstance(identifier, dict):  # a Keras config of a built-in activation
        return get(identifier.get("config", identifier.get("class_name")))
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation):
    """The name of an activation (what ``get_config`` holds)."""
    name = getattr(activation, "__name__", None)
    if name is None or name == "<lambda>":
        raise ValueError(f"cannot serialize the activation {activation!r}: save a built-in name "
                         f"({', '.join(sorted(ALL))}) or a named function (passed again in "
                         "custom_objects when loading)")
    return name  # a custom function is saved by name and found again in custom_objects
