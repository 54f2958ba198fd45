"""``Parameter``: a Tensor that a Module trains (a leaf with ``requires_grad=True``)."""
from minidl.autograd.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that is registered as trainable when assigned to a Module attribute.

    Built from a Tensor it shares that tensor's array (as ``torch.nn.Parameter`` shares storage);
    built from anything else (a list, a NumPy array, a number) it copies, as ``minidl.tensor``.

    Args:
        data: the initial values (Tensor, array, list or number).
        requires_grad: whether the optimizer should train it (default True).

    Example:
        >>> import minidl as mdl
        >>> w = mdl.nn.Parameter(mdl.zeros(2, 3))
        >>> w.requires_grad, w.is_leaf, w.shape
        (True, True, (2, 3))
    """

    __slots__ = ()  # Tensor uses __slots__: keep Parameters as small and fast as Tensors

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            Tensor.__init__(self, [])
        elif isinstance(data, Tensor):
            self._init(data.data, data.backend, False, None)
        else:
            Tensor.__init__(self, data)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)
