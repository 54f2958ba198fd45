"""Reverse-mode automatic differentiation: Tensor, Function, the engine and its tools."""
from minidl.autograd.anomaly import detect_anomaly
from minidl.autograd.dot import to_dot
from minidl.autograd.engine import grad
from minidl.autograd.function import Function
from minidl.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from minidl.autograd.gradcheck import GradcheckError, gradcheck
from minidl.autograd.tensor import Tensor, constant

__all__ = ["Tensor", "constant", "Function", "grad", "gradcheck", "GradcheckError", "to_dot",
           "detect_anomaly", "no_grad", "enable_grad", "is_grad_enabled"]
