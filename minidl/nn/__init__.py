"""Neural networks: Module, Parameter, layers, losses, ``functional``, ``init`` and ``utils``.

    >>> import minidl as mdl
    >>> model = mdl.nn.MLP(4, [16], 3)
    >>> loss = mdl.nn.CrossEntropyLoss()(model(mdl.randn(8, 4)), [0, 1, 2, 0, 1, 2, 0, 1])
    >>> loss.backward()
    >>> model.layers[0].weight.grad.shape
    (16, 4)
"""
from minidl.nn import functional, init, utils
from minidl.nn.activation import (ACTIVATIONS, ELU, GELU, Identity, LeakyReLU, LogSoftmax, PReLU, ReLU, ReLU6,
                                  Sigmoid, Softmax, Softplus, Softsign, Tanh)
from minidl.nn.batchnorm import BatchNorm1d, BatchNorm2d
from minidl.nn.container import ModuleDict, ModuleList, Sequential
from minidl.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from minidl.nn.convnet import mnist_convnet  # registers 'mnist_convnet' (nn.registry)
from minidl.nn.dropout import Dropout, Dropout2d
from minidl.nn.flatten import Flatten, Unflatten
from minidl.nn.fold import Fold, Unfold
from minidl.nn.linear import Dense, Linear
from minidl.nn.loss import LOSSES, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from minidl.nn.mlp import MLP
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter
from minidl.nn.pooling import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from minidl.nn.registry import architecture, build_model, register_model

__all__ = ["Module", "Parameter", "Linear", "Dense", "ReLU", "ReLU6", "LeakyReLU", "ELU", "PReLU",
           "Sigmoid", "Tanh", "Softplus", "Softsign", "GELU", "Identity", "Softmax", "LogSoftmax",
           "Dropout", "BatchNorm1d", "Flatten", "Sequential", "ModuleList", "ModuleDict", "MLP",
           "CrossEntropyLoss", "NLLLoss", "MSELoss", "BCEWithLogitsLoss", "functional", "init",
           "utils", "register_model", "architecture", "build_model", "Conv1d", "Conv2d",
           "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
           "AdaptiveAvgPool2d", "BatchNorm2d", "Dropout2d", "Unflatten", "Unfold", "Fold"]
