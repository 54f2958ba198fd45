"""The downloader against local HTTP servers on 127.0.0.1 (never the internet)."""
import hashlib
import os
import time

import numpy as np
import pytest

from minidl.data import DataUnavailableError, data_root, download, idx, mnist

NAME = "t10k-labels-idx1-ubyte.gz"


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _listing(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.fixture
def served(tmp_path, http_server):
    """(good URL, bad URL, sha256): one file, served right by one server and wrong by another."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    payload = bytes(range(256)) * 400
    (good / NAME).write_bytes(payload)
    (bad / NAME).write_bytes(payload[:-1] + b"X")  # one byte off: same size, other checksum
    return http_server(good), http_server(bad), hashlib.sha256(payload).hexdigest()


def test_real_download_of_all_files(tmp_path, http_server, mnist_dir):
    good = http_server(mnist_dir)
    for split, n in [("test", 10000), ("train", 60000)]:
        images, labels = mnist.load(split, root=tmp_path, mirrors=[good])
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (n,) and labels.dtype == np.int64
        if split == "test":  # (the checksums below prove the train files identical too)
            ref_images, ref_labels = mnist.load(split, root=os.path.dirname(mnist_dir),
                                                download=False)
            np.testing.assert_array_equal(images, ref_images)
            np.testing.assert_array_equal(labels, ref_labels)
    assert _listing(tmp_path / "mnist") == sorted(gz for gz, _ in mnist.FILES.values())
    for gz, sha in mnist.FILES.values():
        assert _sha(tmp_path / "mnist" / gz) == sha
    # a second load finds the files and asks no mirror
    mnist.load("test", root=tmp_path, mirrors=[])


def test_bad_checksum_is_rejected_and_next_mirror_used(tmp_path, served):
    good, bad, sha = served
    target = tmp_path / "out"
    path = download.download(NAME, sha, [bad, good], target)
    assert _sha(path) == sha
    assert _listing(target) == [NAME]  # no temporary file left behind


def test_bad_checksum_everywhere_leaves_nothing(tmp_path, served):
    _, bad, sha = served
    target = tmp_path / "out"
    with pytest.raises(download.DownloadError, match="checksum mismatch") as info:
        download.download(NAME, sha, [bad], target)
    assert info.value.attempts[0][0] == bad + NAME
    assert _listing(target) == []


def test_connection_refused_moves_to_next_mirror(tmp_path, served, closed_port_url):
    good, _, sha = served
    target = tmp_path / "out"
    path = download.download(NAME, sha, [closed_port_url, good], target)
    assert _sha(path) == sha and _listing(target) == [NAME]


def test_http_404_moves_on(tmp_path, http_server, served):
    good, _, sha = served
    empty = tmp_path / "empty"
    empty.mkdir()
    target = tmp_path / "out"
    with pytest.raises(download.DownloadError, match="HTTP 404"):
        download.download(NAME, sha, [http_server(empty)], target)
    download.download(NAME, sha, [http_server(empty), good], target)
    assert _listing(target) == [NAME]


def test_no_network_fails_fast_with_how_to(tmp_path, closed_port_url):
    start = time.monotonic()
    with pytest.raises(DataUnavailableError) as info:
        mnist.load("train", root=tmp_path, mirrors=[closed_port_url, closed_port_url])
    assert time.monotonic() - start < 10
    message = str(info.value)
    for needed in ["MINIDL_DATA", "--data", "train-images-idx3-ubyte.gz",
                   "t10k-labels-idx1-ubyte.gz", str(tmp_path / "mnist"), closed_port_url,
                   mnist.MIRRORS[0]]:
        assert needed in message
    assert _listing(tmp_path / "mnist") == []


def test_download_false_does_not_touch_the_network(tmp_path):
    with pytest.raises(DataUnavailableError, match="download=False"):
        mnist.load("test", root=tmp_path, download=False, mirrors=["http://192.0.2.1/"])


def _fake_mnist(folder, n=5, gz=True):
    """Small synthetic test-split files under MNIST's canonical names."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    idx.write_idx(folder / ("t10k-images-idx3-ubyte" + suffix),
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
    idx.write_idx(folder / ("t10k-labels-idx1-ubyte" + suffix), np.arange(n, dtype=np.uint8))


def test_root_lookup_order(tmp_path, monkeypatch):
    _fake_mnist(tmp_path / "env" / "mnist", n=5)
    _fake_mnist(tmp_path / "arg" / "mnist", n=7)
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path / "env"))
    assert mnist.load("test", download=False)[1].shape == (5,)  # $MINIDL_DATA
    assert mnist.load("test", root=tmp_path / "arg", download=False)[1].shape == (7,)  # root wins
    monkeypatch.delenv("MINIDL_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_root() == str(tmp_path / "home" / ".cache" / "minidl")
    with pytest.raises(DataUnavailableError, match=str(tmp_path / "home" / ".cache")):
        mnist.load("test", download=False)


def test_uncompressed_files_are_found(tmp_path):
    _fake_mnist(tmp_path / "mnist", n=3, gz=False)
    images, labels = mnist.load("test", root=tmp_path, download=False)
    assert images.shape == (3, 28, 28) and labels.tolist() == [0, 1, 2]


def test_images_and_labels_must_agree(tmp_path):
    _fake_mnist(tmp_path / "mnist", n=3)
    idx.write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(idx.IDXFormatError, match="has 3 images but .* has 4 labels"):
        mnist.load("test", root=tmp_path, download=False)


def test_bad_split():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        mnist.load("validation")
