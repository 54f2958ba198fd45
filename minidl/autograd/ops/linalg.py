"""Matrix products: ``a @ b`` with NumPy's rules, and the fused dense layer ``x @ Wᵀ + b``."""
from minidl.autograd.function import Function
from minidl.autograd.ops.arithmetic import operand
from minidl.autograd.ops.fused import FusedFunction
from minidl.autograd.ops.shape import expand_dims, squeeze, swapaxes
from minidl.autograd.ops.unary import relu
from minidl.backends import fast_scalars


def _mT(x):
    """Swap the last two axes (the matrix transpose of a stack of matrices)."""
    return swapaxes(x, -1, -2)


class MatMul(Function):
    """y = a @ b;    ga = gy @ bᵀ,   gb = aᵀ @ gy   (1-D operands as NumPy promotes them)"""
    def forward(self, a, b):
        self.save_inputs(0, 1)
        return a @ b

    def backward(self, gy):
        a, b = self.saved_tensors
        if a.ndim == 1 and b.ndim == 1:
            return gy * b, gy * a
        if a.ndim == 1:  # (n,) @ (..., n, m) -> (..., m)
            g = expand_dims(gy, -2)
            return squeeze(g @ _mT(b), -2), expand_dims(a, -1) * g
        if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
            g = expand_dims(gy, -1)
            return g * b, squeeze(_mT(a) @ g, -1)
        return gy @ _mT(b), _mT(a) @ gy


class Linear(FusedFunction):
    """y = x @ Wᵀ + b;    gx = gy @ W,   gW = gyᵀ @ x,   gb = Σ_batch gy   (one node)

    Its twin is ``x @ Wᵀ + b`` from ``matmul`` and ``+`` (what a recorded backward
    differentiates); on arrays the three products above run directly, which spares the four
    graph-free nodes the twin would make.
    """
    def forward(self, x, weight, bias=None):
        self.save_inputs(0, 1) if bias is None else self.save_inputs(0, 1, 2)  # (the twin's)
        y = x @ weight.T
        if bias is not None:
            y += bias  # y is our own fresh array: adding in place saves a temporary
        return y

    def backward_arrays(self, gy):
        saved = self.saved_tensors
        return self.grads(gy, saved[0].data, saved[1].data)

    def grads(self, gy, x, weight):
        """gx = gy @ W,  gW = gyᵀ @ x,  gb = Σ_batch gy on arrays (only those a parent wants)."""
        parents = self.parents
        gx = gw = gb = None
        if parents[0] is not None:
            if x.ndim == 2 and x.shape[0] > 1 and x.strides[0] == x.itemsize:
                # x stored column-major (a Flatten of batch-innermost images): gx in the same
                # layout, (Wᵀ @ gyᵀ)ᵀ, so that the layers below keep theirs
                gx = (weight.T @ gy.T).T
            else:
                gx = gy @ weight
        g2 = gy if gy.ndim == 2 else gy.reshape((-1, gy.shape[-1]))
        if parents[1] is not None:
            x2 = x if x.ndim == 2 else x.reshape((-1, x.shape[-1]))
            out = self.grad_buffer(1, gy) if x2.dtype == gy.dtype else None
            if out is None:
                gw = g2.T @ x2
            else:  # straight into the optimizer's flat gradient (autograd/grad_buffer.py)
                gw = out
                self.xp.matmul(g2.T, x2, out=gw)
        if len(parents) > 2 and parents[2] is not None:
            out = self.grad_buffer(2, gy)
            if out is None:
                gb = g2.sum(axis=0)
            else:
                gb = out
                g2.sum(axis=0, out=gb)
        return gx, gw, gb

    def twin(self, x, weight, bias=None):
        y = matmul(x, _mT(weight))
        return y if bias is None else y + bias


class LinearReLU(Linear):
    """y = max(x @ Wᵀ + b, 0);    g = gy·[y > 0],  then gx = g @ W,  gW = gᵀ @ x,  gb = Σ_batch g

    A dense layer and its ReLU as one node (``nn.Sequential`` runs each Linear → ReLU pair
    this way): the ReLU runs in place on the layer's fresh output, so the pair costs one node
    and one array instead of two. Its twin is ``relu(linear(x, W, b))``.
    """
    def forward(self, x, weight, bias=None):
        y = super().forward(x, weight, bias)
        self.save_outputs()
        (zero,) = fast_scalars(y, 0)
        return self.xp.maximum(y, zero, out=y)

    def backward_arrays(self, gy):
        saved = self.saved_tensors  # x, W, (b,) y
        y = saved[-1].data
        (zero,) = fast_scalars(y, 0)
        return self.grads(gy * (y > zero), saved[0].data, saved[1].data)

    def twin(self, x, weight, bias=None):
        return relu(super().twin(x, weight, bias))


def matmul(a, b):
    """Matrix product with NumPy's broadcasting and 1-D rules."""
    a, b = operand(a), operand(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one dimension, got shapes "
                         f"{a.shape} and {b.shape} (use * for scalars)")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned: "
                         f"{k_a} (last axis of a) != {k_b} ({'axis 0' if b.ndim == 1 else 'axis -2'} of b)")
    try:
        return MatMul.apply(a, b)
    except ValueError as exc:
        raise ValueError(f"matmul: batch shapes of {a.shape} and {b.shape} do not broadcast") from exc


def linear(x, weight, bias=None):
    """y = x @ weightᵀ + bias, one graph node (weight has shape (out_features, in_features))."""
    _check_linear(x, weight, bias)
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)


def _check_linear(x, weight, bias):
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not match weight of shape "
                         f"{weight.shape}: the last axis of the input must be {weight.shape[1]}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias of shape {bias.shape} does not match weight of shape "
                         f"{weight.shape}; expected ({weight.shape[0]},)")


def linear_relu(x, weight, bias=None):
    """max(x @ weightᵀ + bias, 0) as one graph node: ``relu(linear(x, weight, bias))``, faster."""
    _check_linear(x, weight, bias)
    if bias is None:
        return LinearReLU.apply(x, weight)
    return LinearReLU.apply(x, weight, bias)
