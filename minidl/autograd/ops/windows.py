"""Sliding windows over the last two axes: im2col as a strided view, col2im as its adjoint.

Every convolution and pooling op reads its input through ``sliding_windows`` (no copy: a view
with two more axes) and sends gradients back through ``add_windows``, a loop over the kernel
offsets that adds one strided slice at a time. The two are adjoint linear maps:
⟨sliding_windows(x), c⟩ = ⟨x, add_windows(c)⟩, which is why the gradient of one is the other.
``Im2Col`` / ``Col2Im`` (``F.unfold`` / ``F.fold``) are the same pair with PyTorch's layout.

Geometry, per spatial axis: input size H (after padding), kernel k, stride s, dilation d;
window o covers rows o·s + i·d for i = 0…k−1, and there are ⌊(H − d·(k−1) − 1)/s⌋ + 1 of them.
Rows past the last window (when H − d·(k−1) − 1 is not a multiple of s) are read by no window
and get a zero gradient.
"""
from minidl.autograd.function import Function


def output_size(size, kernel, stride, dilation):
    """Number of windows along one axis: ⌊(size − d·(k − 1) − 1)/s⌋ + 1 (≤ 0: none fit)."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def sliding_windows(xp, x, kernel, stride, dilation, out=None):
    """The view w[..., oh, ow, i, j] = x[..., oh·sH + i·dH, ow·sW + j·dW] (no copy).

    x is (..., H, W) with any strides; the result is (..., OH, OW, kH, kW). ``out`` caps the
    window counts (OH, OW) (a transposed convolution can ask for fewer than fit).
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    h, w = x.shape[-2:]
    oh, ow = output_size(h, kh, sh, dh), output_size(w, kw, sw, dw)
    if out is not None:
        oh, ow = min(oh, out[0]), min(ow, out[1])
    *lead, st_h, st_w = x.strides
    return xp.lib.stride_tricks.as_strided(
        x, shape=(*x.shape[:-2], oh, ow, kh, kw),
        strides=(*lead, st_h * sh, st_w * sw, st_h * dh, st_w * dw))


def add_windows(target, cols, stride, dilation):
    """target[..., oh·sH + i·dH, ow·sW + j·dW] += cols[..., oh, ow, i, j] for every entry.

    The adjoint of :func:`sliding_windows` (col2im), in place on ``target`` (..., H, W): one
    strided slice ``+=`` per kernel offset (i, j), never a scatter with repeated indices.
    """
    (sh, sw), (dh, dw) = stride, dilation
    oh, ow, kh, kw = cols.shape[-4:]
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            target[..., rows, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)] += cols[..., i, j]
    return target


def new_image(xp, shape, dtype, value=0.0):
    """A new array of ``shape`` filled with ``value`` (None: left unset, for a caller that
    writes every element); an (N, C, H, W) one is stored batch-innermost (memory (C, H, W, N),
    returned as its NCHW view), the layout every conv/pool output has (``ops/conv.py``)."""
    def new(s):
        return xp.empty(s, dtype=dtype) if value is None else xp.full(s, value, dtype=dtype)
    if len(shape) != 4:
        return new(shape)
    n, c, h, w = shape
    return new((c, h, w, n)).transpose(3, 0, 1, 2)


def batch_innermost(xp, x):
    """x (N, C, H, W) as its memory (C, H, W, N), C-contiguous: a view when x is stored
    batch-innermost (every conv/pool output is, see :func:`new_image`), else one copy."""
    return xp.ascontiguousarray(x.transpose(1, 2, 3, 0))


def pad2d(xp, x, padding, value=0.0):
    """x (..., H, W) padded by (top, bottom, left, right) with ``value`` (x itself if no pad)."""
    top, bottom, left, right = padding
    if not (top or bottom or left or right):
        return x
    h, w = x.shape[-2:]
    y = new_image(xp, (*x.shape[:-2], h + top + bottom, w + left + right), x.dtype, value)
    y[..., top:top + h, left:left + w] = x
    return y


def crop2d(x, padding, size):
    """The inverse of :func:`pad2d`'s placement: x[..., top:top + H, left:left + W]."""
    top, _, left, _ = padding
    if x.shape[-2:] == tuple(size):
        return x
    return x[..., top:top + size[0], left:left + size[1]]


class Im2Col(Function):
    """y[n, (c·kH + i)·kW + j, oh·OW + ow] = x̃[n, c, oh·sH + i·dH, ow·sW + j·dW]  (x̃: x
    zero-padded);    gx = col2im(gy)   (PyTorch's ``unfold`` layout: (N, C·kH·kW, L))"""
    def forward(self, x, kernel=None, stride=None, padding=None, dilation=None):
        self.geometry = kernel, stride, padding, dilation
        self.size = x.shape[-2:]
        n, c = x.shape[:2]
        win = sliding_windows(self.xp, pad2d(self.xp, x, padding), kernel, stride, dilation)
        oh, ow = win.shape[2:4]
        return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kernel[0] * kernel[1], oh * ow)

    def backward(self, gy):
        kernel, stride, padding, dilation = self.geometry
        return Col2Im.apply(gy, size=self.size, kernel=kernel, stride=stride, padding=padding,
                            dilation=dilation)


class Col2Im(Function):
    """y = the (N, C, H, W) image whose unfold is adjoint to x: every column entry added back
    where it was read from;    gx = im2col(gy)   (PyTorch's ``fold``)"""
    def forward(self, cols, size=None, kernel=None, stride=None, padding=None, dilation=None):
        self.geometry = kernel, stride, padding, dilation
        (kh, kw), (top, bottom, left, right) = kernel, padding
        n, ckk, _ = cols.shape
        c = ckk // (kh * kw)
        hp, wp = size[0] + top + bottom, size[1] + left + right
        oh, ow = output_size(hp, kh, stride[0], dilation[0]), output_size(wp, kw, stride[1],
                                                                          dilation[1])
        cols = cols.reshape(n, c, kh, kw, oh, ow).transpose(0, 1, 4, 5, 2, 3)
        target = new_image(self.xp, (n, c, hp, wp), cols.dtype)
        return crop2d(add_windows(target, cols, stride, dilation), padding, size)

    def backward(self, gy):
        kernel, stride, padding, dilation = self.geometry
        return Im2Col.apply(gy, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
