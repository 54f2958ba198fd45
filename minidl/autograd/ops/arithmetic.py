"""Elementwise arithmetic: + - * / ** and negation, with NumPy broadcasting.

Inputs may be Tensors or Python scalars. A Python scalar is passed to the array module as
is, so it never widens a tensor's dtype (``float32_tensor * 0.5`` stays float32); NumPy
scalars are turned into Python ones for the same reason. Broadcast gradients are summed back
to each input's shape by the engine.
"""
import numbers

import numpy as np

from minidl.autograd.function import Function
from minidl.autograd.tensor import Tensor


def operand(x):
    """A Tensor stays; a Python or NumPy scalar becomes a Python scalar; an array a Tensor."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, numbers.Number):
        return x
    return Tensor(x)


class Add(Function):
    """y = a + b;    ga = gy,   gb = gy"""
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    """y = a - b;    ga = gy,   gb = -gy"""
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, -gy


class Mul(Function):
    """y = a * b;    ga = gy * b,   gb = gy * a"""
    def forward(self, a, b):
        self.save_inputs(0, 1)
        return a * b

    def backward(self, gy):
        a, b = self.saved_tensors
        return gy * b, gy * a


class Div(Function):
    """y = a / b;    ga = gy / b,   gb = -gy * a / b²"""
    def forward(self, a, b):
        self.save_inputs(0, 1)
        return a / b

    def backward(self, gy):
        a, b = self.saved_tensors
        ga = gy / b
        return ga, -ga * a / b


class Neg(Function):
    """y = -x;    gx = -gy"""
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
    """y = a ** b;    ga = gy * b * a**(b-1),   gb = gy * y * log(a)"""
    def forward(self, a, b):
        self.save_inputs(0, 1)
        return a ** b

    def backward(self, gy):
        a, b = self.saved_tensors
        ga = gy * b * a ** (b - 1) if _needs(self, 0) else None
        gb = None
        if _needs(self, 1):
            from minidl.autograd.ops.unary import log, where
            # d/db a**b = a**b log a; PyTorch takes 0 where a == 0 (and b >= 0) to avoid nan
            safe_a = where(a == 0, 1.0, a)
            gb = gy * a ** b * log(safe_a)
        return ga, gb


def _needs(node, i):
    return node.parents[i] is not None


def add(a, b):
    return Add.apply(operand(a), operand(b))


def sub(a, b):
    return Sub.apply(operand(a), operand(b))


def mul(a, b):
    return Mul.apply(operand(a), operand(b))


def div(a, b):
    return Div.apply(operand(a), operand(b))


def neg(x):
    return Neg.apply(x)


def pow(a, b):
    a, b = operand(a), operand(b)
    if isinstance(b, numbers.Number) and isinstance(a, Tensor) and a.dtype.kind in "iu" \
            and isinstance(b, int) and b < 0:
        raise ValueError("pow: integer tensors cannot be raised to negative integer powers")
    return Pow.apply(a, b)


_COMPARISONS = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"}


def compare(a, b, name):
    """Elementwise comparison (``==``, ``<``...): a bool tensor, no gradient."""
    assert name in _COMPARISONS
    a, b = operand(a), operand(b)
    t = a if isinstance(a, Tensor) else b
    xa = a.data if isinstance(a, Tensor) else a
    xb = b.data if isinstance(b, Tensor) else b
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._backend is not b._backend:
        raise RuntimeError(f"{name}: tensors on devices '{a.device}' and '{b.device}'")
    return Tensor._make(getattr(t.xp, name)(xa, xb), t._backend, False, None)
