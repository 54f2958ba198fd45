"""The symbolic graph of the functional API: ``KerasTensor`` (a shape, no values) and ``Node``.

``keras.Input((784,))`` is a KerasTensor of shape (None, 784). Calling a layer on KerasTensors
builds the layer from their shapes, records a ``Node`` (which layer, on which tensors) and
returns new KerasTensors with the output shapes. ``Model(inputs, outputs)`` walks the nodes back
from the outputs and replays them, in order, on real Tensors.
"""


class KerasTensor:
    """A placeholder for a batch of values: shape (``None`` = any size), dtype, and where it
    comes from (``_keras_history = (layer, node_index, tensor_index)``).

    Example:
        >>> from minidl import keras
        >>> x = keras.Input((28, 28))
        >>> x.shape, x.dtype
        ((None, 28, 28), 'float32')
    """

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(dtype)
        self.name = name
        self._keras_history = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        source = ""
        if self._keras_history is not None:
            source = f", source={self._keras_history[0].name}"
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}{source}>"

    def __array__(self, *args, **kwargs):
        raise TypeError("A KerasTensor is symbolic: it has a shape but no values. Build a "
                        "Model(inputs, outputs) from it and call the model on real data.")

    def __bool__(self):
        raise TypeError("A KerasTensor has no value to test; it is a placeholder in a "
                        "functional model")


class Node:
    """One call of ``layer`` on KerasTensors: ``args``/``kwargs`` as passed (KerasTensors
    inside), ``outputs`` the KerasTensors it returned."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        self.is_input = not self.input_tensors
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(outputs):
            t._keras_history = (layer, node_index, i)

    @property
    def parent_nodes(self):
        return [t._keras_history[0]._inbound_nodes[t._keras_history[1]]
                for t in self.input_tensors if t._keras_history is not None]


def flatten(structure):
    """The leaves of nested lists, tuples and dicts (dicts in key order), depth first."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn, structure):
    """``structure`` with every leaf replaced by ``fn(leaf)``."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def is_symbolic(structure):
    return any(isinstance(leaf, KerasTensor) for leaf in flatten(structure))
