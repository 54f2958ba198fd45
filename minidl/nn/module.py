"""``Module``: the base class of layers and models (parameters, buffers, children, state).

Assigning a :class:`Parameter`, a Module or (through :meth:`Module.register_buffer`) a buffer
to an attribute registers it, in assignment order, as PyTorch's ``nn.Module`` does; names in
``named_parameters()`` and ``state_dict()`` are the dotted attribute paths
(``'layers.0.weight'``). Lists and dicts of modules go in ``Sequential``, ``ModuleList`` or
``ModuleDict`` (minidl.nn.container), which are Modules themselves.
"""
import collections
import warnings

import numpy as np

from minidl import backends, dtypes
from minidl.autograd.tensor import Tensor, constant
from minidl.nn.parameter import Parameter

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer and model: subclass it, assign layers in ``__init__``,
    write ``forward``, call the module like a function.

    Example:
        >>> import minidl as mdl
        >>> class TwoLayer(mdl.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = mdl.nn.Linear(4, 8)
        ...         self.out = mdl.nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x).relu())
        >>> model = TwoLayer()
        >>> [name for name, _ in model.named_parameters()]
        ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
        >>> model(mdl.zeros(3, 4)).shape
        (3, 2)
    """

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "_forward_hooks", {})

    # -- what a subclass writes -----------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define "
                                  "forward(self, x) in the subclass")

    def extra_repr(self):
        """The text inside this module's parentheses in ``repr`` (e.g. its sizes)."""
        return ""

    # (class-level defaults, for modules whose __init__ ran before hooks existed)
    _forward_pre_hooks = _forward_hooks = {}

    def __call__(self, *args, **kwargs):
        try:
            if not (self._forward_pre_hooks or self._forward_hooks):
                return self.forward(*args, **kwargs)
            return self._call_with_hooks(args, kwargs)
        except (AttributeError, TypeError) as exc:
            # a list or a NumPy array where a Tensor belongs fails deep inside forward with a
            # bare Python error; say what to pass instead (costs nothing when forward succeeds)
            wrong = next((a for a in args if isinstance(a, (list, tuple, np.ndarray))), None)
            said = str(exc)
            if wrong is None or not any(w in said for w in (type(wrong).__name__, "memoryview",
                                                             "must be a Tensor")):
                raise  # not about that argument (a module may well take a list): left as is
            raise TypeError(_not_a_tensor(type(self).__name__, wrong)) from exc

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and on this one; returns self.

        The usual use is initialisation, as in PyTorch:

        Example:
            >>> import minidl as mdl
            >>> def init_weights(m):
            ...     if isinstance(m, mdl.nn.Linear):
            ...         mdl.nn.init.zeros_(m.bias)
            >>> model = mdl.nn.MLP(4, [8], 2).apply(init_weights)
            >>> float(abs(model.layers[0].bias).sum())
            0.0
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _call_with_hooks(self, args, kwargs):
        for hook in tuple(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        y = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, y)
            if result is not None:
                y = result
        return y

    @property
    def has_forward_hooks(self):
        """Whether a forward hook or forward pre-hook is registered on this module."""
        return bool(self._forward_pre_hooks or self._forward_hooks)

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, args)`` before every ``forward``; a returned value (a tuple,
        or one value) replaces the positional arguments. As ``torch.nn.Module``'s.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _add_hook(self, "_forward_pre_hooks", hook)

    def register_forward_hook(self, hook):
        """Call ``hook(module, args, output)`` after every ``forward``; a returned value
        replaces the output. As ``torch.nn.Module``'s.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        return _add_hook(self, "_forward_hooks", hook)

    # -- registration -----------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called; "
                                 f"call super().__init__() first in {type(self).__name__}.__init__")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        # Registered values are also kept in __dict__, so reading ``self.weight`` is a plain
        # attribute lookup (no __getattr__ search through the tables on every forward).
        d = self.__dict__
        if isinstance(value, Parameter):
            self._forget(name)
            params[name] = d[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = d[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter {name!r} of "
                                f"{type(self).__name__}: use nn.Parameter(...) or None")
            params[name] = d[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign a {type(value).__name__} to buffer {name!r} of "
                                f"{type(self).__name__}: use a Tensor or None")
            buffers[name] = d[name] = value
        else:
            if _holds_modules(value):
                warnings.warn(
                    f"{type(self).__name__}.{name}: a {type(value).__name__} of Modules is not "
                    "registered, so its parameters are invisible to parameters(), state_dict() "
                    "and optimizers; wrap it in nn.ModuleList / nn.ModuleDict / nn.Sequential",
                    stacklevel=2)
            self._forget(name)
            object.__setattr__(self, name, value)

    def _forget(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):  # only called when normal lookup fails
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got "
                            f"{type(param).__name__}")
        self._forget(name)
        self._parameters[name] = self.__dict__[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a tensor that is state but not trained (e.g. running statistics).

        Buffers move with ``to()`` and, when ``persistent``, are saved in ``state_dict``.
        """
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got "
                            f"{type(tensor).__name__}")
        self._forget(name)
        self._buffers[name] = self.__dict__[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Register a child module under ``name`` (same as assigning it as an attribute)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = self.__dict__[name] = module

    # -- traversal ----------------------------------------------------------------------------
    def named_modules(self, prefix=""):
        """(dotted name, module) for this module and every descendant, pre-order, each once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{k}" if name else k, m) for k, m in module._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        """This module and every descendant (pre-order)."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """(name, module) for the direct children."""
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        """The direct children."""
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs, each parameter once, in registration order."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        """The Parameters (for an optimizer): this module's and, by default, its descendants'."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        """(dotted name, buffer) pairs, each buffer once."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def _named_members(self, table, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, t in getattr(module, table).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{module_name}.{name}" if module_name else name), t

    def num_parameters(self, trainable_only=False):
        """The number of parameter values (of trainable ones only, if asked)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # -- modes and gradients --------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode on this module and all below."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """Evaluation mode: Dropout is the identity, BatchNorm uses running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set every ``.grad`` to None (default) or to zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = constant(p.xp.zeros_like(p.grad.data), p)

    # -- devices and dtypes ------------------------------------------------------------------
    def to(self, device=None, dtype=None):
        """Move (and/or cast) every parameter and buffer in place; returns self.

        The Parameter objects stay the same (only their arrays change), so an optimizer
        built before the move keeps working. ``dtype`` casts floating tensors only.
        """
        backend = backends.get_backend(device) if device is not None else None
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if dtype.kind != "f":
                raise TypeError(f"Module.to: dtype must be floating, got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            _move(t, backend, dtype)
            if t.grad is not None:
                _move(t.grad, backend, dtype)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(dtype="float32")

    def double(self):
        return self.to(dtype="float64")

    # -- state ----------------------------------------------------------------------------------
    def state_dict(self):
        """Parameters and persistent buffers by dotted name, as detached Tensors (sharing memory).

        Order as PyTorch: for each module (pre-order), its parameters, then its buffers.
        """
        state = collections.OrderedDict()
        for module_name, module in self.named_modules():
            prefix = module_name + "." if module_name else ""
            for name, p in module._parameters.items():
                if p is not None:
                    state[prefix + name] = p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    state[prefix + name] = b.detach()
        return state

    def _state_targets(self):
        targets = collections.OrderedDict()
        for module_name, module in self.named_modules():
            prefix = module_name + "." if module_name else ""
            for name, p in module._parameters.items():
                if p is not None:
                    targets[prefix + name] = p
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    targets[prefix + name] = b
        return targets

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into the existing parameters and buffers (in place, bumping versions).

        Nothing is copied unless everything fits: one RuntimeError lists every missing key,
        every unexpected key (both only when ``strict``) and every shape mismatch (always).

        Returns:
            ``IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        targets = self._state_targets()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        problems = []
        if strict:
            if missing:
                problems.append("Missing key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in missing) + ".")
            if unexpected:
                problems.append("Unexpected key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in unexpected) + ".")
        for key, target in targets.items():
            if key in state_dict:
                shape = _shape_of(state_dict[key])
                if shape != target.shape:
                    problems.append(f"size mismatch for {key}: copying a param with shape {shape} "
                                    f"from checkpoint, the shape in current model is "
                                    f"{target.shape}.")
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(problems))
        for key, target in targets.items():
            if key in state_dict:
                target.data[...] = _array_on(state_dict[key], target)
                target.bump_version()
        return IncompatibleKeys(missing, unexpected)

    # -- display ----------------------------------------------------------------------------------
    def __repr__(self):
        tree = self._repr_tree()
        if not self._modules:
            return tree
        # the whole model also says how big it is: the count a learner checks first
        return tree + f"  # {self.num_parameters():,} parameters"

    def _repr_tree(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, m in self._modules.items():
            child = m._repr_tree().replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        head = type(self).__name__ + "("
        if not self._modules:
            return head + "\n  ".join(lines) + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def summary(self):
        """A table: each module that owns parameters, their shapes and counts, and the totals.

        Example:
            >>> import minidl as mdl
            >>> print(mdl.nn.MLP(4, [8], 3).summary())
            module          type        parameters  shapes
            layers.0        Linear              40  weight (8, 4), bias (8,)
            layers.2        Linear              27  weight (3, 8), bias (3,)
            total parameters: 67 (trainable: 67)
        """
        rows = [("module", "type", "parameters", "shapes")]
        for name, m in self.named_modules():
            own = [(k, p) for k, p in m._parameters.items() if p is not None]
            if own:
                shapes = ", ".join(f"{k} {p.shape}" for k, p in own)
                rows.append((name or "(root)", type(m).__name__,
                             f"{sum(p.size for _, p in own):,}", shapes))
        w0 = max(len(r[0]) for r in rows) + 2
        w1 = max(len(r[1]) for r in rows) + 2
        w2 = max(len(r[2]) for r in rows)
        out = [f"{r[0]:<{w0}}{r[1]:<{w1}}{r[2]:>{w2}}  {r[3]}" for r in rows]
        out.append(f"total parameters: {self.num_parameters():,} "
                   f"(trainable: {self.num_parameters(trainable_only=True):,})")
        return "\n".join(out)


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``remove()`` unregisters the hook (also
    usable as a context manager)."""

    _next_id = 0

    def __init__(self, hooks):
        self.hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def _add_hook(module, table, hook):
    if not callable(hook):
        raise TypeError(f"{table.strip('_')}: the hook must be callable, got "
                        f"{type(hook).__name__}")
    hooks = module.__dict__.get(table)
    if hooks is None:  # (a module made before hooks existed: give it its own table)
        hooks = {}
        object.__setattr__(module, table, hooks)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _not_a_tensor(layer, value):
    what = type(value).__name__
    if isinstance(value, np.ndarray):
        how = ("mdl.tensor(x) (a copy) or mdl.from_numpy(x) (shares memory); floating inputs in "
               "the model's dtype, e.g. x.astype('float32')")
    elif isinstance(value, (list, tuple)) and value and all(hasattr(v, "shape") for v in value):
        how = ("one Tensor: a layer takes a batch as one tensor, not a list of samples; "
               "stack them with mdl.stack(xs) or join batches with mdl.cat(xs)")
    else:
        how = "mdl.tensor(x), a Tensor of floats (e.g. mdl.tensor([[0.5, 1.0]]) for one sample)"
    return f"{layer}: the input is a {what}, not a Tensor; pass {how}"


def _holds_modules(value):
    if isinstance(value, (list, tuple)):
        return bool(value) and all(isinstance(v, Module) for v in value)
    if isinstance(value, dict):
        return bool(value) and all(isinstance(v, Module) for v in value.values())
    return False


def _move(t, backend, dtype):
    """Replace ``t.data`` by the array on ``backend`` / with ``dtype`` (same Tensor object)."""
    array, current = t.data, t.backend
    if backend is not None and backend is not current:
        array = backend.from_numpy(current.to_numpy(array))
        current = backend
    if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
        array = array.astype(dtype)
    if array is not t.data:
        t.set_(array, current)


def _shape_of(value):
    shape = getattr(value, "shape", None)
    if shape is None:
        shape = np.shape(value)
    return tuple(shape)


def _array_on(value, target):
    """``value`` (Tensor, array or number) as an array on ``target``'s device and dtype."""
    backend = target.backend
    if isinstance(value, Tensor):
        array = value.data if value.backend is backend else backend.from_numpy(value.numpy())
    elif isinstance(value, backend.array_types):
        array = value
    else:
        host = value.get() if hasattr(value, "get") and not isinstance(value, dict) else value
        array = backend.from_numpy(np.asarray(host))
    return array if array.dtype == target.dtype else array.astype(target.dtype)
