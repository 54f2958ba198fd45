"""Pictures of the graph: ``to_dot`` text rendered by Graphviz's ``dot`` program.

Graphviz is a separate program, not a Python package: ``apt-get install graphviz``,
``brew install graphviz`` or ``conda install graphviz``. Without it, write ``.dot`` files
(plain text, no Graphviz needed) and paste them into any online Graphviz viewer.
"""
import os
import shutil
import subprocess

from minidl.autograd.dot import to_dot
from minidl.teaching.trace import trace_backward

FORMATS = ("svg", "png", "pdf")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on PATH)."""


def find_dot():
    """The path of Graphviz's ``dot`` program, or None if it is not on PATH."""
    return shutil.which("dot")


def _not_found(path):
    return GraphvizNotFoundError(
        f"cannot render {path!r}: Graphviz's 'dot' program was not found on PATH. Install "
        "Graphviz (apt-get install graphviz, brew install graphviz or conda install graphviz), "
        "or save the graph as a '.dot' text file instead and open it in any Graphviz viewer.")


def render_dot(source, path):
    """Write DOT text to ``path``: as text for ``.dot``/``.gv``, else rendered by Graphviz.

    Args:
        source: DOT text (from :func:`minidl.autograd.to_dot`).
        path: output file; its suffix picks the format: ``.svg``, ``.png``, ``.pdf``, ``.dot``.

    Returns:
        ``path``.

    Raises:
        GraphvizNotFoundError: a picture was asked for and ``dot`` is not installed.
        ValueError: the suffix is not one of the formats above.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        return path
    if suffix not in FORMATS:
        raise ValueError(f"render_dot: unknown picture format {suffix!r} for {path!r}; "
                         f"use one of {', '.join('.' + s for s in FORMATS)} or .dot")
    dot = find_dot()
    if dot is None:
        raise _not_found(path)
    result = subprocess.run([dot, f"-T{suffix}", "-o", path], input=source.encode("utf-8"),
                            capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"Graphviz 'dot' failed to render {path!r}: "
                           f"{result.stderr.decode('utf-8', 'replace').strip()}")
    return path


def draw_graph(tensor, path, names=None, title=None):
    """Draw the graph that made ``tensor`` (ops, shapes, dtypes; leaves' gradient norms if set).

    Args:
        tensor: the output (e.g. the loss), before ``backward()`` or after
            ``backward(retain_graph=True)``.
        path: ``.svg``, ``.png``, ``.pdf`` (needs Graphviz) or ``.dot`` (text).
        names: optional ``{name: tensor}``, e.g. ``dict(model.named_parameters())``.
        title: optional caption.

    Returns:
        ``path``.
    """
    return render_dot(to_dot(tensor, names=names, title=title), path)


def draw_backward(loss, path, names=None, title=None):
    """Run ``loss.backward()`` and draw the graph with every node's gradient norm on it.

    The graph is kept (``retain_graph=True``) so that it can be drawn after the backward
    pass; each op node shows the step at which backward visited it and ``|dL/d out|``, each
    parameter its ``.grad`` norm.

    Args:
        loss: a scalar tensor.
        path: ``.svg``, ``.png``, ``.pdf`` (needs Graphviz) or ``.dot`` (text).
        names: optional ``{name: tensor}``, e.g. ``dict(model.named_parameters())``.
        title: optional caption.

    Returns:
        The :class:`~minidl.teaching.trace.BackwardTrace` of that backward pass.

    Raises:
        GraphvizNotFoundError: as :func:`render_dot`; checked before backward runs, so the
            parameters' gradients are untouched when it is raised.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix in FORMATS and find_dot() is None:
        raise _not_found(path)
    with trace_backward(names) as trace:
        loss.backward(retain_graph=True)
    render_dot(to_dot(loss, names=names, title=title, notes=trace.notes()), path)
    return trace
