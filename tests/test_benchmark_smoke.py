"""The MLP benchmark runs end to end at a tiny size and writes a well-formed report.

No timing is asserted (CI machines vary); what is checked is that every workload and contender
produced a number, that minidl's per-step losses match the hand-written NumPy reference, and
that the memory section is there. This keeps ``benchmarks/`` from rotting.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks", "mlp_bench.py")


def _row_cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_benchmark_writes_a_well_formed_table(tmp_path):
    out = tmp_path / "results.md"
    cmd = [sys.executable, BENCH, "--samples", "384", "--epochs", "1", "--threads", "1",
           "--workloads", "W1,W2,W3", "--contenders", "minidl,numpy,matmul",
           "--mem-epochs", "2", "--check-steps", "3", "--out", str(out)]
    # from a plain checkout: the benchmark finds this minidl without PYTHONPATH or an install
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert text.strip() == done.stdout.strip()  # the report is printed and written

    assert "## 1 thread" in text
    assert re.search(r"BLAS: numpy \d", text)
    lines = text.splitlines()
    timing = [_row_cells(line) for line in lines if re.match(r"\| W[123] \| (minidl|NumPy "
                                                               r"reference|matmuls only)", line)]
    # 3 workloads x 3 contenders in the timing table, then 3 x 2 in the memory table
    times = [row for row in timing if len(row) == 7]
    assert sorted((row[0], row[1]) for row in times) == sorted(
        (w, c) for w in ("W1", "W2", "W3")
        for c in ("minidl", "NumPy reference", "matmuls only (BLAS floor)"))
    for row in times:
        assert float(row[2]) > 0  # median seconds per epoch
        if row[1] != "matmuls only (BLAS floor)":
            assert 0 < float(row[6]) < 10  # a finite mean loss
    ratios = [_row_cells(line) for line in lines if re.match(r"\| W[123] \| [0-9.]+ \(≤", line)]
    assert [row[0] for row in ratios] == ["W1", "W2", "W3"]

    checks = {row[0]: row for row in (_row_cells(line) for line in lines)
              if len(row) == 5 and re.fullmatch(r"W[123]", row[0]) and row[1].isdigit()}
    assert sorted(checks) == ["W1", "W2", "W3"]
    for row in checks.values():
        assert float(row[2]) < 1e-4  # minidl's losses equal the NumPy reference's

    memory = [row for row in timing if len(row) == 5]
    assert len(memory) == 6
    for row in memory:
        assert float(row[3]) > 0  # tracemalloc peak (MiB)


def test_step_instructions_worker_runs_each_contender():
    """The step the instruction counter runs under callgrind (valgrind itself is not needed
    here: this checks that the worker it launches still runs)."""
    script = os.path.join(ROOT, "benchmarks", "step_instructions.py")
    for workload in ("tiny", "W3"):
        for contender in ("minidl", "numpy"):
            cmd = [sys.executable, script, "--worker", "--workloads", workload,
                   "--contenders", contender, "--steps", "2", "--run-steps", "3"]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr[-3000:]
