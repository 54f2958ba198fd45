"""Training: the :class:`Trainer` loop, its :class:`History`, callbacks and metrics."""
from minidl.training.callbacks import (Callback, EarlyStopping, LambdaCallback,
                                       LearningRateScheduler, ModelCheckpoint, TensorBoard)
from minidl.training.history import History
from minidl.training.metrics import accuracy
from minidl.training.trainer import Trainer

__all__ = ["Trainer", "History", "Callback", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "LambdaCallback", "TensorBoard", "accuracy"]
