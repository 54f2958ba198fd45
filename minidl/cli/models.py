"""The networks ``python -m minidl train --model NAME`` builds, by name, from a run's config.

    mlp  nn.MLP 784 → --hidden → 10 (--activation, --dropout, --batchnorm): the default
    cnn  Keras's MNIST convnet (34,826 parameters): Conv2d(1, 32, 3) → ReLU → MaxPool2d(2)
         → Conv2d(32, 64, 3) → ReLU → MaxPool2d(2) → Flatten → Dropout(0.5) → Linear(1600, 10)

Every model takes the loader's flat (N, 784) images; the CNN's first layer unflattens them to
(N, 1, 28, 28). A builder is a function of the config dict, so the command line, a resumed
checkpoint and a test all build the same network from the same record.
"""


def hidden_sizes(text):
    """``'256,128'`` -> ``[256, 128]``; ``''`` -> ``[]`` (a linear model)."""
    text = str(text).strip()
    if not text:
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"--hidden must be comma-separated sizes such as 256,128, got "
                         f"{text!r}") from None
    if any(s < 1 for s in sizes):
        raise ValueError(f"--hidden sizes must be positive, got {text!r}")
    return sizes


def build_mlp(config):
    from minidl import nn
    return nn.MLP(784, hidden_sizes(config["hidden"]), 10, activation=config["activation"],
                  dropout=config["dropout"], batchnorm=config["batchnorm"])


def build_cnn(config=None):
    """Keras's classic MNIST convnet (``mnist_convnet``), in PyTorch's layers and init."""
    from minidl import nn
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))


def describe_mlp(config):
    hidden = ", ".join(map(str, hidden_sizes(config["hidden"]))) or "none"
    return (f"MLP 784 -> [{hidden}] -> 10, {config['activation']}, dropout {config['dropout']}"
            f", batchnorm {'on' if config['batchnorm'] else 'off'}")


def describe_cnn(config):
    return ("CNN conv 32@3x3 -> relu -> maxpool 2 -> conv 64@3x3 -> relu -> maxpool 2 -> "
            "dropout 0.5 -> linear 1600 -> 10 (34,826 parameters)")


MODELS = {"mlp": (build_mlp, describe_mlp), "cnn": (build_cnn, describe_cnn)}
"""name -> (builder(config) -> Module, describe(config) -> one line for the run's header)."""


def build_model(config):
    """The network of ``config['model']`` (``'mlp'`` when the config predates the option)."""
    name = config.get("model", "mlp")
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    return MODELS[name][0](config)


def describe_model(config):
    return MODELS[config.get("model", "mlp")][1](config)
