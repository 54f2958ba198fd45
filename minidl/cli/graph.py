"""``python -m minidl graph``: draw the graph of one MLP training step, with gradient norms.

    python -m minidl graph --out mlp_step.svg --trace

builds a small MLP, runs one forward and backward pass on a random batch, prints the backward
trace (``--trace``) and draws the graph with each node's gradient norm (Graphviz's ``dot``
renders .svg/.png/.pdf; .dot files are plain text and need nothing). Without Graphviz it
still prints the trace, writes the .dot text beside the asked-for file, and says so.
"""
import os
import sys


def add_parser(subparsers):
    p = subparsers.add_parser(
        "graph", help="draw the computation graph of one MLP training step (Graphviz)",
        description="Build a small MLP, run one training step (forward, backward) on a random "
                    "batch and draw its graph: ops with output shapes and dtypes, parameters "
                    "with their gradient norms, each op with the gradient norm backward gave it.")
    p.add_argument("--out", default="mlp_step.svg",
                   help="output file: .svg, .png, .pdf (need Graphviz) or .dot (default: "
                        "mlp_step.svg)")
    p.add_argument("--in-features", type=int, default=4, help="input size (default: 4)")
    p.add_argument("--hidden", default="8", help="hidden sizes, comma-separated (default: 8)")
    p.add_argument("--classes", type=int, default=3, help="number of classes (default: 3)")
    p.add_argument("--batch-size", type=int, default=5, help="batch size (default: 5)")
    p.add_argument("--activation", default="relu", help="hidden activation (default: relu)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--trace", action="store_true", help="also print the backward trace")
    p.set_defaults(run=run)
    return p


def build_step(in_features=4, hidden=(8,), classes=3, batch_size=5, activation="relu", seed=0):
    """One MLP step: returns ``(model, loss)`` with the graph of the loss still alive."""
    import minidl as mdl
    mdl.manual_seed(seed)
    model = mdl.nn.MLP(in_features, list(hidden), classes, activation=activation)
    x = mdl.randn(batch_size, in_features)
    labels = mdl.tensor(mdl.backends.get_backend("cpu").rng().integers(0, classes, batch_size))
    # not model(x): its Sequential runs each Linear → ReLU pair as one fused node; the
    # picture shows every layer's own node, as the textbook draws them.
    loss = mdl.nn.CrossEntropyLoss()(model.layers.forward_unfused(x), labels)
    return model, loss


def run(args):
    from minidl.teaching.graphviz import GraphvizNotFoundError, draw_backward
    try:
        hidden = tuple(int(h) for h in args.hidden.split(",") if h.strip())
    except ValueError:
        print(f"graph: --hidden must be integers separated by commas, got {args.hidden!r}",
              file=sys.stderr)
        return 2
    model, loss = build_step(args.in_features, hidden, args.classes, args.batch_size,
                             args.activation, args.seed)
    names = dict(model.named_parameters())
    title = (f"one training step of MLP({args.in_features}, {list(hidden)}, {args.classes}), "
             f"batch {args.batch_size}, loss {float(loss):.4f}")
    written, note = args.out, None
    try:
        trace = draw_backward(loss, args.out, names=names, title=title)
    except GraphvizNotFoundError as exc:
        # the trace and the DOT text need no Graphviz: give both, and say what is missing
        written = os.path.splitext(args.out)[0] + ".dot"
        trace = draw_backward(loss, written, names=names, title=title)
        note = (f"graph: {exc}\ngraph: wrote the DOT text to {written} instead (render it "
                f"later with: dot -T{os.path.splitext(args.out)[1].lstrip('.') or 'svg'} "
                f"{written} -o {args.out})")
    if args.trace:
        print(trace)
    print(f"wrote {written}")
    if note:
        print(note, file=sys.stderr)
    return 0
