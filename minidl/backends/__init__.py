"""Backends: one switch routes every array op to NumPy (``'cpu'``) or CuPy (``'cuda'``).

Op code never imports NumPy for array work; it asks for the array module ``xp`` of its
inputs' device. Each tensor has a device name; each name maps to one :class:`Backend`.
"""
import os

import numpy as np

from minidl.backends import device as device_module
from minidl.backends.device import Backend, cupy_backend, numpy_backend

_backends = {"cpu": numpy_backend()}
_factories = {"cuda": cupy_backend}
_default_device = None
# array type -> its backend's array module, filled as types are met (optimizers ask for
# every parameter on every step, so the answer must cost one dict lookup)
_module_of_type = {}


def register(backend):
    """Add a backend (the test suite registers a strict one this way)."""
    _backends[backend.name] = backend
    _module_of_type.clear()
    return backend


def unregister(name):
    """Remove a backend added with :func:`register`."""
    if name == "cpu":
        raise ValueError("the 'cpu' backend cannot be removed")
    _backends.pop(name, None)
    _module_of_type.clear()


def seed_all(seed):
    """Seed the generator of every backend, those made later included (``manual_seed``)."""
    device_module._seed = seed
    for backend in _backends.values():
        backend.seed(seed)


def current_seed():
    """The seed given to ``seed_all`` (None before)."""
    return device_module._seed


def get_backend(device):
    """The :class:`Backend` for a device name such as ``'cpu'`` or ``'cuda'``.

    Raises:
        RuntimeError: the device needs software or hardware that is missing (the message
            says what and how to install it).
        ValueError: the name is not a device at all.
    """
    if isinstance(device, Backend):
        return device
    if device is None:
        device = default_device()
        backend = _backends.get(device)
        if backend is not None:
            return backend  # the common case, kept fast
    name = str(device)
    if name.startswith("cuda:"):
        name = "cuda"
    backend = _backends.get(name)
    if backend is None:
        factory = _factories.get(name)
        if factory is None:
            known = sorted(set(_backends) | set(_factories))
            source = " (from $MINIDL_DEVICE)" if name == os.environ.get("MINIDL_DEVICE") else ""
            raise ValueError(f"unknown device {device!r}{source}; known devices: {known}")
        backend = _backends[name] = factory()
        _module_of_type.clear()
    return backend


def available():
    """Names of the devices that can run here, e.g. ``['cpu']`` or ``['cpu', 'cuda']``."""
    names = [name for name in _backends]
    for name, factory in _factories.items():
        if name not in names:
            try:
                _backends[name] = factory()
                _module_of_type.clear()
                names.append(name)
            except RuntimeError:
                pass
    return names


def default_device():
    """The device new tensors go to: ``set_default_device``, else ``$MINIDL_DEVICE``, else cpu."""
    return _default_device or os.environ.get("MINIDL_DEVICE") or "cpu"


def set_default_device(name):
    """Make ``name`` the device of tensors created without an explicit ``device``."""
    global _default_device
    if name is not None:
        get_backend(name)  # fail now, with the helpful message, not at the first tensor
    _default_device = None if name is None else get_backend(name).name


# device backends by the top-level package of their array type: an array of one of these met
# before its backend exists (a CuPy array handed to minidl first thing in a process) makes the
# backend then, instead of being taken for host data that NumPy would refuse to convert
_BACKEND_OF_PACKAGE = {"cupy": "cuda"}


def _backend_made_for(array):
    """The backend for an array whose backend has not been made yet, or None."""
    name = _BACKEND_OF_PACKAGE.get(type(array).__module__.partition(".")[0])
    if name is None or name in _backends:
        return None
    backend = get_backend(name)
    return backend if isinstance(array, backend.array_types) else None


def backend_of_array(array):
    """The backend an array belongs to (NumPy for Python scalars and NumPy arrays)."""
    for backend in _backends.values():
        if isinstance(array, backend.array_types):
            return backend
    return _backend_made_for(array) or _backends["cpu"]


def get_array_module(x):
    """The array module (``numpy`` or ``cupy``...) for a Tensor or an array.

    Example:
        >>> import minidl as mdl
        >>> get_array_module(mdl.tensor([1.0])).__name__
        'numpy'
    """
    xp = _module_of_type.get(type(x))
    if xp is not None:
        return xp
    backend = getattr(x, "_backend", None)
    if isinstance(backend, Backend):  # a Tensor: its own device's module
        return backend.xp
    for backend in _backends.values():
        if isinstance(x, backend.array_types):
            _module_of_type[type(x)] = backend.xp
            return backend.xp
    backend = _backend_made_for(x)
    if backend is not None:
        return backend.xp
    return _backends["cpu"].xp  # Python numbers and lists


# (values, dtype) -> the values as 0-d NumPy arrays of that dtype; bounded (see fast_scalars)
_scalars = {}


def fast_scalars(like, *values, cache=True):
    """The Python numbers ``values`` as the cheapest operands of ops with the array ``like``.

    NumPy spends about 0.8 µs converting a Python float on every ufunc call (its promotion
    of "weak" scalars), most of the cost of an in-place update of a small array. A 0-d array
    of ``like``'s dtype holds the very number NumPy would have converted to, so
    ``a *= c`` gives bit-identical results about twice as fast. The arrays are made once per
    distinct tuple of values (an optimizer's step asks with the same tuple for every
    parameter); pass ``cache=False`` for numbers used once (a bias correction of this step).
    For other array modules (CuPy passes Python numbers to its kernels at no cost, while a 0-d
    device array would cost a transfer) the numbers are returned as they are.

    Example:
        >>> import numpy as np
        >>> a = np.ones(3, np.float32)
        >>> (c,) = fast_scalars(a, 0.1)
        >>> (a * c).tolist() == (a * 0.1).tolist(), c.shape
        (True, ())
    """
    if type(like) is not np.ndarray:
        return values
    if not cache:
        return tuple(np.asarray(v, dtype=like.dtype) for v in values)
    key = (values, like.dtype)
    arrays = _scalars.get(key)
    if arrays is None:
        if len(_scalars) >= 64:  # (bounded, should someone pass ever-new values)
            _scalars.clear()
        arrays = tuple(np.asarray(v, dtype=like.dtype) for v in values)
        for a in arrays:
            a.flags.writeable = False
        _scalars[key] = arrays
    return arrays


__all__ = ["Backend", "available", "get_array_module", "get_backend", "register", "unregister",
           "set_default_device", "default_device", "backend_of_array", "fast_scalars", "np"]
