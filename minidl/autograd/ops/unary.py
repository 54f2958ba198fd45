"""Elementwise functions of one input (and the elementwise selections max/min/where)."""
from minidl import dtypes
from minidl.autograd import grad_mode
from minidl.autograd.function import Function
from minidl.autograd.ops.arithmetic import broadcast_error, operand
from minidl.autograd.tensor import Tensor, constant


class Exp(Function):
    """y = exp(x);    gx = gy * y"""
    def forward(self, x):
        self.save_outputs()
        return self.xp.exp(x)

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * y


class Log(Function):
    """y = log(x);    gx = gy / x"""
    def forward(self, x):
        self.save_inputs(0)
        return self.xp.log(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy / x


class Sqrt(Function):
    """y = √x;    gx = gy / (2y)"""
    def forward(self, x):
        self.save_outputs()
        return self.xp.sqrt(x)

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy / (y * 2.0)


class Abs(Function):
    """y = |x|;    gx = gy * sign(x)   (0 at x = 0, as PyTorch)"""
    def forward(self, x):
        self.save_inputs(0)
        return self.xp.abs(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * constant(self.xp.sign(x.data), x)


class Tanh(Function):
    """y = tanh(x);    gx = gy * (1 − y²)"""
    def forward(self, x):
        self.save_outputs()
        return self.xp.tanh(x)

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * (1.0 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + exp(−x));    gx = gy * y * (1 − y)"""
    def forward(self, x):
        self.save_outputs()
        xp = self.xp
        # exp of a non-positive number never overflows: use e^x/(1+e^x) for x < 0
        z = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype, copy=False)

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * (y * (1.0 - y))


class ReLU(Function):
    """y = max(x, 0);    gx = gy * [x > 0]"""
    def forward(self, x):
        self.save_outputs()
        return self.xp.maximum(x, 0)

    def backward(self, gy):
        (y,) = self.saved_tensors
        if not grad_mode.state.enabled:  # not recorded: one multiply on the arrays, no node
            return constant(gy.data * (y.data > 0), gy)
        return gy * constant(y.data > 0, y)


class Clip(Function):
    """y = min(max(x, lo), hi);    gx = gy * [lo ≤ x ≤ hi]"""
    def forward(self, x, lo=None, hi=None):
        self.save_inputs(0)
        self.lo, self.hi = lo, hi
        return self.xp.clip(x, lo, hi)

    def backward(self, gy):
        (x,) = self.saved_tensors
        inside = self.xp.ones(x.shape, dtype=bool)
        if self.lo is not None:
            inside &= x.data >= self.lo
        if self.hi is not None:
            inside &= x.data <= self.hi
        return gy * constant(inside, x)


class Maximum(Function):
    """y = max(a, b);    ga = gy * ([a > b] + ½[a = b]),   gb = gy * ([b > a] + ½[a = b])"""
    def forward(self, a, b):
        self.save_inputs(0, 1)
        return self.xp.maximum(a, b)

    def backward(self, gy):
        a, b = self.saved_tensors
        return _split_ties(self.xp, gy, a, b, self.xp.greater)


class Minimum(Function):
    """y = min(a, b);    ga = gy * ([a < b] + ½[a = b]),   gb = gy * ([b < a] + ½[a = b])"""
    def forward(self, a, b):
        self.save_inputs(0, 1)
        return self.xp.minimum(a, b)

    def backward(self, gy):
        a, b = self.saved_tensors
        return _split_ties(self.xp, gy, a, b, self.xp.less)


def _split_ties(xp, gy, a, b, wins):
    """Gradient routing for max/min: to the winner, half each on a tie (as PyTorch)."""
    da = a.data if isinstance(a, Tensor) else a
    db = b.data if isinstance(b, Tensor) else b
    dtype = gy.dtype
    tie = (da == db) * 0.5
    share_a = (wins(da, db) + tie).astype(dtype)
    share_b = (wins(db, da) + tie).astype(dtype)
    return gy * constant(share_a, gy), gy * constant(share_b, gy)


class Where(Function):
    """y = where(c, a, b);    ga = gy * [c],   gb = gy * [¬c]"""
    def forward(self, a, b, condition=None):
        self.condition = condition
        return self.xp.where(condition, a, b)

    def backward(self, gy):
        c = constant(self.condition, gy)
        zero = constant(self.xp.zeros((), dtype=gy.dtype), gy)
        return where(c, gy, zero), where(c, zero, gy)


class Cast(Function):
    """y = x as another dtype;    gx = gy as x's dtype"""
    def forward(self, x, dtype=None):
        self.source = x.dtype
        return x.astype(dtype)

    def backward(self, gy):
        return gy.astype(self.source)


class Copy(Function):
    """y = x, in memory of its own;    gx = gy"""
    def forward(self, x):
        return self.xp.array(x, copy=True)

    def backward(self, gy):
        return gy


def clone(x):
    """A copy of ``x`` with its own memory that stays in the graph (PyTorch's ``clone``)."""
    return Copy.apply(x)


class ToDevice(Function):
    """y = x copied to another device;    gx = gy copied back"""
    def forward(self, x, source=None, target=None):
        self.source = source
        array = x if source.name == "cpu" else source.to_numpy(x)
        return target.from_numpy(array)

    def backward(self, gy):
        return to_device(gy, self.source)


def exp(x):
    """Elementwise e**x."""
    return Exp.apply(x)


def log(x):
    """Elementwise natural logarithm."""
    return Log.apply(x)


def sqrt(x):
    return Sqrt.apply(x)


def abs(x):
    return Abs.apply(x)


def tanh(x):
    return Tanh.apply(x)


def sigmoid(x):
    return Sigmoid.apply(x)


def relu(x):
    return ReLU.apply(x)


class ClipValue(Function):
    """y = clip(x, lo, hi);    gx = gy   (clips the value only: a straight-through clip)"""
    def forward(self, x, lo, hi):
        return self.xp.clip(x, lo, hi)

    def backward(self, gy):
        return gy


def clip_value(x, lo, hi):
    """``x`` clamped to [lo, hi] in value, its gradient passed through unchanged (a
    straight-through clip, as scikit-learn's log-loss clips p but not its gradient)."""
    return ClipValue.apply(x, lo=lo, hi=hi)


def clip(x, min=None, max=None):
    """Clamp to [min, max] (either may be None). The gradient is 1 inside, 0 outside.

    The bounds are constants (numbers, or tensors/arrays that broadcast against ``x``).
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    return Clip.apply(x, lo=_bound(x, min), hi=_bound(x, max))


def _bound(x, value):
    """A clip bound as the array module wants it: None, a Python number or an array on x's device."""
    if value is None:
        return None
    value = operand(value)
    if isinstance(value, Tensor):
        if value._backend is not x._backend:
            raise RuntimeError(f"clip: bound on device '{value.device}' for a tensor on device "
                               f"'{x.device}'")
        return value.data
    return value


def maximum(a, b):
    a, b = operand(a), operand(b)
    try:
        return Maximum.apply(a, b)
    except ValueError as exc:
        raise broadcast_error("maximum", a, b) from exc


def minimum(a, b):
    a, b = operand(a), operand(b)
    try:
        return Minimum.apply(a, b)
    except ValueError as exc:
        raise broadcast_error("minimum", a, b) from exc


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b`` (condition carries no gradient)."""
    a, b = operand(a), operand(b)
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else condition
    if not isinstance(like, Tensor):
        raise TypeError("where: at least one of condition, a, b must be a Tensor")
    cond = condition.data if isinstance(condition, Tensor) else like.xp.asarray(condition)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor._make(like.xp.asarray(a), like._backend, False, None)
    try:
        return Where.apply(a, b, condition=cond)
    except ValueError as exc:
        raise broadcast_error("where", cond, a, b) from exc


def astype(x, dtype):
    dtype = dtypes.as_dtype(dtype)
    if dtype == x.dtype:
        return x
    if x.requires_grad and dtype.kind not in "fc":
        return Tensor._make(x.data.astype(dtype), x._backend, False, None)
    return Cast.apply(x, dtype=dtype)


def to_device(x, backend):
    y = ToDevice.apply(x, source=x._backend, target=backend)
    y._backend = backend  # the op ran on x's device; its output lives on the target
    return y
