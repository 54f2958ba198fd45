"""Atomic file writes: a reader sees the old file or the complete new one, never a partial one."""
import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode="wb", suffix=".tmp"):
    """Write ``path`` through a temporary file in the same folder, renamed over it on success.

    The data is flushed and fsynced before ``os.replace``, and the folder after it, so a crash
    leaves either the old file or the new one. If the block raises, the temporary file is
    removed and ``path`` is untouched.

    Args:
        path: the file to (re)write.
        mode: ``'wb'`` or ``'w'``.
        suffix: the temporary file's suffix (e.g. ``'.part'`` for downloads).

    Example:
        >>> import os, tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
        >>> with atomic_write(target, "w") as f:
        ...     _ = f.write("hello")
        >>> open(target).read()
        'hello'
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                               suffix=suffix)
    try:
        os.chmod(tmp, _new_file_mode())  # mkstemp makes 0600 files; give the usual mode
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)


def _new_file_mode():
    """The mode ``open(path, 'w')`` would give a new file: 0o666 minus the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(folder):
    """Make the rename durable (POSIX); not possible (nor needed) on every platform."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
