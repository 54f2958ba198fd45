"""The pictures ``python -m minidl train`` writes into its run folder (needs matplotlib).

``curves.png``: loss and accuracy per epoch, train and validation. For ``--model cnn`` also
``filters.png`` (the first conv layer's filters) and ``feature_maps.png`` (the first test digit
through the conv, ReLU and pool layers), drawn by ``minidl.teaching.conv_pictures``. Without
matplotlib nothing is drawn and the run says so; training never fails for want of it.
"""
import os
import sys


def write_run_pictures(out, history, config, model, x_test, y_test):
    """Draw this run's pictures into the folder ``out``; returns the paths written.

    Without matplotlib: prints on stderr that no curves.png was written (and how to get it),
    and returns ``[]``.
    """
    curves = plot_curves(history, os.path.join(out, "curves.png"), config)
    if not curves:
        print("matplotlib is not installed: no curves.png was written "
              "(pip install 'minidl[plot]' to get it)", file=sys.stderr)
        return []
    written = [curves]
    if config["model"] == "cnn":
        written += plot_cnn_pictures(model, x_test, y_test, out)
    return written


def plot_cnn_pictures(model, x_test, y_test, out):
    """filters.png (the first conv layer's 32 filters) and feature_maps.png (the first test
    digit through the conv/ReLU/pool layers); nothing without matplotlib."""
    try:
        from minidl.teaching.conv_pictures import plot_feature_maps, plot_filters
        filters = plot_filters(model, os.path.join(out, "filters.png"))
        maps = plot_feature_maps(model, x_test[0], os.path.join(out, "feature_maps.png"),
                                 label=int(y_test[0]))
    except ImportError:
        return []
    return [filters, maps]


def plot_curves(history, path, config):
    """Loss and accuracy per epoch (train and validation) as a PNG; None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    epochs = range(1, len(history.get("loss", [])) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, title in [(axes[0], "loss", "loss"), (axes[1], "accuracy", "accuracy")]:
        if key in history:
            ax.plot(epochs, history[key], marker="o", label="train")
        if "val_" + key in history:
            ax.plot(epochs, history["val_" + key], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    model = "CNN" if config.get("model") == "cnn" else f"MLP [{config['hidden']}]"
    fig.suptitle(f"{config['dataset']} {model}, {config['optimizer']}, "
                 f"schedule {config['schedule']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
