"""``Linear`` (alias ``Dense``): the fully connected layer y = x @ Wᵀ + b."""
import math

from minidl import backends, dtypes
from minidl.autograd import ops
from minidl.autograd.ops.linalg import Linear as LinearFn
from minidl.autograd.ops.linalg import LinearReLU as LinearReLUFn
from minidl.autograd.tensor import Tensor, constant
from minidl.nn import init
from minidl.nn.checks import check_input_dtype
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter


class Linear(Module):
    """y = x @ Wᵀ + b, one fused graph node (``minidl.autograd.ops.linear``).

    Initialised as PyTorch's: W ~ U(−k, k) (``kaiming_uniform_(W, a=√5)``) and b ~ U(−k, k),
    k = 1/√in_features, from minidl's seeded generator on ``device``, in the default float
    dtype unless ``dtype`` is given.

    Args:
        in_features: size of each input sample (the last axis of x).
        out_features: size of each output sample.
        bias: whether to learn an additive bias.

    Attributes:
        weight: Parameter of shape (out_features, in_features).
        bias: Parameter of shape (out_features,), or None.

    Example:
        >>> import minidl as mdl
        >>> layer = mdl.nn.Linear(3, 2)
        >>> layer.weight.shape, layer(mdl.ones(4, 3)).shape
        ((2, 3), (4, 2))
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        self.in_features = in_features
        self.out_features = out_features
        backend = backends.get_backend(device)
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
        xp = backend.xp
        self.weight = Parameter(constant(xp.empty((out_features, in_features), dtype=dtype),
                                          backend))
        if bias:
            self.bias = Parameter(constant(xp.empty((out_features,), dtype=dtype), backend))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weights again: U(−1/√in_features, 1/√in_features), as PyTorch."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return self._apply(LinearFn, x)

    def forward_relu(self, x):
        """``relu(self(x))`` as one fused node (what ``nn.Sequential`` runs for Linear → ReLU)."""
        return self._apply(LinearReLUFn, x)

    def _apply(self, node, x):
        weight, bias = self.weight, self.bias
        if x.data.shape[-1:] != weight.data.shape[1:]:  # weight and bias were checked at birth
            raise ValueError(f"{type(self).__name__}: input of shape {x.shape} does not match "
                             f"weight of shape {weight.shape}: the last axis of the input must "
                             f"be in_features={weight.shape[1]}")
        if x.data.dtype != weight.data.dtype:
            check_input_dtype(self, x, weight)
        if bias is None:
            return node.apply(x, weight)
        return node.apply(x, weight, bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


Dense = Linear
