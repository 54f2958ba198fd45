"""Data: datasets, the batching ``DataLoader``, and MNIST / Fashion-MNIST from their IDX files.

    >>> import numpy as np
    >>> from minidl.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(np.ones((10, 2), np.float32), np.arange(10)),
    ...                     batch_size=4, shuffle=True, seed=0)
    >>> len(loader)
    3

From ``mnist.load``'s uint8 pixels to float32, standardised model inputs::

    images, labels = mnist.load("train")                           # uint8 [60000, 28, 28]
    x = to_float(images, mean=mnist.MEAN, std=mnist.STD)           # float32 [60000, 784]
"""
from minidl.data import fashion_mnist, idx, mnist
from minidl.data.dataset import TensorDataset
from minidl.data.loader import DataLoader, collate
from minidl.data.preprocessing import Standardize, to_float
from minidl.data.sampler import DistributedSampler
from minidl.data.source import DataUnavailableError, data_root

__all__ = ["TensorDataset", "DataLoader", "DistributedSampler", "collate", "mnist",
           "fashion_mnist", "idx", "DataUnavailableError", "data_root", "Standardize",
           "to_float"]
