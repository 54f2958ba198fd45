"""Layer configs to JSON and back, through a registry of known classes (never code).

``serialize_layer(layer)`` gives Keras 3's entry ``{'module', 'class_name', 'config',
'registered_name', 'build_config'}``; ``deserialize_layer`` finds the class by name among
minidl's layers and models, then in ``custom_objects``, and calls its ``from_config``. Keras's
configs carry a few options minidl leaves out: they are accepted when they hold their
default (None, False), and refused by name otherwise.
"""
import inspect

_custom_registry = {}

# options of Keras 3 configs that minidl does not implement; accepted at their default value
_IGNORED_AT_DEFAULT = {"quantization_config": None, "lora_rank": None, "lora_alpha": None,
                       "renorm": False, "renorm_clipping": None, "renorm_momentum": None,
                       "synchronized": False, "autocast": True, "activity_regularizer": None,
                       "sparse": False, "ragged": False, "kernel_constraint": None,
                       "bias_constraint": None, "embeddings_constraint": None,
                       "beta_constraint": None, "gamma_constraint": None, "mask_zero": False,
                       "weights": None, "input_length": None}


def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a custom layer loadable without ``custom_objects`` (as Keras's)."""
    def register(cls):
        key = f"{package}>{name or cls.__name__}"
        _custom_registry[key] = cls
        cls._registered_name = key
        return cls
    return register


def builtin_classes():
    from minidl.keras import layers, models
    classes = {name: getattr(layers, name) for name in layers.__all__
               if isinstance(getattr(layers, name), type)}
    classes.update({"Sequential": models.Sequential, "Functional": models.Functional,
                    "Model": models.Functional})
    return classes


def serialize_layer(layer):
    """Keras 3's JSON entry for a layer or model (``get_config`` + class name + build)."""
    cls = type(layer)
    entry = {"module": "keras.layers" if cls.__module__.startswith("minidl.keras.layers")
             else ("keras" if cls.__module__.startswith("minidl.keras") else cls.__module__),
             "class_name": cls.__name__, "config": layer.get_config(),
             "registered_name": getattr(cls, "_registered_name", None)}
    build = layer.get_build_config() if hasattr(layer, "get_build_config") else None
    if build is not None:
        entry["build_config"] = build
    return entry


def find_class(entry, custom_objects=None):
    name = entry.get("class_name")
    registered = entry.get("registered_name")
    custom_objects = custom_objects or {}
    for key in (registered, name):
        if key and key in custom_objects:
            return custom_objects[key]
    if registered and registered in _custom_registry:
        return _custom_registry[registered]
    builtin = builtin_classes()
    if name in builtin:
        return builtin[name]
    known = sorted(builtin) + sorted(custom_objects)
    raise ValueError(f"Could not locate class {name!r} (registered as {registered!r}). Make sure "
                     "custom classes are passed in `custom_objects` (e.g. load_model(path, "
                     f"custom_objects={{'{name}': {name}}})) or decorated with "
                     f"`register_keras_serializable`. Known classes: {', '.join(known)}")


def clean_config(cls, config, where):
    """The config with Keras's unsupported-but-default options removed (others refused)."""
    config = dict(config)
    if isinstance(config.get("dtype"), dict):  # Keras 3's DTypePolicy
        config["dtype"] = config["dtype"].get("config", {}).get("name", "float32")
    params = inspect.signature(cls.__init__).parameters
    takes_kwargs = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values())
    base = ("name", "trainable", "dtype", "input_shape", "batch_input_shape", "batch_size",
            "input_dim")
    for key in list(config):
        if key in params or key in base:
            continue
        if key in _IGNORED_AT_DEFAULT:
            value = config.pop(key)
            if key != "renorm_momentum" and value != _IGNORED_AT_DEFAULT[key]:
                raise NotImplementedError(f"{where}: option {key}={value!r} is not supported "
                                          "by minidl.keras")
        elif not takes_kwargs or cls.__init__ is _base_init():
            value = config.pop(key)
            if value not in (None, False):
                raise NotImplementedError(f"{where}: option {key}={value!r} is not supported "
                                          "by minidl.keras")
    return config


def _base_init():
    from minidl.keras.layers.base import Layer
    return Layer.__init__


def deserialize_layer(entry, custom_objects=None):
    """A layer or model from its JSON entry (classes from the registry or custom_objects)."""
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ValueError(f"not a layer config: {entry!r}")
    cls = find_class(entry, custom_objects)
    from minidl.keras.models import Functional, Sequential
    config = entry.get("config", {})
    if cls is Sequential or (isinstance(cls, type) and issubclass(cls, Sequential)):
        layer = cls.from_config(config, custom_objects=custom_objects)
    elif cls is Functional or (isinstance(cls, type) and issubclass(cls, Functional)):
        from minidl.keras.saving.functional_config import functional_from_config
        layer = functional_from_config(cls, config, custom_objects)
    else:
        config = clean_config(cls, config, f"layer {config.get('name', entry['class_name'])!r} "
                                           f"({entry['class_name']})")
        config = _resolve_objects(config, custom_objects)
        layer = cls.from_config(config)
    build = entry.get("build_config")
    if build and not layer.built and hasattr(layer, "build_from_config"):
        layer.build_from_config(build)
    return layer


def _resolve_objects(config, custom_objects):
    """Custom activations (saved by name) come from custom_objects."""
    if custom_objects and isinstance(config.get("activation"), str) \
            and config["activation"] in custom_objects:
        config = dict(config)
        config["activation"] = custom_objects[config["activation"]]
    return config
