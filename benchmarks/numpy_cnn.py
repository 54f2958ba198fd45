"""A hand-written NumPy CNN (W4, W5): the floor for a CNN framework built on NumPy.

Explicit forward, backward and Adam, float32, written as a careful person would write it for
speed, with the tricks that make NumPy convolutions fast:

- activations are stored batch-innermost, (C, H, W, N): a row (c, i, j) of im2col over the
  output pixels (oh, ow, n) is then made of runs of OW·N contiguous floats (one long copy per
  chunk, whatever C is), the weight's own (c, i, j) order is the columns' order, and the GEMM
  W @ cols writes the next activation (O, OH, OW, N) with no transpose;
- im2col and its GEMM run a few output rows at a time, so that the column buffer stays in
  cache; the backward recomputes each chunk's columns instead of keeping them all;
- the bias is folded into the GEMM: the column buffer ends with a row of ones and the weight
  matrix with the bias column, so ``[W b] @ cols`` adds it and ``gy @ colsᵀ`` yields its
  gradient in the same product;
- ReLU runs after the max-pool (max and ReLU commute: exact, and 4× fewer elements);
- max-pool 2×2 is four strided views: three maxima, and the first maximum of each window in
  row-major order (PyTorch's rule for the gradient) found as a tournament of strict
  comparisons (b > a, d > c, then bottom row > top row), so ties go to the earlier element;
- after the last pool, (C, H, W, N) is already the flattened batch transposed, (C·H·W, N):
  the dense layers run on (features, N) arrays, y = W @ x + b, with no transpose either;
- Adam runs once per step over one flat buffer holding every parameter (and one holding
  every gradient).

The math is PyTorch's: the losses match minidl's and PyTorch's step by step from the same
weights (``cnn_bench.py`` checks it with dropout off).
"""
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

F32 = np.float32
COLUMN_BUDGET = 1 << 20  # bytes of im2col columns per chunk of output rows (fits in L2)


class Conv:
    """y = [W b] @ [cols; 1]: x (C, H, W, N) batch-innermost, y (O, OH, OW, N), stride 1."""

    def __init__(self, weight, bias, pad, flat, gflat, offset):
        cout, cin, k, _ = weight.shape
        self.k, self.pad, self.cin, self.cout = k, pad, cin, cout
        self.K = cin * k * k
        size = cout * (self.K + 1)
        self.Wb = flat[offset:offset + size].reshape(cout, self.K + 1)
        self.gWb = gflat[offset:offset + size].reshape(cout, self.K + 1)
        self.Wb[:, :-1] = weight.reshape(cout, self.K)          # columns (c, i, j): W's own
        self.Wb[:, -1] = bias
        self.size = size
        self.buffers = {}

    def _buffers(self, ho, wo, n):
        key = (ho, wo, n)
        if key not in self.buffers:
            per_row = (self.K + 1) * wo * n * 4
            rows = max(1, min(ho, COLUMN_BUDGET // per_row))
            cols = np.empty((self.K + 1, rows, wo, n), F32)
            cols[-1] = 1.0                                    # the bias row
            self.buffers[key] = (rows, cols, np.empty((self.cout, self.K + 1), F32))
        return self.buffers[key]

    def _im2col(self, xp, r0, r1, cols):
        """Columns of output rows r0:r1 into cols[:K, :r1 − r0]; rows (c, i, j), columns
        (oh, ow, n); returned as a (K + 1, m) matrix."""
        k, rows = self.k, r1 - r0
        win = sliding_window_view(xp[:, r0:r1 + k - 1], (k, k), axis=(1, 2))  # (C, r, Wo, N, k, k)
        wo, n = cols.shape[2:]
        cols[:-1, :rows].reshape(self.cin, k, k, rows, wo, n)[...] = win.transpose(0, 4, 5, 1, 2, 3)
        return cols[:, :rows].reshape(self.K + 1, rows * wo * n)

    def forward(self, x):
        p = self.pad
        if p:
            xp = np.zeros((x.shape[0], x.shape[1] + 2 * p, x.shape[2] + 2 * p, x.shape[3]), F32)
            xp[:, p:-p, p:-p] = x
        else:
            xp = x
        _, h, w, n = xp.shape
        ho, wo = h - self.k + 1, w - self.k + 1
        rows, cols, _ = self._buffers(ho, wo, n)
        y = np.empty((self.cout, ho, wo, n), F32)
        for r0 in range(0, ho, rows):
            r1 = min(ho, r0 + rows)
            np.matmul(self.Wb, self._im2col(xp, r0, r1, cols),
                      out=y[:, r0:r1].reshape(self.cout, -1))
        self.xp = xp
        return y

    def backward(self, gy, need_gx):
        """g[W b] = Σ gy @ colsᵀ;  gx = col2im(Wᵀ @ gy) (a loop over the k² offsets, slice +=)."""
        xp, k, p = self.xp, self.k, self.pad
        ho, wo, n = gy.shape[1:]
        rows, cols, scratch = self._buffers(ho, wo, n)
        gx = np.zeros(xp.shape, F32) if need_gx else None
        W = self.Wb[:, :-1]
        for r0 in range(0, ho, rows):
            r1 = min(ho, r0 + rows)
            c = self._im2col(xp, r0, r1, cols)
            g = gy[:, r0:r1].reshape(self.cout, -1)
            if r0 == 0:
                np.matmul(g, c.T, out=self.gWb)
            else:
                np.matmul(g, c.T, out=scratch)
                self.gWb += scratch
            if need_gx:
                gcols = (W.T @ g).reshape(self.cin, k, k, r1 - r0, wo, n)
                for i in range(k):
                    for j in range(k):
                        gx[:, r0 + i:r1 + i, j:j + wo] += gcols[:, i, j]
        self.xp = None
        if need_gx and p:
            gx = gx[:, p:-p, p:-p]
        return gx


class MaxPoolReLU:
    """m = relu(max over 2×2 windows of y), y (C, H, W, N); floor mode (odd edges dropped)."""

    def forward(self, y):
        _, h, w, _ = y.shape
        h2, w2 = h // 2, w // 2
        a, b = y[:, 0:2 * h2:2, 0:2 * w2:2], y[:, 0:2 * h2:2, 1:2 * w2:2]
        c, d = y[:, 1:2 * h2:2, 0:2 * w2:2], y[:, 1:2 * h2:2, 1:2 * w2:2]
        top, bottom = np.maximum(a, b), np.maximum(c, d)
        # the first maximum's offset 0..3 (a, b, c, d): strict comparisons, ties go earlier
        choice = np.add(d > c, 2, dtype=np.int8)
        np.multiply(bottom > top, choice, out=choice)
        np.maximum(choice, np.greater(b, a).view(np.int8), out=choice)
        m = np.maximum(top, bottom, out=top)
        np.maximum(m, 0, out=m)                 # ReLU after the pool: exact, 4× fewer elements
        self.shape, self.choice, self.m = y.shape, choice, m
        return m

    def backward(self, gm):
        """gm·[m > 0] goes to the window's first maximum."""
        choice, m = self.choice, self.m
        _, h, w, _ = self.shape
        h2, w2 = m.shape[1:3]
        gm = gm * (m > 0)                       # ReLU'; where m ≤ 0 nothing flows anyway
        gy = (np.empty if (h % 2 == 0 and w % 2 == 0) else np.zeros)(self.shape, F32)
        for index, (r, s) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
            np.multiply(gm, choice == index, out=gy[:, r:2 * h2:2, s:2 * w2:2])
        self.choice = self.m = None
        return gy


class Linear:
    """y = W @ x + b on (features, N) arrays;  gW = gy @ xᵀ, gb = Σ_n gy, gx = Wᵀ @ gy."""

    def __init__(self, weight, bias, flat, gflat, offset):
        out_f, in_f = weight.shape
        self.W = flat[offset:offset + weight.size].reshape(out_f, in_f)
        self.gW = gflat[offset:offset + weight.size].reshape(out_f, in_f)
        self.b = flat[offset + weight.size:offset + weight.size + out_f]
        self.gb = gflat[offset + weight.size:offset + weight.size + out_f]
        self.W[...] = weight
        self.b[...] = bias
        self.size = weight.size + out_f

    def forward(self, x):
        self.x = x
        y = self.W @ x
        y += self.b[:, None]
        return y

    def backward(self, gy, need_gx):
        np.matmul(gy, self.x.T, out=self.gW)
        np.sum(gy, axis=1, out=self.gb)
        gx = self.W.T @ gy if need_gx else None
        self.x = None
        return gx


class ReLU:
    def forward(self, x):
        np.maximum(x, 0, out=x)
        self.y = x
        return x

    def backward(self, gy, need_gx):
        gy *= self.y > 0
        self.y = None
        return gy


class Dropout:
    """Inverted dropout with one float32 mask: keep/(1 − p)."""

    def __init__(self, p, rng):
        self.p, self.rng = p, rng

    def forward(self, x):
        mask = self.rng.random(x.shape, dtype=F32) >= self.p
        self.mask = np.multiply(mask, F32(1.0 / (1.0 - self.p)))
        return x * self.mask                   # not in place: x may be kept for a backward

    def backward(self, gy, need_gx):
        gy *= self.mask
        self.mask = None
        return gy


class NumpyCNN:
    """A CNN workload's net + softmax cross-entropy + Adam, by hand.

    Args:
        wl: a workload of ``cnn_workloads`` (conv → relu → maxpool(2) blocks, then flatten,
            dropout, linear and relu layers).
        params: from ``cnn_workloads.init_params`` (copied in; the caller's stay untouched).
        lr, betas, eps: Adam's options.  seed: the dropout masks' generator.
    """

    def __init__(self, wl, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, seed=0):
        specs = list(wl.layers)
        total = sum(p["weight"].size + p["bias"].size for p in params)
        self.theta = np.empty(total, F32)
        self.g = np.empty(total, F32)
        self.m = np.zeros(total, F32)
        self.v = np.zeros(total, F32)
        self.tmp = np.empty(total, F32)
        rng = np.random.default_rng(seed)
        self.layers = []
        offset, it, i = 0, iter(params), 0
        while i < len(specs):
            spec = specs[i]
            if spec[0] == "conv":
                if specs[i + 1:i + 3] != [("relu",), ("maxpool", 2)]:
                    raise ValueError("NumpyCNN: conv must be followed by relu and maxpool(2)")
                p = next(it)
                layer = Conv(p["weight"], p["bias"], spec[4], self.theta, self.g, offset)
                self.layers += [layer, MaxPoolReLU()]
                offset += layer.size
                i += 3
                continue
            if spec[0] == "flatten":
                self.layers.append("flatten")  # (C, H, W, N) → (C·H·W, N): PyTorch's order
            elif spec[0] == "linear":
                p = next(it)
                layer = Linear(p["weight"], p["bias"], self.theta, self.g, offset)
                self.layers.append(layer)
                offset += layer.size
            elif spec[0] == "relu":
                self.layers.append(ReLU())
            elif spec[0] == "dropout":
                self.layers.append(Dropout(spec[1], rng))
            else:
                raise ValueError(f"NumpyCNN: unsupported layer {spec!r}")
            i += 1
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0

    def loss_and_grads(self, x, y):
        """Forward and backward on a batch x (N, 1, 28, 28): the loss; gradients into self.g."""
        n = x.shape[0]
        h = np.ascontiguousarray(x.transpose(1, 2, 3, 0))   # batch-innermost (C, H, W, N)
        unflattened = None
        for layer in self.layers:
            if layer == "flatten":
                unflattened = h.shape
                h = h.reshape(-1, n)
            else:
                h = layer.forward(h)
        z = h                                                # logits, (classes, N)
        # softmax cross-entropy: loss = mean(log Σ exp(z − max) − (z_y − max))
        z -= z.max(axis=0)
        samples = np.arange(n)
        picked = z[y, samples]
        np.exp(z, out=z)
        total = z.sum(axis=0)
        loss = float(np.mean(np.log(total) - picked))
        g = z
        g /= total
        g[y, samples] -= 1.0
        g *= 1.0 / n
        for idx in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[idx]
            if layer == "flatten":
                g = g.reshape(unflattened)
            elif isinstance(layer, MaxPoolReLU):
                g = layer.backward(g)
            else:
                g = layer.backward(g, need_gx=idx > 0)
        return loss

    def adam_step(self):
        """One Adam step over the flat buffers, in PyTorch's order of operations."""
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1 ** self.t)
        inv_bc2_sqrt = 1.0 / math.sqrt(1.0 - beta2 ** self.t)
        g, m, v, tmp = self.g, self.m, self.v, self.tmp
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - beta1
        m += tmp
        v *= beta2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - beta2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp *= inv_bc2_sqrt
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= -step_size
        self.theta += tmp

    def train_step(self, x, y):
        loss = self.loss_and_grads(x, y)
        self.adam_step()
        return loss

    def train_epoch(self, X, Y, order, batch_size):
        total, count = 0.0, 0
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            total += self.train_step(X[idx], Y[idx])
            count += 1
        return total / count
