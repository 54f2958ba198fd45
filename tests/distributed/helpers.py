"""Launch a worker script on two MPI ranks and collect what it wrote.

Each test runs ``mpiexec -n 2 python -m mpi4py tests/distributed/workers/<worker>.py OUT
[args]`` in a subprocess with a timeout and one BLAS/OpenMP thread per rank; workers write
``.npz`` / ``.json`` files into OUT, which the test then compares. ``python -m mpi4py``
aborts the whole job when a rank raises, so a failing worker ends quickly and non-zero.
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

WORKERS = Path(__file__).parent / "workers"
ROOT = Path(__file__).resolve().parents[2]


def _missing(reason):
    # CI (MINIDL_REQUIRE_REFERENCES=1) installs the dist extra: there a missing one fails
    if os.environ.get("MINIDL_REQUIRE_REFERENCES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def mpiexec():
    """The ``mpiexec`` of the dist extra, or skip the test with the reason."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        _missing("the dist extra is not installed (pip install minidl[dist]: mpi4py + mpich)")
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        _missing("mpi4py is installed but no mpiexec was found (pip install mpich)")
    return found


def launch(worker, out, *args, ranks=2, timeout=120, module=None, check=True, env=None):
    """Run a worker on ``ranks`` processes; returns (CompletedProcess, seconds)."""
    command = [mpiexec(), "-n", str(ranks), sys.executable, "-m", "mpi4py"]
    if module is not None:
        command += ["-m", module]
    else:
        command.append(str(WORKERS / f"{worker}.py"))
    command += [str(out), *map(str, args)] if out is not None else list(map(str, args))
    environment = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                       MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    environment.pop("MINIDL_DEVICE", None)
    environment.update(env or {})
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=environment, cwd=str(ROOT))
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(command)} hung for {timeout} s:\n{exc.stdout}\n{exc.stderr}")
    seconds = time.perf_counter() - start
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n"
                    f"{done.stderr}")
    return done, seconds
