"""Failure: a rank that raises, or that never joins a collective, ends the job in seconds."""
from tests.distributed.helpers import launch


def test_a_rank_that_raises_ends_the_whole_job_quickly(tmp_path):
    done, seconds = launch("failure", tmp_path, "raise", timeout=60, check=False)
    assert done.returncode != 0
    assert "rank 1 fails on purpose" in done.stderr
    assert "was not stopped" not in done.stdout
    assert seconds < 30, f"the job took {seconds:.1f} s to end"


def test_a_collective_that_never_completes_times_out(tmp_path):
    done, seconds = launch("failure", tmp_path, "skip", timeout=60, check=False)
    assert done.returncode != 0
    # (the abort may cut the traceback's last line: its source line names the error too)
    assert "DistributedTimeoutError" in done.stderr
    assert "was not stopped" not in done.stdout
    assert seconds < 30, f"the job took {seconds:.1f} s to end"
