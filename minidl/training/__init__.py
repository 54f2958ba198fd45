"""Training: the :class:`Trainer` loop, its :class:`History`, callbacks and metrics."""
from minidl.training.callbacks import (Callback, EarlyStopping, LambdaCallback,
                                       LearningRateScheduler, ModelCheckpoint)
from minidl.training.history import History
from minidl.training.metrics import accuracy
from minidl.training.trainer import NonFiniteLossError, Trainer

__all__ = ["Trainer", "NonFiniteLossError", "History", "Callback", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "LambdaCallback", "accuracy"]
