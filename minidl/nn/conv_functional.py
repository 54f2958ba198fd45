"""Functional convolutions, im2col and padding: argument checks, then the ops.

PyTorch's names, arguments and shapes (NCHW / NCL); sizes are an int or a pair; unbatched
inputs ((C, H, W), (C, L)) get a batch axis of one for the op and lose it again. Every error
names the function (or the layer that called it) and the shapes involved. Re-exported by
``minidl.nn.functional``.
"""
from minidl.autograd.ops import conv as conv_ops
from minidl.autograd.ops import padding as pad_ops
from minidl.autograd.ops import windows
from minidl.autograd.tensor import Tensor

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


# -- argument helpers ----------------------------------------------------------------------
def pair(value, what, name, n=2, minimum=1):
    """An int or a sequence of ``n`` ints as an n-tuple, each ≥ ``minimum``."""
    if isinstance(value, bool):
        raise TypeError(f"{name}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    if isinstance(value, int):
        value = (value,) * n
    try:
        value = tuple(value)
    except TypeError:
        raise TypeError(f"{name}: {what} must be an int or a tuple of {n} ints, got "
                        f"{value!r}") from None
    if len(value) == 1 and n > 1:
        value = value * n
    if len(value) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise TypeError(f"{name}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in value):
        raise ValueError(f"{name}: {what} must be at least {minimum}, got {value!r}")
    return value


def same_padding(kernel, dilation):
    """'same' padding per axis as (before, after): d·(k − 1) in all, the extra one after."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return pads


def conv_padding(padding, kernel, stride, dilation, name, n=2):
    """``padding`` (int, tuple, 'valid' or 'same') as (before, after) per spatial axis."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride}); use an explicit padding")
            return same_padding(kernel, dilation)
        raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of "
                         "'valid', 'same'")
    return [(p, p) for p in pair(padding, "padding", name, n, minimum=0)]


def _batched(x, spatial, name, what="input"):
    """x with a batch axis (and whether it had one); checks the number of dimensions."""
    if x.ndim == spatial + 2:
        return x, True
    if x.ndim == spatial + 1:
        return x.reshape((1,) + x.shape), False
    axes = "C, L" if spatial == 1 else "C, H, W"
    raise ValueError(f"{name}: expected a {spatial + 1}-D ({axes}) or {spatial + 2}-D (N, "
                     f"{axes}) {what}, got shape {x.shape}")


def _check_fits(x_shape, pads, kernel, dilation, name, weight_shape=None):
    for size, (a, b), k, d in zip(x_shape[2:], pads, kernel, dilation):
        if size + a + b < d * (k - 1) + 1:
            of_weight = f" (weight of shape {weight_shape})" if weight_shape else ""
            raise ValueError(f"{name}: the kernel {tuple(kernel)}{of_weight} with dilation "
                             f"{tuple(dilation)} is larger than the padded input: input of "
                             f"shape {x_shape} padded by {[tuple(p) for p in pads]}")


def _check_dtypes(x, weight, bias, name):
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"{name}: input ({x.dtype}) and {what} ({t.dtype}) must have the "
                            "same dtype")


# -- convolutions ----------------------------------------------------------------------------
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch's) of (N, C, H, W) or (C, H, W) input.

    y[n, o, oh, ow] = b[o] + Σ_{c,i,j} W[o, c, i, j]·x̃[n, g·C/G + c, oh·sH + i·dH, ow·sW + j·dW]
    for output channel o in group g, x̃ the zero-padded input. ``padding`` is an int, a pair,
    'valid' (none) or 'same' (stride 1 only; an odd total puts the extra row after). Computed
    as one matrix product over the input's windows (``minidl.autograd.ops.conv``), a few
    output rows at a time so that their window columns stay under ``ops.conv.CACHE_BUDGET``
    (1 MiB, in cache).

    Args:
        input: (N, C, H, W) or (C, H, W).
        weight: (O, C/groups, kH, kW).
        bias: (O,) or None.

    Example:
        >>> import minidl as mdl
        >>> x, w = mdl.ones(1, 1, 3, 3), mdl.ones(1, 1, 2, 2)
        >>> conv2d(x, w).tolist()
        [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    return _conv2d(input, weight, bias, stride, padding, dilation, groups, "conv2d")


def _conv_arguments(x, weight, stride, padding, dilation, name, pads, n):
    """Check an n-D convolution's weight, and put its arguments in canonical form: ``x`` with
    a batch axis (and whether it had one), ``stride`` and ``dilation`` as n-tuples, and
    ``pads`` ((before, after) per spatial axis; computed from ``padding`` unless given)."""
    if not isinstance(weight, Tensor) or weight.ndim != n + 2:
        axes = "kH, kW" if n == 2 else "k"
        raise ValueError(f"{name}: weight must be a {n + 2}-D tensor (out_channels, "
                         f"in_channels/groups, {axes}), got shape "
                         f"{getattr(weight, 'shape', None)}")
    x, batched = _batched(x, n, name)
    stride = pair(stride, "stride", name, n)
    dilation = pair(dilation, "dilation", name, n)
    pads = pads or conv_padding(padding, weight.shape[2:], stride, dilation, name, n)
    return x, batched, stride, dilation, pads


def _conv2d(x, weight, bias, stride, padding, dilation, groups, name, pads=None):
    x, batched, stride, dilation, pads = _conv_arguments(x, weight, stride, padding, dilation,
                                                         name, pads, 2)
    kernel = weight.shape[2:]
    _check_groups(x.shape, weight.shape, groups, name)
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"{name}: bias of shape {bias.shape} does not match weight of shape "
                         f"{weight.shape}; expected ({weight.shape[0]},)")
    _check_dtypes(x, weight, bias, name)
    _check_fits(x.shape, pads, kernel, dilation, name, weight.shape)
    (top, bottom), (left, right) = pads
    y = conv_ops.conv2d(x, weight, bias, stride, (top, bottom, left, right), dilation, groups)
    return y if batched else y.reshape(y.shape[1:])


def _check_groups(x_shape, w_shape, groups, name):
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    c, o = x_shape[1], w_shape[0]
    if o % groups:
        raise ValueError(f"{name}: out_channels ({o}, weight of shape {w_shape}) must be "
                         f"divisible by groups={groups}")
    if c != w_shape[1] * groups:
        raise ValueError(f"{name}: expected input with {w_shape[1] * groups} channels (weight "
                         f"of shape {w_shape}, groups={groups}), got input of shape {x_shape} "
                         f"with {c} channels")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of (N, C, L) or (C, L) input with weight (O, C/groups, k): the 2-D
    convolution of the input seen as one row (N, C, 1, L).

    Example:
        >>> import minidl as mdl
        >>> conv1d(mdl.ones(1, 1, 4), mdl.ones(1, 1, 3), padding=1).tolist()
        [[[2.0, 3.0, 3.0, 2.0]]]
    """
    return _conv1d(input, weight, bias, stride, padding, dilation, groups, "conv1d")


def _conv1d(x, weight, bias, stride, padding, dilation, groups, name, pads=None):
    x, batched, stride, dilation, pads = _conv_arguments(x, weight, stride, padding, dilation,
                                                         name, pads, 1)
    n, c, length = x.shape
    _check_groups(x.shape, weight.shape, groups, name)
    _check_fits(x.shape, pads, weight.shape[2:], dilation, name, weight.shape)
    y = _conv2d(x.reshape((n, c, 1, length)), weight.reshape(weight.shape[:2] + (1,) +
                                                                weight.shape[2:]),
                bias, (1,) + stride, 0, (1,) + dilation, groups, name, [(0, 0)] + list(pads))
    y = y.reshape((n, y.shape[1], y.shape[3]))
    return y if batched else y.reshape(y.shape[1:])


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution: the gradient of ``conv2d`` with respect to its input.

    Each input pixel spreads W[c, o, i, j]·x[n, c, h, w] into y[n, o, h·sH − pH + i·dH,
    w·sW − pW + j·dW]; the output is (N, O, H', W') with H' = (H − 1)·sH − 2pH + dH·(kH − 1)
    + output_padding + 1. Weight (C, O/groups, kH, kW), as PyTorch's.

    Example:
        >>> import minidl as mdl
        >>> conv_transpose2d(mdl.ones(1, 1, 2, 2), mdl.ones(1, 1, 2, 2)).tolist()
        [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    return _conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, "conv_transpose2d")


def _conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation, name):
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise ValueError(f"{name}: weight must be a 4-D tensor (in_channels, "
                         f"out_channels/groups, kH, kW), got shape {getattr(weight, 'shape', None)}")
    x, batched = _batched(x, 2, name)
    kernel = weight.shape[2:]
    stride = pair(stride, "stride", name)
    dilation = pair(dilation, "dilation", name)
    padding = pair(padding, "padding", name, minimum=0)
    output_padding = pair(output_padding, "output_padding", name, minimum=0)
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    if x.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise ValueError(f"{name}: expected input with {weight.shape[0]} channels (weight of "
                         f"shape {weight.shape}), divisible by groups={groups}; got input of "
                         f"shape {x.shape}")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(f"{name}: output_padding {output_padding} must be smaller than "
                             f"either stride {stride} or dilation {dilation}")
    out_channels = weight.shape[1] * groups
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"{name}: bias of shape {bias.shape} does not match the "
                         f"{out_channels} output channels; expected ({out_channels},)")
    _check_dtypes(x, weight, bias, name)
    size = tuple((h - 1) * s - 2 * p + d * (k - 1) + op + 1 for h, s, p, d, k, op in
                 zip(x.shape[2:], stride, padding, dilation, kernel, output_padding))
    if any(n < 1 for n in size):
        raise ValueError(f"{name}: input of shape {x.shape} with weight of shape {weight.shape} "
                         f"and padding {padding} gives an empty output of size {size}")
    (ph, pw) = padding
    y = conv_ops.conv_transpose2d(x, weight, size, bias, stride, (ph, ph, pw, pw), dilation,
                                  groups)
    return y if batched else y.reshape(y.shape[1:])


# -- im2col and its adjoint ---------------------------------------------------------------------
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: the sliding blocks of (N, C, H, W) (or (C, H, W)) input as columns,
    (N, C·kH·kW, L) with rows in (c, i, j) order and L = OH·OW blocks in row-major order.

    Example:
        >>> import minidl as mdl
        >>> unfold(mdl.arange(9.0).reshape(1, 1, 3, 3), 2).tolist()
        [[[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]]
    """
    name = "unfold"
    x, batched = _batched(input, 2, name)
    kernel = pair(kernel_size, "kernel_size", name)
    dilation = pair(dilation, "dilation", name)
    stride = pair(stride, "stride", name)
    ph, pw = pair(padding, "padding", name, minimum=0)
    _check_fits(x.shape, [(ph, ph), (pw, pw)], kernel, dilation, name)
    y = windows.Im2Col.apply(x, kernel=kernel, stride=stride, padding=(ph, ph, pw, pw),
                             dilation=dilation)
    return y if batched else y.reshape(y.shape[1:])


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of :func:`unfold`: columns (N, C·kH·kW, L) (or (C·kH·kW, L)) summed
    back into an (N, C, H, W) image of ``output_size`` (H, W), overlapping blocks adding up.

    Example:
        >>> import minidl as mdl
        >>> fold(mdl.ones(1, 4, 4), (3, 3), 2).tolist()
        [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    name = "fold"
    if input.ndim not in (2, 3):
        raise ValueError(f"{name}: expected a 2-D (C·kH·kW, L) or 3-D (N, C·kH·kW, L) input, "
                         f"got shape {input.shape}")
    batched = input.ndim == 3
    x = input if batched else input.reshape((1,) + input.shape)
    size = pair(output_size, "output_size", name)
    kernel = pair(kernel_size, "kernel_size", name)
    dilation = pair(dilation, "dilation", name)
    stride = pair(stride, "stride", name)
    ph, pw = pair(padding, "padding", name, minimum=0)
    kk = kernel[0] * kernel[1]
    if x.shape[1] % kk:
        raise ValueError(f"{name}: expected size of input's dimension 1 ({x.shape[1]}, input "
                         f"of shape {input.shape}) to be divisible by the product of "
                         f"kernel_size {kernel}")
    blocks = [windows.output_size(n + 2 * p, k, s, d)
              for n, p, k, s, d in zip(size, (ph, pw), kernel, stride, dilation)]
    if min(blocks) < 1 or blocks[0] * blocks[1] != x.shape[2]:
        raise ValueError(f"{name}: input of shape {input.shape} has {x.shape[2]} blocks, but "
                         f"output_size {size} with kernel {kernel}, padding {(ph, pw)}, stride "
                         f"{stride} and dilation {dilation} has {blocks[0]}×{blocks[1]}")
    y = windows.Col2Im.apply(x, size=size, kernel=kernel, stride=stride,
                             padding=(ph, ph, pw, pw), dilation=dilation)
    return y if batched else y.reshape(y.shape[1:])


# -- padding -------------------------------------------------------------------------------
def pad(input, pad, mode="constant", value=0.0):
    """Pad the last len(pad)/2 axes: ``pad`` = (left, right) of the last axis, then (left,
    right) of the one before, and so on, as PyTorch's. Modes: 'constant' (``value``; negative
    amounts crop), 'reflect' (mirror, edge not repeated), 'replicate' (edge repeated),
    'circular' (wrap around).

    Example:
        >>> import minidl as mdl
        >>> pad(mdl.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").tolist()
        [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """
    name = "pad"
    pad = tuple(pad)
    if len(pad) % 2 or not all(isinstance(p, int) and not isinstance(p, bool) for p in pad):
        raise ValueError(f"{name}: padding must be an even number of ints, got {pad}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(f"{name}: padding {pad} has {len(pad) // 2} pairs, more than the "
                         f"{input.ndim} axes of input of shape {input.shape}")
    pads = tuple((pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2))[::-1]
    if mode == "constant":
        return pad_ops.constant_pad(input, pads, value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"{name}: mode must be 'constant', 'reflect', 'replicate' or "
                         f"'circular', got {mode!r}")
    if len(pads) >= input.ndim:
        raise ValueError(f"{name}: {mode} padding of {len(pads)} axes needs an input with more "
                         f"axes than that (a batch or channel axis), got shape {input.shape}")
    sizes = input.shape[input.ndim - len(pads):]
    for n, (a, b) in zip(sizes, pads):
        if a < 0 or b < 0:
            raise ValueError(f"{name}: negative padding {pad} is supported in constant mode only")
        if mode == "reflect" and max(a, b) >= n:
            raise ValueError(f"{name}: reflect padding {pad} must be smaller than the padded "
                             f"dimension (size {n} of input of shape {input.shape})")
        if mode == "circular" and max(a, b) > n:
            raise ValueError(f"{name}: circular padding {pad} must not exceed the padded "
                             f"dimension (size {n} of input of shape {input.shape})")
        if mode == "replicate" and n == 0 and (a or b):
            raise ValueError(f"{name}: cannot replicate the edge of an empty axis of input of "
                             f"shape {input.shape}")
    return pad_ops.border_pad(input, pads, mode)


def padding_mode_pad(x, pads, mode, name):
    """A layer's non-zero ``padding_mode`` applied before its convolution ((before, after) per
    spatial axis)."""
    if mode not in PADDING_MODES:
        raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, got {mode!r}")
    flat = []
    for a, b in reversed(pads):
        flat += [a, b]
    return pad(x, flat, mode)


__all__ = ["conv1d", "conv2d", "conv_transpose2d", "unfold", "fold", "pad"]
