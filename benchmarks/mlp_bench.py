"""MLP training benchmark: minidl against hand-written NumPy, PyTorch CPU and scikit-learn.

    python benchmarks/mlp_bench.py --out benchmarks/RESULTS.md

Workloads (synthetic data of MNIST's shape: 60,000 × 784 float32, 10 classes, fixed seed):
    W1  MLP 784-256-128-10, ReLU, softmax cross-entropy, Adam(lr=1e-3), batch 128, shuffled
    W2  W1 with batch 32 (per-op overhead dominates)
    W3  784-512-512-10, BatchNorm1d after each hidden Linear, ReLU, Dropout(0.2), Adam, batch 256

Method. Each thread count runs in its own subprocess whose BLAS/OpenMP thread variables are
set before NumPy is imported. In it, per workload, every contender starts from the same
weights; one warm-up epoch each, then timed epochs interleaved (epoch 1 of each contender,
epoch 2 of each, ...), all on the same shuffled orders; data generation is never timed. The
table gives the median seconds per epoch. Before timing, minidl's and PyTorch's per-step
losses are compared with the NumPy reference's on the same batches (W3 without dropout, so
that the masks do not differ). Memory is measured per (workload, contender) in a fresh
single-threaded subprocess: the peak resident-set growth over one epoch (Linux VmHWM, reset
through /proc/self/clear_refs; fair to every contender, PyTorch included) and, for the
NumPy-based ones, tracemalloc's peak during the next epochs and the growth of traced memory
between the end of the first and the last of those epochs (should be ~0: no leak).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:  # a plain checkout benchmarks its own minidl, installed or not
    sys.path.insert(1, ROOT)
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS")


@dataclass
class Workload:
    name: str
    sizes: tuple
    batch: int
    batchnorm: bool = False
    dropout: float = 0.0
    lr: float = 1e-3


WORKLOADS = {
    "W1": Workload("W1", (784, 256, 128, 10), 128),
    "W2": Workload("W2", (784, 256, 128, 10), 32),
    "W3": Workload("W3", (784, 512, 512, 10), 256, batchnorm=True, dropout=0.2),
}
DESCRIPTIONS = {
    "W1": "784-256-128-10, ReLU, Adam, batch 128",
    "W2": "784-256-128-10, ReLU, Adam, batch 32",
    "W3": "784-512-512-10, BatchNorm1d, ReLU, Dropout(0.2), Adam, batch 256",
}
TARGETS = {"W1": (1.05, 1.00), "W2": (1.20, 1.10), "W3": (1.05, 0.90)}
DEFAULT_CONTENDERS = ("minidl", "numpy", "torch", "sklearn", "matmul")
KNOWN_CONTENDERS = DEFAULT_CONTENDERS + ("minidl-core",)  # the keys of contenders.CONTENDERS


def make_data(n, d=784, classes=10, seed=0, label_noise=0.2):
    """Synthetic MNIST-shaped data, float32 in [0, 1): a faint class pattern under uniform noise.

    A fraction ``label_noise`` of the labels is redrawn at random, so that the loss stays well
    above zero for the epochs of a benchmark (as on real data; no underflow-only arithmetic).
    """
    import numpy as np
    rng = np.random.default_rng(seed)
    Y = rng.integers(0, classes, n).astype(np.int64)
    centers = rng.random((classes, d), dtype=np.float32)
    X = rng.random((n, d), dtype=np.float32)
    X *= 0.9
    X += centers[Y] * np.float32(0.1)  # in place: no float64 and no second copy of X
    noisy = rng.random(n) < label_noise
    Y[noisy] = rng.integers(0, classes, int(noisy.sum()))
    return X, Y


def available(name):
    import importlib.util
    module = {"torch": "torch", "sklearn": "sklearn"}.get(name)
    return module is None or importlib.util.find_spec(module) is not None


# -- worker: timings for one thread count --------------------------------------------------
def timing_worker(args):
    import numpy as np
    sys.path.insert(0, HERE)
    from contenders import CONTENDERS
    from numpy_reference import init_params
    from timing import timed

    X, Y = make_data(args.samples)
    result = {"threads": args.threads, "blas": blas_line(), "workloads": {}}
    for wname in args.workloads:
        wl = WORKLOADS[wname]
        epochs = args.w2_epochs if (wname == "W2" and args.w2_epochs) else args.epochs
        layers = init_params(wl.sizes, seed=1, batchnorm=wl.batchnorm)
        entry = {"epochs": epochs, "contenders": {}, "skipped": {}}
        if args.check_steps and args.threads == 1:
            entry["loss_check"] = loss_check(wl, layers, X, Y, args.check_steps, args.contenders)
        built = {}
        for cname in args.contenders:
            if not available(cname):
                entry["skipped"][cname] = "not installed"
                continue
            try:
                built[cname] = CONTENDERS[cname](wl, layers, X, Y, args.threads)
            except ValueError as exc:  # the contender cannot run this workload
                entry["skipped"][cname] = str(exc)
        rng = np.random.default_rng(2)
        orders = [rng.permutation(len(X)) for _ in range(epochs + 1)]
        times = {c: [] for c in built}
        losses = {c: [] for c in built}
        for e, order in enumerate(orders):  # epoch 0 is the warm-up
            for cname, contender in built.items():
                loss, elapsed = timed(lambda: contender.epoch(order),
                                      getattr(contender, "synchronize", None))
                losses[cname].append(loss)
                if e > 0:
                    times[cname].append(elapsed)
            print(f"[{args.threads} thread(s)] {wname} epoch {e}: " + ", ".join(
                f"{c} {losses[c][-1]:.4f}" for c in built), file=sys.stderr, flush=True)
        for cname in built:
            entry["contenders"][cname] = {"name": built[cname].name, "times": times[cname],
                                          "losses": losses[cname]}
        result["workloads"][wname] = entry
    with open(args.json_out, "w") as f:
        json.dump(result, f)


def loss_check(wl, layers, X, Y, steps, contenders):
    """Max relative difference of per-step losses against the NumPy reference, same batches."""
    import numpy as np
    from contenders import CONTENDERS
    from dataclasses import replace
    wl = replace(wl, dropout=0.0)  # equal dropout masks cannot be shared across frameworks
    n = min(len(X), steps * wl.batch)
    order = np.random.default_rng(3).permutation(len(X))[:n]
    ref = CONTENDERS["numpy"](wl, layers, X, Y, 1)
    ref_losses = [ref.model.train_step(X[order[s:s + wl.batch]], Y[order[s:s + wl.batch]])
                  for s in range(0, n, wl.batch)]
    out = {"steps": len(ref_losses), "dropout_off": True}
    for cname in ("minidl", "minidl-core", "torch"):
        if cname not in contenders or not available(cname):
            continue
        c = CONTENDERS[cname](wl, layers, X, Y, 1)
        losses = [c.epoch(order[s:s + wl.batch]) for s in range(0, n, wl.batch)]
        rel = [abs(a - b) / abs(b) for a, b in zip(losses, ref_losses)]
        out[cname] = max(rel)
    return out


def blas_line():
    """One line naming the BLAS NumPy uses and its threads (threadpoolctl, else NumPy's config)."""
    import numpy as np
    try:
        from threadpoolctl import threadpool_info
        parts = [f"{i.get('internal_api')} {i.get('version')} ({i.get('threading_layer', '?')}, "
                 f"{i.get('architecture', '?')}, {i.get('num_threads')} threads, "
                 f"{os.path.basename(i.get('filepath', ''))})"
                 for i in threadpool_info() if i.get("user_api") == "blas"]
        if parts:
            return f"numpy {np.__version__}, " + "; ".join(parts)
    except ImportError:
        pass
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return f"numpy {np.__version__}, {blas.get('name')} {blas.get('version')}"


# -- worker: memory of one contender on one workload ----------------------------------------
def memory_worker(args):
    import tracemalloc
    import numpy as np
    sys.path.insert(0, HERE)
    from contenders import CONTENDERS
    from numpy_reference import init_params

    wl = WORKLOADS[args.workloads[0]]
    cname = args.contenders[0]
    X, Y = make_data(args.samples)
    layers = init_params(wl.sizes, seed=1, batchnorm=wl.batchnorm)
    contender = CONTENDERS[cname](wl, layers, X, Y, 1)
    rng = np.random.default_rng(2)
    result = {}
    base = _proc_status("VmRSS")
    if _reset_peak_rss():
        contender.epoch(rng.permutation(len(X)))
        result["rss_peak_delta"] = (_proc_status("VmHWM") - base) * 1024
    else:
        contender.epoch(rng.permutation(len(X)))
    if cname != "torch":  # tracemalloc sees NumPy's buffers, not PyTorch's
        tracemalloc.start()
        current = []
        for _ in range(args.mem_epochs):
            contender.epoch(rng.permutation(len(X)))
            current.append(tracemalloc.get_traced_memory()[0])
        result["traced_peak"] = tracemalloc.get_traced_memory()[1]
        result["traced_growth"] = current[-1] - current[0]
        result["traced_after_each_epoch"] = current
        result["traced_epochs"] = args.mem_epochs
        tracemalloc.stop()
    with open(args.json_out, "w") as f:
        json.dump(result, f)


def _proc_status(field):
    """A field of /proc/self/status in KiB (Linux), or 0 elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


# -- the driver ----------------------------------------------------------------------------
def run_worker(mode, threads, args, workloads, contenders, tmp):
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    cmd = [sys.executable, os.path.abspath(__file__), f"--{mode}", "--threads", str(threads),
           "--samples", str(args.samples), "--epochs", str(args.epochs),
           "--w2-epochs", str(args.w2_epochs), "--mem-epochs", str(args.mem_epochs),
           "--check-steps", str(args.check_steps),
           "--workloads", ",".join(workloads), "--contenders", ",".join(contenders),
           "--json-out", tmp]
    subprocess.run(cmd, env=env, check=True)
    with open(tmp) as f:
        return json.load(f)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="write the Markdown report here (it is always printed)")
    p.add_argument("--samples", type=int, default=60000)
    p.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up)")
    p.add_argument("--w2-epochs", type=int, default=0, help="timed epochs for W2 (0: --epochs)")
    p.add_argument("--mem-epochs", type=int, default=5,
                   help="epochs traced for peak memory and growth (0: skip memory)")
    p.add_argument("--check-steps", type=int, default=50,
                   help="steps of the loss check against the NumPy reference (0: skip)")
    p.add_argument("--workloads", default="W1,W2,W3")
    p.add_argument("--threads", default="1,2", help="thread counts, one table each")
    p.add_argument("--contenders", default=",".join(DEFAULT_CONTENDERS))
    p.add_argument("--timing-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--memory-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--json-out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    args.contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    for w in args.workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r}; choose from {sorted(WORKLOADS)}")
    for c in args.contenders:
        if c not in KNOWN_CONTENDERS:
            p.error(f"unknown contender {c!r}; choose from {list(KNOWN_CONTENDERS)}")
    if args.timing_worker:
        args.threads = int(args.threads)
        return timing_worker(args)
    if args.memory_worker:
        return memory_worker(args)

    import tempfile
    started = time.perf_counter()
    threads = [int(t) for t in args.threads.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        timings = [run_worker("timing-worker", t, args, args.workloads, args.contenders,
                              os.path.join(tmp, f"t{t}.json")) for t in threads]
        memory = {}
        if args.mem_epochs:
            for w in args.workloads:
                for c in args.contenders:
                    if c == "matmul" or not available(c) or c not in \
                            timings[0]["workloads"][w]["contenders"]:
                        continue
                    memory[(w, c)] = run_worker("memory-worker", 1, args, [w], [c],
                                                os.path.join(tmp, f"m{w}{c}.json"))
    report = render(args, timings, memory, time.perf_counter() - started)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    return 0


# -- the report ----------------------------------------------------------------------------
def render(args, timings, memory, total_seconds):
    import platform
    lines = [f"# MLP benchmark: {args.samples} samples × 784, float32",
             "",
             f"Command: `python benchmarks/mlp_bench.py {' '.join(sys.argv[1:])}`  ",
             f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
             f"Python {platform.python_version()}  ",
             f"BLAS: {timings[0]['blas']}  ",
             f"Timed epochs after one warm-up: {args.epochs}"
             + (f" ({args.w2_epochs} for W2)" if args.w2_epochs else "")
             + f"; total run time {total_seconds:.0f} s.", ""]
    for w in args.workloads:
        lines.append(f"- **{w}**: {DESCRIPTIONS[w]}")
    for result in timings:
        t = result["threads"]
        lines += ["", f"## {t} thread{'s' if t > 1 else ''} "
                      f"(OPENBLAS_NUM_THREADS={t}, torch.set_num_threads({t}))", "",
                  f"BLAS in this process: {result['blas']}", "",
                  "| workload | contender | median s/epoch | min–max | × NumPy ref | × PyTorch "
                  "| mean loss, last epoch |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for w in args.workloads:
            entry = result["workloads"][w]
            med = {c: statistics.median(v["times"]) for c, v in entry["contenders"].items()}
            for c, v in entry["contenders"].items():
                ratio_np = _ratio(med, c, "numpy")
                ratio_pt = _ratio(med, c, "torch")
                loss = v["losses"][-1]
                lines.append(f"| {w} | {v['name']} | {med[c]:.3f} | {min(v['times']):.3f}–"
                             f"{max(v['times']):.3f} | {ratio_np} | {ratio_pt} | "
                             f"{'—' if loss != loss else f'{loss:.4f}'} |")
            for c, why in entry["skipped"].items():
                lines.append(f"| {w} | {c} | skipped: {why} | | | | |")
        lines += ["", "| workload | minidl / NumPy (target) | minidl / PyTorch (target) |",
                  "|---|---:|---:|"]
        for w in args.workloads:
            entry = result["workloads"][w]
            med = {c: statistics.median(v["times"]) for c, v in entry["contenders"].items()}
            cells = []
            for other, target in zip(("numpy", "torch"), TARGETS[w]):
                r = _ratio(med, "minidl", other, raw=True)
                mark = "" if r is None else (" ✓" if r <= target else " ✗")
                cells.append("—" if r is None else f"{r:.3f} (≤ {target:.2f}){mark}")
            lines.append(f"| {w} | {cells[0]} | {cells[1]} |")
    checks = [(w, timings[0]["workloads"][w].get("loss_check")) for w in args.workloads]
    if any(c for _, c in checks):
        lines += ["", "## Loss check (per-step losses vs the NumPy reference, same weights and "
                      "batches, dropout off)", "",
                  "| workload | steps | minidl max rel. diff | minidl core ops max rel. diff | PyTorch max rel. diff |",
                  "|---|---:|---:|---:|---:|"]
        for w, c in checks:
            if c:
                lines.append(f"| {w} | {c['steps']} | {_fmt_e(c.get('minidl'))} | "
                             f"{_fmt_e(c.get('minidl-core'))} | {_fmt_e(c.get('torch'))} |")
    if memory:
        lines += ["", "## Memory (fresh single-threaded process per contender)", "",
                  "| workload | contender | peak RSS growth, 1 epoch (MiB) | tracemalloc peak "
                  f"(MiB) | traced growth over {args.mem_epochs} epochs (KiB) |",
                  "|---|---|---:|---:|---:|"]
        names = {c: v["name"] for r in timings for e in r["workloads"].values()
                 for c, v in e["contenders"].items()}
        for (w, c), m in memory.items():
            rss = m.get("rss_peak_delta")
            peak, growth = m.get("traced_peak"), m.get("traced_growth")
            lines.append(f"| {w} | {names.get(c, c)} | {'—' if rss is None else f'{rss / 2**20:.1f}'}"
                         f" | {'—' if peak is None else f'{peak / 2**20:.1f}'} | "
                         f"{'—' if growth is None else f'{growth / 1024:+.1f}'} |")
    return "\n".join(lines) + "\n"


def _ratio(med, c, other, raw=False):
    if other not in med or c not in med:
        return None if raw else "—"
    r = med[c] / med[other]
    return r if raw else f"{r:.2f}"


def _fmt_e(x):
    return "—" if x is None else f"{x:.1e}"


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    sys.exit(main())
