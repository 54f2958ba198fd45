"""Downloading dataset files: mirrors tried in turn, a checksum before use, atomic writes.

A file is streamed into a temporary file in the destination folder while its SHA-256 is
computed; only when the checksum matches is the temporary file renamed (``os.replace``, atomic
on POSIX and Windows) to its final name. A failed or wrong download therefore never leaves a
file under the final name, and a later attempt starts clean.
"""
import hashlib
import os
import urllib.error
import urllib.request

from minidl.files import atomic_write

DEFAULT_TIMEOUT = 10.0  # seconds per connection attempt and per read
_CHUNK = 1 << 16


class DownloadError(OSError):
    """No mirror delivered a file with the expected checksum (the message lists each attempt)."""

    def __init__(self, message, attempts=()):
        super().__init__(message)
        self.attempts = list(attempts)


def sha256_of(path):
    """The hex SHA-256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(filename, sha256, mirrors, folder, timeout=DEFAULT_TIMEOUT):
    """Fetch ``filename`` from the first mirror that serves it with the right checksum.

    Each mirror is a base URL; the file's URL is ``mirror + filename``. Mirrors are tried in
    order; a connection error, an HTTP error or a wrong checksum moves on to the next one.

    Args:
        filename: the file's name, both on the mirror and in ``folder``.
        sha256: the expected hex SHA-256 digest of the file.
        mirrors: base URLs ending with ``/``.
        folder: where the file goes (created if missing).
        timeout: seconds to wait for a connection or for data before giving up on a mirror.

    Returns:
        The path of the verified file.

    Raises:
        DownloadError: every mirror failed; ``attempts`` holds ``(url, reason)`` pairs.
    """
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, filename)
    attempts = []
    for mirror in mirrors:
        url = mirror + filename
        try:
            _fetch_verified(url, sha256, target, timeout)
            return target
        except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts are OSErrors
            attempts.append((url, _reason(exc)))
    lines = "\n".join(f"  {url}: {reason}" for url, reason in attempts) or "  (no mirrors given)"
    raise DownloadError(f"could not download {filename}:\n{lines}", attempts)


def _fetch_verified(url, sha256, target, timeout):
    """Stream ``url`` into a temporary file beside ``target``; rename it there if it verifies."""
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": "minidl"})
    with atomic_write(target, "wb", suffix=".part") as out, \
            urllib.request.urlopen(request, timeout=timeout) as src:
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
        # checked before the rename: a file that fails its checksum is never used
        if digest.hexdigest() != sha256.lower():
            raise ValueError(f"checksum mismatch: sha256 {digest.hexdigest()}, expected {sha256}")


def _reason(exc):
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"{exc.reason}"
    return f"{exc}"
