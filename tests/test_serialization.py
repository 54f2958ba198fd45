import json
import os
import zipfile

import numpy as np
import pytest

import minidl as mdl
from minidl import serialization


def _equal(a, b):
    """Structural equality: same types all the way down, arrays equal in dtype, shape, values."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for key in a:
            assert type(key) is type(next(k for k in b if k == key))
            _equal(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _equal(x, y)
    elif isinstance(a, mdl.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_round_trip_of_nested_state(tmp_path):
    rng = np.random.default_rng(0)
    obj = {
        "model": {"0.weight": mdl.tensor(rng.standard_normal((3, 2)).astype(np.float32)),
                  "0.bias": mdl.tensor(np.zeros(3, np.float64)),
                  "1.running_mean": mdl.tensor(np.arange(4)),
                  "p": mdl.tensor([1.5, 2.5], requires_grad=True)},
        "optimizer": {"state": {0: {"step": 7, "exp_avg": rng.random((3, 2)).astype(np.float32)},
                                12: {"momentum_buffer": None}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 12],
                                        "nesterov": False, "name": "dense"}]},
        "epoch": 3, "loss": float("nan"), "inf": float("-inf"), "neg_zero": -0.0,
        "big": 2 ** 127 + 5, "scalars": [np.float32(0.1), np.int64(-3), np.bool_(True)],
        "arrays": (np.zeros((0, 5), np.int32), np.array(True), np.ones((2, 2), np.uint8),
                   np.asfortranarray(np.arange(6.0).reshape(2, 3))),
        "empty": {}, "empty_list": [], "empty_tuple": (), "text": "héllo \"quoted\"\n",
        "none": None,
    }
    path = tmp_path / "ckpt.npz"
    mdl.save(obj, path)
    _equal(obj, mdl.load(path))
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_float_values_are_exact(tmp_path):
    values = [0.1, 1 / 3, 1e-310, 1.7976931348623157e308, -0.0]
    mdl.save(values, tmp_path / "f")
    out = mdl.load(tmp_path / "f")
    assert [v.hex() for v in out] == [v.hex() for v in values]


def test_tensors_load_on_the_requested_device(tmp_path, device):
    mdl.save({"w": mdl.tensor([1.0, 2.0], device=device)}, tmp_path / "c")
    assert mdl.load(tmp_path / "c")["w"].device == "cpu"
    loaded = mdl.load(tmp_path / "c", map_location=device)["w"]
    assert loaded.device == device and loaded.tolist() == [1.0, 2.0]


def test_file_is_a_readable_npz_with_a_json_manifest(tmp_path):
    mdl.save({"w": np.arange(3)}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as npz:
        arrays = [k for k in npz.files if k != "manifest.json"]
        np.testing.assert_array_equal(npz[arrays[0]], np.arange(3))
    with zipfile.ZipFile(tmp_path / "c.npz") as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["format"] == "minidl-checkpoint" and manifest["version"] == 1


def test_unsupported_values_are_refused_with_their_place(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save set at obj\['a'\]\[1\]"):
        mdl.save({"a": [1, {2}]}, tmp_path / "x")
    with pytest.raises(TypeError, match="object array at obj"):
        mdl.save(np.array([None, 1], dtype=object), tmp_path / "x")
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        mdl.save({1.5: 0}, tmp_path / "x")
    assert os.listdir(tmp_path) == []  # nothing written


def test_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    mdl.save({"epoch": 1, "w": np.ones(4)}, path)
    before = path.read_bytes()
    real_write = np.lib.format.write_array
    calls = []

    def failing_write(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the disk fills up in the middle of the second array
            raise OSError(28, "No space left on device")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing_write)
    with pytest.raises(OSError, match="No space left"):
        mdl.save({"epoch": 2, "w": np.zeros(4), "v": np.zeros(4)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the temporary file is gone
    monkeypatch.undo()
    assert mdl.load(path)["epoch"] == 1


def test_foreign_files_are_rejected(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="notes.txt is not a minidl checkpoint"):
        mdl.load(text)
    plain_npz = tmp_path / "plain.npz"
    np.savez(plain_npz, a=np.arange(3))
    with pytest.raises(ValueError, match="plain.npz is not a minidl checkpoint: no manifest"):
        mdl.load(plain_npz)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "something-else"}))
    with pytest.raises(ValueError, match="not a minidl checkpoint: manifest format"):
        mdl.load(other)


def test_truncated_file_is_rejected(tmp_path):
    path = tmp_path / "c.npz"
    mdl.save({"w": np.arange(1000.0)}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="c.npz"):
            mdl.load(path)


def test_corrupt_array_bytes_are_detected(tmp_path):
    path = tmp_path / "c.npz"
    mdl.save({"w": np.arange(100.0)}, path)
    data = bytearray(path.read_bytes())
    at = data.index(np.arange(100.0)[50:51].tobytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        mdl.load(path)


def test_object_arrays_are_never_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(
            {"format": "minidl-checkpoint", "version": 1,
             "root": {"type": "ndarray", "array": "a0"}}))
        with zf.open("a0.npy", "w") as f:
            np.lib.format.write_array(f, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="a0.npy cannot be read: Object arrays cannot be loaded"):
        mdl.load(path)


def test_newer_version_is_refused(tmp_path):
    path = tmp_path / "new.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "minidl-checkpoint", "version": 99,
                                                 "root": None}))
    with pytest.raises(ValueError, match="version 99"):
        mdl.load(path)


def test_manifest_pointing_at_a_missing_array(tmp_path):
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": serialization.FORMAT, "version": 1,
                                                 "root": {"type": "tensor", "array": "zz"}}))
    with pytest.raises(ValueError, match="missing array 'zz'"):
        mdl.load(path)
