"""In-place array kernels of the optimizers: one equation of an update rule each.

Each kernel writes into its first argument (or ``out``) with ``out=`` arrays and a caller's
work array ``tmp``, so that an update allocates nothing per step, and turns its Python
numbers into 0-d arrays of the array's dtype under NumPy (``fast_scalars``: the same values,
faster ops). Each follows PyTorch's order of floating-point operations, so results match
``torch.optim`` to the last bit where the reference does the same arithmetic.

    lerp_(m, g, w, tmp)              m ← m + w·(g − m)                (β·m + (1 − β)·g, w = 1 − β)
    ema_square_(v, g, beta, tmp)     v ← β·v + (1 − β)·g²
    axpy_(y, a, x, tmp)              y ← y + a·x
    sqrt_scaled_(out, v, s, eps)     out ← √v / s + ε
    addcdiv_(theta, a, num, den)     θ ← θ + a·num/den                 (den is overwritten)
"""
from minidl.backends import fast_scalars, get_array_module


def lerp_(start, end, weight, tmp):
    """``start ← start + weight·(end − start)`` in place, in the two forms PyTorch's ``lerp_``
    uses (``end − (end − start)·(1 − weight)`` when weight ≥ 0.5), so results match it."""
    xp = get_array_module(start)
    xp.subtract(end, start, out=tmp)
    if weight < 0.5:
        tmp *= fast_scalars(start, weight)[0]
        start += tmp
    else:
        tmp *= fast_scalars(start, 1.0 - weight)[0]
        xp.subtract(end, tmp, out=start)
    return start


def ema_square_(v, g, beta, tmp):
    """``v ← β·v + (1 − β)·g²`` in place (the second moment of Adam and its relatives),
    in PyTorch's order of operations: ``v·β``, then ``+ g·(1 − β)·g``."""
    xp = get_array_module(v)
    beta, one_minus_beta = fast_scalars(v, beta, 1.0 - beta)
    v *= beta
    xp.multiply(g, one_minus_beta, out=tmp)
    tmp *= g
    v += tmp
    return v


def axpy_(y, a, x, tmp):
    """``y ← y + a·x`` in place (``a`` a number)."""
    xp = get_array_module(y)
    xp.multiply(x, fast_scalars(y, a, cache=False)[0], out=tmp)
    y += tmp
    return y


def sqrt_scaled_(out, v, scale, eps):
    """``out ← √v / scale + ε`` (Adam's denominator √v̂ + ε with √v̂ = √v / √(1 − β₂ᵗ))."""
    xp = get_array_module(v)
    (eps,) = fast_scalars(v, eps)
    (scale,) = fast_scalars(v, scale, cache=False)
    xp.sqrt(v, out=out)
    out /= scale
    out += eps
    return out


def addcdiv_(theta, value, num, den):
    """``θ ← θ + value·num/den`` in place; ``den`` is overwritten with the step."""
    xp = get_array_module(theta)
    xp.divide(num, den, out=den)
    den *= fast_scalars(theta, value, cache=False)[0]
    theta += den
    return theta
