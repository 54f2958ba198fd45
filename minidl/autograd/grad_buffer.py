"""Gradient buffers: a leaf's gradient written straight into memory set aside for it.

An optimizer that keeps a parameter group's gradients in one flat array (``optim/flat.py``)
gives each parameter a view of that array with :meth:`Tensor.use_grad_buffer`. An op whose
backward makes a leaf's gradient from scratch (``gW = gyᵀ @ x`` of a dense layer) asks
:meth:`Function.grad_buffer` for it and writes the product there with ``out=``; the engine
then hands that view over as ``.grad``, and the optimizer finds its flat gradient already
filled: no copy per step, and no fresh array either.

The buffer is lent only when nothing can notice:

- in ``backward()`` without ``create_graph`` (``grad()`` returns its gradients to the caller,
  and a recorded backward must not write into memory in place),
- to the first gradient of the leaf in the pass, when the leaf has no ``.grad`` yet (a
  second one is added to it out of place, an existing ``.grad`` is accumulated out of place),
- when the tensor that last held the buffer as ``.grad`` is gone (``zero_grad`` dropped it
  and nobody kept it): a gradient kept from the previous step is never overwritten,
- with the dtype, shape and array type of the buffer.

Otherwise the op allocates as usual and the optimizer copies, which gives the same numbers.
"""
import weakref


class GradBuffer:
    """The memory a leaf's next gradient may be written into (``flat[offset:offset + size]``
    in the leaf's shape), and who holds it now."""

    __slots__ = ("flat", "offset", "array", "holder")

    def __init__(self, flat, offset, shape):
        size = 1
        for n in shape:
            size *= n
        self.flat = flat
        self.offset = offset
        self.array = flat[offset:offset + size].reshape(shape)
        self.holder = None  # weak reference to the Tensor that has it as .grad, if any

    def hand_out(self, tensor):
        """Record that ``tensor`` (a ``.grad``) wraps this buffer."""
        self.holder = weakref.ref(tensor)


def buffer_of(leaf):
    """The array ``leaf``'s gradient may be written into, or None."""
    buffer = leaf._grad_buffer
    return None if buffer is None else buffer.array


def region(leaves):
    """``(flat, start, stop)`` when the gradient buffers of ``leaves``, in this order, lie end
    to end in one flat array from ``start`` to ``stop``; else None. An optimizer takes such a
    region as its flat gradient (a data-parallel bucket laid them out), instead of its own."""
    first = leaves[0]._grad_buffer if leaves else None
    if first is None:
        return None
    flat, position = first.flat, first.offset
    for leaf in leaves:
        buffer = leaf._grad_buffer
        if buffer is None or buffer.flat is not flat or buffer.offset != position:
            return None
        position += buffer.array.size
    return flat, first.offset, position


def handed_out(leaf):
    """Record that ``leaf.grad`` now wraps the leaf's gradient buffer (an optimizer copied the
    gradient in), so the buffer is not lent again while that tensor lives."""
    buffer = leaf._grad_buffer
    if buffer is not None and leaf.grad is not None and leaf.grad.data is buffer.array:
        buffer.hand_out(leaf.grad)


def held_elsewhere(leaf):
    """Whether a tensor other than ``leaf.grad`` still wraps the leaf's gradient buffer (a
    gradient of an earlier step that someone kept): then it must not be written."""
    buffer = leaf._grad_buffer
    if buffer is None or buffer.holder is None:
        return False
    holder = buffer.holder()
    return holder is not None and holder is not leaf.grad


class _PassState:
    """The leaf gradients of the ``backward()`` pass running now (None: lend no buffer)."""

    __slots__ = ("leaf_grads",)

    def __init__(self):
        self.leaf_grads = None


state = _PassState()


def lend(leaf, like):
    """The buffer of ``leaf`` if its gradient, shaped and typed as ``like`` says (an array of
    the gradient's dtype on its device, and the leaf's shape), may be written there now; else
    None. ``like`` is any array of the gradient's type and dtype (the incoming gradient)."""
    leaf_grads = state.leaf_grads
    buffer = leaf._grad_buffer
    if buffer is None or leaf_grads is None or leaf.grad is not None or id(leaf) in leaf_grads:
        return None
    array, holder = buffer.array, buffer.holder
    if type(array) is not type(like) or array.dtype != like.dtype \
            or array.shape != leaf.data.shape or (holder is not None and holder() is not None):
        return None
    return array
