"""``DataLoader``: a dataset in mini-batches, optionally reshuffled every epoch.

Shuffling draws one permutation per epoch (per ``iter(loader)``) from a NumPy ``Generator``:
the loader's own, seeded with ``seed``, or, when ``seed`` is None, minidl's CPU generator,
so that ``minidl.manual_seed`` makes the order reproducible. A ``TensorDataset`` is batched
by indexing its whole arrays with a slice of the permutation: one gather per array and batch,
no per-sample Python loop.
"""
import math
import numbers

import numpy as np

from minidl import backends
from minidl.autograd.tensor import Tensor, constant
from minidl.data.dataset import TensorDataset


class DataLoader:
    """Iterate over a dataset in batches of Tensors.

    Args:
        dataset: a :class:`TensorDataset`, or anything with ``__len__`` and ``__getitem__``
            returning a sample (an array, a number, or a tuple of them).
        batch_size: samples per batch.
        shuffle: draw a new random order every epoch.
        drop_last: leave out the last batch when it is smaller than ``batch_size``.
        seed: seed of the loader's own generator; None draws from minidl's seeded generator.
        sampler: an iterable of dataset indices with a length (e.g. a
            :class:`~minidl.data.DistributedSampler`) that decides the order instead of
            ``shuffle``; batches are cut from its indices in its order.
        device: where batches go; default: the default device (Tensors in a TensorDataset
            stay on their own device).

    ``len(loader)`` is the number of batches: ceil(N / batch_size), floor with ``drop_last``
    (N: the dataset's length, or the sampler's).
    Each batch is a tuple of Tensors (one per array of the dataset), dtypes unchanged.

    Example:
        >>> import numpy as np
        >>> ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
        >>> loader = DataLoader(ds, batch_size=4)
        >>> len(loader), [tuple(x.shape) for x, y in loader]
        (3, [(4,), (4,), (2,)])
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 device=None, sampler=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                                 or seed < 0):
            raise ValueError(f"DataLoader: seed must be a non-negative int or None, got {seed!r}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: the dataset needs __len__ and __getitem__, got "
                            f"{type(dataset).__name__}")
        if sampler is not None:
            if shuffle:
                raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle "
                                 "(the sampler decides the order; shuffle it there)")
            if not hasattr(sampler, "__iter__") or not hasattr(sampler, "__len__"):
                raise TypeError(f"DataLoader: sampler must be an iterable of indices with a "
                                f"length, got {type(sampler).__name__}")
        self.dataset = dataset
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.device = device
        self._generator = np.random.default_rng(seed) if seed is not None else None

    def __len__(self):
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        order = self._order(len(self.dataset))
        n = len(order)
        if isinstance(self.dataset, TensorDataset):
            return self._tensor_batches(order, n)
        return self._sample_batches(order, n)

    def _order(self, n):
        if self.sampler is not None:
            indices = getattr(self.sampler, "indices", None)  # (an array, without a loop)
            return indices() if callable(indices) else np.fromiter(self.sampler, np.int64)
        if not self.shuffle:
            return np.arange(n)
        generator = self._generator or backends.get_backend("cpu").rng()
        return generator.permutation(n)

    def _bounds(self, n):
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            yield start, min(start + self.batch_size, n)

    def _tensor_batches(self, order, n):
        target = backends.get_backend(self.device) if self.device is not None else None
        default = backends.get_backend(None)
        # the order on each array's device, moved there once per epoch
        orders = {}
        sources = []
        for a in self.dataset.arrays:
            if isinstance(a, Tensor):
                backend = a.backend
                if backend.name not in orders:
                    orders[backend.name] = backend.from_numpy(order)
                sources.append((a.data, backend, orders[backend.name]))
            else:
                sources.append((a, None, order))
        for start, stop in self._bounds(n):
            batch = []
            for array, backend, index in sources:
                part = array[index[start:stop]]  # fancy indexing: a fresh contiguous copy
                if backend is None:  # a NumPy array: to the loader's device
                    backend = target or default
                    part = backend.from_numpy(part)
                elif target is not None and target is not backend:
                    part = target.from_numpy(backend.to_numpy(part))
                    backend = target
                batch.append(constant(part, backend))
            yield tuple(batch)

    def _sample_batches(self, order, n):
        device = self.device
        for start, stop in self._bounds(n):
            samples = [self.dataset[int(i)] for i in order[start:stop]]
            yield collate(samples, device)

    # -- checkpoints ------------------------------------------------------------------------
    def state_dict(self):
        """The loader's generator state (seeded loaders), so that a resumed run reshuffles alike."""
        if self._generator is None:
            return {"seed": None}
        return {"seed": self.seed, "generator": _jsonable(self._generator.bit_generator.state)}

    def load_state_dict(self, state):
        """Restore :meth:`state_dict`'s output (a no-op for loaders without their own seed)."""
        if state.get("generator") is not None:
            if self._generator is None:
                raise ValueError("DataLoader.load_state_dict: the state comes from a loader with "
                                 f"seed={state.get('seed')}, this loader has seed=None")
            self._generator.bit_generator.state = state["generator"]

    def __repr__(self):
        sampler = "" if self.sampler is None else f", sampler={self.sampler!r}"
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed}{sampler})")


def collate(samples, device=None):
    """Stack a list of samples into a batch: tuples field by field, arrays and numbers stacked.

    Python floats become the default float dtype, ints int64; arrays keep their dtype.
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(collate([s[i] for s in samples], device) for i in range(len(first)))
    if isinstance(first, Tensor):
        xp = first.xp
        stacked = constant(xp.stack([s.data for s in samples]), first)
        return stacked if device is None else stacked.to(device)
    if isinstance(first, (bool, int, float)):  # Python numbers, not NumPy scalars
        return Tensor(list(samples), device=device)
    return Tensor(np.stack([np.asarray(s) for s in samples]), device=device)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item"):
        return value.item()
    return value
