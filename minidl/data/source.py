"""Where a four-file IDX dataset (MNIST, Fashion-MNIST) lives, and how to get it there.

Root lookup: the ``root`` argument, else ``$MINIDL_DATA``, else ``~/.cache/minidl``; the files
are in ``<root>/<folder>/`` under their canonical names, gzipped (``.gz``) or not. A root that
is the dataset's folder itself (``MINIDL_DATA=/data/mnist``) works too.

Only the default root is ever created (downloads go there). A root the user named (argument or
``$MINIDL_DATA``) that does not exist is an error that names it: a mistyped path must not
silently become a new, empty folder with a fresh download in it.
"""
import os

from minidl.data import download as _download
from minidl.data import idx

SPLITS = ("train", "test")


class DataUnavailableError(FileNotFoundError):
    """A dataset's files are missing and could not be downloaded (the message says what to do)."""


DEFAULT_ROOT = os.path.join("~", ".cache", "minidl")


def data_root(root=None):
    """The data root: ``root``, else ``$MINIDL_DATA``, else ``~/.cache/minidl``."""
    if root is None:
        root = os.environ.get("MINIDL_DATA") or DEFAULT_ROOT
    return os.path.abspath(os.path.expanduser(os.fspath(root)))


def _is_default_root(root):
    return root is None and not os.environ.get("MINIDL_DATA")


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
        base = data_root(root)
        folder = self.folder_in(base)
        if not _is_default_root(root) and not os.path.isdir(base):
            named = (f"root={os.fspath(root)!r}" if root is not None
                     else f"MINIDL_DATA={os.environ['MINIDL_DATA']}")
            raise DataUnavailableError(self.how_to(
                folder, f"the data root {base} ({named}) does not exist: is it mistyped? "
                        "minidl creates no folder you named (create it yourself to have the "
                        "files downloaded there)"))
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
                raise DataUnavailableError(self.how_to(
                    folder, "they were not downloaded: download=False was given"))
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

    def folder_in(self, base):
        """The dataset's folder under the root ``base``: ``base/<folder>``, or ``base`` itself
        when it is that folder (it holds the files, or it is named ``<folder>``)."""
        nested = os.path.join(base, self.folder)
        if os.path.isdir(nested):
            return nested
        holds_files = any(_find(base, gz) is not None for gz, _ in self.files.values())
        if holds_files or os.path.basename(base) == self.folder:
            return base
        return nested

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
