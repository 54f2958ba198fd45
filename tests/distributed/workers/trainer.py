"""Worker: the Trainer under DistributedDataParallel equals one process, and only rank 0 writes.

Every rank fits a DDP model for two epochs on its DistributedSampler shard (per-rank batch
4) with a ModelCheckpoint into ``OUT/rank<r>/``; every rank also fits the one-process
reference (batch 8, the same global order). Then every rank resumes a fresh trainer from the
checkpoint of epoch 1 and trains epoch 2 again. Writes ``OUT/trainer-<rank>.npz``.
"""
import os
import sys

import numpy as np

import minidl as mdl
from minidl import distributed as dist
from minidl import nn, optim
from minidl.data import DataLoader, DistributedSampler, TensorDataset
from minidl.training import ModelCheckpoint

out = sys.argv[1]
world = dist.init(timeout=60)
rank, size = world.rank, world.size
mdl.set_default_dtype(mdl.float64)
rng = np.random.default_rng(2)
x = rng.standard_normal((40, 5))
y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
dataset = TensorDataset(x, y)
val = (x[:16], y[:16])


def trainer_for(model, **kwargs):
    mdl.manual_seed(1)
    return mdl.Trainer(model, optim.Adam(model.parameters(), lr=0.05), "cross_entropy",
                       **kwargs)


def build():
    mdl.manual_seed(0)
    return nn.MLP(5, [6], 2)


results = {}
reference = build()
loader = DataLoader(dataset, batch_size=4 * size, sampler=DistributedSampler(dataset, 1, 0))
history = trainer_for(reference).fit(loader, epochs=2, val_data=val, progress=False)
for key, values in history.history.items():
    results[f"reference-{key}"] = np.array(values)
results["reference-params"] = np.concatenate([p.numpy().ravel() for p in reference.parameters()])

model = dist.DistributedDataParallel(build())
checkpoint = os.path.join(out, f"rank{rank}", "epoch{epoch}.npz")
shards = DataLoader(dataset, batch_size=4, sampler=DistributedSampler(dataset))
trainer = trainer_for(model, callbacks=[ModelCheckpoint(checkpoint)])
history = trainer.fit(shards, epochs=2, val_data=val, progress=True)
for key, values in history.history.items():
    results[f"ddp-{key}"] = np.array(values)
results["ddp-params"] = np.concatenate([p.numpy().ravel() for p in model.parameters()])
results["is-main"] = np.array(trainer.is_main_process)

# every rank resumes from rank 0's checkpoint of epoch 1 and trains epoch 2 again
dist.barrier()
state = mdl.load(os.path.join(out, "rank0", "epoch1.npz"))
resumed_model = dist.DistributedDataParallel(build())
resumed = trainer_for(resumed_model)
resumed.load_state_dict(state)
resumed.fit(DataLoader(dataset, batch_size=4, sampler=DistributedSampler(dataset)), epochs=1,
            val_data=val, progress=False)
results["resumed-params"] = np.concatenate([p.numpy().ravel()
                                            for p in resumed_model.parameters()])
results["resumed-epoch"] = np.array(resumed.epoch)
np.savez(os.path.join(out, f"trainer-{rank}.npz"), **results)
