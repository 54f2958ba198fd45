"""Padding: a constant border (one node), and reflect / replicate / circular borders made of
slices and concatenation (so their gradients, and second gradients, come from those ops).

``pads`` lists (before, after) per axis from the first padded axis to the last; a negative
amount crops (constant mode only, as PyTorch).
"""
from minidl.autograd.function import Function
from minidl.autograd.ops.reduce import broadcast_to
from minidl.autograd.ops.shape import concatenate
from minidl.autograd.ops.windows import new_image


class ConstantPad(Function):
    """y = x with ``value`` added around the last len(pads) axes (negative pads crop);
    gx = constant_pad(gy, −pads, 0): the centre of gy"""
    def forward(self, x, pads=None, value=0.0):
        self.pads = pads
        lead = x.ndim - len(pads)
        shape = x.shape[:lead] + tuple(n + a + b for n, (a, b) in zip(x.shape[lead:], pads))
        if any(n < 0 for n in shape):
            raise ValueError(f"pad: padding {pads} would make the shape {x.shape} negative")
        y = new_image(self.xp, shape, x.dtype, value)  # (batch-innermost when 4-D, as conv wants)
        src, dst = [slice(None)] * lead, [slice(None)] * lead
        for n, (a, b) in zip(x.shape[lead:], pads):
            src.append(slice(max(-a, 0), n - max(-b, 0)))
            dst.append(slice(max(a, 0), max(a, 0) + max(n - max(-a, 0) - max(-b, 0), 0)))
        y[tuple(dst)] = x[tuple(src)]
        return y

    def backward(self, gy):
        return ConstantPad.apply(gy, pads=tuple((-a, -b) for a, b in self.pads), value=0.0)


def constant_pad(x, pads, value=0.0):
    return ConstantPad.apply(x, pads=tuple(pads), value=value)


def _border(x, axis, before, after, mode):
    """The slices of x that ``mode`` puts before and after it along ``axis``."""
    n = x.shape[axis]

    def take(start, stop, step=1):
        index = [slice(None)] * x.ndim
        index[axis] = slice(start, stop, step)
        return x[tuple(index)]

    def repeat_edge(edge, count):
        shape = list(x.shape)
        shape[axis] = count
        return broadcast_to(edge, tuple(shape))

    if mode == "reflect":   # mirror without repeating the edge: x[before], …, x[1] | x | …
        left = take(before, 0, -1) if before else None
        stop = n - 2 - after
        right = take(n - 2, stop if stop >= 0 else None, -1) if after else None
    elif mode == "replicate":  # the edge value repeated
        left = repeat_edge(take(0, 1), before) if before else None
        right = repeat_edge(take(n - 1, n), after) if after else None
    else:                   # circular: the opposite end wraps around
        left = take(n - before, n) if before else None
        right = take(0, after) if after else None
    return left, right


def border_pad(x, pads, mode):
    """x padded by ``pads`` in ``mode`` ('reflect', 'replicate' or 'circular'), axis by axis."""
    lead = x.ndim - len(pads)
    for k, (before, after) in enumerate(pads):
        axis = lead + k
        left, right = _border(x, axis, before, after, mode)
        parts = [p for p in (left, x, right) if p is not None]
        if len(parts) > 1:
            x = concatenate(parts, axis=axis)
    return x
