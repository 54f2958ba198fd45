"""DistributedDataParallel on two MPI ranks equals one process on the concatenated batch."""
import numpy as np
import pytest

from tests.distributed.helpers import launch

N_PARAMS = {"mlp": 6, "cnn": 4}


@pytest.fixture(scope="module", params=[(0.001, "1"), (25, "1"), (25, "0")],
                ids=["many-buckets", "one-bucket", "one-bucket-mpi"])
def ranks(request, tmp_path_factory):
    # buckets summed through shared memory (the ranks share this machine), and by MPI messages
    cap, shared_memory = request.param
    out = tmp_path_factory.mktemp("ddp")
    launch("ddp_equivalence", out, cap, env={"MINIDL_DIST_SHARED_MEMORY": shared_memory})
    return [dict(np.load(out / f"ddp-{r}.npz")) for r in range(2)]


def _kinds(results):
    return [kind for kind in N_PARAMS if f"{kind}-buckets" in results]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_ddp_equals_one_process_in_float64(ranks, optimizer):
    for rank in ranks:
        for kind in _kinds(rank):
            for i in range(N_PARAMS[kind]):
                reference = rank[f"{kind}-{optimizer}-reference-{i}"]
                ddp = rank[f"{kind}-{optimizer}-ddp-{i}"]
                np.testing.assert_allclose(ddp, reference, rtol=0, atol=1e-12,
                                           err_msg=f"{kind} parameter {i}")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_ddp_replicas_stay_bitwise_equal(ranks, optimizer):
    zero, one = ranks
    for kind in _kinds(zero):
        for i in range(N_PARAMS[kind]):
            key = f"{kind}-{optimizer}-ddp-{i}"
            assert np.array_equal(zero[key], one[key]), key


def test_bucket_cap_decides_the_number_of_buckets(ranks):
    assert int(ranks[0]["mlp-buckets"]) in (1, 4)  # 25 MiB: one bucket; 1 KiB: four


def test_buckets_are_shared_memory_unless_switched_off(ranks, request):
    expected = not request.node.callspec.id.endswith("-mpi")
    for rank in ranks:
        for kind in _kinds(rank):
            assert rank[f"{kind}-shared-memory"].tolist() == [expected] * int(
                rank[f"{kind}-buckets"])


def test_no_sync_accumulates_locally_then_averages_the_sum(ranks):
    zero, one = ranks
    assert not np.allclose(zero["no_sync-local-0"], one["no_sync-local-0"])  # no exchange
    for rank in ranks:
        np.testing.assert_allclose(rank["no_sync-ddp-0"], rank["no_sync-reference-0"], rtol=0,
                                   atol=1e-12)


def test_a_parameter_without_gradient_is_reduced_as_zeros(ranks):
    zero, one = ranks
    expected = one["unused-b-local"] / 2  # rank 0 contributes zeros
    for rank in ranks:
        np.testing.assert_allclose(rank["unused-b-grad"], expected, rtol=0, atol=1e-12)
        assert bool(rank["unused-c-grad-is-none"])  # no rank had one: stays None


# -- one process (no launcher) ---------------------------------------------------------------
def test_in_a_world_of_one_it_is_the_module():
    import minidl as mdl
    from minidl.distributed import DistributedDataParallel
    mdl.manual_seed(0)
    inner = mdl.nn.MLP(3, [4], 2)
    model = DistributedDataParallel(inner)
    assert list(model.state_dict()) == ["module." + k for k in inner.state_dict()]
    assert [id(p) for p in model.parameters()] == [id(p) for p in inner.parameters()]
    x = mdl.randn(5, 3)
    model(x).sum().backward()
    grads = [p.grad.numpy().copy() for p in inner.parameters()]
    inner.zero_grad()
    inner(x).sum().backward()
    for g, p in zip(grads, inner.parameters()):
        np.testing.assert_array_equal(g, p.grad.numpy())
    assert "world_size=1" in repr(model)


def test_buckets_follow_reverse_parameter_order_and_the_cap():
    import minidl as mdl
    from minidl.distributed import DistributedDataParallel
    inner = mdl.nn.MLP(100, [50], 10)  # float32 weights of 20,000 and 2,000 bytes
    one = DistributedDataParallel(inner)
    assert len(one.buckets) == 1 and one.buckets[0].params == list(inner.parameters())[::-1]
    many = DistributedDataParallel(inner, bucket_cap_mb=4096 / 2 ** 20)
    sizes = [[p.shape for p in b.params] for b in many.buckets]
    assert sizes == [[(10,), (10, 50), (50,)], [(50, 100)]]  # 2,240 bytes; 20,000 alone


def test_bad_arguments():
    import minidl as mdl
    from minidl.distributed import DistributedDataParallel
    with pytest.raises(TypeError, match="must be a minidl.nn.Module"):
        DistributedDataParallel(lambda x: x)
    with pytest.raises(ValueError, match="bucket_cap_mb must be a positive"):
        DistributedDataParallel(mdl.nn.Linear(2, 2), bucket_cap_mb=0)
