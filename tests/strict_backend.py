"""A strict test backend: NumPy underneath, but arrays refuse to become NumPy arrays silently.

CuPy arrays refuse implicit conversion (``np.asarray(cupy_array)`` raises) and cannot be mixed
with NumPy arrays. This backend is stricter still: any NumPy function applied to its arrays
directly (not through the backend's array module ``xp``) raises, and so does mixing with a
NumPy array, and full reductions return 0-d arrays, as CuPy's do. Code that passes on the
'strict' device therefore keeps every array op behind ``xp`` and works on CuPy too.
Registered by the tests only (``register_strict_backend``).
"""
import numpy as np

from minidl import backends

_TRANSFER = {"asarray", "array", "asanyarray", "ascontiguousarray"}


class StrictArrayError(TypeError):
    pass


def _unwrap(value, allow_numpy=False, where=""):
    if isinstance(value, StrictArray):
        return value._a
    if isinstance(value, np.ndarray):
        if allow_numpy:
            return value
        raise StrictArrayError(
            f"strict backend: a NumPy array of shape {value.shape} was mixed with device arrays "
            f"{where}; CuPy forbids this. Create arrays with the tensor's array module (xp).")
    if isinstance(value, (list, tuple)):
        items = [_unwrap(v, allow_numpy, where) for v in value]
        return type(value)(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {k: _unwrap(v, allow_numpy, where) for k, v in value.items()}
    return value


def _wrap(value):
    if isinstance(value, np.ndarray):
        return StrictArray(value)
    if isinstance(value, np.generic):
        return StrictArray(np.asarray(value))  # CuPy returns 0-d arrays, not scalars
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _call(fn, args, kwargs, where, allow_numpy=False):
    args = _unwrap(args, allow_numpy, where)
    kwargs = _unwrap(kwargs, allow_numpy, where)
    return _wrap(fn(*args, **kwargs))


class StrictArray:
    """A NumPy array in a box that only the strict array module may open."""

    __slots__ = ("_a",)
    __array_priority__ = 10000

    def __init__(self, array):
        self._a = array

    # refuse implicit conversion and direct NumPy calls
    def __array__(self, dtype=None, copy=None):
        raise StrictArrayError("strict backend: implicit conversion to a NumPy array is not "
                               "allowed (as with CuPy); use Tensor.numpy() or the backend's "
                               "to_numpy explicitly")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise StrictArrayError(f"strict backend: numpy.{ufunc.__name__} was called on a device "
                               "array; call it through the array module xp instead")

    def __array_function__(self, func, types, args, kwargs):
        raise StrictArrayError(f"strict backend: numpy.{func.__name__} was called on a device "
                               "array; call it through the array module xp instead")

    # attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: StrictArray(self._a.T))
    base = property(lambda self: self._a if self._a.base is None else self._a.base)

    def __getattr__(self, name):
        if name.startswith("__"):  # e.g. __array_interface__: no back door to NumPy
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *args, **kwargs: _call(attr, args, kwargs, f"in .{name}()")
        return _wrap(attr)

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def get(self):
        """The explicit copy to the host, as CuPy's ``ndarray.get()``."""
        return self._a.copy()

    def __repr__(self):
        return f"strict_array({self._a!r})"

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (StrictArray(np.asarray(v)) for v in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __getitem__(self, index):
        return _wrap(self._a[_unwrap(index, True, "as an index")])

    def __setitem__(self, index, value):
        self._a[_unwrap(index, True, "as an index")] = _unwrap(value, False, "in __setitem__")

    __hash__ = None


def _binary(name):
    def method(self, other):
        result = getattr(self._a, name)(_unwrap(other, False, f"in {name}"))
        if result is NotImplemented:
            return result
        return self if name.startswith("__i") else _wrap(result)
    method.__name__ = name
    return method


def _unary(name):
    def method(self):
        return _wrap(getattr(self._a, name)())
    method.__name__ = name
    return method


for _name in ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
              "xor", "lshift", "rshift"]:
    for _form in (f"__{_name}__", f"__r{_name}__", f"__i{_name}__"):
        setattr(StrictArray, _form, _binary(_form))
for _name in ["eq", "ne", "lt", "le", "gt", "ge"]:
    setattr(StrictArray, f"__{_name}__", _binary(f"__{_name}__"))
for _name in ["neg", "pos", "abs", "invert"]:
    setattr(StrictArray, f"__{_name}__", _unary(f"__{_name}__"))


class _StrictUfunc:
    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _call(self._ufunc, args, kwargs, f"in xp.{self.__name__}")

    def __getattr__(self, name):  # reduce, at, accumulate, outer
        method = getattr(self._ufunc, name)
        return lambda *args, **kwargs: _call(method, args, kwargs, f"in xp.{self.__name__}.{name}")


class StrictModule:
    """The array module of the strict backend: NumPy's API, on StrictArrays only."""

    def __init__(self, module):
        self._module = module
        self.__name__ = "strict_" + module.__name__

    def __getattr__(self, name):
        if name == "ndarray":
            return StrictArray
        attr = getattr(self._module, name)
        if isinstance(attr, type) or not callable(attr):
            if hasattr(attr, "__name__") and type(attr).__name__ == "module":
                return StrictModule(attr)
            return attr
        if isinstance(attr, np.ufunc):
            return _StrictUfunc(attr)
        allow = name in _TRANSFER
        return lambda *args, **kwargs: _call(attr, args, kwargs, f"in xp.{name}", allow)


# The methods of CuPy's Generator (cupy.random.Generator, CuPy 13-14). NumPy's Generator has
# more (permutation, shuffle, choice, normal, ...): device code that calls them would pass
# here with NumPy underneath and break on CuPy, so the strict generator refuses them too.
CUPY_GENERATOR_METHODS = frozenset({
    "random", "uniform", "integers", "standard_normal", "standard_exponential",
    "standard_gamma", "gamma", "beta", "binomial", "chisquare", "dirichlet", "exponential",
    "f", "geometric", "hypergeometric", "logseries", "poisson", "power"})


class StrictGenerator:
    """NumPy's Generator, handing out StrictArrays, limited to what CuPy's Generator offers."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)
        self.bit_generator = self._rng.bit_generator

    def __getattr__(self, name):
        if name not in CUPY_GENERATOR_METHODS:
            raise StrictArrayError(
                f"strict backend: rng.{name}() does not exist on CuPy's Generator (it has "
                f"{', '.join(sorted(CUPY_GENERATOR_METHODS))}); draw on the host "
                "(backends.get_backend('cpu').rng()) and move the result, or build it from "
                "those methods")
        method = getattr(self._rng, name)
        return lambda *args, **kwargs: _call(method, args, kwargs, f"in rng.{name}")


def make_strict_backend():
    return backends.Backend(
        "strict", StrictModule(np), (StrictArray,),
        from_numpy=lambda a: StrictArray(np.array(a)),
        to_numpy=lambda a: a._a.copy(),
        make_rng=StrictGenerator)


def register_strict_backend():
    """Register the 'strict' device (idempotent)."""
    if "strict" not in backends._backends:
        backends.register(make_strict_backend())
    return backends.get_backend("strict")
