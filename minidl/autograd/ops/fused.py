"""``FusedFunction``: a fast node with one hand-derived formula, and its readable twin.

When a benchmark shows that a chain of primitive ops is too slow (cross-entropy, BatchNorm, a
dense layer), the chain becomes one node. Such a node carries exactly two sources of its math:

- ``forward`` and ``backward_arrays``: the value and the hand-derived gradient, on raw arrays
  (``self.xp``). This is what runs in training, when no graph of the backward is recorded.
- ``twin(*inputs)``: the same function written with primitive ops on Tensors, the readable
  reference. Under ``create_graph=True`` the node's backward is the vector-Jacobian product of
  the twin, taken by the engine itself, so second derivatives are exact and no third copy of
  the gradient exists. Tests compare the node with its twin.

A subclass keeps, with ``save_inputs``, every Tensor input that may need a gradient (the twin
is evaluated on them), and writes ``backward_arrays(gy)``: ``gy`` is an array, and it returns
one array (or ``None``: no gradient wanted) per input. Any ``Function.backward`` may return
arrays the same way; the engine wraps them as constants.
"""
from minidl.autograd import engine, grad_mode
from minidl.autograd.function import Function


class FusedFunction(Function):
    """Base class of fused ops: ``forward`` + ``backward_arrays`` on arrays, ``twin`` on Tensors."""

    def backward_arrays(self, gy):
        """The hand-derived gradients, on arrays (override)."""
        raise NotImplementedError

    def twin(self, *inputs):
        """The op from primitive ops, on the saved inputs (Tensors, in input order) (override)."""
        raise NotImplementedError

    def backward(self, gy):
        if grad_mode.state.enabled:  # the backward is being recorded: differentiate the twin
            return self.twin_backward(gy)
        return self.backward_arrays(gy.data)

    def twin_backward(self, gy):
        """The gradients as the vector-Jacobian product of ``twin`` (a recorded graph).

        Each saved input that needs a gradient enters the twin through an identity node of its
        own, and the engine stops there: what reaches it is this node's partial derivative for
        that input alone (even when one tensor is passed as two inputs), and the graph below
        is left to the outer backward pass.
        """
        positions = self._save_in
        inputs = list(self.saved_tensors[:len(positions)])  # (a saved output comes after)
        wanted = []
        for k, i in enumerate(positions):
            if self.parents[i] is not None:
                inputs[k] = Identity.apply(inputs[k])
                wanted.append(k)
        y = self.twin(*inputs)
        partial = engine.vjp(y, [inputs[k] for k in wanted], gy)
        grads = [None] * len(self.parents)
        for k, g in zip(wanted, partial):
            grads[positions[k]] = g
        return tuple(grads)


class Identity(Function):
    """y = x;    gx = gy   (a node of its own: where a twin's vector-Jacobian product stops)"""
    def forward(self, x):
        return x

    def backward(self, gy):
        return gy
