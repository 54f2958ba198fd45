"""Instructions per training step: minidl against the hand-written NumPy reference.

    python benchmarks/step_instructions.py                 # W1, W2, W3 and the tiny MLP
    python benchmarks/step_instructions.py --workloads tiny,W2 --contenders minidl,numpy
    python benchmarks/step_instructions.py --workloads W1 --batch 64    # a rank of dist_bench

Wall-clock time on a shared virtual machine moves by ±10% from one minute to the next; the
number of instructions a training step executes does not. For each (workload, contender)
this runs the benchmark's own contender (``contenders.py``) under Valgrind's callgrind
twice, for ``--steps`` and for ``2 × --steps`` steps, and reports the difference divided by
``--steps``: the instructions of one step, start-up and data generation excluded.

Workload ``tiny`` is a 4-4-4-2 MLP on batches of 2: its step is almost all fixed Python
and NumPy call overhead, the part a framework adds on top of the arithmetic. W1–W3 are
``mlp_bench.py``'s. Instructions are not time: a cache miss costs far more than an
instruction, so use this to see where a framework's overhead stands, and ``mlp_bench.py``
for seconds. Needs ``valgrind`` on PATH (Linux); several minutes per workload.
"""
import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mlp_bench import WORKLOADS, Workload, make_data  # noqa: E402

TINY = Workload("tiny", (4, 4, 4, 2), 2)


def workload(name, batch=None):
    """A workload by name; ``batch`` replaces its batch size (W1 at 64: a rank's step in
    ``dist_bench.py``)."""
    wl = TINY if name == "tiny" else WORKLOADS[name]
    return wl if batch is None else dataclasses.replace(wl, batch=batch)


def worker(args):
    """Run ``args.run_steps`` training steps of one contender (under callgrind)."""
    import numpy as np
    from contenders import CONTENDERS
    from numpy_reference import init_params

    wl = workload(args.workload, args.batch)
    n = 2 * args.steps * wl.batch  # the same data for both runs: only the step count differs
    X, Y = make_data(n, d=wl.sizes[0], classes=wl.sizes[-1])
    layers = init_params(wl.sizes, seed=1, batchnorm=wl.batchnorm)
    contender = CONTENDERS[args.contender](wl, layers, X, Y, threads=1)
    contender.epoch(np.arange(args.run_steps * wl.batch))


def instructions(workload_name, contender, steps, run_steps, batch=None):
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           sys.executable, os.path.abspath(__file__), "--worker", "--workloads", workload_name,
           "--contenders", contender, "--steps", str(steps), "--run-steps", str(run_steps)]
    if batch is not None:
        cmd += ["--batch", str(batch)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"callgrind run failed ({' '.join(cmd)}):\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workloads", default="tiny,W1,W2,W3")
    p.add_argument("--contenders", default="minidl,numpy")
    p.add_argument("--steps", type=int, default=20, help="the step difference of the two runs")
    p.add_argument("--batch", type=int, help="replaces each workload's batch size")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--run-steps", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        args.workload, args.contender = args.workloads, args.contenders
        return worker(args)
    if shutil.which("valgrind") is None:
        sys.exit("step_instructions.py needs valgrind on PATH (apt install valgrind)")
    contenders = args.contenders.split(",")
    print(f"instructions per training step (callgrind, {args.steps} vs {2 * args.steps} steps)")
    print("| workload | " + " | ".join(contenders) + " | ratio |")
    print("|---|" + "---:|" * (len(contenders) + 1))
    for name in args.workloads.split(","):
        per_step = []
        for contender in contenders:
            a = instructions(name, contender, args.steps, args.steps, args.batch)
            b = instructions(name, contender, args.steps, 2 * args.steps, args.batch)
            per_step.append((b - a) / args.steps)
        ratio = per_step[0] / per_step[1] if len(per_step) > 1 else float("nan")
        cells = " | ".join(f"{v / 1e3:,.0f} K" for v in per_step)
        print(f"| {name} | {cells} | {ratio:.3f} |", flush=True)


if __name__ == "__main__":
    main()
