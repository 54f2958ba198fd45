"""``model.summary()``: Keras 3's table (layer name and type, output shape, parameter count)
and the totals, with the same counts and byte sizes Keras prints."""
import math

_BOX = {"top": "┏┳┓━", "head_sep": "┡╇┩━", "row_sep": "├┼┤─", "bottom": "└┴┘─"}


def format_bytes(n):
    """``'198.79 KB'``: Keras's size of a parameter count in bytes (1 KB = 1024 B)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.2f} {unit}"
        n /= 1024.0


def _shape_text(layer, model):
    outputs = getattr(model, "outputs", None) or []
    nodes = [node for node in layer._inbound_nodes if any(t in outputs for t in node.outputs)] \
        or layer._inbound_nodes
    if not nodes:
        return "?"
    shapes = [t.shape for t in nodes[-1].outputs]
    text = [str(s).replace(",)", ")") if len(s) != 1 else f"({s[0]},)" for s in shapes]
    return text[0] if len(text) == 1 else "[" + ", ".join(text) + "]"


def _wrap(text, width):
    """Keras breaks long cells at spaces (and before parentheses)."""
    words = text.replace(" (", "\n(").split("\n") if len(text) > width else [text]
    return words


def print_summary(model, line_length=None, print_fn=None, show_trainable=False):
    print_fn = print_fn or print
    from minidl.keras.layers.input_layer import InputLayer
    from minidl.keras.models.functional import Functional
    layers = model.layers if isinstance(model, Functional) else \
        [layer for layer in model.layers if not isinstance(layer, InputLayer)]
    widths = [31, 22, 13]
    if line_length:
        scale = line_length / (sum(widths) + 10)
        widths = [max(int(w * scale), 8) for w in widths]
    headers = ["Layer (type)", "Output Shape", "Param #"]
    align = ["<", "<", ">"]

    def rule(kind):
        left, mid, right, fill = _BOX[kind]
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def row(cells, bar="│"):
        wrapped = [_wrap(c, w) for c, w in zip(cells, widths)]
        lines = []
        for i in range(max(len(w) for w in wrapped)):
            parts = [f" {(w[i] if i < len(w) else ''):{a}{width}} "
                     for w, a, width in zip(wrapped, align, widths)]
            lines.append(bar + bar.join(parts) + bar)
        return lines

    out = [f'Model: "{model.name}"', rule("top")]
    out += row(headers, "┃")
    out.append(rule("head_sep"))
    for i, layer in enumerate(layers):
        params = layer.count_params() if layer.built else 0
        out += row([f"{layer.name} ({type(layer).__name__})",
                    _shape_text(layer, model) if model.built else "?", f"{params:,}"])
        out.append(rule("row_sep") if i < len(layers) - 1 else rule("bottom"))
    if not layers:
        out.append(rule("bottom"))
    weights = model.weights
    trainable = sum(w.size for w in model.trainable_weights)
    total = sum(w.size for w in weights)
    bytes_total = sum(w.size * w.dtype.itemsize for w in weights)
    bytes_trainable = sum(w.size * w.dtype.itemsize for w in model.trainable_weights)
    out.append(f" Total params: {total:,} ({format_bytes(bytes_total)})")
    out.append(f" Trainable params: {trainable:,} ({format_bytes(bytes_trainable)})")
    out.append(f" Non-trainable params: {total - trainable:,} "
               f"({format_bytes(bytes_total - bytes_trainable)})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        opt_vars = [v for v in getattr(optimizer, "variables", [])]
        count = sum(int(math.prod(getattr(v, "shape", ()))) for v in opt_vars)
        if count:
            out.append(f" Optimizer params: {count:,} ({format_bytes(count * 4)})")
    for line in out:
        print_fn(line)
