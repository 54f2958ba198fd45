"""Helpers for comparing with Keras 3 (imported by the tests after ``importorskip``)."""
import numpy as np


def keras_module():
    import pytest
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip(f"the Keras comparisons run on the torch backend, not "
                    f"{keras.backend.backend()!r} (set KERAS_BACKEND=torch)")
    return keras


def to_numpy(value):
    """A Keras / torch / minidl value as a NumPy array."""
    inner = getattr(value, "value", None)
    if hasattr(inner, "detach"):                       # a keras.Variable on torch
        return inner.detach().cpu().numpy()
    if hasattr(value, "detach"):                       # a torch tensor
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        try:
            return np.asarray(value.numpy())
        except TypeError:
            pass
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)
