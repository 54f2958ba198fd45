"""The model, data and fit of the data-parallel Keras test (one process and two ranks)."""
import numpy as np

import minidl as mdl
from minidl import keras


def build(seed):
    mdl.manual_seed(seed)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation="relu"),
                              keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def data():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 5))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    return x, y


def fit(model, x, y, callbacks):
    mdl.manual_seed(3)  # the shuffles (rank 0's are used on every rank)
    # 40 samples in batches of 7: 7, 7, 7, 7, 7, 5, split 3 + 4 and 2 + 3 over two ranks
    return model.fit(x, y, batch_size=7, epochs=3, validation_data=(x[:16], y[:16]),
                     verbose=0, callbacks=callbacks)
