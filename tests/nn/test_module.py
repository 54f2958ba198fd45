"""Module machinery: registration, traversal, modes, state_dict, devices, repr, containers."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from tests.nn.helpers import assert_close


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(mdl.ones(1))

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Block()
        self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 1)])
        self.register_buffer("steps", mdl.zeros(1))

    def forward(self, x):
        h = self.first(x)
        return [head(h) for head in self.heads]


def test_parameter_is_a_leaf_tensor_sharing_its_source():
    t = mdl.zeros(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, mdl.Tensor) and p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p.data is t.data  # shares, as torch.nn.Parameter
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32
    assert not nn.Parameter(mdl.zeros(1), requires_grad=False).requires_grad
    assert repr(nn.Parameter(mdl.zeros(1))).startswith("Parameter containing:\ntensor(")
    with pytest.raises(AttributeError):
        p.some_new_attribute = 1  # __slots__ kept: no per-instance dict


def test_parameter_gradients_flow_through_the_engine(device):
    p = nn.Parameter(mdl.tensor([1.0, 2.0], device=device))
    ((p * p).sum() + (p * 3.0).sum()).backward()
    assert p.grad.tolist() == [5.0, 7.0]


def test_named_parameters_buffers_children_modules():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["first.scale", "first.fc.weight", "first.fc.bias", "first.bn.weight",
                     "first.bn.bias", "heads.0.weight", "heads.0.bias", "heads.1.weight",
                     "heads.1.bias"]
    assert [n for n, _ in net.named_buffers()] == [
        "steps", "first.bn.running_mean", "first.bn.running_var", "first.bn.num_batches_tracked"]
    assert [type(m).__name__ for m in net.children()] == ["Block", "ModuleList"]
    assert [type(m).__name__ for m in net.modules()] == [
        "Net", "Block", "Linear", "BatchNorm1d", "ModuleList", "Linear", "Linear"]
    assert len(list(net.parameters())) == 9
    assert net.num_parameters() == 1 + 16 + 8 + 10 + 5


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(net.parameters())) == 2


def test_reassigning_and_deleting_attributes_updates_registration():
    m = nn.Module()
    m.w = nn.Parameter(mdl.zeros(2))
    with pytest.raises(TypeError, match="cannot assign a int to parameter 'w'"):
        m.w = 3  # as PyTorch: a parameter slot takes a Parameter or None
    del m.w
    m.w = 3  # a plain attribute now
    assert list(m.named_parameters()) == [] and m.w == 3
    m.child = nn.Linear(1, 1)
    del m.child
    assert list(m.children()) == []
    with pytest.raises(AttributeError, match="has no attribute 'child'"):
        m.child


def test_assigning_before_init_and_wrong_types_raise():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Bad()
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        lin.weight = mdl.zeros(2, 2)
    with pytest.raises(TypeError, match="Parameter or None"):
        lin.register_parameter("x", mdl.zeros(1))


def test_plain_list_of_modules_warns():
    m = nn.Module()
    with pytest.warns(UserWarning, match="ModuleList"):
        m.layers = [nn.Linear(1, 1), nn.Linear(1, 1)]


def test_train_eval_propagate():
    net = nn.MLP(3, [4], 2, dropout=0.5, batchnorm=True)
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad(device):
    lin = nn.Linear(3, 2, device=device)
    lin(mdl.ones(4, 3, device=device)).sum().backward()
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad is not None and float(abs(lin.weight.grad).sum()) == 0.0
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None


def test_state_dict_keys_and_order_match_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.MLP(5, [4, 3], 2, batchnorm=True, dropout=0.1)
    theirs = torch.nn.Sequential()
    theirs.layers = torch.nn.Sequential(
        torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Dropout(0.1),
        torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(), torch.nn.Dropout(0.1),
        torch.nn.Linear(3, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_state_dict_is_detached_and_shares_memory():
    lin = nn.Linear(2, 2)
    state = lin.state_dict()
    assert not state["weight"].requires_grad and state["weight"].data is lin.weight.data


def test_state_dict_round_trip(device):
    a = nn.MLP(4, [6], 3, batchnorm=True).to(device)
    a(mdl.randn(8, 4, device=device))  # moves the running statistics away from 0 and 1
    b = nn.MLP(4, [6], 3, batchnorm=True).to(device)
    weight_before = b.layers[0].weight
    version = weight_before._version
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.layers[0].weight is weight_before and weight_before._version > version
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key].numpy(), value.numpy())
    x = mdl.randn(5, 4, device=device)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_load_state_dict_from_numpy_and_other_device(device):
    src = nn.Linear(3, 2)
    dst = nn.Linear(3, 2, device=device)
    dst.load_state_dict({k: v.numpy() for k, v in src.state_dict().items()})
    np.testing.assert_array_equal(dst.weight.numpy(), src.weight.numpy())
    dst.load_state_dict(nn.Linear(3, 2).state_dict())  # Tensors on the CPU
    assert dst.weight.device == device


def test_strict_load_lists_every_problem_in_one_error():
    model = nn.MLP(4, [6], 3, batchnorm=True)
    state = dict(model.state_dict())
    del state["layers.0.bias"], state["layers.1.running_var"]
    state["layers.9.weight"] = mdl.zeros(1)
    state["layers.3.weight"] = mdl.zeros(3, 5)  # wrong shape: (3, 6) expected
    before = model.layers[0].weight.numpy().copy()
    state["layers.0.weight"] = mdl.zeros(6, 4)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict for MLP:")
    assert 'Missing key(s) in state_dict: "layers.0.bias", "layers.1.running_var".' in message
    assert 'Unexpected key(s) in state_dict: "layers.9.weight".' in message
    assert ("size mismatch for layers.3.weight: copying a param with shape (3, 5) from "
            "checkpoint, the shape in current model is (3, 6).") in message
    np.testing.assert_array_equal(model.layers[0].weight.numpy(), before)  # nothing copied


def test_non_strict_load_reports_keys_but_still_rejects_shapes():
    model = nn.Linear(3, 2)
    result = model.load_state_dict({"weight": mdl.zeros(2, 3), "extra": mdl.zeros(1)},
                                   strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert float(abs(model.weight).sum()) == 0.0
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        model.load_state_dict({"weight": mdl.zeros(3, 3)}, strict=False)


def test_to_moves_in_place_and_keeps_parameter_objects():
    model = nn.MLP(3, [4], 2, batchnorm=True)
    params = list(model.parameters())
    model(mdl.randn(5, 3)).sum().backward()
    assert model.to("strict") is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(t.device == "strict" for t in list(model.parameters()) + list(model.buffers()))
    assert all(p.grad.device == "strict" for p in params)
    out = model(mdl.randn(5, 3, device="strict"))
    assert out.device == "strict"
    model.to("cpu")
    assert all(p.device == "cpu" for p in params)


def test_to_dtype_and_missing_cuda():
    model = nn.Linear(2, 2).double()
    assert model.weight.dtype == np.float64
    if "cuda" not in mdl.backends.available():
        with pytest.raises(RuntimeError, match=r"minidl\[gpu-cuda12\]|GPU"):
            model.to("cuda")


def test_repr_is_a_tree_and_summary_counts():
    model = nn.MLP(4, [8], 3, batchnorm=True, dropout=0.25)
    assert repr(model) == (
        "MLP(\n"
        "  (layers): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "    (1): BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "    (2): ReLU()\n"
        "    (3): Dropout(p=0.25)\n"
        "    (4): Linear(in_features=8, out_features=3, bias=True)\n"
        "  )\n"
        ")  # 83 parameters")
    summary = model.summary()
    assert "layers.1" in summary and "weight (8,), bias (8,)" in summary
    assert summary.splitlines()[-1] == "total parameters: 83 (trainable: 83)"
    model.layers[0].requires_grad_(False)
    assert model.num_parameters(trainable_only=True) == 83 - 40


def test_sequential_add_index_len_slice():
    seq = nn.Sequential(nn.Linear(2, 3))
    seq.add(nn.Tanh())
    seq.add(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.Tanh) and seq[-1] is seq[2]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = mdl.randn(4, 2)
    np.testing.assert_allclose(seq(x).numpy(), seq[2](seq[1](seq[0](x))).numpy())
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    with pytest.raises(TypeError, match="expected a Module"):
        seq.add(lambda x: x)


def test_module_list_and_dict():
    blocks = nn.ModuleList([nn.Linear(2, 2)])
    blocks.append(nn.Linear(2, 3)).extend([nn.ReLU()])
    assert len(blocks) == 3 and isinstance(blocks[-1], nn.ReLU)
    blocks[2] = nn.Tanh()
    assert isinstance(blocks[2], nn.Tanh)
    heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
    heads["b"] = nn.Linear(2, 2)
    assert list(heads) == ["a", "b"] and "b" in heads and len(heads) == 2
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    with pytest.raises(KeyError):
        heads["a.b"] = nn.ReLU()


def test_buffers_are_state_but_not_parameters():
    bn = nn.BatchNorm1d(3)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    m = nn.Module()
    m.register_buffer("hidden", mdl.zeros(2), persistent=False)
    assert list(m.state_dict()) == [] and len(list(m.buffers())) == 1


def test_load_then_forward_matches_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(3, 2).double()
    ours = nn.Linear(3, 2).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert_close(ours(mdl.tensor(x)), theirs(torch.tensor(x)))
