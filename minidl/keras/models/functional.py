"""The functional API: ``Model(inputs, outputs)`` replays a graph of recorded layer calls.

Each ``layer(keras_tensor)`` call recorded a :class:`Node`. The model walks back from its
outputs (a depth-first search, as Keras's ``map_graph``) to order the nodes so that every node
comes after the nodes that feed it; ``call`` runs them in that order on real Tensors, keeping
each intermediate value in a dict keyed by the KerasTensor it stands for.
"""
import collections

from minidl.keras.layers.base import IncompatibleInputError, unique_name
from minidl.keras.layers.input_layer import InputLayer
from minidl.keras.layers.node import KerasTensor, flatten, map_structure
from minidl.keras.models.model import Model


class Functional(Model):
    """A model made of the layer calls between ``inputs`` and ``outputs`` (KerasTensors, or
    lists/dicts of them for several inputs and outputs)."""

    def __init__(self, inputs, outputs, name=None, trainable=True):
        super().__init__(name=name if name is not None else unique_name("functional"),
                         trainable=trainable)
        for t in flatten(inputs) + flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model(inputs, outputs): every input and output must be a "
                                f"KerasTensor (from keras.Input and layer calls), got {t!r}")
        for t in flatten(inputs):
            layer = t._keras_history[0]
            if not isinstance(layer, InputLayer):
                raise ValueError(f"Model inputs must come from `keras.Input`; {t} comes from "
                                 f"layer '{layer.name}'")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        self._nodes, operations = _map_graph(self.inputs, self.outputs)
        names = collections.Counter(layer.name for layer in operations)
        repeated = [n for n, count in names.items() if count > 1]
        if repeated:
            raise ValueError(f"The name {repeated[0]!r} is used 2 times in the model. All "
                             "operation names should be unique.")
        self._layers = operations
        for layer in operations:
            self.add_module(layer.name, layer)
        self.built = True
        self._build_shapes = map_structure(lambda t: t.shape, inputs)

    @property
    def layers(self):
        return list(self._layers)

    @property
    def input_shape(self):
        return map_structure(lambda t: t.shape, self._inputs_struct)

    @property
    def output_shape(self):
        return map_structure(lambda t: t.shape, self._outputs_struct)

    def call(self, inputs, training=None):
        values = {}
        flat = _match_inputs(inputs, self._inputs_struct, self.inputs, self.name)
        for symbol, value in zip(self.inputs, flat):
            _check_model_input(self, symbol, value)
            values[id(symbol)] = value
        for node in self._nodes:
            if node.is_input:
                continue
            args = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t,
                                 node.args)
            kwargs = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t,
                                   node.kwargs)
            try:
                out = node.layer(*args, **kwargs)
            except IncompatibleInputError as error:
                if "comes from" in str(error):
                    raise
                sources = ", ".join(f"layer '{t._keras_history[0].name}' "
                                    f"({type(t._keras_history[0]).__name__}, output shape "
                                    f"{t.shape})" for t in node.input_tensors)
                raise IncompatibleInputError(f"{error}. Its input comes from {sources}.") \
                    from None
            for symbol, value in zip(node.outputs, flatten(out)):
                values[id(symbol)] = value
        return map_structure(lambda t: values[id(t)], self._outputs_struct)

    def get_config(self):
        """Keras's functional config: the layers, each with its inbound nodes, and the names
        of the input and output tensors."""
        from minidl.keras.saving import serialize_layer
        layers = []
        for layer in self._layers:
            entry = serialize_layer(layer)
            entry["name"] = layer.name
            entry["inbound_nodes"] = [_serialize_node(node) for node in layer._inbound_nodes
                                      if node in self._node_set() and not node.is_input]
            layers.append(entry)
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": _history_struct(self._inputs_struct),
                "output_layers": _history_struct(self._outputs_struct)}

    def _node_set(self):
        return set(self._nodes)


def _history(t):
    layer, node_index, tensor_index = t._keras_history
    return [layer.name, node_index, tensor_index]


def _history_struct(structure):
    if isinstance(structure, KerasTensor):
        return _history(structure)
    return map_structure(_history, structure) if not isinstance(structure, dict) else \
        {k: _history(v) for k, v in structure.items()}


def _serialize_node(node):
    def encode(value):
        if isinstance(value, KerasTensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(value.shape), "dtype": value.dtype,
                               "keras_history": _history(value)}}
        return value
    return {"args": map_structure(encode, list(node.args)),
            "kwargs": map_structure(encode, dict(node.kwargs))}


def _match_inputs(inputs, structure, flat_symbols, model_name):
    """The real inputs, flat, in the order of the model's input KerasTensors."""
    if isinstance(inputs, dict) and not isinstance(structure, dict):
        names = [t._keras_history[0].name for t in flat_symbols]
        missing = [n for n in names if n not in inputs]
        if missing:
            raise ValueError(f"Model '{model_name}': missing inputs {missing}; its inputs are "
                             f"{names}")
        return [inputs[n] for n in names]
    flat = flatten(inputs) if isinstance(inputs, (list, tuple, dict)) else [inputs]
    if len(flat) != len(flat_symbols):
        raise ValueError(f"Model '{model_name}' expects {len(flat_symbols)} input(s), but it "
                         f"received {len(flat)} input tensors")
    return flat


def _check_model_input(model, symbol, value):
    shape = getattr(value, "shape", None)
    if shape is None:
        return
    expected = symbol.shape
    if len(shape) != len(expected) or any(e is not None and e != s
                                          for e, s in zip(expected, shape)):
        raise IncompatibleInputError(
            f"Input '{symbol._keras_history[0].name}' of model '{model.name}' expects shape "
            f"{expected}, but received input with shape {tuple(shape)}")


def _map_graph(inputs, outputs):
    """(nodes in execution order, layers in Keras's order: by decreasing depth from the
    outputs, ties in order of first visit), as Keras's ``map_graph`` orders them."""
    finished, in_progress, ordered, first_visit = set(), set(), [], {}
    input_ids = {id(t) for t in inputs}

    def visit(tensor):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if node in finished:
            return
        if not node.is_input and id(tensor) in input_ids:
            finished.add(node)
            return
        if node in in_progress:
            raise ValueError(f"Tensor {tensor} from layer '{layer.name}' is part of a cycle.")
        first_visit.setdefault(layer, len(first_visit))
        in_progress.add(node)
        if not node.is_input:
            for t in node.input_tensors:
                visit(t)
        finished.add(node)
        in_progress.discard(node)
        ordered.append(node)

    for t in outputs:
        visit(t)
    in_graph = set(ordered)
    node_depth, layer_depth = {}, {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = depth
        node_depth[node] = depth
        for parent in node.parent_nodes:
            if parent in in_graph:
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for t in inputs:
        layer = t._keras_history[0]
        if layer not in layer_depth:
            layer_depth[layer] = 0
            first_visit[layer] = -1
    computable = {id(t) for t in inputs}
    for node in sorted(ordered, key=lambda n: -node_depth[n]):
        for t in node.input_tensors:
            if id(t) not in computable:
                raise ValueError(f"Graph disconnected: cannot find parent for tensor {t} at "
                                 f"layer '{node.layer.name}'. The following previous layers "
                                 "were accessed without issue: "
                                 f"{[n.layer.name for n in ordered if n is not node]}")
        computable.update(id(t) for t in node.outputs)
    layers = sorted(layer_depth, key=lambda l: (-layer_depth[l], first_visit[l]))
    return ordered, layers
