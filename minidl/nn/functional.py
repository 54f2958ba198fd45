"""Functional forms of the layers and losses (``import minidl.nn.functional as F``).

Argument names and defaults follow ``torch.nn.functional``; the tensor argument of the
activations is ``x`` and their axis argument ``axis`` (``dim`` is accepted too).
"""
import math

import numpy as np

from minidl import backends, dtypes
from minidl.autograd import ops
from minidl.autograd.ops import activation as activation_ops
from minidl.autograd.ops.loss import SoftmaxCrossEntropy
from minidl.autograd.ops.normalization import BatchNormTrain
from minidl.autograd.tensor import Tensor, constant

_REDUCTIONS = ("mean", "sum", "none")


# -- layers ----------------------------------------------------------------------------------
def linear(x, weight, bias=None):
    """y = x @ weightᵀ + bias (one fused node; weight is (out_features, in_features))."""
    return ops.linear(x, weight, bias)


def dropout(x, p=0.5, training=True):
    """Inverted dropout: each value kept with probability 1 − p and scaled by 1/(1 − p).

    The identity when not ``training`` or when p = 0; all zeros when p = 1 (as PyTorch). The
    mask comes from minidl's seeded generator on ``x``'s device (``minidl.manual_seed``).

    Example:
        >>> import minidl as mdl
        >>> y = dropout(mdl.ones(1000), p=0.5)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    xp = x.xp
    if p == 1:
        mask = xp.zeros(x.shape, dtype=x.dtype)
    else:
        draw = x.dtype if x.dtype.name in ("float32", "float64") else dtypes.float32
        keep = _uniform_like(x, draw) >= p
        (scale,) = backends.fast_scalars(x.data, 1.0 / (1.0 - p))
        if isinstance(scale, float):  # other array modules: cast the mask, then scale it
            mask = keep.astype(x.dtype)
            mask *= scale
        else:  # NumPy: bool array × 0-d array of x's dtype is of that dtype, in one pass
            mask = xp.multiply(keep, scale)
    return x * constant(mask, x)


def _uniform_like(x, dtype):
    """U[0, 1) draws of x's shape from minidl's generator, laid out in memory as x is (drawn in
    x's memory order, then viewed in its axis order), so that ``x * mask`` runs in one
    contiguous pass (batch-innermost images would otherwise meet a mask in the other order)."""
    order = sorted(range(x.ndim), key=lambda axis: -x.data.strides[axis])  # outermost first
    rng = backends.get_backend(x.device).rng()
    draws = rng.random(tuple(x.shape[axis] for axis in order), dtype=dtype)
    return draws.transpose(sorted(range(x.ndim), key=order.__getitem__))


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization over the channel axis 1 of (N, C) or (N, C, L) input.

    training:  y = γ·(x − μ_B)/√(σ²_B + eps) + β with the batch mean and biased variance (one
    fused node), and, when running stats are given, in place:
    running_mean ← (1 − momentum)·running_mean + momentum·μ_B,
    running_var ← (1 − momentum)·running_var + momentum·σ²_B·n/(n − 1)  (unbiased).
    Otherwise:  y = γ·(x − running_mean)/√(running_var + eps) + β.
    (N, C, H, W) input is normalized over N, H and W: the same node on its (N, C, H·W) view.
    """
    if x.ndim == 4:
        n, c, h, w = x.shape
        y = batch_norm(x.reshape((n, c, h * w)), running_mean, running_var, weight, bias,
                       training, momentum, eps)
        return y.reshape(x.shape)
    if x.ndim not in (2, 3):
        raise ValueError(f"batch_norm: expected 2-D (N, C), 3-D (N, C, L) or 4-D (N, C, H, W) "
                         f"input, got shape {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"batch_norm: {name} of shape {t.shape} does not match the {c} "
                             f"channels of input of shape {x.shape}; expected ({c},)")
    if training:
        n = x.size // c if c else 0
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {x.shape}")
        stats = []
        y = BatchNormTrain.apply(x, weight, bias, eps=eps, stats=stats)
        mean, var = stats[0]
        if running_mean is not None:
            _lerp_(running_mean, mean.reshape(-1), momentum)
        if running_var is not None:
            _lerp_(running_var, var.reshape(-1) * (n / (n - 1.0)), momentum)
        return y
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are required when "
                         "training=False")
    inv_std = 1.0 / running_var.xp.sqrt(running_var.data + eps)
    y = (x - _channel(running_mean.detach(), x.ndim)) * _channel(constant(inv_std, x), x.ndim)
    if weight is not None:
        y = y * _channel(weight, x.ndim)
    if bias is not None:
        y = y + _channel(bias, x.ndim)
    return y


def _lerp_(buffer, value, momentum):
    """buffer ← (1 − momentum)·buffer + momentum·value, in place (a running statistic)."""
    data = buffer.data
    data *= 1.0 - momentum
    data += value * momentum
    buffer.bump_version()


def _channel(v, ndim):
    return v if ndim == 2 else v.reshape((-1, 1))


# -- activations -----------------------------------------------------------------------------
def relu(x):
    """max(x, 0)."""
    return ops.relu(x)


def relu6(x):
    """min(max(x, 0), 6)."""
    return activation_ops.ReLU6.apply(x)


def leaky_relu(x, negative_slope=0.01):
    """x if x > 0 else negative_slope·x."""
    return activation_ops.LeakyReLU.apply(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    """x if x > 0 else α·(eˣ − 1)."""
    return activation_ops.ELU.apply(x, alpha=alpha)


def prelu(x, weight):
    """x if x > 0 else a·x, with a learnable slope per channel (axis 1) or one shared slope."""
    if weight.size != 1:
        if x.ndim < 2 or x.shape[1] != weight.size:
            raise ValueError(f"prelu: {weight.size} slopes do not match the channel axis 1 of "
                             f"input of shape {x.shape}")
        weight = weight.reshape((weight.size,) + (1,) * (x.ndim - 2))
    else:
        weight = weight.reshape(())
    return ops.where(x > 0, x, x * weight)


def sigmoid(x):
    """1 / (1 + e⁻ˣ)."""
    return ops.sigmoid(x)


def tanh(x):
    """tanh(x)."""
    return ops.tanh(x)


def softsign(x):
    """x / (1 + |x|)."""
    return x / (ops.abs(x) + 1.0)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(βx)) / β, and x itself where βx > threshold (as PyTorch)."""
    return activation_ops.Softplus.apply(x, beta=beta, threshold=threshold)


def gelu(x, approximate="none"):
    """x·Φ(x) (``approximate='none'``, Φ the standard normal CDF, via an erfc accurate to 1e-15)
    or 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (``approximate='tanh'``)."""
    if approximate == "none":
        return x * activation_ops.NormalCDF.apply(x)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * (ops.tanh(inner) + 1.0) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softmax(x, axis=-1, dim=None):
    """exp(x) / Σ exp(x) along ``axis`` (``dim`` is PyTorch's name for it)."""
    return ops.softmax(x, axis if dim is None else dim)


def log_softmax(x, axis=-1, dim=None):
    """x − logsumexp(x) along ``axis`` (``dim`` is PyTorch's name for it)."""
    return ops.log_softmax(x, axis if dim is None else dim)


# -- losses ----------------------------------------------------------------------------------
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Softmax cross-entropy of logits (N, C) (or (C,)) and integer labels (N,) (or scalar).

    ℓᵢ = w_yᵢ·(log Σ_c e^(xᵢ,c) − xᵢ,yᵢ), mixed with the uniform-target loss when
    ``label_smoothing`` > 0; 'mean' divides by Σᵢ w_yᵢ (the count when ``weight`` is None),
    leaving out labels equal to ``ignore_index``. One fused node, stable for any logits.

    Logits (N, C, d1, …) with labels (N, d1, …) are a loss per position (PyTorch's layout:
    classes on axis 1). A floating-point target of the logits' shape holds class
    probabilities (soft labels): ℓᵢ = −Σ_c w_c·tᵢ,c·log softmax(xᵢ)_c, with tᵢ mixed with the
    uniform distribution under ``label_smoothing``, and 'mean' divides by the number of
    positions.

    Raises:
        IndexError: a label outside [0, C) (naming it) that is not ``ignore_index``.

    Example:
        >>> import minidl as mdl
        >>> logits = mdl.tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
        >>> loss = cross_entropy(logits, [0, 1])
        >>> round(loss.item(), 4)
        0.1269
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if _is_probability_target(target, input):
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing)
    if input.ndim > 2:
        return _spatial_cross_entropy(input, target, weight, ignore_index, reduction,
                                      label_smoothing)
    logits, labels, single = _class_input(input, target, "cross_entropy")
    n, c = logits.shape
    weight_data = _class_weight(weight, logits, "cross_entropy")
    labels, sample_weight, valid, denominator = _sample_weights(
        labels, c, weight_data, ignore_index, logits, "cross_entropy")
    loss = SoftmaxCrossEntropy.apply(
        logits, labels=labels, sample_weight=sample_weight, class_weight=weight_data,
        valid=valid, label_smoothing=float(label_smoothing), reduction=reduction,
        denominator=denominator)
    return loss.reshape(()) if single and reduction == "none" else loss


def _is_probability_target(target, input):
    dtype = getattr(target, "dtype", None)
    if dtype is None:
        return False
    return dtype.kind == "f" and tuple(target.shape) == tuple(input.shape)


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing):
    """ℓᵢ = −Σ_c w_c·tᵢ,c·log softmax(xᵢ)_c over the class axis (1, or 0 for (C,) input)."""
    axis = 1 if input.ndim > 1 else 0
    c = input.shape[axis]
    target = _float_target(target, input, "cross_entropy")
    if label_smoothing > 0:
        target = target * (1.0 - label_smoothing) + label_smoothing / c
    log_p = ops.log_softmax(input, axis=axis)
    if weight is not None:
        w = _on_device(weight, input, "cross_entropy", "weight")
        if tuple(w.shape) != (c,):
            raise ValueError(f"cross_entropy: weight of shape {tuple(w.shape)} does not match "
                             f"the {c} classes; expected ({c},)")
        w = constant(w.astype(input.dtype, copy=False), input)
        log_p = log_p * w.reshape((c,) + (1,) * (input.ndim - axis - 1))
    loss = -(target * log_p).sum(axis=axis)
    return _reduce(loss, reduction)


def _classes_last(x):
    """(N, C, d1, …) → (N·d1·…, C): one row of logits per position."""
    axes = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.transpose(axes).reshape((-1, x.shape[1]))


def _spatial_cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing):
    """Cross-entropy of (N, C, d1, …) logits and (N, d1, …) labels, position by position."""
    labels = _on_device(target, input, "cross_entropy", "target")
    expected = (input.shape[0],) + input.shape[2:]
    if tuple(labels.shape) != expected:
        raise ValueError(f"cross_entropy: expected target of shape {expected} for input of "
                         f"shape {input.shape}, got {tuple(labels.shape)}")
    loss = cross_entropy(_classes_last(input), labels.reshape(-1), weight, ignore_index,
                         reduction, label_smoothing)
    return loss.reshape(expected) if reduction == "none" else loss


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities (N, C) and integer labels (N,).

    ℓᵢ = −w_yᵢ·inputᵢ,yᵢ; 'mean' divides by Σᵢ w_yᵢ over labels that are not ``ignore_index``.
    """
    _check_reduction(reduction, "nll_loss")
    log_p, labels, single = _class_input(input, target, "nll_loss")
    n, c = log_p.shape
    weight_data = _class_weight(weight, log_p, "nll_loss")
    labels, sample_weight, _, denominator = _sample_weights(
        labels, c, weight_data, ignore_index, log_p, "nll_loss")
    loss = -log_p[log_p.xp.arange(n), labels]
    if sample_weight is not None:
        loss = loss * constant(sample_weight, log_p)
    if reduction == "none":
        return loss.reshape(()) if single else loss
    total = loss.sum()
    if reduction == "sum":
        return total
    if isinstance(denominator, (int, float)):
        return total * (1.0 / denominator)
    return total / constant(denominator, log_p)


def mse_loss(input, target, reduction="mean"):
    """(input − target)², reduced by mean (default), sum or none."""
    _check_reduction(reduction, "mse_loss")
    target = _float_target(target, input, "mse_loss")
    if target.shape != input.shape:
        import warnings
        warnings.warn(f"mse_loss: target shape {target.shape} differs from input shape "
                      f"{input.shape}; they are broadcast, which is likely not intended",
                      stacklevel=2)
    diff = input - target
    return _reduce(diff * diff, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross-entropy of logits x and targets y ∈ [0, 1], stable for any x:

    ℓ = (1 − y)·x + (1 + (pos_weight − 1)·y)·log(1 + e⁻ˣ),  log(1 + e⁻ˣ) = max(−x, 0) +
    log(1 + e^−|x|), times ``weight`` if given (which equals max(x, 0) − x·y + log(1 + e^−|x|)
    without pos_weight).
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _float_target(target, input, "binary_cross_entropy_with_logits")
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: Target size ({target.shape}) must be "
                         f"the same as input size ({input.shape})")
    softplus_neg = activation_ops.Softplus.apply(-input, beta=1.0, threshold=math.inf)
    if pos_weight is not None:
        pos_weight = _float_target(pos_weight, input, "binary_cross_entropy_with_logits")
        softplus_neg = softplus_neg * ((pos_weight - 1.0) * target + 1.0)
    loss = (1.0 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * _float_target(weight, input, "binary_cross_entropy_with_logits")
    return _reduce(loss, reduction)


# -- helpers of the losses ---------------------------------------------------------------------
def _check_reduction(reduction, fn):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: {reduction!r} is not a valid value for reduction; use 'mean', "
                         "'sum' or 'none'")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _on_device(value, like, fn, what):
    """``value`` (Tensor, array, list, number) as an array on ``like``'s device."""
    backend = like.backend
    if isinstance(value, Tensor):
        if value.backend is not backend:
            raise RuntimeError(f"{fn}: {what} is on device '{value.device}' but the input is on "
                               f"'{like.device}'; move it with .to('{like.device}')")
        return value.data
    if isinstance(value, backend.array_types):
        return value
    return backend.from_numpy(np.asarray(value))


def _float_target(value, like, fn):
    if isinstance(value, Tensor):
        _on_device(value, like, fn, "target")
        return value if value.dtype == like.dtype else value.astype(like.dtype)
    array = _on_device(value, like, fn, "target")
    return constant(array.astype(like.dtype, copy=False), like)


def _class_input(input, target, fn):
    """Logits/log-probabilities as (N, C) and labels as an integer (N,) array on their device."""
    labels = _on_device(target, input, fn, "target")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold integer class indices (dtype int64), got "
                        f"dtype {labels.dtype}")
    single = input.ndim == 1
    if single:
        if labels.ndim != 0:
            raise ValueError(f"{fn}: input of shape {input.shape} (one sample) needs a scalar "
                             f"target, got shape {tuple(labels.shape)}")
        return input.reshape((1, -1)), labels.reshape(1), True
    if input.ndim != 2:
        raise ValueError(f"{fn}: expected input of shape (N, C) or (C,), got {input.shape}")
    if tuple(labels.shape) != (input.shape[0],):
        raise ValueError(f"{fn}: expected target of shape ({input.shape[0]},) for input of shape "
                         f"{input.shape}, got {tuple(labels.shape)}")
    return input, labels, False


def _class_weight(weight, like, fn):
    if weight is None:
        return None
    data = _on_device(weight, like, fn, "weight")
    if tuple(data.shape) != (like.shape[1],):
        raise ValueError(f"{fn}: weight of shape {tuple(data.shape)} does not match the "
                         f"{like.shape[1]} classes; expected ({like.shape[1]},)")
    return data.astype(like.dtype, copy=False)


def _sample_weights(labels, c, weight, ignore_index, like, fn):
    """Check the labels; return (safe labels, per-sample weights or None, valid mask or None,
    the 'mean' denominator Σ w_yᵢ over non-ignored samples)."""
    xp = like.xp
    if labels.size and weight is None:
        # the common case first: every label a class (two reductions instead of six passes)
        low, high = labels.min().item(), labels.max().item()
        if 0 <= low and high < c and not low <= ignore_index <= high:
            return labels, None, None, labels.shape[0]
    ignored = labels == ignore_index
    bad = ((labels < 0) | (labels >= c)) & ~ignored
    if bool(bad.any()):
        position = int(xp.argmax(bad))
        label = int(labels[position])
        raise IndexError(f"{fn}: target {label} is out of bounds at position {position}: class "
                         f"labels must be in [0, {c}) (or equal ignore_index={ignore_index})")
    any_ignored = bool(ignored.any())
    if weight is None and not any_ignored:
        return labels, None, None, labels.shape[0]
    valid = None
    if any_ignored:
        labels = xp.where(ignored, 0, labels)
        valid = (~ignored).astype(like.dtype)
    if weight is None:
        sample_weight = valid
    else:
        sample_weight = weight[labels]
        if valid is not None:
            sample_weight = sample_weight * valid
    return labels, sample_weight, valid, xp.asarray(sample_weight.sum())


# -- convolutional networks (argument checks in their own modules) -------------------------------
from minidl.nn.conv_functional import (conv1d, conv2d, conv_transpose2d, fold, pad,  # noqa: E402
                                       unfold)
from minidl.nn.pool_functional import (adaptive_avg_pool2d, avg_pool1d, avg_pool2d,  # noqa: E402
                                       dropout2d, max_pool1d, max_pool2d)
