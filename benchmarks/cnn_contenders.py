"""The contenders of the CNN benchmark (W4, W5): the same net, weights and batches in each.

Each is built from a workload of ``cnn_workloads``, the shared initial weights, the images
(N, 1, 28, 28) and labels, and offers ``epoch(order)``: one pass over ``X[order]`` in batches
of the workload's size, returning the mean training loss (fetched as a float every step).
"""
import numpy as np

from cnn_workloads import build_minidl, build_torch, layer_shapes
from numpy_cnn import COLUMN_BUDGET, NumpyCNN

F32 = np.float32


def _epoch(step, X, Y, order, batch):
    total, count = 0.0, 0
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        total += step(X[idx], Y[idx])
        count += 1
    return total / count


class NumpyCNNContender:
    name = "NumPy CNN (hand-written)"

    def __init__(self, wl, params, X, Y, threads, seed=0):
        self.model = NumpyCNN(wl, params, lr=wl.lr, seed=seed)
        self.X, self.Y, self.batch = X, Y, wl.batch

    def epoch(self, order):
        return _epoch(self.model.train_step, self.X, self.Y, order, self.batch)


class MinidlCNNContender:
    """minidl: ``nn.Sequential`` of Conv2d/ReLU/MaxPool2d/..., ``CrossEntropyLoss``, ``Adam``."""
    name = "minidl"

    def __init__(self, wl, params, X, Y, threads, seed=0):
        import minidl as mdl
        from minidl import nn, optim
        mdl.manual_seed(seed)
        self.model = build_minidl(wl, params)
        self.model.train()
        self.loss_fn = nn.CrossEntropyLoss()
        self.opt = optim.Adam(self.model.parameters(), lr=wl.lr)
        self.X, self.Y, self.batch = mdl.tensor(X), mdl.tensor(Y), wl.batch

    def step(self, x, y):
        loss = self.loss_fn(self.model(x), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()

    def epoch(self, order):
        return _epoch(self.step, self.X, self.Y, order, self.batch)


class TorchCNNContender:
    name = "PyTorch CPU eager"

    def __init__(self, wl, params, X, Y, threads, seed=0):
        import torch
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.torch = torch
        self.model = build_torch(wl, params)
        self.model.train()
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=wl.lr)
        self.X, self.Y, self.batch = torch.from_numpy(X), torch.from_numpy(Y), wl.batch

    def step(self, x, y):
        loss = self.loss_fn(self.model(x), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()

    def epoch(self, order):
        return _epoch(self.step, self.X, self.Y, self.torch.from_numpy(order), self.batch)


class CNNMatmulFloor:
    """The matrix products of a training step alone, in the NumPy CNN's orientation and
    chunks, into preallocated outputs: per conv, over its output rows in chunks of at most
    ``numpy_cnn.COLUMN_BUDGET`` bytes of columns, [W b] @ cols (out × (C·k² + 1) ·
    (C·k² + 1) × m), the weight gradient gy @ colsᵀ and (except for the first layer)
    Wᵀ @ gy; per linear, on (features, N) arrays, W @ x, gy @ xᵀ and Wᵀ @ gy.
    """
    name = "matmuls only (BLAS floor)"

    def __init__(self, wl, params, X, Y, threads, seed=0):
        self.rng = np.random.default_rng(seed)
        self.wl = wl
        self.plans = {wl.batch: self._plan(wl, wl.batch, self.rng)}

    @staticmethod
    def _plan(wl, batch, rng):
        products = []  # (a, b, out) triples, forward order; backward ones appended after
        backward = []
        first = True
        for spec, out_shape in zip(wl.layers, layer_shapes(wl, batch)):
            if spec[0] == "conv":
                _, cin, cout, k, _pad = spec
                oh, ow = out_shape[2:]
                kk = cin * k * k + 1
                rows = max(1, min(oh, COLUMN_BUDGET // (kk * ow * batch * 4)))
                w = rng.standard_normal((cout, kk), dtype=F32)
                for r0 in range(0, oh, rows):
                    m = (min(oh, r0 + rows) - r0) * ow * batch
                    cols = rng.standard_normal((kk, m), dtype=F32)
                    gy = rng.standard_normal((cout, m), dtype=F32)
                    products.append((w, cols, np.empty((cout, m), F32)))
                    backward.append((gy, cols.T, np.empty((cout, kk), F32)))
                    if not first:
                        backward.append((w[:, :-1].T, gy, np.empty((kk - 1, m), F32)))
                first = False
            elif spec[0] == "linear":
                _, fin, fout = spec
                x = rng.standard_normal((fin, batch), dtype=F32)
                w = rng.standard_normal((fout, fin), dtype=F32)
                gy = rng.standard_normal((fout, batch), dtype=F32)
                products.append((w, x, np.empty((fout, batch), F32)))
                backward.append((gy, x.T, np.empty((fout, fin), F32)))
                backward.append((w.T, gy, np.empty((fin, batch), F32)))
                first = False
        return products + backward[::-1]

    def epoch(self, order):
        for start in range(0, len(order), self.wl.batch):
            b = min(self.wl.batch, len(order) - start)
            if b not in self.plans:
                self.plans[b] = self._plan(self.wl, b, self.rng)
            for a, w, out in self.plans[b]:
                np.matmul(a, w, out=out)
        return float("nan")


CONTENDERS = {
    "minidl": MinidlCNNContender,
    "numpy": NumpyCNNContender,
    "torch": TorchCNNContender,
    "matmul": CNNMatmulFloor,
}
