"""Pooling over the windows of the last two axes: max, sum (average = sum × 1/divisor), adaptive.

Geometry as in ``windows.py``; ``padding`` is (top, bottom, left, right), where bottom and right
may include the overhang of ``ceil_mode``'s last window. Every op here is linear in its input
once the max-pool's choice of element is fixed, so each backward is another op of this file
and second derivatives come exactly (a max-pool's second derivative is zero almost everywhere).

    MaxPool2d        y = max over each window           gx = scatter(gy, choice)
    MaxPoolScatter   y = gy put at each window's choice  gx = gather(gy, choice)
    MaxPoolGather    y = x read at each window's choice  gx = scatter(gy, choice)
    SumPool2d        y = Σ over each window             gx = spread(gy)
    SumPoolSpread    y = each gy added to its window    gx = sum_pool(gy)

``choice`` is, per window, the offset i·kW + j of the first maximum in row-major order (the
element PyTorch's gradient goes to); padding counts as −∞, so it is never chosen.
"""
from minidl.autograd import grad_mode
from minidl.autograd.function import Function
from minidl.autograd.tensor import constant
from minidl.autograd.ops.windows import (add_windows, crop2d, new_image, pad2d,
                                         sliding_windows)


def _offsets(kernel):
    kh, kw = kernel
    return [(i, j) for i in range(kh) for j in range(kw)]


def window_max(xp, x, kernel, stride, padding, dilation, out, with_choice):
    """(y, choice): each window's maximum, and (if asked) the offset of its first maximum.

    One elementwise pass per kernel offset over the −∞-padded window view (faster than a
    reduction over two tiny axes; with kernel = stride and no padding the view is x's own
    reshape (…, OH, kH, OW, kW) seen with its axes swapped, so no copy is made either way).
    """
    win = sliding_windows(xp, pad2d(xp, x, padding, -float("inf")), kernel, stride, dilation,
                          out)
    if with_choice:
        if tuple(kernel) == (2, 2):
            return _window_max_2x2(xp, win)
        return _window_max_and_choice(xp, win, kernel)
    y = win[..., 0, 0].copy(order="K")  # (keeps the input's batch-innermost layout)
    for i, j in _offsets(kernel)[1:]:
        xp.maximum(y, win[..., i, j], out=y)
    return y, None


def _window_max_and_choice(xp, win, kernel):
    """The maxima of the windows ``win`` (…, kH, kW) and the offsets of their first maxima:
    a running maximum over the offsets, and the choice moved on where a later one is larger."""
    y = win[..., 0, 0].copy(order="K")
    choice = xp.zeros_like(y, dtype="int8" if kernel[0] * kernel[1] <= 127 else "int32")
    for index, (i, j) in enumerate(_offsets(kernel)[1:], start=1):
        v = win[..., i, j]
        later_is_larger = v > y     # strictly: on a tie the earlier offset keeps it
        xp.maximum(y, v, out=y)     # (and a NaN propagates, as in PyTorch)
        # choice ← index where later_is_larger. index exceeds every earlier offset, so a
        # branch-free maximum does it (a masked copyto is ~50× slower on a random mask)
        xp.maximum(choice, xp.multiply(later_is_larger, index, dtype=choice.dtype), out=choice)
    return y, choice


def _window_max_2x2(xp, win):
    """-- fast path of :func:`window_max` for 2×2 windows (a, b over c, d), as a tournament:
    the first maximum of each row, b > a and d > c, then of the two rows, max(c, d) >
    max(a, b), each strict so that ties go to the earlier element; 3 maxima and 6 passes for
    the choice instead of 3 × 4 passes (tested against :func:`_window_max_and_choice`)."""
    a, b, c, d = win[..., 0, 0], win[..., 0, 1], win[..., 1, 0], win[..., 1, 1]
    top, bottom = xp.maximum(a, b), xp.maximum(c, d)
    choice = xp.add(d > c, 2, dtype="int8")                   # 2 or 3: the bottom row's
    xp.multiply(bottom > top, choice, out=choice)             # 0 where the top row wins,
    xp.maximum(choice, xp.greater(b, a).view("int8"), out=choice)  # then its 0 or 1
    return xp.maximum(top, bottom, out=top), choice


class MaxPool2d(Function):
    """y[..., oh, ow] = max_{i,j} x̃[..., oh·sH + i·dH, ow·sW + j·dW]  (x̃: x padded with −∞);
    gx = gy at each window's first maximum, summed where windows overlap"""
    def forward(self, x, kernel=None, stride=None, padding=None, dilation=None, out=None,
                with_choice=False):
        self.geometry = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        self.size = x.shape[-2:]
        y, self.choice = window_max(self.xp, x, kernel, stride, padding, dilation, out,
                                    with_choice)
        return y

    def backward(self, gy):
        return MaxPoolScatter.apply(gy, choice=self.choice, size=self.size, **self.geometry)

    def release(self):
        super().release()
        self.choice = None


def max_pool2d(x, kernel, stride, padding, dilation, out, return_indices=False):
    """The max-pool node (geometry checked; ``padding`` with the ceil-mode overhang), and with
    ``return_indices`` PyTorch's flat indices h·W + w of the maxima as a second tensor."""
    recorded = x.requires_grad and grad_mode.state.enabled
    y = MaxPool2d.apply(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                        out=out, with_choice=recorded or return_indices)
    if not return_indices:
        return y
    if recorded:
        choice = y.grad_fn.choice
    else:  # no node was kept: find the choices again (only return_indices without a graph)
        _, choice = window_max(x.xp, x.data, kernel, stride, padding, dilation, out, True)
    indices = max_pool_indices(x.xp, choice, x.shape[-2:], kernel, stride, padding, dilation)
    return y, constant(indices, x)


class MaxPoolScatter(Function):
    """y = zeros of x's shape with gy[..., oh, ow] added at its window's choice;
    gx = gather(gy, choice)"""
    def forward(self, g, choice=None, size=None, kernel=None, stride=None, padding=None,
                dilation=None):
        xp = self.xp
        self.choice, self.size = choice, size
        self.geometry = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        top, bottom, left, right = padding
        (sh, sw), (dh, dw) = stride, dilation
        oh, ow = g.shape[-2:]
        # -- fast path: windows that do not overlap (kernel = stride, no dilation, as in every
        # MaxPool2d(k)) own their slices of the target, so each slice is written once,
        # g·[choice = index], with no temporary and no addition; the general loop adds. When
        # they also tile the input exactly, every element is written: no zero fill first.
        disjoint = tuple(kernel) == tuple(stride) and (dh, dw) == (1, 1)
        tiled = disjoint and not any(padding) and tuple(size) == (sh * oh, sw * ow)
        target = new_image(xp, (*g.shape[:-2], size[0] + top + bottom, size[1] + left + right),
                           g.dtype, None if tiled else 0.0)
        zero = xp.zeros((), dtype=g.dtype)
        for index, (i, j) in enumerate(_offsets(kernel)):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            if disjoint:
                xp.multiply(g, choice == index, out=target[..., rows, cols])
            else:
                target[..., rows, cols] += xp.where(choice == index, g, zero)
        return crop2d(target, padding, size)

    def backward(self, gy):
        return MaxPoolGather.apply(gy, choice=self.choice, **self.geometry)


class MaxPoolGather(Function):
    """y[..., oh, ow] = x̃[..., oh·sH + i·dH, ow·sW + j·dW] at (i, j) = choice[..., oh, ow];
    gx = scatter(gy, choice)"""
    def forward(self, x, choice=None, kernel=None, stride=None, padding=None, dilation=None):
        xp = self.xp
        self.choice, self.size = choice, x.shape[-2:]
        self.geometry = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        win = sliding_windows(xp, pad2d(xp, x, padding), kernel, stride, dilation)
        win = win[..., :choice.shape[-2], :choice.shape[-1], :, :]
        y = xp.zeros_like(choice, dtype=x.dtype)
        for index, (i, j) in enumerate(_offsets(kernel)):
            xp.copyto(y, win[..., i, j], where=choice == index)
        return y

    def backward(self, gy):
        return MaxPoolScatter.apply(gy, choice=self.choice, size=self.size, **self.geometry)


def max_pool_indices(xp, choice, size, kernel, stride, padding, dilation):
    """PyTorch's ``return_indices``: each window's maximum as a flat index h·W + w into the
    (unpadded) input plane of size (H, W)."""
    kw, (sh, sw), (dh, dw), (top, _, left, _) = kernel[1], stride, dilation, padding
    oh, ow = choice.shape[-2:]
    i, j = choice // kw, choice % kw
    rows = xp.arange(oh).reshape(-1, 1) * sh - top + i * dh
    cols = xp.arange(ow) * sw - left + j * dw
    return (rows * size[1] + cols).astype("int64")


class SumPool2d(Function):
    """y[..., oh, ow] = Σ_{i,j} x̃[..., oh·sH + i, ow·sW + j]  (x̃: x zero-padded);
    gx = spread(gy): each gy added back over its window"""
    def forward(self, x, kernel=None, stride=None, padding=None, out=None):
        xp = self.xp
        self.geometry = dict(kernel=kernel, stride=stride, padding=padding)
        self.size = x.shape[-2:]
        win = sliding_windows(xp, pad2d(xp, x, padding), kernel, stride, (1, 1), out)
        y = win[..., 0, 0].copy(order="K")
        for i, j in _offsets(kernel)[1:]:
            y += win[..., i, j]
        return y

    def backward(self, gy):
        return SumPoolSpread.apply(gy, size=self.size, **self.geometry)


class SumPoolSpread(Function):
    """y = zeros of x's shape with gy[..., oh, ow] added to every element of its window;
    gx = sum_pool(gy)"""
    def forward(self, g, size=None, kernel=None, stride=None, padding=None):
        xp = self.xp
        self.geometry = dict(kernel=kernel, stride=stride, padding=padding)
        self.out = g.shape[-2:]
        top, bottom, left, right = padding
        target = new_image(xp, (*g.shape[:-2], size[0] + top + bottom, size[1] + left + right),
                           g.dtype)
        cols = xp.broadcast_to(g[..., None, None], (*g.shape, *kernel))
        add_windows(target, cols, stride, (1, 1))
        return crop2d(target, padding, size)

    def backward(self, gy):
        return SumPool2d.apply(gy, out=self.out, **self.geometry)
