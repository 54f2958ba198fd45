"""``Sequential``: a plain stack of layers, each feeding the next.

Give the input shape first (``keras.Input((784,))``, or ``input_shape=`` on the first layer)
and the model is built at once, so ``summary()`` shows every output shape; otherwise it is
built on its first call (or ``fit``, or ``build(input_shape)``), as in Keras.
"""
from minidl.keras.layers.base import IncompatibleInputError, Layer, unique_name
from minidl.keras.layers.input_layer import InputLayer
from minidl.keras.layers.node import KerasTensor
from minidl.keras.models.model import Model


class Sequential(Model):
    """A model that applies ``layers`` in order.

    Example:
        >>> from minidl import keras
        >>> model = keras.Sequential([keras.Input((784,)),
        ...                           keras.layers.Dense(64, activation="relu"),
        ...                           keras.layers.Dense(10)])
        >>> len(model.layers), model.output_shape, model.count_params()
        (2, (None, 10), 50890)
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(name=name if name is not None else unique_name("sequential"),
                         trainable=trainable)
        self._stack = []  # the InputLayer (if any) and then the layers
        self.outputs = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._rebuild()

    @property
    def layers(self):
        """The layers after the input (Keras does not list the InputLayer)."""
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def add(self, layer, rebuild=True):
        """Append a layer (or ``keras.Input(...)`` first, to fix the input shape)."""
        if isinstance(layer, KerasTensor) and isinstance(layer._keras_history[0], InputLayer):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer!r} (of type {type(layer).__name__})")
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError("Sequential: an Input/InputLayer must come first, before any "
                                 "other layer")
        elif not self._stack and layer._batch_input_shape is not None:
            self._stack.append(InputLayer(batch_shape=layer._batch_input_shape))
        if any(other.name == layer.name for other in self._stack):
            raise ValueError(f"All layers added to a Sequential model should have unique names. "
                             f"Name '{layer.name}' is already the name of a layer in this model. "
                             "Update the `name` argument to pass a unique name.")
        self._stack.append(layer)
        self.add_module(layer.name, layer)
        self.built = False
        if rebuild:
            self._rebuild()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        delattr(self, layer.name)
        self.built = False
        if rebuild:
            self._rebuild()
        return layer

    def _rebuild(self):
        if self._stack and isinstance(self._stack[0], InputLayer) and self.layers:
            self.build(self._stack[0].batch_shape)

    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape`` (the batch axis may be None),
        passing shapes only; a shape that does not fit names both layers."""
        if input_shape is None:
            if not (self._stack and isinstance(self._stack[0], InputLayer)):
                raise ValueError("You must provide an `input_shape` argument.")
            input_shape = self._stack[0].batch_shape
        input_shape = tuple(input_shape)
        if not (self._stack and isinstance(self._stack[0], InputLayer)):
            self._stack.insert(0, InputLayer(batch_shape=(None,) + input_shape[1:]))
        x = self._stack[0].output
        self.inputs = [x]
        for previous, layer in zip(self._stack, self._stack[1:]):
            x = _call_after(layer, previous, x)
        self.outputs = [x]
        self.built = True
        self._build_shapes = self._stack[0].batch_shape

    def call(self, inputs, training=None):
        x = inputs
        previous = self._stack[0] if self._stack else None
        for layer in self.layers:
            x = _call_after(layer, previous, x)
            previous = layer
        return x

    @property
    def input_shape(self):
        return self._stack[0].batch_shape if self._stack and isinstance(
            self._stack[0], InputLayer) else None

    @property
    def output_shape(self):
        return self.outputs[0].shape if self.outputs else None

    def get_config(self):
        from minidl.keras.saving import serialize_layer
        config = {"name": self.name, "trainable": self.trainable,
                  "layers": [serialize_layer(layer) for layer in self._stack]}
        if self.input_shape is not None:
            config["build_input_shape"] = list(self.input_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minidl.keras.saving import deserialize_layer
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in config["layers"]:
            model.add(deserialize_layer(entry, custom_objects), rebuild=False)
        model._rebuild()
        if not model.built and config.get("build_input_shape"):
            model.build(tuple(config["build_input_shape"]))
        return model


def _call_after(layer, previous, x):
    """``layer(x)``; when x does not fit, the error also names the layer that made it."""
    try:
        return layer(x)
    except IncompatibleInputError as error:
        if isinstance(x, KerasTensor):  # the layer's own message already names the source
            raise
        if previous is None or isinstance(previous, InputLayer):
            source = "the model's input"
        else:
            source = f"layer '{previous.name}' ({type(previous).__name__})"
        shape = tuple(x.shape)
        raise IncompatibleInputError(f"{error}. That input (shape {shape}) comes from "
                                     f"{source}.") from None
