"""Lesson 4: the shapes of learning-rate decay.

A schedule maps the step k to a learning rate. Keras-style schedules are plain functions of
the step (minidl.optim.schedules); PyTorch-style schedulers rewrite the optimizer's lr each
time you call scheduler.step() (minidl.optim.lr_scheduler). Both start at 0.1 here:

    step decay          lr = 0.1 · 0.5^floor(k / 25)                 StepLR(step_size=25)
    exponential decay   lr = 0.1 · 0.5^(k / 25)                      ExponentialDecay
    inverse time        lr = 0.1 / (1 + 0.5 · k / 25)                InverseTimeDecay
    cosine              lr = 0.1 · (1 + cos(π · k / 100)) / 2        CosineDecay
    piecewise constant  0.1 until 30, 0.05 until 60, then 0.01       PiecewiseConstantDecay
    one cycle           warm up to 0.1 for 30 steps, anneal to ~0   OneCycleLR

Run:  python examples/04_learning_rate_decay.py [--out FOLDER]
      (writes lr_schedules.png if matplotlib is installed)

Expected output:
    step    step decay   exponential  inverse time        cosine     piecewise     one cycle
       0      0.100000      0.100000      0.100000      0.100000      0.100000      0.004000
      25      0.050000      0.050000      0.066667      0.085355      0.100000      0.095564
      50      0.025000      0.025000      0.050000      0.050000      0.050000      0.079389
      75      0.012500      0.012500      0.040000      0.014645      0.010000      0.026307
      99      0.012500      0.006426      0.033557      0.000025      0.010000      0.000000
"""
import argparse
import os

import minidl as mdl
from minidl.optim import lr_scheduler, schedules

STEPS = 100


def build():
    w = mdl.tensor([0.0], requires_grad=True)

    def optimizer():
        return mdl.optim.SGD([w], lr=0.1)

    return {
        "step decay": lr_scheduler.StepLR(optimizer(), step_size=25, gamma=0.5),
        "exponential": schedules.ExponentialDecay(0.1, decay_steps=25, decay_rate=0.5),
        "inverse time": schedules.InverseTimeDecay(0.1, decay_steps=25, decay_rate=0.5),
        "cosine": schedules.CosineDecay(0.1, decay_steps=STEPS),
        "piecewise": schedules.PiecewiseConstantDecay([30, 60], [0.1, 0.05, 0.01]),
        "one cycle": lr_scheduler.OneCycleLR(optimizer(), max_lr=0.1, total_steps=STEPS,
                                             pct_start=0.3),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for the picture (default: .)")
    args = parser.parse_args(argv)
    from minidl.teaching.plots import schedule_values
    curves = {name: schedule_values(s, STEPS) for name, s in build().items()}
    print("step" + "".join(f"{name:>14}" for name in curves))
    for k in (0, 25, 50, 75, 99):
        print(f"{k:>4}" + "".join(f"{values[k]:>14.6f}" for values in curves.values()))
    try:
        from minidl.teaching import plots
        plt = plots.require_matplotlib()
    except ImportError as exc:
        print(f"(no picture: {exc})")
        return
    os.makedirs(args.out, exist_ok=True)
    plt.close(plots.plot_schedule(build(), STEPS, os.path.join(args.out, "lr_schedules.png")))


if __name__ == "__main__":
    main()
