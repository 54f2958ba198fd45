"""Activation layers: thin Modules over ``minidl.nn.functional`` (PyTorch's names, defaults
and ``repr``). Only ``PReLU`` has a parameter (its learnable slope)."""
from minidl import backends, dtypes
from minidl.autograd.tensor import Tensor, constant
from minidl.nn import functional as F
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter


class ReLU(Module):
    """max(x, 0)."""
    def forward(self, x):
        return F.relu(x)


class ReLU6(Module):
    """min(max(x, 0), 6)."""
    def forward(self, x):
        return F.relu6(x)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope·x."""
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x if x > 0 else α·(eˣ − 1)."""
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class PReLU(Module):
    """x if x > 0 else a·x, with the slope a learned: one shared slope (``num_parameters=1``)
    or one per channel (axis 1), initialised to ``init``.

    Example:
        >>> import minidl as mdl
        >>> act = mdl.nn.PReLU()
        >>> act(mdl.tensor([-2.0, 3.0])).tolist(), act.weight.tolist()
        ([-0.5, 3.0], [0.25])
    """
    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        backend = backends.get_backend(device)
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
        slope = backend.xp.full((num_parameters,), init, dtype=dtype)
        self.weight = Parameter(constant(slope, backend))

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Sigmoid(Module):
    """1 / (1 + e⁻ˣ)."""
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x)."""
    def forward(self, x):
        return F.tanh(x)


class Softsign(Module):
    """x / (1 + |x|)."""
    def forward(self, x):
        return F.softsign(x)


class Softplus(Module):
    """log(1 + e^(βx)) / β, and x where βx > threshold (PyTorch's defaults β=1, threshold=20)."""
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """x·Φ(x): exact (the default, as PyTorch) or its tanh form (``approximate='tanh'``)."""
    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Identity(Module):
    """y = x (arguments are accepted and ignored, as PyTorch's)."""
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Softmax(Module):
    """exp(x) / Σ exp(x) along ``axis`` (``dim`` is accepted as PyTorch's name for it)."""
    def __init__(self, axis=-1, *, dim=None):
        super().__init__()
        self.axis = axis if dim is None else dim

    def forward(self, x):
        return F.softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """x − logsumexp(x) along ``axis`` (``dim`` is accepted as PyTorch's name for it)."""
    def __init__(self, axis=-1, *, dim=None):
        super().__init__()
        self.axis = axis if dim is None else dim

    def forward(self, x):
        return F.log_softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


# name -> class: the one table of activations (MLP, the CLI, the Keras face)
ACTIVATIONS = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "identity": Identity,
    "gelu": GELU,
    "softplus": Softplus,
    "relu6": ReLU6,
    "softsign": Softsign,
    "prelu": PReLU,
}
