"""The GPU check: one command that proves minidl's CUDA path and measures it.

    bash benchmarks/gpu_check.sh                 # on a GPU machine: about 5 minutes
    bash benchmarks/gpu_check.sh --dry-run       # the same steps on the CPU, tiny sizes

Steps (each under its own time limit, so the whole check ends within ``--budget`` seconds):
  1. versions: the GPU and its driver (``nvidia-smi``, CuPy's runtime), CUDA, CuPy (and the
     distribution that installed it: the wheel name is detected, never assumed), NumPy,
     PyTorch, pytest;
  2. tests: every device-parametrized test on CuPy and the op-by-op parity tests,
     ``MINIDL_TEST_DEVICES=cuda MINIDL_PARITY_DEVICE=cuda pytest tests -k "cuda or parity"``;
  3. training: ``python -m minidl train --device cuda --epochs 2`` on MNIST, its test accuracy,
     and the same run on the CPU for comparison (``--no-cpu-baseline`` skips it);
  4. timing: the benchmark workloads W1-W3 (benchmarks/mlp_bench.py) and, when
     benchmarks/cnn_workloads.py and minidl's conv layers exist, W4/W5, for minidl on CuPy
     against PyTorch CUDA eager (when torch sees a GPU); the same weights and batch orders,
     one warm-up epoch, then timed epochs interleaved; the device is synchronised around
     every timed region (benchmarks/timing.py).
The report (versions, test and training results, one Markdown table) is printed and written
to ``--out``. Nothing here uses the network; nothing is installed.

``--dry-run`` runs every step without CUDA: tests on the strict backend (the stand-in for
CuPy), training and timing on the CPU at tiny sizes. The suite runs it
(tests/test_gpu_check.py). The exit status is 0 when every step that ran passed.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, ROOT]  # the benchmarks' modules, and this checkout's minidl

# W1 on the GPU: at most 1.5 x PyTorch CUDA eager per epoch (issue 16)
GPU_TARGETS = {"W1": 1.5}


# -- 1. versions -----------------------------------------------------------------------------
def versions(dry_run):
    """(name, value) lines about the machine and the libraries the check uses."""
    import numpy as np
    lines = [("Python", platform.python_version()), ("NumPy", np.__version__)]
    smi = shutil.which("nvidia-smi")
    if smi:
        out = _output([smi, "--query-gpu=name,driver_version,memory.total",
                       "--format=csv,noheader"])
        lines.append(("nvidia-smi", out or "(no answer)"))
        header = _output([smi])
        cuda = re.search(r"CUDA Version:\s*([\d.]+)", header or "")
        if cuda:
            lines.append(("driver's CUDA version", cuda.group(1)))
    else:
        lines.append(("nvidia-smi", "not found"))
    lines += cupy_versions()
    lines += torch_versions()
    try:
        import pytest
        lines.append(("pytest", pytest.__version__))
    except ImportError:
        lines.append(("pytest", "not installed"))
    try:  # the test extra; without it the property tests of test_ops_grad.py cannot load
        import hypothesis
        lines.append(("hypothesis", hypothesis.__version__))
    except ImportError:
        lines.append(("hypothesis", "not installed: tests/autograd/test_ops_grad.py cannot be "
                                    "collected (reported as an error; the other tests run)"))
    if dry_run:
        lines.append(("mode", "dry run: CUDA steps replaced by the strict backend and the CPU"))
    return lines


def cupy_versions():
    try:
        import cupy
    except ImportError as exc:
        return [("CuPy", f"not importable ({exc})")]
    lines = [("CuPy", f"{cupy.__version__} (installed by {_distribution_of('cupy')})")]
    try:
        runtime = cupy.cuda.runtime
        props = runtime.getDeviceProperties(0)
        name = props["name"]
        name = name.decode() if isinstance(name, bytes) else name
        lines += [("GPU", f"{name}, {props['totalGlobalMem'] / 2**30:.0f} GiB, "
                          f"compute capability {props['major']}.{props['minor']}, "
                          f"{runtime.getDeviceCount()} device(s)"),
                  ("CUDA driver API", _cuda_version(runtime.driverGetVersion())),
                  ("CUDA runtime (CuPy)", _cuda_version(runtime.runtimeGetVersion()))]
    except Exception as exc:  # CuPy without a usable GPU
        lines.append(("GPU", f"CuPy sees none ({exc})"))
    return lines


def torch_versions():
    try:
        import torch
    except ImportError:
        return [("PyTorch", "not installed")]
    cuda = torch.cuda.is_available()
    seen = "available" if cuda else "not available"
    text = f"{torch.__version__} (CUDA {torch.version.cuda}, GPU {seen}"
    if cuda:
        text += f": {torch.cuda.get_device_name(0)}"
    return [("PyTorch", text + ")")]


def _distribution_of(module):
    try:
        from importlib.metadata import packages_distributions
        names = packages_distributions().get(module)
        return ", ".join(sorted(set(names))) if names else "an unknown distribution"
    except Exception:
        return "an unknown distribution"


def _cuda_version(number):
    return f"{number // 1000}.{(number % 1000) // 10}"


def _output(cmd):
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return done.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None


# -- 2. tests --------------------------------------------------------------------------------
def run_tests(args, device, timeout):
    """pytest on ``device`` ('cuda', or 'strict' in a dry run); (status, summary line)."""
    env = dict(_env(), MINIDL_TEST_DEVICES=device, MINIDL_PARITY_DEVICE=device)
    # a module that cannot be imported here (a missing optional test library) is reported,
    # and the other modules still run
    cmd = [sys.executable, "-m", "pytest", *args.tests, "-q", "-rfE", "-o", "addopts=",
           "-p", "no:cacheprovider", "--continue-on-collection-errors"]
    if not args.all_tests:
        cmd += ["-k", f"{device} or parity"]
    print("$ MINIDL_TEST_DEVICES={0} MINIDL_PARITY_DEVICE={0} {1}".format(
        device, " ".join(cmd[1:])), flush=True)
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _echo_tail(exc.stdout)
        return "failed", f"pytest did not finish within {timeout:.0f} s"
    _echo_tail(done.stdout + done.stderr)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else "(no output)"
    return ("passed" if done.returncode == 0 else "failed"), summary


def _env():
    """The environment of the steps' processes: this checkout's minidl first on the path."""
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != ROOT]
    return dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT] + rest))


def _echo_tail(text, lines=40):
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    if text:
        print("\n".join(text.splitlines()[-lines:]), flush=True)


# -- 3. training -----------------------------------------------------------------------------
def train(args, device, timeout):
    """``python -m minidl train`` on ``device``; (status, test accuracy or None, detail)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        cmd = [sys.executable, "-m", "minidl", "train", "--device", device,
               "--epochs", str(args.train_epochs), "--out", out, "--no-progress"]
        if args.train_limit:
            cmd += ["--limit", str(args.train_limit)]
        if args.data:
            cmd += ["--data", args.data]
        print("$ " + " ".join(["python"] + cmd[1:]), flush=True)
        try:
            done = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return "failed", None, f"did not finish within {timeout:.0f} s"
        _echo_tail(done.stdout + done.stderr, lines=12)
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            return "failed", None, f"exit {done.returncode}: {why}"
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
    detail = (f"{metrics['epochs']} epochs on {metrics['train_samples']} images, "
              f"training {metrics['train_time_s']:.1f} s")
    return "passed", metrics["test_accuracy"], detail


# -- 4. timing -------------------------------------------------------------------------------
class MinidlLoop:
    """A minidl model, cross-entropy and Adam on (X, Y), one ``epoch(order)`` at a time."""

    def __init__(self, model, X, Y, batch, lr, device):
        import minidl as mdl
        from timing import minidl_synchronizer
        self.mdl, self.model, self.device, self.batch = mdl, model.to(device), device, batch
        self.model.train()
        self.loss_fn = mdl.nn.CrossEntropyLoss()
        self.opt = mdl.optim.Adam(self.model.parameters(), lr=lr)
        self.X, self.Y = mdl.tensor(X, device=device), mdl.tensor(Y, device=device)
        self.synchronize = minidl_synchronizer(device)
        self.name = f"minidl {device}"

    def epoch(self, order):
        order = self.mdl.tensor(order, device=self.device)
        total, count = 0.0, 0
        for start in range(0, len(order), self.batch):
            idx = order[start:start + self.batch]
            loss = self.loss_fn(self.model(self.X[idx]), self.Y[idx])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total += loss.item()
            count += 1
        return total / count


class TorchLoop:
    """The same loop in PyTorch eager."""

    def __init__(self, model, X, Y, batch, lr, device):
        import torch
        from timing import torch_synchronizer
        self.torch, self.model, self.device, self.batch = torch, model.to(device), device, batch
        self.model.train()
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.X, self.Y = torch.from_numpy(X).to(device), torch.from_numpy(Y).to(device)
        self.synchronize = torch_synchronizer(device)
        self.name = f"PyTorch {device.upper() if device != 'cpu' else 'CPU'} eager"

    def epoch(self, order):
        order = self.torch.from_numpy(order).to(self.device)
        total, count = 0.0, 0
        for start in range(0, len(order), self.batch):
            idx = order[start:start + self.batch]
            loss = self.loss_fn(self.model(self.X[idx]), self.Y[idx])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total += loss.item()
            count += 1
        return total / count


def cnn_workloads():
    """benchmarks/cnn_workloads.py's registry when it and minidl's conv layers exist, else {}."""
    try:
        import cnn_workloads
        import minidl.nn as nn
    except ImportError:
        return {}
    if not all(hasattr(nn, name) for name in ("Conv2d", "MaxPool2d")):
        return {}
    return cnn_workloads.WORKLOADS


def torch_device(want):
    """The device PyTorch runs on for the comparison, or None without a usable torch."""
    try:
        import torch
    except ImportError:
        return None
    if want == "cpu":
        return "cpu"
    return "cuda" if torch.cuda.is_available() else None


def build_contenders(wname, samples, device, tdevice):
    """(contenders, data) for one workload: minidl on ``device``, PyTorch on ``tdevice``."""
    from mlp_bench import WORKLOADS, make_data
    if wname in WORKLOADS:
        from contenders import MinidlContender, TorchContender
        from numpy_reference import init_params
        wl = WORKLOADS[wname]
        X, Y = make_data(samples)
        layers = init_params(wl.sizes, seed=1, batchnorm=wl.batchnorm)
        built = [MinidlContender(wl, layers, X, Y, 1, device=device)]
        if tdevice:
            built.append(TorchContender(wl, layers, X, Y, 1, device=tdevice))
        return built, len(X)
    import cnn_workloads
    wl = cnn_workloads.WORKLOADS[wname]
    X, Y = cnn_workloads.make_images(samples)
    params = cnn_workloads.init_params(wl)
    built = [MinidlLoop(cnn_workloads.build_minidl(wl, params), X, Y, wl.batch, wl.lr, device)]
    if tdevice:
        built.append(TorchLoop(cnn_workloads.build_torch(wl, params), X, Y, wl.batch, wl.lr,
                               tdevice))
    return built, len(X)


def bench_worker(args):
    """Time every workload; write the results as JSON after each one (a timeout keeps them)."""
    import numpy as np
    from timing import timed
    device = "cpu" if args.dry_run else "cuda"
    tdevice = torch_device(device)
    results = {"device": device, "torch_device": tdevice, "workloads": {}}
    for wname in args.workloads:
        if wname not in _known_workloads():
            results["workloads"][wname] = {"skipped": "not defined here (no cnn_workloads.py "
                                                      "or no conv layers in minidl)"}
            continue
        built, n = build_contenders(wname, args.samples, device, tdevice)
        rng = np.random.default_rng(2)
        orders = [rng.permutation(n) for _ in range(args.epochs + 1)]
        times = [[] for _ in built]
        losses = [[] for _ in built]
        for e, order in enumerate(orders):  # epoch 0 is the warm-up, never reported
            for i, contender in enumerate(built):
                loss, seconds = timed(lambda: contender.epoch(order), contender.synchronize)
                losses[i].append(loss)
                if e > 0:
                    times[i].append(seconds)
            print(f"{wname} epoch {e}: " + ", ".join(f"{c.name} {loss[-1]:.4f}" for c, loss
                                                     in zip(built, losses)),
                  file=sys.stderr, flush=True)
        results["workloads"][wname] = {"samples": n, "contenders": [
            {"name": c.name, "times": t, "losses": loss} for c, t, loss in zip(built, times,
                                                                                losses)]}
        with open(args.json_out, "w") as f:
            json.dump(results, f)
        del built
    with open(args.json_out, "w") as f:
        json.dump(results, f)
    return 0


def _known_workloads():
    from mlp_bench import WORKLOADS
    return set(WORKLOADS) | set(cnn_workloads())


def run_bench(args, timeout):
    """The timing worker in its own process; (status, results dict)."""
    with tempfile.TemporaryDirectory() as tmp:
        json_out = os.path.join(tmp, "bench.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--bench-worker", "--json-out",
               json_out, "--samples", str(args.samples), "--epochs", str(args.epochs),
               "--workloads", ",".join(args.workloads)] + (["--dry-run"] if args.dry_run else [])
        status = "passed"
        try:
            done = subprocess.run(cmd, cwd=ROOT, env=_env(), timeout=timeout)
            if done.returncode != 0:
                status = "failed"
        except subprocess.TimeoutExpired:
            status = f"stopped after {timeout:.0f} s (partial results)"
        results = {}
        if os.path.exists(json_out):
            with open(json_out) as f:
                results = json.load(f)
    return status, results


# -- the report ------------------------------------------------------------------------------
def render(args, info, steps, bench, seconds):
    mode = "dry run (no CUDA)" if args.dry_run else "GPU"
    lines = [f"# minidl GPU check ({mode})", "",
             f"Command: `bash benchmarks/gpu_check.sh {' '.join(args.argv)}`".rstrip() + "  ",
             f"Total time {seconds:.0f} s.", "", "## Machine and libraries", ""]
    lines += [f"- {name}: {value}" for name, value in info]
    lines += ["", "## Results", ""]
    for name, (status, detail) in steps.items():
        lines.append(f"- {name}: **{status}**" + (f" — {detail}" if detail else ""))
    lines += ["", "## Seconds per epoch (median of the timed epochs, after one warm-up; "
                  "device synchronised around each)", ""]
    lines += bench_table(bench)
    return "\n".join(lines) + "\n"


def bench_table(bench):
    if not bench or not bench.get("workloads"):
        return ["(no timings)"]
    device, tdevice = bench["device"], bench.get("torch_device")
    ref_name = f"PyTorch {'CPU' if tdevice == 'cpu' else 'CUDA'} eager"
    rows = [f"| workload | samples | minidl {device} s/epoch (min–max) | {ref_name} s/epoch "
            f"(min–max) | minidl / PyTorch (target) | mean loss, last epoch (minidl / PyTorch) |",
            "|---|---:|---:|---:|---:|---:|"]
    for wname, entry in bench["workloads"].items():
        if "skipped" in entry:
            rows.append(f"| {wname} | — | skipped: {entry['skipped']} | | | |")
            continue
        cells = [_timing_cell(c) for c in entry["contenders"]]
        losses = [f"{c['losses'][-1]:.4f}" for c in entry["contenders"]]
        if len(cells) < 2:
            cells.append("— (no PyTorch with a GPU)")
            ratio = "—"
        else:
            m, t = (statistics.median(c["times"]) for c in entry["contenders"][:2])
            ratio = f"{m / t:.2f}"
            target = GPU_TARGETS.get(wname)
            if target is not None and device != "cpu":
                ratio += f" (≤ {target:.1f}) {'✓' if m / t <= target else '✗'}"
        rows.append(f"| {wname} | {entry['samples']} | {cells[0]} | {cells[1]} | {ratio} | "
                    f"{' / '.join(losses)} |")
    return rows


def _timing_cell(contender):
    t = contender["times"]
    return f"{statistics.median(t):.3f} ({min(t):.3f}–{max(t):.3f})"


# -- the driver ------------------------------------------------------------------------------
def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dry-run", action="store_true",
                   help="no CUDA: tests on the strict backend, training and timing on the CPU, "
                        "tiny sizes")
    p.add_argument("--out", default=None,
                   help="write the report here (default benchmarks/GPU_RESULTS.md; a dry run "
                        "writes nothing unless asked)")
    p.add_argument("--budget", type=float, default=470.0,
                   help="seconds for the whole check (default 470: under 8 minutes)")
    p.add_argument("--tests", default=None,
                   help="test paths, comma-separated (default: tests; dry run: the parity "
                        "module)")
    p.add_argument("--all-tests", action="store_true",
                   help="run every selected test, not only the device-parametrized ones")
    p.add_argument("--data", default=None, help="dataset root for training (default: "
                   "$MINIDL_DATA, as `python -m minidl train`)")
    p.add_argument("--train-epochs", type=int, default=None, help="default 2 (dry run: 1)")
    p.add_argument("--train-limit", type=int, default=None,
                   help="train on the first N images (default all; dry run: 512)")
    p.add_argument("--no-cpu-baseline", action="store_true",
                   help="do not train on the CPU for comparison")
    p.add_argument("--samples", type=int, default=None,
                   help="samples per timed epoch (default 60000; dry run: 256)")
    p.add_argument("--epochs", type=int, default=None,
                   help="timed epochs per workload after one warm-up (default 3; dry run: 1)")
    p.add_argument("--workloads", default="W1,W2,W3,W4,W5",
                   help="default W1,W2,W3,W4,W5 (W4/W5 once the CNN workloads exist)")
    p.add_argument("--skip", default="", help="steps to skip, comma-separated: tests,train,bench")
    p.add_argument("--bench-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--json-out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.argv = list(argv)
    small = args.dry_run
    args.tests = [t for t in (args.tests or (
        "tests/backends/test_cuda_parity.py" if small else "tests")).split(",") if t]
    args.train_epochs = args.train_epochs or (1 if small else 2)
    args.train_limit = args.train_limit if args.train_limit is not None else (512 if small else 0)
    args.samples = args.samples or (256 if small else 60000)
    args.epochs = args.epochs or (1 if small else 3)
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = args.skip - {"tests", "train", "bench"}
    if unknown:
        p.error(f"--skip: unknown step(s) {sorted(unknown)}; choose from tests, train, bench")
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.bench_worker:
        return bench_worker(args)
    started = time.perf_counter()
    deadline = started + args.budget

    def left(share):
        """Seconds for the next step: ``share`` of what is left, at least 30."""
        return max(30.0, (deadline - time.perf_counter()) * share)

    print("== versions", flush=True)
    info = versions(args.dry_run)
    for name, value in info:
        print(f"{name}: {value}", flush=True)
    device = "cpu" if args.dry_run else "cuda"
    steps = {}
    if not args.dry_run:
        from minidl import backends
        try:
            backends.get_backend("cuda")
        except RuntimeError as exc:
            print(f"gpu_check: no CUDA device: {exc}\n(--dry-run checks everything else on "
                  "the CPU)", file=sys.stderr)
            return 2
    if "tests" not in args.skip:
        print("\n== tests", flush=True)
        steps["tests"] = run_tests(args, "strict" if args.dry_run else "cuda", left(0.45))
    if "train" not in args.skip:
        print("\n== training", flush=True)
        status, accuracy, detail = train(args, device, left(0.35))
        steps[f"MNIST MLP on {device}"] = (status, _accuracy(accuracy, detail))
        if not args.no_cpu_baseline and not args.dry_run:
            status_cpu, accuracy_cpu, detail_cpu = train(args, "cpu", left(0.4))
            steps["MNIST MLP on cpu (baseline)"] = (status_cpu, _accuracy(accuracy_cpu,
                                                                          detail_cpu))
            if accuracy is not None and accuracy_cpu is not None:
                gap = 100 * (accuracy - accuracy_cpu)
                steps["accuracy, cuda − cpu"] = (
                    "passed" if abs(gap) <= 0.5 else "failed",
                    f"{gap:+.2f} points (same seed and initial weights; the GPU draws its own "
                    "dropout masks, so the runs differ a little; the check allows ±0.5)")
    bench = {}
    if "bench" not in args.skip:
        print("\n== timing", flush=True)
        status, bench = run_bench(args, left(0.95))
        steps["timing"] = (status, None)
    report = render(args, info, steps, bench, time.perf_counter() - started)
    print("\n" + report)
    out = args.out or (None if args.dry_run else os.path.join(HERE, "GPU_RESULTS.md"))
    if out:
        with open(out, "w") as f:
            f.write(report)
        print(f"wrote {out}")
    return 0 if all(status == "passed" for status, _ in steps.values()) else 1


def _accuracy(accuracy, detail):
    return detail if accuracy is None else f"test accuracy {100 * accuracy:.2f}% ({detail})"


if __name__ == "__main__":
    sys.exit(main())
