"""``minidl.cuda``: whether the CUDA device can run here."""
from minidl import backends


def is_available():
    """True when CuPy is installed and sees at least one CUDA GPU."""
    return "cuda" in backends.available()
