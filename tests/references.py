"""Reference libraries of the comparison tests, and how a missing one is treated.

A comparison test asks for its reference with ``require_reference("torch")``: without the
library it is skipped, except when ``MINIDL_REQUIRE_REFERENCES=1`` (set by ``.ci/run``),
where a missing reference fails the run instead, so that comparisons cannot silently vanish.
With that variable set, ``tests/conftest.py`` also checks every registered reference before
any test runs.

To add a reference library, register it here with one line:

    register_reference("keras")
"""
import importlib
import os

import pytest

REFERENCES = []  # import names of the registered reference libraries


def register_reference(module):
    """Register ``module`` (its import name) as a reference library of the comparison tests."""
    if module not in REFERENCES:
        REFERENCES.append(module)


register_reference("torch")
register_reference("sklearn")  # scikit-learn
register_reference("keras")  # Keras 3, on the torch backend (KERAS_BACKEND=torch)


def required():
    """Whether a missing reference must fail the run (``MINIDL_REQUIRE_REFERENCES=1``)."""
    return os.environ.get("MINIDL_REQUIRE_REFERENCES", "") not in ("", "0")


def missing_references():
    """The registered references that cannot be imported, with the reason."""
    missing = []
    for module in REFERENCES:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"{module} ({exc})")
    return missing


def require_reference(module):
    """Import and return a reference library for a comparison test: skip the test without it,
    or fail it when references are required."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if required():
            pytest.fail(f"reference library {module} is required "
                        f"(MINIDL_REQUIRE_REFERENCES=1) but cannot be imported: {exc}")
        pytest.skip(f"reference library {module} is not installed")
