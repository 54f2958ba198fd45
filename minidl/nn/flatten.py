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


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (one entry may be −1), the inverse of
    :class:`Flatten`.

    Example:
        >>> import minidl as mdl
        >>> mdl.nn.Unflatten(1, (2, 5))(mdl.zeros(3, 10)).shape
        (3, 2, 5)
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x):
        ndim = max(x.ndim, 1)
        if not -ndim <= self.dim < ndim:
            raise IndexError(f"Unflatten: dim={self.dim} out of range for input of shape "
                             f"{x.shape}")
        dim = self.dim % ndim
        sizes = list(self.unflattened_size)
        known = 1
        for n in sizes:
            if n != -1:
                known *= n
        if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != x.shape[dim]) or (
                sizes.count(-1) == 1 and (known == 0 or x.shape[dim] % known)):
            raise ValueError(f"Unflatten: unflattened_size {self.unflattened_size} does not "
                             f"multiply to the size {x.shape[dim]} of dim {self.dim} of input "
                             f"of shape {x.shape}")
        if -1 in sizes:
            sizes[sizes.index(-1)] = x.shape[dim] // known
        return x.reshape(x.shape[:dim] + tuple(sizes) + x.shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
