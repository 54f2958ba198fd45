"""``Flatten``: merge a range of axes into one (e.g. images (N, 28, 28) → (N, 784))."""
from minidl.nn.module import Module


class Flatten(Module):
    """Reshape axes ``start_dim..end_dim`` into one axis (PyTorch's defaults: 1 and −1).

    Example:
        >>> import minidl as mdl
        >>> mdl.nn.Flatten()(mdl.zeros(2, 3, 4)).shape
        (2, 12)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        ndim = max(x.ndim, 1)
        start, end = self.start_dim, self.end_dim
        if not (-ndim <= start < ndim and -ndim <= end < ndim):
            raise IndexError(f"Flatten: start_dim={start}, end_dim={end} out of range for input "
                             f"of shape {x.shape}")
        start, end = start % ndim, end % ndim
        if start > end:
            raise ValueError(f"Flatten: start_dim={self.start_dim} comes after "
                             f"end_dim={self.end_dim} for input of shape {x.shape}")
        shape = x.shape
        merged = 1
        for n in shape[start:end + 1]:
            merged *= n
        return x.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
