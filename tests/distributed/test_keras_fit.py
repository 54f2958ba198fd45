"""``minidl.keras`` ``fit`` under ``mpiexec -n 2`` equals ``fit`` in one process."""
import numpy as np
import pytest

from tests.distributed.helpers import launch


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("keras_fit")
    launch("keras_fit", out)
    return out, [dict(np.load(out / f"keras-{r}.npz")) for r in range(2)]


@pytest.fixture(scope="module")
def reference():
    import minidl as mdl
    from tests.distributed.keras_fit_model import build, data, fit
    previous = mdl.get_default_dtype()
    mdl.set_default_dtype(mdl.float64)
    try:
        model = build(seed=0)
        x, y = data()
        history = fit(model, x, y, [])
        return model.get_weights(), history.history
    finally:
        mdl.set_default_dtype(previous)


def test_two_ranks_give_the_weights_of_one_process(run, reference):
    _, ranks = run
    weights, _ = reference
    for rank in ranks:
        for i, w in enumerate(weights):
            np.testing.assert_allclose(rank[f"weight-{i}"], w, rtol=0, atol=1e-12)


def test_the_replicas_are_bitwise_equal(run):
    _, (zero, one) = run
    for key in zero:
        if key.startswith("weight-"):
            assert np.array_equal(zero[key], one[key]), key


def test_epoch_logs_describe_all_the_data(run, reference):
    _, ranks = run
    _, history = reference
    for rank in ranks:
        for name, values in history.items():
            np.testing.assert_allclose(rank[f"history-{name}"], values, rtol=1e-12, atol=1e-12,
                                       err_msg=name)


def test_only_rank_0_writes_the_csv_log(run):
    out, _ = run
    assert (out / "log-0.csv").exists()
    assert not (out / "log-1.csv").exists()
    assert len((out / "log-0.csv").read_text().strip().splitlines()) == 1 + 3  # header, epochs
