"""Layers that only rearrange values: ``Flatten`` and ``Reshape`` (the batch axis is kept)."""
import math

from minidl.keras.layers.base import Layer


def _check_data_format(layer, data_format):
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(f"{type(layer).__name__}: only data_format='channels_last' "
                                  f"is supported, got {data_format!r}")


class Flatten(Layer):
    """(N, d1, d2, …) → (N, d1·d2·…), in row-major (channels_last) order."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _check_data_format(self, data_format)

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0], -1)) if inputs.ndim != 1 else \
            inputs.reshape((-1, 1))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = "channels_last"
        return config


class Reshape(Layer):
    """(N, …) → (N, *target_shape); one entry of target_shape may be −1 (inferred)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in target_shape) > 1 or any(d < -1 or d == 0 for d in target_shape):
            raise ValueError(f"Reshape: target_shape must hold positive sizes and at most one -1, "
                             f"got {target_shape}")
        self.target_shape = target_shape

    def build(self, input_shape):
        known = [d for d in input_shape[1:]]
        if None not in known:
            size = math.prod(known)
            fixed = math.prod(d for d in self.target_shape if d != -1)
            if (-1 not in self.target_shape and fixed != size) or size % fixed:
                raise ValueError(f"Reshape '{self.name}': cannot reshape a sample of shape "
                                 f"{tuple(known)} ({size} values) to {self.target_shape}")

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config
