"""Print, for every optimizer case, how far minidl's run is from each oracle (a Markdown table).

    python -m tests.optim.deviation_table

Runs the 60-step cases of tests/optim/problem.py (float64, two parameter groups, three
parameters) and the L-BFGS Rosenbrock runs of test_lbfgs.py, and reports the largest absolute
difference from torch.optim (when installed) and from tests/optim/reference.py over the run.
"""
import numpy as np

from tests.optim import reference, test_lbfgs
from tests.optim.problem import (CASES, case_id, max_deviation, problem_for, run_minidl,
                                 run_reference, run_torch)


def main():
    try:
        import torch
    except ImportError:
        torch = None
    rows = []
    for name, kwargs in CASES:
        problem = problem_for(kwargs)
        ours, _, _ = run_minidl(name, kwargs, problem)
        ref = max_deviation(ours, run_reference(name, kwargs, problem))[0]
        tor = max_deviation(ours, run_torch(torch, name, kwargs, problem))[0] if torch else None
        rows.append((case_id((name, kwargs)), f"{problem.steps} steps", tor, ref))
    lbfgs_cases = [(dict(line_search_fn="strong_wolfe"), 4),
                   (dict(line_search_fn="strong_wolfe", history_size=3, max_iter=7), 8),
                   (dict(lr=0.05, max_iter=10, history_size=5), 6)]
    for kwargs, steps in lbfgs_cases:
        ours, _ = test_lbfgs.run_minidl(steps, **kwargs)
        tor = None
        if torch:
            theirs = test_lbfgs.run_torch(torch, steps, **kwargs)
            assert [o[1:] for o in ours] == [t[1:] for t in theirs]   # same evaluation counts
            tor = max(float(np.abs(o[0] - t[0]).max()) for o, t in zip(ours, theirs))
        ref = None
        if "line_search_fn" not in kwargs:           # the reference has the fixed step only
            one, _ = test_lbfgs.run_minidl(1, **kwargs)
            x, _ = reference.lbfgs_fixed_step(test_lbfgs.rosenbrock, test_lbfgs.START.copy(),
                                              **kwargs)
            ref = float(np.abs(one[0][0] - x).max())
        evals = ours[-1][1]
        label = "LBFGS-" + "-".join(f"{k}={v}" for k, v in kwargs.items())
        rows.append((label, f"{steps} steps, {evals} evals", tor, ref))

    def fmt(value):
        return "n/a" if value is None else f"{value:.1e}"

    print("| optimizer (options) | run | max abs dev vs torch.optim 2.13 | "
          "max abs dev vs reference.py |")
    print("|---|---|---|---|")
    for label, run, tor, ref in rows:
        print(f"| {label} | {run} | {fmt(tor)} | {fmt(ref)} |")


if __name__ == "__main__":
    main()
