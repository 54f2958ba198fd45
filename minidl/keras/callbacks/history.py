"""``History``: what ``fit`` returns, the per-epoch logs."""
from minidl.keras.callbacks.callback import Callback


class History(Callback):
    """Records every epoch's logs; ``fit`` adds one and returns it.

    Attributes:
        history: ``{'loss': [...], 'accuracy': [...], 'val_loss': [...], ...}``, one value
            per epoch (kept across ``fit`` calls, as Keras keeps it).
        epoch: the epoch indices of this ``fit`` call (reset by ``on_train_begin``).

    Example:
        >>> h = History(); h.on_train_begin()
        >>> h.on_epoch_end(0, {"loss": 0.5}); h.on_epoch_end(1, {"loss": 0.25})
        >>> h.history, h.epoch
        ({'loss': [0.5, 0.25]}, [0, 1])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
