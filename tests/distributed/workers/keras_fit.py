"""Worker: ``minidl.keras`` ``fit`` on two ranks, each on its part of every batch.

Rank 1 builds its model from another seed (the fit must start from rank 0's weights). Writes
``OUT/keras-<rank>.npz`` (weights after fit, the history) and, from rank 0 only, the
CSVLogger file ``OUT/log-<rank>.csv``.
"""
import os
import sys

import numpy as np

import minidl as mdl
from minidl import distributed as dist
from minidl import keras

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from keras_fit_model import build, data, fit  # noqa: E402

out = sys.argv[1]
world = dist.init(timeout=60)
rank = world.rank
mdl.set_default_dtype(mdl.float64)
model = build(seed=0 if rank == 0 else 1)
x, y = data()
history = fit(model, x, y, [keras.callbacks.CSVLogger(os.path.join(out, f"log-{rank}.csv"))])
results = {f"weight-{i}": w for i, w in enumerate(model.get_weights())}
for name, values in history.history.items():
    results[f"history-{name}"] = np.array(values)
np.savez(os.path.join(out, f"keras-{rank}.npz"), **results)
