"""Functional pooling and channel dropout: argument checks, PyTorch's output sizes, then the ops.

Output size per spatial axis (PyTorch's rule): ⌊(H + 2p − d·(k − 1) − 1)/s⌋ + 1, with ⌈ ⌉
under ``ceil_mode``, where a last window that would start in the right padding is dropped.
Re-exported by ``minidl.nn.functional``.
"""
import warnings

from minidl import backends, dtypes
from minidl.autograd.ops import pool as pool_ops
from minidl.autograd.tensor import constant
from minidl.nn.conv_functional import pair


def pooled_size(size, kernel, stride, pad, dilation, ceil_mode):
    """PyTorch's pooling output size along one axis."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1  # the last window would start in the right padding: PyTorch drops it
    return out


def _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, name, spatial=2):
    """Kernel, stride, (top, bottom, left, right) padding with the ceil-mode overhang, dilation
    and output size, all checked; for the last ``spatial`` axes of x."""
    if x.ndim not in (spatial + 1, spatial + 2):
        axes = "C, L" if spatial == 1 else "C, H, W"
        raise ValueError(f"{name}: expected a {spatial + 1}-D ({axes}) or {spatial + 2}-D (N, "
                         f"{axes}) input, got shape {x.shape}")
    kernel = pair(kernel_size, "kernel_size", name, spatial)
    stride = kernel if stride is None or stride == () else pair(stride, "stride", name, spatial)
    pads = pair(padding, "padding", name, spatial, minimum=0)
    dilation = pair(dilation, "dilation", name, spatial)
    sizes = x.shape[x.ndim - spatial:]
    for k, p in zip(kernel, pads):
        if p > k // 2:
            raise ValueError(f"{name}: pad should be at most half of kernel size, but got "
                             f"padding={pads} and kernel_size={kernel}")
    out = tuple(pooled_size(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip(sizes, kernel, stride, pads, dilation))
    if any(o < 1 for o in out):
        raise ValueError(f"{name}: input of shape {x.shape} is too small for kernel_size "
                         f"{kernel} with padding {pads}, stride {stride} and dilation {dilation} "
                         f"(output size {out})")
    padding = []
    for n, k, s, p, d, o in zip(sizes, kernel, stride, pads, dilation, out):
        overhang = max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        padding.append((p, p + overhang))
    if spatial == 1:  # one row: the 2-D ops see (..., 1, L)
        kernel, stride, dilation, out = (1,) + kernel, (1,) + stride, (1,) + dilation, (1,) + out
        padding = [(0, 0)] + padding
    (top, bottom), (left, right) = padding
    return kernel, stride, (top, bottom, left, right), dilation, out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each window of (N, C, H, W) or (C, H, W) input; padding counts as −∞.

    Its gradient goes to the first maximum of each window in row-major order (as PyTorch's);
    ``return_indices`` also returns each maximum's flat index h·W + w in its input plane.

    Example:
        >>> import minidl as mdl
        >>> max_pool2d(mdl.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
        [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     "max_pool2d", 2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each window of (N, C, L) or (C, L) input (see :func:`max_pool2d`)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     "max_pool1d", 1)


def _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, name,
              spatial):
    kernel, stride, pads, dilation, out = _geometry(x, kernel_size, stride, padding, dilation,
                                                    ceil_mode, name, spatial)
    if spatial == 1:
        x = x.reshape(x.shape[:-1] + (1, x.shape[-1]))
    result = pool_ops.max_pool2d(x, kernel, stride, pads, dilation, out, return_indices)
    if spatial == 2:
        return result
    if not return_indices:
        return result.reshape(result.shape[:-2] + (result.shape[-1],))
    y, indices = result  # (the flat index in a (1, L) plane is the position along L)
    return (y.reshape(y.shape[:-2] + (y.shape[-1],)),
            indices.reshape(indices.shape[:-2] + (indices.shape[-1],)))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of each window of (N, C, H, W) or (C, H, W) input, with PyTorch's divisors:
    ``divisor_override`` if given; else the window's size clipped to the padded input
    (``count_include_pad``, padding counts as zeros), or the number of real input elements
    in it (``count_include_pad=False``). A ``ceil_mode`` overhang never counts.

    Example:
        >>> import minidl as mdl
        >>> avg_pool2d(mdl.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
        [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool2d", 2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """The mean of each window of (N, C, L) or (C, L) input (see :func:`avg_pool2d`)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                     "avg_pool1d", 1)


def _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
              name, spatial):
    kernel, stride, pads, _, out = _geometry(x, kernel_size, stride, padding, 1, ceil_mode, name,
                                             spatial)
    if divisor_override is not None and (not isinstance(divisor_override, int)
                                         or isinstance(divisor_override, bool)
                                         or divisor_override == 0):
        raise ValueError(f"{name}: divisor_override must be a non-zero int, got "
                         f"{divisor_override!r}")
    shape = x.shape
    if spatial == 1:
        x = x.reshape(shape[:-1] + (1, shape[-1]))
    total = pool_ops.SumPool2d.apply(x, kernel=kernel, stride=stride, padding=pads, out=out)
    if divisor_override is not None:
        y = total * (1.0 / divisor_override)
    else:
        xp = x.xp
        counts = [_window_counts(n, k, s, p, o, count_include_pad)
                  for n, k, s, p, o in zip(x.shape[-2:], kernel, stride, (pads[0], pads[2]), out)]
        divisor = xp.asarray(counts[0], dtype=x.dtype).reshape(-1, 1) * xp.asarray(
            counts[1], dtype=x.dtype)
        y = total * constant(1.0 / divisor, x)
    return y.reshape(y.shape[:-2] + (y.shape[-1],)) if spatial == 1 else y


def _window_counts(size, kernel, stride, pad, out, count_include_pad):
    """Per output position along one axis, the divisor factor PyTorch uses."""
    counts = []
    for o in range(out):
        start = o * stride - pad
        end = min(start + kernel, size + pad)  # the window clipped to the padded input
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(min(end, size) - max(start, 0))
    return counts


def adaptive_avg_pool2d(input, output_size):
    """Average over the (OH, OW) bins PyTorch uses: bin i spans rows ⌊i·H/OH⌋ … ⌈(i+1)·H/OH⌉ − 1.

    Computed as A_H · x · A_Wᵀ with A the (out, in) matrices of bin averages, two matrix
    products whose gradients (and second gradients) are matrix products again. ``None`` in
    ``output_size`` keeps that axis's size.

    Example:
        >>> import minidl as mdl
        >>> adaptive_avg_pool2d(mdl.arange(16.0).reshape(1, 1, 4, 4), 1).tolist()
        [[[[7.5]]]]
    """
    name = "adaptive_avg_pool2d"
    x = input
    if x.ndim not in (3, 4):
        raise ValueError(f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                         f"shape {x.shape}")
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size, output_size)
    output_size = tuple(output_size)
    if len(output_size) != 2:
        raise ValueError(f"{name}: output_size must be an int or a pair, got {output_size!r}")
    h, w = x.shape[-2:]
    oh, ow = (n if o is None else o for n, o in zip((h, w), output_size))
    for o in (oh, ow):
        if not isinstance(o, int) or isinstance(o, bool) or o < 1:
            raise ValueError(f"{name}: output_size must hold positive ints, got {output_size!r}")
    if h < 1 or w < 1:
        raise ValueError(f"{name}: input of shape {x.shape} has an empty spatial axis")
    rows = constant(_bin_matrix(x.xp, oh, h, x.dtype), x)        # (OH, H)
    cols = constant(_bin_matrix(x.xp, ow, w, x.dtype).T, x)      # (W, OW)
    return rows @ (x @ cols)


def _bin_matrix(xp, out, size, dtype):
    """A[i, j] = 1/|bin i| for j in bin i = [⌊i·size/out⌋, ⌈(i + 1)·size/out⌉)."""
    a = [[0.0] * size for _ in range(out)]
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        a[i][start:end] = [1.0 / (end - start)] * (end - start)
    return xp.asarray(a, dtype=dtype)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout: each whole channel x[n, c] of (N, C, H, W) input is zeroed with
    probability p and the others scaled by 1/(1 − p), from minidl's seeded generator.

    As PyTorch's (which warns about it), 3-D input is read as (N, C, L): channels of a batch.
    ``inplace`` is accepted for PyTorch's signature; the result is always a new tensor.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim < 2:
        raise ValueError(f"dropout2d: expected an (N, C, H, W) input, got shape {input.shape}")
    if input.ndim != 4:
        warnings.warn(f"dropout2d: received a {input.ndim}-D input; it drops the channels of "
                      "axis 1 of an (N, C, ...) input, as PyTorch does", stacklevel=2)
    if not training or p == 0:
        return input
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    xp = input.xp
    if p == 1:
        mask = xp.zeros(shape, dtype=input.dtype)
    else:
        draw = input.dtype if input.dtype.name in ("float32", "float64") else dtypes.float32
        keep = backends.get_backend(input.device).rng().random(shape, dtype=draw) >= p
        mask = keep.astype(input.dtype) * (1.0 / (1.0 - p))
    return input * constant(mask, input)
