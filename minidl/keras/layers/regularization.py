"""``Dropout``: inverted dropout, active only when the layer is called with training=True."""
import numpy as np

from minidl import backends
from minidl.autograd import constant
from minidl.keras.layers.base import Layer
from minidl.nn import functional as F


class Dropout(Layer):
    """In training, zero each value with probability ``rate`` and scale the kept ones by
    1/(1 − rate); in inference (``predict``, ``evaluate``, a plain call), the identity.

    Args:
        rate: the fraction of values to drop, in [0, 1).
        noise_shape: the shape of the mask, broadcast over the input (e.g. ``(None, 1, C)``
            drops whole channels at every step); None entries take the input's size.
        seed: a seed for this layer's own generator; by default minidl's seeded generator.

    Example:
        >>> import minidl as mdl
        >>> from minidl import keras
        >>> keras.layers.Dropout(0.5)(mdl.ones(4)).tolist()      # inference: the identity
        [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise ValueError(f"Dropout: rate must be a float in the range [0, 1], got {rate!r}")
        self.rate = rate
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.noise_shape is None and self._generator is None:
            return F.dropout(inputs, self.rate, True)
        shape = inputs.shape if self.noise_shape is None else tuple(
            size if want is None else want for want, size in zip(self.noise_shape, inputs.shape))
        backend = inputs.backend
        rng = self._generator or backends.get_backend(inputs.device).rng()
        draw = rng.random(shape, dtype=np.float32)
        keep = draw >= self.rate
        if self._generator is not None:
            keep = backend.from_numpy(keep)
        mask = keep.astype(inputs.dtype) * (1.0 / (1.0 - self.rate)) if self.rate < 1 else \
            keep.astype(inputs.dtype) * 0.0
        return inputs * constant(mask.astype(inputs.dtype), inputs)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": None if self.noise_shape is None else list(self.noise_shape)})
        return config
