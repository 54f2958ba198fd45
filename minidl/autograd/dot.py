"""Graph export: the graph that made a tensor, as Graphviz DOT text."""
from minidl.autograd.tensor import Tensor


def _fmt_shape(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _escape(text):
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def to_dot(tensor, names=None, title=None, notes=None):
    """Graphviz DOT text of the graph that made ``tensor``.

    Op nodes are boxes (``Linear``, ``ReLU``...) labelled with the shape and dtype of their
    output; leaves are ellipses labelled with shape, dtype and, when they require grad, their
    gradient norm if ``.grad`` is set. Edges carry the shape and dtype flowing along them. The
    graph must not have been freed by ``backward()`` (use ``retain_graph=True`` to draw it after
    backward; ``minidl.teaching.draw_backward`` does that and adds each node's gradient norms).

    Args:
        tensor: the output tensor.
        names: optional ``{name: tensor}`` (e.g. ``dict(model.named_parameters())``) for labels.
        title: optional graph label.
        notes: optional ``{node: [extra label lines]}`` for op nodes (``Function`` objects),
            e.g. the gradient norms recorded by ``minidl.teaching.trace_backward``.

    Example:
        >>> import minidl as mdl
        >>> x = mdl.tensor([1.0, 2.0], requires_grad=True)
        >>> print(mdl.autograd.to_dot((x * x).sum()).splitlines()[0])
        digraph minidl {
    """
    label_of = {id(t): n for n, t in (names or {}).items()}
    lines = ["digraph minidl {", "  rankdir=BT;",
             '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    if title:
        lines.append(f'  label="{_escape(title)}"; labelloc=t;')
    ids = {}
    notes = {id(node): lines_ for node, lines_ in (notes or {}).items()}
    out_meta = {}   # id(op node) -> (shape, dtype) of its output, known from its consumer

    def node_id(obj):
        if id(obj) not in ids:
            ids[id(obj)] = f"n{len(ids)}"
        return ids[id(obj)]

    def leaf_label(t):
        parts = [label_of.get(id(t), "leaf" if t.requires_grad else "constant"),
                 f"{_fmt_shape(t.shape)} {t.dtype}"]
        if t.requires_grad:
            parts.append("requires_grad")
            if t.grad is not None:
                norm = float((t.grad.data.astype("float64") ** 2).sum().item()) ** 0.5
                parts.append(f"grad norm {norm:.4g}")
        return "\\n".join(_escape(p) for p in parts)

    out_id = "out"
    lines.append(f'  {out_id} [label="output\\n{_fmt_shape(tensor.shape)} {tensor.dtype}", '
                 'shape=ellipse, style=filled, fillcolor="#d9ead3"];')
    root = tensor.grad_fn
    if root is None:
        lines.append(f'  {node_id(tensor)} [label="{leaf_label(tensor)}", shape=ellipse];')
        lines.append(f"  {node_id(tensor)} -> {out_id};")
        lines.append("}")
        return "\n".join(lines) + "\n"
    lines.append(f"  {node_id(root)} -> {out_id};")
    out_meta[id(root)] = (tensor.shape, tensor.dtype)
    stack, seen = [root], {id(root)}
    while stack:
        fn = stack.pop()
        shape, dtype = out_meta[id(fn)]
        parts = [type(fn).__name__, f"{_fmt_shape(shape)} {dtype}"]
        parts.append("needs grad" if fn._saved is not None else "graph freed")
        parts.extend(notes.get(id(fn), ()))
        label = "\\n".join(_escape(p) for p in parts)
        lines.append(f'  {node_id(fn)} [label="{label}", shape=box, '
                     'style=filled, fillcolor="#cfe2f3"];')
        for i, parent in enumerate(fn.parents):
            if parent is None:
                continue
            shape, dtype = fn.input_meta[i]
            edge = f'[label="{_fmt_shape(shape)} {dtype}"]'
            if isinstance(parent, Tensor):
                if id(parent) not in seen:
                    seen.add(id(parent))
                    lines.append(f'  {node_id(parent)} [label="{leaf_label(parent)}", '
                                 'shape=ellipse, style=filled, fillcolor="#fff2cc"];')
            elif id(parent) not in seen:
                seen.add(id(parent))
                out_meta[id(parent)] = (tuple(shape), dtype)
                stack.append(parent)
            lines.append(f"  {node_id(parent)} -> {node_id(fn)} {edge};")
    lines.append("}")
    return "\n".join(lines) + "\n"
