"""Explain mode: one optimizer step for one parameter element, as equations with live numbers.

``explain_step`` takes the numbers the optimizer is about to use (the element's value θ, its
gradient g and its state: momentum buffer, m, v, ...), runs the optimizer's real ``step()``,
and writes the algorithm's equations out with those numbers, computed independently here in
float64 from the textbook (PyTorch-documented) formulas. It then shows the change the
optimizer actually made, so the two can be compared: they agree to the parameter's precision.

    >>> import minidl as mdl
    >>> theta = mdl.tensor([1.0, 2.0], dtype=mdl.float64, requires_grad=True)
    >>> opt = mdl.optim.SGD([theta], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (theta ** 2).sum().backward()
    ...     e = mdl.teaching.explain_step(opt, theta, 0)
    >>> print(e)
    SGD (momentum 0.9), θ[0]   (lr=0.1, momentum=0.9, dampening=0, weight_decay=0, nesterov=False, maximize=False)
      g  = ∂L/∂θ                   = 1.6
      b  = μ·b + (1 − dampening)·g = 0.9·2 + 1·1.6 = 3.4
      Δθ = −lr·b                   = −0.1·3.4 = -0.34
      θ  : 0.8 → 0.46   (actual change made by the optimizer: -0.34)
"""
import math
import unicodedata

from minidl.autograd.tensor import Tensor


def _p(x):
    """A number as a factor in a product: negative ones in parentheses, ``0.9·(-2)``."""
    return f"({_f(x)})" if x < 0 else _f(x)


def _width(text):
    """Printed width: combining marks (the hat of m̂) take no column."""
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def _ljust(text, width):
    return text + " " * (width - _width(text))


def _f(x):
    """A number as the explanation prints it: 7 significant digits, no trailing noise."""
    if isinstance(x, int):
        return str(x)
    return f"{x:.7g}"


class Explanation:
    """One explained step: ``lines`` (the equations), ``values`` (each quantity, float64),
    ``delta`` (Δθ from the equations), ``actual`` (θ after − θ before, from the optimizer),
    ``theta_before``/``theta_after``."""

    def __init__(self, title, lines, values, delta, theta_before, theta_after):
        self.title = title
        self.lines = lines
        self.values = values
        self.delta = delta
        self.theta_before = theta_before
        self.theta_after = theta_after
        self.actual = theta_after - theta_before

    @property
    def text(self):
        # each line is (label, "formula  = numbers"): align the labels and the formulas
        rows = []
        for label, rhs in self.lines:
            formula, sep, numbers = rhs.partition("  = ")
            rows.append((label, formula, numbers) if sep else (label, "", formula))
        width = max(_width(label) for label, _, _ in rows)
        fwidth = max(_width(formula) for _, formula, _ in rows)
        body = [f"  {_ljust(label, width)} = {_ljust(formula, fwidth)} = {numbers}" if formula
                else f"  {_ljust(label, width)} = {' ' * fwidth}   {numbers}"
                for label, formula, numbers in rows]
        last = (f"  {_ljust('θ', width)} : {_f(self.theta_before)} → {_f(self.theta_after)}   "
                f"(actual change made by the optimizer: {_f(self.actual)})")
        return "\n".join([self.title] + body + [last])

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"Explanation(delta={self.delta!r}, actual={self.actual!r})"


def _element(tensor_or_array, flat_index):
    """One element of a tensor/array on any device, as a Python float."""
    data = tensor_or_array.data if isinstance(tensor_or_array, Tensor) else tensor_or_array
    if hasattr(data, "reshape") and hasattr(data, "shape") and data.shape != ():
        return float(data.reshape(-1)[flat_index].item())
    if hasattr(data, "item"):
        return float(data.item())
    return float(data)


def _flat_index(param, index):
    shape = tuple(param.shape)
    if isinstance(index, int):
        size = param.size
        if not -size <= index < size:
            raise IndexError(f"explain_step: index {index} is out of range for a parameter of "
                             f"shape {shape} ({size} elements)")
        return index % size if size else 0
    index = tuple(index)
    if len(index) != len(shape) or any(not -n <= i < n for i, n in zip(index, shape)):
        raise IndexError(f"explain_step: index {index} does not fit a parameter of shape {shape}")
    flat = 0
    for i, n in zip(index, shape):
        flat = flat * n + (i % n)
    return flat


def _find_group(optimizer, param):
    for group in optimizer.param_groups:
        if any(p is param for p in group["params"]):
            return group
    raise ValueError(f"explain_step: this parameter (shape {tuple(param.shape)}) is not one "
                     f"of the optimizer's parameters")


def _state_snapshot(state, flat):
    snap = {}
    for key, value in state.items():
        if hasattr(value, "shape") and getattr(value, "shape", ()) != ():
            snap[key] = _element(value, flat)
        elif hasattr(value, "item"):
            snap[key] = float(value.item())
        elif isinstance(value, (int, float)):
            snap[key] = value
    return snap


# -- the algorithms: explainer(h, g, theta, before, after, lr) -> (name, lines, values, Δθ) --
def _decay_and_sign(h, g, theta, lines):
    if h.get("maximize", False):
        g = -g
        lines.append(("g", f"−g  (maximize)  = {_f(g)}"))
    wd = h.get("weight_decay", 0)
    if wd:
        lines.append(("g", f"g + λ·θ  = {_f(g)} + {_f(wd)}·{_p(theta)} = {_f(g + wd * theta)}"))
        g = g + wd * theta
    return g


def _explain_sgd(h, g, theta, before, after, lr):
    lines = [("g", f"∂L/∂θ  = {_f(g)}")]
    values = {"g": g}
    g = _decay_and_sign(h, g, theta, lines)
    mu, damp = h.get("momentum", 0), h.get("dampening", 0)
    if mu:
        if "momentum_buffer" in before:
            b0 = before["momentum_buffer"]
            b = mu * b0 + (1 - damp) * g
            lines.append(("b", f"μ·b + (1 − dampening)·g  = {_f(mu)}·{_p(b0)} + "
                               f"{_f(1 - damp)}·{_p(g)} = {_f(b)}"))
        else:
            b = g
            lines.append(("b", f"g  (first step: the buffer starts as the gradient)  = {_f(b)}"))
        values["momentum_buffer"] = b
        if h.get("nesterov", False):
            look = g + mu * b
            lines.append(("g + μ·b", f"look-ahead gradient  = {_f(g)} + {_f(mu)}·{_p(b)} = "
                                     f"{_f(look)}"))
            values["look_ahead"] = look
            delta = -lr * look
            lines.append(("Δθ", f"−lr·(g + μ·b)  = −{_f(lr)}·{_p(look)} = {_f(delta)}"))
        else:
            delta = -lr * b
            lines.append(("Δθ", f"−lr·b  = −{_f(lr)}·{_p(b)} = {_f(delta)}"))
    else:
        delta = -lr * g
        lines.append(("Δθ", f"−lr·g  = −{_f(lr)}·{_p(g)} = {_f(delta)}"))
    kind = "SGD"
    if mu:
        kind += f" ({'Nesterov ' if h.get('nesterov') else ''}momentum {_f(mu)})"
    return kind, lines, values, delta


def _explain_adagrad(h, g, theta, before, after, lr):
    lines = [("g", f"∂L/∂θ  = {_f(g)}")]
    values = {"g": g}
    g = _decay_and_sign(h, g, theta, lines)
    t = after["step"]
    s0 = before.get("sum", h.get("initial_accumulator_value", 0))
    s = s0 + g * g
    lines.append(("s", f"s + g²  = {_f(s0)} + {_p(g)}² = {_f(s)}"))
    decay = h.get("lr_decay", 0)
    clr = lr / (1 + (t - 1) * decay)
    if decay:
        lines.append(("lr_t", f"lr / (1 + (t − 1)·lr_decay)  = {_f(clr)}"))
    eps = h["eps"]
    step = clr / (math.sqrt(s) + eps)
    lines.append(("lr_t/(√s + ε)", f"effective step size  = {_f(clr)} / ({_f(math.sqrt(s))} + "
                                   f"{_f(eps)}) = {_f(step)}"))
    delta = -step * g
    lines.append(("Δθ", f"−lr_t·g / (√s + ε)  = −{_f(step)}·{_p(g)} = {_f(delta)}"))
    values.update(sum=s, effective_lr=step)
    return f"Adagrad, step {t}", lines, values, delta


def _explain_rmsprop(h, g, theta, before, after, lr):
    lines = [("g", f"∂L/∂θ  = {_f(g)}")]
    values = {"g": g}
    g = _decay_and_sign(h, g, theta, lines)
    alpha, eps, mu = h["alpha"], h["eps"], h.get("momentum", 0)
    v0 = before.get("square_avg", 0.0)
    v = alpha * v0 + (1 - alpha) * g * g
    lines.append(("v", f"α·v + (1 − α)·g²  = {_f(alpha)}·{_p(v0)} + {_f(1 - alpha)}·{_p(g)}² = "
                       f"{_f(v)}"))
    values["square_avg"] = v
    if h.get("centered", False):
        a0 = before.get("grad_avg", 0.0)
        a = a0 + (1 - alpha) * (g - a0)
        lines.append(("ḡ", f"α·ḡ + (1 − α)·g  = {_f(a)}"))
        denom = math.sqrt(v - a * a) + eps
        lines.append(("√(v − ḡ²) + ε", f"{_f(denom)}"))
        values["grad_avg"] = a
    else:
        denom = math.sqrt(v) + eps
        lines.append(("√v + ε", f"{_f(math.sqrt(v))} + {_f(eps)} = {_f(denom)}"))
    if mu:
        b0 = before.get("momentum_buffer", 0.0)
        b = mu * b0 + g / denom
        lines.append(("b", f"μ·b + g / (√v + ε)  = {_f(mu)}·{_p(b0)} + {_f(g / denom)} = {_f(b)}"))
        values["momentum_buffer"] = b
        delta = -lr * b
        lines.append(("Δθ", f"−lr·b  = −{_f(lr)}·{_p(b)} = {_f(delta)}"))
    else:
        delta = -lr * g / denom
        lines.append(("lr/(√v + ε)", f"effective step size  = {_f(lr / denom)}"))
        lines.append(("Δθ", f"−lr·g / (√v + ε)  = −{_f(lr)}·{_p(g)} / {_f(denom)} = {_f(delta)}"))
    values["denominator"] = denom
    return f"RMSprop, step {after.get('step', '?')}", lines, values, delta


def _explain_adam(h, g, theta, before, after, lr, decoupled=False):
    lines = [("g", f"∂L/∂θ  = {_f(g)}")]
    values = {"g": g}
    wd = h.get("weight_decay", 0)
    if decoupled:
        if h.get("maximize", False):
            g = -g
            lines.append(("g", f"−g  (maximize)  = {_f(g)}"))
        if wd:
            shrunk = theta * (1 - lr * wd)
            lines.append(("θ", f"θ·(1 − lr·λ)  (decoupled weight decay)  = {_f(theta)}·"
                               f"{_f(1 - lr * wd)} = {_f(shrunk)}"))
        else:
            shrunk = theta
    else:
        g = _decay_and_sign(h, g, theta, lines)
        shrunk = theta
    beta1, beta2 = h["betas"]
    eps = h["eps"]
    t = after["step"]
    m0, v0 = before.get("exp_avg", 0.0), before.get("exp_avg_sq", 0.0)
    m = beta1 * m0 + (1 - beta1) * g
    v = beta2 * v0 + (1 - beta2) * g * g
    lines.append(("m", f"β1·m + (1 − β1)·g   = {_f(beta1)}·{_p(m0)} + {_f(1 - beta1)}·{_p(g)} = "
                       f"{_f(m)}"))
    lines.append(("v", f"β2·v + (1 − β2)·g²  = {_f(beta2)}·{_p(v0)} + {_f(1 - beta2)}·{_p(g)}² = "
                       f"{_f(v)}"))
    m_hat = m / (1 - beta1 ** t)
    v_used = v
    if h.get("amsgrad", False):
        vmax0 = before.get("max_exp_avg_sq", 0.0)
        v_used = max(vmax0, v)
        lines.append(("v_max", f"max(v_max, v)  = max({_f(vmax0)}, {_f(v)}) = {_f(v_used)}"))
        values["max_exp_avg_sq"] = v_used
    v_hat = v_used / (1 - beta2 ** t)
    lines.append(("m̂", f"m / (1 − β1ᵗ)  = {_f(m)} / (1 − {_f(beta1)}^{t}) = {_f(m_hat)}"))
    lines.append(("v̂", f"v / (1 − β2ᵗ)  = {_f(v_used)} / (1 − {_f(beta2)}^{t}) = {_f(v_hat)}"))
    step = lr / (math.sqrt(v_hat) + eps)
    lines.append(("lr/(√v̂ + ε)", f"effective step size  = {_f(lr)} / ({_f(math.sqrt(v_hat))} + "
                                 f"{_f(eps)}) = {_f(step)}"))
    if decoupled and wd:
        delta = (shrunk - theta) - step * m_hat
        lines.append(("Δθ", f"(θ·(1 − lr·λ) − θ) − lr·m̂ / (√v̂ + ε)  = {_f(shrunk - theta)} − "
                            f"{_f(step)}·{_p(m_hat)} = {_f(delta)}"))
    else:
        delta = -step * m_hat
        lines.append(("Δθ", f"−lr·m̂ / (√v̂ + ε)  = −{_f(step)}·{_p(m_hat)} = {_f(delta)}"))
    values.update(exp_avg=m, exp_avg_sq=v, m_hat=m_hat, v_hat=v_hat, effective_lr=step)
    return f"{'AdamW' if decoupled else 'Adam'}, step {t}", lines, values, delta


def _explain_adamw(h, g, theta, before, after, lr):
    return _explain_adam(h, g, theta, before, after, lr, decoupled=True)


def _explain_adadelta(h, g, theta, before, after, lr):
    lines = [("g", f"∂L/∂θ  = {_f(g)}")]
    values = {"g": g}
    g = _decay_and_sign(h, g, theta, lines)
    rho, eps = h["rho"], h["eps"]
    v0, u0 = before.get("square_avg", 0.0), before.get("acc_delta", 0.0)
    v = rho * v0 + (1 - rho) * g * g
    lines.append(("v", f"ρ·v + (1 − ρ)·g²  = {_f(v)}"))
    d = math.sqrt(u0 + eps) / math.sqrt(v + eps) * g
    lines.append(("Δx", f"√(u + ε) / √(v + ε) · g  = {_f(math.sqrt(u0 + eps))} / "
                        f"{_f(math.sqrt(v + eps))} · {_p(g)} = {_f(d)}"))
    u = rho * u0 + (1 - rho) * d * d
    lines.append(("u", f"ρ·u + (1 − ρ)·Δx²  = {_f(u)}"))
    delta = -lr * d
    lines.append(("Δθ", f"−lr·Δx  = −{_f(lr)}·{_p(d)} = {_f(delta)}"))
    values.update(square_avg=v, acc_delta=u)
    return f"Adadelta, step {after.get('step', '?')}", lines, values, delta


EXPLAINERS = {"SGD": _explain_sgd, "Adagrad": _explain_adagrad, "RMSprop": _explain_rmsprop,
              "Adam": _explain_adam, "AdamW": _explain_adamw, "Adadelta": _explain_adadelta}


def _current_lr(optimizer, group, before, after):
    """The learning rate this step used (a schedule is evaluated at the step count k)."""
    lr = group["lr"]
    if callable(lr):
        k = getattr(optimizer, "iterations", None)
        if k is None:
            raise TypeError("explain_step: this optimizer's lr is a schedule, but the step count "
                            "it was evaluated at is unknown")
        return float(lr(k - 1))
    return float(lr)


def _explainer_for(cls):
    """The explainer of the nearest class in ``cls``'s hierarchy that has one (a subclass of
    Adam is explained as Adam), unless a class on the way rewrote ``update``."""
    for base in cls.__mro__:
        explainer = EXPLAINERS.get(base.__name__)
        if explainer is not None and base.__module__.startswith("minidl.optim"):
            return explainer
        if "update" in vars(base) or base.__name__ == "Optimizer":
            break
    raise NotImplementedError(f"explain_step: no explanation written for {cls.__name__}; "
                              f"explained optimizers (and their subclasses that keep their "
                              f"update): {', '.join(EXPLAINERS)}")


def explain_step(optimizer, param, index=0, closure=None, name=None):
    """Run ``optimizer.step()`` and explain what it did to one element of ``param``.

    Call it where you would call ``optimizer.step()`` (after ``backward()``).

    Args:
        optimizer: an ``SGD`` (plain, momentum, Nesterov), ``Adagrad``, ``RMSprop``, ``Adam``,
            ``AdamW`` or ``Adadelta`` optimizer.
        param: one of its parameters (with ``.grad`` set).
        index: which element: a flat index or a tuple (e.g. ``(0, 3)`` for ``weight[0, 3]``).
        closure: passed on to ``step``.
        name: how to call the parameter in the text (default ``θ``).

    Returns:
        An :class:`Explanation`; ``print`` it for the equations.
    """
    explainer = _explainer_for(type(optimizer))
    group = _find_group(optimizer, param)
    if param.grad is None and closure is None:
        raise RuntimeError(f"explain_step: the parameter (shape {tuple(param.shape)}) has no "
                           "gradient; call loss.backward() before explaining the step")
    flat = _flat_index(param, index)
    theta = _element(param, flat)
    g = _element(param.grad, flat) if param.grad is not None else None
    before = _state_snapshot(optimizer.state.get(param, {}), flat)
    optimizer.step(closure)
    if g is None:
        g = _element(param.grad, flat)
    after = _state_snapshot(optimizer.state.get(param, {}), flat)
    theta_after = _element(param, flat)
    h = {k: v for k, v in group.items() if k != "params"}
    lr = _current_lr(optimizer, group, before, after)
    title_kind, lines, values, delta = explainer(h, g, theta, before, after, lr)
    values["delta"] = delta
    where = name or "θ"
    if param.ndim:
        position = index if isinstance(index, int) else ", ".join(str(i) for i in index)
        where = f"{where}[{position}]"
    options = ", ".join(f"{k}={v}" for k, v in h.items()
                        if isinstance(v, (int, float, tuple, bool)) and k != "lr")
    title = f"{title_kind}, {where}   (lr={_f(lr)}, {options})"
    values["state_after"] = after
    return Explanation(title, lines, values, delta, theta, theta_after)


__all__ = ["explain_step", "Explanation", "EXPLAINERS"]
