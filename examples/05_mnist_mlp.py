"""Lesson 5: an MLP on MNIST, trained with the Trainer and watched with Diagnostics.

784 pixels (scaled to [0, 1]) → Linear(784, 128) → ReLU → Linear(128, 10) → cross-entropy.
Adam, lr 1e-3, batch 64. The Diagnostics callback prints, per layer and epoch, the gradient
norm, the update-to-weight ratio (healthy: around 1e-3), the activations' mean and std and the
fraction of dead ReLU units.

Data: the four MNIST IDX files under $MINIDL_DATA/mnist (or ~/.cache/minidl/mnist).

Run:  python examples/05_mnist_mlp.py                    (60,000 images, 3 epochs)
      MINIDL_EXAMPLE_QUICK=1 python examples/05_mnist_mlp.py   (2,000 images, 1 epoch)

Expected output (full run; the last digits vary with the machine's BLAS):
    train 60000 images, test 10000 images, 3 epochs
    epoch 1: loss 0.3411  accuracy 0.9063
    diagnostics, epoch 1
    layer     type    |grad|     |Δθ|/|θ|   act mean  act std  dead
    layers.0  Linear  4.318e-01  5.376e-03  0.8695    1.3110   -
    layers.1  ReLU    -          -          1.0464    1.0369   0.0%
    layers.2  Linear  7.434e-01  2.685e-03  -1.2345   3.8772   -
    epoch 2: loss 0.1550  accuracy 0.9553
    diagnostics, epoch 2
    layer     type    |grad|     |Δθ|/|θ|   act mean  act std  dead
    layers.0  Linear  3.702e-01  2.902e-03  0.5949    1.7667   -
    layers.1  ReLU    -          -          1.0184    1.1545   1.6%
    layers.2  Linear  5.639e-01  1.383e-03  -1.9785   4.6230   -
    epoch 3: loss 0.1071  accuracy 0.9689
    diagnostics, epoch 3
    layer     type    |grad|     |Δθ|/|θ|   act mean  act std  dead
    layers.0  Linear  3.400e-01  2.330e-03  0.4339    2.0336   -
    layers.1  ReLU    -          -          1.0082    1.2368   1.6%
    layers.2  Linear  4.823e-01  1.152e-03  -2.5551   5.0626   -
    test accuracy: 0.9688
"""
import os

import minidl as mdl
from minidl.data import to_float
from minidl.teaching import Diagnostics
from minidl.training.callbacks import Callback

QUICK = os.environ.get("MINIDL_EXAMPLE_QUICK") == "1"
N_TRAIN, N_TEST, EPOCHS = (2000, 1000, 1) if QUICK else (60000, 10000, 3)


class PrintEpoch(Callback):
    def __init__(self, diagnostics):
        self.diagnostics = diagnostics

    def on_epoch_end(self, trainer, epoch, logs):
        print(f"epoch {epoch + 1}: loss {logs['loss']:.4f}  accuracy {logs['accuracy']:.4f}")
        print(self.diagnostics.table())


def load():
    try:  # downloads the files into the data root when they are missing
        x_train, y_train = mdl.data.mnist.load("train")
        x_test, y_test = mdl.data.mnist.load("test")
    except (OSError, ValueError) as exc:
        raise SystemExit(f"lesson 5 needs MNIST: {exc}")
    # uint8 [N, 28, 28] -> float32 [N, 784] in [0, 1]
    return (to_float(x_train[:N_TRAIN]), y_train[:N_TRAIN], to_float(x_test[:N_TEST]),
            y_test[:N_TEST])


def main():
    x_train, y_train, x_test, y_test = load()
    print(f"train {len(x_train)} images, test {len(x_test)} images, {EPOCHS} epochs")
    mdl.manual_seed(0)
    model = mdl.nn.MLP(784, [128], 10)
    diagnostics = Diagnostics()
    trainer = mdl.Trainer(model, mdl.optim.Adam(model.parameters(), lr=1e-3),
                          mdl.nn.CrossEntropyLoss(),
                          callbacks=[diagnostics, PrintEpoch(diagnostics)])
    trainer.fit((x_train, y_train), epochs=EPOCHS, batch_size=64, progress=False)
    print(f"test accuracy: {trainer.evaluate((x_test, y_test))['accuracy']:.4f}")


if __name__ == "__main__":
    main()
