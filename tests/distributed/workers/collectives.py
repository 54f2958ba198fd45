"""Worker: the values of all_reduce, broadcast, all_gather and the sampler's shards.

Writes ``OUT/collectives-<rank>.json``.
"""
import json
import os
import sys

import numpy as np

import minidl as mdl
from minidl import distributed as dist
from minidl.data import DistributedSampler

out = sys.argv[1]
dist.init()
dist.init(timeout=60)  # idempotent; a second call only changes the timeout
rank, size = dist.get_rank(), dist.get_world_size()
results = {"rank": rank, "size": size, "initialized": dist.is_initialized(),
           "timeout": dist.get_world().timeout}

for op in ("sum", "mean", "max", "min"):
    t = mdl.tensor([rank + 1.0, -2.0 * rank, 10.0 ** rank], dtype="float64")
    dist.all_reduce(t, op=op)
    results[f"all_reduce-{op}"] = t.tolist()
t = mdl.tensor([[rank, 1], [2, 3 * rank]])  # int64
dist.all_reduce(t)
results["all_reduce-int64"] = t.tolist()
base = mdl.tensor(np.arange(6.0).reshape(2, 3) * (rank + 1))
view = base.T  # not contiguous: reduced through a copy, written back into the view's memory
dist.all_reduce(view)
results["all_reduce-view"] = base.tolist()

t = mdl.tensor([float(rank)] * 3, dtype="float32")
dist.broadcast(t, src=1)
results["broadcast-from-1"] = t.tolist()
results["broadcast-dtype"] = str(t.dtype)
gathered = dist.all_gather(mdl.tensor([[rank, rank + 10]]))
results["all_gather"] = [g.tolist() for g in gathered]
dist.barrier()

try:
    dist.all_reduce(mdl.zeros(2 + rank))  # shapes differ: every rank must get the error
except ValueError as exc:
    results["mismatch-error"] = str(exc)

for shuffle in (False, True):
    for drop_last in (False, True):
        sampler = DistributedSampler(range(11), shuffle=shuffle, seed=3, drop_last=drop_last)
        key = f"sampler-shuffle{int(shuffle)}-drop{int(drop_last)}"
        results[key] = [list(sampler)]
        sampler.set_epoch(1)
        results[key].append(list(sampler))
        results[key + "-len"] = len(sampler)
# transport.SharedArray: a stretch summed through shared memory equals MPI's sum bit for bit
from mpi4py import MPI  # noqa: E402

from minidl.distributed import transport  # noqa: E402

shared = transport.SharedArray.allocate(dist.get_world(), 1001, np.float32)
values = np.random.default_rng(rank).standard_normal(1001).astype(np.float32)
shared.array[...] = values
shared.all_reduce(3, 998)
by_mpi = values.copy()
dist.get_world().comm.Allreduce(MPI.IN_PLACE, by_mpi, op=MPI.SUM)
results["shared-equals-mpi"] = bool(np.array_equal(shared.array[3:998], by_mpi[3:998]))
results["shared-outside-untouched"] = bool(np.array_equal(shared.array[:3], values[:3])
                                           and np.array_equal(shared.array[998:], values[998:]))
# The strict device (arrays that refuse NumPy, as CuPy's do) goes through host staging,
# the same path as CUDA tensors without NCCL.
from tests.strict_backend import register_strict_backend  # noqa: E402

register_strict_backend()
t = mdl.tensor([rank + 1.0, 4.0 * rank], device="strict")
dist.all_reduce(t, op="mean")
results["strict-all_reduce-mean"] = t.tolist()
t = mdl.tensor([float(rank)] * 2, device="strict")
dist.broadcast(t, src=1)
results["strict-broadcast"] = t.tolist()
results["strict-all_gather"] = [g.tolist() for g in dist.all_gather(mdl.tensor([rank],
                                                                               device="strict"))]
mdl.manual_seed(rank)  # different weights: the broadcast makes them equal
model = dist.DistributedDataParallel(mdl.nn.Linear(3, 2, device="strict"))
x = mdl.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3) * (rank + 1), device="strict")
model(x).sum().backward()
results["strict-ddp-weight"] = model.module.weight.tolist()
results["strict-ddp-grad"] = model.module.weight.grad.tolist()
with open(os.path.join(out, f"collectives-{rank}.json"), "w") as f:
    json.dump(results, f)
