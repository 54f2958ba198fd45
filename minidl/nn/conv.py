"""Convolution layers: ``Conv2d``, ``Conv1d`` and ``ConvTranspose2d``, with PyTorch's arguments,
weight shapes and initialisation."""
import math

from minidl import dtypes
from minidl.autograd.creation import zeros
from minidl.nn import conv_functional as CF
from minidl.nn import init
from minidl.nn.checks import check_input_dtype
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter


class _ConvNd(Module):
    """Shared by the convolution layers: checks, parameters and PyTorch's initialisation."""

    spatial = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, transposed=False, output_padding=0, device=None,
                 dtype=None):
        super().__init__()
        name = type(self).__name__
        n = self.spatial
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("groups", groups)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}: {what} must be a positive int, got {value!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by "
                             f"groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by "
                             f"groups ({groups})")
        if padding_mode not in CF.PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {CF.PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = CF.pair(kernel_size, "kernel_size", name, n)
        self.stride = CF.pair(stride, "stride", name, n)
        self.dilation = CF.pair(dilation, "dilation", name, n)
        self.padding = padding if isinstance(padding, str) else CF.pair(padding, "padding",
                                                                        name, n, minimum=0)
        self._pads = CF.conv_padding(padding, self.kernel_size, self.stride, self.dilation,
                                     name, n) if not transposed else None
        self.padding_mode = padding_mode
        self.output_padding = CF.pair(output_padding, "output_padding", name, n, minimum=0)
        self.transposed = transposed
        if transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
        self.weight = Parameter(zeros(shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(zeros((out_channels,), dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """W, b ~ U(−1/√fan_in, 1/√fan_in), fan_in = weight.shape[1]·kH·kW (PyTorch's:
        ``kaiming_uniform_(W, a=√5)``, which is that bound)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def _check_input(self, x):
        name, n = type(self).__name__, self.spatial
        axes = "L" if n == 1 else "H, W"
        if x.ndim not in (n + 1, n + 2) or x.shape[-n - 1] != self.in_channels:
            raise ValueError(f"{name}: expected input of shape (N, {self.in_channels}, {axes}) or "
                             f"({self.in_channels}, {axes}) (in_channels={self.in_channels}), got "
                             f"shape {x.shape}")
        check_input_dtype(self, x, self.weight)

    def _pad_input(self, x):
        """Apply a non-zero padding_mode (PyTorch pads first, then convolves unpadded)."""
        if self.padding_mode == "zeros":
            return x, self._pads
        batched = x.ndim == self.spatial + 2
        xb = x if batched else x.reshape((1,) + x.shape)
        y = CF.padding_mode_pad(xb, self._pads, self.padding_mode, type(self).__name__)
        return (y if batched else y.reshape(y.shape[1:])), [(0, 0)] * self.spatial

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self.spatial:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else \
                f", padding={self.padding}"
        if self.dilation != (1,) * self.spatial:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.spatial:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        return s


class _ForwardConv(_ConvNd):
    """Shared by the (not transposed) convolutions :class:`Conv1d` and :class:`Conv2d`:
    PyTorch's signature, and a forward that checks the input, applies a non-zero
    ``padding_mode``, then calls the class's ``convolve`` (``CF._conv1d`` or ``CF._conv2d``)
    with no further padding."""

    convolve = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device=device, dtype=dtype)

    def forward(self, x):
        self._check_input(x)
        x, pads = self._pad_input(x)
        return self.convolve(x, self.weight, self.bias, self.stride, 0, self.dilation,
                             self.groups, type(self).__name__, pads)


class Conv2d(_ForwardConv):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W) input:
    y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c] (cross-correlation, within each group).

    Output size per axis: ⌊(H + 2p − d·(k − 1) − 1)/s⌋ + 1. ``padding`` is an int, a pair,
    'valid' or 'same' (stride 1; an odd total puts the extra row after, as PyTorch);
    ``padding_mode`` 'zeros', 'reflect', 'replicate' or 'circular'. Weight (out, in/groups,
    kH, kW) and bias drawn from U(±1/√fan_in), fan_in = in/groups·kH·kW, as PyTorch's.

    Example:
        >>> import minidl as mdl
        >>> conv = mdl.nn.Conv2d(1, 4, 3, padding=1)
        >>> conv.weight.shape, conv(mdl.zeros(2, 1, 28, 28)).shape
        ((4, 1, 3, 3), (2, 4, 28, 28))
    """

    convolve = staticmethod(CF._conv2d)


class Conv1d(_ForwardConv):
    """1-D convolution over (N, C_in, L) or (C_in, L) input; as :class:`Conv2d` with one
    spatial axis (weight (out, in/groups, k)).

    Example:
        >>> import minidl as mdl
        >>> mdl.nn.Conv1d(2, 3, 5, padding="same")(mdl.zeros(4, 2, 10)).shape
        (4, 3, 10)
    """

    spatial = 1

    convolve = staticmethod(CF._conv1d)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (the gradient of a convolution with respect to its input),
    for upsampling: output size (H − 1)·s − 2p + d·(k − 1) + output_padding + 1 per axis.

    Weight (in, out/groups, kH, kW); init as PyTorch's: U(±1/√fan_in) with fan_in =
    weight.shape[1]·kH·kW = out/groups·kH·kW.

    Example:
        >>> import minidl as mdl
        >>> up = mdl.nn.ConvTranspose2d(4, 2, 2, stride=2)
        >>> up.weight.shape, up(mdl.zeros(1, 4, 7, 7)).shape
        ((4, 2, 2, 2), (1, 2, 14, 14))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose2d: only 'zeros' padding mode is supported, got "
                             f"{padding_mode!r}")
        if isinstance(padding, str):
            raise ValueError(f"ConvTranspose2d: padding must be an int or a pair, got "
                             f"{padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, transposed=True,
                         output_padding=output_padding, device=device, dtype=dtype)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= s and op >= d:
                raise ValueError(f"ConvTranspose2d: output_padding {self.output_padding} must "
                                 f"be smaller than either stride {self.stride} or dilation "
                                 f"{self.dilation}")

    def forward(self, x):
        self._check_input(x)
        return CF._conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                    self.output_padding, self.groups, self.dilation,
                                    "ConvTranspose2d")
