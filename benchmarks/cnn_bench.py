"""CNN training benchmark (W4, W5): minidl against a hand-written NumPy CNN and PyTorch CPU.

    python benchmarks/cnn_bench.py --out benchmarks/RESULTS_CNN.md
    python benchmarks/cnn_bench.py --steps 40 --epochs 3 --threads 1     # a quick run

Workloads (``cnn_workloads.py``; synthetic data of MNIST's shape, 60,000 × 1 × 28 × 28
float32, 10 classes, fixed seed): W4, Keras's MNIST convnet, and W5, LeNet-5, both with
Adam(1e-3) and batch 128. Contenders (``cnn_contenders.py``): minidl, the hand-written NumPy
CNN (``numpy_cnn.py``: the floor for a NumPy framework), PyTorch CPU eager, and the matrix
products of a step alone.

Method, as ``mlp_bench.py``'s: each thread count runs in its own subprocess with the BLAS
thread variables set before NumPy is imported; every contender starts from the same weights
and sees the same shuffled orders; one warm-up epoch each, then the timed epochs interleaved
(epoch 1 of each contender, epoch 2 of each, ...). ``--steps N`` makes an "epoch" N batches
(a quick run); 0 means the whole 60,000 samples. Before timing, minidl's and PyTorch's
per-step losses are compared with the NumPy CNN's on the same batches with dropout off.
Memory per (workload, contender) in a fresh single-threaded process: the peak resident-set
growth over one epoch and, for the NumPy-based contenders, tracemalloc's peak over the next.
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
sys.path.insert(0, HERE)

from mlp_bench import THREAD_VARS, _proc_status, _reset_peak_rss, available, blas_line  # noqa: E402

DEFAULT_CONTENDERS = ("minidl", "numpy", "torch", "matmul")


def _orders(n, steps, batch, count, seed=2):
    import numpy as np
    rng = np.random.default_rng(seed)
    size = n if not steps else min(n, steps * batch)
    return [rng.permutation(n)[:size] for _ in range(count)]


def timing_worker(args):
    from cnn_contenders import CONTENDERS
    from cnn_workloads import WORKLOADS, init_params, make_images
    X, Y = make_images(args.samples)
    result = {"threads": args.threads, "blas": blas_line(), "workloads": {}}
    for wname in args.workloads:
        wl = WORKLOADS[wname]
        params = init_params(wl)
        entry = {"contenders": {}, "skipped": {}}
        if args.check_steps and args.threads == 1:
            entry["loss_check"] = loss_check(wl, params, X, Y, args.check_steps, args.contenders)
        built = {}
        for cname in args.contenders:
            if not available(cname):
                entry["skipped"][cname] = "not installed"
                continue
            built[cname] = CONTENDERS[cname](wl, params, X, Y, args.threads)
        orders = _orders(len(X), args.steps, wl.batch, args.epochs + 1)
        times = {c: [] for c in built}
        losses = {c: [] for c in built}
        for e, order in enumerate(orders):  # epoch 0 is the warm-up
            elapsed = {}
            for cname, contender in built.items():
                t0 = time.perf_counter()
                loss = contender.epoch(order)
                elapsed[cname] = time.perf_counter() - t0
                losses[cname].append(loss)
                if e > 0:
                    times[cname].append(elapsed[cname])
            print(f"[{args.threads} thread(s)] {wname} epoch {e}: " + ", ".join(
                f"{c} {losses[c][-1]:.4f} ({elapsed[c]:.2f}s)" for c in built),
                file=sys.stderr, flush=True)
        for cname in built:
            entry["contenders"][cname] = {"name": built[cname].name, "times": times[cname],
                                          "losses": losses[cname]}
        entry["steps"] = len(range(0, len(orders[0]), wl.batch))
        result["workloads"][wname] = entry
    with open(args.json_out, "w") as f:
        json.dump(result, f)


def loss_check(wl, params, X, Y, steps, contenders):
    """Max relative difference of per-step losses against the NumPy CNN, dropout off."""
    from cnn_contenders import CONTENDERS
    wl = wl.without_dropout()
    (order,) = _orders(len(X), steps, wl.batch, 1, seed=3)
    ref = CONTENDERS["numpy"](wl, params, X, Y, 1)
    batches = [order[s:s + wl.batch] for s in range(0, len(order), wl.batch)]
    ref_losses = [ref.model.train_step(X[b], Y[b]) for b in batches]
    out = {"steps": len(ref_losses)}
    for cname in ("minidl", "torch"):
        if cname not in contenders or not available(cname):
            continue
        c = CONTENDERS[cname](wl, params, X, Y, 1)
        losses = [c.epoch(b) for b in batches]
        out[cname] = max(abs(a - b) / abs(b) for a, b in zip(losses, ref_losses))
        out[cname + "_last"] = losses[-1]
    out["numpy_last"] = ref_losses[-1]
    return out


def memory_worker(args):
    import tracemalloc
    from cnn_contenders import CONTENDERS
    from cnn_workloads import WORKLOADS, init_params, make_images
    wl = WORKLOADS[args.workloads[0]]
    cname = args.contenders[0]
    X, Y = make_images(args.samples)
    contender = CONTENDERS[cname](wl, init_params(wl), X, Y, 1)
    orders = _orders(len(X), args.steps, wl.batch, args.mem_epochs + 1, seed=4)
    result = {}
    base = _proc_status("VmRSS")
    if _reset_peak_rss():
        contender.epoch(orders[0])
        result["rss_peak_delta"] = (_proc_status("VmHWM") - base) * 1024
    else:
        contender.epoch(orders[0])
    if cname != "torch":
        tracemalloc.start()
        current = []
        for order in orders[1:]:
            contender.epoch(order)
            current.append(tracemalloc.get_traced_memory()[0])
        result["traced_peak"] = tracemalloc.get_traced_memory()[1]
        result["traced_growth"] = current[-1] - current[0] if current else 0
        tracemalloc.stop()
    with open(args.json_out, "w") as f:
        json.dump(result, f)


def run_worker(mode, threads, args, workloads, contenders, tmp):
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    cmd = [sys.executable, os.path.abspath(__file__), f"--{mode}", "--threads", str(threads),
           "--samples", str(args.samples), "--epochs", str(args.epochs),
           "--steps", str(args.steps), "--mem-epochs", str(args.mem_epochs),
           "--check-steps", str(args.check_steps), "--workloads", ",".join(workloads),
           "--contenders", ",".join(contenders), "--json-out", tmp]
    subprocess.run(cmd, env=env, check=True)
    with open(tmp) as f:
        return json.load(f)


def main(argv=None):
    from cnn_workloads import WORKLOADS
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="write the Markdown report here (it is always printed)")
    p.add_argument("--samples", type=int, default=60000)
    p.add_argument("--steps", type=int, default=0,
                   help="batches per timed epoch (0: the whole set, 469 batches)")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up)")
    p.add_argument("--mem-epochs", type=int, default=2,
                   help="epochs traced for peak memory (0: skip memory)")
    p.add_argument("--check-steps", type=int, default=20,
                   help="steps of the loss check against the NumPy CNN (0: skip)")
    p.add_argument("--workloads", default="W4,W5")
    p.add_argument("--threads", default="1", help="thread counts, one table each")
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
        if c not in DEFAULT_CONTENDERS:
            p.error(f"unknown contender {c!r}; choose from {list(DEFAULT_CONTENDERS)}")
    if args.timing_worker:
        args.threads = int(args.threads)
        return timing_worker(args)
    if args.memory_worker:
        return memory_worker(args)

    started = time.perf_counter()
    threads = [int(t) for t in args.threads.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        timings = [run_worker("timing-worker", t, args, args.workloads, args.contenders,
                              os.path.join(tmp, f"t{t}.json")) for t in threads]
        memory = {}
        if args.mem_epochs:
            for w in args.workloads:
                for c in args.contenders:
                    if c == "matmul" or c not in timings[0]["workloads"][w]["contenders"]:
                        continue
                    memory[(w, c)] = run_worker("memory-worker", 1, args, [w], [c],
                                                os.path.join(tmp, f"m{w}{c}.json"))
    report = render(args, timings, memory, time.perf_counter() - started)
    print(report)
    if args.out:
        write_section(args.out, report)
    return 0


BEGIN, END = "<!-- cnn_bench.py: begin -->", "<!-- cnn_bench.py: end -->"


def write_section(path, report):
    """Put the report between BEGIN/END markers in ``path`` (replacing an earlier one), so
    that it can share RESULTS.md with the MLP report (``mlp_bench.py`` rewrites the whole file:
    run it first)."""
    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    block = f"{BEGIN}\n{report.rstrip()}\n{END}\n"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + block
    with open(path + ".tmp", "w") as f:
        f.write(new)
    os.replace(path + ".tmp", path)


def render(args, timings, memory, total_seconds):
    import platform
    from cnn_workloads import TARGETS, WORKLOADS, parameter_count
    steps = timings[0]["workloads"][args.workloads[0]]["steps"]
    lines = [f"# CNN benchmark: {args.samples} samples × 1 × 28 × 28, float32", "",
             f"Command: `python benchmarks/cnn_bench.py {' '.join(sys.argv[1:])}`  ",
             f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
             f"Python {platform.python_version()}  ",
             f"BLAS: {timings[0]['blas']}  ",
             f"Timed epochs after one warm-up: {args.epochs}, {steps} batches each; total run "
             f"time {total_seconds:.0f} s.", ""]
    for w in args.workloads:
        lines.append(f"- **{w}** ({parameter_count(WORKLOADS[w]):,} parameters): "
                     f"{WORKLOADS[w].description}")
    for result in timings:
        t = result["threads"]
        lines += ["", f"## {t} thread{'s' if t > 1 else ''}", "",
                  "| workload | contender | median s/epoch | min–max | × NumPy CNN | × PyTorch "
                  "| mean loss, last epoch |", "|---|---|---:|---:|---:|---:|---:|"]
        ratios = []
        for w in args.workloads:
            entry = result["workloads"][w]
            med = {c: statistics.median(v["times"]) for c, v in entry["contenders"].items()}
            for c, v in entry["contenders"].items():
                loss = v["losses"][-1]
                lines.append(f"| {w} | {v['name']} | {med[c]:.3f} | {min(v['times']):.3f}–"
                             f"{max(v['times']):.3f} | {_ratio(med, c, 'numpy')} | "
                             f"{_ratio(med, c, 'torch')} | "
                             f"{'—' if loss != loss else f'{loss:.4f}'} |")
            for c, why in entry["skipped"].items():
                lines.append(f"| {w} | {c} | skipped: {why} | | | | |")
            cells = []
            for other, target in zip(("numpy", "torch"), TARGETS[w]):
                r = _ratio(med, "minidl", other, raw=True)
                mark = "" if r is None else (" ✓" if r <= target else " ✗")
                cells.append("—" if r is None else f"{r:.3f} (≤ {target:.2f}){mark}")
            ratios.append(f"| {w} | {cells[0]} | {cells[1]} |")
        lines += ["", "| workload | minidl / NumPy CNN (target) | minidl / PyTorch (target) |",
                  "|---|---:|---:|"] + ratios
    checks = [(w, timings[0]["workloads"][w].get("loss_check")) for w in args.workloads]
    if any(c for _, c in checks):
        lines += ["", "## Loss check (per-step losses vs the NumPy CNN, same weights and "
                      "batches, dropout off)", "",
                  "| workload | steps | minidl max rel. diff | PyTorch max rel. diff |",
                  "|---|---:|---:|---:|"]
        for w, c in checks:
            if c:
                lines.append(f"| {w} | {c['steps']} | {_fmt_e(c.get('minidl'))} | "
                             f"{_fmt_e(c.get('torch'))} |")
    if memory:
        lines += ["", "## Memory (fresh single-threaded process per contender)", "",
                  "| workload | contender | peak RSS growth, 1 epoch (MiB) | tracemalloc peak "
                  "(MiB) | × NumPy CNN (tracemalloc) |", "|---|---|---:|---:|---:|"]
        names = {c: v["name"] for r in timings for e in r["workloads"].values()
                 for c, v in e["contenders"].items()}
        for (w, c), m in memory.items():
            rss, peak = m.get("rss_peak_delta"), m.get("traced_peak")
            ref = memory.get((w, "numpy"), {}).get("traced_peak")
            ratio = "—" if (peak is None or not ref) else f"{peak / ref:.2f}"
            lines.append(f"| {w} | {names.get(c, c)} | "
                         f"{'—' if rss is None else f'{rss / 2**20:.1f}'} | "
                         f"{'—' if peak is None else f'{peak / 2**20:.1f}'} | {ratio} |")
    return "\n".join(lines) + "\n"


def _ratio(med, c, other, raw=False):
    if other not in med or c not in med:
        return None if raw else "—"
    r = med[c] / med[other]
    return r if raw else f"{r:.2f}"


def _fmt_e(x):
    return "—" if x is None else f"{x:.1e}"


if __name__ == "__main__":
    sys.exit(main())
