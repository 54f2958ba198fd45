"""Weight initialisation, in place (PyTorch's ``torch.nn.init`` formulas and defaults).

Every random draw comes from minidl's seeded generator on the tensor's device
(``minidl.manual_seed``). Each function writes ``tensor.data`` in place, bumps its version and
returns the tensor.

    fan_in  = size(1) · receptive field,   fan_out = size(0) · receptive field
    xavier_uniform_:  U(−a, a),  a = gain · √(6 / (fan_in + fan_out))
    xavier_normal_:   N(0, σ²),  σ = gain · √(2 / (fan_in + fan_out))
    kaiming_uniform_: U(−b, b),  b = gain · √(3 / fan),  gain = calculate_gain(nonlinearity, a)
    kaiming_normal_:  N(0, σ²),  σ = gain / √fan
"""
import math

from minidl import backends, dtypes

_GAIN_ONE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
             "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear/conv/sigmoid: 1,  tanh: 5/3,  relu: √2,  leaky_relu: √(2 / (1 + slope²))
    (slope ``param``, default 0.01),  selu: 3/4.

    Example:
        >>> round(calculate_gain('relu'), 6), round(calculate_gain('tanh'), 6)
        (1.414214, 1.666667)
    """
    if nonlinearity in _GAIN_ONE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(tensor, fn):
    if tensor.ndim < 2:
        raise ValueError(f"{fn}: fan in and fan out cannot be computed for a tensor with fewer "
                         f"than 2 dimensions (shape {tensor.shape})")
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode, fn):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode {mode!r} not supported, use 'fan_in' or 'fan_out'")
    fan_in, fan_out = _fans(tensor, fn)
    return fan_in if mode == "fan_in" else fan_out


def _draw_dtype(tensor):
    """Generators draw float32 or float64; other dtypes are drawn in float32 and cast."""
    return tensor.dtype if tensor.dtype.name in ("float32", "float64") else dtypes.float32


def _write(tensor, values):
    tensor.data[...] = values
    tensor.bump_version()
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with samples of U(a, b)."""
    rng = backends.get_backend(tensor.device).rng()
    u = rng.random(tensor.shape, dtype=_draw_dtype(tensor))
    u *= float(b) - float(a)
    u += float(a)
    return _write(tensor, u)


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with samples of N(mean, std²)."""
    rng = backends.get_backend(tensor.device).rng()
    z = rng.standard_normal(tensor.shape, dtype=_draw_dtype(tensor))
    z *= float(std)
    z += float(mean)
    return _write(tensor, z)


def constant_(tensor, val):
    """Fill with ``val``."""
    tensor.data.fill(val)
    tensor.bump_version()
    return tensor


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot & Bengio (2010): U(−a, a), a = gain · √(6 / (fan_in + fan_out)).

    Example:
        >>> import minidl as mdl
        >>> w = xavier_uniform_(mdl.zeros(30, 20))
        >>> bool(abs(w).max() <= (6 / 50) ** 0.5)
        True
    """
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot & Bengio (2010): N(0, σ²), σ = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): U(−b, b), b = gain · √(3 / fan), gain = calculate_gain(nonlinearity, a).

    ``Linear``'s default init is ``kaiming_uniform_(w, a=√5)``, i.e. U(−1/√fan_in, 1/√fan_in).
    """
    fan = _fan(tensor, mode, "kaiming_uniform_")
    if fan == 0:
        return tensor  # nothing to scale by (PyTorch warns and leaves the tensor as it is)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): N(0, σ²), σ = gain / √fan, gain = calculate_gain(nonlinearity, a)."""
    fan = _fan(tensor, mode, "kaiming_normal_")
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))
