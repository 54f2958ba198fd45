"""``MonitorCallback``: what EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share —
which way a monitored quantity improves, and whether a value improves on the best."""
import warnings

from minidl.keras.callbacks.callback import Callback


class MonitorCallback(Callback):
    """Watches ``monitor`` in the epoch logs.

    ``mode='auto'`` follows Keras 3: ``'loss'``/``'val_loss'`` decrease; another name is
    looked up among ``model.metrics`` (a metric's ``direction``, ``'up'`` for accuracies,
    ``'down'`` for losses; for a model without ``metrics``, the metric that compile makes of
    that name); failing that, a ValueError asks for ``mode``. A value improves on
    the best by more than ``min_delta`` in the good direction: ``value < best − min_delta``
    (min) or ``value > best + min_delta`` (max); the first value always does.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto "
                          "mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = _less
        elif self.mode == "max":
            self.monitor_op = _greater
        else:
            name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
            if name == "loss":
                self.monitor_op = _less
            direction = None
            found = _model_metrics(self.model)
            for metric in found or []:
                if getattr(metric, "name", None) == name:
                    direction = getattr(metric, "direction", getattr(metric, "_direction", None))
            if found is None and name != "loss":
                direction = _direction_of_name(name)
            if direction == "up":
                self.monitor_op = _greater
            elif direction == "down":
                self.monitor_op = _less
            if self.monitor_op is None:
                raise ValueError(f"{type(self).__name__} callback received monitor="
                                 f"{self.monitor}, but minidl isn't able to automatically "
                                 "determine whether that metric should be maximized or "
                                 "minimized. Pass `mode='max'` in order to monitor based on the "
                                 "highest metric value, or pass `mode='min'` in order to use "
                                 "the lowest value.")
        if self.monitor_op is _less:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return self.monitor_op(monitor_value - self.min_delta, reference_value)


def _less(a, b):
    return a < b


def _greater(a, b):
    return a > b


def _direction_of_name(name):
    """For a model without ``metrics``: the direction of the metric that ``compile`` makes
    from the string ``name`` (``'accuracy'``/``'acc'`` and the names of
    :mod:`minidl.keras.metrics`), which is what Keras finds in ``model.metrics`` then."""
    from minidl.keras import metrics
    if name.lower() in ("accuracy", "acc"):
        return "up"
    cls = metrics.ALL_OBJECTS_DICT.get(name)
    return None if cls is None else cls.direction if isinstance(cls.direction, str) else \
        getattr(cls(), "direction", None)


def _model_metrics(model):
    """The model's metric objects (containers with a ``metrics`` list opened one level), or
    None when the model has no ``metrics``."""
    if getattr(model, "metrics", None) is None:
        return None
    out = []
    for metric in model.metrics:
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            out.extend(inner)
        else:
            out.append(metric)
    return out
