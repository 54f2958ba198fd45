"""SyncBatchNorm on two MPI ranks equals one BatchNorm1d over the concatenated batch."""
import numpy as np
import pytest

import minidl as mdl
from minidl.distributed import SyncBatchNorm
from tests.distributed.helpers import launch


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("syncbn")
    launch("sync_batchnorm", out)
    return [dict(np.load(out / f"syncbn-{r}.npz")) for r in range(2)]


def test_outputs_parameters_and_running_statistics_equal_one_process(ranks):
    for rank in ranks:
        assert bool(rank["converted"])
        names = [k[len("reference-"):] for k in rank if k.startswith("reference-")]
        assert any("running_var" in n for n in names) and any("out-3" in n for n in names)
        for name in names:
            np.testing.assert_allclose(rank[f"sync-{name}"], rank[f"reference-{name}"],
                                       rtol=0, atol=1e-12, err_msg=name)


def test_three_dimensional_input_and_its_gradient(ranks):
    for rank in ranks:
        np.testing.assert_allclose(rank["3d-sync-gx"], rank["3d-reference-gx"], rtol=1e-12,
                                   atol=1e-12)
        np.testing.assert_allclose(rank["3d-sync-running_var"], rank["3d-reference-running_var"],
                                   rtol=0, atol=1e-12)


# -- one process (no launcher): SyncBatchNorm is BatchNorm -----------------------------------
def test_in_a_world_of_one_it_is_batchnorm():
    mdl.manual_seed(0)
    x = mdl.randn(8, 3, 2, dtype="float64")
    bn, sync = mdl.nn.BatchNorm1d(3, dtype="float64"), SyncBatchNorm(3, dtype="float64")
    np.testing.assert_allclose(sync(x).numpy(), bn(x).numpy(), atol=1e-12)
    np.testing.assert_allclose(sync.running_var.numpy(), bn.running_var.numpy(), atol=1e-15)
    sync.eval()
    bn.eval()
    np.testing.assert_allclose(sync(x).numpy(), bn(x).numpy(), atol=1e-12)


def test_convert_shares_parameters_and_keeps_the_order():
    model = mdl.nn.MLP(4, [8, 6], 2, batchnorm=True)
    before = [name for name, _ in model.layers.named_children()]
    weight = model.layers[1].weight
    model.layers[1].eval()
    converted = SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model
    assert [name for name, _ in model.layers.named_children()] == before
    assert isinstance(model.layers[1], SyncBatchNorm) and model.layers[1].weight is weight
    assert not model.layers[1].training and model.layers[5].training
    assert model(mdl.randn(5, 4)).shape == (5, 2)


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match=r"SyncBatchNorm: expected input of shape \(N, 3"):
        SyncBatchNorm(3)(mdl.zeros(4, 2))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        SyncBatchNorm(3)(mdl.zeros(1, 3))
