"""Collectives on CUDA arrays through NCCL (CuPy's ``cupy.cuda.nccl``), set up over MPI.

Rank 0 makes NCCL's unique id and broadcasts its 128 bytes over MPI; every rank then joins
one NCCL communicator on its own GPU (local rank modulo the GPUs of the node). Operations are
queued on the current CuPy stream; ``wait()`` synchronises that stream. NCCL has no timeout
of its own: a rank that never joins leaves the others waiting.

Untested in minidl's CI (it has no GPU): the host-staging path of
:mod:`minidl.distributed.transport` covers correctness; this file only changes where the
bytes travel.
"""
import warnings

import numpy as np

from minidl.distributed.transport import Pending


class _StreamDone:
    """A stand-in for an MPI request: done once the stream has run the NCCL call."""

    def __init__(self, stream):
        self.stream = stream

    def Test(self):
        self.stream.synchronize()
        return True


class NcclGroup:
    """One NCCL communicator over the ranks of a :class:`~minidl.distributed.world.World`."""

    def __init__(self, comm, nccl, cupy):
        self.comm = comm
        self.nccl = nccl
        self.cupy = cupy
        self.ops = {"sum": nccl.NCCL_SUM, "max": nccl.NCCL_MAX, "min": nccl.NCCL_MIN}
        self.dtypes = {np.dtype(np.float16): nccl.NCCL_FLOAT16,
                       np.dtype(np.float32): nccl.NCCL_FLOAT32,
                       np.dtype(np.float64): nccl.NCCL_FLOAT64,
                       np.dtype(np.int32): nccl.NCCL_INT32,
                       np.dtype(np.int64): nccl.NCCL_INT64,
                       np.dtype(np.uint8): nccl.NCCL_UINT8,
                       np.dtype(np.int8): nccl.NCCL_INT8}

    @classmethod
    def create(cls, world):
        """The group, or None (with a warning; the caller stages through host memory)."""
        try:
            import cupy
            from cupy.cuda import nccl
            if not nccl.available:
                raise ImportError("cupy.cuda.nccl is not available")
        except (ImportError, AttributeError):
            return None
        from mpi4py import MPI
        local = world.comm.Split_type(MPI.COMM_TYPE_SHARED)
        cupy.cuda.Device(local.Get_rank() % cupy.cuda.runtime.getDeviceCount()).use()
        uid = np.zeros(128, dtype=np.int8)  # NCCL_UNIQUE_ID_BYTES, sent as a buffer
        if world.rank == 0:
            uid[:] = nccl.get_unique_id()
        world.comm.Bcast(uid, root=0)
        try:
            comm = nccl.NcclCommunicator(world.size, tuple(int(b) for b in uid), world.rank)
        except Exception as exc:  # noqa: BLE001  (NCCL's own error types vary by version)
            warnings.warn(f"minidl.distributed: NCCL could not start ({exc}); staging CUDA "
                          "arrays through host memory instead", RuntimeWarning)
            return None
        return cls(comm, nccl, cupy)

    def _dtype(self, array):
        try:
            return self.dtypes[np.dtype(array.dtype)]
        except KeyError:
            raise TypeError(f"NCCL: no collective for dtype {array.dtype}") from None

    def _pending(self, what):
        return Pending(_StreamDone(self.cupy.cuda.get_current_stream()), what)

    def all_reduce(self, array, op, what):
        stream = self.cupy.cuda.get_current_stream().ptr
        self.comm.allReduce(array.data.ptr, array.data.ptr, array.size, self._dtype(array),
                            self.ops[op], stream)
        return self._pending(what)

    def broadcast(self, array, src, what):
        stream = self.cupy.cuda.get_current_stream().ptr
        self.comm.bcast(array.data.ptr, array.size, self._dtype(array), src, stream)
        return self._pending(what)

    def all_gather(self, array, out, what):
        stream = self.cupy.cuda.get_current_stream().ptr
        self.comm.allGather(array.data.ptr, out.data.ptr, array.size, self._dtype(array), stream)
        return self._pending(what)
