"""``Variable``: a Keras weight, which is a minidl ``Parameter`` with a name and a path.

Keras layers own variables (``kernel``, ``bias``, ``moving_mean``…); in minidl they are
Parameters, so minidl's optimizers, autograd and ``Module.parameters()`` see them as they see
any other parameter. A non-trainable variable is a Parameter with ``requires_grad=False``.
"""
from minidl.autograd.tensor import Tensor
from minidl.nn.parameter import Parameter


class Variable(Parameter):
    """A named weight of a Keras layer (``layer.kernel``, ``layer.moving_mean``).

    Attributes:
        name: the weight's own name (``'kernel'``).
        path: ``'<layer name>/<name>'``, as Keras 3 names variables.
        trainable: whether fit's optimizer updates it (False for BatchNormalization's moving
            statistics). A layer with ``trainable = False`` also stops its variables' gradients.
    """

    __slots__ = ("name", "path", "_own_trainable")

    def __init__(self, data, name, path, trainable=True):
        super().__init__(data, requires_grad=trainable)
        self.name = name
        self.path = path
        self._own_trainable = bool(trainable)

    @property
    def trainable(self):
        return self._own_trainable

    @trainable.setter
    def trainable(self, value):
        self._own_trainable = bool(value)
        self.requires_grad_(bool(value))

    @property
    def value(self):
        return self

    def assign(self, value):
        """Overwrite the values in place (same shape; cast to the variable's dtype)."""
        if isinstance(value, Tensor):
            value = value.data
        array = self.backend.from_numpy(_host(value)) if not isinstance(
            value, self.backend.array_types) else value
        if tuple(array.shape) != self.shape:
            raise ValueError(f"Variable '{self.path}': cannot assign a value of shape "
                             f"{tuple(array.shape)} to a variable of shape {self.shape}")
        self.data[...] = array
        self.bump_version()
        return self

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"trainable={self.trainable}>")


def _host(value):
    import numpy as np
    return np.asarray(value.get() if hasattr(value, "get") and not isinstance(value, dict)
                      else value)
