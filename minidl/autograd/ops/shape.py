"""Shape ops: reshape, transpose, expand_dims, squeeze, flatten, concatenate, stack.

None of them changes a value, so each gradient is the inverse rearrangement of ``gy``.
"""
from minidl.autograd.function import Function
from minidl.autograd.ops.reduce import normalize_axis
from minidl.autograd.tensor import Tensor


class Reshape(Function):
    """y = x viewed with another shape;    gx = gy reshaped to x.shape"""
    def forward(self, x, shape=None):
        self.x_shape = x.shape
        return x.reshape(shape)

    def backward(self, gy):
        return reshape(gy, self.x_shape)


class Transpose(Function):
    """y = x with axes permuted;    gx = gy with the inverse permutation"""
    def forward(self, x, axes=None):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, gy):
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return transpose(gy, inverse)


class Concatenate(Function):
    """y = [x₁, x₂, …] joined along ``axis``;    gxᵢ = the slice of gy that xᵢ became"""
    def forward(self, *xs, axis=0):
        self.axis = axis
        self.sizes = [x.shape[axis] for x in xs]
        return self.xp.concatenate(xs, axis=axis)

    def backward(self, gy):
        grads, start = [], 0
        index = [slice(None)] * gy.ndim
        for n in self.sizes:
            index[self.axis] = slice(start, start + n)
            grads.append(gy[tuple(index)])
            start += n
        return tuple(grads)


def reshape(x, shape):
    """The same values with another shape (one dimension may be -1)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if shape == x.shape:
        return x
    try:
        return Reshape.apply(x, shape=shape)
    except ValueError as exc:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.size} elements) into shape {shape}") from exc


def transpose(x, axes=None):
    """Permute the axes (``None`` reverses them, as NumPy)."""
    if axes is None:
        axes = tuple(range(x.ndim - 1, -1, -1))
    axes = tuple(a % x.ndim if x.ndim else a for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes "
                         f"of a tensor of shape {x.shape}")
    if axes == tuple(range(x.ndim)):
        return x
    return Transpose.apply(x, axes=axes)


def swapaxes(x, axis1, axis2):
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, tuple(axes))


def expand_dims(x, axis):
    """Insert a size-1 axis at ``axis``."""
    shape = list(x.shape)
    axis = axis if axis >= 0 else axis + x.ndim + 1
    if not 0 <= axis <= x.ndim:
        raise ValueError(f"expand_dims: axis {axis} out of range for shape {x.shape}")
    shape.insert(axis, 1)
    return reshape(x, tuple(shape))


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or the ones named)."""
    if axis is None:
        axes = [i for i, n in enumerate(x.shape) if n == 1]
    else:
        axes = normalize_axis(axis, x.ndim, "squeeze")
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def flatten(x, start_axis=0):
    """Collapse the axes from ``start_axis`` on into one (all axes by default)."""
    start_axis = normalize_axis(start_axis, x.ndim, "flatten")[0] if x.ndim else 0
    rest = 1
    for n in x.shape[start_axis:]:
        rest *= n
    return reshape(x, x.shape[:start_axis] + (rest,))


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated")
    axis = normalize_axis(axis, ndim, "concatenate")[0]
    for t in tensors:
        if t.ndim != ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape))
                                 if i != axis):
            raise ValueError("concatenate: all shapes must match except along axis "
                             f"{axis}; got {[t.shape for t in tensors]}")
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Join same-shape tensors along a new axis."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    if len({t.shape for t in tensors}) != 1:
        raise ValueError(f"stack: all shapes must be equal, got {[t.shape for t in tensors]}")
    axis = axis if axis >= 0 else axis + tensors[0].ndim + 1
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)
