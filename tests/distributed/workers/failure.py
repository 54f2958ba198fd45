"""Worker: rank 1 fails (``raise``: it raises; ``skip``: it never joins a collective).

``raise``: rank 1 raises after a first collective while rank 0 waits in the next one;
``python -m mpi4py`` must abort the whole job at once. ``skip``: rank 1 sleeps instead of
calling all_reduce; rank 0's collective must time out (after 2 s) and end the job.
"""
import sys
import time

import minidl as mdl
from minidl import distributed as dist

mode = sys.argv[2]
dist.init(timeout=2.0 if mode == "skip" else 600.0)
rank = dist.get_rank()
t = mdl.ones(3)
dist.all_reduce(t)
if rank == 1:
    if mode == "raise":
        raise RuntimeError("rank 1 fails on purpose")
    time.sleep(60)
dist.all_reduce(t)  # rank 0 waits here
print("rank", rank, "was not stopped")
