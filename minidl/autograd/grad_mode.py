"""Grad mode: whether ops record the graph. ``no_grad`` turns recording off."""
import contextlib


class _GradState:
    enabled = True


state = _GradState()


def is_grad_enabled():
    """True when ops record their graph nodes (the default)."""
    return state.enabled


class _SetGradEnabled(contextlib.ContextDecorator):
    _mode = True

    def __enter__(self):
        self._previous = state.enabled
        state.enabled = self._mode
        return self

    def __exit__(self, *exc):
        state.enabled = self._previous
        return False


class no_grad(_SetGradEnabled):
    """Context manager and decorator: ops inside record no graph.

    Example:
        >>> import minidl as mdl
        >>> w = mdl.tensor([1.0], requires_grad=True)
        >>> with mdl.no_grad():
        ...     (w * 2).requires_grad
        False
    """
    _mode = False


class enable_grad(_SetGradEnabled):
    """Context manager and decorator: ops inside record the graph, even within ``no_grad``."""
    _mode = True
