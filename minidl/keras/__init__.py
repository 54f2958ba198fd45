"""The Keras face of minidl: Keras 3's names, defaults, shapes and formulas on minidl's core.

    >>> from minidl import keras                                   # doctest: +SKIP
    >>> model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)])  # doctest: +SKIP

Submodules (``layers``, ``models``, ``optimizers``, ``losses``, ``metrics``, ``callbacks``)
and the model names are loaded on first use.
"""
import importlib

_SUBMODULES = ("layers", "models", "optimizers", "losses", "metrics", "callbacks",
               "activations", "initializers", "saving")
_FROM_MODELS = ("Sequential", "Model", "Input")


def __getattr__(name):
    if name in _SUBMODULES:
        value = importlib.import_module(f"minidl.keras.{name}")
    elif name in _FROM_MODELS:
        value = getattr(importlib.import_module("minidl.keras.models"), name)
    else:
        raise AttributeError(f"module 'minidl.keras' has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = list(_SUBMODULES + _FROM_MODELS)
