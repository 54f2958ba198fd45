"""Lesson 6: what BatchNorm and Dropout do, in training and in evaluation.

1. BatchNorm1d normalises each feature over the batch (mean 0, variance 1, then a learned
   scale γ and shift β), so a deep stack of sigmoid layers keeps its signal: the same deep
   network trains far faster with it. In eval mode it uses running statistics instead.
2. Dropout(p) zeroes each unit with probability p in training and scales the kept ones by
   1/(1 − p) (inverted dropout), so the expected activation is unchanged; in eval mode it is
   the identity, and the output is deterministic again.

Run:  python examples/06_batchnorm_dropout.py
      MINIDL_EXAMPLE_QUICK=1 python examples/06_batchnorm_dropout.py   (fewer epochs)

Expected output:
    1. a 6-hidden-layer sigmoid MLP on 4 Gaussian blobs in 20-D, SGD lr 0.1, batch 32
    epoch  loss (plain)  loss (BatchNorm)
        1        1.3938            1.0895
        2        1.3908            0.7026
        3        1.3886            0.5063
        4        1.3864            0.3688
        5        1.3899            0.3053
        6        1.3929            0.2490
        7        1.3914            0.2004
        8        1.3906            0.1802
    BatchNorm in train mode: batch mean of layer-1 outputs 0.0000, std 1.0000
    BatchNorm in eval mode uses running stats: running_mean[:3] = -0.923, -0.073, -0.445

    2. Dropout(p=0.5) on a vector of ones
    train mode, call 1: kept 56 of 100 units, values {0.0, 2.0}
    train mode, call 2: kept 55 of 100 units, values {0.0, 2.0}
    train mode, mean over 1000 calls: 0.999 (inverted scaling keeps the expectation)
    eval mode: identical output every call: True, all ones: True
"""
import os

import numpy as np

import minidl as mdl

QUICK = os.environ.get("MINIDL_EXAMPLE_QUICK") == "1"
EPOCHS = 3 if QUICK else 8


def blobs(n=512, dim=20, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, dim)) * 1.5
    y = rng.integers(0, classes, n)
    x = centres[y] + rng.standard_normal((n, dim))
    return x.astype(np.float32), y


def train(batchnorm, x, y):
    mdl.manual_seed(0)
    model = mdl.nn.MLP(20, [32] * 6, 4, activation="sigmoid", batchnorm=batchnorm)
    opt = mdl.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = mdl.nn.CrossEntropyLoss()
    loader = mdl.data.DataLoader(mdl.data.TensorDataset(x, y), batch_size=32, shuffle=True,
                                 seed=0)
    losses = []
    for _ in range(EPOCHS):
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        losses.append(total / len(x))
    return model, losses


def batchnorm_part():
    print("1. a 6-hidden-layer sigmoid MLP on 4 Gaussian blobs in 20-D, SGD lr 0.1, batch 32")
    x, y = blobs()
    _, plain = train(False, x, y)
    model, normed = train(True, x, y)
    print("epoch  loss (plain)  loss (BatchNorm)")
    for epoch, (a, b) in enumerate(zip(plain, normed), 1):
        print(f"{epoch:>5}  {a:>12.4f}  {b:>16.4f}")
    linear, bn = model.layers[0], model.layers[1]
    model.train()
    with mdl.no_grad():
        out = bn(linear(mdl.tensor(x[:64]))).numpy()
    # γ and β moved during training: undo them to see the normalised values
    gamma, beta = bn.weight.numpy(), bn.bias.numpy()
    z = (out - beta) / gamma
    print(f"BatchNorm in train mode: batch mean of layer-1 outputs {abs(z.mean(0)).max():.4f}, "
          f"std {z.std(0).mean():.4f}")
    print("BatchNorm in eval mode uses running stats: running_mean[:3] = "
          + ", ".join(f"{v:.3f}" for v in bn.running_mean.numpy()[:3].tolist()))


def dropout_part():
    print("2. Dropout(p=0.5) on a vector of ones")
    mdl.manual_seed(0)
    drop = mdl.nn.Dropout(p=0.5)
    ones = mdl.ones(100)
    for call in (1, 2):
        out = drop(ones).numpy()
        print(f"train mode, call {call}: kept {int((out > 0).sum())} of 100 units, values "
              f"{sorted(set(out.tolist()))}".replace("[", "{").replace("]", "}"))
    mean = np.mean([drop(ones).numpy().mean() for _ in range(1000)])
    print(f"train mode, mean over 1000 calls: {mean:.3f} (inverted scaling keeps the "
          "expectation)")
    drop.eval()
    a, b = drop(ones).numpy(), drop(ones).numpy()
    print(f"eval mode: identical output every call: {bool((a == b).all())}, all ones: "
          f"{bool((a == 1).all())}")


def main():
    batchnorm_part()
    print()
    dropout_part()


if __name__ == "__main__":
    main()
