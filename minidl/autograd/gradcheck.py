"""Gradient checking: analytic gradients against central differences, in float64."""

from minidl.autograd import grad_mode
from minidl.autograd.engine import grad
from minidl.autograd.tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree; the message names where and by how much."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Check every entry of the Jacobian of ``fn`` at ``inputs`` against central differences.

    The inputs are copied to float64 leaves (those that require grad, or every floating input
    when none does); ``fn`` may return a tensor of any shape. An entry passes when
    ``|analytic − numerical| ≤ atol + rtol·|numerical|``.

    Args:
        fn: a function of the input tensors returning a Tensor.
        inputs: a tuple of Tensors (a single Tensor is accepted).
        eps: the finite-difference step.
        atol, rtol: the absolute and relative tolerances.

    Returns:
        True.

    Raises:
        GradcheckError: naming the input, the element index, the output index and both values.

    Example:
        >>> import minidl as mdl
        >>> x = mdl.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
        >>> mdl.autograd.gradcheck(lambda x: (x * x).tanh(), (x,))
        True
    """
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    floating = [isinstance(x, Tensor) and x.dtype.kind == "f" for x in inputs]
    wanted = [f and x.requires_grad for f, x in zip(floating, inputs)]
    if not any(wanted):
        wanted = floating
    xs = []
    for x, w in zip(inputs, wanted):
        if w:
            xs.append(Tensor._make(x.data.astype("float64"), x._backend, True, None))
        elif isinstance(x, Tensor) and x.dtype.kind == "f":
            xs.append(Tensor._make(x.data.astype("float64"), x._backend, False, None))
        else:
            xs.append(x)
    checked = [i for i, w in enumerate(wanted) if w]
    if not checked:
        raise ValueError("gradcheck: no floating-point input to check")

    with grad_mode.enable_grad():
        y = fn(*xs)
    if not isinstance(y, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(y).__name__}")
    y_size = y.size
    leaves = [xs[i] for i in checked]

    # Analytic Jacobian, one output element at a time: row j = d y[j] / d inputs.
    analytic = [[None] * y_size for _ in checked]
    if y.requires_grad:
        for j in range(y_size):
            onehot = y.xp.zeros(y.shape, dtype=y.dtype)
            onehot.reshape(-1)[j] = 1.0
            gs = grad(y, leaves, Tensor._make(onehot, y._backend, False, None),
                      retain_graph=True, allow_unused=True)
            for k, g in enumerate(gs):
                # rows on the host: the comparison below reads every element, and on a GPU
                # each read of a device element would be a transfer and a synchronisation
                analytic[k][j] = None if g is None else g.numpy().reshape(-1)
    # Numerical Jacobian, one input element at a time (grad mode stays on, so that fn may
    # itself differentiate: gradcheck of a gradient checks second derivatives).
    with grad_mode.enable_grad():
        for k, i in enumerate(checked):
            x = xs[i]
            flat = x.data.reshape(-1)
            for e in range(x.size):
                original = flat[e].item()
                flat[e] = original + eps
                up = fn(*xs).data.reshape(-1).astype("float64")
                flat[e] = original - eps
                down = fn(*xs).data.reshape(-1).astype("float64")
                flat[e] = original
                numeric = y._backend.to_numpy((up - down) / (2 * eps))  # (host, as above)
                for j in range(y_size):
                    n = numeric[j].item()
                    row = analytic[k][j]
                    a = 0.0 if row is None else row[e].item()
                    if not abs(a - n) <= atol + rtol * abs(n):
                        where = _unravel(e, x.shape)
                        out = _unravel(j, y.shape)
                        raise GradcheckError(
                            f"gradcheck: input {i} (shape {x.shape}), element {where}, output "
                            f"element {out}: analytic {a!r} vs numerical {n!r} "
                            f"(difference {abs(a - n):.3g} > atol {atol} + rtol {rtol} * |numerical|)")
    return True


def _unravel(flat_index, shape):
    if not shape:
        return ()
    index = []
    for n in reversed(shape):
        index.append(flat_index % n)
        flat_index //= n
    return tuple(reversed(index))


