"""The CUDA parity tests run here too, against the strict backend as a stand-in for 'cuda'.

Without a GPU, test_cuda_parity.py skips itself; this runs it in a subprocess with
``MINIDL_PARITY_DEVICE=strict`` so that every case is exercised (device moves, outputs on the
device, gradients, buffers, optimizer trajectories) and the module cannot rot unseen.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = os.path.join("tests", "backends", "test_cuda_parity.py")


def _run(device, *extra):
    env = dict(os.environ, MINIDL_PARITY_DEVICE=device)
    return subprocess.run([sys.executable, "-m", "pytest", MODULE, "-q", "-rs", "-o", "addopts=",
                           "-p", "no:cacheprovider", *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_every_parity_case_runs_against_the_stand_in():
    done = _run("strict")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    passed = int(re.search(r"(\d+) passed", out).group(1))
    assert passed >= 100, out[-2000:]
    assert "failed" not in out.splitlines()[-1]
    # the only skips are cases waiting for something minidl does not have yet
    for line in out.splitlines():
        if line.startswith("SKIPPED"):
            assert "minidl has no" in line, line


def test_naming_an_unusable_parity_device_is_an_error_not_a_skip():
    import minidl as mdl
    if mdl.cuda.is_available():
        pytest.skip("CUDA is available here")
    done = _run("cuda", "--collect-only")
    assert done.returncode != 0
    assert "MINIDL_PARITY_DEVICE='cuda' cannot run here" in done.stdout + done.stderr
    done = _run("cpu", "--collect-only")
    assert done.returncode != 0 and "must be 'cuda' or a stand-in" in done.stdout + done.stderr
