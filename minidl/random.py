"""One seed for every random draw of the framework (init, dropout, shuffling), on every device.

The generators themselves belong to the backends (``backend.rng()``); this module seeds and
saves them, importing ``backends`` one way.
"""
from minidl import backends


def manual_seed(seed):
    """Seed every random generator of minidl, on every backend.

    Example:
        >>> import minidl as mdl
        >>> _ = mdl.manual_seed(0); a = mdl.rand(2)
        >>> _ = mdl.manual_seed(0); bool((mdl.rand(2) == a).all())
        True
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    backends.seed_all(seed)
    return seed


def current_seed():
    """The seed given to :func:`manual_seed` (None before)."""
    return backends.current_seed()


def get_rng_state():
    """The CPU generator's state as a JSON-friendly dict (for checkpoints)."""
    state = backends.get_backend("cpu").rng().bit_generator.state
    return _jsonable(state)


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    backends.get_backend("cpu").rng().bit_generator.state = state


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item"):
        return value.item()
    return value
