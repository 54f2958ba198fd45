"""Keras models on minidl: ``Sequential``, the functional ``Model(inputs, outputs)``, subclassed
``Model``; ``load_model`` reads files written by ``model.save`` (and by Keras 3)."""
from minidl.keras.layers.input_layer import Input
from minidl.keras.models.functional import Functional
from minidl.keras.models.model import Model
from minidl.keras.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved with ``model.save`` (or by Keras 3, when h5py is installed)."""
    from minidl.keras.saving import load_model as load
    return load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


__all__ = ["Model", "Sequential", "Functional", "Input", "load_model"]
