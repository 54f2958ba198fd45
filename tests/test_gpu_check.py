"""The GPU check and the timing helpers, without a GPU.

* ``timing.timed`` waits for the device before the clock starts and before it stops, and the
  helpers call ``cupy.cuda.Device().synchronize()`` / ``torch.cuda.synchronize()`` (checked
  with fake modules that record the calls);
* both benchmark loops (mlp_bench.py's and gpu_check.py's) time every epoch through it with
  the contender's own ``synchronize``;
* ``benchmarks/gpu_check.sh --dry-run`` runs every step end to end on the CPU at tiny sizes
  and writes a well-formed report.
"""
import json
import os
import re
import subprocess
import sys
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
sys.path.insert(0, BENCH)

import timing  # noqa: E402  (benchmarks/timing.py)


class Log:
    """Records the order of events: clock reads, device syncs, work."""

    def __init__(self):
        self.events = []
        self.now = 0.0

    def clock(self):
        self.events.append("clock")
        self.now += 1.0
        return self.now

    def sync(self):
        self.events.append("sync")


def test_timed_synchronises_before_the_clock_starts_and_before_it_stops():
    log = Log()
    result, seconds = timing.timed(lambda: log.events.append("work") or 42, log.sync,
                                   clock=log.clock)
    assert result == 42 and seconds == 1.0
    assert log.events == ["sync", "clock", "work", "sync", "clock"]


def test_timed_without_a_device_just_times():
    log = Log()
    assert timing.timed(lambda: log.events.append("work"), None, clock=log.clock)[1] == 1.0
    assert log.events == ["clock", "work", "clock"]


def _fake_cupy(log):
    class Device:
        def synchronize(self):
            log.events.append("cupy.cuda.Device().synchronize")
    return types.SimpleNamespace(cuda=types.SimpleNamespace(Device=Device))


def _fake_torch(log):
    return types.SimpleNamespace(cuda=types.SimpleNamespace(
        synchronize=lambda: log.events.append("torch.cuda.synchronize")))


def test_the_synchronizers_call_the_device_libraries(monkeypatch):
    log = Log()
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(log))
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(log))
    for make in (timing.minidl_synchronizer, timing.torch_synchronizer):
        assert make("cpu") is None  # nothing to wait for (and no import of a GPU library)
    timing.timed(lambda: log.events.append("work"), timing.minidl_synchronizer("cuda"),
                 clock=log.clock)
    timing.timed(lambda: log.events.append("work"), timing.torch_synchronizer("cuda:0"),
                 clock=log.clock)
    assert log.events == ["cupy.cuda.Device().synchronize", "clock", "work",
                          "cupy.cuda.Device().synchronize", "clock",
                          "torch.cuda.synchronize", "clock", "work",
                          "torch.cuda.synchronize", "clock"]


class RecordingContender:
    """A contender whose epochs and device syncs go into one log."""
    log = None

    def __init__(self, *args, **kwargs):
        self.name = "recording"

    def synchronize(self):
        self.log.events.append("sync")

    def epoch(self, order):
        self.log.events.append("epoch")
        return 1.0


def _assert_every_epoch_is_bracketed(events, epochs):
    assert events == ["sync", "epoch", "sync"] * epochs


def test_mlp_bench_times_each_epoch_between_syncs(monkeypatch, tmp_path):
    import contenders
    import mlp_bench
    RecordingContender.log = Log()
    monkeypatch.setitem(contenders.CONTENDERS, "minidl", RecordingContender)
    out = tmp_path / "t.json"
    args = mlp_bench.main.__globals__["argparse"].Namespace(
        samples=64, workloads=["W1"], epochs=2, w2_epochs=0, threads=1, check_steps=0,
        contenders=["minidl"], json_out=str(out))
    mlp_bench.timing_worker(args)
    _assert_every_epoch_is_bracketed(RecordingContender.log.events, 3)  # warm-up + 2 timed
    assert len(json.loads(out.read_text())["workloads"]["W1"]["contenders"]["minidl"]
               ["times"]) == 2


def test_gpu_check_times_each_epoch_between_syncs(monkeypatch, tmp_path):
    import gpu_check
    RecordingContender.log = Log()
    monkeypatch.setattr(gpu_check, "build_contenders",
                        lambda *a: ([RecordingContender(), RecordingContender()], 10))
    out = tmp_path / "b.json"
    args = gpu_check.parse_args(["--dry-run", "--workloads", "W1", "--epochs", "2",
                                 "--json-out", str(out)])
    gpu_check.bench_worker(args)
    _assert_every_epoch_is_bracketed(RecordingContender.log.events, 3 * 2)
    entry = json.loads(out.read_text())["workloads"]["W1"]
    assert [len(c["times"]) for c in entry["contenders"]] == [2, 2]


def test_the_minidl_and_torch_contenders_carry_their_synchronizer():
    import numpy as np
    from contenders import MinidlContender, TorchContender
    from mlp_bench import WORKLOADS, make_data
    from numpy_reference import init_params
    wl = WORKLOADS["W1"]
    X, Y = make_data(16)
    layers = init_params(wl.sizes, seed=1)
    order = np.arange(16)
    minidl = MinidlContender(wl, layers, X, Y, 1, device="strict")  # a device other than cpu
    assert minidl.synchronize is None and minidl.name == "minidl strict"
    assert np.isfinite(minidl.epoch(order))
    pytest.importorskip("torch")
    assert TorchContender(wl, layers, X, Y, 1).synchronize is None


def _row_cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_the_dry_run_goes_through_every_step_and_writes_the_report(tmp_path):
    out = tmp_path / "report.md"
    has_data = os.path.isfile(os.path.join(os.environ.get("MINIDL_DATA", "/nonexistent"),
                                           "mnist", "t10k-labels-idx1-ubyte.gz"))
    cmd = ["bash", os.path.join(BENCH, "gpu_check.sh"), "--dry-run", "--out", str(out),
           "--samples", "64", "--epochs", "1", "--train-limit", "300",
           "--tests", "tests/backends/test_device_selection.py"]
    if not has_data:
        cmd += ["--skip", "train"]
    env = dict(os.environ, PYTHON=sys.executable)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    report = out.read_text()
    assert report in done.stdout
    for needle in ("# minidl GPU check (dry run", "- NumPy: ", "- CuPy: ", "- nvidia-smi: ",
                   "- PyTorch: "):
        assert needle in report
    assert re.search(r"- tests: \*\*passed\*\* — \d+ passed", report)
    if has_data:
        assert "- MNIST MLP on cpu: **passed** — test accuracy " in report
    rows = {row[0]: row for row in map(_row_cells, report.splitlines())
            if len(row) == 6 and row[0] in ("W1", "W2", "W3", "W4", "W5")}
    assert {"W1", "W2", "W3"} <= set(rows)
    for w in ("W1", "W2", "W3"):
        assert rows[w][1] == "64" and float(rows[w][2].split()[0]) > 0


def test_without_cuda_the_real_check_stops_at_once_saying_why():
    import minidl as mdl
    if mdl.cuda.is_available():
        pytest.skip("CUDA is available here")
    done = subprocess.run([sys.executable, os.path.join(BENCH, "gpu_check.py"),
                           "--skip", "tests,train,bench"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2
    assert "no CUDA device" in done.stderr and "--dry-run" in done.stderr


def test_the_generic_loops_train_any_model_on_a_device():
    """MinidlLoop/TorchLoop (used for the CNN workloads) on a tiny MLP, minidl on 'strict'."""
    import numpy as np
    import gpu_check
    import minidl as mdl
    rng = np.random.default_rng(0)
    X = rng.standard_normal((24, 5)).astype(np.float32)
    Y = rng.integers(0, 3, 24)
    mdl.manual_seed(0)
    loop = gpu_check.MinidlLoop(mdl.nn.Sequential(mdl.nn.Linear(5, 8), mdl.nn.ReLU(),
                                                  mdl.nn.Linear(8, 3)), X, Y, 8, 0.01, "strict")
    assert loop.synchronize is None and loop.name == "minidl strict"
    losses = [loop.epoch(rng.permutation(24)) for _ in range(5)]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    torch = pytest.importorskip("torch")
    tloop = gpu_check.TorchLoop(torch.nn.Linear(5, 3), X, Y, 8, 0.01, "cpu")
    assert tloop.synchronize is None and tloop.name == "PyTorch CPU eager"
    assert np.isfinite(tloop.epoch(rng.permutation(24)))


def test_the_table_gives_ratios_and_marks_the_w1_target_on_a_gpu():
    import gpu_check
    bench = {"device": "cuda", "torch_device": "cuda", "workloads": {
        "W1": {"samples": 60000, "contenders": [
            {"name": "minidl cuda", "times": [1.2, 1.0, 1.4], "losses": [2.0, 1.5]},
            {"name": "PyTorch CUDA eager", "times": [1.0, 1.0, 1.0], "losses": [2.0, 1.6]}]},
        "W2": {"samples": 60000, "contenders": [
            {"name": "minidl cuda", "times": [4.0], "losses": [1.0]}]},
        "W4": {"skipped": "not defined here"}}}
    rows = {row[0]: row for row in map(_row_cells, gpu_check.bench_table(bench)[2:])}
    assert rows["W1"][2] == "1.200 (1.000–1.400)" and rows["W1"][3] == "1.000 (1.000–1.000)"
    assert rows["W1"][4] == "1.20 (≤ 1.5) ✓" and rows["W1"][5] == "1.5000 / 1.6000"
    assert rows["W2"][3] == "— (no PyTorch with a GPU)" and rows["W2"][4] == "—"
    assert rows["W4"][2] == "skipped: not defined here"
    bench["workloads"]["W1"]["contenders"][0]["times"] = [2.0]
    assert "(≤ 1.5) ✗" in gpu_check.bench_table(bench)[2]
