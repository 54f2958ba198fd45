"""Convolution and pooling on channels_last (NHWC) images, Keras's layout, over minidl's
PyTorch-layout (NCHW) ops.

Each layer moves the channel axis in front (a transpose: a view), calls
``minidl.nn.functional.conv2d`` / ``max_pool2d`` / ``avg_pool2d``, and moves it back. The
kernel is stored as Keras stores it, (kh, kw, in_channels/groups, filters); PyTorch's
(filters, in/groups, kh, kw) is its transpose. ``padding='same'`` pads as Keras (and
TensorFlow) do, which PyTorch's ``padding='same'`` does not do for strides > 1:

    out = ⌈in / stride⌉,  total = max((out − 1)·stride + (k − 1)·dilation + 1 − in, 0),
    before = ⌊total / 2⌋, after = total − before  (the odd pixel goes at the end)

Max pooling pads with −∞; 'same' average pooling averages the real pixels of each window only
(Keras's rule on its TensorFlow, JAX and NumPy backends; its torch backend instead repeats the
edge pixels when the padding is asymmetric, so the two differ there).
"""
import math

from minidl.autograd import constant
from minidl.keras.layers.base import InputSpec, Layer
from minidl.keras.layers.core import kernel_and_bias_config, set_kernel_and_bias_options
from minidl.nn import functional as F

AVAILABLE = hasattr(F, "conv2d")  # minidl's convolution and pooling ops are in this tree


def _pair(value, name, who):
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, int) and v > 0 for v in value):
        raise ValueError(f"{who}: {name} must be an int or a tuple of 2 positive ints, got "
                         f"{value!r}")
    return value


def _check_padding(padding, who):
    padding = padding.lower() if isinstance(padding, str) else padding
    if padding not in ("valid", "same"):
        raise ValueError(f"{who}: padding must be 'valid' or 'same', got {padding!r}")
    return padding


def _check_format(data_format, who):
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(f"{who}: only data_format='channels_last' (NHWC) is "
                                  f"supported, got {data_format!r}")


def same_padding(size, kernel, stride, dilation=1):
    """(before, after) padding of one axis for Keras's 'same'.

    Example:
        >>> same_padding(5, 3, 2), same_padding(6, 3, 2), same_padding(4, 2, 1)
        ((1, 1), (0, 1), (0, 1))
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _pad_same(x_nchw, kernel, strides, dilation, value):
    (top, bottom) = same_padding(x_nchw.shape[2], kernel[0], strides[0], dilation[0])
    (left, right) = same_padding(x_nchw.shape[3], kernel[1], strides[1], dilation[1])
    if top == bottom == left == right == 0:
        return x_nchw
    return F.pad(x_nchw, (left, right, top, bottom), value=value)


def _to_nchw(x):
    return x.transpose((0, 3, 1, 2))


def _to_nhwc(x):
    return x.transpose((0, 2, 3, 1))


class Conv2D(Layer):
    """y = activation(conv(x, kernel) + bias) over (N, H, W, C) images.

    Example:
        >>> from minidl.keras.layers.convolutional import Conv2D
        >>> layer = Conv2D(4, 3, padding="same")
        >>> layer.build((None, 8, 8, 3))
        >>> layer.kernel.shape, layer.bias.shape
        ((3, 3, 3, 4), (4,))
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        who = "Conv2D"
        if kernel_constraint is not None or bias_constraint is not None:
            raise NotImplementedError(f"{who}: weight constraints are not supported")
        _check_format(data_format, who)
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"{who}: filters must be a positive integer, got {filters!r}")
        self.filters = filters
        self.kernel_size = _pair(kernel_size, "kernel_size", who)
        self.strides = _pair(strides, "strides", who)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", who)
        if self.strides != (1, 1) and self.dilation_rate != (1, 1):
            raise ValueError(f"{who}: strides > 1 together with dilation_rate > 1 is not "
                             "supported (as in Keras)")
        self.padding = _check_padding(padding, who)
        self.groups = groups
        if filters % groups:
            raise ValueError(f"{who}: filters ({filters}) must be divisible by groups ({groups})")
        set_kernel_and_bias_options(self, activation, use_bias, kernel_initializer,
                                    bias_initializer, kernel_regularizer, bias_regularizer)
        self.input_spec = InputSpec(ndim=4)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % self.groups:
            raise ValueError(f"Conv2D '{self.name}': the channel axis (last) of input shape "
                             f"{input_shape} must be known and divisible by groups={self.groups}")
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels // self.groups, self.filters), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), name="bias",
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer)
        self.input_spec = InputSpec(ndim=4, axes={-1: channels})

    def call(self, inputs):
        x = _to_nchw(inputs)
        if self.padding == "same":
            x = _pad_same(x, self.kernel_size, self.strides, self.dilation_rate, 0.0)
        weight = self.kernel.transpose((3, 2, 0, 1))  # (kh, kw, in, out) → (out, in, kh, kw)
        y = F.conv2d(x, weight, self.bias, stride=self.strides, padding=0,
                     dilation=self.dilation_rate, groups=self.groups)
        return self.activation(_to_nhwc(y))

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": list(self.kernel_size),
            "strides": list(self.strides), "padding": self.padding,
            "data_format": "channels_last", "dilation_rate": list(self.dilation_rate),
            "groups": self.groups})
        config.update(kernel_and_bias_config(self))
        return config


class _Pooling2D(Layer):
    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = type(self).__name__
        _check_format(data_format, who)
        self.pool_size = _pair(pool_size, "pool_size", who)
        self.strides = self.pool_size if strides is None else _pair(strides, "strides", who)
        self.padding = _check_padding(padding, who)
        self.input_spec = InputSpec(ndim=4)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": list(self.pool_size), "strides": list(self.strides),
                       "padding": self.padding, "data_format": "channels_last"})
        return config


class MaxPooling2D(_Pooling2D):
    """The maximum of each pool_size window (stride = pool_size unless given), per channel."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def call(self, inputs):
        x = _to_nchw(inputs)
        if self.padding == "same":
            x = _pad_same(x, self.pool_size, self.strides, (1, 1), -math.inf)
        return _to_nhwc(F.max_pool2d(x, self.pool_size, self.strides))


class AveragePooling2D(_Pooling2D):
    """The mean of each pool_size window; with 'same', of the window's real pixels only."""

    def call(self, inputs):
        x = _to_nchw(inputs)
        if self.padding == "valid":
            return _to_nhwc(F.avg_pool2d(x, self.pool_size, self.strides))
        padded = _pad_same(x, self.pool_size, self.strides, (1, 1), 0.0)
        if padded is x:
            return _to_nhwc(F.avg_pool2d(x, self.pool_size, self.strides))
        # the mean over real pixels = (window sum) / (number of real pixels in the window)
        ones = constant(x.xp.ones((1, 1) + x.shape[2:], dtype=x.dtype), x)
        counts = F.avg_pool2d(_pad_same(ones, self.pool_size, self.strides, (1, 1), 0.0),
                              self.pool_size, self.strides)
        return _to_nhwc(F.avg_pool2d(padded, self.pool_size, self.strides) / counts.detach())


class GlobalAveragePooling2D(Layer):
    """(N, H, W, C) → (N, C): the mean of every channel over the image (keepdims: (N, 1, 1, C))."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        _check_format(data_format, "GlobalAveragePooling2D")
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return inputs.mean(axis=(1, 2), keepdims=self.keepdims)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": "channels_last", "keepdims": self.keepdims})
        return config
