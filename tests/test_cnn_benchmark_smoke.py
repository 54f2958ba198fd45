"""The CNN benchmark runs end to end at a tiny size; minidl's losses equal the NumPy CNN's.

No timing is asserted. What is checked: every workload and contender produced a number, the
per-step losses of minidl and of the hand-written NumPy CNN agree (same weights, same batches,
dropout off), and the memory section is there.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks", "cnn_bench.py")


def _cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_cnn_benchmark_writes_a_well_formed_section(tmp_path):
    out = tmp_path / "RESULTS.md"
    out.write_text("# MLP report\n\nkept as it is\n")
    cmd = [sys.executable, BENCH, "--samples", "256", "--steps", "2", "--epochs", "1",
           "--contenders", "minidl,numpy,matmul", "--check-steps", "2", "--mem-epochs", "1",
           "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert text.startswith("# MLP report\n\nkept as it is\n")       # the MLP part survives
    assert done.stdout.strip() in text
    lines = text.splitlines()
    rows = [_cells(line) for line in lines if re.match(r"\| W[45] \| (minidl|NumPy CNN|matmuls)",
                                                       line)]
    times = [row for row in rows if len(row) == 7]
    assert sorted((r[0], r[1].split()[0]) for r in times) == sorted(
        (w, c) for w in ("W4", "W5") for c in ("minidl", "NumPy", "matmuls"))
    assert all(float(r[2]) > 0 for r in times)
    checks = [_cells(line) for line in lines if re.match(r"\| W[45] \| \d+ \|", line)]
    assert [c[0] for c in checks] == ["W4", "W5"]
    for check in checks:
        assert float(check[2]) < 1e-4                                # minidl = NumPy CNN
    memory = [row for row in rows if len(row) == 5]
    assert len(memory) == 4 and all(float(r[3]) > 0 for r in memory)


def test_numpy_cnn_matches_torch_step_by_step():
    """The hand-written floor is the same math as PyTorch (first-max pooling, Adam's order)."""
    torch = pytest.importorskip("torch")
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        from cnn_workloads import WORKLOADS, build_torch, init_params, make_images
        from numpy_cnn import NumpyCNN
    finally:
        sys.path.pop(0)
    X, Y = make_images(96, seed=5)
    for name in ("W4", "W5"):
        wl = WORKLOADS[name].without_dropout()
        params = init_params(wl)
        ref = NumpyCNN(wl, params)
        net = build_torch(wl, params)
        opt = torch.optim.Adam(net.parameters(), lr=wl.lr)
        for s in range(0, 96, 32):
            x, y = X[s:s + 32], Y[s:s + 32]
            mine = ref.train_step(x, y)
            loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
            assert mine == pytest.approx(loss.item(), rel=1e-5), name
