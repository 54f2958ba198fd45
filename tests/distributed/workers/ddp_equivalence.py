"""Worker: data-parallel training equals one process on the concatenated batch.

Every rank trains a DistributedDataParallel replica on its shard of each global batch, and
also (without communicating) the one-process reference on the whole batch. Writes
``OUT/ddp-<rank>.npz``: the parameters of both after every run.
"""
import os
import sys

import numpy as np

import minidl as mdl
from minidl import distributed as dist
from minidl import nn, optim

out, cap = sys.argv[1], float(sys.argv[2])
world = dist.init(timeout=60)
rank, size = world.rank, world.size
mdl.set_default_dtype(mdl.float64)
PER_RANK, STEPS = 6, 4
rng = np.random.default_rng(0)


def mlp():
    return nn.MLP(12, [16, 8], 4)


def cnn():
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(3 * 3 * 3, 4))


def batches(kind):
    shape = (12,) if kind == "mlp" else (1, 8, 8)
    xs = rng.standard_normal((STEPS, size * PER_RANK) + shape)
    ys = rng.integers(0, 4, (STEPS, size * PER_RANK))
    return xs, ys


def optimizer(name, params):
    if name == "sgd":
        return optim.SGD(params, lr=0.1, momentum=0.9)
    return optim.Adam(params, lr=0.01)


def train(model, opt, xs, ys, shard=slice(None)):
    loss_fn = nn.CrossEntropyLoss()
    for x, y in zip(xs, ys):
        opt.zero_grad()
        loss_fn(model(mdl.tensor(x[shard])), mdl.tensor(y[shard])).backward()
        opt.step()


kinds = ["mlp"] + (["cnn"] if hasattr(nn, "Conv2d") and hasattr(nn, "MaxPool2d") else [])
results = {}
for kind in kinds:
    xs, ys = batches(kind)
    build = mlp if kind == "mlp" else cnn
    for name in ("sgd", "adam"):
        mdl.manual_seed(0)
        reference = build()
        train(reference, optimizer(name, reference.parameters()), xs, ys)
        # rank 1 starts from other weights: the broadcast at wrapping must fix that
        mdl.manual_seed(0 if rank == 0 else 1)
        replica = build()
        model = dist.DistributedDataParallel(replica, bucket_cap_mb=cap)
        mine = slice(rank * PER_RANK, (rank + 1) * PER_RANK)
        train(model, optimizer(name, model.parameters()), xs, ys, mine)
        for i, (p, q) in enumerate(zip(reference.parameters(), replica.parameters())):
            results[f"{kind}-{name}-reference-{i}"] = p.numpy()
            results[f"{kind}-{name}-ddp-{i}"] = q.numpy()
        results[f"{kind}-buckets"] = np.array(len(model.buckets))
        results[f"{kind}-shared-memory"] = np.array([b.shared is not None for b in model.buckets])

# no_sync: two local micro-batches, then one averaged backward, equals the reference sum
mdl.manual_seed(0)
model = dist.DistributedDataParallel(mlp(), bucket_cap_mb=cap)
x = rng.standard_normal((2, size, PER_RANK, 12))
y = rng.integers(0, 4, (2, size, PER_RANK))
loss_fn = nn.CrossEntropyLoss()
with model.no_sync():
    loss_fn(model(mdl.tensor(x[0, rank])), mdl.tensor(y[0, rank])).backward()
results["no_sync-local-0"] = model.module.layers[0].weight.grad.numpy().copy()
loss_fn(model(mdl.tensor(x[1, rank])), mdl.tensor(y[1, rank])).backward()
results["no_sync-ddp-0"] = model.module.layers[0].weight.grad.numpy()
mdl.manual_seed(0)
reference = mlp()
for k in range(2):
    for r in range(size):
        loss_fn(reference(mdl.tensor(x[k, r])), mdl.tensor(y[k, r])).backward()
results["no_sync-reference-0"] = reference.layers[0].weight.grad.numpy() / size


# unused parameters: head b is used on rank 1 only, head c on no rank
class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(3, 2), nn.Linear(3, 2), nn.Linear(3, 2)

    def forward(self, x):
        y = self.a(x)
        return y + self.b(x) if rank == 1 else y


mdl.manual_seed(0)
heads = dist.DistributedDataParallel(Heads())
xh = mdl.tensor(rng.standard_normal((size, 4, 3))[rank])
heads(xh).sum().backward()
results["unused-b-grad"] = heads.module.b.weight.grad.numpy()
results["unused-c-grad-is-none"] = np.array(heads.module.c.weight.grad is None)
results["unused-b-local"] = (xh.numpy().sum(0)[None, :].repeat(2, 0) if rank == 1
                             else np.zeros((2, 3)))
np.savez(os.path.join(out, f"ddp-{rank}.npz"), **results)
