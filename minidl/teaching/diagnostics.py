"""A Trainer callback that watches training from the inside, layer by layer, epoch by epoch.

For every layer with parameters: the gradient norm and the update-to-weight ratio
||Δθ|| / ||θ|| (a healthy ratio is often around 1e-3). For every layer: the mean and standard
deviation of its output activations. For every ReLU: the fraction of dead units (units that
output 0 for every training sample of the epoch). It warns, naming the layer, when gradients
vanish or explode, when they are NaN (told apart from large: a NaN points at the data or an
undefined operation, not at the learning rate), or when many ReLU units are dead.

    >>> import minidl as mdl
    >>> from minidl.teaching import Diagnostics
    >>> _ = mdl.manual_seed(0)
    >>> model = mdl.nn.MLP(4, [8], 3)
    >>> diag = Diagnostics()
    >>> trainer = mdl.Trainer(model, mdl.optim.SGD(model.parameters(), lr=0.1),
    ...                       mdl.nn.CrossEntropyLoss(), callbacks=[diag])
    >>> x, y = mdl.randn(64, 4).numpy(), (mdl.rand(64).numpy() * 3).astype("int64")
    >>> _ = trainer.fit((x, y), epochs=2, progress=False)
    >>> sorted(diag.history[-1])
    ['layers.0', 'layers.1', 'layers.2']
    >>> sorted(diag.history[-1]["layers.1"])
    ['act_mean', 'act_std', 'dead_fraction', 'type']
"""
import math
import warnings

from minidl.training.callbacks import Callback


class TrainingDiagnosticsWarning(UserWarning):
    """A warning about training health (vanishing/exploding gradients, dead units)."""


DEAD_CAPABLE = ("ReLU", "ReLU6")


class Diagnostics(Callback):
    """Per-layer, per-epoch gradient norms, update ratios, activation statistics, dead ReLUs.

    Args:
        vanishing: warn when a layer's mean gradient norm in an epoch is below this.
        exploding: warn when it is above this (or not finite).
        dead: warn when at least this fraction of a ReLU layer's units is dead.
        every: sample one batch in ``every`` (1: all of them).
        verbose: print the table at the end of every epoch.
        warn: emit :class:`TrainingDiagnosticsWarning` warnings.

    Attributes:
        history: one dict per epoch: ``{layer name: {'type', 'grad_norm', 'update_ratio',
            'act_mean', 'act_std', 'dead_fraction'}}`` (keys that apply to the layer).
    """

    def __init__(self, vanishing=1e-6, exploding=1e3, dead=0.5, every=1, verbose=False,
                 warn=True):
        if every < 1:
            raise ValueError(f"Diagnostics: every must be >= 1, got {every}")
        self.vanishing = vanishing
        self.exploding = exploding
        self.dead = dead
        self.every = every
        self.verbose = verbose
        self.warn = warn
        self.history = []
        self._layers = []      # (name, module) of the leaf modules
        self._wrapped = []
        self._recording = False

    # -- installing the activation recorder --------------------------------------------------
    def on_train_begin(self, trainer):
        self._layers = [(name, m) for name, m in trainer.model.named_modules()
                        if name and not any(True for _ in m.children())]
        for name, module in self._layers:
            self._wrap(name, module)

    def on_train_end(self, trainer):
        for handle in self._wrapped:
            handle.remove()
        self._wrapped = []

    def _wrap(self, name, module):
        """Record the module's output through a forward hook (while ``_recording``)."""
        def record(module, args, y):
            if self._recording:
                self._record_activation(name, module, y)

        self._wrapped.append(module.register_forward_hook(record))

    # -- the batch hooks ------------------------------------------------------------------------
    def on_epoch_begin(self, trainer, epoch):
        self._acc = {name: {} for name, _ in self._layers}
        self._batches = 0

    def on_batch_begin(self, trainer, batch):
        self._recording = batch % self.every == 0

    def on_after_backward(self, trainer, batch):
        if not self._recording:
            return
        self._recording = False   # the forward pass is over
        self._batches += 1
        for name, module in self._layers:
            params = [p for p in module.parameters() if p.grad is not None]
            if not params:
                continue
            acc = self._acc[name]
            _add(acc, "grad_sq", sum(_sq(p.grad.data) for p in params))
            acc["n_grad"] = acc.get("n_grad", 0) + 1
            acc["_before"] = [(p, p.data.copy()) for p in params]

    def on_batch_end(self, trainer, batch, logs):
        for name, _ in self._layers:
            acc = self._acc[name]
            before = acc.pop("_before", None)
            if before is None:
                continue
            moved = sum(_sq(p.data - old) for p, old in before)
            size = sum(_sq(p.data) for p, _ in before)
            _add(acc, "ratio", _sqrt(moved) / (_sqrt(size) + 1e-12))

    def _record_activation(self, name, module, y):
        data = getattr(y, "data", None)
        if data is None or not hasattr(data, "dtype") or data.dtype.kind != "f":
            return
        acc = self._acc[name]
        _add(acc, "sum", data.sum(dtype="float64"))
        _add(acc, "sum_sq", _sq(data))
        acc["count"] = acc.get("count", 0) + data.size
        if type(module).__name__ in DEAD_CAPABLE and data.ndim >= 2:
            axes = (0,) + tuple(range(2, data.ndim))
            active = (data > 0).any(axis=axes)
            acc["active"] = active if "active" not in acc else (acc["active"] | active)

    # -- the epoch summary -----------------------------------------------------------------------
    def on_epoch_end(self, trainer, epoch, logs):
        summary = {}
        for name, module in self._layers:
            acc = self._acc[name]
            row = {"type": type(module).__name__}
            if acc.get("n_grad"):
                row["grad_norm"] = math.sqrt(float(acc["grad_sq"]) / acc["n_grad"])
                row["update_ratio"] = float(acc["ratio"]) / acc["n_grad"]
            if acc.get("count"):
                mean = float(acc["sum"]) / acc["count"]
                var = max(float(acc["sum_sq"]) / acc["count"] - mean * mean, 0.0)
                row["act_mean"] = mean
                row["act_std"] = math.sqrt(var)
            if "active" in acc:
                active = acc["active"]
                row["dead_fraction"] = 1.0 - float(active.sum()) / active.size
            summary[name] = row
            if self.warn:
                self._check(name, row, epoch)
        self.history.append(summary)
        if self.verbose:
            print(self.table())

    def _check(self, name, row, epoch):
        where = f"layer '{name}' ({row['type']}), epoch {epoch + 1}"
        g = row.get("grad_norm")
        if g is not None:
            if math.isnan(g):
                warnings.warn(f"{where}: the gradients hold NaN (not a number), which is not "
                              "the same as large: a NaN came from the data or from an undefined "
                              "operation (0/0, inf − inf, log of a negative number), not from a "
                              "too high learning rate; check the inputs for NaN, or find the op "
                              "with minidl.autograd.detect_anomaly()",
                              TrainingDiagnosticsWarning, stacklevel=3)
            elif math.isinf(g) or g > self.exploding:
                warnings.warn(f"{where}: gradient norm {g:.3g} is above {self.exploding:g}: "
                              "gradients are exploding (lower the learning rate or clip the "
                              "gradients with nn.utils.clip_grad_norm_)",
                              TrainingDiagnosticsWarning, stacklevel=3)
            elif g < self.vanishing:
                warnings.warn(f"{where}: gradient norm {g:.3g} is below {self.vanishing:g}: "
                              "gradients are vanishing (saturating sigmoid/tanh in a deep net? "
                              "try ReLU, a better initialisation or BatchNorm)",
                              TrainingDiagnosticsWarning, stacklevel=3)
        mean = row.get("act_mean")
        if mean is not None and math.isnan(mean) and (g is None or not math.isnan(g)):
            warnings.warn(f"{where}: its outputs hold NaN (not a number); check the inputs for "
                          "NaN, or find the op with minidl.autograd.detect_anomaly()",
                          TrainingDiagnosticsWarning, stacklevel=3)
        dead = row.get("dead_fraction")
        if dead is not None and dead >= self.dead:
            warnings.warn(f"{where}: {dead:.0%} of its units output 0 for every training "
                          "sample (dead ReLUs; lower the learning rate, or try LeakyReLU)",
                          TrainingDiagnosticsWarning, stacklevel=3)

    def table(self, epoch=-1):
        """The diagnostics of one epoch (default: the last) as a text table."""
        if not self.history:
            return "diagnostics: no epoch finished yet"
        summary = self.history[epoch]
        number = epoch + 1 if epoch >= 0 else len(self.history) + epoch + 1

        def fmt(row, key, spec):
            return format(row[key], spec) if key in row else "-"

        rows = [(name, r["type"], fmt(r, "grad_norm", ".3e"), fmt(r, "update_ratio", ".3e"),
                 fmt(r, "act_mean", ".4f"), fmt(r, "act_std", ".4f"),
                 fmt(r, "dead_fraction", ".1%")) for name, r in summary.items()]
        header = ("layer", "type", "|grad|", "|Δθ|/|θ|", "act mean", "act std", "dead")
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines = [f"diagnostics, epoch {number}",
                 "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        return "\n".join(lines)


def _sq(a):
    """Sum of squares of an array, in float64, kept on its device (a 0-d array)."""
    a = a.astype("float64")
    return (a * a).sum()


def _sqrt(x):
    return math.sqrt(float(x))


def _add(acc, key, value):
    acc[key] = value if key not in acc else acc[key] + value
