"""Checkpoints: ``save(obj, path)`` and ``load(path)`` without pickle.

Format (version 1): a zip archive, readable by ``numpy.load`` as an ``.npz``, holding

- ``manifest.json``: ``{"format": "minidl-checkpoint", "version": 1, "root": NODE}``, where a
  NODE is JSON: ``null``, ``true``/``false``, a number or a string stands for itself; containers
  and arrays are objects with a ``"type"``:

  - ``{"type": "list", "items": [NODE, ...]}`` and ``{"type": "tuple", "items": [...]}``
  - ``{"type": "dict", "items": [[KEY, NODE], ...]}``: KEY is a JSON string or integer, so
    ``str`` and ``int`` keys come back as they were, in their order
  - ``{"type": "tensor", "array": NAME, "requires_grad": BOOL}``: a :class:`minidl.Tensor`
  - ``{"type": "ndarray", "array": NAME}``: a NumPy array (device arrays are saved as NumPy)
  - ``{"type": "scalar", "array": NAME}``: a NumPy scalar such as ``np.float32(1.5)``
  - ``{"type": "float", "value": "nan" | "inf" | "-inf"}``: non-finite Python floats

- ``NAME.npy`` for each array: NumPy's ``.npy`` format, written and read with
  ``allow_pickle=False``, so object arrays are refused both ways.

Loading parses JSON and ``.npy`` data only: it never executes code. Writing goes to a
temporary file in the destination's folder, which is flushed, fsynced and renamed over the
destination (``os.replace``), so an interrupted save leaves the previous file intact.
"""
import io
import json
import math
import os
import zipfile

import numpy as np

from minidl import backends
from minidl.autograd.tensor import Tensor, constant
from minidl.files import atomic_write

FORMAT = "minidl-checkpoint"
VERSION = 1
_MANIFEST = "manifest.json"


def save(obj, path):
    """Save nested dicts/lists/tuples of Tensors, arrays, numbers, bools, strings and None.

    Args:
        obj: the object; dict keys must be ``str`` or ``int``.
        path: the file to write (any extension; ``.npz`` is customary). Replaced atomically.

    Raises:
        TypeError: ``obj`` holds something else (the message gives where, e.g. ``obj['opt'][0]``).

    Example:
        >>> import os, tempfile, numpy as np, minidl as mdl
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
        >>> mdl.save({"w": mdl.tensor([1.0, 2.0]), "step": 3, "ids": (1, "a")}, path)
        >>> mdl.load(path)
        {'w': tensor([1., 2.]), 'step': 3, 'ids': (1, 'a')}
    """
    path = os.fspath(path)
    arrays = {}
    root = _encode(obj, arrays, "obj")
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root},
                          allow_nan=False, separators=(",", ":"))
    with atomic_write(path, "wb") as f:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(_MANIFEST, manifest)
            for name, array in arrays.items():
                with zf.open(name + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)


def load(path, map_location=None):
    """Load what :func:`save` wrote.

    Args:
        path: the checkpoint file.
        map_location: the device Tensors go to (default ``'cpu'``). NumPy arrays stay NumPy.

    Returns:
        The saved structure: Tensors as Tensors, NumPy arrays as arrays, tuples as tuples.

    Raises:
        ValueError: the file is not a minidl checkpoint, is truncated or corrupt, or was
            written by a newer format version.
    """
    path = os.fspath(path)
    try:
        with zipfile.ZipFile(path, "r") as zf:
            names = set(zf.namelist())
            if _MANIFEST not in names:
                raise ValueError(f"{path} is not a minidl checkpoint: no {_MANIFEST} in the "
                                 "archive")
            try:
                manifest = json.loads(zf.read(_MANIFEST).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"{path} is not a minidl checkpoint: unreadable manifest "
                                 f"({exc})") from exc
            found = manifest.get("format") if isinstance(manifest, dict) else None
            if found != FORMAT:
                raise ValueError(f"{path} is not a minidl checkpoint: manifest format {found!r}")
            version = manifest.get("version")
            if not isinstance(version, int) or version > VERSION:
                raise ValueError(f"{path}: checkpoint format version {version!r}; this minidl "
                                 f"reads versions up to {VERSION} (upgrade minidl)")
            backend = backends.get_backend(map_location or "cpu")
            return _Decoder(zf, names, path, backend).decode(manifest.get("root"), "obj")
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path} is not a minidl checkpoint, or it is truncated or corrupt: "
                         f"{exc}") from exc
    except (EOFError, zipfile.LargeZipFile) as exc:
        raise ValueError(f"{path} is truncated or corrupt: {exc}") from exc


# -- encoding -------------------------------------------------------------------------------
def _encode(obj, arrays, where):
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return {"type": "float", "value": repr(obj)}
    if isinstance(obj, Tensor):
        name = _add_array(arrays, obj.numpy(), where)
        return {"type": "tensor", "array": name, "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.generic):
        return {"type": "scalar", "array": _add_array(arrays, np.asarray(obj), where)}
    if isinstance(obj, np.ndarray):
        return {"type": "ndarray", "array": _add_array(arrays, obj, where)}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
        return {"type": "tuple" if isinstance(obj, tuple) else "list", "items": items}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"minidl.save: dict keys must be str or int, got "
                                f"{type(key).__name__} key {key!r} in {where}")
            items.append([key if isinstance(key, str) else int(key),
                          _encode(value, arrays, f"{where}[{key!r}]")])
        return {"type": "dict", "items": items}
    backend = backends.backend_of_array(obj)
    if backend.name != "cpu" and isinstance(obj, backend.array_types):  # a device array
        return {"type": "ndarray", "array": _add_array(arrays, backend.to_numpy(obj), where)}
    raise TypeError(f"minidl.save: cannot save {type(obj).__name__} at {where}; checkpoints "
                    "hold dicts, lists, tuples, Tensors, arrays, numbers, bools, strings and None")


def _add_array(arrays, array, where):
    if array.dtype.hasobject:
        raise TypeError(f"minidl.save: object array at {where} cannot be saved without pickle")
    name = f"a{len(arrays)}"
    arrays[name] = array
    return name


# -- decoding -------------------------------------------------------------------------------
class _Decoder:
    def __init__(self, zf, names, path, backend):
        self.zf = zf
        self.names = names
        self.path = path
        self.backend = backend

    def fail(self, where, what):
        return ValueError(f"{self.path} is not a valid minidl checkpoint: {what} at {where}")

    def decode(self, node, where):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict):
            raise self.fail(where, f"unexpected manifest entry {type(node).__name__}")
        kind = node.get("type")
        if kind in ("list", "tuple"):
            items = [self.decode(v, f"{where}[{i}]") for i, v in enumerate(self.items(node, where))]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            out = {}
            for pair in self.items(node, where):
                if (not isinstance(pair, list) or len(pair) != 2
                        or isinstance(pair[0], bool) or not isinstance(pair[0], (str, int))):
                    raise self.fail(where, "malformed dict entry")
                out[pair[0]] = self.decode(pair[1], f"{where}[{pair[0]!r}]")
            return out
        if kind == "float":
            value = node.get("value")
            if value not in ("nan", "inf", "-inf"):
                raise self.fail(where, f"bad float value {value!r}")
            return float(value)
        if kind in ("tensor", "ndarray", "scalar"):
            array = self.array(node.get("array"), where)
            if kind == "ndarray":
                return array
            if kind == "scalar":
                return array[()]
            t = constant(self.backend.from_numpy(array), self.backend)
            if node.get("requires_grad") and t.dtype.kind in "fc":
                t.requires_grad = True
            return t
        raise self.fail(where, f"unknown entry type {kind!r}")

    def items(self, node, where):
        items = node.get("items")
        if not isinstance(items, list):
            raise self.fail(where, "missing items")
        return items

    def array(self, name, where):
        member = f"{name}.npy"
        if not isinstance(name, str) or member not in self.names:
            raise self.fail(where, f"missing array {name!r}")
        data = self.zf.read(member)  # checks the CRC: a corrupt member raises BadZipFile
        try:
            return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:  # a bad header, or an object array (needs pickle: refused)
            raise ValueError(f"{self.path}: array {member} cannot be read: {exc}") from exc
        except (EOFError, OSError) as exc:
            raise ValueError(f"{self.path}: array {member} is truncated or corrupt ({exc})") \
                from exc
