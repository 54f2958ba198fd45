"""The progress display at a real terminal width: the epoch summary is never cut off."""
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import numpy as np, minidl as mdl
    from tests.training.helpers import blobs, mlp
    x, y = blobs(n=64)
    model = mlp()
    trainer = mdl.Trainer(model, mdl.optim.SGD(model.parameters(), lr=0.1), "cross_entropy")
    trainer.fit((x, y), epochs=2, val_data=(x, y), batch_size=16, progress=True)
""")


def _run_in_pty(columns):
    """Run SCRIPT with stderr on a pseudo-terminal ``columns`` wide; its text as seen there."""
    pty = pytest.importorskip("pty")
    fcntl = pytest.importorskip("fcntl")
    termios = pytest.importorskip("termios")
    import struct
    try:
        master, slave = pty.openpty()
    except OSError as exc:  # a sandbox without pseudo-terminals
        pytest.skip(f"no pseudo-terminal available: {exc}")
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = dict(os.environ, COLUMNS=str(columns), PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.parametrize("columns", [40, 80])
def test_epoch_summary_is_printed_whole_on_a_narrow_terminal(columns):
    pytest.importorskip("tqdm")
    text = _run_in_pty(columns)
    # the lines left on the screen: what follows the last carriage return of each line
    lines = [line.split("\r")[-1] for line in text.replace("\r\n", "\n").split("\n")]
    summaries = [line for line in lines if line.startswith("epoch ") and "val_accuracy" in line]
    assert len(summaries) == 2, text
    for line in summaries:
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "samples/s"):
            assert key in line, line
    assert summaries[1].startswith("epoch 2/2: loss ")
