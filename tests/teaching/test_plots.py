"""Pictures: PNG/GIF files checked by magic bytes, size, frames and non-blank pixels."""
import pytest

import minidl as mdl
from minidl.teaching import compare_optimizers, plots

plt = pytest.importorskip("matplotlib.pyplot",
                          reason="matplotlib is not installed (pip install minidl[plot])")
Image = pytest.importorskip("PIL.Image")


def _colours(path, frame=None):
    with Image.open(path) as im:
        if frame is not None:
            im.seek(frame)
        rgb = im.convert("RGB")
        return rgb.size, len(rgb.getcolors(maxcolors=1 << 24))


@pytest.fixture(scope="module")
def saddle():
    mdl.manual_seed(0)
    return compare_optimizers("saddle", ["sgd", "momentum", "adam"], steps=30)


def test_comparison_png(tmp_path, saddle):
    path = tmp_path / "saddle.png"
    plt.close(plots.plot_comparison("saddle", saddle, path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    size, colours = _colours(path)
    assert size == (1200, 500) and colours > 50


def test_gif_has_frames_and_moving_paths(tmp_path, saddle):
    path = tmp_path / "saddle.gif"
    plots.animate_trajectories("saddle", saddle, path, frames=12, fps=10)
    assert path.read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    with Image.open(path) as im:
        assert im.n_frames == 12 and im.size == (480, 400)
        im.seek(0)
        first = im.convert("RGB").tobytes()
        im.seek(11)
        last = im.convert("RGB").tobytes()
    assert first != last                                   # the paths grew
    assert _colours(path, 11)[1] > 20                       # not blank


def test_losses_and_schedule_png(tmp_path, saddle):
    plt.close(plots.plot_losses(saddle, tmp_path / "loss.png"))
    assert _colours(tmp_path / "loss.png")[0] == (600, 400)
    sched = mdl.optim.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    plt.close(plots.plot_schedule({"exp": sched, "const": lambda k: 0.05}, 50,
                                  tmp_path / "sched.png"))
    size, colours = _colours(tmp_path / "sched.png")
    assert size == (600, 400) and colours > 10


def test_schedule_values_of_a_scheduler_leave_it_untouched():
    w = mdl.tensor([1.0], requires_grad=True)
    opt = mdl.optim.SGD([w], lr=0.1)
    sched = mdl.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    values = plots.schedule_values(sched, 8)
    assert values == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025] * 2)
    assert opt.param_groups[0]["lr"] == 0.1 and sched.get_last_lr() == [0.1]
    exp = mdl.optim.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert plots.schedule_values(exp, 21)[20] == pytest.approx(0.025)
    with pytest.raises(TypeError, match="ReduceLROnPlateau follows a metric"):
        plots.schedule_values(mdl.optim.lr_scheduler.ReduceLROnPlateau(opt), 5)
