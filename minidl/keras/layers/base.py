"""``Layer``: the base class of every Keras layer and model in minidl.

A Keras layer is a minidl :class:`~minidl.nn.Module` that owns named :class:`Variable` s (minidl
Parameters) and computes with minidl ops. What Keras adds over a Module is the *deferred
build*: a layer learns its input size on its first call, runs ``build(input_shape)`` (which
creates the weights with :meth:`Layer.add_weight`), and only then ``call(inputs)``. Calling a
layer on :class:`KerasTensor` s (from ``keras.Input``) does the same with shapes only and
records the call, which is how functional models are made.

``training`` is an argument of ``call``, not a mode: ``fit`` calls the model with
``training=True`` and every layer inside inherits it unless told otherwise (Keras's call
context); a plain ``model(x)`` or ``predict`` runs in inference.
"""
import collections
import inspect
import re

import numpy as np

from minidl import dtypes
from minidl.autograd.grad_mode import no_grad
from minidl.autograd.tensor import Tensor
from minidl.keras import initializers, regularizers
from minidl.keras.layers.node import KerasTensor, Node, flatten, is_symbolic, map_structure
from minidl.keras.variables import Variable
from minidl.nn.module import Module

_uids = collections.defaultdict(int)
_training_context = []  # the `training` value of the layer calls in progress, innermost last

_BASE_KWARGS = ("input_shape", "batch_input_shape", "batch_size", "input_dim")


def to_snake_case(name):
    """``'BatchNormalization'`` → ``'batch_normalization'`` (Keras's rule)."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix):
    """``prefix``, then ``prefix_1``, ``prefix_2``… (Keras's automatic layer names)."""
    count = _uids[prefix]
    _uids[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset_uids():
    """Forget the automatic names given so far (``keras.backend.clear_session``)."""
    _uids.clear()


def current_training():
    """The ``training`` value of the enclosing layer call (None outside any call)."""
    return _training_context[-1] if _training_context else None


class IncompatibleInputError(ValueError):
    """An input whose shape does not fit what the layer was built for."""


class InputSpec:
    """What a built layer expects of its input: ``ndim``/``min_ndim`` and sizes of ``axes``.

    Example:
        >>> InputSpec(min_ndim=2, axes={-1: 784})
        InputSpec(min_ndim=2, axes={-1: 784})
    """

    def __init__(self, ndim=None, min_ndim=None, axes=None):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})

    def problem(self, shape):
        """Why ``shape`` does not fit (a sentence), or None when it does."""
        if self.ndim is not None and len(shape) != self.ndim:
            return f"expected ndim={self.ndim}, found ndim={len(shape)}"
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            return f"expected min_ndim={self.min_ndim}, found ndim={len(shape)}"
        for axis, size in self.axes.items():
            if -len(shape) <= axis < len(shape) and shape[axis] is not None \
                    and shape[axis] != size:
                return f"expected axis {axis} of the input shape to have value {size}"
        return None

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in (("ndim", self.ndim), ("min_ndim", self.min_ndim),
                                          ("axes", self.axes or None)) if v is not None]
        return f"InputSpec({', '.join(parts)})"


class Layer(Module):
    """Base class of Keras layers: write ``build(input_shape)`` (make weights) and
    ``call(inputs)`` (compute); call the layer like a function.

    Args:
        trainable: whether its weights are trained (``layer.trainable = False`` freezes them).
        name: the layer's name; by default the snake-case class name, numbered (``dense``,
            ``dense_1``…) as Keras numbers them.
        dtype: the dtype of its weights and computations (float32 by default).
        input_shape: (for the first layer of a ``Sequential``) the shape of one sample.

    Example:
        >>> import minidl as mdl
        >>> from minidl import keras
        >>> class Scale(keras.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        ...     def call(self, inputs):
        ...         return inputs * self.w
        >>> layer = Scale()
        >>> layer(mdl.ones(2, 3)).shape, [w.shape for w in layer.weights]
        ((2, 3), [(3,)])
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:  # layer.build(shape) called by hand also marks it built
            cls.build = _marks_built(cls.__dict__["build"])

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        # remembered for the default get_config of custom layers (Keras 3 does the same)
        object.__setattr__(layer, "_init_args", (args, kwargs))
        return layer

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        unknown = [k for k in kwargs if k not in _BASE_KWARGS]
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{', '.join(map(repr, unknown))}")
        super().__init__()
        self.name = name if name is not None else unique_name(to_snake_case(type(self).__name__))
        self.dtype = dtypes.as_dtype(_dtype_name(dtype)) if dtype is not None else \
            dtypes.get_default_dtype()
        self.built = False
        self.input_spec = None
        self._trainable = bool(trainable)
        self._trainable_variables = []  # own weights created trainable, in creation order
        self._non_trainable_variables = []
        self._regularized = []  # (variable, regularizer)
        self._inbound_nodes = []
        self._build_shapes = None
        self._batch_input_shape = _batch_input_shape(kwargs)

    # -- what a subclass writes ----------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (the batch axis may be None)."""

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not define call(); define "
                                  "call(self, inputs) in the subclass")

    def forward(self, *args, **kwargs):  # the Module API: model(x) and layer.forward(x) agree
        return self.call(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape``; by default found by running the layer on a
        batch of zeros (sizes None taken as 1)."""
        spec = self._output_spec_by_running([KerasTensor(input_shape, _dtype_name(self.dtype))],
                                            {})
        return spec.shape if isinstance(spec, KerasTensor) else map_structure(
            lambda t: t.shape, spec)

    # -- weights ---------------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer="glorot_uniform", dtype=None, trainable=True,
                   name=None, regularizer=None, constraint=None):
        """Create a weight of this layer (a :class:`Variable`, i.e. a minidl Parameter).

        Args:
            shape: its shape (default ``()``).
            initializer: a name (``'glorot_uniform'``, ``'zeros'``…), an initializer or a
                function ``f(shape, dtype) -> array``.
            trainable: False for state that fit's optimizer must not touch (moving averages).
            name: its name (default ``'variable'``, numbered within the layer).
            regularizer: a penalty (``'l2'``, ``keras.regularizers.L2(0.01)``) added to the
                loss that fit minimises.

        Returns:
            The Variable, also listed in ``weights`` in creation order.
        """
        if constraint is not None:
            raise NotImplementedError(f"{self.name}: weight constraints are not supported")
        shape = () if shape is None else tuple(int(s) for s in shape)
        dtype = self.dtype if dtype is None else dtypes.as_dtype(_dtype_name(dtype))
        init = initializers.get(initializer)
        if init is None:
            init = initializers.get("glorot_uniform" if dtype.kind == "f" else "zeros")
        values = Tensor(init(shape, dtype=dtype), dtype=dtype)  # any array module's array
        key = name or "variable"
        if key in self._parameters:
            key = f"{key}_{len(self._parameters)}"
        variable = Variable(values, name=name or key, path=f"{self.name}/{name or key}",
                            trainable=bool(trainable) and self._trainable)
        self.register_parameter(key, variable)
        if trainable:
            self._trainable_variables.append(variable)
        else:
            self._non_trainable_variables.append(variable)
        if regularizer is not None:
            self._regularized.append((variable, regularizers.get(regularizer)))
        return variable

    def _sublayers(self):
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    @property
    def weights(self):
        """Every weight: this layer's own (trainable ones first, as Keras), then its sublayers'."""
        result = self._trainable_variables + self._non_trainable_variables
        seen = {id(v) for v in result}
        for layer in self._sublayers():
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    result.append(w)
        return result

    @property
    def trainable_weights(self):
        """The weights fit's optimizer updates (none when ``trainable`` is False)."""
        if not self._trainable:
            return []
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self):
        """The other weights (e.g. moving statistics; all of them when frozen)."""
        if not self._trainable:
            return self.weights
        return [w for w in self.weights if not w.trainable]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freeze (False) or unfreeze this layer and every layer inside it (as Keras 3)."""
        value = bool(value)
        self._trainable = value
        for v in self._trainable_variables:
            v.trainable = value
        for layer in self._sublayers():
            layer.trainable = value

    @property
    def losses(self):
        """The regularization penalties of this layer's and its sublayers' weights (Tensors)."""
        penalties = [reg(v) for v, reg in self._regularized]
        for layer in self._sublayers():
            penalties.extend(layer.losses)
        return penalties

    def get_weights(self):
        """The weights' values as NumPy arrays, in ``weights`` order."""
        return [np.array(w.numpy(), copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Overwrite the weights with arrays in ``weights`` order (shapes must match)."""
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(f"Layer '{self.name}': set_weights got {len(weights)} arrays for its "
                             f"{len(mine)} weights ({', '.join(w.path for w in mine)})")
        for w, value in zip(mine, weights):
            shape = tuple(np.shape(value))
            if shape != w.shape:
                raise ValueError(f"Layer '{self.name}': weight '{w.path}' has shape {w.shape}, "
                                 f"the value given has shape {shape}")
        for w, value in zip(mine, weights):
            w.assign(value)

    def count_params(self):
        """The number of values in all weights."""
        if not self.built and not self.weights:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the "
                             "layer isn't built. You can build it manually via: "
                             "`layer.build(input_shape)`.")
        return int(sum(w.size for w in self.weights))

    # -- calling --------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if is_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)
        if not args:
            raise TypeError(f"Layer '{self.name}' was called without inputs")
        inputs = map_structure(self._as_input, args[0])
        self._maybe_build(map_structure(lambda t: t.shape, inputs))
        self._check_input(inputs)
        training = kwargs.pop("training", None)
        if training is None:
            training = current_training()
        if self._call_takes("training"):
            kwargs["training"] = training
        _training_context.append(training)
        try:
            return self.call(inputs, *args[1:], **kwargs)
        finally:
            _training_context.pop()

    def _symbolic_call(self, args, kwargs):
        inputs = args[0]
        self._maybe_build(map_structure(lambda t: t.shape, inputs))
        self._check_input(inputs)
        spec = self.compute_output_spec(*args, **kwargs)
        outputs = [t for t in flatten(spec)]
        for i, t in enumerate(outputs):
            t.name = self.name if len(outputs) == 1 else f"{self.name}_{i}"
        Node(self, args, kwargs, outputs)
        return spec

    def compute_output_spec(self, *args, **kwargs):
        """KerasTensor(s) for the outputs of a call on KerasTensors (no values computed)."""
        inputs = args[0]
        if type(self).compute_output_shape is not Layer.compute_output_shape \
                and isinstance(inputs, KerasTensor):
            return KerasTensor(self.compute_output_shape(inputs.shape), _dtype_name(self.dtype))
        return self._output_spec_by_running(args, kwargs)

    def _output_spec_by_running(self, args, kwargs):
        """Run ``call`` on zeros shaped like the KerasTensors (None → 1) to learn the outputs."""
        batch_free = [t.shape[0] is None for t in flatten(args[0]) if isinstance(t, KerasTensor)
                      and t.shape]

        def zeros(t):
            if not isinstance(t, KerasTensor):
                return t
            shape = tuple(1 if d is None else d for d in t.shape)
            return Tensor(np.zeros(shape, dtype=t.dtype))

        real_args = map_structure(zeros, args)
        real_kwargs = map_structure(zeros, dict(kwargs))
        real_kwargs.pop("training", None)
        if self._call_takes("training"):
            real_kwargs["training"] = False
        _training_context.append(False)
        try:
            with no_grad():
                out = self.call(real_args[0], *real_args[1:], **real_kwargs)
        finally:
            _training_context.pop()
        free = bool(batch_free) and all(batch_free)

        def spec(t):
            shape = tuple(t.shape)
            if free and shape:
                shape = (None,) + shape[1:]
            return KerasTensor(shape, t.dtype.name)

        return map_structure(spec, out)

    def _as_input(self, x):
        """A Tensor of ``x``; floating values in the layer's dtype (Keras autocasts them)."""
        if isinstance(x, Tensor):
            if x.dtype.kind == "f" and x.dtype != self.dtype:
                return x.astype(self.dtype)
            return x
        if x is None or isinstance(x, (str, bool)):
            return x
        array = np.asarray(x)
        if array.dtype.kind == "f" or array.dtype == object:
            array = array.astype(self.dtype)
        return Tensor(array)

    def _maybe_build(self, shapes):
        if self.built:
            return
        shapes = _plain_shapes(shapes)
        self.build(shapes)
        self.built = True
        if self._build_shapes is None:
            self._build_shapes = shapes

    def _check_input(self, inputs):
        if self.input_spec is None or not isinstance(inputs, (Tensor, KerasTensor)):
            return
        shape = tuple(inputs.shape)
        problem = self.input_spec.problem(shape)
        if problem:
            source = ""
            history = getattr(inputs, "_keras_history", None)
            if history is not None:
                maker = history[0]
                source = f". That input comes from layer '{maker.name}' ({type(maker).__name__})"
            raise IncompatibleInputError(
                f"Input 0 of layer '{self.name}' ({type(self).__name__}) is incompatible with "
                f"the layer: {problem}, but received input with shape {shape}{source}")

    @classmethod
    def _call_takes(cls, argument):
        cache = cls.__dict__.get("_call_arguments")
        if cache is None:
            cache = frozenset(inspect.signature(cls.call).parameters)
            setattr(cls, "_call_arguments", cache)
        return argument in cache

    # -- configs --------------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments that rebuild this layer (JSON values), as Keras's.

        A custom layer that does not define ``get_config`` gets the arguments it was built
        with, when they are plain values (numbers, strings, lists, dicts, None).
        """
        config = {"name": self.name, "trainable": self._trainable, "dtype": self.dtype.name}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        cls = type(self)
        if cls.get_config is Layer.get_config and cls.__init__ is not Layer.__init__:
            config.update(_auto_config(self))
        return config

    @classmethod
    def from_config(cls, config):
        """A new layer from ``get_config()``'s dict."""
        return cls(**config)

    def get_build_config(self):
        """``{'input_shape': ...}`` of the first build (what loading builds with)."""
        if self._build_shapes is None:
            return None
        return {"input_shape": _json_shapes(self._build_shapes)}

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None and not self.built:
            self.build(_plain_shapes(config["input_shape"]))

    # -- display --------------------------------------------------------------------------------
    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    def __setattr__(self, name, value):
        # a list of layers is tracked (as Keras tracks it); nn.Module would warn instead
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value) \
                and "_modules" in self.__dict__:
            for i, layer in enumerate(value):
                self.add_module(f"{name}[{i}]", layer)
            object.__setattr__(self, name, value)
            return
        super().__setattr__(name, value)


def _marks_built(build):
    import functools

    @functools.wraps(build)
    def build_and_mark(self, input_shape=None, *args, **kwargs):
        result = build(self, input_shape, *args, **kwargs)
        if not self.built:
            self.built = True
            self._build_shapes = input_shape
        return result
    return build_and_mark


def _dtype_name(dtype):
    """A dtype name from a dtype, a name or Keras's DTypePolicy config."""
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name", "float32")
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        raise ValueError(f"mixed precision dtype policy {dtype!r} is not supported")
    return dtypes.as_dtype(dtype).name if not isinstance(dtype, str) else dtype


def _batch_input_shape(kwargs):
    if kwargs.get("batch_input_shape") is not None:
        return tuple(kwargs["batch_input_shape"])
    if kwargs.get("input_shape") is not None:
        return (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
    if kwargs.get("input_dim") is not None:
        return (kwargs.get("batch_size"), kwargs["input_dim"])
    return None


def _plain_shapes(shapes):
    """Shapes as tuples (a list of them for several inputs)."""
    if isinstance(shapes, dict):
        return {k: _plain_shapes(v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)) and shapes and isinstance(shapes[0], (list, tuple)):
        return [_plain_shapes(s) for s in shapes]
    return tuple(None if d is None else int(d) for d in shapes)


def _json_shapes(shapes):
    if isinstance(shapes, dict):
        return {k: _json_shapes(v) for k, v in shapes.items()}
    if isinstance(shapes, list):
        return [_json_shapes(s) for s in shapes]
    return list(shapes)


_JSON_TYPES = (int, float, str, bool, type(None))


def _is_json(value):
    if isinstance(value, _JSON_TYPES):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False


def _auto_config(layer):
    args, kwargs = layer.__dict__.get("_init_args", ((), {}))
    try:
        bound = inspect.signature(type(layer).__init__).bind(layer, *args, **kwargs)
    except TypeError:
        return {}
    config = {}
    for key, value in bound.arguments.items():
        if key == "self":
            continue
        kind = inspect.signature(type(layer).__init__).parameters[key].kind
        if kind == inspect.Parameter.VAR_KEYWORD:
            config.update({k: v for k, v in value.items() if _is_json(v)})
        elif kind != inspect.Parameter.VAR_POSITIONAL and _is_json(value):
            config[key] = value
    return config
