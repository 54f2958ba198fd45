"""Dtypes: NumPy's, by object or by name, with float32 as the default floating dtype."""
import numpy as np

float16 = np.float16
float32 = np.float32
float64 = np.float64
int8 = np.int8
int32 = np.int32
int64 = np.int64
uint8 = np.uint8
bool_ = np.bool_

_default_float = np.dtype(np.float32)


def as_dtype(dtype):
    """A ``numpy.dtype`` from a dtype, a scalar type or a name such as ``'float64'``."""
    try:
        return np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"not a dtype: {dtype!r}") from exc


def get_default_dtype():
    return _default_float


def set_default_dtype(dtype):
    """Set the dtype that Python floats and random constructors produce (float32 or float64)."""
    global _default_float
    dtype = as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: the default must be a floating dtype, got {dtype}")
    _default_float = dtype


def is_floating(dtype):
    return np.dtype(dtype).kind in "fc"
