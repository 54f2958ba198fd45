"""A hand-written NumPy MLP: the honest floor for a framework built on NumPy.

Explicit forward, backward and Adam, float32 throughout, in place wherever the math allows,
no copies a careful person would not make. The model is the benchmark's:

    hidden block:  h = x @ Wᵀ + b  →  BatchNorm1d (optional)  →  ReLU  →  Dropout (optional)
    output:        logits = h @ Wᵀ + b,   loss = mean_i( logsumexp(logits_i) − logits_i[y_i] )

Weights use PyTorch's layout, ``W`` of shape (out_features, in_features). Adam follows the
order of operations of PyTorch's single-tensor Adam (``torch/optim/adam.py``), so that its
losses can be compared step by step with minidl's and PyTorch's.
"""
import math

import numpy as np

F32 = np.float32


def init_params(sizes, seed, batchnorm=False):
    """PyTorch's default Linear init, U(−1/√fan_in, 1/√fan_in) for W and b, in float32.

    Returns a list of dicts {"weight", "bias"} (+ {"gamma", "beta"} for hidden layers with
    BatchNorm), one per Linear layer: the same numbers are copied into every contender.
    """
    rng = np.random.default_rng(seed)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1.0 / math.sqrt(fan_in)
        layer = {"weight": rng.uniform(-bound, bound, (fan_out, fan_in)).astype(F32),
                 "bias": rng.uniform(-bound, bound, fan_out).astype(F32)}
        if batchnorm and i < len(sizes) - 2:
            layer["gamma"] = np.ones(fan_out, F32)
            layer["beta"] = np.zeros(fan_out, F32)
        layers.append(layer)
    return layers


class NumpyMLP:
    """MLP + softmax cross-entropy + Adam, by hand.

    Args:
        layers: from :func:`init_params` (copied, so the caller's arrays stay untouched).
        dropout: drop probability after each hidden ReLU (0 disables it).
        lr, betas, eps: Adam's options.
        bn_eps, bn_momentum: BatchNorm1d's options (PyTorch's defaults).
        seed: seed of the dropout masks' generator.
    """

    def __init__(self, layers, dropout=0.0, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 bn_eps=1e-5, bn_momentum=0.1, seed=0):
        self.layers = [{k: v.copy() for k, v in layer.items()} for layer in layers]
        self.batchnorm = "gamma" in self.layers[0]
        for layer in self.layers[:-1]:
            if self.batchnorm:
                n = layer["weight"].shape[0]
                layer["running_mean"] = np.zeros(n, F32)
                layer["running_var"] = np.ones(n, F32)
        self.p = dropout
        self.lr, self.betas, self.eps = lr, betas, eps
        self.bn_eps, self.bn_momentum = bn_eps, bn_momentum
        self.rng = np.random.default_rng(seed)
        self.params = [(layer, key) for layer in self.layers
                       for key in ("weight", "bias", "gamma", "beta") if key in layer]
        # the gradients are views of one flat buffer, written in place by backward: a
        # data-parallel loop averages them with one all-reduce over ``self.grad``
        self.grad = np.empty(sum(layer[key].size for layer, key in self.params), F32)
        self.grads, start = {}, 0
        for layer, key in self.params:
            theta = layer[key]
            self.grads[id(theta)] = self.grad[start:start + theta.size].reshape(theta.shape)
            start += theta.size
        self.m = [np.zeros_like(layer[key]) for layer, key in self.params]
        self.v = [np.zeros_like(layer[key]) for layer, key in self.params]
        self.scratch = [np.empty_like(layer[key]) for layer, key in self.params]
        self.t = 0

    # -- forward and backward ---------------------------------------------------------------
    def loss_and_grads(self, x, y):
        """Forward and backward on one batch: returns (loss, {id(param array): gradient}), the
        gradients being views of ``self.grad`` (overwritten by the next call)."""
        n = x.shape[0]
        caches = []
        h = x
        for layer in self.layers[:-1]:
            z = h @ layer["weight"].T
            z += layer["bias"]
            cache = {"input": h}
            if self.batchnorm:
                z, cache["bn"] = self._batchnorm_forward(z, layer)
            if self.p > 0:
                # ReLU and the dropout scale in one float32 mask: relu(z)·keep/(1 − p) = z·mask
                mask = z > 0
                mask &= self.rng.random(z.shape, dtype=F32) >= self.p
                mask = np.multiply(mask, F32(1.0 / (1.0 - self.p)), dtype=F32)
                z *= mask                                # z is ours (BatchNorm's y or h @ Wᵀ)
                cache["mask"] = mask
            else:
                np.maximum(z, 0, out=z)                  # ReLU in place
                cache["relu"] = z
            caches.append(cache)
            h = z
        last = self.layers[-1]
        logits = h @ last["weight"].T
        logits += last["bias"]

        # softmax cross-entropy, fused: loss = mean(log Σ exp(z − max) − (z_y − max))
        logits -= logits.max(axis=1, keepdims=True)      # subtract the row max: no overflow
        rows = np.arange(n)
        picked = logits[rows, y]
        np.exp(logits, out=logits)
        total = logits.sum(axis=1)
        loss = float(np.mean(np.log(total) - picked))
        g = logits
        g /= total[:, None]                             # softmax
        g[rows, y] -= 1.0
        g *= 1.0 / n                                     # d(mean)/d(logits) = (p − onehot) / n

        grads = self.grads
        np.matmul(g.T, h, out=grads[id(last["weight"])])
        g.sum(axis=0, out=grads[id(last["bias"])])
        g = g @ last["weight"]
        for i in range(len(self.layers) - 2, -1, -1):
            layer, cache = self.layers[i], caches[i]
            if self.p > 0:
                g *= cache["mask"]                       # ReLU' and dropout in one product
            else:
                g *= cache["relu"] > 0                   # ReLU' (the output is > 0 where x > 0)
            if self.batchnorm:
                g = self._batchnorm_backward(g, layer, cache["bn"], grads)
            np.matmul(g.T, cache["input"], out=grads[id(layer["weight"])])
            g.sum(axis=0, out=grads[id(layer["bias"])])
            if i > 0:
                g = g @ layer["weight"]
        return loss, grads

    def _batchnorm_forward(self, z, layer):
        """Training mode: x̂ = (z − μ_B) / √(σ²_B + ε), y = γ·x̂ + β; running stats updated.

        z becomes x̂ in place (kept for backward); y is the one new array.
        """
        n = z.shape[0]
        mu = np.einsum("ij->j", z)
        mu *= F32(1.0 / n)
        z -= mu
        var = np.einsum("ij,ij->j", z, z)                # Σ (z − μ)², no temporary
        var *= F32(1.0 / n)                              # biased batch variance
        inv_std = 1.0 / np.sqrt(var + F32(self.bn_eps))
        z *= inv_std                                     # x̂, in place
        y = z * layer["gamma"]
        y += layer["beta"]
        mom = self.bn_momentum
        layer["running_mean"] *= 1.0 - mom
        layer["running_mean"] += mom * mu
        layer["running_var"] *= 1.0 - mom
        layer["running_var"] += (mom * n / (n - 1)) * var  # unbiased, as PyTorch
        return y, (z, inv_std)

    def _batchnorm_backward(self, g, layer, cache, grads):
        """gx = (γ / σ) · (gy − mean(gy) − x̂ · mean(gy · x̂)), with σ = √(σ²_B + ε)."""
        xhat, inv_std = cache
        n = g.shape[0]
        g_beta = np.einsum("ij->j", g, out=grads[id(layer["beta"])])
        g_gamma = np.einsum("ij,ij->j", g, xhat, out=grads[id(layer["gamma"])])
        xhat *= g_gamma / F32(n)                         # x̂ is no longer needed: reuse it
        g -= xhat
        g -= g_beta / F32(n)
        g *= layer["gamma"] * inv_std                    # all in place in g
        return g

    # -- Adam ---------------------------------------------------------------------------------
    def adam_step(self, grads):
        """One Adam step, in place, in PyTorch's order of operations.

            m ← m + (1 − β1)(g − m)     v ← β2·v + (1 − β2)·g²
            θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
        """
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1 ** self.t)
        inv_bc2_sqrt = 1.0 / math.sqrt(1.0 - beta2 ** self.t)
        for (layer, key), m, v, tmp in zip(self.params, self.m, self.v, self.scratch):
            theta = layer[key]
            g = grads[id(theta)]
            np.subtract(g, m, out=tmp)
            tmp *= 1.0 - beta1
            m += tmp                                     # lerp, as torch's exp_avg.lerp_
            v *= beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - beta2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= inv_bc2_sqrt
            tmp += self.eps                              # denom
            np.divide(m, tmp, out=tmp)
            tmp *= -step_size
            theta += tmp

    def train_step(self, x, y):
        loss, grads = self.loss_and_grads(x, y)
        self.adam_step(grads)
        return loss

    def train_epoch(self, X, Y, order, batch_size):
        """One pass over ``X[order]`` in batches; returns the mean loss."""
        total, count = 0.0, 0
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            total += self.train_step(X[idx], Y[idx])
            count += 1
        return total / count
