"""From stored pixels to model inputs: ``x = (pixels / 255 − mean) / std`` in float32.

``mnist.load`` returns the files' own uint8 pixels ``[N, 28, 28]``; a model wants float32
inputs, usually flattened to ``[N, 784]`` for an MLP and standardised with the training set's
pixel statistics (``mnist.MEAN``, ``mnist.STD``). :func:`to_float` does that in one call;
:class:`Standardize` is the same step as an object that a checkpoint can record as plain data
(:meth:`Standardize.get_config`) and rebuild, so a trained model is always fed as it was
trained.

    >>> import numpy as np
    >>> from minidl.data import mnist, to_float
    >>> images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)   # one 2x2 "image"
    >>> to_float(images).round(4)
    array([[0. , 1. , 0.2, 0.4]], dtype=float32)
    >>> to_float(images, mean=mnist.MEAN, std=mnist.STD).round(4)
    array([[-0.4242,  2.8215,  0.2249,  0.8741]], dtype=float32)
"""
import numbers

import numpy as np

MAX_PIXEL = 255.0  # stored pixels are 0..255


class Standardize:
    """Pixels 0..255 → float32 ``(pixels / 255 − mean) / std``, optionally flattened.

    Args:
        mean, std: statistics of the scaled ([0, 1]) training pixels; the defaults (0, 1) only
            scale to [0, 1]. ``minidl.data.mnist.MEAN`` / ``STD`` are MNIST's.
        flatten: reshape ``[N, H, W]`` to ``[N, H·W]`` (what an MLP takes); False keeps the
            image axes.

    Example:
        >>> import numpy as np
        >>> step = Standardize(mean=0.5, std=0.5)
        >>> step(np.array([[[0, 255]]], dtype=np.uint8))
        array([[-1.,  1.]], dtype=float32)
        >>> Standardize.from_config(step.get_config()) == step
        True
    """

    name = "standardize"

    def __init__(self, mean=0.0, std=1.0, flatten=True):
        for label, value in (("mean", mean), ("std", std)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"Standardize: {label} must be a number, got {value!r}")
        if not std > 0:
            raise ValueError(f"Standardize: std must be positive, got {std!r}")
        self.mean = float(mean)
        self.std = float(std)
        self.flatten = bool(flatten)

    def __call__(self, images):
        """The float32 model inputs for ``images`` (a NumPy array of pixels, any real dtype)."""
        images = np.asarray(images)
        if images.dtype.kind not in "uif":
            raise TypeError(f"Standardize: images must hold pixel numbers, got dtype "
                            f"{images.dtype}")
        x = images.astype(np.float32)  # a fresh copy, changed in place below
        if self.flatten:
            if x.ndim < 2:
                raise ValueError(f"Standardize: flatten=True needs a batch of images [N, ...], "
                                 f"got shape {images.shape}")
            x = x.reshape(len(x), -1)
        # in-place float32 steps with Python-float factors: float64 never enters
        x *= 1.0 / MAX_PIXEL
        x -= self.mean
        x *= 1.0 / self.std
        return x

    def get_config(self):
        """Plain data that :meth:`from_config` rebuilds this step from (stored in checkpoints)."""
        return {"name": self.name, "mean": self.mean, "std": self.std, "flatten": self.flatten}

    @classmethod
    def from_config(cls, config):
        """The step :meth:`get_config` described."""
        if not isinstance(config, dict) or config.get("name") != cls.name:
            raise ValueError(f"Standardize.from_config: expected a dict with name "
                             f"{cls.name!r}, got {config!r}")
        return cls(config.get("mean", 0.0), config.get("std", 1.0), config.get("flatten", True))

    def __eq__(self, other):
        return isinstance(other, Standardize) and self.get_config() == other.get_config()

    def __repr__(self):
        return f"Standardize(mean={self.mean:g}, std={self.std:g}, flatten={self.flatten})"


def to_float(images, mean=0.0, std=1.0, flatten=True):
    """Stored pixels (uint8 ``[N, 28, 28]``) → float32 model inputs ``(x / 255 − mean) / std``.

    Args:
        images: a NumPy array of pixel values 0..255, e.g. what ``mnist.load`` returns.
        mean, std: the scaled training pixels' statistics (``mnist.MEAN``, ``mnist.STD``);
            the defaults only scale to [0, 1].
        flatten: ``[N, H, W]`` → ``[N, H·W]`` (default), as an MLP takes its inputs.

    Returns:
        A float32 NumPy array.

    Example:
        >>> import numpy as np
        >>> to_float(np.full((2, 28, 28), 255, np.uint8)).shape
        (2, 784)
    """
    return Standardize(mean, std, flatten)(images)


def preprocessing_from_config(config):
    """The preprocessing step a checkpoint recorded (``Standardize.get_config()``)."""
    if isinstance(config, dict) and config.get("name") == Standardize.name:
        return Standardize.from_config(config)
    raise ValueError(f"unknown preprocessing record {config!r}; this minidl knows "
                     f"{Standardize.name!r}")
