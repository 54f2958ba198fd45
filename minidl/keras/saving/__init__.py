"""Saving and loading Keras models: ``model.save('m.keras')`` and ``load_model('m.keras')``.

minidl's ``.keras`` file is a zip archive holding

    metadata.json    {"format": "minidl.keras", "format_version": 1, ...}
    config.json      the architecture, in Keras 3's JSON layout (class names and configs)
    weights.json     one entry per weight, in ``model.weights`` order: path, shape, dtype, member
    weights/00000.npy, weights/00001.npy, ...   the values, one NumPy ``.npy`` file each

Nothing in the file is ever executed: configs are JSON read into classes found by name (minidl's
layers, or your own passed in ``custom_objects``), and weights are read with
``np.load(allow_pickle=False)``. That is why a model holding a ``Lambda`` (a Python function)
refuses to save. Files written by Keras 3 itself (``config.json`` + ``model.weights.h5``)
load too when ``h5py`` is installed, for the layers minidl has.
"""
import io
import json
import os
import zipfile

import numpy as np

from minidl.files import atomic_write
from minidl.keras.saving.serialization import (deserialize_layer, register_keras_serializable,
                                               serialize_layer)

FORMAT = "minidl.keras"
FORMAT_VERSION = 1


def save_model(model, filepath, overwrite=True):
    """Write ``model`` (architecture, weights, compile settings) to a ``.keras`` zip file.

    The write is atomic: a reader sees the old file or the complete new one.

    Raises:
        ValueError: the model holds a layer that cannot be described as JSON (a ``Lambda``,
            named in the message), or the path does not end in ``.keras``.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"Invalid filepath extension for saving. Please add the `.keras` "
                         f"extension: model.save('{filepath}.keras'). Received: "
                         f"filepath={filepath}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: call it on data, or build it "
                         "with model.build(input_shape), before saving")
    entry = serialize_layer(model)  # raises for Lambda layers, naming them
    compile_config = _compile_config(model)
    if compile_config is not None:
        entry["compile_config"] = compile_config
    weights = model.weights
    import minidl
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "minidl_version": minidl.__version__, "keras_api": "3"}
    with atomic_write(filepath, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps(metadata, indent=1))
        z.writestr("config.json", json.dumps(entry, indent=1))
        _write_weights(z, weights)


def _write_weights(archive, weights):
    """Write ``weights`` into the open zip ``archive``: one ``weights/NNNNN.npy`` member per
    weight (no pickle) and ``weights.json``, the table of their paths, shapes, dtypes and
    members, in the given order."""
    table = []
    for i, w in enumerate(weights):
        member = f"weights/{i:05d}.npy"
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(w.numpy()), allow_pickle=False)
        archive.writestr(member, buffer.getvalue())
        table.append({"path": w.path, "shape": list(w.shape), "dtype": w.dtype.name,
                      "member": member})
    archive.writestr("weights.json", json.dumps(table, indent=1))


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model from a ``.keras`` file written by minidl or by Keras 3.

    Args:
        filepath: the file.
        custom_objects: ``{'ClassName': cls}`` for your own layers (and named activations).
        compile: compile the model with the saved optimizer, loss and metrics when known.
        safe_mode: kept for Keras compatibility; loading never runs code from the file.

    Raises:
        ValueError: not a ``.keras`` zip, a member that would need pickle, a config naming an
            unknown class (listing the known ones), or weights that do not fit the model.
    """
    filepath = os.fspath(filepath)
    try:
        archive = zipfile.ZipFile(filepath, "r")
    except zipfile.BadZipFile:
        raise ValueError(f"{filepath} is not a .keras file (not a zip archive). minidl reads "
                         "the zip-based .keras format of Keras 3 and of minidl's model.save") \
            from None
    with archive:
        names = set(archive.namelist())
        if "config.json" not in names:
            raise ValueError(f"{filepath} has no config.json: not a .keras model file")
        entry = _read_json(archive, "config.json", filepath)
        model = deserialize_layer(entry, custom_objects)
        if "weights.json" in names:
            _load_native_weights(model, archive, filepath)
        elif "model.weights.h5" in names:
            from minidl.keras.saving.keras3 import load_h5_weights
            load_h5_weights(model, archive.read("model.weights.h5"), filepath)
        else:
            raise ValueError(f"{filepath} holds no weights (neither weights.json nor "
                             "model.weights.h5)")
    if compile and entry.get("compile_config"):
        _compile_from_config(model, entry["compile_config"])
    return model


def save_weights(model, filepath, overwrite=True):
    """Write only the weights (``.npy`` members of a zip) in ``model.weights`` order."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    with atomic_write(filepath, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        _write_weights(z, model.weights)


def load_weights(model, filepath):
    """Load weights saved by :func:`save_weights` or :func:`save_model` into ``model``."""
    filepath = os.fspath(filepath)
    with zipfile.ZipFile(filepath, "r") as archive:
        if "weights.json" in archive.namelist():
            _load_native_weights(model, archive, filepath)
        elif "model.weights.h5" in archive.namelist():
            from minidl.keras.saving.keras3 import load_h5_weights
            load_h5_weights(model, archive.read("model.weights.h5"), filepath)
        else:
            raise ValueError(f"{filepath} holds no weights")


def read_npy(archive, member, filepath):
    """One ``.npy`` member as an array; object arrays (which would need pickle) are refused."""
    try:
        data = archive.read(member)
    except KeyError:
        raise ValueError(f"{filepath}: the member {member!r} listed in weights.json is "
                         "missing") from None
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"{filepath}: member {member!r} is not a plain .npy array ({error}). "
                         "minidl never unpickles data from a model file.") from None


def _load_native_weights(model, archive, filepath):
    table = _read_json(archive, "weights.json", filepath)
    weights = model.weights
    if len(table) != len(weights):
        raise ValueError(f"{filepath} holds {len(table)} weights but the model built from its "
                         f"config has {len(weights)}")
    values = []
    for item, w in zip(table, weights):
        array = read_npy(archive, item["member"], filepath)
        if tuple(array.shape) != w.shape:
            raise ValueError(f"{filepath}: weight {item.get('path')!r} has shape "
                             f"{tuple(array.shape)}, the model's {w.path!r} has {w.shape}")
        values.append(array)
    for w, array in zip(weights, values):
        w.assign(array)


def _read_json(archive, member, filepath):
    try:
        return json.loads(archive.read(member).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"{filepath}: {member} is not valid JSON ({error})") from None


def _compile_config(model):
    if not getattr(model, "compiled", False):
        return None
    config = {}
    try:
        from minidl.keras import optimizers
        config["optimizer"] = optimizers.serialize(model.optimizer)
    except Exception:  # an optimizer without a config: the model loads uncompiled
        return None
    loss = getattr(model, "loss", None)
    if loss is not None and not isinstance(loss, str):
        try:
            from minidl.keras import losses
            loss = losses.serialize(loss)
        except Exception:
            return None
    config["loss"] = loss
    metrics = model._metric_specs[0] if getattr(model, "_metric_specs", None) else None
    if metrics is not None and not all(isinstance(m, str) for m in metrics):
        metrics = None
    config["metrics"] = metrics
    return config


def _compile_from_config(model, config):
    from minidl.keras import optimizers
    try:
        optimizer = optimizers.deserialize(config["optimizer"]) if isinstance(
            config.get("optimizer"), dict) else config.get("optimizer") or "rmsprop"
        loss = config.get("loss")
        if isinstance(loss, dict):
            from minidl.keras import losses
            loss = losses.deserialize(loss)
        metrics = config.get("metrics")
        if metrics is not None:
            metrics = [m for m in metrics if isinstance(m, str)] or None
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    except (ValueError, TypeError, NotImplementedError, KeyError) as error:
        import warnings
        warnings.warn(f"load_model: the model was loaded uncompiled: its compile settings could "
                      f"not be restored ({error}). Call model.compile(...) yourself.",
                      stacklevel=3)


__all__ = ["save_model", "load_model", "save_weights", "load_weights", "serialize_layer",
           "deserialize_layer", "register_keras_serializable", "read_npy"]
