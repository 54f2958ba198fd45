"""MLP: structure, names, forward/backward against an equivalent PyTorch model, training."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from tests.nn.helpers import assert_close, copy_weights


def test_structure_and_state_keys():
    model = nn.MLP(6, [5, 4], 3, activation="tanh", dropout=0.2, batchnorm=True)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Dropout",
                     "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear"]
    assert list(model.state_dict())[:7] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        "layers.1.running_mean", "layers.1.running_var", "layers.1.num_batches_tracked"]
    assert [type(m).__name__ for m in nn.MLP(2, [], 1).layers] == ["Linear"]
    assert [type(m).__name__ for m in nn.MLP(2, [3], 1).layers] == ["Linear", "ReLU", "Linear"]


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "identity",
                                  "gelu"])
def test_activation_names(name, device):
    model = nn.MLP(3, [4], 2, activation=name).to(device)
    assert model(mdl.randn(5, 3, device=device)).shape == (5, 2)
    assert type(model.layers[1]).__name__.lower().replace("_", "") == name.replace("_", "")


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP(2, [2], 2, activation="swish")
    with pytest.raises(ValueError, match="dropout must be in"):
        nn.MLP(2, [2], 2, dropout=1.0)


def test_matches_torch_with_copied_weights():
    torch = pytest.importorskip("torch")
    ours = nn.MLP(6, [5, 4], 3, activation="elu", batchnorm=True).double()
    theirs = torch.nn.Module()
    theirs.layers = torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5), torch.nn.ELU(),
        torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4), torch.nn.ELU(), torch.nn.Linear(4, 3))
    theirs = theirs.double()
    copy_weights(ours, theirs)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 8)
    for _ in range(2):
        x = rng.standard_normal((8, 6))
        xm, xt = mdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        lm = nn.CrossEntropyLoss()(ours(xm), labels)
        lt = torch.nn.CrossEntropyLoss()(theirs.layers(xt), torch.tensor(labels))
        assert_close(lm, lt, rtol=1e-12)
        lm.backward()
        lt.backward()
        assert_close(xm.grad, xt.grad, rtol=1e-10, atol=1e-13)
        for (name, p), (tname, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert name == tname
            assert_close(p.grad, q.grad, rtol=1e-10, atol=1e-13)
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value, rtol=1e-12)


def test_learns_a_small_problem(device):
    """A few hundred plain SGD steps separate three Gaussian blobs (dropout + batchnorm on)."""
    mdl.manual_seed(0)
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    labels = rng.integers(0, 3, 96)
    x = mdl.tensor((centers[labels] + rng.standard_normal((96, 2)) * 0.5).astype(np.float32),
                   device=device)
    model = nn.MLP(2, [16], 3, dropout=0.1, batchnorm=True).to(device)
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(150):
        loss = loss_fn(model(x), labels)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        with mdl.no_grad():
            for p in model.parameters():
                p -= p.grad * 0.1
    model.eval()
    accuracy = (model(x).argmax(axis=1).numpy() == labels).mean()
    assert loss.item() < 0.5 * first and accuracy > 0.9


@pytest.mark.parametrize("dropout, batchnorm", [(0.0, False), (0.3, False), (0.0, True)])
def test_fused_linear_relu_pairs_equal_the_layers_one_by_one(dropout, batchnorm, device):
    """MLP.forward (its Sequential) runs each Linear → ReLU pair as one node; one_by_one runs
    every module on its own. Same values and gradients, bit for bit; and fewer graph nodes."""
    mdl.manual_seed(3)
    model = nn.MLP(5, [6, 4], 3, dropout=dropout, batchnorm=batchnorm).to(device)
    x = mdl.randn(7, 5, device=device)

    def one_by_one(x):
        for module in model.layers:
            x = module(x)
        return x

    results = []
    for run in (model, one_by_one):
        mdl.manual_seed(11)  # the same dropout masks
        model.zero_grad()
        out = run(x)
        (out ** 2).sum().backward()
        results.append([out.numpy()] + [p.grad.numpy() for p in model.parameters()])
    for fused, plain in zip(*results):
        np.testing.assert_array_equal(fused, plain)
    if not (dropout or batchnorm):  # the input of the output layer is the fused node's output
        assert type(model(x).grad_fn.parents[0]).__name__ == "LinearReLU"
        assert type(one_by_one(x).grad_fn.parents[0]).__name__ == "ReLU"


def test_a_recorded_module_runs_unfused():
    """A forward replaced on the instance (as teaching.Diagnostics records) is still called."""
    model = nn.MLP(3, [4], 2)
    seen = []
    relu = model.layers[1]
    relu.forward = lambda x: seen.append(x.shape) or type(relu).forward(relu, x)
    model(mdl.randn(2, 3))
    assert seen == [(2, 4)]
