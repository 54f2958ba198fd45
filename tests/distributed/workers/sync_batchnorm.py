"""Worker: SyncBatchNorm over the ranks equals one BatchNorm1d over the concatenated batch.

A small MLP with BatchNorm, converted with ``convert_sync_batchnorm`` and wrapped in
DistributedDataParallel, trains a few SGD steps; every rank also trains the one-process
reference. Writes ``OUT/syncbn-<rank>.npz``: outputs, parameters, running statistics.
"""
import os
import sys

import numpy as np

import minidl as mdl
from minidl import distributed as dist
from minidl import nn, optim

out = sys.argv[1]
world = dist.init(timeout=60)
rank, size = world.rank, world.size
mdl.set_default_dtype(mdl.float64)
PER_RANK, STEPS = 5, 3
rng = np.random.default_rng(1)
xs = rng.standard_normal((STEPS, size * PER_RANK, 6)) * 3.0 + 1.0
ys = rng.integers(0, 3, (STEPS, size * PER_RANK))
mine = slice(rank * PER_RANK, (rank + 1) * PER_RANK)


def build():
    mdl.manual_seed(0)
    return nn.MLP(6, [5], 3, batchnorm=True)


def train(model, shard):
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    outputs = []
    for x, y in zip(xs, ys):
        opt.zero_grad()
        z = model(mdl.tensor(x[shard]))
        loss_fn(z, mdl.tensor(y[shard])).backward()
        opt.step()
        outputs.append(z.numpy())
    model.eval()
    outputs.append(model(mdl.tensor(xs[0][shard])).numpy())  # eval: running statistics
    return outputs


results = {}
reference = build()
for i, z in enumerate(train(reference, slice(None))):
    results[f"reference-out-{i}"] = z[mine]
mdl.manual_seed(0 if rank == 0 else 7)  # rank 1 starts elsewhere: the broadcast fixes that
sync = nn.MLP(6, [5], 3, batchnorm=True)
sync = dist.DistributedDataParallel(dist.SyncBatchNorm.convert_sync_batchnorm(sync))
results["converted"] = np.array(type(sync.module.layers[1]).__name__ == "SyncBatchNorm")
for i, z in enumerate(train(sync, mine)):
    results[f"sync-out-{i}"] = z
for (name, a), (_, b) in zip(reference.state_dict().items(), sync.module.state_dict().items()):
    results[f"reference-{name}"] = np.asarray(a)
    results[f"sync-{name}"] = np.asarray(b)

# (N, C, L) input straight through SyncBatchNorm, gradient of the input included
x3 = rng.standard_normal((size * 3, 4, 5))
bn = nn.BatchNorm1d(4)
xr = mdl.tensor(x3, requires_grad=True)
(bn(xr) ** 3).sum().backward()
sbn = dist.SyncBatchNorm(4)
xs3 = mdl.tensor(x3[rank * 3:(rank + 1) * 3], requires_grad=True)
(sbn(xs3) ** 3).sum().backward()
results["3d-reference-gx"] = xr.grad.numpy()[rank * 3:(rank + 1) * 3]
results["3d-sync-gx"] = xs3.grad.numpy()
results["3d-reference-running_var"] = bn.running_var.numpy()
results["3d-sync-running_var"] = sbn.running_var.numpy()
np.savez(os.path.join(out, f"syncbn-{rank}.npz"), **results)
