"""``History``: per-epoch logs of a training run, as Keras's ``History``."""


class History:
    """What ``Trainer.fit`` returns: ``history`` maps each logged name to a per-epoch list.

    Attributes:
        history: e.g. ``{'loss': [...], 'accuracy': [...], 'val_loss': [...],
            'val_accuracy': [...]}``, one value per epoch.
        epoch: the epoch indices (counting from 0) the values belong to.

    Example:
        >>> h = History()
        >>> h.append(0, {"loss": 0.5, "accuracy": 0.8})
        >>> h.history
        {'loss': [0.5], 'accuracy': [0.8]}
    """

    def __init__(self, history=None, epoch=None):
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.epoch = list(epoch) if epoch is not None else []

    def append(self, epoch, logs):
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def __len__(self):
        return len(self.epoch)

    def state_dict(self):
        return {"history": {k: list(v) for k, v in self.history.items()},
                "epoch": list(self.epoch)}

    def load_state_dict(self, state):
        self.history = {k: [float(x) for x in v] for k, v in state["history"].items()}
        self.epoch = [int(e) for e in state["epoch"]]

    def __repr__(self):
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History({len(self)} epochs{': ' + last if last else ''})"
