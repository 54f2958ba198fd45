"""The Trainer and ``python -m minidl train --distributed`` on two MPI ranks."""
import json
import os

import numpy as np
import pytest

from tests.distributed.helpers import launch


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("trainer")
    done, _ = launch("trainer", out)
    return out, done, [dict(np.load(out / f"trainer-{r}.npz")) for r in range(2)]


def test_trainer_logs_and_weights_equal_one_process(trained):
    _, _, ranks = trained
    for rank in ranks:
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "params"):
            np.testing.assert_allclose(rank[f"ddp-{key}"], rank[f"reference-{key}"], rtol=0,
                                       atol=1e-12, err_msg=key)
    assert np.array_equal(ranks[0]["ddp-params"], ranks[1]["ddp-params"])


def test_only_rank_0_writes_checkpoints_and_shows_progress(trained):
    out, done, ranks = trained
    assert sorted(os.listdir(out / "rank0")) == ["epoch1.npz", "epoch2.npz"]
    assert not (out / "rank1").exists()
    assert [bool(r["is-main"]) for r in ranks] == [True, False]
    assert done.stderr.count("epoch 2/2") == 1  # one progress line per epoch, from rank 0


def test_every_rank_resumes_from_the_same_checkpoint(trained):
    _, _, ranks = trained
    for rank in ranks:
        assert int(rank["resumed-epoch"]) == 2
        assert np.array_equal(rank["resumed-params"], rank["ddp-params"])


def test_cli_train_distributed_writes_once_and_resumes(tmp_path):
    from minidl.data import DataUnavailableError, mnist
    try:
        mnist.load("test")
    except DataUnavailableError:
        pytest.skip("MNIST is not available offline ($MINIDL_DATA)")
    options = ["--limit", "600", "--hidden", "16", "--schedule", "none", "--no-progress"]
    done, _ = launch(None, None, "train", "--distributed", "--epochs", "1", "--out", tmp_path,
                     *options, module="minidl")
    assert done.stdout.count("minidl train") == 1 and done.stdout.count("test accuracy") == 1
    assert "batch 128 per rank x 2 ranks = 256" in done.stdout
    assert {"checkpoint.npz", "metrics.json"} <= set(os.listdir(tmp_path))
    import minidl as mdl
    run = mdl.load_run(tmp_path)  # a plain model: the checkpoint holds the unwrapped weights
    assert run.model(mdl.zeros(2, 784)).shape == (2, 10)
    done, _ = launch(None, None, "train", "--distributed", "--epochs", "2", "--resume", tmp_path,
                     "--out", tmp_path, "--no-progress", module="minidl")
    assert done.stdout.count("resumed from") == 1 and "after epoch 1" in done.stdout
    assert done.stderr.count("epoch 2/2") == 1 and "epoch 1/2" not in done.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["ranks"] == 2 and metrics["epochs"] == 2
    assert len(metrics["history"]["loss"]) == 2
