"""One seed for every random draw of the framework (init, dropout, shuffling), on every device."""
_seed = None


def manual_seed(seed):
    """Seed every random generator of minidl, on every backend.

    Example:
        >>> import minidl as mdl
        >>> _ = mdl.manual_seed(0); a = mdl.rand(2)
        >>> _ = mdl.manual_seed(0); bool((mdl.rand(2) == a).all())
        True
    """
    global _seed
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _seed = seed
    from minidl.backends import _backends
    for backend in _backends.values():
        backend.seed(seed)
    return seed


def current_seed():
    return _seed


def get_rng_state():
    """The CPU generator's state as a JSON-friendly dict (for checkpoints)."""
    from minidl.backends import get_backend
    state = get_backend("cpu").rng().bit_generator.state
    return _jsonable(state)


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    from minidl.backends import get_backend
    get_backend("cpu").rng().bit_generator.state = state


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item"):
        return value.item()
    return value
