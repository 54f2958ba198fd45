"""``GradRequest``: what ``grad()`` asks of a backward pass, and where the answers go.

``backward()`` sends gradients to every leaf; ``grad()`` wants the gradients of a few chosen
tensors (leaves or not) and nothing else. This object holds that bookkeeping, so that the
engine's loop needs one question per node (``request.take(node, gy)``):

- ``slots``: for each wanted node or leaf, the positions of the results it fills;
- ``needed``: the nodes whose backward leads to a wanted tensor. Only these run (and only
  these are freed); a node outside them may even have been freed by an earlier pass;
- ``reach``: ``needed`` and the wanted nodes, the part of the graph the pass walks.

With ``stop_at_inputs`` (a fused op's vector-Jacobian product), nothing below a wanted node is
walked, even if it leads to another one.
"""
from minidl.autograd.tensor import Tensor


class GradRequest:
    """The gradients of ``inputs`` (a list of Tensors that require grad), collected."""

    __slots__ = ("inputs", "slots", "results", "needed", "reach", "stop_at_inputs")

    def __init__(self, inputs, stop_at_inputs=False):
        self.inputs = inputs
        self.slots = {}
        for i, x in enumerate(inputs):
            self.slots.setdefault(x.grad_fn if x.grad_fn is not None else x, []).append(i)
        self.results = [None] * len(inputs)
        self.needed = self.reach = None
        self.stop_at_inputs = stop_at_inputs

    def prune(self, start):
        """Find ``needed`` and ``reach`` from the root nodes; return the roots worth starting."""
        slots, stop = self.slots, self.stop_at_inputs
        needed, visited = set(), set()
        stack = [(node, False) for node in start]
        while stack:  # post-order, iterative: a node after everything below it
            node, below_done = stack.pop()
            if below_done:
                if any(p is not None and (p in slots or p in needed) for p in node.parents):
                    needed.add(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                if stop and node in slots:
                    continue
                stack.extend((p, False) for p in node.parents
                             if p is not None and not isinstance(p, Tensor) and p not in visited)
        if stop:
            needed -= set(slots)
        self.needed = needed
        self.reach = needed | {node for node in visited if node in slots}
        return [node for node in start if node in self.reach]

    def add(self, target, g):
        """Add ``g`` to the results of the wanted node or leaf ``target``."""
        results = self.results
        for slot in self.slots.get(target, ()):
            results[slot] = g if results[slot] is None else results[slot] + g

    def take(self, node, gy):
        """Record ``gy`` if ``node`` is wanted; True when its backward is not needed."""
        if node in self.slots and gy is not None:
            self.add(node, gy)
        return node not in self.needed

    def unused(self, allow_unused):
        """Raise for an input that received no gradient, unless ``allow_unused``."""
        for i, r in enumerate(self.results):
            if r is None and not allow_unused:
                raise RuntimeError(f"grad: input {i} (shape {self.inputs[i].shape}) was not used "
                                   "to compute the outputs; pass allow_unused=True to get None "
                                   "for it")
