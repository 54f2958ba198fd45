"""``Unfold`` (im2col) and ``Fold`` (col2im, its adjoint): sliding blocks as columns and back."""
from minidl.nn import conv_functional as CF
from minidl.nn.module import Module


class Unfold(Module):
    """Extract sliding kH×kW blocks of (N, C, H, W) input as columns: (N, C·kH·kW, L), rows in
    (c, i, j) order, L = OH·OW blocks in row-major order (PyTorch's layout).

    Example:
        >>> import minidl as mdl
        >>> mdl.nn.Unfold(kernel_size=3)(mdl.zeros(2, 5, 8, 8)).shape
        (2, 45, 36)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, x):
        return CF.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Sum columns (N, C·kH·kW, L) back into an (N, C, H, W) image of ``output_size``; the
    adjoint of :class:`Unfold` (overlapping blocks add up).

    Example:
        >>> import minidl as mdl
        >>> mdl.nn.Fold(output_size=(4, 4), kernel_size=2, stride=2)(mdl.ones(1, 4, 4)).shape
        (1, 1, 4, 4)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, x):
        return CF.fold(x, self.output_size, self.kernel_size, self.dilation, self.padding,
                       self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
