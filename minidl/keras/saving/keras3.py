"""Weights of ``.keras`` files written by Keras 3 (``model.weights.h5``, read with h5py).

Keras 3 stores each layer's own variables under ``vars/<i>`` in the order the layer created
them (``layer.weights`` order). A Sequential or functional model's layers sit under
``layers/<class name in snake case>`` numbered within the model (``dense``, ``dense_1``…, not
the layers' own names), nested models the same way below them, and a custom layer's
sublayers under the attribute names they were assigned to. The
optimizer's state (``optimizer/vars``) is not read: a loaded model starts a fresh optimizer.
"""
import io

import numpy as np


def load_h5_weights(model, h5_bytes, filepath):
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{filepath} was written by Keras 3 (its weights are HDF5): reading it "
                          "needs h5py (`pip install h5py`)") from None
    assignments = []
    with h5py.File(io.BytesIO(h5_bytes), "r") as f:
        _collect(model, f, "", assignments, filepath)
    for variable, value in assignments:
        variable.assign(value)


def _collect(layer, group, path, out, filepath):
    from minidl.keras.layers.base import to_snake_case
    from minidl.keras.models import Functional, Sequential
    own = layer._trainable_variables + layer._non_trainable_variables
    vars_group = group.get("vars")
    stored = sorted(vars_group.keys(), key=int) if vars_group is not None else []
    if len(stored) != len(own):
        raise ValueError(f"{filepath}: {path or 'the model'} stores {len(stored)} variables, the "
                         f"minidl layer '{layer.name}' has {len(own)} "
                         f"({', '.join(v.path for v in own) or 'none'})")
    for key, variable in zip(stored, own):
        value = np.asarray(vars_group[key])
        if value.dtype == object:
            raise ValueError(f"{filepath}: {path}/vars/{key} is not a numeric array")
        if tuple(value.shape) != variable.shape:
            raise ValueError(f"{filepath}: {path}/vars/{key} has shape {tuple(value.shape)}, "
                             f"the variable {variable.path} has {variable.shape}")
        out.append((variable, value))
    if isinstance(layer, (Sequential, Functional)):
        # the `layers` list: each entry under its class name in snake case, numbered in order
        layers_group = group.get("layers")
        used = {}
        for child in layer.layers:
            key = _unique(to_snake_case(type(child).__name__), used)
            if layers_group is None or key not in layers_group:
                if child.weights:
                    raise ValueError(f"{filepath}: no weights stored for layer '{child.name}' "
                                     f"(expected {path}/layers/{key})")
                continue
            _collect(child, layers_group[key], f"{path}/layers/{key}", out, filepath)
    else:  # a custom layer or subclassed model: sublayers under their attribute names
        for attribute, child in layer._modules.items():
            if child is None or not child.weights:
                continue
            if attribute not in group:
                raise ValueError(f"{filepath}: no weights stored for sublayer '{attribute}' of "
                                 f"'{layer.name}'")
            _collect(child, group[attribute], f"{path}/{attribute}", out, filepath)


def _unique(name, used):
    """Keras's container names: 'dense', 'dense_1', 'dense_2'… within one list."""
    count = used.get(name, 0)
    used[name] = count + 1
    return name if count == 0 else f"{name}_{count}"
