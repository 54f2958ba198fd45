"""``Tensor``: an array on a device, plus what reverse-mode autodiff needs to know of it.

A tensor made by an op holds that op's node in ``grad_fn``; ``backward()`` hands the graph
to the engine. Methods here are thin: the math of each op lives in ``minidl.autograd.ops``.
"""

import numpy as np

from minidl import backends, dtypes
from minidl.autograd import grad_buffer, grad_mode
from minidl.autograd.conversion import to_array
from minidl.autograd.spellings import accepts_pytorch_names


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Build one with :func:`minidl.tensor`. Attributes: ``data`` (the backend array), ``grad``,
    ``requires_grad``, ``grad_fn``, ``shape``, ``dtype``, ``device``.
    """

    __slots__ = ("data", "requires_grad", "grad", "grad_fn", "_backend", "_version", "_hooks",
                 "_post_accumulate_hooks", "_retains_grad", "_grad_buffer", "__weakref__")
    __array_ufunc__ = None  # `ndarray + Tensor` defers to Tensor.__radd__
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        backend = backends.get_backend(device) if device is not None else None
        array, backend = to_array(data.data if isinstance(data, Tensor) else data, dtype, backend)
        self._init(array, backend, False, None)
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, data, backend, requires_grad, grad_fn):
        self.data = data
        self._backend = backend
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        self.grad = None
        self._version = 0
        self._hooks = None
        self._post_accumulate_hooks = None
        self._retains_grad = False
        self._grad_buffer = None

    @classmethod
    def _make(cls, data, backend, requires_grad, grad_fn):
        """Wrap an array already on ``backend`` (the ops' fast path: no checks, no copies)."""
        t = cls.__new__(cls)
        t.data = data
        t._backend = backend
        t.requires_grad = requires_grad
        t.grad_fn = grad_fn
        t.grad = None
        t._version = 0
        t._hooks = None
        t._post_accumulate_hooks = None
        t._retains_grad = False
        t._grad_buffer = None
        return t

    # -- attributes -----------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return int(self.data.size)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        return self._backend.name

    @property
    def xp(self):
        """The array module of this tensor's device."""
        return self._backend.xp

    @property
    def backend(self):
        """The backend (device object) this tensor lives on; read-only."""
        return self._backend

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def T(self):
        return ops.transpose(self)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extras = []
        if self.dtype != dtypes.get_default_dtype() and self.dtype.kind == "f":
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    __hash__ = object.__hash__

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                             "use .any() or .all()")
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        if self.device != "cpu":
            raise TypeError(f"cannot convert a tensor on device '{self.device}' to a NumPy array "
                            "implicitly; call .numpy() (or .cpu()) first")
        return self.data if dtype is None else self.data.astype(dtype)

    # -- conversion -----------------------------------------------------------------------
    def numpy(self):
        """A NumPy array with the tensor's values (shares memory on the CPU, as PyTorch's)."""
        return self._backend.to_numpy(self.data)

    def item(self):
        if self.size != 1:
            raise ValueError(f"item(): the tensor has {self.size} elements, not one")
        return self.data.item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same values, cut off from the graph (shares memory)."""
        return Tensor._make(self.data, self._backend, False, None)

    def __deepcopy__(self, memo):
        """A copy of a leaf (its values, grad and requires_grad), as PyTorch's deepcopy."""
        if self.grad_fn is not None:
            raise RuntimeError("only leaf tensors (no grad_fn) support deepcopy; "
                               "call .detach() first")
        import copy
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        Tensor._init(new, self.data.copy(), self._backend, self.requires_grad, None)
        if self.grad is not None:
            new.grad = copy.deepcopy(self.grad, memo)
        return new

    def __reduce_ex__(self, protocol):
        """Pickle support for in-process use (multiprocessing, scikit-learn's clone/pickle).
        Checkpoints use ``minidl.save``, whose format never executes code on load."""
        if self.grad_fn is not None:
            raise RuntimeError("only leaf tensors can be pickled; call .detach() first")
        return (_rebuild, (type(self), self.numpy(), self.device, self.requires_grad))

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require gradients (dtype {self.dtype})")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False) is only for leaves; use .detach() instead")
        self.requires_grad = requires_grad
        return self

    def to(self, device=None, dtype=None):
        """This tensor on another device and/or with another dtype (self when nothing changes)."""
        result = self
        if device is not None:
            backend = backends.get_backend(device)
            if backend is not self._backend:
                result = ops.to_device(result, backend)
        if dtype is not None:
            result = result.astype(dtype)
        return result

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def astype(self, dtype):
        return ops.astype(self, dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    # -- autograd -------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False, create_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (chain rule, reverse order).

        Args:
            gradient: d(loss)/d(self); may be omitted only for a one-element tensor.
            retain_graph: keep the graph for another backward (default: free it).
            create_graph: record the backward pass so that gradients can be differentiated.
        """
        from minidl.autograd import engine
        engine.backward(self, gradient, retain_graph=retain_graph or create_graph,
                        create_graph=create_graph)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn is not None:
            self._retains_grad = True
            self.grad_fn.retained = _weak(self)

    def register_hook(self, fn):
        """Call ``fn(grad)`` when this tensor's gradient is computed; a returned Tensor replaces it.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook on a tensor that does not require grad")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if self.grad_fn.hooks is None:
                self.grad_fn.hooks = []
            hooks = self.grad_fn.hooks
        hooks.append(fn)
        return _HookHandle(hooks, fn)

    def register_post_accumulate_grad_hook(self, fn):
        """Call ``fn(self)`` during ``backward()`` right after this leaf's ``.grad`` is complete.

        The gradient is delivered (and ``fn`` called) as soon as every node that uses this leaf
        has run its backward, not at the end of the pass: data-parallel training starts
        reducing a layer's gradients while the layers below it are still differentiating.
        ``fn`` returns nothing; it may read or replace ``self.grad``. Not called by
        :func:`minidl.autograd.grad`, which accumulates nothing.

        Returns a handle whose ``remove()`` unregisters the hook.

        Example:
            >>> import minidl as mdl
            >>> w = mdl.tensor([1.0, 2.0], requires_grad=True)
            >>> _ = w.register_post_accumulate_grad_hook(lambda p: print(p.grad))
            >>> (w * 3.0).sum().backward()
            tensor([3., 3.])
        """
        if self.grad_fn is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: only leaf tensors "
                               "accumulate .grad; use register_hook on a non-leaf tensor")
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook on a tensor that does not "
                               "require grad")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(fn)
        return _HookHandle(self._post_accumulate_hooks, fn)

    def zero_grad_(self):
        self.grad = None

    # -- in-place updates (bump the version so saved copies are caught) ------------------
    def _check_inplace(self, what):
        if self.requires_grad and grad_mode.state.enabled:
            raise RuntimeError(
                f"{what}: in-place change of a tensor that requires grad while grad mode is on; "
                "wrap it in `with minidl.no_grad():` or use an out-of-place op")

    def set_(self, array, backend=None):
        """Replace this tensor's array in place (the same object, e.g. a parameter moved to
        another device), optionally on another ``backend``; counts as an in-place change."""
        self.data = array
        if backend is not None:
            self._backend = backend
        self._version += 1

    def use_grad_buffer(self, flat, offset=0):
        """Let ``backward()`` write this leaf's gradient into ``flat[offset:offset + size]``
        (a 1-D array of its dtype, seen in its shape) instead of a fresh array, when that
        cannot be noticed; ``flat=None`` stops it.

        Optimizers with flat gradient buffers and data-parallel buckets give each parameter
        its slice this way, so the gradient lands where it is reduced and read (see
        :mod:`minidl.autograd.grad_buffer`). The numbers are the same either way.
        """
        if flat is None:
            self._grad_buffer = None
            return
        size = self.data.size
        if flat.ndim != 1 or flat.dtype != self.dtype or not 0 <= offset <= flat.size - size:
            raise ValueError(f"use_grad_buffer: need a 1-D {self.dtype} array holding {size} "
                             f"values from offset {offset}, got shape {flat.shape}, dtype "
                             f"{flat.dtype}")
        self._grad_buffer = grad_buffer.GradBuffer(flat, offset, self.data.shape)

    def bump_version(self):
        """Record an in-place change of ``data`` made outside minidl's ops (version check)."""
        self._version += 1

    _bump_version = bump_version

    def __setitem__(self, index, value):
        self._check_inplace("__setitem__")
        self.data[ops.to_index(index)] = value.data if isinstance(value, Tensor) else value
        self._version += 1

    def _inplace(self, other, name, fallback):
        if self.requires_grad and grad_mode.state.enabled:
            return fallback(self, other)  # rebinding, as `x = x + y`, keeps the graph right
        other = other.data if isinstance(other, Tensor) else other
        getattr(self.data, name)(other)
        self._version += 1
        return self

    def __iadd__(self, other):
        return self._inplace(other, "__iadd__", ops.add)

    def __isub__(self, other):
        return self._inplace(other, "__isub__", ops.sub)

    def __imul__(self, other):
        return self._inplace(other, "__imul__", ops.mul)

    def __itruediv__(self, other):
        return self._inplace(other, "__itruediv__", ops.div)

    def fill_(self, value):
        self._check_inplace("fill_")
        self.data.fill(value)
        self._version += 1
        return self

    def zero_(self):
        return self.fill_(0)

    def copy_(self, other):
        self._check_inplace("copy_")
        src = other.data if isinstance(other, Tensor) else other
        self.data[...] = src
        self._version += 1
        return self

    # -- operators ------------------------------------------------------------------------
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __eq__(self, other):
        return ops.compare(self, other, "equal")

    def __ne__(self, other):
        return ops.compare(self, other, "not_equal")

    def __lt__(self, other):
        return ops.compare(self, other, "less")

    def __le__(self, other):
        return ops.compare(self, other, "less_equal")

    def __gt__(self, other):
        return ops.compare(self, other, "greater")

    def __ge__(self, other):
        return ops.compare(self, other, "greater_equal")

    def __getitem__(self, index):
        return ops.getitem(self, index)

    # -- methods with NumPy's semantics ---------------------------------------------------
    @accepts_pytorch_names
    def sum(self, axis=None, keepdims=False):
        return ops.sum(self, axis, keepdims)

    @accepts_pytorch_names
    def mean(self, axis=None, keepdims=False):
        return ops.mean(self, axis, keepdims)

    @accepts_pytorch_names
    def var(self, axis=None, keepdims=False, ddof=0):
        return ops.var(self, axis, keepdims, ddof)

    @accepts_pytorch_names
    def std(self, axis=None, keepdims=False, ddof=0):
        return ops.sqrt(ops.var(self, axis, keepdims, ddof))

    @accepts_pytorch_names
    def max(self, axis=None, keepdims=False):
        return ops.max(self, axis, keepdims)

    @accepts_pytorch_names
    def min(self, axis=None, keepdims=False):
        return ops.min(self, axis, keepdims)

    @accepts_pytorch_names
    def argmax(self, axis=None, keepdims=False):
        return ops.argmax(self, axis, keepdims)

    @accepts_pytorch_names
    def argmin(self, axis=None, keepdims=False):
        return ops.argmin(self, axis, keepdims)

    @accepts_pytorch_names
    def all(self, axis=None, keepdims=False):
        return Tensor._make(self.xp.asarray(self.data.all(axis=axis, keepdims=keepdims)),
                            self._backend, False, None)

    @accepts_pytorch_names
    def any(self, axis=None, keepdims=False):
        return Tensor._make(self.xp.asarray(self.data.any(axis=axis, keepdims=keepdims)),
                            self._backend, False, None)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def relu(self):
        return ops.relu(self)

    def clip(self, min=None, max=None):
        return ops.clip(self, min, max)

    def reshape(self, *shape):
        return ops.reshape(self, _shape_arg(shape))

    # -- PyTorch's spellings of the same operations --------------------------------------
    def view(self, *shape):
        """``reshape`` under PyTorch's name (minidl's reshape may copy; the values are equal)."""
        return ops.reshape(self, _shape_arg(shape))

    def permute(self, *dims):
        """The axes in the order ``dims`` (PyTorch's ``permute``; NumPy's ``transpose(axes)``)."""
        return ops.transpose(self, _shape_arg(dims))

    def unsqueeze(self, dim):
        """A size-1 axis inserted at ``dim`` (PyTorch's name for ``expand_dims``)."""
        return ops.expand_dims(self, dim)

    def t(self):
        """The transpose of a matrix (a 0-d or 1-d tensor is returned as it is), as PyTorch."""
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dimensions, got shape "
                             f"{self.shape}; use permute(...) or transpose(...) to reorder axes")
        return ops.transpose(self) if self.ndim == 2 else self

    def clone(self):
        """A copy with its own memory that stays in the graph (gradients flow through it)."""
        return ops.clone(self)

    def numel(self):
        """The number of elements (PyTorch's name; ``.size`` is NumPy's, an int property)."""
        return int(self.data.size)

    def transpose(self, *axes):
        return ops.transpose(self, _shape_arg(axes) if axes else None)

    def swapaxes(self, axis1, axis2):
        return ops.swapaxes(self, axis1, axis2)

    @accepts_pytorch_names
    def flatten(self, start_axis=0):
        return ops.flatten(self, start_axis)

    @accepts_pytorch_names
    def expand_dims(self, axis):
        return ops.expand_dims(self, axis)

    @accepts_pytorch_names
    def squeeze(self, axis=None):
        return ops.squeeze(self, axis)

    def broadcast_to(self, *shape):
        return ops.broadcast_to(self, _shape_arg(shape))

    @accepts_pytorch_names
    def softmax(self, axis=-1):
        return ops.softmax(self, axis)

    @accepts_pytorch_names
    def log_softmax(self, axis=-1):
        return ops.log_softmax(self, axis)

    @accepts_pytorch_names
    def logsumexp(self, axis=None, keepdims=False):
        return ops.logsumexp(self, axis, keepdims)


def _rebuild(cls, array, device, requires_grad):
    backend = backends.get_backend(device)
    t = cls.__new__(cls)
    Tensor._init(t, backend.from_numpy(array), backend, requires_grad, None)
    return t


def _shape_arg(shape):
    if len(shape) == 1 and (isinstance(shape[0], (tuple, list)) or shape[0] is None):
        return shape[0] if shape[0] is None else tuple(shape[0])
    return tuple(shape)


class _HookHandle:
    def __init__(self, hooks, fn):
        self._hooks, self._fn = hooks, fn

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


def _weak(tensor):
    import weakref
    return weakref.ref(tensor)


def constant(array, like):
    """A tensor that needs no gradient, wrapping ``array`` without a copy or a check.

    Args:
        array: an array already on ``like``'s device.
        like: a Tensor (its device is used) or a backend (``tensor.backend``).

    Example:
        >>> import minidl as mdl
        >>> x = mdl.tensor([1.0, 2.0])
        >>> mdl.autograd.constant(x.xp.ones(2, dtype=x.dtype), x) * x
        tensor([1., 2.])
    """
    backend = like._backend if isinstance(like, Tensor) else like
    return Tensor._make(array, backend, False, None)


from minidl.autograd import ops  # noqa: E402  (ops need Tensor; Tensor's methods need ops)
