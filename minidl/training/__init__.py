"""Training: the :class:`Trainer` loop, its :class:`History`, callbacks and metrics."""
from minidl.training.callbacks import (Callback, EarlyStopping, LambdaCallback,
                                       LearningRateScheduler, ModelCheckpoint, TensorBoard)
from minidl.training.history import History
from minidl.training.metrics import accuracy
from minidl.training.run import TrainedRun, load_run, run_record
from minidl.training.trainer import NonFiniteLossError, Trainer

__all__ = ["load_run", "TrainedRun", "run_record", "Trainer", "NonFiniteLossError", "History",
           "Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler",
           "LambdaCallback", "TensorBoard", "accuracy"]
