"""The contenders of the MLP benchmark: one class each, the same model, the same batches.

Each contender is built from a workload and the initial weights (``numpy_reference.init_params``,
copied in, so every contender starts from the same numbers) and offers ``epoch(order)``: one
pass over ``X[order]`` in batches of the workload's size, returning the mean training loss.
Fetching each step's loss as a Python float is part of every loop (a training loop logs it).
"""
import math

import numpy as np

from numpy_reference import NumpyMLP
from timing import minidl_synchronizer, torch_synchronizer

F32 = np.float32


class NumpyContender:
    name = "NumPy reference"

    def __init__(self, wl, layers, X, Y, threads, seed=0):
        self.model = NumpyMLP(layers, dropout=wl.dropout, lr=wl.lr, seed=seed)
        self.X, self.Y, self.batch = X, Y, wl.batch

    def epoch(self, order):
        return self.model.train_epoch(self.X, self.Y, order, self.batch)


class MatmulFloor:
    """The matrix products of a training step alone (the BLAS floor), on the same shapes.

    Per step and layer: the forward product x @ Wᵀ, the weight gradient gyᵀ @ x and (except
    for the first layer) the input gradient gy @ W, written into preallocated outputs.
    """
    name = "matmuls only (BLAS floor)"

    def __init__(self, wl, layers, X, Y, threads, seed=0):
        rng = np.random.default_rng(seed)
        self.wl, self.n = wl, len(X)
        self.weights = [layer["weight"] for layer in layers]
        self.buffers = {}
        for b in {wl.batch, self.n % wl.batch}:
            if b == 0:
                continue
            acts, outs, gouts, gws, gxs = [], [], [], [], []
            for w in self.weights:
                out_f, in_f = w.shape
                acts.append(rng.standard_normal((b, in_f), dtype=F32))
                outs.append(np.empty((b, out_f), F32))
                gouts.append(rng.standard_normal((b, out_f), dtype=F32))
                gws.append(np.empty((out_f, in_f), F32))
                gxs.append(np.empty((b, in_f), F32))
            self.buffers[b] = (acts, outs, gouts, gws, gxs)

    def epoch(self, order):
        for start in range(0, self.n, self.wl.batch):
            b = min(self.wl.batch, self.n - start)
            acts, outs, gouts, gws, gxs = self.buffers[b]
            for i, w in enumerate(self.weights):
                np.matmul(acts[i], w.T, out=outs[i])
            for i in range(len(self.weights) - 1, -1, -1):
                np.matmul(gouts[i].T, acts[i], out=gws[i])
                if i > 0:
                    np.matmul(gouts[i], self.weights[i], out=gxs[i])
        return float("nan")


class MinidlContender:
    """minidl's own stack: ``nn.MLP``, ``nn.CrossEntropyLoss``, ``optim.Adam``.

    On ``device='cuda'`` the data, the model and each epoch's order live on the GPU, and
    ``synchronize`` waits for it (the benchmarks time through ``timing.timed``).
    """
    name = "minidl"

    def __init__(self, wl, layers, X, Y, threads, seed=0, device="cpu"):
        import minidl as mdl
        import minidl.nn as nn
        import minidl.optim as optim
        mdl.manual_seed(seed)
        sizes = [layers[0]["weight"].shape[1]] + [layer["weight"].shape[0] for layer in layers]
        self.model = nn.MLP(sizes[0], sizes[1:-1], sizes[-1], activation="relu",
                            dropout=wl.dropout, batchnorm=wl.batchnorm)
        copy_into(self.model.parameters(), layers, lambda p, a: p.data.__setitem__(..., a))
        self.model.to(device).train()
        self.loss_fn = nn.CrossEntropyLoss()
        self.opt = optim.Adam(self.model.parameters(), lr=wl.lr)
        self.X, self.Y = mdl.tensor(X, device=device), mdl.tensor(Y, device=device)
        self.batch = wl.batch
        self.device, self.mdl = device, mdl
        self.synchronize = minidl_synchronizer(device)
        if device != "cpu":
            self.name = f"minidl {device}"

    def epoch(self, order):
        model, loss_fn, opt, X, Y = self.model, self.loss_fn, self.opt, self.X, self.Y
        if self.device != "cpu":  # one copy of the order to the device, not one per batch
            order = self.mdl.tensor(order, device=self.device)
        total, count = 0.0, 0
        for start in range(0, len(order), self.batch):
            idx = order[start:start + self.batch]
            loss = loss_fn(model(X[idx]), Y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            count += 1
        return total / count


class MinidlCoreContender:
    """minidl's autograd core alone: leaves, ``ops.linear``, ``relu``, ``log_softmax``, and a
    minimal in-place Adam on the arrays. Isolates the graph's cost from nn/optim's (W1/W2 only).
    """
    name = "minidl core ops"

    def __init__(self, wl, layers, X, Y, threads, seed=0):
        import minidl as mdl
        if wl.batchnorm or wl.dropout:
            raise ValueError("minidl core ops: only the plain MLP (W1/W2)")
        self.mdl = mdl
        self.params = []
        for layer in layers:
            self.params.append((mdl.tensor(layer["weight"], requires_grad=True),
                                mdl.tensor(layer["bias"], requires_grad=True)))
        flat = [p for pair in self.params for p in pair]
        self.state = [(np.zeros_like(p.data), np.zeros_like(p.data), np.empty_like(p.data))
                      for p in flat]
        self.flat, self.t, self.lr = flat, 0, wl.lr
        self.X, self.Y = mdl.tensor(X), mdl.tensor(Y)
        self.batch = wl.batch

    def step(self, x, y):
        from minidl.autograd.ops import linear, log_softmax, relu
        h = x
        for w, b in self.params[:-1]:
            h = relu(linear(h, w, b))
        w, b = self.params[-1]
        logp = log_softmax(linear(h, w, b))
        n = y.shape[0]
        loss = -logp[np.arange(n), y.data].sum() * (1.0 / n)
        for p in self.flat:
            p.grad = None
        loss.backward()
        self.t += 1
        step_size = self.lr / (1.0 - 0.9 ** self.t)
        inv_bc2_sqrt = 1.0 / math.sqrt(1.0 - 0.999 ** self.t)
        for p, (m, v, tmp) in zip(self.flat, self.state):
            g, theta = p.grad.data, p.data
            np.subtract(g, m, out=tmp)
            tmp *= 0.1
            m += tmp
            v *= 0.999
            np.multiply(g, g, out=tmp)
            tmp *= 0.001
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= inv_bc2_sqrt
            tmp += 1e-8
            np.divide(m, tmp, out=tmp)
            tmp *= -step_size
            theta += tmp
        return loss.item()

    def epoch(self, order):
        total, count = 0.0, 0
        for start in range(0, len(order), self.batch):
            idx = order[start:start + self.batch]
            total += self.step(self.X[idx], self.Y[idx])
            count += 1
        return total / count


class TorchContender:
    """PyTorch eager on the CPU, or on a GPU with ``device='cuda'`` (then ``synchronize``
    is ``torch.cuda.synchronize``)."""
    name = "PyTorch CPU eager"

    def __init__(self, wl, layers, X, Y, threads, seed=0, device="cpu"):
        import torch
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.torch = torch
        modules = []
        for i, layer in enumerate(layers):
            out_f, in_f = layer["weight"].shape
            modules.append(torch.nn.Linear(in_f, out_f))
            if i < len(layers) - 1:
                if wl.batchnorm:
                    modules.append(torch.nn.BatchNorm1d(out_f))
                modules.append(torch.nn.ReLU())
                if wl.dropout:
                    modules.append(torch.nn.Dropout(wl.dropout))
        self.model = torch.nn.Sequential(*modules)
        with torch.no_grad():
            copy_into(self.model.parameters(), layers, lambda p, a: p.copy_(torch.from_numpy(a)))
        self.model.to(device).train()
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=wl.lr)
        self.X, self.Y = torch.from_numpy(X).to(device), torch.from_numpy(Y).to(device)
        self.batch, self.device = wl.batch, device
        self.synchronize = torch_synchronizer(device)
        if device != "cpu":
            self.name = f"PyTorch {device.upper()} eager"

    def epoch(self, order):
        model, loss_fn, opt, X, Y = self.model, self.loss_fn, self.opt, self.X, self.Y
        order = self.torch.from_numpy(order).to(self.device)
        total, count = 0.0, 0
        for start in range(0, len(order), self.batch):
            idx = order[start:start + self.batch]
            loss = loss_fn(model(X[idx]), Y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            count += 1
        return total / count


class SklearnContender:
    """scikit-learn's MLPClassifier, one ``partial_fit`` per epoch (it shuffles by itself).

    ``alpha=0`` (no L2 penalty) so that it trains the same objective; its own initialisation.
    """
    name = "scikit-learn MLPClassifier"

    def __init__(self, wl, layers, X, Y, threads, seed=0):
        if wl.batchnorm or wl.dropout:
            raise ValueError("scikit-learn has no BatchNorm or Dropout")
        from sklearn.neural_network import MLPClassifier
        hidden = tuple(layer["weight"].shape[0] for layer in layers[:-1])
        self.clf = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", solver="adam",
                                 alpha=0.0, batch_size=wl.batch, learning_rate_init=wl.lr,
                                 shuffle=True, random_state=seed)
        self.X, self.Y = X, Y
        self.classes = np.arange(layers[-1]["weight"].shape[0])

    def epoch(self, order):
        self.clf.partial_fit(self.X, self.Y, classes=self.classes)
        return float(self.clf.loss_)


def copy_into(params, layers, assign):
    """Copy the initial weights into a framework's parameters, in Linear/BatchNorm order."""
    arrays = [layer[k] for layer in layers for k in ("weight", "bias", "gamma", "beta")
              if k in layer]
    params = list(params)
    if len(params) != len(arrays):
        raise RuntimeError(f"expected {len(arrays)} parameters, the model has {len(params)}")
    for p, a in zip(params, arrays):
        if tuple(p.shape) != a.shape:
            raise RuntimeError(f"parameter of shape {tuple(p.shape)} where {a.shape} was expected")
        assign(p, a)


CONTENDERS = {
    "minidl": MinidlContender,
    "numpy": NumpyContender,
    "torch": TorchContender,
    "sklearn": SklearnContender,
    "matmul": MatmulFloor,
    "minidl-core": MinidlCoreContender,
}
