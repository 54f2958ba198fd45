"""minidl: a small deep-learning framework on NumPy (CPU) and CuPy (GPU), built to be read.

    >>> import minidl as mdl
    >>> x = mdl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x ** 2).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""
from minidl import autograd, backends, cuda
from minidl.autograd import ops as _ops
from minidl.autograd.creation import (arange, eye, from_numpy, full, ones, ones_like, rand, randn,
                                      tensor, zeros, zeros_like)
from minidl.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from minidl.autograd.spellings import accepts_pytorch_names as _pytorch_names
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
matmul = _ops.matmul
clone = _ops.clone
# the functions that take an axis also take PyTorch's dim=/keepdim= (minidl.autograd.spellings)
flatten = _pytorch_names(_ops.flatten)
expand_dims = _pytorch_names(_ops.expand_dims)
unsqueeze = expand_dims  # PyTorch's name
squeeze = _pytorch_names(_ops.squeeze)
concatenate = _pytorch_names(_ops.concatenate)
cat = concatenate  # PyTorch's name
stack = _pytorch_names(_ops.stack)
logsumexp = _pytorch_names(_ops.logsumexp)
softmax = _pytorch_names(_ops.softmax)
log_softmax = _pytorch_names(_ops.log_softmax)
argmax = _pytorch_names(_ops.argmax)
argmin = _pytorch_names(_ops.argmin)
sum = _pytorch_names(_ops.sum)
mean = _pytorch_names(_ops.mean)
var = _pytorch_names(_ops.var)
max = _pytorch_names(_ops.max)
min = _pytorch_names(_ops.min)

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
    "load_run": ("minidl.training", "load_run"),
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
