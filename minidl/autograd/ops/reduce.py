"""Reductions (sum, mean, var, max, min, logsumexp) and the broadcast pair sum_to/broadcast_to."""
import numbers

from minidl.autograd.function import Function
from minidl.autograd.tensor import Tensor


def normalize_axis(axis, ndim, op):
    """A tuple of non-negative axes (all axes for None), checked against ``ndim``."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:  # a 0-d tensor has no axis at all, as in NumPy
            raise ValueError(f"{op}: axis {a} is out of bounds for a tensor of {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(out)


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = Σ_axis x;    gx = broadcast(gy, x.shape)"""
    def forward(self, x, axis=None, keepdims=False):
        self.x_shape = x.shape
        self.axes = axis
        self.keepdims = keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    def backward(self, gy):
        if not self.keepdims:
            gy = gy.reshape(_keepdims_shape(self.x_shape, self.axes))
        return broadcast_to(gy, self.x_shape)


class SumTo(Function):
    """y = x summed down to ``shape`` (undoing broadcasting);    gx = broadcast(gy, x.shape)"""
    def forward(self, x, shape=None):
        self.x_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(shape) if lead else y

    def backward(self, gy):
        return broadcast_to(gy, self.x_shape)


class BroadcastTo(Function):
    """y = x broadcast to ``shape``;    gx = sum_to(gy, x.shape)"""
    def forward(self, x, shape=None):
        self.x_shape = x.shape
        return self.xp.broadcast_to(x, shape)

    def backward(self, gy):
        return sum_to(gy, self.x_shape)


class Max(Function):
    """y = max_axis x;    gx = gy * [x = y] / #ties   (ties share the gradient, as amax)"""
    reduction = "max"

    def forward(self, x, axis=None, keepdims=False):
        self.save_inputs(0)
        self.axes = axis
        self.keepdims = keepdims
        y = getattr(x, self.reduction)(axis=axis, keepdims=True)
        self.y_keep = y
        return y if keepdims else y.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axis))

    def backward(self, gy):
        (x,) = self.saved_tensors
        if not self.keepdims:
            gy = gy.reshape(self.y_keep.shape)
        winners = (x.data == self.y_keep).astype(gy.dtype)
        share = winners / winners.sum(axis=self.axes, keepdims=True)
        return gy * Tensor._make(share, gy._backend, False, None)


class Min(Max):
    """y = min_axis x;    gx = gy * [x = y] / #ties   (ties share the gradient, as amin)"""
    reduction = "min"


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (all axes by default)."""
    axes = normalize_axis(axis, x.ndim, "sum")
    return Sum.apply(x, axis=axes, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """y = Σ x / n, n the number of elements reduced into each output."""
    axes = normalize_axis(axis, x.ndim, "mean")
    n = 1
    for a in axes:
        n *= x.shape[a]
    return Sum.apply(x, axis=axes, keepdims=keepdims) * (1.0 / n if n else float("nan"))


def var(x, axis=None, keepdims=False, ddof=0):
    """y = Σ (x − mean)² / (n − ddof)."""
    axes = normalize_axis(axis, x.ndim, "var")
    n = 1
    for a in axes:
        n *= x.shape[a]
    centered = x - mean(x, axes, keepdims=True)
    return sum(centered * centered, axes, keepdims) * (1.0 / (n - ddof) if n > ddof else float("nan"))


def _extremum(x, axis, keepdims, minimum, op):
    axes = normalize_axis(axis, x.ndim, op)
    for a in axes:
        if x.shape[a] == 0:
            raise ValueError(f"{op}: reduction over an empty axis {a} of shape {x.shape}")
    return (Min if minimum else Max).apply(x, axis=axes, keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Largest values over ``axis`` (values only; ties split the gradient evenly)."""
    return _extremum(x, axis, keepdims, False, "max")


def min(x, axis=None, keepdims=False):
    """Smallest values over ``axis`` (values only; ties split the gradient evenly)."""
    return _extremum(x, axis, keepdims, True, "min")


def logsumexp(x, axis=None, keepdims=False):
    """y = m + log Σ exp(x − m), m = max x (held constant: it cancels in the gradient)."""
    from minidl.autograd.ops.unary import exp, log
    axes = normalize_axis(axis, x.ndim, "logsumexp")
    if x.size == 0:  # no max to take; the sum of no terms is 0 and its log -inf
        m = x.xp.zeros(_keepdims_shape(x.shape, axes), dtype=x.dtype)
    else:
        m = x.data.max(axis=axes, keepdims=True)
        m = x.xp.where(x.xp.isfinite(m), m, 0)
    m = Tensor._make(m, x._backend, False, None)
    y = log(sum(exp(x - m), axes, keepdims=True)) + m
    return y if keepdims else y.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))


def _arg(x, axis, keepdims, name):
    data = getattr(x.data, name)(axis=axis)
    if keepdims:
        if axis is None:
            data = data.reshape((1,) * x.ndim)
        else:
            data = x.xp.expand_dims(data, axis)
    return Tensor._make(x.xp.asarray(data), x._backend, False, None)


def argmax(x, axis=None, keepdims=False):
    """Indices of the largest values (no gradient)."""
    return _arg(x, axis, keepdims, "argmax")


def argmin(x, axis=None, keepdims=False):
    """Indices of the smallest values (no gradient)."""
    return _arg(x, axis, keepdims, "argmin")


def sum_to(x, shape):
    """Sum ``x`` down to ``shape``, the inverse of broadcasting (used for broadcast gradients)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    if len(shape) > x.ndim or any(
            n != 1 and n != m for n, m in zip(shape[::-1], x.shape[::-1])):
        raise ValueError(f"sum_to: cannot sum shape {x.shape} to shape {shape}")
    return SumTo.apply(x, shape=shape)


def broadcast_to(x, shape):
    """``x`` repeated along broadcast axes to ``shape``."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    try:
        return BroadcastTo.apply(x, shape=shape)
    except ValueError as exc:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from exc
