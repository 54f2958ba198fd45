"""Timing a region of work that may run on a GPU: the device is synchronised around it.

A GPU runs kernels asynchronously: a Python call returns once its kernel is queued, so a
clock read right after it measures the time to enqueue, not to compute. Every timed region
of the benchmarks therefore waits for the device before the clock starts (so earlier work is
not billed to it) and again before the clock stops (so its own work is):

    result, seconds = timed(lambda: contender.epoch(order), contender.synchronize)

``synchronize`` is ``None`` on the CPU, ``cupy.cuda.Device().synchronize`` for minidl on
'cuda' and ``torch.cuda.synchronize`` for PyTorch on a GPU (see the two helpers below).
"""
import time


def timed(fn, synchronize=None, clock=time.perf_counter):
    """Run ``fn()`` and measure it with the device synchronised before and after.

    Args:
        fn: the work, a function of no arguments.
        synchronize: waits until the device has finished all queued work (None: nothing to
            wait for, as on the CPU).
        clock: seconds as a float (tests pass a fake one).

    Returns:
        ``(fn's result, seconds)``.
    """
    if synchronize is not None:
        synchronize()
    start = clock()
    result = fn()
    if synchronize is not None:
        synchronize()
    return result, clock() - start


def minidl_synchronizer(device):
    """The function that waits for minidl's ``device`` (None when there is nothing to wait for).

    'cuda' is CuPy's current device: ``cupy.cuda.Device().synchronize()``.
    """
    if not str(device).startswith("cuda"):
        return None
    import cupy

    def synchronize():
        cupy.cuda.Device().synchronize()
    return synchronize


def torch_synchronizer(device):
    """The function that waits for PyTorch's ``device``: ``torch.cuda.synchronize`` on a GPU."""
    if not str(device).startswith("cuda"):
        return None
    import torch

    def synchronize():
        torch.cuda.synchronize()
    return synchronize
