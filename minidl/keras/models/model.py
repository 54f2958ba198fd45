"""``Model``: a layer that trains (``compile``/``fit``), shows itself (``summary``) and saves.

Three ways to make one, as in Keras:

* ``Sequential([...])`` — a stack of layers (:mod:`minidl.keras.models.sequential`);
* ``Model(inputs, outputs)`` — the functional API: a graph of layer calls on ``keras.Input``
  tensors (:mod:`minidl.keras.models.functional`);
* a subclass of ``Model`` that makes its layers in ``__init__`` and writes
  ``call(self, inputs, training=None)``.
"""
from minidl.keras.layers.base import Layer, unique_name
from minidl.keras.models.summary import print_summary
from minidl.keras.models.trainer import Trainer


class Model(Trainer, Layer):
    """A Keras model: ``Model(inputs, outputs)`` or a subclass with ``call``.

    Example:
        >>> from minidl import keras
        >>> inputs = keras.Input((4,))
        >>> outputs = keras.layers.Dense(2)(inputs)
        >>> model = keras.Model(inputs, outputs)
        >>> type(model).__name__, model.count_params()
        ('Functional', 10)
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from minidl.keras.models.functional import Functional
            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if args:
            raise TypeError("Model: a subclassed model takes keyword arguments (name=, "
                            "trainable=); Model(inputs, outputs) makes a functional model")
        name = kwargs.pop("name", None)
        super().__init__(name=name if name is not None else unique_name(
            _model_prefix(type(self))), **kwargs)

    @property
    def layers(self):
        """The model's layers (a subclassed model: the ones assigned as attributes)."""
        return self._sublayers()

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index`` of ``layers``."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in self.layers]}.")

    def build(self, input_shape):
        """Build the weights for inputs of ``input_shape`` by calling the model on zeros."""
        if self.built:
            return
        if type(self).call is Model.call:
            raise ValueError(f"Model '{self.name}' has no call(); define call(self, inputs)")
        self.built = True  # call() below must not build again
        self._build_shapes = input_shape
        self._output_spec_by_running(
            [_symbolic_inputs(input_shape)], {})

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print Keras's table of layers: name (type), output shape, parameter count, totals."""
        print_summary(self, line_length=line_length, print_fn=print_fn,
                      show_trainable=show_trainable)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the architecture (JSON) and weights (``.npy``) as a ``.keras`` zip file."""
        from minidl.keras.saving import save_model
        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        """Save only the weights (a zip of ``.npy`` files; ``.weights.npz`` or any name)."""
        from minidl.keras.saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        from minidl.keras.saving import load_weights
        load_weights(self, filepath)

    def get_config(self):
        config = super().get_config()
        return config

    def to_json(self):
        import json
        from minidl.keras.saving import serialize_layer
        return json.dumps(serialize_layer(self))


def _model_prefix(cls):
    from minidl.keras.layers.base import to_snake_case
    return to_snake_case(cls.__name__)


def _symbolic_inputs(input_shape):
    from minidl.keras.layers.node import KerasTensor
    if isinstance(input_shape, list):
        return [KerasTensor(s) for s in input_shape]
    if isinstance(input_shape, dict):
        return {k: KerasTensor(s) for k, s in input_shape.items()}
    return KerasTensor(input_shape)
