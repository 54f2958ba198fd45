"""Pictures of a trained CNN: its first layer's filters and one image's feature maps.

Needs matplotlib (``pip install minidl[plot]``). Written to files with the Agg backend.
"""
import os

import numpy as np

from minidl.autograd.grad_mode import no_grad
from minidl.teaching.plots import require_matplotlib


def _grid(count):
    cols = int(np.ceil(np.sqrt(count)))
    return int(np.ceil(count / cols)), cols


def _conv_layers(model):
    from minidl.nn import Conv2d
    return [m for m in model.modules() if isinstance(m, Conv2d)]


def plot_filters(model, path, title=None):
    """Every filter of the model's first Conv2d (its first input channel), one tile each,
    on a diverging colour scale centred on 0 (red > 0 > blue). Returns the figure."""
    plt = require_matplotlib()
    convs = _conv_layers(model)
    if not convs:
        raise ValueError("plot_filters: the model has no Conv2d layer")
    weight = convs[0].weight.detach().numpy()[:, 0]           # (out, kH, kW)
    rows, cols = _grid(len(weight))
    limit = float(np.abs(weight).max()) or 1.0
    fig, axes = plt.subplots(rows, cols, figsize=(1.2 * cols, 1.2 * rows + 0.4))
    for k, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if k < len(weight):
            ax.imshow(weight[k], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(str(k), fontsize=7)
    fig.suptitle(title or f"first-layer filters, {weight.shape[1]}×{weight.shape[2]}")
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=100)
    plt.close(fig)
    return path


def feature_maps(model, image):
    """[(name, maps (C, H, W))] after each layer of a ``Sequential`` whose output is a stack of
    maps (conv, ReLU, pool), for one image, in evaluation mode and without a graph. ``image`` is
    one sample as the model takes it (e.g. (784,) or (1, 28, 28))."""
    import minidl as mdl
    from minidl.nn import Sequential
    if not isinstance(model, Sequential):
        raise TypeError(f"feature_maps: needs an nn.Sequential, got {type(model).__name__}")
    was_training = model.training
    model.eval()
    captured = []
    try:
        with no_grad():
            x = image if isinstance(image, mdl.Tensor) else mdl.tensor(np.asarray(image))
            x = x.reshape((1,) + tuple(x.shape))
            for index, layer in enumerate(model):
                x = layer(x)
                if x.ndim == 4 and type(layer).__name__ != "Unflatten":
                    captured.append((f"{index} {type(layer).__name__}", x.numpy()[0]))
    finally:
        model.train(was_training)
    return captured


def plot_feature_maps(model, image, path, label=None, max_maps=16):
    """The input digit and, row by row, the feature maps after each conv/ReLU/pool layer
    (at most ``max_maps`` channels per layer). Returns the path."""
    plt = require_matplotlib()
    layers = feature_maps(model, image)
    cols = min(max_maps, max(maps.shape[0] for _, maps in layers))
    fig, axes = plt.subplots(len(layers) + 1, cols, figsize=(0.9 * cols, 1.0 * len(layers) + 1.4),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    digit = np.asarray(image.numpy() if hasattr(image, "numpy") else image)
    side = int(round(np.sqrt(digit.size)))
    axes[0, 0].imshow(digit.reshape(side, side) if side * side == digit.size else digit[0],
                      cmap="gray")
    axes[0, 0].set_title("input" + ("" if label is None else f" ({label})"), fontsize=7)
    for row, (name, maps) in enumerate(layers, start=1):
        for k in range(min(cols, maps.shape[0])):
            axes[row, k].imshow(maps[k], cmap="viridis")
        axes[row, 0].set_title(f"{name} {maps.shape[1]}×{maps.shape[2]}", fontsize=7,
                               loc="left")
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=100)
    plt.close(fig)
    return path
