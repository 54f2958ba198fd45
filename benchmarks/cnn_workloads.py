"""The CNN workloads W4 and W5: one registry, read by ``cnn_bench.py`` and by GPU checks.

A workload is a tuple of layer specs (PyTorch's layer order and arguments), a batch size and
Adam's learning rate. From it, :func:`init_params` draws the shared initial weights (PyTorch's
default init, in PyTorch's layouts), :func:`build_minidl` and :func:`build_torch` build the
same net in each framework, and :func:`make_images` draws MNIST-shaped synthetic data.

    W4  Conv2d(1,32,3) → ReLU → MaxPool2d(2) → Conv2d(32,64,3) → ReLU → MaxPool2d(2) → Flatten
        → Dropout(0.5) → Linear(1600,10)   (Keras's MNIST convnet, 34,826 parameters)
    W5  LeNet-5: Conv2d(1,6,5,padding=2) → ReLU → MaxPool2d(2) → Conv2d(6,16,5) → ReLU
        → MaxPool2d(2) → Flatten → 400-120-84-10 with ReLU   (61,706 parameters)

Layer specs: ``("conv", in, out, kernel, padding)``, ``("relu",)``, ``("maxpool", k)`` (stride
k), ``("flatten",)``, ``("dropout", p)``, ``("linear", in, out)``.
"""
import math
from dataclasses import dataclass

import numpy as np

F32 = np.float32
IMAGE_SHAPE = (1, 28, 28)


@dataclass(frozen=True)
class CNNWorkload:
    name: str
    layers: tuple
    batch: int = 128
    lr: float = 1e-3
    description: str = ""

    @property
    def dropout(self):
        return max((spec[1] for spec in self.layers if spec[0] == "dropout"), default=0.0)

    def without_dropout(self):
        """The same net with every Dropout removed (for loss checks: masks differ)."""
        layers = tuple(spec for spec in self.layers if spec[0] != "dropout")
        return CNNWorkload(self.name, layers, self.batch, self.lr, self.description)


def _conv_block(cin, cout, k, pad=0):
    return (("conv", cin, cout, k, pad), ("relu",), ("maxpool", 2))


WORKLOADS = {
    "W4": CNNWorkload(
        "W4", _conv_block(1, 32, 3) + _conv_block(32, 64, 3)
        + (("flatten",), ("dropout", 0.5), ("linear", 1600, 10)),
        description="Conv(1,32,3)-ReLU-MaxPool2-Conv(32,64,3)-ReLU-MaxPool2-Flatten-"
                    "Dropout(0.5)-Linear(1600,10), Adam(1e-3), batch 128"),
    "W5": CNNWorkload(
        "W5", _conv_block(1, 6, 5, 2) + _conv_block(6, 16, 5)
        + (("flatten",), ("linear", 400, 120), ("relu",), ("linear", 120, 84), ("relu",),
           ("linear", 84, 10)),
        description="LeNet-5: Conv(1,6,5,pad 2)-ReLU-MaxPool2-Conv(6,16,5)-ReLU-MaxPool2-"
                    "400-120-84-10 (ReLU), Adam(1e-3), batch 128"),
}
# targets: minidl / NumPy CNN, minidl / PyTorch CPU eager (single thread, ratios of medians)
TARGETS = {"W4": (1.05, 0.70), "W5": (1.05, 0.70)}


def make_images(n, seed=0, classes=10, label_noise=0.2):
    """Synthetic MNIST-shaped data: float32 images (n, 1, 28, 28) in [0, 1) and int64 labels.

    A faint class pattern under uniform noise; a fraction ``label_noise`` of the labels is
    redrawn at random so the loss stays well above zero.
    """
    rng = np.random.default_rng(seed)
    d = int(np.prod(IMAGE_SHAPE))
    Y = rng.integers(0, classes, n).astype(np.int64)
    centers = rng.random((classes, d), dtype=F32)
    X = rng.random((n, d), dtype=F32)
    X *= 0.9
    X += centers[Y] * F32(0.1)
    noisy = rng.random(n) < label_noise
    Y[noisy] = rng.integers(0, classes, int(noisy.sum()))
    return X.reshape((n,) + IMAGE_SHAPE), Y


def init_params(wl, seed=1):
    """PyTorch's default init for Conv2d and Linear: weight and bias ~ U(±1/√fan_in), float32.

    Returns one dict {"weight", "bias"} per conv/linear layer, in PyTorch's layouts (conv
    weights (out, in, kH, kW), linear weights (out, in)); every contender copies them in.
    """
    rng = np.random.default_rng(seed)
    params = []
    for spec in wl.layers:
        if spec[0] == "conv":
            _, cin, cout, k, _pad = spec
            shape, fan_in = (cout, cin, k, k), cin * k * k
        elif spec[0] == "linear":
            _, fin, fout = spec
            shape, fan_in = (fout, fin), fin
        else:
            continue
        bound = 1.0 / math.sqrt(fan_in)
        params.append({"weight": rng.uniform(-bound, bound, shape).astype(F32),
                       "bias": rng.uniform(-bound, bound, shape[0]).astype(F32)})
    return params


def parameter_count(wl):
    return sum(p["weight"].size + p["bias"].size for p in init_params(wl))


def build_minidl(wl, params=None, device=None):
    """The workload as ``minidl.nn.Sequential``, with ``params`` copied in when given."""
    from minidl import nn
    modules = []
    for spec in wl.layers:
        kind = spec[0]
        if kind == "conv":
            _, cin, cout, k, pad = spec
            modules.append(nn.Conv2d(cin, cout, k, padding=pad))
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "maxpool":
            modules.append(nn.MaxPool2d(spec[1]))
        elif kind == "flatten":
            modules.append(nn.Flatten())
        elif kind == "dropout":
            modules.append(nn.Dropout(spec[1]))
        elif kind == "linear":
            modules.append(nn.Linear(spec[1], spec[2]))
        else:
            raise ValueError(f"unknown layer spec {spec!r}")
    model = nn.Sequential(*modules)
    if params is not None:
        copy_into(model.parameters(), params, lambda p, a: p.data.__setitem__(..., a))
    if device is not None:
        model = model.to(device)
    return model


def build_torch(wl, params=None):
    """The workload as ``torch.nn.Sequential``, with ``params`` copied in when given."""
    import torch
    modules = []
    for spec in wl.layers:
        kind = spec[0]
        if kind == "conv":
            _, cin, cout, k, pad = spec
            modules.append(torch.nn.Conv2d(cin, cout, k, padding=pad))
        elif kind == "relu":
            modules.append(torch.nn.ReLU())
        elif kind == "maxpool":
            modules.append(torch.nn.MaxPool2d(spec[1]))
        elif kind == "flatten":
            modules.append(torch.nn.Flatten())
        elif kind == "dropout":
            modules.append(torch.nn.Dropout(spec[1]))
        elif kind == "linear":
            modules.append(torch.nn.Linear(spec[1], spec[2]))
        else:
            raise ValueError(f"unknown layer spec {spec!r}")
    model = torch.nn.Sequential(*modules)
    if params is not None:
        with torch.no_grad():
            copy_into(model.parameters(), params, lambda p, a: p.copy_(torch.from_numpy(a)))
    return model


def copy_into(framework_params, params, assign):
    """Copy the shared initial weights into a framework's parameters, weight then bias."""
    arrays = [a for layer in params for a in (layer["weight"], layer["bias"])]
    framework_params = list(framework_params)
    if len(framework_params) != len(arrays):
        raise RuntimeError(f"expected {len(arrays)} parameters, the model has "
                           f"{len(framework_params)}")
    for p, a in zip(framework_params, arrays):
        if tuple(p.shape) != a.shape:
            raise RuntimeError(f"parameter of shape {tuple(p.shape)} where {a.shape} was expected")
        assign(p, a)


def layer_shapes(wl, batch=None):
    """The activation shape (N, C, H, W) or (N, F) after each layer, from the input's."""
    n = wl.batch if batch is None else batch
    shape = (n,) + IMAGE_SHAPE
    shapes = []
    for spec in wl.layers:
        kind = spec[0]
        if kind == "conv":
            _, _cin, cout, k, pad = spec
            shape = (n, cout, shape[2] + 2 * pad - k + 1, shape[3] + 2 * pad - k + 1)
        elif kind == "maxpool":
            k = spec[1]
            shape = (n, shape[1], shape[2] // k, shape[3] // k)
        elif kind == "flatten":
            shape = (n, int(np.prod(shape[1:])))
        elif kind == "linear":
            shape = (n, spec[2])
        shapes.append(shape)
    return shapes
