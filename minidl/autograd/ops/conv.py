"""Convolution as one matrix product over the input's windows (im2col), and its two adjoints.

Notation: x (N, C, H, W), weight W (O, C/G, kH, kW) in G groups, y (N, O, OH, OW); x̃ is x
zero-padded once by (top, bottom, left, right); P = N·OH·OW output pixels, K = kH·kW·(C/G).

    conv2d:            y[n, o, p] = Σ_k cols[g, (n, p), k] · W[o, k] + b[o]        (one GEMM)
    conv_transpose2d:  the adjoint of conv2d in x: ⟨conv2d(x, W), g⟩ = ⟨x, conv_transpose2d(g, W)⟩
    conv2d_weight:     the adjoint of conv2d in W: ⟨conv2d(x, W), g⟩ = ⟨W, conv2d_weight(x, g)⟩

where cols = im2col(x̃) is (G, P, K). The three are one bilinear form read three ways, so each
one's gradients are the other two, and ``create_graph=True`` gives exact second derivatives:

    Conv2d           gx = conv_transpose2d(gy, W)    gW = conv2d_weight(x, gy)     gb = Σ gy
    ConvTranspose2d  gg = conv2d(gy, W)              gW = conv2d_weight(gy, g)
    Conv2dWeight     gx = conv_transpose2d(g, gy)    gg = conv2d(x, gy)

Memory: the columns (P × K per group) are the big array. A node that will need them for the
weight gradient keeps them only when they are small (under ``CACHE_BUDGET``); otherwise it
builds them chunk by chunk, in the forward and again in the weight gradient, each chunk small
enough to stay in cache between its copy and its GEMM (a hand-written NumPy CNN does the same:
one more im2col copy per step, instead of holding P × K floats from the forward to the
backward). Without a graph, or with no weight gradient wanted, the batch is processed in
chunks whose columns stay under ``COLUMN_BUDGET`` bytes. Evaluating PyTorch's MNIST example net at batch 1000 would otherwise
need a 633 MiB column matrix in its second convolution.
"""
from minidl.autograd import grad_mode
from minidl.autograd.function import Function
from minidl.autograd.tensor import constant
from minidl.autograd.ops.windows import (add_windows, crop2d, output_size, pad2d,
                                         sliding_windows)

COLUMN_BUDGET = 32 * 2**20
"""Bytes of im2col columns one chunk of an unrecorded convolution may hold (32 MiB)."""
CACHE_BUDGET = 2**20
"""Bytes of columns a recorded convolution keeps whole, and the size of the chunks it builds
them in otherwise (1 MiB: they stay in cache for their GEMM)."""


def columns(xp, x, kernel, stride, dilation, groups, out=None, buffer=None):
    """im2col: the (G, N·OH·OW, kH·kW·(C/G)) matrix of x's windows (x already padded).

    Row (n, oh, ow) of group g holds the window x[n, gC/G:(g+1)C/G, oh·sH + i·dH, ow·sW + j·dW]
    flattened in (i, j, c) order (:func:`weight_matrix` orders W the same way): with pixel-major
    images the channels of a window are contiguous, so this reshape, the one copy of the
    forward pass, copies runs of C values. (A 1×1 kernel's windows are single pixels: the columns are
    x's channels pixel by pixel, a plain matmul, and the reshape copies nothing when x is
    already stored pixel-major, as every convolution's output is.)

    ``buffer`` (G, ≥ N·OH·OW, ≥ K): write the columns into ``buffer[:, :rows, :K]`` and return
    ``buffer[:, :rows]`` (columns past K, such as :func:`column_buffer`'s ones, stay as they are).
    """
    n, c = x.shape[:2]
    win = sliding_windows(xp, x, kernel, stride, dilation, out)
    win = win.reshape(n, groups, c // groups, *win.shape[2:])
    oh, ow = win.shape[3:5]
    win = win.transpose(1, 0, 3, 4, 5, 6, 2)                   # (G, N, OH, OW, kH, kW, C/G)
    if buffer is None:
        return win.reshape(groups, n * oh * ow, -1)
    rows = buffer[:, :n * oh * ow]
    k = win.shape[4] * win.shape[5] * win.shape[6]
    rows[:, :, :k].reshape(win.shape)[...] = win  # (only axes split: a view of the buffer)
    return rows


def column_buffer(xp, groups, rows, k, dtype, ones):
    """An empty (G, rows, K) column matrix, or with ``ones`` a (G, rows, K + 1) one whose last
    column is 1: then ``[cols 1] @ [Wᵀ; b] = cols @ Wᵀ + b`` and ``[cols 1]ᵀ @ g`` ends with
    the row Σ g, the bias and its gradient folded into the products (a hand-written NumPy CNN
    does the same)."""
    buffer = xp.empty((groups, rows, k + 1 if ones else k), dtype=dtype)
    if ones:
        buffer[:, :, k] = 1
    return buffer


def weight_matrix(weight, groups):
    """W (O, C/G, kH, kW) as (G, O/G, K) with K in the columns' (i, j, c) order (a small copy)."""
    o = weight.shape[0]
    return weight.transpose(0, 2, 3, 1).reshape(groups, o // groups, -1)


def _pixels(xp, y, groups):
    """(N, O, OH, OW) → (G, N·OH·OW, O/G): the layout of a GEMM's result over pixels."""
    n, o, oh, ow = y.shape
    return y.reshape(n, groups, o // groups, oh, ow).transpose(1, 0, 3, 4, 2).reshape(
        groups, n * oh * ow, o // groups)


def _image(xp, y, n, oh, ow):
    """(G, N·OH·OW, O/G) → (N, O, OH, OW), pixel-major (a view of y itself when G = 1)."""
    groups, _, og = y.shape
    if groups == 1:
        return y.reshape(n, oh, ow, og).transpose(0, 3, 1, 2)
    image = xp.empty((n, oh, ow, groups, og), dtype=y.dtype)
    image[...] = y.reshape(groups, n, oh, ow, og).transpose(1, 2, 3, 0, 4)
    return image.reshape(n, oh, ow, groups * og).transpose(0, 3, 1, 2)


def _chunks(n, bytes_per_sample, budget=None):
    """Batch slices whose columns take at most ``budget`` bytes (default COLUMN_BUDGET; at least
    one sample)."""
    budget = COLUMN_BUDGET if budget is None else budget
    step = max(1, budget // max(bytes_per_sample, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


class Conv2d(Function):
    """y = conv2d(x, W) + b (module docstring);
    gx = conv_transpose2d(gy, W),  gW = conv2d_weight(x, gy),  gb = Σ_{n,oh,ow} gy

    When x, W and b share a dtype, the bias rides in the GEMM (:func:`column_buffer`):
    ``[cols 1] @ [Wᵀ; b]``, and a backward without a graph gets gW and gb from the one product
    ``[cols 1]ᵀ @ g`` (:func:`weight_gradient`; the recorded backward is the formula above).
    """
    def forward(self, x, weight, bias=None, stride=None, padding=None, dilation=None, groups=1,
                keep_columns=False):
        xp = self.xp
        self.save_inputs(0, 1)
        self.geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        o, _, kh, kw = weight.shape
        kernel = (kh, kw)
        xpad = pad2d(xp, x, padding)
        n = x.shape[0]
        oh = output_size(xpad.shape[2], kh, stride[0], dilation[0])
        ow = output_size(xpad.shape[3], kw, stride[1], dilation[1])
        w_t = weight_matrix(weight, groups).transpose(0, 2, 1)  # (G, K, O/G)
        k = w_t.shape[1]
        self.fold = bias is not None and x.dtype == weight.dtype == bias.dtype
        if self.fold:  # [Wᵀ; b]: (G, K + 1, O/G)
            wb = xp.empty((groups, k + 1, o // groups), dtype=weight.dtype)
            wb[:, :k] = w_t
            wb[:, k] = bias.reshape(groups, o // groups)
            w_t = wb
        self.columns = None
        width = k + 1 if self.fold else k  # (the columns' bytes, ones column included)
        per_sample = oh * ow * width * groups * x.dtype.itemsize
        if keep_columns and n * per_sample <= CACHE_BUDGET:  # the weight gradient will need
            cols = columns(xp, xpad, kernel, stride, dilation, groups,  # them: small, keep
                           buffer=column_buffer(xp, groups, n * oh * ow, k, x.dtype, self.fold))
            self.columns = cols  # (with the ones column when folded)
            y = cols @ w_t
        else:  # (recorded: cache-sized chunks, rebuilt by Conv2dWeight; else COLUMN_BUDGET)
            y = xp.empty((groups, n * oh * ow, o // groups), dtype=x.dtype)
            chunks = _chunks(n, per_sample, CACHE_BUDGET if keep_columns else None)
            buffer = None
            if chunks:
                most = (chunks[0].stop - chunks[0].start) * oh * ow
                buffer = column_buffer(xp, groups, most, k, x.dtype, self.fold)
            for batch in chunks:
                rows = slice(batch.start * oh * ow, batch.stop * oh * ow)
                cols = columns(xp, xpad[batch], kernel, stride, dilation, groups, buffer=buffer)
                if groups == 1:  # straight into y (its rows are contiguous): no temporary
                    xp.matmul(cols, w_t, out=y[:, rows])
                else:
                    y[:, rows] = cols @ w_t
        if bias is not None and not self.fold:
            y += bias.reshape(groups, 1, o // groups)  # once, on the GEMM's fresh result
        return _image(xp, y, n, oh, ow)

    def backward(self, gy):
        x, weight = self.saved_tensors
        need_x, need_w = self.parents[0] is not None, self.parents[1] is not None
        need_b = len(self.parents) > 2 and self.parents[2] is not None
        gx = gw = gb = None
        if need_x:
            gx = ConvTranspose2d.apply(gy, weight, size=x.shape[2:], **self.geometry)
        if need_w and need_b and self.fold and not grad_mode.state.enabled:
            # -- fast path: gW and gb from one product [cols 1]ᵀ @ g (class docstring)
            gw, gb = weight_gradient(self.xp, x.data, gy.data, weight.shape[2:],
                                     columns=self.columns, with_bias=True,
                                     out=(self.grad_buffer(1, gy.data),
                                          self.grad_buffer(2, gy.data)), **self.geometry)
            return gx, constant(gw, gy), constant(gb, gy)
        if need_w:
            columns = self.columns
            if columns is not None and self.fold:
                columns = columns[..., :-1]  # (the ones column is the bias's)
            gw = Conv2dWeight.apply(x, gy, kernel=weight.shape[2:], columns=columns,
                                    **self.geometry)
        if need_b:
            gb = gy.sum(axis=(0, 2, 3))
        return gx, gw, gb

    def release(self):
        super().release()
        self.columns = None


class ConvTranspose2d(Function):
    """y = conv_transpose2d(g, W): col2im(g @ W), cropped to ``size`` (module docstring);
    gg = conv2d(gy, W),  gW = conv2d_weight(gy, g)"""
    def forward(self, g, weight, size=None, stride=None, padding=None, dilation=None, groups=1):
        xp = self.xp
        self.save_inputs(0, 1)
        self.geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        o, cg, kh, kw = weight.shape
        n, _, oh, ow = g.shape
        top, bottom, left, right = padding
        w3 = weight_matrix(weight, groups)                       # (G, O/G, K)
        g3 = _pixels(xp, g, groups)                              # (G, P, O/G)
        hp, wp = size[0] + top + bottom, size[1] + left + right
        target = xp.zeros((n, hp, wp, groups, cg), dtype=g.dtype).transpose(0, 3, 4, 1, 2)
        per_sample = oh * ow * w3.shape[2] * groups * g.dtype.itemsize
        # the (P, K) columns of the gradient, chunk by chunk: temporaries, so cache-sized
        for batch in _chunks(n, per_sample, CACHE_BUDGET):
            rows = slice(batch.start * oh * ow, batch.stop * oh * ow)
            cols = (g3[:, rows] @ w3).reshape(groups, batch.stop - batch.start, oh, ow, kh, kw, cg)
            add_windows(target[batch], cols.transpose(1, 0, 6, 2, 3, 4, 5), stride, dilation)
        target = target.reshape(n, groups * cg, *target.shape[3:])
        return crop2d(target, padding, size)

    def backward(self, gy):
        g, weight = self.saved_tensors
        gg = gw = None
        if self.parents[0] is not None:
            gg = _crop_to(Conv2d.apply(gy, weight, **self.geometry), g.shape)
        if self.parents[1] is not None:
            gw = Conv2dWeight.apply(gy, g, kernel=weight.shape[2:], **self.geometry)
        return gg, gw


class Conv2dWeight(Function):
    """y = conv2d_weight(x, g) = Σ_{n,p} g[n, o, p] · cols[(n, p), k], shaped as W;
    gx = conv_transpose2d(g, gy),  gg = conv2d(x, gy)"""
    def forward(self, x, g, kernel=None, stride=None, padding=None, dilation=None, groups=1,
                columns=None):
        self.save_inputs(0, 1)
        self.geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        return weight_gradient(self.xp, x, g, kernel, columns=columns, **self.geometry)

    def backward(self, gy):
        x, g = self.saved_tensors
        gx = gg = None
        if self.parents[0] is not None:
            gx = ConvTranspose2d.apply(g, gy, size=x.shape[2:], **self.geometry)
        if self.parents[1] is not None:
            gg = _crop_to(Conv2d.apply(x, gy, **self.geometry), g.shape)
        return gx, gg


def weight_gradient(xp, x, g, kernel, stride, padding, dilation, groups, columns=None,
                    with_bias=False, out=(None, None)):
    """conv2d_weight(x, g) on arrays (shaped as W), and with ``with_bias`` also Σ g per output
    channel, the bias gradient, from the same product ``[cols 1]ᵀ @ g``.

    ``columns``: the forward's kept columns (with their ones column when ``with_bias``), else
    they are rebuilt chunk by chunk. ``out``: arrays the weight (and bias) gradient are written
    into (a leaf's gradient buffer, see ``autograd/grad_buffer.py``), or None.
    """
    n, o, oh, ow = g.shape
    kernel = tuple(kernel)
    k = kernel[0] * kernel[1] * x.shape[1] // groups
    g3 = _pixels(xp, g, groups)                                   # (G, P, O/G)
    # gWᵀ = colsᵀ @ g, (G, K, O/G): OpenBLAS runs this orientation ~1.7× faster than
    # gW = gᵀ @ cols on the shapes of small CNNs (a hand-written loop computes it so too)
    if columns is not None:  # kept by the forward
        gw_t = columns.transpose(0, 2, 1) @ g3
    else:  # Σ over cache-sized chunks of the batch, each chunk's columns built afresh
        xpad = pad2d(xp, x, padding)
        per_sample = oh * ow * (k + 1 if with_bias else k) * groups * x.dtype.itemsize
        chunks = _chunks(n, per_sample, CACHE_BUDGET)
        gw_t = None
        if chunks:
            most = (chunks[0].stop - chunks[0].start) * oh * ow
            buffer = column_buffer(xp, groups, most, k, x.dtype, with_bias)
        for batch in chunks:
            rows = slice(batch.start * oh * ow, batch.stop * oh * ow)
            cols = _columns_of(xp, xpad[batch], kernel, stride, dilation, groups, (oh, ow),
                               buffer)
            part = cols.transpose(0, 2, 1) @ g3[:, rows]
            if gw_t is None:
                gw_t = part
            else:
                gw_t += part
        if gw_t is None:  # an empty batch
            gw_t = xp.zeros((groups, k + 1 if with_bias else k, o // groups), dtype=g.dtype)
    gw = _weight_of(xp, gw_t[:, :k], o, kernel, out[0])
    if not with_bias:
        return gw
    gb = gw_t[:, k].reshape(o)
    if out[1] is not None:
        out[1][...] = gb
        gb = out[1]
    return gw, gb


def _weight_of(xp, gw_t, o, kernel, out=None):
    """(G, K, O/G) with K in (i, j, c) order → W's layout (O, C/G, kH, kW), into ``out`` if given."""
    gw = gw_t.transpose(0, 2, 1)                                  # (G, O/G, K)
    gw = gw.reshape(o, *kernel, -1).transpose(0, 3, 1, 2)
    if out is None:
        return gw
    out[...] = gw
    return out


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
