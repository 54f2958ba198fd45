"""Which devices the ``device`` fixture runs on: ``$MINIDL_TEST_DEVICES``, else all that can run.

Kept apart from ``conftest.py`` so that the parsing is a plain function with its own tests
(``tests/backends/test_device_selection.py``).
"""
import os

ENV_VAR = "MINIDL_TEST_DEVICES"
# every device the fixture knows; 'strict' is the NumPy backend that refuses NumPy
# (tests/strict_backend.py), 'cuda' is CuPy on a GPU
KNOWN = ("cpu", "strict", "cuda")


class DeviceSelectionError(ValueError):
    """``$MINIDL_TEST_DEVICES`` names a device that is unknown or cannot run here."""


def default_devices(cuda_available):
    """Every device that can run: 'cpu' and 'strict', and 'cuda' when a GPU is usable."""
    return ["cpu", "strict"] + (["cuda"] if cuda_available else [])


def parse_test_devices(value, unavailable_reason):
    """The devices named by ``value`` (``'cuda'``, ``'cpu,strict'``...), in order, once each.

    Args:
        value: the variable's text; ``None`` or blank means "not set".
        unavailable_reason: ``f(name) -> None`` when the device can run here, else a sentence
            saying why not (for 'cuda': the backend's install hint).

    Returns:
        The list of device names, or ``None`` when ``value`` is not set.

    Raises:
        DeviceSelectionError: a name is not a known device, cannot run here, or the list is
            empty (``','``). Never silently skipped: a GPU job that asked for 'cuda' and got
            no tests would look green.
    """
    if value is None or not value.strip():
        return None
    names = []
    for raw in value.split(","):
        name = raw.strip().lower()
        if not name:
            continue
        if name not in KNOWN:
            raise DeviceSelectionError(
                f"${ENV_VAR}={value!r}: unknown device {raw.strip()!r}; "
                f"choose from {', '.join(KNOWN)} (comma-separated)")
        why = unavailable_reason(name)
        if why:
            raise DeviceSelectionError(
                f"${ENV_VAR}={value!r}: device {name!r} cannot run here: {why}")
        if name not in names:
            names.append(name)
    if not names:
        raise DeviceSelectionError(f"${ENV_VAR}={value!r} names no device; "
                                   f"choose from {', '.join(KNOWN)} (comma-separated)")
    return names


def backend_unavailable_reason(name):
    """Why minidl's backend for ``name`` cannot run here (its own message), or None."""
    from minidl import backends
    try:
        backends.get_backend(name)
    except (RuntimeError, ValueError) as exc:
        return str(exc)
    return None


def select_test_devices(environ=None):
    """The devices of the ``device`` fixture for this run (see the module docstring)."""
    import minidl as mdl
    environ = os.environ if environ is None else environ
    chosen = parse_test_devices(environ.get(ENV_VAR), backend_unavailable_reason)
    return chosen if chosen is not None else default_devices(mdl.cuda.is_available())
