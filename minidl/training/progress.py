"""The per-epoch progress display: a tqdm bar on a terminal, one plain line per epoch otherwise.

Modes: ``'bar'`` (tqdm is installed and the stream is a terminal: a live bar with steps, running
loss and metrics, samples/s, replaced at the end of the epoch by its summary line),
``'line'`` (no terminal, e.g. a log file or CI: one summary line per epoch), ``'off'``
(``progress=False``: nothing).

The summary line (``epoch 3/10: loss 0.1234 - accuracy 0.9650 - val_loss ... - 4.1s, ...``)
is printed whole in both modes: a bar is cut to the terminal's width, so the epoch's numbers
never live only in the bar.
"""
import sys
import time

try:
    from tqdm import tqdm
except ImportError:  # tqdm is optional: `pip install minidl[progress]`
    tqdm = None

_REFRESH_S = 0.2  # how often the bar's numbers are re-formatted (formatting costs time)


def choose_mode(progress, stream=None):
    """``'bar'``, ``'line'`` or ``'off'`` for ``progress`` (True, False or ``'line'``)."""
    if progress == "line":
        return "line"
    if not progress:
        return "off"
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if tqdm is not None and isatty is not None and isatty():
        return "bar"
    return "line"


def format_logs(logs):
    """``'loss 0.1234 - accuracy 0.9650 - val_loss ...'``."""
    return " - ".join(f"{k} {v:.4f}" for k, v in logs.items())


class EpochProgress:
    """Progress of one epoch of ``steps`` batches."""

    def __init__(self, epoch, epochs, steps, mode, stream=None):
        self.mode = mode
        self.stream = stream or sys.stderr
        self.label = f"epoch {epoch}/{epochs}"
        self.start = time.perf_counter()
        self.samples = 0
        self._next_refresh = self.start + _REFRESH_S
        self.bar = None
        if mode == "bar":
            # leave=False: the bar disappears when the epoch ends and the full summary line
            # takes its place (a bar is truncated to the terminal's width)
            self.bar = tqdm(total=steps, desc=self.label, unit="step", file=self.stream,
                            leave=False, dynamic_ncols=True)

    def update(self, batch_size, running):
        """One batch done; ``running`` is a callable giving the epoch's running logs (lazy)."""
        self.samples += batch_size
        if self.bar is None:
            return
        self.bar.update(1)
        now = time.perf_counter()
        if now >= self._next_refresh:
            self._next_refresh = now + _REFRESH_S
            rate = self.samples / max(now - self.start, 1e-9)
            self.bar.set_postfix_str(f"{format_logs(running())} - {rate:,.0f} samples/s",
                                     refresh=False)

    def abort(self):
        """The epoch ended early (an error, Ctrl-C): close the bar without a summary."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def close(self, logs):
        """The epoch is over: show its final logs (validation included)."""
        elapsed = time.perf_counter() - self.start
        rate = self.samples / max(elapsed, 1e-9)
        summary = f"{format_logs(logs)} - {elapsed:.1f}s, {rate:,.0f} samples/s"
        if self.bar is not None:
            self.bar.refresh()  # the finished bar (n/n steps), then the summary replaces it
            self.bar.close()
            self.bar = None
        if self.mode in ("bar", "line"):
            print(f"{self.label}: {summary}", file=self.stream, flush=True)
        return elapsed
