"""Small, fast problems for the trainer tests."""
import numpy as np

import minidl as mdl


def blobs(n=120, d=4, classes=3, seed=0):
    """Well-separated Gaussian blobs: float32 x [n, d], int64 y [n]."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, d)) * 4
    y = rng.integers(0, classes, n)
    x = (centers[y] + rng.standard_normal((n, d))).astype(np.float32)
    return x, y.astype(np.int64)


def mlp(d=4, classes=3, hidden=(16,), dropout=0.0, device="cpu"):
    return mdl.nn.MLP(d, list(hidden), classes, dropout=dropout).to(device)


def weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}
