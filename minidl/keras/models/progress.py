"""Keras's progress display for ``fit`` / ``evaluate`` / ``predict``.

verbose=1: a bar that fills as batches finish, then the epoch's line::

    1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 1ms/step - accuracy: 0.9212 - loss: 0.2713

(redrawn in place on a terminal, at most every 0.05 s; only the finished line elsewhere).
verbose=2: that line without the bar, once per epoch (``1875/1875 - 3s - 1ms/step - ...``).
verbose=0: nothing. Values are the running epoch means, in the logs' order.
"""
import sys
import time

_BAR_WIDTH = 20
_INTERVAL_S = 0.05


def resolve_verbose(verbose):
    """'auto' is 1, as in Keras outside distributed training."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return verbose


def format_step_time(seconds, unit="step"):
    """``' 2ms/step'``: seconds per step in s, ms or us, as Keras writes it."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def format_value(value):
    return f" {value:.4f}" if abs(value) > 1e-3 else f" {value:.4e}"


class Progbar:
    """One epoch's (or one evaluation's) progress over ``steps`` batches."""

    def __init__(self, steps, verbose, stream=None):
        self.steps = steps
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._width = 0
        isatty = getattr(self.stream, "isatty", None)
        self.dynamic = bool(isatty and isatty())

    def update(self, step, logs=None, finalize=False):
        """Batch ``step`` (counting from 1) is done; ``logs`` are the running values."""
        if self.verbose == 0 or (not finalize and not (self.verbose == 1 and self.dynamic)):
            return
        now = time.perf_counter()
        if not finalize and now - self._last_draw < _INTERVAL_S:
            return
        self._last_draw = now
        elapsed = now - self.start
        per_step = elapsed / max(step, 1)
        digits = len(str(self.steps))
        count = f"{step:{digits}d}/{self.steps}"
        values = "".join(f" - {k}:{format_value(v)}" for k, v in (logs or {}).items())
        if self.verbose == 2:
            self.stream.write(f"{count} - {elapsed:.0f}s -{format_step_time(per_step)}{values}\n")
            self.stream.flush()
            return
        filled = int(_BAR_WIDTH * step / self.steps) if self.steps else _BAR_WIDTH
        # Keras colours the done part green and the rest grey; plain text keeps logs clean
        bar = "━" * filled + "╌" * (_BAR_WIDTH - filled)
        if finalize:
            timing = f" {elapsed:.0f}s"
        else:
            timing = f" {per_step * (self.steps - step):.0f}s"
        line = f"{count} {bar}{timing}{format_step_time(per_step)}{values}"
        pad = " " * max(self._width - len(line), 0)
        self._width = len(line)
        prefix = "\r" if self.dynamic else ""
        self.stream.write(prefix + line + pad + ("\n" if finalize else ""))
        self.stream.flush()
