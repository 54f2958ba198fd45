"""``mnist_convnet``: Keras's classic MNIST convnet in PyTorch's layers (34,826 parameters).

    Unflatten → Conv2d(1, 32, 3) → ReLU → MaxPool2d(2) → Conv2d(32, 64, 3) → ReLU
    → MaxPool2d(2) → Flatten → Dropout(0.5) → Linear(1600, 10)

It takes flat (N, 784) images (what ``python -m minidl train`` feeds every model) and
unflattens them to (N, 1, 28, 28) first. Registered as ``'mnist_convnet'`` so that a checkpoint
records it as plain data (``minidl.nn.registry``).
"""
from minidl.nn.activation import ReLU
from minidl.nn.container import Sequential
from minidl.nn.conv import Conv2d
from minidl.nn.dropout import Dropout
from minidl.nn.flatten import Flatten, Unflatten
from minidl.nn.linear import Linear
from minidl.nn.pooling import MaxPool2d
from minidl.nn.registry import register_model


def mnist_convnet(classes=10, dropout=0.5):
    """The net as an ``nn.Sequential`` (PyTorch's default init).

    Example:
        >>> import minidl as mdl
        >>> net = mnist_convnet()
        >>> sum(p.size for p in net.parameters()), net(mdl.zeros(2, 784)).shape
        (34826, (2, 10))
    """
    return Sequential(
        Unflatten(1, (1, 28, 28)),
        Conv2d(1, 32, kernel_size=3), ReLU(), MaxPool2d(2),
        Conv2d(32, 64, kernel_size=3), ReLU(), MaxPool2d(2),
        Flatten(), Dropout(dropout), Linear(1600, classes))


register_model("mnist_convnet", mnist_convnet)
