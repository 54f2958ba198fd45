"""Watch the chain rule: record every node that backward visits, with the gradients it passes on.

    >>> import minidl as mdl
    >>> x = mdl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    >>> with mdl.teaching.trace_backward(names={"x": x}) as trace:
    ...     (mdl.relu(x) * 2.0).sum().backward()
    >>> [r.op for r in trace.records]
    ['Sum', 'Mul', 'ReLU']
    >>> trace.records[-1].outgoing[0].target, trace.records[-1].outgoing[0].norm
    ('x', 2.8284271247461903)

Each :class:`TraceRecord` holds the op, the shape of its output, the norm of the gradient that
arrived at it (dL/d output, summed over all its consumers) and, for each input, the shape and
the norm of the local gradient it sends on (dL/d input = that op's backward). The engine calls
the trace right after each node's backward, in the order it visits the nodes: reverse
topological order, from the loss back to the parameters.
"""
import weakref

from minidl.autograd import engine
from minidl.autograd.tensor import Tensor


class Outgoing:
    """One gradient a node sends to one of its inputs."""

    __slots__ = ("index", "target", "shape", "norm", "_node")

    def __init__(self, index, target, shape, norm, node=None):
        self.index = index      # which input of the op
        self.target = target    # a parameter name, 'leaf', 'constant' or '#k Op' (resolved later)
        self.shape = shape      # the input's shape
        self.norm = norm        # ||dL/d input|| (None: that input needs no gradient)
        self._node = node       # the op node it goes to, until the trace ends

    def __repr__(self):
        return f"Outgoing({self.target!r}, shape={self.shape}, norm={self.norm})"


class TraceRecord:
    """What backward did at one node: ``op``, ``output_shape``, ``grad_norm``, ``outgoing``."""

    __slots__ = ("step", "op", "output_shape", "input_shapes", "grad_norm", "outgoing", "_node")

    def __init__(self, step, op, output_shape, input_shapes, grad_norm, outgoing, node):
        self.step = step
        self.op = op
        self.output_shape = output_shape
        self.input_shapes = input_shapes
        self.grad_norm = grad_norm
        self.outgoing = outgoing
        self._node = node

    @property
    def node(self):
        """The graph node (a ``Function``) while the graph is alive, else None."""
        return self._node()

    def __repr__(self):
        return (f"TraceRecord(#{self.step} {self.op}, output {self.output_shape}, "
                f"grad norm {self.grad_norm:.6g}, {len(self.outgoing)} inputs)")


def _norm(xp, array):
    """The Euclidean norm of an array as a Python float, computed in float64."""
    a = array.astype(xp.float64)
    return float(xp.sqrt((a * a).sum()).item())


def _fmt_shape(shape):
    if shape is None:
        return "-"
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


class BackwardTrace:
    """The records of the backward passes run inside a :func:`trace_backward` block.

    Attributes:
        records: one :class:`TraceRecord` per visited node, in visiting order.
    """

    def __init__(self, names=None):
        self.records = []
        self._names = {id(t): n for n, t in (names or {}).items()}
        self._leaves = [t for t in (names or {}).values()]  # keep ids stable while tracing
        self._step_of = {}   # id(node) -> step, while tracing
        self._alive = []     # strong references to visited nodes, while tracing

    # -- called by the engine -----------------------------------------------------------------
    def __call__(self, node, gy, gxs):
        xp = node.xp
        gy_data = gy.data if isinstance(gy, Tensor) else gy
        meta = node.input_meta
        outgoing = []
        parents = node.parents
        for i, parent in enumerate(parents):
            shape = None if meta[i] is None else tuple(meta[i][0])
            if meta[i] is None:
                continue  # a Python number or array argument, not a tensor input
            gx = gxs[i] if i < len(gxs) else None
            if parent is None or gx is None:
                outgoing.append(Outgoing(i, "(needs no grad)", shape, None))
                continue
            gx_data = gx.data if isinstance(gx, Tensor) else gx
            norm = _norm(xp, gx_data)  # (the engine has summed it to the input's shape)
            if isinstance(parent, Tensor):
                outgoing.append(Outgoing(i, self._names.get(id(parent), "leaf"), shape, norm))
            else:
                self._alive.append(parent)
                outgoing.append(Outgoing(i, None, shape, norm, parent))
        step = len(self.records) + 1
        self._alive.append(node)
        self._step_of[id(node)] = step
        self.records.append(TraceRecord(
            step, type(node).__name__, tuple(gy_data.shape),
            tuple(None if m is None else tuple(m[0]) for m in meta),
            _norm(xp, gy_data), outgoing, weakref.ref(node)))

    def _finish(self):
        """Name each op target by its step number, then let go of the nodes."""
        for record in self.records:
            for out in record.outgoing:
                if out._node is not None:
                    step = self._step_of.get(id(out._node))
                    name = type(out._node).__name__
                    out.target = f"#{step} {name}" if step is not None else name
                    out._node = None
        self._alive = []
        self._step_of = {}
        self._leaves = []

    # -- reading it ---------------------------------------------------------------------------
    def notes(self):
        """``{node: [label lines]}`` for ``to_dot(..., notes=...)``: the gradient norms per node.

        Only nodes still alive (the graph kept with ``retain_graph=True``) are included.
        """
        result = {}
        for record in self.records:
            node = record.node
            if node is not None:
                result[node] = [f"step {record.step} of backward",
                                f"|dL/d out| = {record.grad_norm:.4g}"]
        return result

    def table(self, precision=4):
        """The trace as a text table: one row per gradient sent, nodes in visiting order."""
        header = ("step", "op", "output", "|dL/d out|", "sends dL/d input to", "input", "|dL/d in|")
        rows = []
        for r in self.records:
            first = [str(r.step), r.op, _fmt_shape(r.output_shape), f"{r.grad_norm:.{precision}g}"]
            if not r.outgoing:
                rows.append(first + ["", "", ""])
            for k, out in enumerate(r.outgoing):
                norm = "-" if out.norm is None else f"{out.norm:.{precision}g}"
                cells = [out.target, _fmt_shape(out.shape), norm]
                rows.append((first if k == 0 else [""] * 4) + cells)
        widths = [max(len(header[c]), *(len(row[c]) for row in rows)) if rows else len(header[c])
                  for c in range(len(header))]
        right = {0, 3, 6}

        def line(cells):
            return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        out = [f"backward trace: {len(self.records)} nodes, in the order backward visits them",
               line(header), line(["-" * w for w in widths])]
        out.extend(line(row) for row in rows)
        return "\n".join(out)

    def __str__(self):
        return self.table()

    def __len__(self):
        return len(self.records)


class trace_backward:
    """Context manager: record every backward pass run inside the block.

    Args:
        names: optional ``{name: tensor}`` (e.g. ``dict(model.named_parameters())``) so that
            gradients sent to those leaves are labelled with their names.

    Returns (from ``__enter__``):
        A :class:`BackwardTrace`; ``print(trace)`` shows the table.

    Costs nothing when no trace is active: the engine checks its observer list once per pass.
    """

    def __init__(self, names=None):
        self.trace = BackwardTrace(names)

    def __enter__(self):
        engine.observers.append(self.trace)
        return self.trace

    def __exit__(self, *exc):
        engine.observers.remove(self.trace)
        self.trace._finish()
        return False
