"""Indexing: ``x[index]`` with basic and integer-array indices; the gradient scatters back.

Repeated integer indices read the same element several times, so their gradients add up
(``np.add.at``), exactly as the chain rule says.
"""
import numpy as np

from minidl.autograd.function import Function
from minidl.autograd.tensor import Tensor


def to_index(index):
    """An index with Tensors replaced by their arrays (for the array module)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _has_integer_array(index):
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        if isinstance(item, list):
            return True
        dtype = getattr(item, "dtype", None)
        if dtype is not None and dtype.kind in "iu" and getattr(item, "ndim", 0) > 0:
            return True
    return False


def scatter_add(xp, target, index, values):
    """target[index] += values, adding (not overwriting) where an index repeats."""
    add_at = getattr(getattr(xp, "add", None), "at", None)
    if add_at is not None:
        add_at(target, index, values)
    else:  # older CuPy
        import cupyx
        cupyx.scatter_add(target, index, values)


class GetItem(Function):
    """y = x[index];    gx = zeros like x, with gy added at index"""
    def forward(self, x, index=None):
        self.index = index
        self.x_shape = x.shape
        return x[index]

    def backward(self, gy):
        return GetItemGrad.apply(gy, index=self.index, shape=self.x_shape)


class GetItemGrad(Function):
    """y = zeros(shape) with x added at index;    gx = gy[index]"""
    def forward(self, gy, index=None, shape=None):
        self.index = index
        gx = self.xp.zeros(shape, dtype=gy.dtype)
        if _has_integer_array(index):
            scatter_add(self.xp, gx, index, gy)
        else:
            gx[index] = gy
        return gx

    def backward(self, ggx):
        return GetItem.apply(ggx, index=self.index)


def _on_device(index, x):
    """Index arrays given as lists or host (NumPy) arrays, moved to x's device (CuPy needs it)."""
    items = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(i, (list, np.ndarray)) and not isinstance(i, x._backend.array_types)
               for i in items):
        return index
    moved = tuple(x.xp.asarray(i) if isinstance(i, (list, np.ndarray)) else i for i in items)
    return moved if isinstance(index, tuple) else moved[0]


def getitem(x, index):
    index = _on_device(to_index(index), x)
    try:
        if x.requires_grad:
            return GetItem.apply(x, index=index)
        # nothing to record (a batch taken from the data): index the array, skip the node
        y = x.data[index]
    except IndexError as exc:
        raise IndexError(f"getitem: {exc} (tensor of shape {x.shape})") from exc
    if isinstance(y, np.generic):  # NumPy returns scalars for single elements: keep arrays
        y = x.xp.asarray(y)
    return Tensor._make(y, x._backend, False, None)
