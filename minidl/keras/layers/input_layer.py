"""``InputLayer`` and ``Input``: the entry points of a model (a shape, no weights)."""
from minidl import dtypes
from minidl.keras.layers.base import Layer
from minidl.keras.layers.node import KerasTensor, Node


class InputLayer(Layer):
    """The layer behind ``keras.Input``: it holds the input's shape and dtype and passes values
    through unchanged. ``shape`` is one sample's shape; ``batch_shape`` includes the batch."""

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
                 sparse=False, ragged=False, optional=False, **kwargs):
        # Keras 2 configs name it batch_input_shape
        batch_shape = kwargs.pop("batch_input_shape", batch_shape)
        super().__init__(name=name, **kwargs)
        if sparse or ragged:
            raise NotImplementedError("InputLayer: sparse and ragged inputs are not supported")
        if shape is not None and batch_shape is not None:
            raise ValueError("InputLayer: give shape or batch_shape, not both")
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: a shape is required, e.g. InputLayer(shape=(784,))")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        self.optional = optional
        self.built = True
        self.output = KerasTensor(self.batch_shape, self.dtype.name, name=self.name)
        Node(self, (), {}, [self.output])

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype.name,
                "sparse": False, "ragged": False, "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, sparse=None,
          tensor=None, optional=False):
    """A symbolic input of ``shape`` (one sample; the batch axis is added, None = any size).

    Example:
        >>> from minidl import keras
        >>> keras.Input((784,)).shape
        (None, 784)
    """
    if tensor is not None:
        raise NotImplementedError("Input(tensor=...) is not supported")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_shape=batch_shape, sparse=bool(sparse), optional=optional)
    return layer.output
