"""Pooling layers: ``MaxPool2d``/``1d``, ``AvgPool2d``/``1d`` and ``AdaptiveAvgPool2d``, thin
Modules over ``minidl.nn.functional`` with PyTorch's arguments and defaults."""
from minidl.nn import pool_functional as PF
from minidl.nn.module import Module


class _MaxPoolNd(Module):
    spatial = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        name = type(self).__name__
        return PF._max_pool(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices, name, self.spatial)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """The maximum of each kH×kW window of (N, C, H, W) or (C, H, W) input (stride defaults
    to the kernel size; padding counts as −∞). The gradient goes to the first maximum of each
    window in row-major order, as PyTorch's; ``return_indices`` also returns the flat index
    h·W + w of each maximum.

    Example:
        >>> import minidl as mdl
        >>> mdl.nn.MaxPool2d(2)(mdl.zeros(8, 32, 26, 26)).shape
        (8, 32, 13, 13)
    """


class MaxPool1d(_MaxPoolNd):
    """The maximum of each window of (N, C, L) or (C, L) input (see :class:`MaxPool2d`)."""

    spatial = 1


class AvgPool2d(Module):
    """The mean of each window of (N, C, H, W) or (C, H, W) input, with PyTorch's divisor
    (``count_include_pad``, ``ceil_mode``, ``divisor_override``; see ``F.avg_pool2d``).

    Example:
        >>> import minidl as mdl
        >>> mdl.nn.AvgPool2d(2)(mdl.ones(1, 1, 4, 4)).tolist()
        [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x):
        return PF._avg_pool(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override, "AvgPool2d", 2)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """The mean of each window of (N, C, L) or (C, L) input (see :class:`AvgPool2d`)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, x):
        return PF._avg_pool(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, None, "AvgPool1d", 1)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed (OH, OW) output whatever the input size (PyTorch's bins:
    bin i spans rows ⌊i·H/OH⌋ … ⌈(i + 1)·H/OH⌉ − 1); ``AdaptiveAvgPool2d(1)`` is global
    average pooling.

    Example:
        >>> import minidl as mdl
        >>> mdl.nn.AdaptiveAvgPool2d((2, None))(mdl.zeros(1, 3, 5, 7)).shape
        (1, 3, 2, 7)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return PF.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
