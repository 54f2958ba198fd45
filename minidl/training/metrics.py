"""Metrics computed per batch during training: each returns the batch *mean* as a float.

A metric is a function ``metric(outputs, targets) -> float``; the trainer weights it by the
batch size to get the epoch mean. Named metrics: ``'accuracy'``.
"""


def accuracy(outputs, targets):
    """Fraction of samples whose predicted class is the target.

    Predicted class: ``argmax`` over the last axis for [N, C] logits (or probabilities);
    ``output > 0`` for a single logit per sample ([N] or [N, 1], as with BCEWithLogitsLoss).
    Targets are class indices (or 0/1 labels for a single logit).

    Example:
        >>> import minidl as mdl
        >>> accuracy(mdl.tensor([[2.0, 1.0], [0.0, 3.0]]), mdl.tensor([0, 0]))
        0.5
    """
    y = outputs.data
    t = targets.data
    if y.ndim >= 2 and y.shape[-1] > 1:
        predicted = y.argmax(axis=-1)
    else:
        predicted = (y > 0).reshape(t.shape)
        t = t > 0.5
    if predicted.shape != t.shape:
        raise ValueError(f"accuracy: predictions of shape {tuple(predicted.shape)} (from outputs "
                         f"{tuple(y.shape)}) do not match targets of shape {tuple(t.shape)}")
    n = t.size
    return float((predicted == t).sum()) / n if n else 0.0


METRICS = {"accuracy": accuracy, "acc": accuracy}


def get_metric(metric):
    """``(name, function)`` for a metric name or a callable (its ``__name__`` names it)."""
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {sorted(METRICS)} or a callable "
                         "metric(outputs, targets) -> float")
    return ("accuracy" if metric == "acc" else metric), METRICS[metric]
