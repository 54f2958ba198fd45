"""Rebuild a functional model from its config: make each layer, then replay its calls.

Each layer entry lists its ``inbound_nodes``: the arguments of each call, where a tensor is
``{'class_name': '__keras_tensor__', 'config': {'keras_history': [layer, node, index]}}`` —
the ``index``-th output of call ``node`` of ``layer``. Calls are replayed as soon as the
tensors they need exist (a layer used twice may need a later layer's output first).
"""
from minidl.keras.layers.input_layer import InputLayer



def functional_from_config(cls, config, custom_objects=None):
    from minidl.keras.saving.serialization import deserialize_layer
    layers, pending = {}, []
    for entry in config["layers"]:
        layer = deserialize_layer(_without_graph(entry), custom_objects)
        name = entry.get("name", layer.name)
        layers[name] = layer
        if not isinstance(layer, InputLayer):
            pending.extend((layer, node) for node in entry.get("inbound_nodes", []))

    def tensor(history):
        name, node_index, tensor_index = history
        layer = layers[name]
        if node_index >= len(layer._inbound_nodes):
            return None
        return layer._inbound_nodes[node_index].outputs[tensor_index]

    def decode(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            found = tensor(value["config"]["keras_history"])
            if found is None:
                raise LookupError
            return found
        if isinstance(value, dict):
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    while pending:
        progressed = False
        for item in list(pending):
            layer, node = item
            node = _node_args(node)
            try:
                args = decode(node["args"])
                kwargs = decode(node["kwargs"])
            except LookupError:
                continue
            # Keras records call options such as mask=None; minidl's layers take no masks
            kwargs = {k: v for k, v in kwargs.items() if v is not None or layer._call_takes(k)}
            layer(*args, **kwargs)
            pending.remove(item)
            progressed = True
        if not progressed:
            raise ValueError(f"Cannot rebuild model {config.get('name')!r}: the calls of "
                             f"{[layer.name for layer, _ in pending]} refer to tensors that are "
                             "never produced")
    inputs = _structure(config["input_layers"], tensor)
    outputs = _structure(config["output_layers"], tensor)
    return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))


def _without_graph(entry):
    return {k: v for k, v in entry.items() if k not in ("inbound_nodes", "name")} | {
        "config": entry.get("config", {})}


def _node_args(node):
    if isinstance(node, dict):
        return {"args": node.get("args", []), "kwargs": node.get("kwargs", {})}
    raise ValueError(f"unsupported (Keras 2) node format in a functional config: {node!r}")


def _structure(spec, tensor):
    """input_layers/output_layers: one [name, node, index] triple, a list or a dict of them."""
    if isinstance(spec, dict):
        return {k: _structure(v, tensor) for k, v in spec.items()}
    if len(spec) == 3 and isinstance(spec[0], str) and isinstance(spec[1], int):
        return tensor(spec)
    return [_structure(item, tensor) for item in spec]


