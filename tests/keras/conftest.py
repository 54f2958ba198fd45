"""Keras-face tests compare with Keras 3 on its torch backend (when Keras is installed)."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")
