"""A backend is one kind of device: an array module (``xp``) and the ways on and off it."""
import numpy as np

_seed = None  # the seed of every backend's generator (minidl.manual_seed sets it)


class Backend:
    """A device kind: its name, its array module and how arrays cross to and from NumPy.

    Args:
        name: the device name tensors report (``'cpu'``, ``'cuda'``, ...).
        xp: the array module (NumPy, CuPy, or anything with NumPy's API).
        array_types: the array classes that belong to this backend.
        from_numpy: ``f(np.ndarray) -> device array``.
        to_numpy: ``f(device array) -> np.ndarray`` (a copy off the device).
        make_rng: ``f(seed) -> generator`` with NumPy's ``Generator`` methods
            (``random``, ``standard_normal``, ``permutation``...), on the device.
    """

    def __init__(self, name, xp, array_types, from_numpy, to_numpy, make_rng):
        self.name = name
        self.xp = xp
        self.array_types = tuple(array_types)
        self.from_numpy = from_numpy
        self.to_numpy = to_numpy
        self._make_rng = make_rng
        self._rng = None

    def rng(self):
        """The backend's random generator, seeded by ``minidl.manual_seed``."""
        if self._rng is None:
            self._rng = self._make_rng(_seed)
        return self._rng

    def seed(self, seed):
        self._rng = self._make_rng(seed)

    def __repr__(self):
        return f"Backend({self.name!r})"


def numpy_backend():
    return Backend("cpu", np, (np.ndarray, np.generic), np.asarray, np.asarray, np.random.default_rng)


CUPY_MISSING = (
    "minidl: device 'cuda' needs CuPy, which is not installed. Install the prebuilt wheel for "
    "the CUDA version that `nvidia-smi` shows: `pip install \"minidl[gpu-cuda12]\"` (CUDA 12.x) "
    "or `pip install \"minidl[gpu-cuda13]\"` (CUDA 13.x), i.e. cupy-cuda12x or cupy-cuda13x "
    "(from a source checkout: `pip install -e \".[gpu-cuda12]\"`).")


def cupy_backend():
    """The CUDA backend; raises ``RuntimeError`` saying what is missing when it cannot run."""
    try:
        import cupy
    except ImportError as exc:
        raise RuntimeError(CUPY_MISSING) from exc
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken
        raise RuntimeError(f"minidl: CuPy is installed but cannot reach a CUDA GPU ({exc}). "
                           "Check the NVIDIA driver, or use device='cpu'.") from exc
    if count == 0:
        raise RuntimeError("minidl: CuPy is installed but found no CUDA GPU; use device='cpu'.")
    return Backend("cuda", cupy, (cupy.ndarray,), cupy.asarray, cupy.asnumpy,
                   lambda seed: cupy.random.default_rng(seed))
