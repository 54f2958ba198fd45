"""Constructors: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``eye``, ``rand``, ``randn``."""
from minidl import backends, dtypes
from minidl.autograd.tensor import Tensor, _shape_arg


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor (a copy of ``data``).

    Python floats take the default float dtype (float32), Python ints int64 and bools bool;
    arrays keep their dtype unless ``dtype`` is given (as ``torch.tensor``).

    Example:
        >>> import minidl as mdl
        >>> mdl.tensor([1.0, 2.0]).dtype
        dtype('float32')
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def from_numpy(array):
    """A CPU tensor that shares memory with the NumPy array ``array`` (as ``torch.from_numpy``):
    changes to one are seen in the other; the dtype is kept.

    Example:
        >>> import numpy as np, minidl as mdl
        >>> a = np.zeros(3, dtype=np.float32)
        >>> t = mdl.from_numpy(a)
        >>> a[0] = 5
        >>> t
        tensor([5., 0., 0.])
    """
    import numpy as np
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__} "
                        "(mdl.tensor(data) copies any data into a tensor)")
    if array.dtype.hasobject:
        raise TypeError("from_numpy: object arrays cannot become tensors")
    return Tensor._make(array, backends.get_backend("cpu"), False, None)


def _new(make, shape, dtype, requires_grad, device):
    backend = backends.get_backend(device)
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    t = Tensor._make(make(backend.xp, _shape_arg(shape), dtype), backend, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*shape, dtype=None, requires_grad=False, device=None):
    return _new(lambda xp, s, d: xp.zeros(s, dtype=d), shape, dtype, requires_grad, device)


def ones(*shape, dtype=None, requires_grad=False, device=None):
    return _new(lambda xp, s, d: xp.ones(s, dtype=d), shape, dtype, requires_grad, device)


def full(shape, fill_value, dtype=None, requires_grad=False, device=None):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _new(lambda xp, s, d: xp.full(s, fill_value, dtype=d), (shape,), dtype,
                requires_grad, device)


def zeros_like(x, dtype=None, requires_grad=False, device=None):
    return zeros(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad,
                 device=device or x.device)


def ones_like(x, dtype=None, requires_grad=False, device=None):
    return ones(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad,
                device=device or x.device)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False, device=None):
    """Evenly spaced values in [start, stop): ints give int64, floats the default float dtype."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        is_int = all(isinstance(v, int) for v in (start, stop, step))
        dtype = "int64" if is_int else dtypes.get_default_dtype()
    return _new(lambda xp, s, d: xp.arange(start, stop, step, dtype=d), (), dtype,
                requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    return _new(lambda xp, s, d: xp.eye(n, m, dtype=d), (), dtype, requires_grad, device)


def rand(*shape, dtype=None, requires_grad=False, device=None):
    """Uniform samples in [0, 1) from minidl's seeded generator (see ``manual_seed``)."""
    backend = backends.get_backend(device)
    return _new(lambda xp, s, d: backend.rng().random(s, dtype=d), shape, dtype,
                requires_grad, backend)


def randn(*shape, dtype=None, requires_grad=False, device=None):
    """Standard normal samples from minidl's seeded generator (see ``manual_seed``)."""
    backend = backends.get_backend(device)
    return _new(lambda xp, s, d: backend.rng().standard_normal(s, dtype=d), shape, dtype,
                requires_grad, backend)
