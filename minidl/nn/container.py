"""Containers: ``Sequential`` (a pipeline), ``ModuleList`` and ``ModuleDict`` (registered
lists and dicts of modules, so their parameters are found)."""
import collections

from minidl.nn.activation import ReLU
from minidl.nn.linear import Linear
from minidl.nn.module import Module
from minidl.nn.pooling import MaxPool1d, MaxPool2d


class Sequential(Module):
    """Modules applied one after another: ``y = mₙ(…m₂(m₁(x)))``.

    Children are named ``'0'``, ``'1'``, ... (or by the keys of an OrderedDict), so their
    parameters appear as ``'0.weight'``, ``'1.bias'`` in ``state_dict``, as in PyTorch.

    Args:
        *modules: the modules in order, or a single ``OrderedDict`` name → module.

    Example:
        >>> import minidl as mdl
        >>> net = mdl.nn.Sequential(mdl.nn.Linear(4, 8), mdl.nn.ReLU())
        >>> net.add(mdl.nn.Linear(8, 2))
        >>> len(net), type(net[-1]).__name__, net(mdl.zeros(5, 4)).shape
        (3, 'Linear', (5, 2))
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, _check(m, "Sequential"))
        else:
            for m in modules:
                self.add(m)

    def add(self, module):
        """Append a module at the end (Keras's ``Sequential.add``)."""
        self.add_module(str(len(self._modules)), _check(module, "Sequential.add"))

    append = add

    def forward(self, x):
        # Two rewrites, each giving the same numbers (values, gradients, second derivatives)
        # as running the modules one by one (``forward_unfused``):
        # - a Linear directly followed by a ReLU runs as one fused node (``forward_relu``):
        #   one graph node and one (batch, width) array fewer;
        # - a ReLU directly followed by a max-pool runs after it instead: relu(maxpool(x)) =
        #   maxpool(relu(x)) since ReLU is monotone (see ``_relu_then_max_pool``), on k² times
        #   fewer elements (a Conv → ReLU → MaxPool block's ReLU touches a quarter of them).
        # A module with forward hooks (or a forward replaced on the instance) runs on its own,
        # as written, and so does a max-pool returning indices.
        modules = tuple(self._modules.values())
        i, n = 0, len(modules)
        while i < n:
            m = modules[i]
            if i + 1 < n and type(m) is Linear and type(modules[i + 1]) is ReLU \
                    and _plain(m) and _plain(modules[i + 1]):
                x = m.forward_relu(x)
                i += 2
            elif i + 1 < n and _relu_then_max_pool(m, modules[i + 1]):
                x = m(modules[i + 1](x))
                i += 2
            else:
                x = m(x)
                i += 1
        return x

    def forward_unfused(self, x):
        """Every module on its own, one after another (no fused pairs): the graph a textbook
        draws, one node per layer. The same numbers as ``forward``."""
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(collections.OrderedDict(items[index]))
        return items[_position(index, len(items), "Sequential")][1]


class ModuleList(Module):
    """A list of modules whose parameters are registered (names ``'0'``, ``'1'``, ...).

    Example:
        >>> import minidl as mdl
        >>> blocks = mdl.nn.ModuleList([mdl.nn.Linear(2, 2) for _ in range(3)])
        >>> len(blocks), len(list(blocks.parameters()))
        (3, 6)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self._modules)), _check(module, "ModuleList.append"))
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[_position(index, len(items), "ModuleList")]

    def __setitem__(self, index, module):
        i = _position(index, len(self._modules), "ModuleList")
        self._modules[str(i)] = _check(module, "ModuleList")

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(): iterate over it in your "
                                  "module's forward (or use nn.Sequential)")


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys.

    Example:
        >>> import minidl as mdl
        >>> heads = mdl.nn.ModuleDict({"a": mdl.nn.Linear(2, 1), "b": mdl.nn.Linear(2, 3)})
        >>> sorted(heads.keys()), heads["b"].out_features
        (['a', 'b'], 3)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            for name, m in dict(modules).items():
                self[name] = m

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"ModuleDict: keys must be non-empty strings without '.', got {key!r}")
        self.add_module(key, _check(module, "ModuleDict"))

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(): pick modules by key in your "
                                  "module's forward")


def _plain(module):
    """Whether calling ``module`` is just its class's ``forward`` (no hooks, no patch)."""
    return not (module._forward_pre_hooks or module._forward_hooks
                or "forward" in module.__dict__)


def _relu_then_max_pool(first, second):
    """Whether ``first`` → ``second`` is a plain ReLU → MaxPool2d/1d that may run as max-pool →
    ReLU.

    Exact: ReLU is nondecreasing, so the ReLU of a window's maximum is the maximum of the
    window's ReLUs (a NaN propagates through both). The gradient too: where a window's maximum
    is positive, the positions holding it are the same before and after the ReLU, so the first
    of them (PyTorch's rule) receives ``gy`` either way; where it is ≤ 0, every element of the
    window has ReLU' = 0 and so does the maximum, so nothing flows either way. (Padding counts
    as −∞ and every window holds at least one element of the input.)
    """
    return (type(first) is ReLU and type(second) in (MaxPool2d, MaxPool1d)
            and not second.return_indices and _plain(first) and _plain(second))


def _check(module, where):
    if not isinstance(module, Module):
        raise TypeError(f"{where}: expected a Module, got {type(module).__name__}")
    return module


def _position(index, length, where):
    if not isinstance(index, int):
        raise TypeError(f"{where} indices must be integers or slices, got {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"{where} index {index} is out of range for length {length}")
    return index % length
