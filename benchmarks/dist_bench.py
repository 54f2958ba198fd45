"""Data-parallel speed-up: W1 on 1 process × 1 thread against 2 MPI processes × 1 thread.

    python benchmarks/dist_bench.py --out benchmarks/DIST_RESULTS.md

W1 is benchmarks/README.md's workload (MLP 784-256-128-10, ReLU, softmax cross-entropy,
Adam(lr=1e-3), synthetic MNIST-shaped data, 60,000 samples) at a **global** batch of 128:
one process takes batches of 128; two ranks of ``DistributedDataParallel`` take 64 each
(``DistributedSampler``), so both make the same 469 optimizer steps per epoch; a third
contender splits the Adam step over the ranks (``ZeroRedundancyOptimizer``), and the
hand-written NumPy MLP of ``numpy_reference.py`` runs the same two ways (one process at 128;
2 ranks at 64 with one ``Allreduce`` of its flat gradient per step): the floor of any NumPy
framework here. The contenders run alternately, ``--repeats`` times each, one warm-up epoch
and ``--epochs`` timed epochs per run; reported are the median epoch times, the speed-up,
and the time each rank spends waiting in collectives (the gradient all-reduce, including
waiting for the slower rank).

What two processes can get out of the machine at all is measured beside: a GEMM, a
memory-bound stream and the NumPy W1 step at batch 64, in one process alone and in two at
once with no communication.

It also measures the all-reduce bandwidth between the two ranks here and the single-process
step time at the per-rank batches 128/p, which the report combines with the ring
all-reduce cost 2(p−1)/p · bytes / bandwidth into an estimate for 8 and 64 ranks over a
25 Gb/s network, for W1 and for the CNN W4 (Conv(1,32,3)→Pool→Conv(32,64,3)→Pool→
Linear(1600,10), 34,826 parameters; its step times are measured when ``minidl.nn.Conv2d``
exists, else left out).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GLOBAL_BATCH = 128
NETWORK_GBIT = 25.0
NETWORK_LATENCY_S = 20e-6  # a typical one-way latency on a 25 Gb/s Ethernet, per ring step
W1_PARAMS = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
W4_PARAMS = 34_826
CEILING_KERNELS = {"gemm": "512×512×512 float32 GEMM", "stream": "a += b over 32 MiB",
                   "numpy-w1-64": "hand-written NumPy W1 step at batch 64"}


def _env():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=ROOT + os.pathsep + HERE)
    env.pop("MINIDL_DEVICE", None)
    return env


def _mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.path.exists(beside) else "mpiexec"


# -- workers ----------------------------------------------------------------------------------
def _w1():
    import minidl as mdl
    return mdl.nn.MLP(784, [256, 128], 10)


def _w4():
    from minidl import nn
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 10))


def train_worker(args):
    """One contender's run: a plain loop in one process, DDP under mpiexec."""
    import minidl as mdl
    from mlp_bench import make_data
    from minidl import distributed as dist
    from minidl.data import DataLoader, DistributedSampler, TensorDataset

    world = dist.init()
    x, y = make_data(args.samples)
    mdl.manual_seed(0)
    model = _w1()
    waited = [0.0, 0.0]  # wall and CPU seconds inside collective waits
    if world.size > 1:
        from minidl.distributed import transport
        wait = transport.Pending.wait

        def timed_wait(self):
            start, start_cpu = time.perf_counter(), time.process_time()
            wait(self)
            waited[0] += time.perf_counter() - start
            waited[1] += time.process_time() - start_cpu

        transport.Pending.wait = timed_wait
        model = dist.DistributedDataParallel(model)
    if args.zero:  # the optimizer step split over the ranks (ZeRO stage 1)
        opt = dist.ZeroRedundancyOptimizer(model.parameters(), mdl.optim.Adam, lr=1e-3)
    else:
        opt = mdl.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = mdl.nn.CrossEntropyLoss()
    dataset = TensorDataset(x, y)
    per_rank = GLOBAL_BATCH // world.size
    sampler = DistributedSampler(dataset, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=per_rank, sampler=sampler)
    epochs, cpu, collectives, losses = [], [], [], []
    for epoch in range(args.epochs + 1):  # the first one warms up
        sampler.set_epoch(epoch)
        dist.barrier()
        waited[:] = [0.0, 0.0]
        start = time.perf_counter()
        start_cpu = time.process_time()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
        elapsed = time.perf_counter() - start
        elapsed_cpu = time.process_time() - start_cpu
        if epoch:
            epochs.append(elapsed)
            cpu.append(elapsed_cpu - waited[1])  # polling a collective is not work
            collectives.append(waited[0])
            losses.append(total / len(loader))
    result = {"rank": world.rank, "size": world.size, "epochs": epochs, "cpu": cpu,
              "collectives": collectives, "loss": losses, "steps": len(loader)}
    with open(f"{args.json_out}.{world.rank}", "w") as f:
        json.dump(result, f)


def numpy_train_worker(args):
    """The floor of any NumPy framework: ``numpy_reference.NumpyMLP`` by hand, in one process
    at batch 128, or on each of 2 ranks at 64 with its flat gradient averaged by one blocking
    ``Allreduce`` per step before the same Adam step. The weights, the data and each rank's
    batches are :func:`train_worker`'s (minidl's initial W1, ``DistributedSampler``), so the
    losses can be compared with minidl's."""
    import numpy as np
    from mpi4py import MPI

    import minidl as mdl
    from minidl.data import DistributedSampler
    from mlp_bench import make_data
    from numpy_reference import NumpyMLP
    comm = MPI.COMM_WORLD
    rank, size = comm.rank, comm.size
    x, y = make_data(args.samples)
    mdl.manual_seed(0)
    layers = [{"weight": layer.weight.data, "bias": layer.bias.data}
              for layer in _w1().modules() if isinstance(layer, mdl.nn.Linear)]
    model = NumpyMLP(layers, lr=1e-3)
    per_rank = GLOBAL_BATCH // size
    sampler = DistributedSampler(range(len(x)), num_replicas=size, rank=rank, seed=0)
    epochs, cpu, collectives, losses = [], [], [], []
    for epoch in range(args.epochs + 1):  # the first one warms up
        sampler.set_epoch(epoch)
        order = sampler.indices()
        comm.Barrier()
        waited = [0.0, 0.0]  # wall and CPU seconds in Allreduce
        start, start_cpu = time.perf_counter(), time.process_time()
        total, steps = 0.0, 0
        for first in range(0, len(order), per_rank):
            idx = order[first:first + per_rank]
            loss, grads = model.loss_and_grads(x[idx], y[idx])
            if size > 1:
                wait, wait_cpu = time.perf_counter(), time.process_time()
                comm.Allreduce(MPI.IN_PLACE, model.grad, op=MPI.SUM)
                waited[0] += time.perf_counter() - wait
                waited[1] += time.process_time() - wait_cpu
                model.grad *= np.float32(1.0 / size)  # (exact for 2 ranks)
            model.adam_step(grads)
            total += loss
            steps += 1
        elapsed = time.perf_counter() - start
        elapsed_cpu = time.process_time() - start_cpu
        if epoch:
            epochs.append(elapsed)
            cpu.append(elapsed_cpu - waited[1])
            collectives.append(waited[0])
            losses.append(total / steps)
    result = {"rank": rank, "size": size, "epochs": epochs, "cpu": cpu,
              "collectives": collectives, "loss": losses, "steps": steps}
    with open(f"{args.json_out}.{rank}", "w") as f:
        json.dump(result, f)


def ceiling_worker(args):
    """Seconds per iteration of one compute kernel on each of the ranks at once, with no
    communication between the barriers: 2 ranks against 1 shows what two concurrent
    processes get out of this machine (shared cores, caches, memory bandwidth).

    gemm: a 512×512×512 float32 product (cache-resident arithmetic); stream: a += b over
    32 MiB arrays (memory bandwidth); numpy-w1-64: the hand-written NumPy W1 step at batch 64
    on shuffled rows of the 60,000 samples (a rank's step without its all-reduce).
    """
    import numpy as np
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    reps = args.reps or {"gemm": 800, "stream": 1200, "numpy-w1-64": 1800}[args.kernel]  # ~2 s
    if args.kernel == "gemm":
        a = np.random.default_rng(0).random((512, 512), dtype=np.float32)
        c = np.empty_like(a)

        def step(i):
            np.matmul(a, a, out=c)
    elif args.kernel == "stream":
        a, b = np.ones(8 * 2 ** 20, np.float32), np.ones(8 * 2 ** 20, np.float32)

        def step(i):
            np.add(a, b, out=a)
    else:
        from mlp_bench import make_data
        from numpy_reference import NumpyMLP, init_params
        x, y = make_data(60_000)
        model = NumpyMLP(init_params((784, 256, 128, 10), seed=1))
        order = np.random.default_rng(comm.rank).permutation(len(x))

        def step(i):
            idx = order[(i % 900) * 64:(i % 900 + 1) * 64]
            model.train_step(x[idx], y[idx])
    for i in range(reps // 10):  # warm up
        step(i)
    comm.Barrier()
    start = time.perf_counter()
    for i in range(reps):
        step(i)
    seconds = (time.perf_counter() - start) / reps
    times = comm.gather(seconds)
    if comm.rank == 0:
        with open(args.json_out, "w") as f:
            json.dump(times, f)


def bandwidth_worker(args):
    """Seconds per in-place sum over the ranks by size: MPI's blocking Allreduce, and the
    shared-memory sum DDP uses on one machine (``transport.SharedArray.all_reduce``)."""
    import numpy as np
    from mpi4py import MPI

    from minidl import distributed as dist
    from minidl.distributed.transport import SharedArray
    comm = MPI.COMM_WORLD
    out = {"mpi": {}, "shared": {}}
    for n_bytes in (W4_PARAMS * 4, W1_PARAMS * 4, 4 * 2 ** 20, 16 * 2 ** 20):
        buf = np.ones(n_bytes // 4, dtype=np.float32)
        shared = SharedArray.allocate(dist.init(), buf.size, np.float32)
        reps = max(5, min(200, int(2e8 // n_bytes)))
        for kind in ("mpi", "shared"):
            comm.Barrier()
            start = time.perf_counter()
            for _ in range(reps):
                if kind == "mpi":
                    comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
                else:
                    shared.all_reduce(0, buf.size)
            out[kind][n_bytes] = (time.perf_counter() - start) / reps
    if comm.rank == 0:
        with open(args.json_out, "w") as f:
            json.dump(out, f)


def step_worker(args):
    """Single-process seconds per training step at the per-rank batches of 1, 2, 8, 64 ranks."""
    import numpy as np

    import minidl as mdl
    from minidl import nn
    rng = np.random.default_rng(0)
    result = {}
    for name in ("W1", "W4"):
        if name == "W4" and not hasattr(nn, "Conv2d"):
            continue
        mdl.manual_seed(0)
        model = _w1() if name == "W1" else _w4()
        opt = mdl.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        result[name] = {}
        for batch in (128, 64, 16, 2):
            shape = (batch, 784) if name == "W1" else (batch, 1, 28, 28)
            xb = mdl.tensor(rng.random(shape, dtype=np.float32))
            yb = mdl.tensor(rng.integers(0, 10, batch))
            steps = max(5, (256 if name == "W4" else 2048) // batch)
            times = []
            for _ in range(3):
                start = time.process_time()  # CPU time: less disturbed by other tenants
                for _ in range(steps):
                    opt.zero_grad()
                    loss_fn(model(xb), yb).backward()
                    opt.step()
                times.append((time.process_time() - start) / steps)
            result[name][batch] = min(times)
    with open(args.json_out, "w") as f:
        json.dump(result, f)


def floor_worker(args):
    """CPU seconds per W1 step at batches 128 and 64 in one process, for the hand-written
    NumPy reference and for minidl: T(128) / T(64) bounds what 2 ranks can gain when each
    still does a whole step at 64 (the best of 3 runs of 300 steps)."""
    import numpy as np
    from contenders import CONTENDERS
    from mlp_bench import Workload, make_data
    from numpy_reference import init_params
    x, y = make_data(60_000)
    best = {}
    for _ in range(3):
        for name in ("numpy", "minidl"):
            for batch in (128, 64):
                wl = Workload("W1", (784, 256, 128, 10), batch)
                contender = CONTENDERS[name](wl, init_params(wl.sizes, seed=1), x, y, threads=1)
                contender.epoch(np.arange(50 * batch))  # warm up
                start = time.process_time()
                contender.epoch(np.arange(300 * batch))
                seconds = (time.process_time() - start) / 300
                key = f"{name}-{batch}"
                best[key] = min(best.get(key, seconds), seconds)
    with open(args.json_out, "w") as f:
        json.dump(best, f)


# -- driver -----------------------------------------------------------------------------------
def _run(ranks, worker, extra, timeout=1800):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", worker, "--json-out", out]
        cmd += extra
        if ranks > 1:
            cmd = [_mpiexec(), "-n", str(ranks), sys.executable, "-m", "mpi4py"] + cmd[1:]
        done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
        if worker in ("train", "numpy"):
            return [json.load(open(f"{out}.{r}")) for r in range(ranks)]
        return json.load(open(out))


def _two_ranks(runs, epochs):
    """Median epoch seconds (the slower rank's), CPU seconds outside waits (the busier
    rank's), seconds in collectives, and every epoch's seconds, over 2-rank runs."""
    wall = statistics.median(max(r["epochs"][i] for r in run) for run in runs
                             for i in range(epochs))
    cpu = statistics.median(max(r["cpu"][i] for r in run) for run in runs for i in range(epochs))
    waits = statistics.median(c for run in runs for r in run for c in r["collectives"])
    every = [round(max(r["epochs"][i] for r in run), 3) for run in runs for i in range(epochs)]
    return wall, cpu, waits, every


def estimate(step_times, n_params, bandwidth_gbit=NETWORK_GBIT, latency=NETWORK_LATENCY_S):
    """Speed-up at p ranks: T1(128) / (T1(128/p) + ring all-reduce of the gradients)."""
    rows = []
    for p in (2, 8, 64):
        bytes_ = 4 * n_params
        ring = 2 * (p - 1) / p * bytes_ / (bandwidth_gbit * 1e9 / 8) + 2 * (p - 1) * latency
        step = step_times[str(GLOBAL_BATCH // p)] + ring
        rows.append((p, GLOBAL_BATCH // p, step_times[str(GLOBAL_BATCH // p)], ring,
                     step_times[str(GLOBAL_BATCH)] / step))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worker", choices=["train", "numpy", "ceiling", "bandwidth", "steps",
                                        "floor"], help=argparse.SUPPRESS)
    p.add_argument("--kernel", choices=list(CEILING_KERNELS), help=argparse.SUPPRESS)
    p.add_argument("--reps", type=int, help=argparse.SUPPRESS)
    p.add_argument("--json-out", help=argparse.SUPPRESS)
    p.add_argument("--samples", type=int, default=60_000)
    p.add_argument("--epochs", type=int, default=2, help="timed epochs per run")
    p.add_argument("--repeats", type=int, default=3, help="runs of each contender, alternating")
    p.add_argument("--out", help="also write the Markdown report here")
    p.add_argument("--zero", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker == "train":
        return train_worker(args)
    if args.worker == "numpy":
        return numpy_train_worker(args)
    if args.worker == "ceiling":
        return ceiling_worker(args)
    if args.worker == "bandwidth":
        return bandwidth_worker(args)
    if args.worker == "steps":
        return step_worker(args)
    if args.worker == "floor":
        return floor_worker(args)

    started = time.perf_counter()
    common = ["--samples", str(args.samples), "--epochs", str(args.epochs)]
    single, double, sharded, np_single, np_double = [], [], [], [], []
    for _ in range(args.repeats):
        single.append(_run(1, "train", common)[0])
        double.append(_run(2, "train", common))
        sharded.append(_run(2, "train", common + ["--zero"]))
        np_single.append(_run(1, "numpy", common)[0])
        np_double.append(_run(2, "numpy", common))
    ceiling = {kernel: ([], []) for kernel in CEILING_KERNELS}
    for _ in range(args.repeats):  # alone and side by side, alternating
        for kernel, (alone, pair) in ceiling.items():
            alone.append(_run(1, "ceiling", ["--kernel", kernel])[0])
            pair.append(max(_run(2, "ceiling", ["--kernel", kernel])))
    band = _run(2, "bandwidth", [])
    steps = _run(1, "steps", [])
    floor = _run(1, "floor", [])

    # contender -> (label, median s/epoch, every epoch, CPU s/epoch outside collective waits
    # (the work, which the machine's other tenants stretch much less than wall time), seconds
    # in collectives per epoch or None)
    rows = {}
    for key, label, runs in (("minidl-1", "1 process × 1 thread (batch 128)", single),
                             ("numpy-1", "1 process × 1 thread (batch 128), hand-written NumPy",
                              np_single)):
        rows[key] = (label, statistics.median(t for run in runs for t in run["epochs"]),
                     [round(t, 3) for run in runs for t in run["epochs"]],
                     statistics.median(t for run in runs for t in run["cpu"]), None)
    for key, label, runs in (
            ("ddp", "2 processes × 1 thread (64 each, DDP + Adam)", double),
            ("zero", "2 processes × 1 thread (64 each, DDP + ZeroRedundancyOptimizer(Adam))",
             sharded),
            ("numpy-2", "2 processes × 1 thread (64 each), hand-written NumPy + one "
             "`Allreduce` per step", np_double)):
        wall, cpu, waits, every = _two_ranks(runs, args.epochs)
        rows[key] = (label, wall, every, cpu, waits)
    wall = {key: row[1] for key, row in rows.items()}
    # the fastest epoch: other tenants only ever slow an epoch down, and a 2-rank epoch waits
    # for whichever rank they slow, so on a shared machine the best is the cleanest figure
    best = {key: min(row[2]) for key, row in rows.items()}
    cpu = {key: row[3] for key, row in rows.items()}
    lines = [
        "# Data-parallel benchmark: W1 at a global batch of 128",
        "",
        f"Command: `python benchmarks/dist_bench.py --epochs {args.epochs} --repeats "
        f"{args.repeats}`  ",
        f"Machine: {os.cpu_count()} CPUs, one BLAS thread per process; {args.samples} samples, "
        f"{single[0]['steps']} steps per epoch; total {time.perf_counter() - started:.0f} s.",
        "",
        "| contender | median s/epoch | best | all epochs | CPU s/epoch outside waits (busier "
        "rank) | time in collectives / epoch |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for label, seconds, every, work, waits in rows.values():
        spent = "—" if waits is None else f"{waits:.3f} s ({100 * waits / seconds:.0f} %)"
        lines.append(f"| {label} | {seconds:.3f} | {min(every):.3f} | {every} | {work:.3f} | "
                     f"{spent} |")
    lines += [
        "",
        f"**Speed-up with 2 ranks: {wall['minidl-1'] / wall['ddp']:.2f}× (DDP + Adam), "
        f"{wall['minidl-1'] / wall['zero']:.2f}× (DDP + ZeroRedundancyOptimizer) in wall time; "
        f"{cpu['minidl-1'] / cpu['ddp']:.2f}× and {cpu['minidl-1'] / cpu['zero']:.2f}× in CPU "
        f"time; the hand-written NumPy loop: {wall['numpy-1'] / wall['numpy-2']:.2f}× wall, "
        f"{cpu['numpy-1'] / cpu['numpy-2']:.2f}× CPU; best epochs: "
        f"{best['minidl-1'] / best['ddp']:.2f}×, {best['minidl-1'] / best['zero']:.2f}×, NumPy "
        f"{best['numpy-1'] / best['numpy-2']:.2f}×** (target "
        f"≥ 1.6×; load average {os.getloadavg()[0]:.1f} at the end). Losses per epoch: "
        f"1 process {[round(v, 4) for v in single[0]['loss']]}, 2 ranks "
        f"{[round(v, 4) for v in double[0][0]['loss']]}, 2 ranks with ZeRO "
        f"{[round(v, 4) for v in sharded[0][0]['loss']]}; NumPy 1 process "
        f"{[round(v, 4) for v in np_single[0]['loss']]}, 2 ranks "
        f"{[round(v, 4) for v in np_double[0][0]['loss']]}.",
        "",
        "## What two processes get out of this machine",
        "",
        "Milliseconds per iteration of a kernel in one process alone, and in each of two "
        "processes at once (no communication; the slower one), alternating, "
        f"best of {args.repeats}; throughput ratio = 2 · alone / side by side.",
        "",
        "| kernel | alone | side by side | throughput ratio |",
        "|---|---:|---:|---:|",
    ]
    for kernel, (alone, pair) in ceiling.items():
        a, b = min(alone), min(pair)
        lines.append(f"| {CEILING_KERNELS[kernel]} | {a * 1e3:.3f} | {b * 1e3:.3f} | "
                     f"{2 * a / b:.2f}× |")
    lines += [
        "",
        "## What one process does at the per-rank batch",
        "",
        "Each rank still runs a whole training step, at batch 64. CPU ms per W1 step in one "
        "process (best of 3 × 300 steps):",
        "",
        "| contender | batch 128 | batch 64 | T(128) / T(64) |",
        "|---|---:|---:|---:|",
    ]
    for name, label in (("numpy", "hand-written NumPy reference"), ("minidl", "minidl")):
        a, b = floor[f"{name}-128"], floor[f"{name}-64"]
        lines.append(f"| {label} | {a * 1e3:.2f} | {b * 1e3:.2f} | {a / b:.2f} |")
    lines += [
        "",
        "T(128) / T(64) is the speed-up 2 ranks would reach with free communication and the "
        "optimizer step replicated: the GEMMs at 64 rows are less efficient than at 128, and "
        "the optimizer step and the per-step Python work do not shrink with the batch.",
        "",
        "## Summing over the 2 ranks here",
        "",
        "MPICH's `Allreduce` (its shared-memory transport) and the shared-memory window sum "
        "that DDP uses when the ranks share a machine (`transport.SharedArray`: two barriers, "
        "each rank adds its half of both copies and writes it into both); buffers hot in "
        "cache, so both are lower bounds of what a step sees.",
        "",
        "| bytes | MPI Allreduce | bandwidth | shared-memory sum | bandwidth |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n_bytes, seconds in sorted(band["mpi"].items(), key=lambda kv: int(kv[0])):
        shared = band["shared"][n_bytes]
        lines.append(f"| {int(n_bytes):,} | {seconds * 1e6:.0f} µs | "
                     f"{int(n_bytes) / seconds / 1e9:.2f} GB/s | {shared * 1e6:.0f} µs | "
                     f"{int(n_bytes) / shared / 1e9:.2f} GB/s |")
    lines += [
        "",
        f"## Estimate for 8 and 64 ranks over {NETWORK_GBIT:g} Gb/s",
        "",
        f"Ring all-reduce: 2(p−1)/p · bytes / bandwidth + 2(p−1) · {NETWORK_LATENCY_S * 1e6:g} "
        "µs latency, no overlap with backward assumed; compute: the single-process step "
        "CPU time measured here at the per-rank batch 128/p (the optimizer step is not split, "
        "so it is part of every rank's time).",
        "",
        "| model | params (float32 bytes) | ranks | per-rank batch | step s (compute) | "
        "all-reduce s | speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, n_params in (("W1", W1_PARAMS), ("W4 CNN", W4_PARAMS)):
        key = name.split()[0]
        if key not in steps:
            lines.append(f"| {name} | {n_params:,} ({4 * n_params:,}) | — | — | — | — | "
                         "not measured: minidl.nn.Conv2d is not available |")
            continue
        for p_, batch, compute, ring, speedup in estimate(steps[key], n_params):
            lines.append(f"| {name} | {n_params:,} ({4 * n_params:,}) | {p_} | {batch} | "
                         f"{compute * 1e3:.2f} ms | {ring * 1e3:.3f} ms | {speedup:.1f}× |")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
