"""Lesson 3: why momentum and adaptive methods escape a saddle point and plain SGD does not.

f(x, y) = x² − y² has a saddle at (0, 0): downhill along y, uphill along x. Start just off
the ridge, at (−1, 0.001). The gradient (2x, −2y) is almost all along x, so plain SGD rolls
into the saddle point and only creeps away from it: y grows by a factor 1 + 2·lr per step.
Momentum accumulates the small, consistent push along y; Adagrad, RMSprop and Adam divide
each coordinate by its own gradient scale, so the tiny y-gradient gets as large a step as x.

Run:  python examples/03_optimizers_on_a_saddle.py [--out FOLDER]
      (writes saddle_paths.png, saddle_loss.png and saddle.gif if matplotlib is installed;
      MINIDL_EXAMPLE_QUICK=1 skips the GIF)

Expected output:
    saddle f = x² − y², start (-1, 0.001), 60 steps
    optimizer            end x       end y        loss  escaped?
    sgd (lr=0.02)      -0.0864      0.0105      0.0073  no
    momentum (lr=0.02) -0.0300      9.3109    -86.6923  yes
    nesterov (lr=0.02) -0.0071     22.5927   -510.4312  yes
    adagrad (lr=0.2)   -0.0009      4.1472    -17.1992  yes
    rmsprop (lr=0.01)  -0.0760      2.1461     -4.6000  yes
    adam (lr=0.05)     -0.0215      3.7205    -13.8415  yes
"""
import argparse
import os

from minidl.teaching import SURFACES, compare_optimizers

QUICK = os.environ.get("MINIDL_EXAMPLE_QUICK") == "1"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for the pictures (default: .)")
    args = parser.parse_args(argv)
    surface = SURFACES["saddle"]
    paths = compare_optimizers(surface, ["sgd", "momentum", "nesterov", "adagrad", "rmsprop",
                                         "adam"])
    x0, y0 = surface.start
    print(f"saddle f = {surface.formula}, start ({x0:g}, {y0:g}), {surface.steps} steps")
    print(f"{'optimizer':<18} {'end x':>7} {'end y':>11} {'loss':>11}  escaped?")
    for t in paths.values():
        x, y = t.points[-1]
        escaped = "yes" if abs(y) > 1 else "no"
        print(f"{t.label:<18} {x:>7.4f} {y:>11.4f} {t.losses[-1]:>11.4f}  {escaped}")
    try:
        from minidl.teaching import plots
        plt = plots.require_matplotlib()
    except ImportError as exc:
        print(f"(no pictures: {exc})")
        return
    os.makedirs(args.out, exist_ok=True)
    plt.close(plots.plot_comparison(surface, paths, os.path.join(args.out, "saddle_paths.png")))
    plt.close(plots.plot_losses(paths, os.path.join(args.out, "saddle_loss.png")))
    if not QUICK:
        plots.animate_trajectories(surface, paths, os.path.join(args.out, "saddle.gif"))


if __name__ == "__main__":
    main()
