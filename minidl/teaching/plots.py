"""Pictures of optimization: paths over contour maps, loss curves, animations, schedules.

Needs matplotlib (``pip install minidl[plot]``). Figures are drawn with the non-interactive
Agg backend and written to files; no window is ever opened.
"""
import os

import numpy as np

from minidl.teaching.surfaces import get_surface

COLORS = {"sgd": "#d62728", "momentum": "#1f77b4", "nesterov": "#17becf", "adagrad": "#9467bd",
          "rmsprop": "#2ca02c", "adadelta": "#8c564b", "adam": "#ff7f0e", "adamw": "#e377c2",
          "adamax": "#7f7f7f", "nadam": "#bcbd22", "radam": "#000000"}


def require_matplotlib():
    """Import matplotlib with the Agg backend, or raise an ImportError saying how to install it."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("minidl.teaching plots need matplotlib, which is not installed: "
                          "pip install 'minidl[plot]' (or pip install matplotlib)") from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _color(name, i):
    return COLORS.get(name, f"C{i % 10}")


def _save(fig, path):
    if path is not None:
        fig.savefig(os.fspath(path), dpi=100)
    return fig


def _contour(ax, surface, n=200):
    X, Y, Z = surface.grid(n)
    if surface.log_levels:
        low = max(float(Z.min()), 1e-3)
        levels = np.logspace(np.log10(low), np.log10(float(Z.max())), 30)
        ax.contour(X, Y, Z, levels=levels, cmap="viridis", linewidths=0.7)
    else:
        ax.contour(X, Y, Z, levels=30, cmap="viridis", linewidths=0.7)
    if surface.minimum is not None:
        ax.plot(*surface.minimum, marker="*", color="k", markersize=12, linestyle="none")
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{surface.name}: f = {surface.formula}", fontsize=9)


def plot_trajectories(surface, trajectories, path=None, ax=None):
    """Draw each optimizer's path over the contour map of ``surface``.

    Args:
        surface: a :class:`~minidl.teaching.surfaces.Surface` or its name.
        trajectories: ``{name: Trajectory}`` from :func:`compare_optimizers`.
        path: file to write (``.png``, ``.svg``, ``.pdf``), or None.
        ax: an existing matplotlib Axes to draw into (then nothing is saved).

    Returns:
        The matplotlib Figure.
    """
    plt = require_matplotlib()
    surface = get_surface(surface)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 5))
    _contour(ax, surface)
    start = next(iter(trajectories.values())).points[0] if trajectories else surface.start
    ax.plot(*start, marker="o", color="k", markersize=6, linestyle="none")
    for i, (name, t) in enumerate(trajectories.items()):
        # the first optimizers listed are drawn on top (where paths coincide, SGD stays visible)
        ax.plot(t.points[:, 0], t.points[:, 1], "-", color=_color(name, i), linewidth=1.6,
                marker=".", markersize=3, label=t.label, zorder=3 + len(trajectories) - i)
    ax.legend(loc="best", fontsize=8)
    if fig is not None:
        fig.tight_layout()
        _save(fig, path)
    return ax.figure


def plot_losses(trajectories, path=None, ax=None, log=None):
    """Loss per step of each trajectory (a log scale when all losses are positive)."""
    plt = require_matplotlib()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    positive = all(np.all(t.losses > 0) for t in trajectories.values())
    for i, (name, t) in enumerate(trajectories.items()):
        ax.plot(np.arange(len(t.losses)), t.losses, color=_color(name, i), label=t.label)
    if log if log is not None else positive:
        ax.set_yscale("log")
    else:
        ax.set_yscale("symlog", linthresh=1e-2)
    ax.set_xlabel("step")
    ax.set_ylabel("loss f(x, y)")
    ax.set_title("loss per step", fontsize=9)
    ax.legend(loc="best", fontsize=8)
    if fig is not None:
        fig.tight_layout()
        _save(fig, path)
    return ax.figure


def plot_comparison(surface, trajectories, path=None):
    """Paths over the contour map (left) and loss per step (right), in one figure."""
    plt = require_matplotlib()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    plot_trajectories(surface, trajectories, ax=left)
    plot_losses(trajectories, ax=right)
    fig.tight_layout()
    return _save(fig, path)


def animate_trajectories(surface, trajectories, path, frames=60, fps=15, dpi=80):
    """Write an animated GIF of the optimizers moving over the contour map, step by step.

    The contour map is drawn once; each frame only redraws the paths on top of it (blitting),
    and the frames share one palette, so a 60-frame GIF takes a fraction of a second.

    Args:
        surface: a Surface or its name.
        trajectories: ``{name: Trajectory}``.
        path: the ``.gif`` file to write.
        frames: number of frames (the steps are spread evenly over them; the last frame shows
            the last step).
        fps: frames per second.
        dpi: resolution (the figure is 6 × 5 inches).

    Returns:
        ``path``.
    """
    plt = require_matplotlib()
    from PIL import Image  # Pillow is a dependency of matplotlib
    surface = get_surface(surface)
    fig, ax = plt.subplots(figsize=(6, 5), dpi=dpi)
    try:
        _contour(ax, surface)
        longest = max(len(t.points) for t in trajectories.values())
        frames = max(1, min(frames, longest))
        artists = []
        for i, (name, t) in enumerate(trajectories.items()):
            (line,) = ax.plot([], [], "-", color=_color(name, i), linewidth=2.0, label=t.label,
                              animated=True)
            (head,) = ax.plot([], [], "o", color=_color(name, i), markersize=6, animated=True)
            artists.append((t, line, head))
        ax.legend(loc="upper right", fontsize=8)
        counter = ax.text(0.02, 0.02, "", transform=ax.transAxes, fontsize=9, animated=True)
        fig.tight_layout()
        fig.canvas.draw()
        background = fig.canvas.copy_from_bbox(fig.bbox)
        images = []
        for frame in range(frames):
            step = round(frame * (longest - 1) / max(frames - 1, 1))
            fig.canvas.restore_region(background)
            for t, line, head in reversed(artists):  # the first listed on top
                shown = t.points[:step + 1]
                line.set_data(shown[:, 0], shown[:, 1])
                head.set_data(shown[-1:, 0], shown[-1:, 1])
                ax.draw_artist(line)
                ax.draw_artist(head)
            counter.set_text(f"step {step}")
            ax.draw_artist(counter)
            rgba = np.asarray(fig.canvas.buffer_rgba())
            images.append(Image.fromarray(rgba[..., :3].copy()))
    finally:
        plt.close(fig)
    # one palette for all frames (the last frame has every colour), no dithering noise
    palette = images[-1].quantize(colors=255, method=Image.Quantize.FASTOCTREE)
    images = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    images[0].save(os.fspath(path), save_all=True, append_images=images[1:],
                   duration=round(1000 / fps), loop=0)
    return path


def schedule_values(schedule, steps):
    """The learning rate at steps 0 .. steps−1 of a schedule or an ``lr_scheduler`` object.

    A schedule is any callable ``schedule(step) -> lr`` (``minidl.optim.schedules``). A
    scheduler (``minidl.optim.lr_scheduler``) is stepped ``steps − 1`` times and then put back
    as it was (its ``state_dict`` and its optimizer's learning rates are restored).
    """
    if hasattr(schedule, "get_last_lr") and hasattr(schedule, "step"):
        if type(schedule).__name__ == "ReduceLROnPlateau":
            raise TypeError("schedule_values: ReduceLROnPlateau follows a metric, not the step "
                            "count, so it has no curve to plot in advance")
        saved = schedule.state_dict()
        groups = schedule.optimizer.param_groups
        saved_groups = [{k: v for k, v in g.items() if k != "params"} for g in groups]
        try:
            values = [schedule.get_last_lr()[0]]
            for _ in range(steps - 1):
                schedule.step()
                values.append(schedule.get_last_lr()[0])
        finally:
            schedule.load_state_dict(saved)
            for g, options in zip(groups, saved_groups):
                g.update(options)
        return [float(v) for v in values]
    if callable(schedule):
        return [float(schedule(k)) for k in range(steps)]
    raise TypeError(f"schedule_values: expected a callable schedule(step) or an lr_scheduler, "
                    f"got {type(schedule).__name__}")


def plot_schedule(schedules, steps, path=None, ax=None, log=False):
    """Plot learning rate against step for one schedule/scheduler or a ``{label: schedule}``.

    Args:
        schedules: a schedule (callable of the step), an ``lr_scheduler`` object, or a dict
            of them by label.
        steps: how many steps to show.
        path: file to write, or None.
        log: use a log scale for the learning rate.

    Returns:
        The matplotlib Figure.
    """
    plt = require_matplotlib()
    if not isinstance(schedules, dict):
        schedules = {type(schedules).__name__: schedules}
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    for label, schedule in schedules.items():
        ax.plot(range(steps), schedule_values(schedule, steps), label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title("learning-rate schedule", fontsize=9)
    ax.legend(loc="best", fontsize=8)
    if fig is not None:
        fig.tight_layout()
        _save(fig, path)
    return ax.figure
