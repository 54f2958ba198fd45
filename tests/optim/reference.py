"""The documented update rules, transcribed line by line in plain NumPy float64.

The oracle for tests/optim: each function below is one optimizer step written straight
from the math in the optimizer's docstring (and PyTorch's documentation of it), in textbook
order, on NumPy arrays, returning the new parameter and updating ``state`` (a dict that
starts empty). It shares no code with minidl.optim, so agreement means the implementation
does what its docstring says; the tests also check it against torch.optim when installed.
"""
import numpy as np


def sgd(theta, g, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
        maximize=False):
    t = state["t"] = state.get("t", 0) + 1
    g = -g if maximize else g
    if weight_decay != 0:
        g = g + weight_decay * theta
    if momentum != 0:
        if t > 1:
            b = momentum * state["b"] + (1 - dampening) * g
        else:
            b = g
        state["b"] = b
        g = g + momentum * b if nesterov else b
    return theta - lr * g


def adagrad(theta, g, state, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
            eps=1e-10):
    t = state["t"] = state.get("t", 0) + 1
    total = state.get("sum", np.full_like(theta, initial_accumulator_value))
    clr = lr / (1 + (t - 1) * lr_decay)
    if weight_decay != 0:
        g = g + weight_decay * theta
    total = state["sum"] = total + g * g
    return theta - clr * g / (np.sqrt(total) + eps)


def rmsprop(theta, g, state, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
            centered=False):
    zeros = np.zeros_like(theta)
    if weight_decay != 0:
        g = g + weight_decay * theta
    v = state["v"] = alpha * state.get("v", zeros) + (1 - alpha) * g * g
    v_tilde = v
    if centered:
        g_ave = state["g_ave"] = alpha * state.get("g_ave", zeros) + (1 - alpha) * g
        v_tilde = v_tilde - g_ave * g_ave
    if momentum > 0:
        b = state["b"] = momentum * state.get("b", zeros) + g / (np.sqrt(v_tilde) + eps)
        return theta - lr * b
    return theta - lr * g / (np.sqrt(v_tilde) + eps)


def adadelta(theta, g, state, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    zeros = np.zeros_like(theta)
    if weight_decay != 0:
        g = g + weight_decay * theta
    v = state["v"] = rho * state.get("v", zeros) + (1 - rho) * g * g
    u = state.get("u", zeros)
    delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    state["u"] = rho * u + (1 - rho) * delta * delta
    return theta - lr * delta


def adam(theta, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
         decoupled=False):
    beta1, beta2 = betas
    zeros = np.zeros_like(theta)
    t = state["t"] = state.get("t", 0) + 1
    if weight_decay != 0:
        if decoupled:
            theta = theta - lr * weight_decay * theta
        else:
            g = g + weight_decay * theta
    m = state["m"] = beta1 * state.get("m", zeros) + (1 - beta1) * g
    v = state["v"] = beta2 * state.get("v", zeros) + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    if amsgrad:
        v_max = state["v_max"] = np.maximum(state.get("v_max", zeros), v)
        v_hat = v_max / (1 - beta2 ** t)
    else:
        v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


def adamw(theta, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
    return adam(theta, g, state, lr, betas, eps, weight_decay, amsgrad, decoupled=True)


def adamax(theta, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    beta1, beta2 = betas
    zeros = np.zeros_like(theta)
    t = state["t"] = state.get("t", 0) + 1
    if weight_decay != 0:
        g = g + weight_decay * theta
    m = state["m"] = beta1 * state.get("m", zeros) + (1 - beta1) * g
    u = state["u"] = np.maximum(beta2 * state.get("u", zeros), np.abs(g) + eps)
    return theta - lr * m / ((1 - beta1 ** t) * u)


def nadam(theta, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
          momentum_decay=4e-3):
    beta1, beta2 = betas
    zeros = np.zeros_like(theta)
    t = state["t"] = state.get("t", 0) + 1
    if weight_decay != 0:
        g = g + weight_decay * theta
    mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    prod = state["prod"] = state.get("prod", 1.0) * mu_t           # μ₁·…·μ_t
    m = state["m"] = beta1 * state.get("m", zeros) + (1 - beta1) * g
    v = state["v"] = beta2 * state.get("v", zeros) + (1 - beta2) * g * g
    m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu_t) * g / (1 - prod)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


def radam(theta, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    beta1, beta2 = betas
    zeros = np.zeros_like(theta)
    t = state["t"] = state.get("t", 0) + 1
    if weight_decay != 0:
        g = g + weight_decay * theta
    m = state["m"] = beta1 * state.get("m", zeros) + (1 - beta1) * g
    v = state["v"] = beta2 * state.get("v", zeros) + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
    if rho_t > 5:
        l_t = np.sqrt(1 - beta2 ** t) / (np.sqrt(v) + eps)
        r_t = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return theta - lr * m_hat * r_t * l_t
    return theta - lr * m_hat


RULES = {"SGD": sgd, "Adagrad": adagrad, "RMSprop": rmsprop, "Adadelta": adadelta, "Adam": adam,
         "AdamW": adamw, "Adamax": adamax, "NAdam": nadam, "RAdam": radam}


def two_loop_direction(g, pairs, h0):
    """d = −H·g from the (s, y) pairs, oldest first (Nocedal & Wright, Algorithm 7.4)."""
    q = -g
    alphas = []
    for s, y in reversed(pairs):
        alpha = (s @ q) / (y @ s)
        q = q - alpha * y
        alphas.append(alpha)
    r = h0 * q
    for (s, y), alpha in zip(pairs, reversed(alphas)):
        beta = (y @ r) / (y @ s)
        r = r + (alpha - beta) * s
    return r


def lbfgs_fixed_step(f_and_grad, x, lr=1.0, max_iter=20, history_size=100, tolerance_grad=1e-7,
                     tolerance_change=1e-9):
    """One ``LBFGS.step`` without line search, from the docstring's algorithm (fresh state).

    Returns the final x and the number of function evaluations.
    """
    loss, g = f_and_grad(x)
    evals = 1
    max_eval = max_iter * 5 // 4
    if np.abs(g).max() <= tolerance_grad:
        return x, evals
    pairs, h0, d, t, g_prev = [], 1.0, None, None, None
    for n_iter in range(1, max_iter + 1):
        if n_iter == 1:
            d = -g
        else:
            y, s = g - g_prev, t * d
            if y @ s > 1e-10:
                pairs = (pairs + [(s, y)])[-history_size:]
                h0 = (y @ s) / (y @ y)
            d = two_loop_direction(g, pairs, h0)
        g_prev, loss_prev = g, loss
        t = min(1.0, 1.0 / np.abs(g).sum()) * lr if n_iter == 1 else lr
        if g @ d > -tolerance_change:
            break
        x = x + t * d
        if n_iter == max_iter:
            break
        loss, g = f_and_grad(x)
        evals += 1
        if (evals >= max_eval or np.abs(g).max() <= tolerance_grad
                or np.abs(t * d).max() <= tolerance_change
                or abs(loss - loss_prev) < tolerance_change):
            break
    return x, evals
