"""Worker: ZeroRedundancyOptimizer gives bit for bit the parameters and state of the plain
optimizer under DistributedDataParallel. Writes ``OUT/zero-<rank>.npz``."""
import os
import sys

import numpy as np

import minidl as mdl
from minidl import distributed as dist
from minidl import nn, optim

out = sys.argv[1]
world = dist.init(timeout=60)
rank, size = world.rank, world.size
PER_RANK, STEPS = 5, 4
rng = np.random.default_rng(0)

OPTIMIZERS = {
    "sgd": (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    "adam": (optim.Adam, {"lr": 0.01}),
    "adamw": (optim.AdamW, {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    "rmsprop": (optim.RMSprop, {"lr": 0.01, "centered": True}),
}


def mlp():
    return nn.MLP(7, [9, 5], 3)  # 72 + 9 + 45 + 5 + 15 + 3 = 149 values: parts of 74 and 75


def cnn():
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(3 * 3 * 3, 3))


def train(model, opt, kind):
    shape = (7,) if kind == "mlp" else (1, 8, 8)
    data = np.random.default_rng(1)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(STEPS):
        x = data.standard_normal((size * PER_RANK,) + shape).astype(np.float32)
        y = data.integers(0, 3, size * PER_RANK)
        mine = slice(rank * PER_RANK, (rank + 1) * PER_RANK)
        opt.zero_grad()
        loss_fn(model(mdl.tensor(x[mine])), mdl.tensor(y[mine])).backward()
        opt.step()


results = {}
for kind, build in (("mlp", mlp), ("cnn", cnn)):
    for name, (cls, options) in OPTIMIZERS.items():
        mdl.manual_seed(0)
        plain = dist.DistributedDataParallel(build())
        plain_opt = cls(plain.parameters(), **options)
        train(plain, plain_opt, kind)
        mdl.manual_seed(0)
        sharded = dist.DistributedDataParallel(build())
        zero = dist.ZeroRedundancyOptimizer(sharded.parameters(), cls, **options)
        train(sharded, zero, kind)
        results[f"{kind}-{name}-shared-memory"] = np.array(
            [shared is not None for shared in zero._shared.values()])
        try:
            zero.state_dict()
            results[f"{kind}-{name}-unconsolidated-raises"] = np.array(False)
        except RuntimeError:
            results[f"{kind}-{name}-unconsolidated-raises"] = np.array(True)
        zero.consolidate_state_dict()
        state, plain_state = zero.state_dict()["state"], plain_opt.state_dict()["state"]
        for i, (p, q) in enumerate(zip(plain.parameters(), sharded.parameters())):
            results[f"{kind}-{name}-plain-{i}"] = p.numpy()
            results[f"{kind}-{name}-zero-{i}"] = q.numpy()
        for index, entries in plain_state.items():
            for entry, value in entries.items():
                if isinstance(value, mdl.Tensor):
                    results[f"{kind}-{name}-state-plain-{index}-{entry}"] = value.numpy()
                    results[f"{kind}-{name}-state-zero-{index}-{entry}"] = \
                        state[index][entry].numpy()

# a group that cannot be packed flat (two dtypes) is updated whole on every rank
for label, make in (("zero", lambda ps: dist.ZeroRedundancyOptimizer(ps, optim.Adam, lr=0.1)),
                    ("plain", lambda ps: optim.Adam(ps, lr=0.1))):
    a = mdl.tensor(np.ones(3, np.float32), requires_grad=True)
    b = mdl.tensor(np.ones(2, np.float64), requires_grad=True)
    opt = make([a, b])
    for _ in range(3):
        opt.zero_grad()
        ((a * (rank + 1)).sum() + (b * b).sum()).backward()
        opt.step()
    results[f"mixed-{label}-a"], results[f"mixed-{label}-b"] = a.numpy(), b.numpy()
np.savez(os.path.join(out, f"zero-{rank}.npz"), **results)
