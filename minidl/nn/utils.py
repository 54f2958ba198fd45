"""Gradient clipping, in place on ``.grad`` (PyTorch's ``torch.nn.utils`` semantics)."""
import math

from minidl.autograd.tensor import Tensor, constant


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

        total = ‖(‖g₁‖, ‖g₂‖, …)‖   (the p-norm of all gradients as one vector; p = ∞: max |g|)
        g ← g · min(1, max_norm / (total + 1e-6))

    Args:
        parameters: an iterable of Parameters (or one Tensor); those without a gradient are
            skipped.
        max_norm: the largest norm allowed.
        norm_type: p of the p-norm (``float('inf')`` for the max norm).
        error_if_nonfinite: raise if the total norm is NaN or infinite.

    Returns:
        The total norm before clipping, as a 0-d Tensor (as PyTorch).

    Example:
        >>> import minidl as mdl
        >>> w = mdl.nn.Parameter(mdl.zeros(2))
        >>> w.grad = mdl.tensor([3.0, 4.0])
        >>> clip_grad_norm_([w], max_norm=1.0).item(), [round(v, 4) for v in w.grad.tolist()]
        (5.0, [0.6, 0.8])
    """
    params = _with_grads(parameters)
    norm_type = float(norm_type)
    if not params:
        from minidl.autograd.creation import tensor
        return tensor(0.0)
    xp = params[0].xp
    grads = [p.grad.data for p in params]
    if math.isinf(norm_type):
        norms = [xp.abs(g).max() for g in grads if g.size]
        total = xp.max(xp.stack(norms)) if norms else xp.zeros((), dtype=grads[0].dtype)
    else:
        norms = [(xp.abs(g) ** norm_type).sum() ** (1.0 / norm_type) for g in grads]
        total = (xp.stack(norms) ** norm_type).sum() ** (1.0 / norm_type)
    total = xp.asarray(total)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           "gradients is non-finite, so it cannot be clipped")
    coef = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    for p in params:
        p.grad.data *= coef
        p.grad.bump_version()
    return constant(total, params[0])


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient value into [−clip_value, clip_value], in place.

    Example:
        >>> import minidl as mdl
        >>> w = mdl.nn.Parameter(mdl.zeros(3))
        >>> w.grad = mdl.tensor([-5.0, 0.5, 5.0])
        >>> clip_grad_value_([w], 1.0); w.grad.tolist()
        [-1.0, 0.5, 1.0]
    """
    clip_value = float(clip_value)
    for p in _with_grads(parameters):
        p.xp.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)
        p.grad.bump_version()
