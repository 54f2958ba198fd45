"""Convolution as one matrix product over the input's windows (im2col), and its two adjoints.

Notation: x (N, C, H, W), weight W (O, C/G, kH, kW) in G groups, y (N, O, OH, OW); x̃ is x
zero-padded once by (top, bottom, left, right); P = OH·OW·N output pixels, K = (C/G)·kH·kW.

    conv2d:            y[o, p] = Σ_k W[o, k] · cols[g, k, p] + b[o]         (one GEMM per group)
    conv_transpose2d:  the adjoint of conv2d in x: ⟨conv2d(x, W), g⟩ = ⟨x, conv_transpose2d(g, W)⟩
    conv2d_weight:     the adjoint of conv2d in W: ⟨conv2d(x, W), g⟩ = ⟨W, conv2d_weight(x, g)⟩

where cols = im2col(x̃) is (G, K, P). The three are one bilinear form read three ways, so each
one's gradients are the other two, and ``create_graph=True`` gives exact second derivatives:

    Conv2d           gx = conv_transpose2d(gy, W)    gW = conv2d_weight(x, gy)     gb = Σ gy
    ConvTranspose2d  gg = conv2d(gy, W)              gW = conv2d_weight(gy, g)
    Conv2dWeight     gx = conv_transpose2d(g, gy)    gg = conv2d(x, gy)

Layout: images are stored **batch-innermost**, memory (C, H, W, N) behind their (N, C, H, W)
shape (``windows.new_image``). Then a column row k = (c, i, j) over the pixels (oh, ow, n) is
made of runs of OW·N contiguous values (N when the stride is not 1), so im2col is a few long
copies; K's (c, i, j) order is W's own, so W is used as it is; and the GEMM W @ cols writes
y's memory (O, OH, OW, N) directly: the next layer's input, with no transpose. Pooling and
elementwise ops keep the layout (they iterate in memory order), so a CNN's activations stay
batch-innermost from its first convolution to its Flatten. An input stored otherwise (a
batch from a data loader) is copied into this layout once.

Memory: the columns (K × P per group) are the big array. A node that will need them for the
weight gradient keeps them only when they are small (under ``CACHE_BUDGET``); otherwise every
convolution builds them a few output rows at a time (``CACHE_BUDGET`` bytes, at least one row),
in the forward and again in the weight gradient, each chunk small enough to stay in cache
between its copy and its GEMM (a hand-written NumPy CNN does the same: one more im2col copy per
step, instead of holding K × P floats from the forward to the backward; evaluating PyTorch's
MNIST example net at batch 1000 would otherwise need a 633 MiB column matrix in its second
convolution).
"""
from minidl.autograd import grad_mode
from minidl.autograd.function import Function
from minidl.autograd.tensor import constant
from minidl.autograd.ops.windows import (add_windows, batch_innermost, crop2d, output_size,
                                         pad2d, sliding_windows)

CACHE_BUDGET = 2**20
"""Bytes of columns a recorded convolution keeps whole, and the size of the chunks of output
rows every convolution builds them in otherwise (1 MiB: they stay in cache for their GEMM;
larger chunks measured ~9 % slower evaluating W4 at batch 1000)."""


def columns(xp, xm, kernel, stride, dilation, groups, rows, ow, buffer):
    """im2col of output rows ``rows`` (a slice of OH): buffer[:, :K, :m] ← the windows, and
    ``buffer[:, :, :m]`` returned, m = (rows) · OW · N (the rows past K, such as
    :func:`column_buffer`'s ones, stay as they are).

    xm is the padded input's memory (C, H, W, N). Row (c, i, j) of group g, column (oh, ow, n)
    holds x̃[n, gC/G + c, oh·sH + i·dH, ow·sW + j·dW].
    """
    c, _, _, n = xm.shape
    first = rows.start * stride[0]  # the windows of these rows start at input row `first`
    win = sliding_windows(xp, xm.transpose(0, 3, 1, 2)[:, :, first:], kernel, stride, dilation,
                          (rows.stop - rows.start, ow))       # (C, N, rows, OW, kH, kW), a view
    win = win.reshape(groups, c // groups, *win.shape[1:]).transpose(0, 1, 5, 6, 3, 4, 2)
    m = win.shape[4] * ow * n                                  # (G, C/G, kH, kW, rows, OW, N)
    k = win.shape[1] * win.shape[2] * win.shape[3]
    buffer[:, :k, :m].reshape(win.shape)[...] = win  # (only axes split: a view of the buffer)
    return buffer[:, :, :m]


def column_buffer(xp, groups, k, m, dtype, ones):
    """An empty (G, K, m) column matrix, or with ``ones`` a (G, K + 1, m) one whose last row
    is 1: then ``[W b] @ [cols; 1] = W @ cols + b`` and ``g @ [cols; 1]ᵀ`` ends with the
    column Σ g, the bias and its gradient folded into the products (a hand-written NumPy CNN
    does the same)."""
    buffer = xp.empty((groups, k + 1 if ones else k, m), dtype=dtype)
    if ones:
        buffer[:, k] = 1
    return buffer


def row_chunks(oh, bytes_per_row, budget):
    """Slices of the OH output rows whose columns take at most ``budget`` bytes (at least one
    row each)."""
    step = max(1, budget // max(bytes_per_row, 1))
    return [slice(i, min(i + step, oh)) for i in range(0, oh, step)]


def _channels_by_pixels(xp, g, groups):
    """g (N, O, OH, OW) → its memory as (G, O/G, OH·OW·N): a view when g is batch-innermost."""
    n, o, oh, ow = g.shape
    return batch_innermost(xp, g).reshape(groups, o // groups, oh * ow * n)


def _image(y, n):
    """The GEMM's result (G, O/G, OH, OW, N) as the image (N, O, OH, OW) (a view)."""
    groups, og, oh, ow, _ = y.shape
    return y.reshape(groups * og, oh, ow, n).transpose(3, 0, 1, 2)


class Conv2d(Function):
    """y = conv2d(x, W) + b (module docstring);
    gx = conv_transpose2d(gy, W),  gW = conv2d_weight(x, gy),  gb = Σ_{n,oh,ow} gy

    When x, W and b share a dtype, the bias rides in the GEMM (:func:`column_buffer`):
    ``[W b] @ [cols; 1]``, and a backward without a graph gets gW and gb from the one product
    ``g @ [cols; 1]ᵀ`` (:func:`weight_gradient`; the recorded backward is the formula above).
    """
    def forward(self, x, weight, bias=None, stride=None, padding=None, dilation=None, groups=1,
                keep_columns=False):
        xp = self.xp
        self.save_inputs(0, 1)
        self.geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        o, _, kh, kw = weight.shape
        kernel = (kh, kw)
        xm = batch_innermost(xp, pad2d(xp, x, padding))            # (C, H̃, W̃, N)
        n = x.shape[0]
        oh = output_size(xm.shape[1], kh, stride[0], dilation[0])
        ow = output_size(xm.shape[2], kw, stride[1], dilation[1])
        wb = weight.reshape(groups, o // groups, -1)                # (G, O/G, K), a view
        k = wb.shape[2]
        self.fold = bias is not None and x.dtype == weight.dtype == bias.dtype
        if self.fold:  # [W b]: (G, O/G, K + 1)
            w_b = xp.empty((groups, o // groups, k + 1), dtype=weight.dtype)
            w_b[:, :, :k] = wb
            w_b[:, :, k] = bias.reshape(groups, o // groups)
            wb = w_b
        self.columns = None
        width = k + 1 if self.fold else k  # (the columns' bytes, ones row included)
        per_row = groups * width * ow * n * x.dtype.itemsize
        y = xp.empty((groups, o // groups, oh, ow, n), dtype=x.dtype)
        if keep_columns and oh * per_row <= CACHE_BUDGET:  # the weight gradient will need
            chunks = [slice(0, oh)]                         # them: small, keep
        else:  # cache-sized chunks (rebuilt by Conv2dWeight when recorded)
            chunks = row_chunks(oh, per_row, CACHE_BUDGET)
        if chunks and n:
            most = (chunks[0].stop - chunks[0].start) * ow * n
            buffer = column_buffer(xp, groups, k, most, x.dtype, self.fold)
            for rows in chunks:
                cols = columns(xp, xm, kernel, stride, dilation, groups, rows, ow, buffer)
                # straight into y's rows (their (rows, OW, N) block is contiguous): no temporary
                xp.matmul(wb, cols, out=y[:, :, rows].reshape(cols.shape[0], -1, cols.shape[2]))
            if keep_columns and len(chunks) == 1:
                self.columns = buffer  # (with the ones row when folded)
        # the weight gradient rebuilds the columns from x̃: keep it (x's own memory, unless x
        # needed padding or another layout) instead of padding and copying x again
        self.padded = xm if keep_columns and self.columns is None else None
        if bias is not None and not self.fold:
            y += bias.reshape(groups, o // groups, 1, 1, 1)  # once, on the GEMM's fresh result
        return _image(y, n)

    def backward(self, gy):
        x, weight = self.saved_tensors
        need_x, need_w = self.parents[0] is not None, self.parents[1] is not None
        need_b = len(self.parents) > 2 and self.parents[2] is not None
        gx = gw = gb = None
        if need_x:
            gx = ConvTranspose2d.apply(gy, weight, size=x.shape[2:], **self.geometry)
        if need_w and need_b and self.fold and not grad_mode.state.enabled:
            # -- fast path: gW and gb from one product g @ [cols; 1]ᵀ (class docstring)
            gw, gb = weight_gradient(self.xp, x.data, gy.data, weight.shape[2:],
                                     columns=self.columns, padded=self.padded, with_bias=True,
                                     out=(self.grad_buffer(1, gy.data),
                                          self.grad_buffer(2, gy.data)), **self.geometry)
            return gx, constant(gw, gy), constant(gb, gy)
        if need_w:
            columns = self.columns
            if columns is not None and self.fold:
                columns = columns[:, :-1]  # (the ones row is the bias's)
            gw = Conv2dWeight.apply(x, gy, kernel=weight.shape[2:], columns=columns,
                                    padded=self.padded, **self.geometry)
        if need_b:
            gb = gy.sum(axis=(0, 2, 3))
        return gx, gw, gb

    def release(self):
        super().release()
        self.columns = self.padded = None


class ConvTranspose2d(Function):
    """y = conv_transpose2d(g, W): col2im(Wᵀ @ g), cropped to ``size`` (module docstring);
    gg = conv2d(gy, W),  gW = conv2d_weight(gy, g)"""
    def forward(self, g, weight, size=None, stride=None, padding=None, dilation=None, groups=1):
        xp = self.xp
        self.save_inputs(0, 1)
        self.geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        o, cg, kh, kw = weight.shape
        n, _, oh, ow = g.shape
        top, bottom, left, right = padding
        w_t = weight.reshape(groups, o // groups, -1).transpose(0, 2, 1)   # (G, K, O/G)
        g3 = _channels_by_pixels(xp, g, groups)                            # (G, O/G, P)
        hp, wp = size[0] + top + bottom, size[1] + left + right
        target = xp.zeros((groups, cg, hp, wp, n), dtype=g.dtype)          # x̃'s memory
        per_row = groups * w_t.shape[1] * ow * n * g.dtype.itemsize
        # the (K, P) columns of the gradient, a few output rows at a time: temporaries, so
        # cache-sized; each chunk adds into the input rows its windows read
        for rows in (row_chunks(oh, per_row, CACHE_BUDGET) if n else []):
            pixels = slice(rows.start * ow * n, rows.stop * ow * n)
            cols = (w_t @ g3[:, :, pixels]).reshape(groups, cg, kh, kw, rows.stop - rows.start,
                                                   ow, n)
            first = rows.start * stride[0]
            add_windows(target[:, :, first:].transpose(0, 1, 4, 2, 3),   # (G, C/G, N, H̃, W̃)
                        cols.transpose(0, 1, 6, 4, 5, 2, 3), stride, dilation)
        image = target.reshape(groups * cg, hp, wp, n).transpose(3, 0, 1, 2)
        return crop2d(image, padding, size)

    def backward(self, gy):
        g, weight = self.saved_tensors
        gg = gw = None
        if self.parents[0] is not None:
            gg = _crop_to(Conv2d.apply(gy, weight, **self.geometry), g.shape)
        if self.parents[1] is not None:
            gw = Conv2dWeight.apply(gy, g, kernel=weight.shape[2:], **self.geometry)
        return gg, gw


class Conv2dWeight(Function):
    """y = conv2d_weight(x, g) = Σ_p g[o, p] · cols[k, p], shaped as W;
    gx = conv_transpose2d(g, gy),  gg = conv2d(x, gy)"""
    def forward(self, x, g, kernel=None, stride=None, padding=None, dilation=None, groups=1,
                columns=None, padded=None):
        self.save_inputs(0, 1)
        self.geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        return weight_gradient(self.xp, x, g, kernel, columns=columns, padded=padded,
                               **self.geometry)

    def backward(self, gy):
        x, g = self.saved_tensors
        gx = gg = None
        if self.parents[0] is not None:
            gx = ConvTranspose2d.apply(g, gy, size=x.shape[2:], **self.geometry)
        if self.parents[1] is not None:
            gg = _crop_to(Conv2d.apply(x, gy, **self.geometry), g.shape)
        return gx, gg


def weight_gradient(xp, x, g, kernel, stride, padding, dilation, groups, columns=None,
                    padded=None, with_bias=False, out=(None, None)):
    """conv2d_weight(x, g) on arrays (shaped as W), and with ``with_bias`` also Σ g per output
    channel, the bias gradient, from the same product ``g @ [cols; 1]ᵀ``.

    ``columns``: the forward's kept columns (with their ones row when ``with_bias``), else
    they are rebuilt a few output rows at a time, from ``padded`` (the forward's x̃ as memory
    (C, H̃, W̃, N)) when given, else from x padded afresh. ``out``: arrays the weight (and bias)
    gradient are written into (a leaf's gradient buffer, see ``autograd/grad_buffer.py``), or
    None.
    """
    n, o, oh, ow = g.shape
    kernel = tuple(kernel)
    k = kernel[0] * kernel[1] * x.shape[1] // groups
    width = k + 1 if with_bias else k
    g3 = _channels_by_pixels(xp, g, groups)                       # (G, O/G, P)
    if columns is not None:  # kept by the forward
        gw = g3 @ columns.transpose(0, 2, 1)                      # (G, O/G, K(+1))
    else:  # Σ over cache-sized chunks of output rows, each chunk's columns built afresh
        xm = batch_innermost(xp, pad2d(xp, x, padding)) if padded is None else padded
        chunks = row_chunks(oh, groups * width * ow * n * x.dtype.itemsize, CACHE_BUDGET)
        if not (chunks and n):  # an empty batch or image
            gw = xp.zeros((groups, o // groups, width), dtype=g.dtype)
        else:
            most = (chunks[0].stop - chunks[0].start) * ow * n
            buffer = column_buffer(xp, groups, k, most, x.dtype, with_bias)
            gw, part = (xp.empty((groups, o // groups, width), dtype=g.dtype) for _ in "gp")
            for rows in chunks:
                cols = _columns_of(xp, xm, kernel, stride, dilation, groups, rows, ow, buffer)
                pixels = slice(rows.start * ow * n, rows.stop * ow * n)
                first = rows.start == 0
                xp.matmul(g3[:, :, pixels], cols.transpose(0, 2, 1), out=gw if first else part)
                if not first:
                    gw += part
    weight = gw[:, :, :k].reshape(o, -1, *kernel)                 # W's layout (O, C/G, kH, kW)
    if out[0] is not None:
        out[0][...] = weight
        weight = out[0]
    if not with_bias:
        return weight
    gb = gw[:, :, k].reshape(o)
    if out[1] is not None:
        out[1][...] = gb
        gb = out[1]
    return weight, gb


_columns_of = columns  # (Conv2dWeight.forward's argument ``columns`` hides the function)


def _crop_to(y, shape):
    """y cut to ``shape``'s spatial size (a transposed convolution with output_padding ≥ stride
    has rows that no window of the forward convolution reads; their windows are dropped)."""
    if y.shape[2:] == tuple(shape[2:]):
        return y
    return y[:, :, :shape[2], :shape[3]]


def conv2d(x, weight, bias=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
           groups=1):
    """The 2-D convolution (cross-correlation) node; geometry already checked and normalized:
    ``padding`` is (top, bottom, left, right). Asks the node to keep its columns (when they
    are small) if W's gradient is wanted."""
    keep = weight.requires_grad and grad_mode.state.enabled
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d.apply(*inputs, stride=tuple(stride), padding=tuple(padding),
                        dilation=tuple(dilation), groups=groups, keep_columns=keep)


def conv_transpose2d(x, weight, size, bias=None, stride=(1, 1), padding=(0, 0, 0, 0),
                     dilation=(1, 1), groups=1):
    """The transposed convolution node to spatial ``size``; geometry already checked."""
    y = ConvTranspose2d.apply(x, weight, size=tuple(size), stride=tuple(stride),
                              padding=tuple(padding), dilation=tuple(dilation), groups=groups)
    if bias is not None:
        y = y + bias.reshape((-1, 1, 1))
    return y
