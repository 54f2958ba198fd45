"""``Optimizer``: parameter groups, lazy per-parameter state, and one loop that calls the math.

Each algorithm (sgd.py, adam.py, ...) is a subclass that says three things:

- ``__init__`` validates its options and hands them to this class as ``defaults``;
- ``init_state(p, group)`` makes the parameter's state (buffers on ``p``'s device, by ``p.xp``);
- ``update(theta, g, state, **options)`` is the update rule, done in place on the parameter's
  array ``theta`` with the array module of its device, reading the gradient array ``g``
  (which it must never modify: it may be shared) and the group's options.

This class does the rest, as ``torch.optim.Optimizer`` does: groups with per-group options,
``zero_grad``, ``step(closure)``, ``state_dict``/``load_state_dict`` (state keyed by parameter
position), plus Keras's ``minimize(loss_fn, var_list)`` and learning-rate schedules as ``lr``.
"""
from minidl.autograd.grad_mode import enable_grad, no_grad
from minidl.autograd.tensor import Tensor, constant
from minidl.backends import fast_scalars, get_array_module

from minidl.optim.flat import FlatGroup
from minidl.optim.kernels import ema_square_, lerp_  # noqa: F401  (their old home)

_UNORDERED = ("optimizer parameters need to be organized in ordered collections, but the "
              "ordering of tensors in sets will change between runs. Please use a list instead.")


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors (Parameters) to optimize, or of dicts, each a parameter
            group ``{'params': [...], 'lr': ..., ...}`` whose options override ``defaults``.
            ``None`` builds the optimizer without parameters: the first ``minimize(loss_fn,
            var_list)`` adds them (as a Keras optimizer does).
        defaults: the algorithm's options (``{'lr': 1e-3, ...}``), used where a group gives none.

    Attributes:
        param_groups: list of dicts, each with ``'params'`` and every option of ``defaults``.
        state: dict ``{parameter: {name: value}}``, made on the first step that updates it.
        iterations: number of ``step`` calls so far; a schedule given as ``lr`` is evaluated
            at it (step k, counting from 0, uses ``lr(k)``, as Keras's ``iterations``).

    Learning rates: a group's ``'lr'`` is a number or a schedule (any callable, e.g. from
    :mod:`minidl.optim.schedules`). Schedulers of :mod:`minidl.optim.lr_scheduler` instead
    rewrite the number in ``'lr'`` between steps, as PyTorch's do; use one or the other.

    Example:
        >>> import minidl as mdl
        >>> w = mdl.tensor(1.0, requires_grad=True)
        >>> opt = mdl.optim.SGD([w], lr=0.1)
        >>> loss = opt.minimize(lambda: w ** 2 / 2)   # zero_grad, loss, backward, step
        >>> round(w.item(), 6)
        0.9
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}
        self.iterations = 0
        self._scratch = {}
        self._flat = {}  # id(group) -> FlatGroup (see update_group)
        if params is None:
            return
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        if callable(getattr(params, "parameters", None)) and callable(getattr(params, "forward",
                                                                             None)):
            name = type(self).__name__
            raise TypeError(f"{name}: got the model ({type(params).__name__}) itself; pass its "
                            f"parameters: {name}(model.parameters(), ...)")
        if isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED)
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # Elementwise algorithms update a whole group at once on flat buffers; one whose update
    # mixes elements (L-BFGS) sets this to False.
    flat_groups = True

    # -- what each algorithm provides -----------------------------------------------------
    def init_state(self, p, group):
        """The state of parameter ``p`` before its first update (override; default: none)."""
        return {}

    def update(self, theta, g, state, **options):
        """Update the array ``theta`` in place from its gradient ``g`` (override)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update()")

    def update_group(self, group, options, part=None):
        """Run ``update`` once for the whole group on its flat buffers (see
        :mod:`minidl.optim.flat`) and return True; return False, and ``step`` calls ``update``
        for each parameter instead: when a parameter has no gradient, or the group cannot be
        packed (parameters of different devices or dtypes, or states of different steps).

        ``part=(i, n)`` updates only the i-th of n equal stretches of the flat buffers (the
        rest of θ and of the state is left as it is): the shard of one rank of
        ``minidl.distributed.ZeroRedundancyOptimizer``."""
        flat = self.flat_group(group)
        if flat is None or flat.gather_grads() is None:
            return False
        if part is None:
            self.update(flat.theta, flat.grad, flat.state, **options)
        else:
            flat.update_part(self.update, options, *part)
        flat.scatter_state()
        for p in flat.params:
            p.bump_version()  # each parameter changed in place
        return True

    def flat_group(self, group):
        """The :class:`~minidl.optim.flat.FlatGroup` of ``group`` (packed on first use, and
        again whenever its parameters or their state were replaced), or None if it cannot be
        packed. Its ``grad`` is the group's flat gradient buffer."""
        params = group["params"]
        if len(params) < 2 or not self.flat_groups:  # (one parameter is its own flat buffer)
            return None
        flat = self._flat.get(id(group))
        if flat is None or not flat.matches(params, self.state):
            if any(p.grad is None for p in params):
                return None  # (pack when every parameter takes part: their steps stay equal)
            flat = FlatGroup.pack(params, self.state, lambda p: self.init_state(p, group))
            self._flat[id(group)] = flat
        return flat

    # -- parameter groups -----------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (missing ones from ``defaults``).

        Raises:
            ValueError: a parameter is already in another group (or twice in this one).
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED)
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (it was made by an op: "
                                 f"{type(p.grad_fn).__name__}); optimize the leaves it came from")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter more than once")
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(p) for other in self.param_groups for p in other["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _params(self):
        return [p for group in self.param_groups for p in group["params"]]

    # -- the training-loop API ------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Forget the parameters' gradients before the next backward.

        Args:
            set_to_none: set ``.grad`` to None (default; the next backward writes a fresh one),
                else give each existing ``.grad`` a fresh zero tensor (never zeroed in place,
                since a gradient array may be shared with another tensor).
        """
        for p in self._params():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = constant(p.grad.xp.zeros_like(p.grad.data), p.grad)

    def step(self, closure=None):
        """Update every parameter that has a gradient, once.

        Args:
            closure: optional function that re-evaluates the model and returns the loss
                (with its own zero_grad and backward); it runs first, with grad enabled.

        Returns:
            The closure's loss, or None without a closure.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self.step_group(group, self.options(group))
        self.iterations += 1
        return loss

    def step_group(self, group, options):
        """Update one parameter group: all at once when it can (``update_group``), else
        ``update`` per parameter that has a gradient."""
        if self.update_group(group, options):  # the algorithm's all-at-once path
            return
        update, states = self.update, self.state
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            state = states.get(p)
            if state is None:
                state = states[p] = self.init_state(p, group)
            update(p.data, grad.data, state, **options)
            p.bump_version()  # the parameter changed in place

    def options(self, group):
        """The group's options as ``update`` takes them, a schedule ``lr`` evaluated now."""
        options = {name: group[name] for name in self.defaults}
        if callable(options.get("lr")):
            options["lr"] = float(options["lr"](self.iterations))
        return options

    _options = options

    def minimize(self, loss_fn, var_list=None):
        """One training step, Keras style: zero_grad, loss = loss_fn(), backward, step.

        Args:
            loss_fn: a function of no arguments returning the scalar loss Tensor.
            var_list: parameters to optimize; required when the optimizer was built without
                any (``SGD(lr=0.1)``); parameters not yet held are added as a new group.

        Returns:
            The loss (computed before the update).
        """
        if not callable(loss_fn):
            raise TypeError(f"{type(self).__name__}.minimize: loss_fn must be a function of no "
                            f"arguments that computes the loss, got {type(loss_fn).__name__} "
                            "(for a loss already computed, call loss.backward() and step())")
        if var_list is not None:
            if isinstance(var_list, Tensor):
                var_list = [var_list]
            held = {id(p) for p in self._params()}
            new = [p for p in var_list if id(p) not in held]
            if new:
                self.add_param_group({"params": new})
        if not self.param_groups:
            raise ValueError(f"{type(self).__name__}.minimize: the optimizer has no parameters; "
                             "pass them as var_list=[...] (or to the constructor)")

        def closure():
            self.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss

        return self.step(closure)

    # -- saving and resuming --------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state, in PyTorch's layout, with parameters replaced by positions.

        Returns:
            ``{'state': {index: {name: value}}, 'param_groups': [{option: value, ...,
            'params': [index, ...]}], 'iterations': n}``; indices count the parameters in
            group order. Arrays in the state come as Tensors holding copies, so the dict is a
            snapshot that later steps do not change (PyTorch's shares memory instead). A
            schedule from :mod:`minidl.optim.schedules` given as ``lr`` is stored as
            ``{'schedule': class name, 'config': get_config()}``, so that ``minidl.save``
            can write the whole dict.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed = {k: _pack_option(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for p in self._params():
            if p in self.state:
                state[index[id(p)]] = {k: _as_tensors(v, p) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups, "iterations": self.iterations}

    def load_state_dict(self, state_dict):
        """Resume from :meth:`state_dict`: state copied onto each parameter's device and dtype.

        Raises:
            ValueError: the number of groups, or of parameters in a group, differs.
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, but "
                             f"this optimizer has {len(self.param_groups)}")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"loaded state dict's parameter group {i} has "
                                 f"{len(saved['params'])} parameters, but this optimizer's "
                                 f"group {i} has {len(group['params'])}")
        owner = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for index, p in zip(saved["params"], group["params"]):
                owner[int(index)] = (p, group)
        new_state = {}
        for index, saved_state in state_dict["state"].items():
            if int(index) not in owner:
                raise ValueError(f"loaded state dict has state for parameter {index}, which is "
                                 "in none of its parameter groups")
            p, group = owner[int(index)]
            with no_grad():
                state = self.init_state(p, group)
            for name, value in saved_state.items():
                state[name] = _onto(value, p, cast=name != "step")
            new_state[p] = state
        self.state = new_state
        for group, saved in zip(self.param_groups, saved_groups):
            params = group["params"]
            group.clear()
            group.update({k: _unpack_option(v) for k, v in saved.items() if k != "params"})
            group["params"] = params
        self.iterations = int(state_dict.get("iterations", 0))

    # -- helpers for the algorithms --------------------------------------------------------
    def scratch(self, like, name="tmp"):
        """A work array shaped like ``like``, reused by every step (and every parameter of the
        same shape, dtype and device), so that an update allocates nothing per step.

        Its content is garbage on entry; ``name`` tells apart buffers used at the same time.
        """
        key = (name, like.shape, like.dtype, type(like), getattr(like, "device", None))
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = get_array_module(like).empty_like(like)
        return buf

    def decayed_grad(self, theta, g, weight_decay, maximize=False):
        """``g ← −g if maximize;  g ← g + λ·θ if weight_decay``, without touching ``g`` itself.

        Returns ``g`` unchanged when neither applies, else a scratch array (named ``'grad'``).
        """
        if weight_decay == 0 and not maximize:
            return g
        xp = get_array_module(theta)
        buf = self.scratch(theta, "grad")
        if weight_decay == 0:
            xp.negative(g, out=buf)
        else:
            xp.multiply(theta, weight_decay, out=buf)      # λ·θ
            if maximize:
                buf -= g                                    # −g + λ·θ
            else:
                buf += g                                    # g + λ·θ
        return buf

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _pack_option(value):
    """A group option for ``state_dict``: minidl's schedules as their config."""
    from minidl.optim import schedules
    if isinstance(value, schedules.LearningRateSchedule) and \
            type(value).__module__ == schedules.__name__:
        return {"schedule": type(value).__name__, "config": value.get_config()}
    return value


def _unpack_option(value):
    """The inverse of :func:`_pack_option`."""
    if isinstance(value, dict) and set(value) == {"schedule", "config"}:
        from minidl.optim import schedules
        return getattr(schedules, value["schedule"]).from_config(value["config"])
    return value


def _as_tensors(value, p):
    """State values for ``state_dict``: arrays copied into Tensors, lists item by item."""
    if isinstance(value, list):
        return [_as_tensors(v, p) for v in value]
    if isinstance(value, p.backend.array_types):
        return constant(value.copy(), p)
    return value


def _onto(value, p, cast):
    """A saved state value copied onto ``p``'s device (floating arrays in ``p``'s dtype)."""
    if isinstance(value, (list, tuple)):
        return [_onto(v, p, cast) for v in value]
    if isinstance(value, Tensor):
        value = value.data
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if not hasattr(value, "dtype") or not hasattr(value, "shape"):
        return value
    from minidl import backends
    source = backends.backend_of_array(value)
    if source is not p.backend:
        value = source.to_numpy(value)
    dtype = p.dtype if (cast and value.dtype.kind == "f") else value.dtype
    return p.xp.array(value, dtype=dtype)


# -- validation, with PyTorch's rules and messages ------------------------------------------
def check_lr(lr):
    """``lr ≥ 0`` (a schedule, being a function of the step, is not checked here)."""
    if not callable(lr) and not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_nonnegative(value, what):
    """``value ≥ 0``, else ``ValueError("Invalid <what> value: <value>")``."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what} value: {value}")


def check_betas(betas):
    """Each of ``betas`` in [0, 1)."""
    if len(betas) != 2:
        raise ValueError(f"Invalid betas: expected two values (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
