"""Lesson 8: the Keras workflow in seven steps, on MNIST, in minidl's Keras dialect.

The code is what a Keras 3 tutorial writes (swap ``from minidl import keras`` for
``import keras`` and it runs there too); underneath, every layer is a minidl Module and every
gradient comes from minidl's autograd.

    1 create      keras.Sequential(name=...)
    2 add layers  Input(784) → Dense(128, relu) → Dropout(0.2) → Dense(10, softmax)
    3 compile     Adam (Keras's defaults: lr 1e-3, ε 1e-7), sparse categorical cross-entropy
    4 fit         batch 32 (Keras's default), 10% held out for validation (the last 10%)
    5 evaluate    on the test set: [loss, accuracy]
    6 predict     class probabilities (NumPy) for a few test images
    7 save        a .keras file (JSON + .npy weights), loaded back with identical predictions

Data: the MNIST IDX files under $MINIDL_DATA/mnist (or ~/.cache/minidl/mnist).

Run:  python examples/08_keras_seven_steps.py                    (60,000 images, 2 epochs)
      MINIDL_EXAMPLE_QUICK=1 python examples/08_keras_seven_steps.py   (3,000 images, 1 epoch)

Expected output (full run; the timings and last digits vary with the machine):
    Model: "mnist_mlp"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ hidden (Dense)                  │ (None, 128)            │       100,480 │
    ├─────────────────────────────────┼────────────────────────┼───────────────┤
    │ dropout (Dropout)               │ (None, 128)            │             0 │
    ├─────────────────────────────────┼────────────────────────┼───────────────┤
    │ digits (Dense)                  │ (None, 10)             │         1,290 │
    └─────────────────────────────────┴────────────────────────┴───────────────┘
     Total params: 101,770 (397.54 KB)
     Trainable params: 101,770 (397.54 KB)
     Non-trainable params: 0 (0.00 B)
    Epoch 1/2
    1688/1688 - 54s - 32ms/step - accuracy: 0.9090 - loss: 0.3160 - val_accuracy: 0.9675 - val_loss: 0.1227
    Epoch 2/2
    1688/1688 - 75s - 44ms/step - accuracy: 0.9556 - loss: 0.1506 - val_accuracy: 0.9728 - val_loss: 0.0974
    history keys: ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    test loss 0.1032, test accuracy 0.9689
    predicted digits [7, 2, 1, 0, 4], true digits [7, 2, 1, 0, 4]
    saved mnist_mlp.keras; the loaded model predicts the same: True
"""
import os
import tempfile

import numpy as np

import minidl as mdl
from minidl import keras
from minidl.data import mnist

QUICK = os.environ.get("MINIDL_EXAMPLE_QUICK") == "1"
N_TRAIN, N_TEST, EPOCHS = (3000, 1000, 1) if QUICK else (60000, 10000, 2)


def load():
    x_train, y_train = mnist.load("train")
    x_test, y_test = mnist.load("test")
    scale = lambda images: images.reshape(len(images), -1).astype(np.float32) / 255.0  # noqa
    return (scale(x_train[:N_TRAIN]), y_train[:N_TRAIN]), (scale(x_test[:N_TEST]),
                                                          y_test[:N_TEST])


def main():
    mdl.manual_seed(0)
    (x_train, y_train), (x_test, y_test) = load()
    model = keras.Sequential(name="mnist_mlp")                          # 1 create
    model.add(keras.Input(shape=(784,)))                                 # 2 add layers
    model.add(keras.layers.Dense(128, activation="relu", name="hidden"))
    model.add(keras.layers.Dropout(0.2))
    model.add(keras.layers.Dense(10, activation="softmax", name="digits"))
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),  # 3 compile
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=EPOCHS, validation_split=0.1,  # 4 fit
                        verbose=2)
    print("history keys:", list(history.history))
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)          # 5 evaluate
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    probabilities = model.predict(x_test[:5], verbose=0)                # 6 predict
    print(f"predicted digits {probabilities.argmax(axis=1).tolist()}, "
          f"true digits {y_test[:5].tolist()}")
    with tempfile.TemporaryDirectory() as folder:                        # 7 save
        path = os.path.join(folder, "mnist_mlp.keras")
        model.save(path)
        again = keras.models.load_model(path)
        same = np.array_equal(again.predict(x_test[:100], verbose=0),
                              model.predict(x_test[:100], verbose=0))
    print(f"saved mnist_mlp.keras; the loaded model predicts the same: {same}")


if __name__ == "__main__":
    main()
