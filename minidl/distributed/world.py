"""The process group: which process this is, how many there are, and waiting with a deadline.

minidl runs data-parallel training on MPI, through mpi4py (``pip install minidl[dist]``
installs mpi4py and the MPICH wheel, whose ``mpiexec`` starts the processes). Every process
of ``mpiexec -n N`` is one *rank* of ``MPI.COMM_WORLD``; a plain ``python`` run is a world
of one, with or without mpi4py.

MPI collectives have no timeout: a rank waiting for a peer that died or took another branch
waits forever. minidl therefore starts every collective non-blocking and polls it against a
deadline (:func:`wait`); when the deadline passes, :class:`DistributedTimeoutError` is
raised. An uncaught exception on any rank ends the whole job: ``python -m mpi4py script.py``
calls ``MPI_Abort`` for it, and :func:`init` installs the same behaviour for scripts started
without ``-m mpi4py`` (``python -m minidl train --distributed``).
"""
import os
import sys
import time

DEFAULT_TIMEOUT_S = 1800.0  # PyTorch's default process-group timeout: 30 minutes
_SPIN_S = 20e-3             # poll without sleeping this long (a collective is usually quick)
_MAX_NAP_S = 1e-3           # then sleep between polls, at most this long
_yield = getattr(os, "sched_yield", lambda: None)  # let a rank sharing this core run

# Environment variables by which MPI launchers tell a process how many ranks were started.
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


class DistributedTimeoutError(RuntimeError):
    """A collective did not complete in time (another rank failed, hangs, or skipped it)."""


class World:
    """The ranks of one job: ``rank`` (this process), ``size`` (how many), ``comm`` (the
    mpi4py communicator, None in a world of one without mpi4py) and ``timeout`` (seconds)."""

    def __init__(self, comm, timeout):
        self.comm = comm
        self.rank = 0 if comm is None else comm.Get_rank()
        self.size = 1 if comm is None else comm.Get_size()
        self.timeout = timeout
        self.nccl = None  # the NCCL communicator, made on the first collective on CUDA tensors

    @property
    def is_main_process(self):
        """True on rank 0, the rank that prints and writes files."""
        return self.rank == 0

    def all_sum(self, values):
        """The elementwise sum over the ranks of a list of numbers, as floats (the Trainer
        averages its epoch metrics with it: one small collective)."""
        if self.size == 1:
            return [float(v) for v in values]
        import numpy as np
        from mpi4py import MPI
        array = np.array(values, dtype=np.float64)
        wait(self.comm.Iallreduce(MPI.IN_PLACE, array, op=MPI.SUM), "all_sum")
        return array.tolist()

    def __repr__(self):
        return f"World(rank={self.rank}, size={self.size}, timeout={self.timeout}s)"


_world = None


def init(timeout=None):
    """Join the job started by ``mpiexec`` (idempotent); without a launcher, a world of one.

    Args:
        timeout: seconds a collective may wait for the other ranks before
            :class:`DistributedTimeoutError` (default ``$MINIDL_DIST_TIMEOUT`` or 1800).
            Given again on a later call, it replaces the current timeout.

    Returns:
        The :class:`World` (``rank``, ``size``, ``is_main_process``).

    Example:
        >>> from minidl import distributed as dist
        >>> world = dist.init()
        >>> dist.get_rank(), dist.get_world_size()  # a plain python run: a world of one
        (0, 1)
    """
    global _world
    if timeout is not None:
        timeout = float(timeout)
        if not timeout > 0:
            raise ValueError(f"init: timeout must be a positive number of seconds, got {timeout}")
    if _world is not None:
        if timeout is not None:
            _world.timeout = timeout
        return _world
    if timeout is None:
        timeout = float(os.environ.get("MINIDL_DIST_TIMEOUT", DEFAULT_TIMEOUT_S))
    _world = World(_comm_world(), timeout)
    if _world.size > 1:
        _abort_on_uncaught_exception(_world)
    return _world


def is_initialized():
    """Whether :func:`init` has run in this process."""
    return _world is not None


def get_world():
    """The :class:`World`, joining it first if needed."""
    return _world if _world is not None else init()


def get_rank():
    """This process's rank, 0 … world size − 1 (0 without a launcher)."""
    return get_world().rank


def get_world_size():
    """The number of processes of the job (1 without a launcher)."""
    return get_world().size


def is_main_process():
    """True on rank 0: the rank that prints, draws progress and writes files."""
    return get_world().rank == 0


def barrier():
    """Wait until every rank has reached this call (with the timeout of :func:`init`)."""
    world = get_world()
    if world.size > 1:
        wait(world.comm.Ibarrier(), "barrier")


def abort(code=1):
    """End every rank of the job now, with exit status ``code`` (MPI_Abort); in a world of
    one, exit this process. For a rank that must stop while others may wait in a collective
    (a plain ``sys.exit`` on one rank would leave them waiting until their timeout)."""
    world = get_world()
    sys.stdout.flush()
    sys.stderr.flush()
    if world.comm is not None and world.size > 1:
        world.comm.Abort(int(code))
    sys.exit(int(code))


def wait(request, what):
    """Wait for a non-blocking MPI request, at most the world's timeout.

    MPI offers no timeout on a collective: a rank whose peer died or never calls it would
    wait forever. This polls ``request.Test()`` (for 20 ms yielding the core between polls,
    then with naps of up to 1 ms) and raises :class:`DistributedTimeoutError` when the
    deadline passes; an uncaught exception then aborts the whole job (see :func:`init`).
    """
    if request.Test():
        return
    world = get_world()
    start = time.perf_counter()
    deadline = start + world.timeout
    nap = 1e-5
    while not request.Test():
        now = time.perf_counter()
        if now > deadline:
            raise DistributedTimeoutError(
                f"{what} did not complete within {world.timeout:g} s on rank {world.rank} of "
                f"{world.size}: another rank has failed, hangs, or did not call it (every rank "
                "must run the same collectives in the same order). Change the limit with "
                "minidl.distributed.init(timeout=...) or $MINIDL_DIST_TIMEOUT")
        if now - start < _SPIN_S:
            _yield()
        else:
            time.sleep(nap)
            nap = min(2 * nap, _MAX_NAP_S)


def _comm_world():
    try:
        from mpi4py import MPI
    except ImportError:
        launched = {v: os.environ[v] for v in _LAUNCHER_SIZE_VARS if v in os.environ}
        if any(value not in ("", "1") for value in launched.values()):
            raise ImportError(
                "minidl.distributed: this process was started by an MPI launcher ("
                + ", ".join(f"{k}={v}" for k, v in launched.items())
                + ") but mpi4py is not installed; install it with `pip install minidl[dist]` "
                "(mpi4py and the MPICH wheel)") from None
        return None  # a plain run without mpi4py: a world of one
    return MPI.COMM_WORLD


def _abort_on_uncaught_exception(world):
    """An uncaught exception on one rank aborts every rank (what ``python -m mpi4py`` does),
    instead of leaving the others waiting in a collective until their timeout."""
    previous = sys.excepthook

    def abort(kind, value, traceback):
        previous(kind, value, traceback)
        sys.stderr.flush()
        world.comm.Abort(1)

    sys.excepthook = abort
