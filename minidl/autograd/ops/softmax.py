"""softmax and log_softmax along an axis, stable for large logits (±1e4).

Each is one node with a hand-derived backward (cheaper than the chain of exp/sum/div) written
with Tensor ops, so it can be differentiated again.
"""
from minidl.autograd.function import Function
from minidl.autograd.ops.reduce import normalize_axis


class Softmax(Function):
    """y = exp(x − max) / Σ exp(x − max);    gx = y * (gy − Σ gy*y)"""
    def forward(self, x, axis=-1):
        self.save_outputs()
        self.axis = axis
        xp = self.xp
        if x.size == 0:  # nothing to normalise (and no max to subtract)
            return xp.empty_like(x)
        # subtract the row max so exp cannot overflow
        z = xp.exp(x - x.max(axis=axis, keepdims=True))
        z /= z.sum(axis=axis, keepdims=True)
        return z

    def backward(self, gy):
        (y,) = self.saved_tensors
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """y = x − max − log Σ exp(x − max);    gx = gy − exp(y) * Σ gy"""
    def forward(self, x, axis=-1):
        self.save_outputs()
        self.axis = axis
        xp = self.xp
        if x.size == 0:  # nothing to normalise (and no max to subtract)
            return xp.empty_like(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        shifted -= xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        return shifted

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy - y.exp() * gy.sum(axis=self.axis, keepdims=True)


def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along ``axis`` (``None``: over all elements, as one distribution)."""
    return Softmax.apply(x, axis=_one_axis(axis, x.ndim, "softmax"))


def log_softmax(x, axis=-1):
    """x − logsumexp(x) along ``axis`` (``None``: over all elements, as one distribution)."""
    return LogSoftmax.apply(x, axis=_one_axis(axis, x.ndim, "log_softmax"))


def _one_axis(axis, ndim, op):
    """One checked, non-negative axis; None (all elements as one distribution) stays None."""
    if axis is None:
        return None
    axes = normalize_axis(axis, ndim, op)
    if len(axes) != 1:
        raise ValueError(f"{op}: expected one axis, got {axis}")
    return axes[0]
