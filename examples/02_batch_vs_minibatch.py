"""Lesson 2: batch, stochastic and mini-batch gradient descent on one problem.

A linear regression y = X·w* + noise (N samples, 10 features), fitted by a Linear layer with
the mean squared error and plain SGD at one learning rate, three ways:

    batch GD        B = N   1 update per epoch, exact gradient, slow progress per epoch
    stochastic GD   B = 1   N updates per epoch, noisy gradient, slow per epoch in Python
    mini-batch GD   B = 32  ceil(N/32) updates per epoch: the usual compromise

An epoch is one pass over the data: ceil(N/B) iterations (the last batch may be smaller).

Run:  python examples/02_batch_vs_minibatch.py        (N = 1000, 5 epochs)
      MINIDL_EXAMPLE_QUICK=1 python examples/...      (N = 200, 2 epochs)

Expected output (losses are exact for the seed; times vary with the machine):
    N = 1000 samples, 10 features, lr = 0.05, full-data MSE after each epoch
    method         batch  iters/epoch  epoch        loss  time/epoch
    batch GD        1000            1      1     13.8261     0.001 s
    ...
    batch GD        1000            1      5      5.8696     0.000 s
    stochastic GD      1         1000      1      0.0211     0.620 s
    ...
    stochastic GD      1         1000      5      0.0180     0.675 s
    mini-batch GD     32           32      1      0.0325     0.018 s
    ...
    mini-batch GD     32           32      5      0.0101     0.027 s
    after 5 epochs: batch GD 5.8696, stochastic GD 0.0180, mini-batch GD 0.0101

Per epoch, batch GD is cheapest but barely moves; SGD makes the most progress per epoch but
each of its 1000 tiny steps pays Python's overhead and its loss jitters (noise floor); the
mini-batch reaches the noise level (0.01) in two epochs at a fraction of SGD's time.
"""
import math
import os
import time

import numpy as np

import minidl as mdl

QUICK = os.environ.get("MINIDL_EXAMPLE_QUICK") == "1"
N, EPOCHS, FEATURES, LR = (200, 2, 10, 0.05) if QUICK else (1000, 5, 10, 0.05)


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, FEATURES)).astype(np.float32)
    w_true = rng.standard_normal((FEATURES, 1)).astype(np.float32)
    y = X @ w_true + 0.1 * rng.standard_normal((N, 1)).astype(np.float32)
    return X, y


def train(X, y, batch_size):
    mdl.manual_seed(0)                       # the same initial weights for every method
    model = mdl.nn.Linear(FEATURES, 1)
    opt = mdl.optim.SGD(model.parameters(), lr=LR)
    loss_fn = mdl.nn.MSELoss()
    loader = mdl.data.DataLoader(mdl.data.TensorDataset(X, y), batch_size=batch_size,
                                 shuffle=True, seed=0)
    assert len(loader) == math.ceil(N / batch_size)
    Xt, yt = mdl.tensor(X), mdl.tensor(y)
    rows = []
    for epoch in range(1, EPOCHS + 1):
        start = time.perf_counter()
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        seconds = time.perf_counter() - start
        with mdl.no_grad():
            full = loss_fn(model(Xt), yt).item()
        rows.append((epoch, full, seconds, len(loader)))
    return rows


def main():
    X, y = make_data()
    print(f"N = {N} samples, {FEATURES} features, lr = {LR}, full-data MSE after each epoch")
    print(f"{'method':<13} {'batch':>6} {'iters/epoch':>12} {'epoch':>6} {'loss':>11} "
          f"{'time/epoch':>11}")
    final = {}
    for name, batch_size in [("batch GD", N), ("stochastic GD", 1), ("mini-batch GD", 32)]:
        for epoch, loss, seconds, iters in train(X, y, batch_size):
            print(f"{name:<13} {batch_size:>6} {iters:>12} {epoch:>6} {loss:>11.4f} "
                  f"{seconds:>9.3f} s")
            final[name] = loss
    print(f"after {EPOCHS} epochs: " + ", ".join(f"{k} {v:.4f}" for k, v in final.items()))


if __name__ == "__main__":
    main()
