"""From user data to an array: what ``mdl.tensor(data)`` infers (device, dtype) and copies."""
import numbers

import numpy as np

from minidl import backends, dtypes


def to_array(data, dtype, backend):
    """Turn user data (an array, nested lists of numbers or tensors, a number) into
    ``(array, backend)``: on ``backend`` (default: where the data is), copied, with ``dtype``
    or the one PyTorch would infer (arrays keep theirs; Python floats the default float)."""
    data_backend = backends.backend_of_array(data)
    is_array = isinstance(data, data_backend.array_types) and not isinstance(data, (list, tuple))
    if backend is None:
        on_device = is_array and data_backend.name != "cpu"
        backend = data_backend if on_device else backends.get_backend(None)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    elif is_array:
        dtype = data.dtype  # arrays keep their dtype, as torch.tensor does
    else:
        dtype = _python_dtype(data)
    if data_backend is backend:
        array = backend.xp.asarray(data, dtype=dtype)
        if array is data:
            array = array.copy()  # tensor() copies, as torch.tensor does
    else:
        if data_backend.name != "cpu":
            data = data_backend.to_numpy(data)
        array = backend.from_numpy(np.asarray(data, dtype=dtype))
    return array, backend


def _python_dtype(data):
    """Python floats take the default float dtype; ints int64, bools bool (as torch)."""
    flat = data
    while isinstance(flat, (list, tuple)):
        if not flat:
            return dtypes.get_default_dtype()
        kinds = {_kind(v) for v in _flatten(flat)}
        return _dtype_for(kinds)
    return _dtype_for({_kind(flat)})


def _flatten(seq):
    stack = [seq]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            yield item


def _kind(value):
    if isinstance(value, (bool, np.bool_)):
        return "b"
    if isinstance(value, numbers.Integral):
        return "i"
    if isinstance(value, numbers.Real):
        return "f"
    if isinstance(value, numbers.Complex):
        return "c"
    dtype = getattr(value, "dtype", None)  # a Tensor (or 0-d array) inside a list
    if dtype is not None:
        return dtype.kind
    raise TypeError(f"cannot make a tensor from {type(value).__name__}: {value!r}")


def _dtype_for(kinds):
    if "c" in kinds:
        return np.dtype(np.complex128)
    if "f" in kinds:
        return dtypes.get_default_dtype()
    if "i" in kinds:
        return np.dtype(np.int64)
    return np.dtype(np.bool_)
