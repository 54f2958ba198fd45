"""Teaching tools: watch backpropagation and the optimizers at work.

- :func:`trace_backward`: a table of every node backward visits, with its gradient norms.
- :func:`draw_graph`, :func:`draw_backward`: the graph as a picture (Graphviz's ``dot``).
- :func:`explain_step`: one optimizer step for one element, as equations with live numbers.
- :data:`SURFACES`, :func:`compare_optimizers`: optimizers racing on classic 2-D surfaces.
- :mod:`minidl.teaching.plots`: contour maps with paths, loss curves, GIFs, schedule plots
  (needs matplotlib).
- :class:`Diagnostics`: a Trainer callback that watches gradients, updates and activations.
"""
from minidl.teaching.compare import Trajectory, compare_optimizers, run_optimizer
from minidl.teaching.explain import Explanation, explain_step
from minidl.teaching.graphviz import (GraphvizNotFoundError, draw_backward, draw_graph, find_dot,
                                      render_dot)
from minidl.teaching.plots import (animate_trajectories, plot_comparison, plot_losses,
                                   plot_schedule, plot_trajectories, schedule_values)
from minidl.teaching.surfaces import SURFACES, Surface, get_surface
from minidl.teaching.trace import BackwardTrace, TraceRecord, trace_backward

__all__ = ["trace_backward", "BackwardTrace", "TraceRecord", "draw_graph", "draw_backward",
           "render_dot", "find_dot", "GraphvizNotFoundError", "explain_step", "Explanation",
           "SURFACES", "Surface", "get_surface", "compare_optimizers", "run_optimizer",
           "Trajectory", "plot_trajectories", "plot_losses", "plot_comparison",
           "animate_trajectories", "plot_schedule", "schedule_values"]

__all__ += ["Diagnostics", "TrainingDiagnosticsWarning"]


def __getattr__(name):
    # the Trainer callback imports minidl.training: loaded on first use only
    if name in ("Diagnostics", "TrainingDiagnosticsWarning"):
        from minidl.teaching import diagnostics
        return getattr(diagnostics, name)
    raise AttributeError(f"module 'minidl.teaching' has no attribute {name!r}")
