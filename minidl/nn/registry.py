"""Model builders by name: an architecture recorded as plain data, rebuilt without code.

A checkpoint must say which model its weights belong to, and loading it must never execute
code (no pickle). So an architecture is recorded as ``{"name": "mlp", "args": {...}}``: the
name of a registered builder and the JSON-able arguments it was called with. Rebuilding is
``build_model(record)``, a table lookup and a call.

Each model kind registers itself where it is defined (``nn.MLP`` as ``'mlp'``); a new kind
(a CNN, say) adds one line, ``register_model("cnn", CNN)``.

    >>> import minidl as mdl
    >>> record = architecture("mlp", in_features=784, hidden_sizes=[32], out_features=10)
    >>> record
    {'name': 'mlp', 'args': {'in_features': 784, 'hidden_sizes': [32], 'out_features': 10}}
    >>> build_model(record)
    MLP(
      (layers): Sequential(
        (0): Linear(in_features=784, out_features=32, bias=True)
        (1): ReLU()
        (2): Linear(in_features=32, out_features=10, bias=True)
      )
    )  # 25,450 parameters
"""
import json

MODELS = {}  # name -> builder(**args) -> Module


def register_model(name, builder=None):
    """Register ``builder`` (a Module class or a function returning a Module) under ``name``.

    Usable as a call, ``register_model("mlp", MLP)``, or as a class decorator,
    ``@register_model("cnn")``. Returns the builder.

    Raises:
        ValueError: ``name`` is already taken by another builder.
    """
    if builder is None:
        return lambda b: register_model(name, b)
    if not isinstance(name, str) or not name:
        raise ValueError(f"register_model: the name must be a non-empty string, got {name!r}")
    if MODELS.get(name, builder) is not builder:
        raise ValueError(f"register_model: {name!r} is already registered "
                         f"({MODELS[name].__name__})")
    MODELS[name] = builder
    return builder


def architecture(name, **args):
    """The plain-data record ``{"name": name, "args": args}`` of a model to build.

    Raises:
        ValueError: no model is registered under ``name``, or an argument is not plain data
            (numbers, strings, bools, None, lists and dicts of them).
    """
    _builder(name)
    try:
        json.dumps(args, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"architecture({name!r}): the arguments must be plain data (JSON), "
                         f"got {args!r}: {exc}") from None
    return {"name": name, "args": dict(args)}


def build_model(record):
    """The (freshly initialised) model that ``record`` (from :func:`architecture`) describes."""
    if not isinstance(record, dict) or not isinstance(record.get("args", {}), dict):
        raise ValueError(f"build_model: expected {{'name': ..., 'args': {{...}}}}, got {record!r}")
    return _builder(record.get("name"))(**record.get("args", {}))


def _builder(name):
    if name not in MODELS:
        known = ", ".join(sorted(MODELS)) or "none"
        raise ValueError(f"no model is registered as {name!r}; registered: {known} "
                         "(minidl.nn.register_model adds one)")
    return MODELS[name]
