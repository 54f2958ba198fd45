"""A hand-written NumPy CNN (W4, W5): the floor for a CNN framework built on NumPy.

Explicit forward, backward and Adam, float32, written as a careful person would write it for
speed, with the tricks that make NumPy convolutions fast:

- activations are stored channels-last, (N, H, W, C): the windows of im2col are then runs of
  C contiguous floats, the GEMM's output is the next activation with no transpose, and the
  column order (kH, kW, C) only asks for the (small) weight to be permuted once;
- im2col and its GEMM run in chunks of a few images, so that the column buffer stays in
  cache; the backward recomputes each chunk's columns instead of keeping them all;
- the bias is folded into the GEMM: the column buffer ends with a column of ones and the
  weight matrix with the bias row, so ``cols @ W`` adds it and ``colsᵀ @ gy`` yields its
  gradient in the same product;
- ReLU runs after the max-pool (max and ReLU commute: exact, and 4× fewer elements);
- max-pool 2×2 is four strided views compared elementwise; the backward routes the
  gradient to the first maximum of each window in row-major order (PyTorch's rule) by
  comparisons too, never by index arithmetic;
- Adam runs once per step over one flat buffer holding every parameter (and one holding
  every gradient).

The math is PyTorch's: the losses match minidl's and PyTorch's step by step from the same
weights (``cnn_bench.py`` checks it with dropout off).
"""
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

F32 = np.float32
COLUMN_BUDGET = 1 << 20  # bytes of im2col columns per chunk (fits in L2)


class Conv:
    """y = im2col(x) @ Wb: x (N, H, W, C) channels-last, Wb ((kH·kW·C) + 1, out) = [W; b]."""

    def __init__(self, weight, bias, pad, flat, gflat, offset):
        cout, cin, k, _ = weight.shape
        self.k, self.pad, self.cin, self.cout = k, pad, cin, cout
        self.K = k * k * cin
        size = (self.K + 1) * cout
        self.Wb = flat[offset:offset + size].reshape(self.K + 1, cout)
        self.gWb = gflat[offset:offset + size].reshape(self.K + 1, cout)
        self.Wb[:-1] = weight.transpose(2, 3, 1, 0).reshape(self.K, cout)  # rows (kH, kW, C)
        self.Wb[-1] = bias
        self.size = size
        self.buffers = {}

    def _buffers(self, n, ho, wo):
        key = (n, ho, wo)
        if key not in self.buffers:
            per_image = ho * wo * (self.K + 1) * 4
            chunk = max(1, min(n, COLUMN_BUDGET // per_image))
            cols = np.empty((chunk * ho * wo, self.K + 1), F32)
            cols[:, -1] = 1.0                                 # the bias column
            self.buffers[key] = (chunk, cols, np.empty((self.K + 1, self.cout), F32))
        return self.buffers[key]

    def _im2col(self, xp, n0, n1, cols):
        """Columns of images n0:n1 into cols[:m, :K], rows (n, i, j), columns (kH, kW, C)."""
        k = self.k
        win = sliding_window_view(xp[n0:n1], (k, k), axis=(1, 2))  # (n, Ho, Wo, C, kH, kW)
        n, ho, wo = win.shape[:3]
        m = n * ho * wo
        cols[:m, :-1].reshape(n, ho, wo, k, k, self.cin)[...] = win.transpose(0, 1, 2, 4, 5, 3)
        return cols[:m]

    def forward(self, x):
        p = self.pad
        if p:
            xp = np.zeros((x.shape[0], x.shape[1] + 2 * p, x.shape[2] + 2 * p, x.shape[3]), F32)
            xp[:, p:-p, p:-p] = x
        else:
            xp = x
        n, h, w, _ = xp.shape
        ho, wo = h - self.k + 1, w - self.k + 1
        chunk, cols, _ = self._buffers(n, ho, wo)
        y = np.empty((n, ho, wo, self.cout), F32)
        for n0 in range(0, n, chunk):
            n1 = min(n, n0 + chunk)
            c = self._im2col(xp, n0, n1, cols)
            np.matmul(c, self.Wb, out=y[n0:n1].reshape(-1, self.cout))
        self.xp = xp
        return y

    def backward(self, gy, need_gx):
        """gWb = Σ colsᵀ @ gy;  gx = col2im(gy @ Wᵀ) (a loop over the k² offsets, slice +=)."""
        xp, k, p = self.xp, self.k, self.pad
        n, h, w, cin = xp.shape
        ho, wo = gy.shape[1:3]
        chunk, cols, scratch = self._buffers(n, ho, wo)
        gx = np.zeros(xp.shape, F32) if need_gx else None
        W = self.Wb[:-1]
        for n0 in range(0, n, chunk):
            n1 = min(n, n0 + chunk)
            c = self._im2col(xp, n0, n1, cols)
            g = gy[n0:n1].reshape(-1, self.cout)
            if n0 == 0:
                np.matmul(c.T, g, out=self.gWb)
            else:
                np.matmul(c.T, g, out=scratch)
                self.gWb += scratch
            if need_gx:
                gcols = (g @ W.T).reshape(n1 - n0, ho, wo, k, k, cin)
                gxc = gx[n0:n1]
                for i in range(k):
                    for j in range(k):
                        gxc[:, i:i + ho, j:j + wo] += gcols[:, :, :, i, j]
        self.xp = None
        if need_gx and p:
            gx = gx[:, p:-p, p:-p]
        return gx


class MaxPoolReLU:
    """m = relu(max over 2×2 windows of y), y (N, H, W, C); floor mode (odd edges dropped)."""

    def forward(self, y):
        n, h, w, c = y.shape
        h2, w2 = h // 2, w // 2
        a, b = y[:, 0:2 * h2:2, 0:2 * w2:2], y[:, 0:2 * h2:2, 1:2 * w2:2]
        c_, d = y[:, 1:2 * h2:2, 0:2 * w2:2], y[:, 1:2 * h2:2, 1:2 * w2:2]
        m = np.maximum(a, b)
        np.maximum(m, c_, out=m)
        np.maximum(m, d, out=m)
        np.maximum(m, 0, out=m)                # ReLU after the pool: exact, 4× fewer elements
        self.y, self.m = y, m
        return m

    def backward(self, gm):
        """gm·[m > 0] goes to the first of a, b, c, d (row-major) that equals the max."""
        y, m = self.y, self.m
        n, h, w, c = y.shape
        h2, w2 = m.shape[1:3]
        gm = gm * (m > 0)                       # ReLU'; where m ≤ 0 nothing flows anyway
        gy = (np.empty if (h % 2 == 0 and w % 2 == 0) else np.zeros)(y.shape, F32)
        taken = None
        for r, s in ((0, 0), (0, 1), (1, 0), (1, 1)):
            view = y[:, r:2 * h2:2, s:2 * w2:2]
            out = gy[:, r:2 * h2:2, s:2 * w2:2]
            if taken is None:
                hit = view == m
                taken = hit
            elif (r, s) == (1, 1):
                hit = ~taken
            else:
                hit = view == m
                hit &= ~taken
                taken |= hit
            np.multiply(gm, hit, out=out)
        self.y = self.m = None
        return gy


class Linear:
    """y = x @ Wᵀ + b (PyTorch's layout); gW = gyᵀ @ x, gb = Σ gy, gx = gy @ W."""

    def __init__(self, weight, bias, flat, gflat, offset, column_order=None):
        out_f, in_f = weight.shape
        self.W = flat[offset:offset + weight.size].reshape(out_f, in_f)
        self.gW = gflat[offset:offset + weight.size].reshape(out_f, in_f)
        self.b = flat[offset + weight.size:offset + weight.size + out_f]
        self.gb = gflat[offset + weight.size:offset + weight.size + out_f]
        self.W[...] = weight if column_order is None else weight[:, column_order]
        self.b[...] = bias
        self.size = weight.size + out_f

    def forward(self, x):
        self.x = x
        y = x @ self.W.T
        y += self.b
        return y

    def backward(self, gy, need_gx):
        np.matmul(gy.T, self.x, out=self.gW)
        np.sum(gy, axis=0, out=self.gb)
        gx = gy @ self.W if need_gx else None
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
        self.training = True

    def forward(self, x):
        mask = self.rng.random(x.shape, dtype=F32) >= self.p
        self.mask = mask * F32(1.0 / (1.0 - self.p))
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
        offset, it, chw, i = 0, iter(params), (1, 28, 28), 0
        column_order = None
        while i < len(specs):
            spec = specs[i]
            if spec[0] == "conv":
                if specs[i + 1:i + 3] != [("relu",), ("maxpool", 2)]:
                    raise ValueError("NumpyCNN: conv must be followed by relu and maxpool(2)")
                p = next(it)
                layer = Conv(p["weight"], p["bias"], spec[4], self.theta, self.g, offset)
                self.layers += [layer, MaxPoolReLU()]
                offset += layer.size
                side = (chw[1] + 2 * spec[4] - spec[3] + 1) // 2
                chw = (spec[2], side, side)
                i += 3
                continue
            if spec[0] == "flatten":
                # channels-last flattening is (H, W, C); PyTorch's is (C, H, W): permute the
                # next Linear's columns once instead of the activations every step
                c, h, w = chw
                column_order = np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).ravel()
                self.layers.append("flatten")
            elif spec[0] == "linear":
                p = next(it)
                layer = Linear(p["weight"], p["bias"], self.theta, self.g, offset, column_order)
                column_order = None
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
        h = x.transpose(0, 2, 3, 1)            # channels-last view (a copy only if C > 1)
        if not h.flags.c_contiguous:
            h = np.ascontiguousarray(h)
        for layer in self.layers:
            h = h.reshape(n, -1) if layer == "flatten" else layer.forward(h)
        logits = h
        # softmax cross-entropy: loss = mean(log Σ exp(z − max) − (z_y − max))
        logits -= logits.max(axis=1, keepdims=True)
        rows = np.arange(n)
        picked = logits[rows, y]
        np.exp(logits, out=logits)
        total = logits.sum(axis=1)
        loss = float(np.mean(np.log(total) - picked))
        g = logits
        g /= total[:, None]
        g[rows, y] -= 1.0
        g *= 1.0 / n
        shape_before_flatten = None
        for layer in self.layers:              # find the 4-D shape the flatten undoes
            if layer == "flatten":
                break
            if isinstance(layer, MaxPoolReLU):
                shape_before_flatten = layer.m.shape
        for idx in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[idx]
            if layer == "flatten":
                g = g.reshape(shape_before_flatten)
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
