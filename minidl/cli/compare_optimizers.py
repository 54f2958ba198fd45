"""``python -m minidl compare-optimizers``: optimizers racing on a 2-D surface, as pictures.

    python -m minidl compare-optimizers --surface saddle \\
        --optimizers sgd,momentum,nesterov,adagrad,rmsprop,adam --out pictures/

writes ``saddle_paths.png`` (paths over the contour map and loss per step),
``saddle_loss.png`` and the animation ``saddle.gif``, and prints where each optimizer ended.
"""
import os
import sys


def add_parser(subparsers):
    from minidl.teaching.compare import OPTIMIZERS
    from minidl.teaching.surfaces import SURFACES
    p = subparsers.add_parser(
        "compare-optimizers",
        help="run optimizers from one start on a 2-D surface; plot paths, losses and a GIF",
        description="Run several minidl optimizers from the same starting point on a classic "
                    "2-D surface and draw their paths over the contour map, the loss per step "
                    "and an animated GIF (needs matplotlib).")
    p.add_argument("--surface", default="saddle", choices=sorted(SURFACES),
                   help="the surface (default: saddle, f = x² − y²)")
    p.add_argument("--optimizers", default="sgd,momentum,nesterov,adagrad,rmsprop,adam",
                   help="comma-separated names, each optionally name:lr (e.g. adam:0.1); "
                        f"known: {', '.join(OPTIMIZERS)}")
    p.add_argument("--steps", type=int, default=None, help="steps per optimizer "
                   "(default: the surface's)")
    p.add_argument("--start", default=None, help="starting point 'x,y' (default: the surface's)")
    p.add_argument("--out", default=".", help="folder for the pictures (default: .)")
    p.add_argument("--frames", type=int, default=60, help="frames of the GIF (default: 60)")
    p.add_argument("--no-gif", action="store_true", help="skip the animation")
    p.set_defaults(run=run)
    return p


def _parse_start(text):
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise SystemExit(f"compare-optimizers: --start must be 'x,y' (two numbers), got {text!r}")
    return x, y


def run(args):
    from minidl.teaching.compare import compare_optimizers
    from minidl.teaching.surfaces import get_surface
    try:
        from minidl.teaching import plots
        plots.require_matplotlib()
    except ImportError as exc:
        print(f"compare-optimizers: {exc}", file=sys.stderr)
        return 1
    surface = get_surface(args.surface)
    start = _parse_start(args.start) if args.start else None
    specs = [s for s in args.optimizers.split(",") if s.strip()]
    try:
        paths = compare_optimizers(surface, specs, start=start, steps=args.steps)
    except ValueError as exc:
        print(f"compare-optimizers: {exc}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    import matplotlib.pyplot as plt
    written = []
    name = surface.name
    fig = plots.plot_comparison(surface, paths, os.path.join(args.out, f"{name}_paths.png"))
    plt.close(fig)
    written.append(os.path.join(args.out, f"{name}_paths.png"))
    fig = plots.plot_losses(paths, os.path.join(args.out, f"{name}_loss.png"))
    plt.close(fig)
    written.append(os.path.join(args.out, f"{name}_loss.png"))
    if not args.no_gif:
        gif = os.path.join(args.out, f"{name}.gif")
        plots.animate_trajectories(surface, paths, gif, frames=args.frames)
        written.append(gif)
    x0, y0 = paths[next(iter(paths))].points[0]
    print(f"{name}: f = {surface.formula}, start ({x0:g}, {y0:g})")
    print(f"{'optimizer':<22} {'steps':>5} {'end x':>11} {'end y':>11} {'loss':>12}")
    for t in paths.values():
        x, y = t.points[-1]
        note = f"  ({t.stopped})" if t.stopped else ""
        print(f"{t.label:<22} {len(t.points) - 1:>5} {x:>11.4g} {y:>11.4g} "
              f"{t.losses[-1]:>12.4g}{note}")
    for path in written:
        print(f"wrote {path}")
    return 0
