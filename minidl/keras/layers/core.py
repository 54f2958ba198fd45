"""Core layers: ``Dense``, ``Activation``, ``Embedding``, ``Lambda``."""
from minidl.keras import activations, initializers, regularizers
from minidl.keras.layers.base import InputSpec, Layer
from minidl.nn import functional as F


def _no_constraint(layer, **constraints):
    for name, value in constraints.items():
        if value is not None:
            raise NotImplementedError(f"{type(layer).__name__}: {name} is not supported "
                                      "(weight constraints are left out of minidl.keras)")


def set_kernel_and_bias_options(layer, activation, use_bias, kernel_initializer,
                                bias_initializer, kernel_regularizer, bias_regularizer):
    """Resolve and store the options every kernel-and-bias layer (``Dense``, ``Conv2D``) takes:
    the activation, initializers and regularizers looked up by name (or taken as given), and
    ``use_bias`` as is."""
    layer.activation = activations.get(activation)
    layer.use_bias = use_bias
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)


def kernel_and_bias_config(layer):
    """The config entries of the options :func:`set_kernel_and_bias_options` stored, serialized
    as Keras writes them (constraints always None: minidl.keras has none)."""
    return {"activation": activations.serialize(layer.activation), "use_bias": layer.use_bias,
            "kernel_initializer": initializers.serialize(layer.kernel_initializer),
            "bias_initializer": initializers.serialize(layer.bias_initializer),
            "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
            "kernel_constraint": None, "bias_constraint": None}


class Dense(Layer):
    """y = activation(x @ kernel + bias): a fully connected layer on the last axis.

    The kernel has shape (input_dim, units) (Keras's layout: the transpose of PyTorch's
    ``Linear.weight``), initialised ``glorot_uniform``; the bias starts at zero. Inputs of more
    than two axes are multiplied along their last axis.

    Example:
        >>> import minidl as mdl
        >>> from minidl import keras
        >>> layer = keras.layers.Dense(3, activation="relu")
        >>> layer(mdl.ones(2, 5)).shape, layer.kernel.shape
        ((2, 3), (5, 3))
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        _no_constraint(self, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.units = units
        set_kernel_and_bias_options(self, activation, use_bias, kernel_initializer,
                                    bias_initializer, kernel_regularizer, bias_regularizer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense '{self.name}': the last axis of the input must be known, "
                             f"got input shape {input_shape}")
        self.kernel = self.add_weight(shape=(input_dim, self.units), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), name="bias",
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        # F.linear wants PyTorch's (units, input_dim) weight: the transpose is a view
        return self.activation(F.linear(inputs, self.kernel.T, self.bias))

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units, **kernel_and_bias_config(self)})
        return config


class Activation(Layer):
    """y = activation(x), the activation given by name (``'relu'``) or as a function."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Embedding(Layer):
    """y[..., :] = embeddings[i] for each integer i of the input: a learned lookup table.

    The table has shape (input_dim, output_dim), initialised U(−0.05, 0.05) (Keras's
    ``'uniform'``); the gradient of a row sums over every place its index appears.

    Example:
        >>> import numpy as np
        >>> from minidl import keras
        >>> layer = keras.layers.Embedding(10, 4)
        >>> layer(np.array([[1, 2, 1]])).shape
        (1, 3, 4)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 **kwargs):
        super().__init__(**kwargs)
        _no_constraint(self, embeddings_constraint=embeddings_constraint)
        if mask_zero:
            raise NotImplementedError("Embedding: mask_zero=True is not supported (masking is "
                                      "left out of minidl.keras)")
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {value!r}")
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          name="embeddings",
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer)

    def _as_input(self, x):
        x = super()._as_input(x)  # indices arrive as integers; floats holding integers work too
        if x.dtype.kind == "f":
            x = x.astype("int64")
        return x

    def call(self, inputs):
        indices = inputs.data
        if indices.dtype.kind not in "iu":
            raise TypeError(f"Embedding '{self.name}': inputs must be integer indices, got dtype "
                            f"{indices.dtype}")
        if indices.size:
            low, high = int(indices.min()), int(indices.max())
            if low < 0 or high >= self.input_dim:
                bad = low if low < 0 else high
                raise IndexError(f"Embedding '{self.name}': index {bad} is out of range for "
                                 f"input_dim={self.input_dim} (valid: 0..{self.input_dim - 1})")
        return self.embeddings[indices]

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": None, "mask_zero": False})
        return config


class Lambda(Layer):
    """y = function(x, **arguments): wrap a function as a layer.

    A model holding a Lambda cannot be saved: its code would have to be stored and run at load
    time, which minidl's format never does. Write a small Layer subclass instead.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {type(function).__name__}")
        if mask is not None:
            raise NotImplementedError("Lambda: mask is not supported")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (input_shape[0],) + tuple(self._output_shape)

    def get_config(self):
        raise ValueError(f"Lambda layer '{self.name}' cannot be saved: minidl's model files never "
                         "store or run code. Replace the Lambda with a Layer subclass (pass it "
                         "in custom_objects when loading), or save the weights only with "
                         "get_weights().")
