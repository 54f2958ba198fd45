"""all_reduce / broadcast / all_gather / barrier and the sampler's shards on two MPI ranks."""
import json

import pytest

import minidl as mdl
from minidl import distributed as dist
from tests.distributed.helpers import launch


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("collectives")
    launch("collectives", out)
    return [json.loads((out / f"collectives-{r}.json").read_text()) for r in range(2)]


def test_world(ranks):
    assert [(r["rank"], r["size"], r["initialized"], r["timeout"]) for r in ranks] == \
        [(0, 2, True, 60.0), (1, 2, True, 60.0)]


@pytest.mark.parametrize("op, expected", [("sum", [3.0, -2.0, 11.0]),
                                          ("mean", [1.5, -1.0, 5.5]),
                                          ("max", [2.0, 0.0, 10.0]),
                                          ("min", [1.0, -2.0, 1.0])])
def test_all_reduce(ranks, op, expected):
    for r in ranks:
        assert r[f"all_reduce-{op}"] == expected


def test_all_reduce_int_and_non_contiguous(ranks):
    for r in ranks:
        assert r["all_reduce-int64"] == [[1, 2], [4, 3]]
        assert r["all_reduce-view"] == [[0.0, 3.0, 6.0], [9.0, 12.0, 15.0]]


def test_broadcast_and_all_gather(ranks):
    for r in ranks:
        assert r["broadcast-from-1"] == [1.0, 1.0, 1.0] and r["broadcast-dtype"] == "float32"
        assert r["all_gather"] == [[[0, 10]], [[1, 11]]]


def test_ranks_that_disagree_all_get_the_same_clear_error(ranks):
    messages = [r["mismatch-error"] for r in ranks]
    assert messages[0] == messages[1]
    assert "rank 0: shape (2,)" in messages[0] and "rank 1: shape (3,)" in messages[0]


@pytest.mark.parametrize("drop_last", [0, 1])
@pytest.mark.parametrize("shuffle", [0, 1])
def test_sampler_shards_partition_the_dataset(ranks, shuffle, drop_last):
    key = f"sampler-shuffle{shuffle}-drop{drop_last}"
    for epoch in range(2):
        shards = [r[key][epoch] for r in ranks]
        assert len(shards[0]) == len(shards[1]) == ranks[0][key + "-len"]
        together = sorted(shards[0] + shards[1])
        if drop_last:
            assert len(together) == 10 and len(set(together)) == 10  # one of 11 left out
        else:
            assert set(together) == set(range(11)) and len(together) == 12  # one repeated
    if shuffle:  # set_epoch reshuffles, identically on both ranks (they stay disjoint)
        assert ranks[0][key][0] != ranks[0][key][1]


def test_shared_memory_sum_equals_mpi_bit_for_bit(ranks):
    for r in ranks:
        assert r["shared-equals-mpi"] and r["shared-outside-untouched"]


def test_host_staging_for_devices_without_mpi_buffers(ranks):
    # the strict device: what CUDA tensors go through when CuPy has no NCCL
    for r in ranks:
        assert r["strict-all_reduce-mean"] == [1.5, 2.0]
        assert r["strict-broadcast"] == [1.0, 1.0]
        assert r["strict-all_gather"] == [[0], [1]]
        # d(sum of Wx)/dW = the column sums of x, averaged over x and 2x
        assert r["strict-ddp-grad"] == [[4.5, 7.5, 10.5]] * 2
    assert ranks[0]["strict-ddp-weight"] == ranks[1]["strict-ddp-weight"]


# -- one process: a world of one -------------------------------------------------------------
def test_a_plain_run_is_a_world_of_one():
    dist.init()
    assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
    assert dist.is_main_process()
    t = mdl.tensor([1.0, 2.0])
    dist.all_reduce(t, op="mean")
    dist.broadcast(t)
    dist.barrier()
    assert t.tolist() == [1.0, 2.0]
    assert [g.tolist() for g in dist.all_gather(t)] == [[1.0, 2.0]]


def test_collective_arguments_are_checked():
    with pytest.raises(ValueError, match="op must be one of"):
        dist.all_reduce(mdl.zeros(2), op="prod")
    with pytest.raises(TypeError, match="needs a floating tensor"):
        dist.all_reduce(mdl.tensor([1, 2]), op="mean")
    with pytest.raises(TypeError, match="expected a Tensor"):
        dist.all_reduce([1.0])
    with pytest.raises(ValueError, match="src must be a rank"):
        dist.broadcast(mdl.zeros(2), src=1)
    with pytest.raises(ValueError, match="timeout must be a positive"):
        dist.init(timeout=0)
