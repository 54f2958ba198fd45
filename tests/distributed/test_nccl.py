"""The NCCL path's plumbing, against a fake ``cupy.cuda.nccl`` (CI has no GPU).

What is checked: the unique id travels from rank 0 over MPI as 128 bytes, every collective
passes NCCL the array's device pointer, element count, dtype code, op and the current
stream, and ``wait()`` synchronises that stream. Whether real NCCL then moves the bytes is
not tested here.
"""
import sys
import types

import numpy as np
import pytest


class _Memory:
    def __init__(self, array):
        self.ptr = array.ctypes.data


class _DeviceArray:
    """Enough of a CuPy array: ``data.ptr``, ``size``, ``dtype``."""

    def __init__(self, array):
        self.array = array
        self.data = _Memory(array)
        self.size = array.size
        self.dtype = array.dtype


@pytest.fixture
def fake_cupy(monkeypatch):
    pytest.importorskip("mpi4py")
    calls = []

    class Stream:
        ptr = 1234

        def synchronize(self):
            calls.append(("synchronize",))

    class Communicator:
        def __init__(self, ndev, uid, rank):
            calls.append(("init", ndev, len(uid), rank))

        def allReduce(self, send, recv, count, dtype, op, stream):
            calls.append(("allReduce", send, recv, count, dtype, op, stream))

        def bcast(self, buf, count, dtype, root, stream):
            calls.append(("bcast", buf, count, dtype, root, stream))

        def allGather(self, send, recv, count, dtype, stream):
            calls.append(("allGather", send, recv, count, dtype, stream))

    nccl = types.SimpleNamespace(
        available=True, NcclCommunicator=Communicator, get_unique_id=lambda: tuple(range(128)),
        NCCL_SUM=0, NCCL_MAX=2, NCCL_MIN=3, NCCL_FLOAT16=6, NCCL_FLOAT32=7, NCCL_FLOAT64=8,
        NCCL_INT32=2, NCCL_INT64=4, NCCL_UINT8=1, NCCL_INT8=0)
    device = types.SimpleNamespace(use=lambda: calls.append(("use",)))
    cuda = types.SimpleNamespace(
        nccl=nccl, Device=lambda i: (calls.append(("device", i)), device)[1],
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
        get_current_stream=lambda: Stream())
    cupy = types.ModuleType("cupy")
    cupy.cuda = cuda
    cuda_module = types.ModuleType("cupy.cuda")
    cuda_module.__dict__.update(vars(cuda))
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cupy.cuda", cuda_module)
    monkeypatch.setitem(sys.modules, "cupy.cuda.nccl", nccl)
    return calls


def test_nccl_group_passes_pointers_counts_dtypes_and_the_stream(fake_cupy):
    from minidl.distributed import world as world_module
    from minidl.distributed.nccl import NcclGroup
    world = world_module.init()
    group = NcclGroup.create(world)
    assert group is not None
    assert fake_cupy[:3] == [("device", 0), ("use",), ("init", world.size, 128, world.rank)]
    a = _DeviceArray(np.zeros((2, 3), np.float32))
    out = _DeviceArray(np.zeros((world.size, 2, 3), np.float32))
    del fake_cupy[:]
    group.all_reduce(a, "max", "test").wait()
    group.broadcast(a, 0, "test").wait()
    group.all_gather(a, out, "test").wait()
    ptr = a.data.ptr
    assert fake_cupy == [("allReduce", ptr, ptr, 6, 7, 2, 1234), ("synchronize",),
                         ("bcast", ptr, 6, 7, 0, 1234), ("synchronize",),
                         ("allGather", ptr, out.data.ptr, 6, 7, 1234), ("synchronize",)]
    with pytest.raises(TypeError, match="NCCL: no collective for dtype complex64"):
        group.all_reduce(_DeviceArray(np.zeros(2, np.complex64)), "sum", "test")


def test_without_nccl_there_is_no_group(monkeypatch):
    pytest.importorskip("mpi4py")
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    from minidl.distributed import world as world_module
    from minidl.distributed.nccl import NcclGroup
    assert NcclGroup.create(world_module.init()) is None
