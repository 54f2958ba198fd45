"""Where a four-file IDX dataset (MNIST, Fashion-MNIST) lives, and how to get it there.

Root lookup: the ``root`` argument, else ``$MINIDL_DATA``, else ``~/.cache/minidl``; the files
are in ``<root>/<folder>/`` under their canonical names, gzipped (``.gz``) or not.
"""
import os

from minidl.data import download as _download
from minidl.data import idx

SPLITS = ("train", "test")


class DataUnavailableError(FileNotFoundError):
    """A dataset's files are missing and could not be downloaded (the message says what to do)."""


def data_root(root=None):
    """The data root: ``root``, else ``$MINIDL_DATA``, else ``~/.cache/minidl``."""
    if root is None:
        root = os.environ.get("MINIDL_DATA") or os.path.join("~", ".cache", "minidl")
    return os.path.abspath(os.path.expanduser(os.fspath(root)))


class IDXSource:
    """A dataset stored as four IDX files: train/test images and labels.

    Args:
        name: the dataset's display name (``'MNIST'``).
        folder: its folder under the data root (``'mnist'``).
        files: ``{(split, kind): (filename.gz, sha256 of the .gz)}`` for kind images/labels.
        mirrors: base URLs, tried in turn.
        module: the loading module's name, for messages.
    """

    def __init__(self, name, folder, files, mirrors, module):
        self.name = name
        self.folder = folder
        self.files = dict(files)
        self.mirrors = list(mirrors)
        self.module = module

    def load(self, split="train", root=None, download=True, mirrors=None,
             timeout=_download.DEFAULT_TIMEOUT):
        """``(images uint8 [N, 28, 28], labels int64 [N])`` of one split."""
        if split not in SPLITS:
            raise ValueError(f"{self.module}.load: split must be 'train' or 'test', got {split!r}")
        folder = os.path.join(data_root(root), self.folder)
        paths = {}
        missing = []
        for kind in ("images", "labels"):
            gz_name, sha256 = self.files[(split, kind)]
            path = _find(folder, gz_name)
            if path is None:
                missing.append((kind, gz_name, sha256))
            paths[kind] = path
        if missing:
            if not download:
                raise DataUnavailableError(self.how_to(folder, "download=False was given"))
            for kind, gz_name, sha256 in missing:
                try:
                    paths[kind] = _download.download(
                        gz_name, sha256, self.mirrors if mirrors is None else mirrors, folder,
                        timeout=timeout)
                except _download.DownloadError as exc:
                    raise DataUnavailableError(self.how_to(folder, str(exc))) from exc
                except OSError as exc:  # e.g. the folder cannot be created or written
                    raise DataUnavailableError(self.how_to(folder, f"{exc}")) from exc
        images = idx.read_images(paths["images"])
        labels = idx.read_labels(paths["labels"])
        if len(images) != len(labels):
            raise idx.IDXFormatError(f"{paths['images']} has {len(images)} images but "
                                     f"{paths['labels']} has {len(labels)} labels")
        return images, labels

    def how_to(self, folder, reason):
        """The message that tells a user exactly how to provide the files."""
        names = "\n".join(f"    {gz}" for gz, _ in self.files.values())
        urls = "\n".join(f"    {m}" for m in self.mirrors)
        parent = os.path.dirname(folder)
        return (
            f"{self.name} files not found in {folder} and not downloaded:\n{reason}\n\n"
            f"To provide them, put these four files (gzipped as named, or gunzipped without "
            f".gz) in a folder DIR/{self.folder}/:\n{names}\n"
            f"then set MINIDL_DATA=DIR (or pass root=DIR to {self.module}.load, or "
            f"--data DIR to `python -m minidl train`). They can be downloaded by hand from any of:"
            f"\n{urls}\nor let minidl download them into {parent} when the network is reachable.")


def _find(folder, gz_name):
    """The file's path, gzipped or not, or None."""
    for name in (gz_name, gz_name[:-3]):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None
