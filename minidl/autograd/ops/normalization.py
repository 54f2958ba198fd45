"""Batch normalization (training) as one fused node, beside its composite twin.

The node keeps x̂ and 1/√(σ² + eps) from the forward and runs its hand-derived backward on
arrays; under ``create_graph=True`` its backward is the vector-Jacobian product of the twin
(see ``FusedFunction``).
"""
from minidl.autograd.ops.fused import FusedFunction


class BatchNormTrain(FusedFunction):
    """x̂ = (x − μ)·s,  s = 1/√(σ² + eps),  y = γ·x̂ + β   (μ, σ² the batch mean and biased
    variance per channel, over the n = N·L values of each channel)
    gx = (γ·s/n)·(n·gy − Σgy − x̂·Σ(gy·x̂)),   gγ = Σ(gy·x̂),   gβ = Σgy

    x is (N, C) or (N, C, L); γ, β are (C,) or None. The batch statistics (μ, σ²) are
    appended to the list ``stats`` (the caller updates the running statistics with them).
    """
    def forward(self, x, gamma=None, beta=None, eps=1e-5, stats=None):
        xp = self.xp
        self.save_inputs(0, 1, 2)
        self.axes = (0,) if x.ndim == 2 else (0, 2)
        self.eps = eps
        mean = x.mean(axis=self.axes, keepdims=True)
        x_hat = x - mean
        var = (x_hat * x_hat).mean(axis=self.axes, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + eps)
        x_hat *= inv_std
        self.x_hat, self.inv_std = x_hat, inv_std
        if stats is not None:
            stats.append((mean, var))
        # y gets its own array: x̂ is kept for backward and must not change with y
        y = x_hat * _channel(gamma, x.ndim) if gamma is not None else x_hat.copy()
        if beta is not None:
            y += _channel(beta, x.ndim)
        return y

    def backward_arrays(self, g):
        _, gamma, _ = self.saved_tensors  # (checks that x and γ were not modified in place)
        x_hat, inv_std, axes, parents = self.x_hat, self.inv_std, self.axes, self.parents
        n = x_hat.size // inv_std.size
        g_beta = g.sum(axis=axes, keepdims=True)
        g_gamma = (g * x_hat).sum(axis=axes, keepdims=True)
        gx = g_gamma_out = g_beta_out = None
        if parents[0] is not None:
            # gx = γ·s·(gy − Σgy/n − x̂·Σ(gy·x̂)/n): four passes over (N, C), the n/n folded in
            scale = inv_std if gamma is None else inv_std * _channel(gamma.data, x_hat.ndim)
            gx = x_hat * (g_gamma * (-1.0 / n))
            gx += g
            gx -= g_beta * (1.0 / n)
            gx *= scale
        if len(parents) > 1 and parents[1] is not None:
            g_gamma_out = g_gamma.reshape(-1)
        if len(parents) > 2 and parents[2] is not None:
            g_beta_out = g_beta.reshape(-1)
        return gx, g_gamma_out, g_beta_out

    def release(self):
        super().release()
        self.x_hat = self.inv_std = None  # free the (N, C) array once backward is done

    def twin(self, x, gamma, beta):
        return batch_norm_train_composite(x, gamma, beta, self.eps)


def _channel(v, ndim):
    """A per-channel vector (C,) shaped to broadcast against (N, C) or (N, C, L)."""
    return v if ndim == 2 else v.reshape((-1, 1))


def batch_norm_train_composite(x, gamma=None, beta=None, eps=1e-5):
    """The readable reference of :class:`BatchNormTrain`, from primitive ops."""
    axes = (0,) if x.ndim == 2 else (0, 2)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    y = (x - mean) / (var + eps).sqrt()
    if gamma is not None:
        y = y * _channel(gamma, x.ndim)
    if beta is not None:
        y = y + _channel(beta, x.ndim)
    return y
