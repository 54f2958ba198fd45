"""``TensorDataset``: samples are rows of equally long arrays (inputs, labels, ...)."""
from minidl.autograd.tensor import Tensor


class TensorDataset:
    """A dataset whose i-th sample is ``(a[i] for a in arrays)``.

    Args:
        *arrays: NumPy arrays or Tensors with the same length (first dimension). Arrays keep
            their dtype: convert inputs to float32 and labels to int64 beforehand.

    Example:
        >>> import numpy as np
        >>> ds = TensorDataset(np.zeros((5, 3), np.float32), np.arange(5))
        >>> len(ds), ds[2][1]
        (5, np.int64(2))
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        for i, a in enumerate(arrays):
            if not hasattr(a, "shape") or len(a.shape) == 0:
                raise TypeError(f"TensorDataset: argument {i} must be an array or Tensor with a "
                                f"first (sample) dimension, got {type(a).__name__}")
        lengths = [a.shape[0] for a in arrays]
        if len(set(lengths)) != 1:
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
            raise ValueError(f"TensorDataset: all arrays need the same first dimension, got "
                             f"shapes {shapes}")
        self.arrays = arrays

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __repr__(self):
        parts = ", ".join(f"{'Tensor' if isinstance(a, Tensor) else 'array'}{tuple(a.shape)} "
                          f"{a.dtype}" for a in self.arrays)
        return f"TensorDataset({parts})"
