"""``DistributedSampler``: each rank's share of a dataset's indices, PyTorch's partitioning.

For P ranks and N samples: shuffle the indices (optionally) with a generator seeded
``seed + epoch`` (the same order on every rank), make the count divisible by P, by repeating
indices from the start (padding) or with ``drop_last`` by leaving out the tail, then give
rank r every P-th index starting at r. The shards are disjoint and equally long, so every
rank runs the same number of batches (a rank with one batch more would wait forever in its
extra gradient reduction).
"""
import math
import numbers
import os

import numpy as np


def _launched_rank_and_size():
    """This process's rank and the job's size as the MPI launcher announced them (MPICH's
    mpiexec: PMI_RANK / PMI_SIZE; Open MPI: OMPI_COMM_WORLD_*); 0 and 1 without a launcher.
    (Read from the environment: data loading sits below minidl.distributed.)"""
    for rank_var, size_var in (("PMI_RANK", "PMI_SIZE"),
                               ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE")):
        if size_var in os.environ and rank_var in os.environ:
            return int(os.environ[rank_var]), int(os.environ[size_var])
    return 0, 1


class DistributedSampler:
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` trains on.

    Args:
        dataset: anything with ``__len__``.
        num_replicas: the number of ranks (default: the job's size, as the MPI launcher
            announced it; 1 without one).
        rank: this rank (default: this process's rank, likewise).
        shuffle: a new random order every epoch (call :meth:`set_epoch`), identical on all
            ranks.
        seed: the base seed of the shuffle; every rank must use the same one.
        drop_last: leave out the tail that does not divide evenly, instead of padding with
            repeated indices.

    ``len(sampler)`` is ceil(N / P), or floor(N / P) with ``drop_last``.

    Example:
        >>> s = DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False)
        >>> list(s), len(s)
        ([1, 4, 7, 0], 4)
        >>> list(DistributedSampler(range(10), 3, 1, shuffle=False, drop_last=True))
        [1, 4, 7]
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            launched_rank, launched_size = _launched_rank_and_size()
            num_replicas = launched_size if num_replicas is None else num_replicas
            rank = launched_rank if rank is None else rank
        for name, value in (("num_replicas", num_replicas), ("rank", rank), ("seed", seed)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"DistributedSampler: {name} must be an int, got {value!r}")
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be at least 1, got "
                             f"{num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"DistributedSampler: the dataset needs __len__, got "
                            f"{type(dataset).__name__}")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last:
            self.num_samples = n // self.num_replicas
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        return iter(self.indices().tolist())

    def indices(self):
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.total_size > n:  # pad with indices from the start (repeated if needed)
            order = np.resize(order, self.total_size)  # (cyclic)
        else:
            order = order[:self.total_size]
        return order[self.rank:self.total_size:self.num_replicas].astype(np.int64)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Shuffle for ``epoch`` (call at the start of every epoch, with the same value on
        every rank; the :class:`~minidl.training.Trainer` does it for you)."""
        self.epoch = int(epoch)

    def state_dict(self):
        return {"epoch": self.epoch, "seed": self.seed}

    def load_state_dict(self, state):
        self.epoch = int(state.get("epoch", 0))

    def __repr__(self):
        return (f"DistributedSampler(num_replicas={self.num_replicas}, rank={self.rank}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})")
