"""The downloader against local HTTP servers on 127.0.0.1 (never the internet)."""
import hashlib
import os
import shutil
import time

import numpy as np
import pytest

from minidl.data import DataUnavailableError, download, mnist

NAME = "t10k-labels-idx1-ubyte.gz"


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _listing(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.fixture
def bad_mirror(tmp_path, http_server, mnist_dir):
    """A server that serves wrong bytes under every MNIST file name."""
    folder = tmp_path / "bad"
    folder.mkdir()
    for gz, _ in mnist.FILES.values():
        (folder / gz).write_bytes(b"not the file you are looking for" * 100)
    return http_server(folder)


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


def test_bad_checksum_is_rejected_and_next_mirror_used(tmp_path, http_server, mnist_dir,
                                                       bad_mirror):
    good = http_server(mnist_dir)
    sha = mnist.FILES[("test", "labels")][1]
    target = tmp_path / "out"
    path = download.download(NAME, sha, [bad_mirror, good], target)
    assert _sha(path) == sha
    assert _listing(target) == [NAME]  # no temporary file left behind


def test_bad_checksum_everywhere_leaves_nothing(tmp_path, bad_mirror):
    sha = mnist.FILES[("test", "labels")][1]
    target = tmp_path / "out"
    with pytest.raises(download.DownloadError, match="checksum mismatch") as info:
        download.download(NAME, sha, [bad_mirror], target)
    assert info.value.attempts[0][0] == bad_mirror + NAME
    assert _listing(target) == []


def test_connection_refused_moves_to_next_mirror(tmp_path, http_server, mnist_dir,
                                                 closed_port_url):
    good = http_server(mnist_dir)
    sha = mnist.FILES[("test", "labels")][1]
    path = download.download(NAME, sha, [closed_port_url, good], tmp_path)
    assert _sha(path) == sha and _listing(tmp_path) == [NAME]


def test_http_404_moves_on(tmp_path, http_server, mnist_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    missing, good = http_server(empty), http_server(mnist_dir)
    sha = mnist.FILES[("test", "labels")][1]
    target = tmp_path / "out"
    download.download(NAME, sha, [missing, good], target)
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


def test_root_lookup_order(tmp_path, monkeypatch, mnist_dir):
    other = tmp_path / "env"
    (other / "mnist").mkdir(parents=True)
    for gz in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]:
        shutil.copy(os.path.join(mnist_dir, gz), other / "mnist" / gz)
    monkeypatch.setenv("MINIDL_DATA", str(other))
    assert mnist.load("test", download=False)[1].shape == (10000,)  # $MINIDL_DATA
    with pytest.raises(DataUnavailableError, match=str(tmp_path / "nowhere")):
        mnist.load("test", root=tmp_path / "nowhere", download=False)  # root wins
    monkeypatch.delenv("MINIDL_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    from minidl.data import data_root
    assert data_root() == str(tmp_path / "home" / ".cache" / "minidl")


def test_uncompressed_files_are_found(tmp_path, mnist_dir):
    import gzip
    (tmp_path / "mnist").mkdir()
    for gz in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]:
        with gzip.open(os.path.join(mnist_dir, gz), "rb") as src:
            (tmp_path / "mnist" / gz[:-3]).write_bytes(src.read())
    images, labels = mnist.load("test", root=tmp_path, download=False)
    assert images.shape == (10000, 28, 28) and labels[:3].tolist() == [7, 2, 1]


def test_bad_split():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        mnist.load("validation")
