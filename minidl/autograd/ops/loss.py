"""Fused, hand-derived nodes: softmax-cross-entropy and BatchNorm (training), with their
readable composite twins (built from primitive ops) as reference and test oracle.

A fused node runs its forward and backward on raw arrays (one node instead of ~10, fewer
temporaries, and the cross-entropy gradient (softmax − onehot) never forms log(0)). When the
backward itself is recorded (``create_graph=True``), the same formulas are evaluated with
Tensor ops instead, recomputing what they need from the saved inputs, so second derivatives
are exact too.
"""
from minidl.autograd import grad_mode, ops
from minidl.autograd.function import Function
from minidl.autograd.tensor import Tensor
from minidl.backends import fast_scalars


def _const(like, array):
    return Tensor._make(array, like._backend, False, None)


# -- softmax cross-entropy ---------------------------------------------------------------------
class SoftmaxCrossEntropy(Function):
    """ℓᵢ = (1 − ε)·wᵢ·(lseᵢ − xᵢ,ᵧᵢ) + (ε/C)·vᵢ·Σ_c w_c·(lseᵢ − xᵢ,c),  lseᵢ = log Σ_c e^(xᵢ,c)
    gxᵢ = [(1 − ε)·wᵢ·(pᵢ − onehot(yᵢ)) + (ε/C)·vᵢ·(W·pᵢ − w)] · gyᵢ,   p = softmax(x)

    x: logits (N, C); y: labels (N,) (ignored rows hold 0); wᵢ = w[yᵢ]·vᵢ the sample weights
    (v = 1 where the label is not ``ignore_index``), w the class weights (all 1 if None),
    W = Σ_c w_c, ε the label smoothing. 'mean' divides Σℓᵢ by Σwᵢ (PyTorch's weighted mean),
    so gyᵢ = gy / Σwᵢ; 'sum': gyᵢ = gy; 'none': gy is a vector.
    """
    def forward(self, x, labels=None, sample_weight=None, class_weight=None, valid=None,
                label_smoothing=0.0, reduction="mean", denominator=None):
        xp = self.xp
        self.save_inputs(0)
        self.labels, self.sample_weight, self.class_weight = labels, sample_weight, class_weight
        self.valid, self.eps, self.reduction = valid, label_smoothing, reduction
        n, c = x.shape
        rows = xp.arange(n)
        self.rows = rows
        # subtract the row max so exp cannot overflow (±1e4 logits stay finite)
        shifted = x - x.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_total = xp.log(total)
        loss = log_total[:, 0] - shifted[rows, labels]    # −log pᵧ = lse − xᵧ (shifted)
        e /= total
        self.p = e  # softmax, kept for backward
        if sample_weight is not None:
            loss *= sample_weight
        if label_smoothing > 0:
            log_p = shifted - log_total
            smooth = -(log_p.sum(axis=1) if class_weight is None else log_p @ class_weight)
            if valid is not None:
                smooth *= valid
            loss *= 1.0 - label_smoothing
            loss += smooth * (label_smoothing / c)
        if reduction == "none":
            return loss
        total_loss = loss.sum()
        if reduction == "mean":
            self.denominator = denominator
            total_loss = total_loss / denominator
        return xp.asarray(total_loss, dtype=x.dtype)

    def backward(self, gy):
        if grad_mode.is_grad_enabled():
            return self._backward_graph(gy)
        g = self.p.copy()
        one, = fast_scalars(g, 1.0)
        g[self.rows, self.labels] -= one
        eps = self.eps
        if self.sample_weight is not None:
            g *= self.sample_weight[:, None]
        if eps > 0:
            g *= 1.0 - eps
            c = g.shape[1]
            w = self.class_weight
            smooth = self.p * (float(c) if w is None else w.sum()) - (1.0 if w is None else w)
            if self.valid is not None:
                smooth *= self.valid[:, None]
            g += smooth * (eps / c)
        if self.reduction == "none":
            g *= gy.data[:, None]
        elif self.reduction == "mean":
            denominator = self.denominator
            if isinstance(denominator, int):  # (N, as a 0-d array: same number, faster op)
                denominator, = fast_scalars(g, denominator)
            g *= gy.data / denominator
        else:
            g *= gy.data
        return _const(gy, g)

    def release(self):
        super().release()
        self.p = None  # the softmax is not needed once the backward pass is done

    def _backward_graph(self, gy):
        """The same gradient with Tensor ops from the saved logits (twice differentiable)."""
        (x,) = self.saved_tensors
        xp = self.xp
        p = ops.softmax(x, axis=1)
        onehot = xp.zeros(x.shape, dtype=x.dtype)
        onehot[self.rows, self.labels] = 1.0
        g = p - _const(x, onehot)
        if self.sample_weight is not None:
            g = g * _const(x, self.sample_weight[:, None])
        if self.eps > 0:
            c = x.shape[1]
            w = self.class_weight
            if w is None:
                smooth = p * float(c) - 1.0
            else:
                smooth = p * _const(x, w.sum()) - _const(x, w)
            if self.valid is not None:
                smooth = smooth * _const(x, self.valid[:, None])
            g = g * (1.0 - self.eps) + smooth * (self.eps / c)
        if self.reduction == "none":
            return g * gy.reshape((-1, 1))
        if self.reduction == "mean":
            return g * (gy / _const(x, xp.asarray(self.denominator, dtype=x.dtype)))
        return g * gy


def softmax_cross_entropy_composite(x, labels, sample_weight=None, class_weight=None,
                                    valid=None, label_smoothing=0.0, reduction="mean",
                                    denominator=None):
    """The readable reference of :class:`SoftmaxCrossEntropy`, from primitive ops
    (the same arguments, as Tensors; ``labels`` an integer array)."""
    n, c = x.shape
    log_p = x - ops.logsumexp(x, axis=1, keepdims=True)
    loss = -log_p[x.xp.arange(n), labels]
    if sample_weight is not None:
        loss = loss * sample_weight
    if label_smoothing > 0:
        weighted = log_p if class_weight is None else log_p * class_weight
        smooth = -weighted.sum(axis=1)
        if valid is not None:
            smooth = smooth * valid
        loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / c)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.sum() / denominator
    return loss.sum()


# -- batch normalization (training) -----------------------------------------------------------
class BatchNormTrain(Function):
    """x̂ = (x − μ)·s,  s = 1/√(σ² + eps),  y = γ·x̂ + β   (μ, σ² the batch mean and biased
    variance per channel, over the n = N·L values of each channel)
    gx = (γ·s/n)·(n·gy − Σgy − x̂·Σ(gy·x̂)),   gγ = Σ(gy·x̂),   gβ = Σgy

    x is (N, C) or (N, C, L); γ, β are (C,) or None. The batch statistics (μ, σ²) are
    appended to the list ``stats`` (the caller updates the running statistics with them).
    """
    def forward(self, x, gamma=None, beta=None, eps=1e-5, stats=None):
        xp = self.xp
        self.save_inputs(0, 1)
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

    def backward(self, gy):
        if grad_mode.is_grad_enabled():
            return self._backward_graph(gy)
        _, gamma = self.saved_tensors  # (checks that x and γ were not modified in place)
        x_hat, inv_std, axes, parents = self.x_hat, self.inv_std, self.axes, self.parents
        g = gy.data
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
            gx = _const(gy, gx)
        if len(parents) > 1 and parents[1] is not None:
            g_gamma_out = _const(gy, g_gamma.reshape(-1))
        if len(parents) > 2 and parents[2] is not None:
            g_beta_out = _const(gy, g_beta.reshape(-1))
        return gx, g_gamma_out, g_beta_out

    def release(self):
        super().release()
        self.x_hat = self.inv_std = None  # free the (N, C) array once backward is done

    def _backward_graph(self, gy):
        """The same gradients with Tensor ops, recomputing x̂ and s from the saved x."""
        x, gamma = self.saved_tensors
        axes = self.axes
        n = x.size // x.shape[1]
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        inv_std = (var + self.eps) ** -0.5
        x_hat = centered * inv_std
        g_beta = gy.sum(axis=axes, keepdims=True)
        g_gamma = (gy * x_hat).sum(axis=axes, keepdims=True)
        scale = inv_std * (1.0 / n)
        if isinstance(gamma, Tensor):
            scale = scale * _channel(gamma, x.ndim)
        gx = (gy * float(n) - g_beta - x_hat * g_gamma) * scale
        return gx, g_gamma.reshape(-1), g_beta.reshape(-1)


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
