"""DistributedSampler: PyTorch's partitioning (padding or drop_last), set_epoch; a sampler in
DataLoader."""
import numpy as np
import pytest

from minidl.data import DataLoader, DistributedSampler, TensorDataset


def _shards(n, replicas, **kwargs):
    return [list(DistributedSampler(range(n), replicas, r, **kwargs)) for r in range(replicas)]


@pytest.mark.parametrize("n, replicas", [(10, 3), (9, 3), (2, 3), (1, 1), (7, 2), (0, 2)])
def test_padding_repeats_from_the_start_and_interleaves(n, replicas):
    shards = _shards(n, replicas, shuffle=False)
    per_rank = -(-n // replicas)
    padded = (list(range(n)) * (replicas + 1))[:per_rank * replicas]
    assert shards == [padded[r::replicas] for r in range(replicas)]
    assert all(len(s) == per_rank for s in shards)


@pytest.mark.parametrize("n, replicas", [(10, 3), (9, 3), (2, 3), (7, 2)])
def test_drop_last_leaves_out_the_tail(n, replicas):
    shards = _shards(n, replicas, shuffle=False, drop_last=True)
    kept = n // replicas * replicas
    assert shards == [list(range(kept))[r::replicas] for r in range(replicas)]


def test_torch_partitioning_without_shuffle():
    pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for n, replicas in [(10, 3), (11, 4), (2, 3), (8, 2)]:
        for drop_last in (False, True):
            for r in range(replicas):
                ours = list(DistributedSampler(range(n), replicas, r, shuffle=False,
                                               drop_last=drop_last))
                theirs = list(TorchSampler(range(n), replicas, r, shuffle=False,
                                           drop_last=drop_last))
                assert ours == theirs, (n, replicas, r, drop_last)
                assert len(DistributedSampler(range(n), replicas, r, drop_last=drop_last)) \
                    == len(TorchSampler(range(n), replicas, r, drop_last=drop_last))


def test_set_epoch_reshuffles_identically_on_every_rank():
    samplers = [DistributedSampler(range(20), 2, r, seed=5) for r in range(2)]
    first = [list(s) for s in samplers]
    assert sorted(first[0] + first[1]) == list(range(20))
    assert [list(s) for s in samplers] == first  # the same epoch: the same order
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert second != first and sorted(second[0] + second[1]) == list(range(20))
    other_seed = DistributedSampler(range(20), 2, 0, seed=6)
    assert list(other_seed) != first[0]


def test_arguments_are_checked():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be at least 1"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="rank must be an int"):
        DistributedSampler(range(4), num_replicas=2, rank=1.0)
    with pytest.raises(TypeError, match="needs __len__"):
        DistributedSampler(iter(range(4)), 2, 0)


def test_defaults_come_from_the_world():
    s = DistributedSampler(range(5))  # no launcher: a world of one
    assert (s.num_replicas, s.rank) == (1, 0) and sorted(s) == list(range(5))


def test_loader_takes_its_order_from_the_sampler():
    x = np.arange(10, dtype=np.float32)
    ds = TensorDataset(x, np.arange(10))
    sampler = DistributedSampler(ds, 2, 1, shuffle=True, seed=1)
    loader = DataLoader(ds, batch_size=2, sampler=sampler)
    assert len(loader) == 3
    seen = np.concatenate([xb.numpy() for xb, _ in loader])
    assert seen.tolist() == [float(i) for i in sampler]
    generic = DataLoader([(float(i), i) for i in range(10)], batch_size=4, sampler=sampler)
    assert [yb.tolist() for _, yb in generic] == [list(sampler)[:4], list(sampler)[4:]]
    assert "sampler=DistributedSampler(num_replicas=2, rank=1" in repr(loader)


def test_loader_refuses_sampler_with_shuffle():
    ds = TensorDataset(np.zeros(4))
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=DistributedSampler(ds, 1, 0), shuffle=True)
    with pytest.raises(TypeError, match="iterable of indices with a length"):
        DataLoader(ds, sampler=5)
