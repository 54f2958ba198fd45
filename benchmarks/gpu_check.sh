#!/usr/bin/env bash
# The GPU check (benchmarks/gpu_check.py): versions, the device tests on CuPy, MNIST on the
# GPU, and GPU timings against PyTorch CUDA eager, in one Markdown report. No network; it
# uses the CuPy, PyTorch and pytest already installed. `--dry-run` does it all on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-$(command -v python3 || command -v python)}"
exec "$python" benchmarks/gpu_check.py "$@"
