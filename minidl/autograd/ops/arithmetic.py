"""Elementwise arithmetic: + - * / ** and negation, with NumPy broadcasting.

Inputs may be Tensors or Python scalars. A Python scalar is passed to the array module as
is, so it never widens a tensor's dtype (``float32_tensor * 0.5`` stays float32); NumPy
scalars are turned into Python ones for the same reason. Broadcast gradients are summed back
to each input's shape by the engine.
"""
import math
import numbers

import numpy as np

from minidl import dtypes
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


def operands(a, b, true_division=False):
    """Both operands of a binary op. Integer and bool tensors meeting a Python float, or true
    division without any floating tensor, become the default float dtype (as in PyTorch), so a
    Python scalar never turns them into float64."""
    a, b = operand(a), operand(b)
    floaty = true_division or type(a) is float or type(b) is float
    if floaty and not (_is_floating(a) or _is_floating(b)):
        default = dtypes.get_default_dtype()
        if isinstance(a, Tensor):
            a = a.astype(default)
        if isinstance(b, Tensor):
            b = b.astype(default)
    return a, b


def _is_floating(x):
    return isinstance(x, Tensor) and x.data.dtype.kind in "fc"


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
        needs_a, needs_b = self.parents[0] is not None, self.parents[1] is not None
        # (x * mask in Dropout needs no gradient for the mask: skip that product)
        return (gy * b if needs_a else None), (gy * a if needs_b else None)


class Div(Function):
    """y = a / b;    ga = gy / b,   gb = -gy * a / b²"""
    def forward(self, a, b):
        self.save_inputs(0, 1)
        return a / b

    def backward(self, gy):
        a, b = self.saved_tensors
        ga = gy / b
        return ga, (-ga * a / b if self.parents[1] is not None else None)


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
        from minidl.autograd.ops.unary import log, where
        a, b = self.saved_tensors
        ga = gb = None
        if _needs(self, 0):
            # b = 0 gives 0 * a**-1, nan at a = 0; PyTorch's gradient there is 0, and so is ours
            if isinstance(b, Tensor):
                ga = where(b == 0, 0.0, gy * b * a ** (b - 1))
            else:
                ga = gy * b * a ** (b - 1) if b != 0 else gy * 0.0
        if _needs(self, 1):
            # d/db a**b = a**b log a; PyTorch takes 0 where a == 0 (and b >= 0) to avoid nan
            if isinstance(a, Tensor):
                gb = gy * a ** b * log(where(a == 0, 1.0, a))
            else:  # a Python number: log a is a constant
                gb = gy * a ** b * (math.log(a) if a > 0 else 0.0 if a == 0 else math.nan)
        return ga, gb


def _needs(node, i):
    return node.parents[i] is not None


def add(a, b):
    a, b = operands(a, b)
    try:
        return Add.apply(a, b)
    except ValueError as exc:
        raise broadcast_error("add", a, b) from exc


def sub(a, b):
    a, b = operands(a, b)
    try:
        return Sub.apply(a, b)
    except ValueError as exc:
        raise broadcast_error("sub", a, b) from exc


def mul(a, b):
    a, b = operands(a, b)
    try:
        return Mul.apply(a, b)
    except ValueError as exc:
        raise broadcast_error("mul", a, b) from exc


def div(a, b):
    a, b = operands(a, b, true_division=True)
    try:
        return Div.apply(a, b)
    except ValueError as exc:
        raise broadcast_error("div", a, b) from exc


def neg(x):
    return Neg.apply(x)


def pow(a, b):
    a, b = operands(a, b)
    if isinstance(b, numbers.Number) and isinstance(a, Tensor) and a.dtype.kind in "iu" \
            and isinstance(b, int) and b < 0:
        raise ValueError("pow: integer tensors cannot be raised to negative integer powers")
    try:
        return Pow.apply(a, b)
    except ValueError as exc:
        raise broadcast_error("pow", a, b) from exc


def broadcast_error(op, *operands):
    """The error for operands whose shapes do not broadcast, naming the op and the shapes."""
    shapes = " and ".join(str(getattr(x, "shape", ())) for x in operands)
    return ValueError(f"{op}: operands of shapes {shapes} cannot be broadcast together")


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
    try:
        return Tensor._make(getattr(t.xp, name)(xa, xb), t._backend, False, None)
    except ValueError as exc:
        raise broadcast_error(name, a, b) from exc
