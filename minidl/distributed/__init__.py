"""Data-parallel training on MPI: the same model on every rank, each on its shard of the data.

Launch with ``mpiexec -n 2 python -m mpi4py train.py`` (``pip install minidl[dist]``
installs mpi4py and the MPICH wheel that provides ``mpiexec``) or
``mpiexec -n 2 python -m minidl train --distributed``; without a launcher everything here
works as a world of one. A typical script::

    from minidl import distributed as dist
    dist.init()
    model = dist.DistributedDataParallel(model)               # rank 0's weights everywhere
    loader = DataLoader(ds, batch_size=64, sampler=DistributedSampler(ds))
    for epoch in range(epochs):
        loader.sampler.set_epoch(epoch)                         # a new shuffle, the same on all
        for x, y in loader: ...                                 # the usual five lines

Failure: a rank that raises ends the whole job (``python -m mpi4py`` aborts on an uncaught
exception, and :func:`init` does the same for scripts started without it); a collective
that waits longer than the timeout of :func:`init` raises :class:`DistributedTimeoutError`.
"""
from minidl.distributed.collectives import all_gather, all_reduce, broadcast
from minidl.distributed.ddp import DistributedDataParallel
from minidl.distributed.sync_batchnorm import SyncBatchNorm
from minidl.distributed.zero import ZeroRedundancyOptimizer
from minidl.distributed.world import (DistributedTimeoutError, abort, barrier, get_rank,
                                      get_world, get_world_size, init, is_initialized,
                                      is_main_process)

__all__ = ["init", "is_initialized", "get_rank", "get_world_size", "get_world",
           "is_main_process", "barrier", "abort", "all_reduce", "broadcast", "all_gather",
           "DistributedDataParallel", "SyncBatchNorm", "ZeroRedundancyOptimizer",
           "DistributedTimeoutError"]
