"""``minidl.keras.callbacks``: Keras 3's callbacks, with its defaults and semantics.

What they need from the model: ``stop_training`` (EarlyStopping), ``optimizer`` with a
settable ``learning_rate`` (LearningRateScheduler, ReduceLROnPlateau), ``get_weights`` /
``set_weights`` (EarlyStopping's ``restore_best_weights``), ``save`` / ``save_weights``
(ModelCheckpoint), ``layers`` with ``weights`` (TensorBoard's histograms), and optionally
``metrics`` (objects with ``name`` and ``direction``) for ``mode='auto'``.
"""
from minidl.keras.callbacks.callback import Callback, CallbackList
from minidl.keras.callbacks.csv_logger import CSVLogger
from minidl.keras.callbacks.early_stopping import EarlyStopping
from minidl.keras.callbacks.history import History
from minidl.keras.callbacks.lambda_callback import LambdaCallback
from minidl.keras.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from minidl.keras.callbacks.model_checkpoint import ModelCheckpoint
from minidl.keras.callbacks.monitor import MonitorCallback
from minidl.keras.callbacks.tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "History", "MonitorCallback", "EarlyStopping",
           "ModelCheckpoint", "LearningRateScheduler", "ReduceLROnPlateau", "CSVLogger",
           "TensorBoard", "LambdaCallback"]
