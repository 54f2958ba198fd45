"""Keras layers on minidl (``keras.layers``): Keras 3's names, defaults and shapes.

Each layer is a :class:`minidl.nn.Module` holding minidl Parameters (:class:`Variable`) and
computing with ``minidl.nn.functional``: set a breakpoint in ``Dense.call`` and step into the
same ops the PyTorch dialect uses.
"""
from minidl.keras.layers.base import InputSpec, Layer
from minidl.keras.layers.core import Activation, Dense, Embedding, Lambda
from minidl.keras.layers.input_layer import Input, InputLayer
from minidl.keras.layers.node import KerasTensor
from minidl.keras.layers.normalization import BatchNormalization
from minidl.keras.layers.regularization import Dropout
from minidl.keras.layers.reshaping import Flatten, Reshape

__all__ = ["Layer", "InputSpec", "KerasTensor", "Input", "InputLayer", "Dense", "Activation",
           "Embedding", "Lambda", "Dropout", "Flatten", "Reshape", "BatchNormalization"]

from minidl.keras.layers import convolutional as _convolutional  # noqa: E402

if _convolutional.AVAILABLE:  # they need minidl's conv ops (minidl.nn.functional.conv2d)
    from minidl.keras.layers.convolutional import (AveragePooling2D, Conv2D,  # noqa: F401
                                                   GlobalAveragePooling2D, MaxPooling2D)
    __all__ += ["Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D"]
