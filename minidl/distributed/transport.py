"""Moving arrays between ranks: MPI on host memory, NCCL on CUDA, host staging otherwise.

Every function here *starts* a collective on a raw array and returns a handle whose
``wait()`` completes it, so that data-parallel training can overlap the reduction of one
bucket of gradients with the backward pass of the layers below. Arrays are exchanged through
mpi4py's buffer interface (``Iallreduce(MPI.IN_PLACE, array)``): no pickling, no copies.

CUDA arrays go through NCCL (:mod:`minidl.distributed.nccl`) when CuPy has it; otherwise
they are staged through host memory, with a warning (once), which is correct but slow.
Arrays of other devices (the strict test device) are staged through host memory silently.
"""
import os
import warnings

from minidl.distributed.world import wait

_MPI_OPS = ("sum", "max", "min")


class Pending:
    """A started collective; ``wait()`` completes it (and copies staged results back)."""

    __slots__ = ("request", "what", "finish")

    def __init__(self, request, what, finish=None):
        self.request = request
        self.what = what
        self.finish = finish

    def wait(self):
        if self.request is not None:
            wait(self.request, self.what)
            self.request = None
        if self.finish is not None:
            finish, self.finish = self.finish, None
            finish()

    def test(self):
        """Let MPI make progress on it (non-blocking); True once it has completed."""
        return self.request is None or bool(self.request.Test())


DONE = Pending(None, "nothing")


def start_all_reduce(world, array, backend, op="sum", what="all_reduce"):
    """Start reducing ``array`` (C-contiguous) in place over all ranks with ``op``."""
    if world.size == 1:
        return DONE
    from mpi4py import MPI
    mpi_op = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]
    if backend.name == "cpu":
        return Pending(world.comm.Iallreduce(MPI.IN_PLACE, array, op=mpi_op), what)
    if backend.name == "cuda":
        nccl = _nccl(world)
        if nccl is not None:
            return nccl.all_reduce(array, op, what)
    host = _to_host(world, array, backend)
    request = world.comm.Iallreduce(MPI.IN_PLACE, host, op=mpi_op)
    return Pending(request, what, lambda: _copy_back(array, host, backend))


class SharedArray:
    """A host array of the same length on every rank, where each rank can read and write the
    copies of all the others: an MPI-3 shared-memory window, for a job whose ranks all run on
    one machine (:meth:`allocate` returns None otherwise).

    Summing over the ranks then needs no messages: after a barrier each rank adds up its own
    ``1/P`` stretch of all the copies, in rank order, and writes the sum into every copy;
    after a second barrier every copy holds the whole sum. On two ranks this is bit for bit
    MPI's ``MPI_SUM`` (a + b = b + a); on more it is rank order on every rank (MPI leaves the
    order to its algorithm). It moves each element once where MPI's shared-memory
    all-reduce copies it through its own buffers, and adds with NumPy's vector loops.

    Attributes:
        array: this rank's copy (a NumPy array), zeros at first.
    """

    __slots__ = ("world", "window", "copies", "array")

    @classmethod
    def allocate(cls, world, size, dtype):
        """A shared array of ``size`` elements of ``dtype`` (a collective: every rank calls it,
        with the same arguments), or None in a world of one, when the ranks do not share
        one machine, or when ``$MINIDL_DIST_SHARED_MEMORY`` is 0 (MPI messages instead)."""
        if world.size == 1 or os.environ.get("MINIDL_DIST_SHARED_MEMORY", "1") == "0":
            return None
        import numpy as np
        from mpi4py import MPI
        node = world.comm.Split_type(MPI.COMM_TYPE_SHARED)  # (ordered by world rank)
        if node.size != world.size:
            node.Free()
            return None
        dtype = np.dtype(dtype)
        self = cls()
        self.world = world
        self.window = MPI.Win.Allocate_shared(max(size, 1) * dtype.itemsize, dtype.itemsize,
                                              comm=node)
        node.Free()  # (the window keeps its own group)
        self.window.Lock_all(MPI.MODE_NOCHECK)  # one passive epoch; Sync() orders memory
        self.copies = [np.frombuffer(self.window.Shared_query(r)[0], dtype=dtype, count=size)
                       for r in range(world.size)]
        self.array = self.copies[world.rank]
        self.array[...] = 0
        self._barrier("SharedArray")  # every copy is zero before anyone writes
        return self

    def all_reduce(self, start, stop, what="all_reduce"):
        """``array[start:stop] ← Σ_r copy_r[start:stop]`` on every rank (a collective)."""
        import numpy as np
        rank, size = self.world.rank, self.world.size
        lo = start + (stop - start) * rank // size       # this rank's stretch to sum
        hi = start + (stop - start) * (rank + 1) // size
        copies = self.copies
        self._barrier(what)  # every rank has written its copy
        total = self.array[lo:hi]
        np.add(copies[0][lo:hi], copies[1][lo:hi], out=total)  # (elementwise: out may alias)
        for r in range(2, size):
            total += copies[r][lo:hi]
        for r in range(size):
            if r != rank:
                copies[r][lo:hi] = total
        self._barrier(what)  # every stretch is summed into every copy

    def all_gather_parts(self, array, bounds, what="all_gather"):
        """Give every rank all of the 1-D host ``array`` (at most this shared array's size):
        rank r contributes ``array[bounds[r]:bounds[r + 1]]``, the rest is overwritten with the
        other ranks' stretches (a collective: ``start_all_gather_parts`` through shared
        memory, each stretch copied once into its rank's copy and once out of it)."""
        rank = self.world.rank
        self.array[bounds[rank]:bounds[rank + 1]] = array[bounds[rank]:bounds[rank + 1]]
        self._barrier(what)  # every rank has published its stretch
        for r, copy in enumerate(self.copies):
            if r != rank:
                array[bounds[r]:bounds[r + 1]] = copy[bounds[r]:bounds[r + 1]]
        self._barrier(what)  # every rank has read them before any copy is written again

    def _barrier(self, what):
        self.window.Sync()
        wait(self.world.comm.Ibarrier(), what)
        self.window.Sync()


def start_shared_all_reduce(shared, start, stop, what="all_reduce"):
    """Sum ``shared.array[start:stop]`` over the ranks (see :class:`SharedArray`); the work
    is done by ``wait()``, when every rank has its part ready."""
    return Pending(None, what, lambda: shared.all_reduce(start, stop, what))


def start_shared_all_gather_parts(shared, array, bounds, what="all_gather"):
    """``start_all_gather_parts`` through ``shared`` (see :meth:`SharedArray.all_gather_parts`);
    the work is done by ``wait()``."""
    return Pending(None, what, lambda: shared.all_gather_parts(array, bounds, what))


def start_broadcast(world, array, backend, src, what="broadcast"):
    """Start overwriting ``array`` on every rank with rank ``src``'s."""
    if world.size == 1:
        return DONE
    if backend.name == "cpu":
        return Pending(world.comm.Ibcast(array, root=src), what)
    if backend.name == "cuda":
        nccl = _nccl(world)
        if nccl is not None:
            return nccl.broadcast(array, src, what)
    host = _to_host(world, array, backend)
    return Pending(world.comm.Ibcast(host, root=src), what,
                   lambda: _copy_back(array, host, backend))


def start_all_gather(world, array, out, backend, what="all_gather"):
    """Start filling ``out`` (shape ``(world.size, *array.shape)``) with every rank's array."""
    if world.size == 1:
        out[0] = array
        return DONE
    if backend.name == "cpu":
        return Pending(world.comm.Iallgather(array, out), what)
    if backend.name == "cuda":
        nccl = _nccl(world)
        if nccl is not None:
            return nccl.all_gather(array, out, what)
    host_out = backend.to_numpy(out)
    request = world.comm.Iallgather(_to_host(world, array, backend), host_out)
    return Pending(request, what, lambda: _copy_back(out, host_out, backend))


def start_all_gather_parts(world, array, bounds, backend, what="all_gather"):
    """Start giving every rank all of the 1-D ``array``: rank r contributes its stretch
    ``array[bounds[r]:bounds[r + 1]]`` (in place, ``MPI_Allgatherv``); the rest is overwritten.
    Arrays off the host are staged through host memory."""
    if world.size == 1:
        return DONE
    counts = [bounds[r + 1] - bounds[r] for r in range(world.size)]
    displacements = list(bounds[:-1])
    from mpi4py import MPI
    if backend.name == "cpu":
        return Pending(world.comm.Iallgatherv(MPI.IN_PLACE, [array, (counts, displacements)]),
                       what)
    host = backend.to_numpy(array).copy()
    request = world.comm.Iallgatherv(MPI.IN_PLACE, [host, (counts, displacements)])
    return Pending(request, what, lambda: _copy_back(array, host, backend))


def _nccl(world):
    """The world's NCCL communicator, made on first use; None (with a warning) without NCCL."""
    if world.nccl is None:
        from minidl.distributed import nccl
        world.nccl = nccl.NcclGroup.create(world) or False
    return world.nccl or None


_warned = set()


def _to_host(world, array, backend):
    if backend.name == "cuda" and "staging" not in _warned:
        _warned.add("staging")
        warnings.warn("minidl.distributed: NCCL is not available (CuPy without cupy.cuda.nccl), "
                      "so CUDA arrays are reduced through host memory over MPI: correct but "
                      "slow. Install CuPy with NCCL for GPU collectives.", RuntimeWarning,
                      stacklevel=4)
    return backend.to_numpy(array).copy()  # (a contiguous host copy that MPI may write)


def _copy_back(array, host, backend):
    array[...] = backend.from_numpy(host)
