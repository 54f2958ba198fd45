"""``minidl.keras.optimizers``: Keras 3's optimizers, names, defaults and update rules.

Each file puts the Keras rule side by side with PyTorch's (``minidl.optim``), since they
differ: ε placement (Adam, RMSprop, Adagrad, Adamax), Adagrad's initial accumulator,
RMSprop's ρ, Nadam's momentum schedule, SGD's velocity form, and every default.

    >>> from minidl.keras import optimizers
    >>> optimizers.get("adam").get_config()["epsilon"]
    1e-07
"""
from minidl.keras.optimizers import schedules
from minidl.keras.optimizers.adadelta import Adadelta
from minidl.keras.optimizers.adagrad import Adagrad
from minidl.keras.optimizers.adam import Adam, AdamW
from minidl.keras.optimizers.adamax import Adamax
from minidl.keras.optimizers.nadam import Nadam
from minidl.keras.optimizers.optimizer import Optimizer
from minidl.keras.optimizers.rmsprop import RMSprop
from minidl.keras.optimizers.sgd import SGD

ALL_OBJECTS = (SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam)
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


def serialize(optimizer):
    """``{'module', 'class_name', 'config', 'registered_name'}`` of an optimizer, as Keras."""
    return {"module": "minidl.keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The optimizer a :func:`serialize` dict (or Keras's) describes; class names are matched
    case-insensitively among the built-in ones, then in ``custom_objects``."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret optimizer identifier: {config}")
    name = config["class_name"]
    cls = ALL_OBJECTS_DICT.get(str(name).lower())
    if cls is None and custom_objects:
        cls = custom_objects.get(name)
    if cls is None:
        raise ValueError(f"Could not interpret optimizer identifier: {name!r}; known "
                         f"optimizers: {sorted(ALL_OBJECTS_DICT)}")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """An optimizer from a name (``'sgd'``, ``'adam'``, ``'RMSprop'``, ...; default
    arguments), a config dict, or an optimizer (returned as it is).

    Raises:
        ValueError: an unknown name (listing the known ones) or object.

    Example:
        >>> get("sgd").learning_rate
        0.01
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        obj = deserialize({"class_name": identifier, "config": {}})
    elif isinstance(identifier, dict):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if isinstance(obj, Optimizer):
        return obj
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r} (expected a "
                     f"minidl.keras optimizer, a config dict or one of "
                     f"{sorted(ALL_OBJECTS_DICT)})")


__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "schedules", "get", "serialize", "deserialize"]
