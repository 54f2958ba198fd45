"""minidl: a small deep-learning framework on NumPy (CPU) and CuPy (GPU), built to be read.

    >>> import minidl as mdl
    >>> x = mdl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x ** 2).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""
from minidl import autograd, backends, cuda
from minidl.autograd import ops as _ops
from minidl.autograd.creation import (arange, eye, full, ones, ones_like, rand, randn, tensor,
                                      zeros, zeros_like)
from minidl.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from minidl.autograd.tensor import Tensor
from minidl.backends import set_default_device
from minidl.dtypes import (bool_, float16, float32, float64, get_default_dtype, int8, int32, int64,
                           set_default_dtype, uint8)
from minidl.random import manual_seed

__version__ = "0.1.0"

exp = _ops.exp
log = _ops.log
sqrt = _ops.sqrt
abs = _ops.abs
tanh = _ops.tanh
sigmoid = _ops.sigmoid
relu = _ops.relu
clip = _ops.clip
maximum = _ops.maximum
minimum = _ops.minimum
where = _ops.where
reshape = _ops.reshape
transpose = _ops.transpose
flatten = _ops.flatten
expand_dims = _ops.expand_dims
squeeze = _ops.squeeze
concatenate = _ops.concatenate
stack = _ops.stack
logsumexp = _ops.logsumexp
softmax = _ops.softmax
log_softmax = _ops.log_softmax
argmax = _ops.argmax
argmin = _ops.argmin
matmul = _ops.matmul
sum = _ops.sum
mean = _ops.mean
var = _ops.var
max = _ops.max
min = _ops.min

# Subpackages and names that live in modules with heavier imports are loaded on first use.
_LAZY = {
    "nn": ("minidl.nn", None),
    "optim": ("minidl.optim", None),
    "data": ("minidl.data", None),
    "estimators": ("minidl.estimators", None),
    "teaching": ("minidl.teaching", None),
    "keras": ("minidl.keras", None),
    "distributed": ("minidl.distributed", None),
    "Trainer": ("minidl.training", "Trainer"),
    "History": ("minidl.training", "History"),
    "save": ("minidl.serialization", "save"),
    "load": ("minidl.serialization", "load"),
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'minidl' has no attribute {name!r}")
    import importlib
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
