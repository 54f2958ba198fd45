import gzip

import numpy as np
import pytest

from minidl.data import idx


def _images(n=3, rows=28, cols=28, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, rows, cols), dtype=np.uint8)


@pytest.mark.parametrize("name", ["imgs-idx3-ubyte", "imgs-idx3-ubyte.gz"])
def test_images_round_trip(tmp_path, name):
    images = _images()
    path = tmp_path / name
    idx.write_idx(path, images)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    out = idx.read_images(path)
    assert out.dtype == np.uint8 and out.shape == (3, 28, 28)
    np.testing.assert_array_equal(out, images)
    out[0, 0, 0] = 1  # a writable copy, not a view of the file's bytes


def test_labels_are_int64(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    idx.write_idx(path, np.array([3, 1, 4, 1, 5], dtype=np.uint8))
    out = idx.read_labels(path)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [3, 1, 4, 1, 5])


def test_header_layout_is_big_endian(tmp_path):
    path = tmp_path / "x"
    idx.write_idx(path, _images(n=2, rows=4, cols=5))
    raw = path.read_bytes()
    assert raw[:16] == bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 5])
    assert int.from_bytes(raw[:4], "big") == idx.IMAGES_MAGIC
    assert len(raw) == 16 + 2 * 4 * 5


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.float32, np.float64])
def test_multibyte_types_round_trip(tmp_path, dtype):
    a = np.arange(12, dtype=dtype).reshape(3, 4) * 3 - 7
    idx.write_idx(tmp_path / "a", a)
    out = idx.read_idx(tmp_path / "a")
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, a)


def test_truncated_data_names_file_and_sizes(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    idx.write_idx(path, _images(n=3))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(idx.IDXFormatError, match="train-images-idx3-ubyte: truncated") as info:
        idx.read_images(path)
    assert "(3, 28, 28)" in str(info.value) and str(16 + 3 * 784) in str(info.value)


def test_trailing_bytes_rejected(tmp_path):
    path = tmp_path / "x"
    idx.write_idx(path, _images(n=1))
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(idx.IDXFormatError, match="trailing bytes"):
        idx.read_images(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0]))
    with pytest.raises(idx.IDXFormatError, match="truncated header"):
        idx.read_idx(path)
    path.write_bytes(b"\0\0")
    with pytest.raises(idx.IDXFormatError, match="shorter than the 4-byte magic"):
        idx.read_idx(path)


def test_wrong_magic(tmp_path):
    labels, images = tmp_path / "labels", tmp_path / "images"
    idx.write_idx(labels, np.zeros(4, np.uint8))
    idx.write_idx(images, _images(n=1))
    with pytest.raises(idx.IDXFormatError, match="magic number 2049 .* expected 2051"):
        idx.read_images(labels)
    with pytest.raises(idx.IDXFormatError, match="magic number 2051 .* expected 2049"):
        idx.read_labels(images)


def test_not_idx_at_all(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(idx.IDXFormatError, match="page.html: not an IDX file: bad magic"):
        idx.read_idx(path)


def test_wrong_image_size(tmp_path):
    path = tmp_path / "x"
    idx.write_idx(path, _images(n=2, rows=32, cols=32))
    with pytest.raises(idx.IDXFormatError, match=r"\(32, 32\), expected \(28, 28\)"):
        idx.read_images(path)


def test_label_out_of_range(tmp_path):
    path = tmp_path / "x"
    idx.write_idx(path, np.array([1, 12], np.uint8))
    with pytest.raises(idx.IDXFormatError, match="label 12 out of range"):
        idx.read_labels(path)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "x.gz"
    idx.write_idx(path, _images(n=2))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(idx.IDXFormatError, match="x.gz: corrupt or truncated gzip"):
        idx.read_idx(path)


def test_gzip_detected_by_content_not_name(tmp_path):
    path = tmp_path / "no-extension"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 5, 6])))
    np.testing.assert_array_equal(idx.read_labels(path), [5, 6])


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="int64 has no IDX element type"):
        idx.write_idx(tmp_path / "x", np.zeros(3, np.int64))
