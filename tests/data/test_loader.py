import math

import numpy as np
import pytest

import minidl as mdl
from minidl.data import DataLoader, TensorDataset


def _data(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return x, y


@pytest.mark.parametrize("n, b, drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                             (9, 3, True), (2, 5, False), (2, 5, True),
                                             (0, 4, False), (1, 1, False)])
def test_len_and_batch_sizes(n, b, drop_last):
    loader = DataLoader(TensorDataset(*_data(n)), batch_size=b, drop_last=drop_last)
    expected = n // b if drop_last else math.ceil(n / b)
    sizes = [len(y) for _, y in loader]
    assert len(loader) == expected == len(sizes)
    assert all(s == b for s in sizes[:-1])
    assert sum(sizes) == (n - n % b if drop_last else n)


def test_batches_are_tensors_on_the_device_with_dtypes_kept(device):
    mdl.set_default_device(device)
    x, y = _data()
    (xb, yb), = list(DataLoader(TensorDataset(x, y), batch_size=10))
    assert isinstance(xb, mdl.Tensor) and xb.device == device and yb.device == device
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    np.testing.assert_array_equal(xb.numpy(), x)
    assert not xb.requires_grad


def test_explicit_device_keyword(device):
    x, y = _data()
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=4, device=device)))
    assert xb.device == device
    np.testing.assert_array_equal(yb.numpy(), [0, 1, 2, 3])


def test_dataset_of_device_tensors_is_indexed_on_the_device(device):
    x, y = _data()
    ds = TensorDataset(mdl.tensor(x, device=device), mdl.tensor(y, device=device))
    seen = []
    for xb, yb in DataLoader(ds, batch_size=4, shuffle=True, seed=3):
        assert xb.device == device
        np.testing.assert_array_equal(xb.numpy()[:, 0], 3 * yb.numpy())  # rows stay paired
        seen.extend(yb.numpy().tolist())
    assert sorted(seen) == list(range(10))


def test_shuffle_covers_every_sample_once_and_pairs_stay_together():
    x, y = _data(103)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=0)
    seen = []
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])
        seen.extend(yb.numpy().tolist())
    assert sorted(seen) == list(range(103)) and seen != list(range(103))


def test_seeded_shuffle_is_reproducible_and_new_each_epoch():
    x, y = _data(50)

    def epochs(loader, k=3):
        return [np.concatenate([yb.numpy() for _, yb in loader]) for _ in range(k)]

    a = epochs(DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True, seed=42))
    b = epochs(DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True, seed=42))
    c = epochs(DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True, seed=43))
    for ea, eb in zip(a, b):
        np.testing.assert_array_equal(ea, eb)
    assert not np.array_equal(a[0], a[1])  # a new permutation every epoch
    assert not np.array_equal(a[0], c[0])


def test_unseeded_shuffle_follows_manual_seed():
    x, y = _data(50)

    def order():
        loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True)
        return next(iter(loader))[1].numpy()

    mdl.manual_seed(7)
    first = order()
    mdl.manual_seed(7)
    np.testing.assert_array_equal(order(), first)
    assert not np.array_equal(order(), first)


def test_no_shuffle_keeps_order():
    x, y = _data(10)
    got = np.concatenate([yb.numpy() for _, yb in DataLoader(TensorDataset(x, y), batch_size=3)])
    np.testing.assert_array_equal(got, y)


def test_state_dict_resumes_the_shuffle_sequence():
    x, y = _data(30)
    loader = DataLoader(TensorDataset(x, y), batch_size=30, shuffle=True, seed=5)
    next(iter(loader))
    state = loader.state_dict()
    expected = next(iter(loader))[1].numpy()
    fresh = DataLoader(TensorDataset(x, y), batch_size=30, shuffle=True, seed=5)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(next(iter(fresh))[1].numpy(), expected)


def test_generic_dataset_is_collated():
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full(2, i, np.float32), i * i

    batches = list(DataLoader(Squares(), batch_size=2))
    assert len(batches) == 3
    xb, yb = batches[1]
    assert xb.shape == (2, 2) and xb.dtype == np.float32
    assert yb.dtype == np.int64 and yb.tolist() == [4, 9]


def test_tensor_dataset_validation():
    with pytest.raises(ValueError, match=r"same first dimension, got shapes \(3, 2\), \(4,\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    ds = TensorDataset(np.zeros((3, 2), np.float32), np.arange(3))
    assert len(ds) == 3 and ds[1][1] == 1


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=bad)
