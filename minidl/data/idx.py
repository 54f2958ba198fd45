"""The IDX file format of MNIST and Fashion-MNIST: a tiny header, then one raw array.

Layout (all header integers 32-bit big-endian)::

    bytes 0-1   zero
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64 (multi-byte elements are big-endian)
    byte  3     number of dimensions d
    then        d sizes, one 32-bit integer each
    then        prod(sizes) elements, row-major

Read as one 32-bit number, the first four bytes are the "magic number": 2051 (0x00000803)
for MNIST images (uint8, 3 dimensions) and 2049 (0x00000801) for labels (uint8, 1 dimension).
Files may be gzip-compressed (recognised by their content, not their name).
"""
import gzip
import os
import zlib

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

# IDX element type code -> big-endian NumPy dtype
_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(v).newbyteorder("="): k for k, v in _TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """A file is not a valid IDX file (the message names the file and what is wrong)."""


def read_bytes(path):
    """The content of ``path``, gunzipped if it is gzip data (broken gzip: IDXFormatError)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise IDXFormatError(f"{path}: corrupt or truncated gzip data ({exc}); delete the file "
                             "and download it again") from exc


def read_idx(path, magic=None):
    """Read an IDX file (gzipped or not) into a NumPy array in native byte order.

    Args:
        path: the file.
        magic: the magic number the file must have (e.g. ``IMAGES_MAGIC``), or None for any.

    Returns:
        The array, with the shape the header gives.

    Raises:
        IDXFormatError: the header is not IDX, the magic number is not the expected one,
            or the data is shorter or longer than the header promises.

    Example:
        >>> import os, tempfile, numpy as np
        >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
        >>> write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
        >>> read_idx(path, magic=LABELS_MAGIC)
        array([7, 2, 1], dtype=uint8)
    """
    data = read_bytes(path)
    if len(data) < 4:
        raise IDXFormatError(f"{path}: not an IDX file: {len(data)} bytes, shorter than the "
                             "4-byte magic number")
    found = int.from_bytes(data[:4], "big")
    if data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise IDXFormatError(f"{path}: not an IDX file: bad magic number 0x{found:08x}")
    if magic is not None and found != magic:
        raise IDXFormatError(f"{path}: magic number {found} (0x{found:08x}), expected {magic} "
                             f"(0x{magic:08x}): {_describe(magic)}")
    dtype = np.dtype(_TYPES[data[2]])
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXFormatError(f"{path}: truncated header: {ndim} dimensions need {header} bytes, "
                             f"the file has {len(data)}")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise IDXFormatError(
            f"{path}: {what}: the header says shape {shape} of {dtype.newbyteorder('=')} "
            f"({expected} bytes with the header), the data has {len(data)} bytes")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def read_images(path, rows=28, cols=28):
    """An MNIST image file as a uint8 array [N, rows, cols] (checks magic 2051 and the size)."""
    images = read_idx(path, magic=IMAGES_MAGIC)
    if images.ndim != 3 or images.shape[1:] != (rows, cols):
        raise IDXFormatError(f"{path}: images of shape {images.shape[1:]}, expected "
                             f"({rows}, {cols})")
    return images


def read_labels(path, num_classes=10):
    """An MNIST label file as an int64 array [N] (checks magic 2049 and the label range)."""
    labels = read_idx(path, magic=LABELS_MAGIC)
    if labels.ndim != 1:
        raise IDXFormatError(f"{path}: labels of shape {labels.shape}, expected one dimension")
    if labels.size and int(labels.max()) >= num_classes:
        raise IDXFormatError(f"{path}: label {int(labels.max())} out of range "
                             f"[0, {num_classes})")
    return labels.astype(np.int64)


def write_idx(path, array, compress=None):
    """Write ``array`` as an IDX file (gzipped when ``compress`` or the name ends in ``.gz``).

    Args:
        path: the file to write.
        array: uint8, int8, int16, int32, float32 or float64 array of at most 255 dimensions.
        compress: gzip the file; default: when ``path`` ends with ``.gz``.
    """
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX element type; use one of "
                        f"{sorted(str(np.dtype(t).newbyteorder('=')) for t in _TYPES.values())}")
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    payload = header + np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()
    if compress is None:
        compress = os.fspath(path).endswith(".gz")
    if compress:
        payload = gzip.compress(payload, mtime=0)
    with open(path, "wb") as f:
        f.write(payload)


def _describe(magic):
    return {IMAGES_MAGIC: "an image file (uint8, 3 dimensions)",
            LABELS_MAGIC: "a label file (uint8, 1 dimension)"}.get(magic, "")
