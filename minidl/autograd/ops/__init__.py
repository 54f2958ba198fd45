"""Every op, as a function. Each file holds a family; each op states its math and gradient."""
from minidl.autograd.ops.arithmetic import add, compare, div, mul, neg, operand, pow, sub
from minidl.autograd.ops.indexing import getitem, to_index
from minidl.autograd.ops.linalg import linear, linear_relu, matmul
from minidl.autograd.ops.reduce import (argmax, argmin, broadcast_to, logsumexp, max, mean, min,
                                        sum, sum_to, var)
from minidl.autograd.ops.shape import (concatenate, expand_dims, flatten, reshape, squeeze, stack,
                                       swapaxes, transpose)
from minidl.autograd.ops.softmax import log_softmax, softmax
from minidl.autograd.ops.unary import (abs, astype, clip, clip_value, clone, exp, log, maximum, minimum,
                                       relu, sigmoid, sqrt, tanh, to_device, where)

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "compare", "operand", "getitem", "to_index",
           "linear", "linear_relu", "matmul", "argmax", "argmin", "broadcast_to", "logsumexp", "max", "mean",
           "min", "sum", "sum_to", "var", "concatenate", "expand_dims", "flatten", "reshape",
           "squeeze", "stack", "swapaxes", "transpose", "log_softmax", "softmax", "abs", "astype",
           "clip", "clip_value", "clone", "exp", "log", "maximum", "minimum", "relu", "sigmoid", "sqrt", "tanh",
           "to_device", "where"]
