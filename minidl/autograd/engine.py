"""The backward pass: walk the graph in reverse topological order, applying the chain rule.

Iterative (no recursion, so a chain of 10,000 ops is fine), in two steps:

1. count, for every node, how many consumers will send it a gradient (``count_consumers``);
2. take a node whose consumers are all done and, in ``_backward_loop``:
   gy in → ``node.backward(gy)`` → each gradient summed to its input's shape → accumulated
   (``grad = grad + g``, never in place) into the input's node or leaf → the node freed
   (its saved tensors, unless ``retain_graph``).

``grad()`` differs from ``backward()`` only by a :class:`GradRequest` (its bookkeeping), asked
once per node. Leaves receive their total gradient once: at the end, or, for a leaf with
post-accumulate hooks, as soon as all its consumers have run.

Two seams for code that must act during the pass (data-parallel training reduces gradients
while backward is still running): a leaf's post-accumulate hooks
(``Tensor.register_post_accumulate_grad_hook``) fire as soon as its gradient is complete, and
:func:`queue_callback` runs a function when the current backward has finished.
"""
import weakref

from minidl.autograd import anomaly, grad_buffer, grad_mode
from minidl.autograd.grad_request import GradRequest
from minidl.autograd.tensor import Tensor

# Backward observers (``minidl.teaching.trace_backward`` adds one): each is called as
# ``observer(node, gy, gxs)`` after ``node.backward(gy)``, with the gradients already summed
# to each input's shape, before the node is freed. Checked once per pass: free when empty.
observers = []

_FREED = ("Trying to backward through the graph a second time (or through a graph whose saved "
          "tensors were freed by an earlier backward). Pass retain_graph=True to the first "
          "backward() if you need to backpropagate through it again.")

# One list of queued callbacks per engine run in progress (innermost last): queue_callback
# appends to the innermost, and that run calls them once its pass is done.
_callback_frames = []


def backward(root, gradient=None, retain_graph=False, create_graph=False):
    """``root.backward(gradient)``: accumulate into the ``.grad`` of every leaf it depends on."""
    roots, grads = _prepare([root], None if gradient is None else [gradient], "backward")
    run(roots, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned, not accumulated.

    Args:
        outputs: a Tensor or a sequence of Tensors to differentiate.
        inputs: a Tensor or a sequence of Tensors (leaves or not) to differentiate against.
        grad_outputs: d(loss)/d(outputs), one per output; may be omitted for scalar outputs.
        create_graph: record the backward pass so that the result can be differentiated again.
        retain_graph: keep the graph (defaults to ``create_graph``).
        allow_unused: return None for an input the outputs do not depend on (else raise).

    Returns:
        A tuple of Tensors, one per input.

    Only the nodes that lead to ``inputs`` run (and are freed): a node the request does not
    need may have been freed by an earlier pass without harm, as in PyTorch.

    Example:
        >>> import minidl as mdl
        >>> x = mdl.tensor(2.0, requires_grad=True)
        >>> (gx,) = mdl.autograd.grad(x ** 3, x, create_graph=True)
        >>> (ggx,) = mdl.autograd.grad(gx, x)
        >>> float(gx), float(ggx)
        (12.0, 12.0)
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is not None:
        grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad, so it has no gradient")
    roots, grads = _prepare(outputs, grad_outputs, "grad")
    request = GradRequest(inputs)
    run(roots, grads, create_graph if retain_graph is None else retain_graph, create_graph,
        request)
    request.unused(allow_unused)
    return tuple(request.results)


def vjp(output, inputs, gy):
    """The vector-Jacobian product ``gyᵀ·∂output/∂input`` for each of ``inputs``, recorded
    (``create_graph``) and stopping at the inputs (what ``FusedFunction`` needs of its twin)."""
    request = GradRequest(inputs, stop_at_inputs=True)
    run([output], [gy], True, True, request)
    return request.results


def queue_callback(fn):
    """Call ``fn()`` once the backward pass now running has finished (from a hook inside it).

    Callbacks run in the order they were queued, after every leaf's ``.grad`` is set and
    before ``backward()`` returns; a callback may queue another. They are dropped if the pass
    fails. ``DistributedDataParallel`` uses one to wait for its gradient reductions.

    Example:
        >>> import minidl as mdl
        >>> from minidl.autograd.engine import queue_callback
        >>> w = mdl.tensor(1.0, requires_grad=True)
        >>> _ = w.register_post_accumulate_grad_hook(
        ...     lambda p: queue_callback(lambda: print("done, grad", float(p.grad))))
        >>> (2.0 * w).backward()
        done, grad 2.0
    """
    if not _callback_frames:
        raise RuntimeError("queue_callback: no backward pass is running; call it from a hook "
                           "during backward()")
    _callback_frames[-1].append(fn)


def _prepare(outputs, grad_outputs, what):
    if grad_outputs is not None and len(grad_outputs) != len(outputs):
        raise ValueError(f"{what}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    roots, grads = [], []
    for i, y in enumerate(outputs):
        if not y.requires_grad:
            raise RuntimeError(f"{what}: output {i} does not require grad and has no grad_fn "
                               "(was it computed under no_grad, or from tensors without "
                               "requires_grad=True?)")
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            data = y.data
            if data.size != 1:
                raise RuntimeError(
                    f"{what}: a gradient can be implied only for one-element outputs, but output "
                    f"{i} has shape {y.shape}; pass gradient= (d loss / d output) of that shape")
            ones = y.xp.empty(data.shape, dtype=data.dtype)  # (NumPy's ones is Python code:
            ones.fill(1)                                      # empty + fill is two C calls)
            g = Tensor._make(ones, y._backend, False, None)
        elif not isinstance(g, Tensor):
            g = Tensor(g, dtype=y.dtype, device=y.device)
        if g.data.shape != y.data.shape:
            raise RuntimeError(f"{what}: gradient of shape {g.shape} given for output {i} of "
                               f"shape {y.shape}")
        if g._backend is not y._backend:
            raise RuntimeError(f"{what}: gradient on device '{g.device}' for output {i} on "
                               f"device '{y.device}'")
        roots.append(y)
        grads.append(g)
    return roots, grads


def run(roots, root_grads, retain_graph, create_graph, request=None):
    """The engine proper: one backward pass from ``roots`` (``request``: for ``grad``)."""
    previous = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    # Under detect_anomaly, a non-finite gradient is blamed on the node whose backward made
    # it (check_backward), not on the ops that backward is written with.
    was_in_backward = anomaly.state.in_backward
    anomaly.state.in_backward = True
    callbacks = []
    _callback_frames.append(callbacks)
    try:
        _run(roots, root_grads, retain_graph, create_graph, request)
    finally:
        grad_mode.state.enabled = previous
        anomaly.state.in_backward = was_in_backward
        _callback_frames.pop()
    if callbacks:
        _run_callbacks(callbacks)


def _run_callbacks(callbacks):
    _callback_frames.append(callbacks)  # a callback may queue another, run after it
    try:
        i = 0
        while i < len(callbacks):
            callbacks[i]()
            i += 1
    finally:
        _callback_frames.pop()


def _run(roots, root_grads, retain_graph, create_graph, request):
    grads = {}            # node -> gradient of its output, summed over consumers
    leaf_grads = {}       # id(leaf) -> (leaf, gradient summed over its consumers)
    start = []
    for y, g in zip(roots, root_grads):
        node = y.grad_fn
        if node is None:  # a leaf: the root is its own gradient's target
            _add_leaf_grad(leaf_grads, y, g)
        elif node in grads:
            grads[node] = grads[node] + g
        else:
            grads[node] = g
            start.append(node)
    reach = None
    if request is not None:  # grad() walks only the nodes that lead to its inputs
        start = request.prune(start)
        reach = request.reach
    pending, leaf_pending = count_consumers(start, grads, reach, request is None)
    ready = [node for node in start if node not in pending]
    handed_out = {id(_owner(g.data)) for g in root_grads}

    def deliver(leaf, g):  # leaf hooks see the total gradient once, as PyTorch's do
        if request is not None:
            request.add(leaf, g)
        else:
            _deliver_leaf(leaf, g, create_graph, handed_out)

    lent = grad_buffer.state.leaf_grads  # (a backward() run from a hook restores it after)
    grad_buffer.state.leaf_grads = leaf_grads if request is None and not create_graph else None
    try:
        _backward_loop(ready, grads, pending, leaf_grads, leaf_pending, deliver, reach, request,
                       retain_graph)
        for leaf, g in leaf_grads.values():
            deliver(leaf, g)
    finally:
        grad_buffer.state.leaf_grads = lent


def count_consumers(start, grads, reach=None, hooked_leaves=True):
    """For each node below ``start``: how many consumers will send it a gradient (its
    in-degree in the part of the graph walked, ``reach`` if given); ready once all have.
    The same count for each leaf with post-accumulate hooks (``hooked_leaves``), by id."""
    pending = {}
    leaf_pending = {}
    stack = list(start)
    while stack:
        for p in stack.pop().parents:
            if p is None or (reach is not None and p not in reach):
                continue  # no gradient wanted
            if isinstance(p, Tensor):  # a leaf (leaves may be Parameters)
                if hooked_leaves and p._post_accumulate_hooks:
                    leaf_pending[id(p)] = leaf_pending.get(id(p), 0) + 1
                continue
            if p in pending:
                pending[p] += 1
            else:
                pending[p] = 1
                if p not in grads:  # (a root reached again is already on its way)
                    stack.append(p)
    return pending, leaf_pending


def _backward_loop(ready, grads, pending, leaf_grads, leaf_pending, deliver, reach, request,
                   retain_graph):
    """For each ready node: gy in → backward → sum to shape → accumulate → free."""
    check = anomaly.state.enabled
    watch = tuple(observers) if observers else None
    while ready:
        node = ready.pop()
        gy = grads.pop(node, None)
        if gy is not None and node.hooks:
            gy = _run_hooks(node.hooks, gy)
        if request is not None and request.take(node, gy):
            continue  # grad() wants nothing beyond this node
        parents = node.parents
        gxs = None
        if gy is not None:
            if node._saved is None:
                raise RuntimeError(_FREED)
            if node.retained is not None:
                owner = node.retained()
                if owner is not None:
                    owner.grad = gy if owner.grad is None else owner.grad + gy
            gxs = _shaped(node, node.backward(gy), gy)
            if watch is not None:
                for observer in watch:
                    observer(node, gy, gxs)
        for i, p in enumerate(parents):
            if p is None:
                continue
            leaf = isinstance(p, Tensor)
            if not leaf and reach is not None and p not in reach:
                continue
            gx = None if gxs is None else gxs[i]
            if gx is not None:
                if check:
                    anomaly.check_backward(node, i, gx)
                if leaf:  # summed here, delivered once at the end
                    got = leaf_grads.get(id(p))
                    leaf_grads[id(p)] = (p, gx) if got is None else (p, got[1] + gx)
                elif p in grads:
                    grads[p] = grads[p] + gx
                else:
                    grads[p] = gx
            if not leaf:
                left = pending[p] - 1
                pending[p] = left
                if left == 0:
                    ready.append(p)
            elif leaf_pending and id(p) in leaf_pending:
                left = leaf_pending[id(p)] - 1
                leaf_pending[id(p)] = left
                if left == 0 and id(p) in leaf_grads:  # complete: deliver it now
                    deliver(p, leaf_grads.pop(id(p))[1])
        if not retain_graph:
            node.release()


def _shaped(node, gxs, gy):
    """The gradients of ``node.backward``, one Tensor (or None) per input, each summed back to
    its input's shape and cast to its dtype (arrays are wrapped as constants)."""
    if type(gxs) is not tuple:
        gxs = (gxs,)
    meta = node.input_meta
    if len(gxs) < len(meta):
        raise RuntimeError(f"{type(node).__name__}.backward returned {len(gxs)} "
                           f"gradients for {len(meta)} inputs")
    out = list(gxs)
    for i, gx in enumerate(gxs):
        if gx is None or node.parents[i] is None:
            continue
        if type(gx) is not Tensor:
            gx = Tensor._make(gx, gy._backend, False, None)
        shape, dtype = meta[i]
        if gx.data.shape != shape:
            gx = _sum_to(gx, shape, node, i)
        if gx.data.dtype != dtype:
            gx = gx.astype(dtype)
        out[i] = gx
    return out


def _run_hooks(hooks, g):
    """Tensor hooks: each sees the gradient; one that returns a Tensor replaces it."""
    for hook in hooks:
        replaced = hook(g)
        if replaced is not None:
            g = replaced
    return g


def _add_leaf_grad(leaf_grads, leaf, g):
    got = leaf_grads.get(id(leaf))
    leaf_grads[id(leaf)] = (leaf, g) if got is None else (leaf, got[1] + g)


def _owner(array):
    """The array that owns the memory (views share their owner)."""
    base = getattr(array, "base", None)
    return array if base is None else base


def _sum_to(gx, shape, node, i):
    from minidl.autograd.ops.reduce import sum_to  # (ops are built on the engine's Tensor)
    try:
        return sum_to(gx, shape)
    except ValueError as exc:
        raise RuntimeError(f"{type(node).__name__}.backward returned a gradient of shape "
                           f"{gx.shape} for input {i} of shape {shape}") from exc


def _deliver_leaf(leaf, g, create_graph, handed_out):
    """Accumulate a leaf's total gradient into ``leaf.grad`` (after its hooks), then call its
    post-accumulate hooks with the leaf."""
    if leaf._hooks:
        g = _run_hooks(leaf._hooks, g)
    if leaf.grad is None:
        buffer = leaf._grad_buffer
        if buffer is not None and g.data is buffer.array:
            buffer.holder = weakref.ref(g)  # an op wrote it into the leaf's own gradient buffer
        elif not create_graph:
            # The first gradient is taken as is (no copy) unless its memory is already some
            # other leaf's gradient or the caller's: in-place updates of .grad (clipping) must
            # not reach anything else.
            data = g.data
            base = getattr(data, "base", None)
            owner = id(data if base is None else base)
            # (an array that owns its memory is writeable; only views need the flag checked)
            if owner in handed_out or (base is not None and
                                       not getattr(data.flags, "writeable", True)):
                g = Tensor._make(g.data.copy(), g._backend, False, None)
            else:
                handed_out.add(owner)
        leaf.grad = g
    else:
        leaf.grad = leaf.grad + g
    if leaf._post_accumulate_hooks:
        for hook in tuple(leaf._post_accumulate_hooks):
            hook(leaf)
