"""The data-parallel benchmark's workers run at a tiny size on two MPI ranks.

No timing is asserted; what is checked is that the hand-written NumPy contender trains the
same model on the same batches as minidl's ``DistributedDataParallel`` (equal losses, one
process and two ranks), and that the machine-ceiling worker reports a time per rank.
"""
import os
import sys

import pytest

from tests.distributed.helpers import mpiexec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))


@pytest.fixture(scope="module")
def dist_bench():
    mpiexec()  # skips without the dist extra
    import dist_bench
    return dist_bench


@pytest.mark.parametrize("ranks", [1, 2])
def test_numpy_contender_matches_minidl(dist_bench, ranks):
    common = ["--samples", "1280", "--epochs", "1"]
    minidl = dist_bench._run(ranks, "train", common, timeout=300)
    numpy = dist_bench._run(ranks, "numpy", common, timeout=300)
    assert [r["steps"] for r in numpy] == [r["steps"] for r in minidl] == [10] * ranks
    for ours, theirs in zip(minidl, numpy):
        assert ours["loss"] == pytest.approx(theirs["loss"], rel=1e-5)  # each rank's batches
        assert all(t > 0 for t in theirs["epochs"])
        assert len(theirs["collectives"]) == 1


def test_ceiling_worker_times_each_rank(dist_bench):
    times = dist_bench._run(2, "ceiling", ["--kernel", "gemm", "--reps", "20"], timeout=300)
    assert len(times) == 2 and all(t > 0 for t in times)


def test_bandwidth_worker_times_mpi_and_shared_memory(dist_bench):
    seconds = dist_bench._run(2, "bandwidth", [], timeout=300)
    assert sorted(seconds) == ["mpi", "shared"]
    assert seconds["mpi"].keys() == seconds["shared"].keys() and len(seconds["mpi"]) == 4
    assert all(t > 0 for kind in seconds.values() for t in kind.values())
