"""ZeroRedundancyOptimizer on two MPI ranks: the plain optimizer's numbers, bit for bit."""
import numpy as np
import pytest

from tests.distributed.helpers import launch


@pytest.fixture(scope="module", params=["1", "0"], ids=["shared-memory", "mpi"])
def ranks(request, tmp_path_factory):
    # the parts gathered through shared memory (the ranks share this machine), and by MPI
    out = tmp_path_factory.mktemp("zero")
    launch("zero_equivalence", out, env={"MINIDL_DIST_SHARED_MEMORY": request.param})
    return [dict(np.load(out / f"zero-{r}.npz")) for r in range(2)]


def _keys(rank, what):
    return [k for k in rank if f"-{what}-" in k and not k.startswith("mixed")]


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "rmsprop"])
def test_parameters_equal_the_plain_optimizer_bit_for_bit(ranks, optimizer):
    for rank in ranks:
        keys = [k for k in _keys(rank, "zero") if f"-{optimizer}-" in k and "state" not in k]
        assert len(keys) == 6 + 4  # the MLP's and the CNN's parameters
        for key in keys:
            assert np.array_equal(rank[key], rank[key.replace("-zero-", "-plain-")]), key


def test_consolidated_state_equals_the_plain_optimizers_on_every_rank(ranks):
    for rank in ranks:
        keys = [k for k in rank if "-state-zero-" in k]
        assert len(keys) > 30  # momentum buffers, exp_avg, exp_avg_sq, max_exp_avg_sq, ...
        for key in keys:
            assert np.array_equal(rank[key], rank[key.replace("-state-zero-", "-state-plain-")]), key


def test_replicas_stay_bitwise_equal(ranks):
    zero, one = ranks
    for key in _keys(zero, "zero"):
        assert np.array_equal(zero[key], one[key]), key


def test_state_dict_before_consolidating_raises(ranks):
    for rank in ranks:
        flags = [bool(v) for k, v in rank.items() if k.endswith("unconsolidated-raises")]
        assert len(flags) == 8 and all(flags)


def test_a_group_that_cannot_be_flat_is_updated_whole(ranks):
    for rank in ranks:
        for name in ("a", "b"):
            assert np.array_equal(rank[f"mixed-zero-{name}"], rank[f"mixed-plain-{name}"])


def test_bad_optimizer_class():
    import minidl as mdl
    from minidl.distributed import ZeroRedundancyOptimizer
    w = [mdl.zeros(2, requires_grad=True)]
    with pytest.raises(TypeError, match="optimizer class such as minidl.optim.Adam"):
        ZeroRedundancyOptimizer(w, "adam")
    with pytest.raises(TypeError, match="LBFGS's update mixes the elements"):
        ZeroRedundancyOptimizer(w, mdl.optim.LBFGS)


def test_in_one_process_it_is_the_plain_optimizer():
    import minidl as mdl
    from minidl.distributed import ZeroRedundancyOptimizer
    results = []
    for make in (lambda ps: ZeroRedundancyOptimizer(ps, mdl.optim.Adam, lr=0.1),
                 lambda ps: mdl.optim.Adam(ps, lr=0.1)):
        mdl.manual_seed(0)
        layer = mdl.nn.Linear(3, 2)
        opt = make(layer.parameters())
        scheduler = mdl.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        for _ in range(3):
            opt.zero_grad()
            layer(mdl.ones(4, 3)).sum().backward()
            opt.step()
            scheduler.step()
        results.append((layer.weight.numpy(), opt.state_dict()))
    assert np.array_equal(results[0][0], results[1][0])
    assert results[0][1]["iterations"] == results[1][1]["iterations"] == 3
    assert opt.param_groups[0]["lr"] == 0.1 * 0.5 ** 3


def test_parts_go_through_shared_memory_unless_switched_off(ranks, request):
    expected = request.node.callspec.id.endswith("shared-memory")
    for rank in ranks:
        for key in (k for k in rank if k.endswith("-shared-memory")):
            assert rank[key].tolist() == [expected], key  # θ's one (dtype, size)
