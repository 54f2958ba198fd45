"""PyTorch's argument names, accepted beside NumPy's: ``dim=`` for ``axis=``, ``keepdim=`` for
``keepdims=``, ``start_dim=`` for ``start_axis=``.

minidl follows NumPy's names (the contract); learners coming from PyTorch type ``dim=``. The
public functions and Tensor methods that take an axis are wrapped with
:func:`accepts_pytorch_names`, which renames the keyword before the call, so both spellings
reach the same code. Internal code calls the ops directly and pays nothing.

    >>> import minidl as mdl
    >>> x = mdl.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.sum(dim=0, keepdim=True)
    tensor([[4., 6.]])
    >>> mdl.softmax(x, dim=1).shape
    (2, 2)
"""
import functools

PYTORCH_NAMES = {"dim": "axis", "keepdim": "keepdims", "start_dim": "start_axis"}


def accepts_pytorch_names(fn):
    """Wrap ``fn`` (taking ``axis=`` / ``keepdims=``) so that ``dim=`` / ``keepdim=`` work too.

    Passing both spellings of one argument raises ``TypeError`` naming them.
    """
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for torch_name, numpy_name in PYTORCH_NAMES.items():
                if torch_name in kwargs:
                    if numpy_name in kwargs:
                        raise TypeError(f"{name}() got both {numpy_name}= and {torch_name}= "
                                        f"({torch_name} is PyTorch's name for {numpy_name}); "
                                        "pass one of them")
                    kwargs[numpy_name] = kwargs.pop(torch_name)
        return fn(*args, **kwargs)

    return wrapper
