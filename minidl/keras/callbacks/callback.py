"""``Callback`` and ``CallbackList``: Keras 3's hooks into ``fit``, ``evaluate`` and ``predict``.

A callback sees the model (``self.model``, given by ``set_model``) and the run's parameters
(``self.params``: ``epochs``, ``steps``, ``verbose``), and is called at these points, with
``logs`` dicts of floats (epochs and batches count from 0):

    on_train_begin(logs)                       on_test_begin(logs) / on_predict_begin(logs)
      on_epoch_begin(epoch, logs)                on_test_batch_begin(batch, logs)
        on_train_batch_begin(batch, logs)        on_test_batch_end(batch, logs)
        on_train_batch_end(batch, logs)        on_test_end(logs) / on_predict_end(logs)
      on_epoch_end(epoch, logs)   (logs: the epoch's metrics, with 'val_' ones)
    on_train_end(logs)

A callback stops training by setting ``self.model.stop_training = True``.
"""


class Callback:
    """Base class: override the hooks you need (here they do nothing)."""

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    def on_batch_begin(self, batch, logs=None):
        """A backward-compatible alias: ``on_train_batch_begin`` calls it."""

    def on_batch_end(self, batch, logs=None):
        """A backward-compatible alias: ``on_train_batch_end`` calls it."""

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass


_HOOKS = ("on_batch_begin", "on_batch_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
          "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
          "on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
          "on_predict_end")


class CallbackList(Callback):
    """Many callbacks behind one: each hook calls every callback's, in order.

    Args:
        callbacks: a list of :class:`Callback` (nested lists are flattened).
        add_history: append a :class:`History` if the list has none (``fit`` does).
        add_progbar: accepted for Keras compatibility; the progress display belongs to
            ``fit`` in minidl, so it adds nothing.
        model: the model, given to every callback (and ``model.history`` set to the History).
        params: passed to every callback's ``set_params`` (``epochs``, ``steps``, ``verbose``).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"CallbackList: expected Callback instances, got "
                                f"{type(cb).__name__} ({cb!r}); subclass "
                                "minidl.keras.callbacks.Callback")
        from minidl.keras.callbacks.history import History
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        self.set_model(model)
        self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)


def _dispatch(hook):
    """``CallbackList.<hook>``: the hook of every callback, with Keras's signature
    (``(epoch_or_batch, logs=None)`` or ``(logs=None)``)."""
    if "batch" in hook or "epoch" in hook:
        def call(self, index, logs=None):
            logs = {} if logs is None else logs
            for cb in self.callbacks:
                getattr(cb, hook)(index, logs)
    else:
        def call(self, logs=None):
            logs = {} if logs is None else logs
            for cb in self.callbacks:
                getattr(cb, hook)(logs)
    call.__name__ = hook
    call.__doc__ = f"Call ``{hook}`` of every callback."
    return call


for _hook in _HOOKS:
    if _hook not in ("on_batch_begin", "on_batch_end"):
        setattr(CallbackList, _hook, _dispatch(_hook))
CallbackList.on_batch_begin = CallbackList.on_train_batch_begin
CallbackList.on_batch_end = CallbackList.on_train_batch_end


def _flatten(callbacks):
    out = []
    for cb in callbacks or []:
        if isinstance(cb, (list, tuple)):
            out.extend(_flatten(cb))
        else:
            out.append(cb)
    return out
