"""``Function``: one node of the graph. Forward on raw arrays, backward on Tensors.

A subclass writes ``forward(self, *arrays)`` with ``self.xp`` (NumPy or CuPy), says what
backward needs with ``save_inputs`` / ``save_outputs``, and writes ``backward(self, gy)``
returning one gradient Tensor (or ``None``) per input, built from minidl ops so that it can
itself be differentiated. Gradients are summed back to each input's shape by the engine.
"""
import weakref

from numpy import generic as _numpy_scalar

from minidl.autograd import anomaly, grad_buffer, grad_mode
from minidl.autograd.tensor import Tensor


class Function:
    """Base class of every differentiable op. Call ``SubClass.apply(*inputs, **params)``."""

    __slots__ = ("xp", "parents", "input_meta", "_saved", "__weakref__", "__dict__")
    # (_saved is set for every recorded node; unrecorded nodes are never asked for it)

    # Defaults read through the class, so that making a node costs no __init__ call; a node
    # that sets one of these gets its own value in its __dict__.
    hooks = None        # gradient hooks of the output (Tensor.register_hook on a non-leaf)
    retained = None     # weak reference to the output when it called retain_grad()
    created_at = None   # where the op was created (recorded under detect_anomaly)
    _save_in = None     # positions of the inputs backward needs (save_inputs)
    _save_out = False   # whether backward needs the output (save_outputs)

    # -- what a subclass writes -------------------------------------------------------
    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError

    def save_inputs(self, *indices):
        """Keep these inputs (by position) for backward."""
        self._save_in = indices

    def save_outputs(self, _index=0):
        """Keep the output for backward (cheaper than recomputing it)."""
        self._save_out = True

    @property
    def saved_tensors(self):
        """The saved inputs, then the saved output, checked against in-place changes."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(
                f"{type(self).__name__}: its saved tensors were freed after the first backward(). "
                "Pass retain_graph=True to the first backward() to backpropagate twice.")
        out = []
        for item in saved:
            if type(item) is tuple:  # (tensor or output data, version, weakref to output or None)
                value, version, ref = item
                if ref is None:
                    current = value._version
                else:
                    alive = ref()
                    current = version if alive is None else alive._version
                    value = Tensor._make(value, ref.backend, True, self)
                if current != version:
                    raise RuntimeError(
                        f"{type(self).__name__}: a tensor of shape {tuple(value.shape)} that it saved "
                        f"for backward was modified in place (version {version} -> {current}). "
                        "Use an out-of-place operation (y = x + 1 instead of x += 1).")
                out.append(value)
            else:
                out.append(item)
        return tuple(out)

    def grad_buffer(self, i, like):
        """Memory that the gradient for input ``i`` may be written into with ``out=`` (that
        leaf's gradient buffer, see :mod:`minidl.autograd.grad_buffer`), or None: allocate.
        ``like`` is an array of the gradient's type and dtype (usually ``gy``)."""
        parent = self.parents[i]
        if isinstance(parent, Tensor) and parent._grad_buffer is not None:
            return grad_buffer.lend(parent, like)
        return None

    # -- the machinery ------------------------------------------------------------------
    @property
    def name(self):
        return type(self).__name__

    @classmethod
    def apply(cls, *inputs, **params):
        """Run forward on the inputs' arrays and, in grad mode, record the node."""
        fn = _new(cls)
        backend = None
        arrays = []
        needs_grad = False
        for x in inputs:
            if isinstance(x, Tensor):
                if backend is None:
                    backend = x._backend
                elif x._backend is not backend:
                    _device_mismatch(cls, inputs)
                arrays.append(x.data)
                if x.requires_grad:
                    needs_grad = True
            else:
                arrays.append(x)
        if backend is None:
            raise TypeError(f"{cls.__name__}: at least one input must be a Tensor")
        fn.xp = backend.xp
        y = fn.forward(*arrays, **params)
        if isinstance(y, _numpy_scalar):
            y = backend.xp.asarray(y)  # NumPy returns scalars for 0-d results: keep an array
        if not (needs_grad and grad_mode.state.enabled):
            out = Tensor._make(y, backend, False, None)
            if anomaly.state.enabled:
                anomaly.check_forward(fn, out)
            return out
        out = Tensor._make(y, backend, True, fn)
        parents, meta = [], []  # one pass over the inputs: this runs for every recorded op
        for x in inputs:
            if isinstance(x, Tensor):
                parents.append((x.grad_fn or x) if x.requires_grad else None)
                data = x.data
                meta.append((data.shape, data.dtype))
            else:
                parents.append(None)
                meta.append(None)
        fn.parents = tuple(parents)
        fn.input_meta = tuple(meta)
        saved = []
        if fn._save_in is not None:
            for i in fn._save_in:
                x = inputs[i]
                saved.append((x, x._version, None) if isinstance(x, Tensor) else x)
        if fn._save_out:
            saved.append((y, 0, _OutputRef(out, backend)))
        fn._saved = saved
        if anomaly.state.enabled:
            anomaly.check_forward(fn, out)
        return out

    def release(self):
        """Free what backward needed, its saved tensors (after a backward pass).

        The edges stay, as in PyTorch: a later ``grad()`` must be able to tell whether it
        needs this node at all (running it again is the error, not walking past it).
        """
        self._saved = None

    def __repr__(self):
        return f"<{type(self).__name__} node>"


_new = object.__new__


class _OutputRef:
    """A weak reference to a node's own output (a strong one would make a reference cycle)."""

    __slots__ = ("ref", "backend")

    def __init__(self, out, backend):
        self.ref = weakref.ref(out)
        self.backend = backend

    def __call__(self):
        return self.ref()


def _device_mismatch(cls, inputs):
    devices = [x.device for x in inputs if isinstance(x, Tensor)]
    shapes = [tuple(x.shape) for x in inputs if isinstance(x, Tensor)]
    raise RuntimeError(
        f"{cls.__name__}: expected all tensors on one device, got devices {devices} "
        f"(shapes {shapes}). Move them with .to(device) first.")
