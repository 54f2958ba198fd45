"""Keras 3's optimizer API (``apply_gradients``, ``learning_rate``, ``variables``, ...) on
minidl's optimizer machinery.

A Keras optimizer here *is* a :class:`minidl.optim.Optimizer`: one parameter group holds the
variables it was built with, each algorithm says ``init_state`` and ``update`` (its Keras
formula, in place on the arrays), and the base class runs the loop. So it also works where a
PyTorch-style optimizer is expected (``zero_grad``/``step``, ``state_dict``, the Trainer).
What Keras adds, this class adds on top, in Keras's order for every step:

    g ← g / loss_scale_factor                       (if set)
    g ← clip(g)        clipnorm:  g·c / max(‖g‖, c) per variable
                       global_clipnorm:  g·c / max(‖G‖, c), ‖G‖ over all variables
                       clipvalue:  min(max(g, −c), c)
    θ ← θ − θ·λ·lr     (weight_decay λ: decoupled, for every algorithm, before its update)
    θ ← update(θ, g)   (the algorithm), with t = iterations + 1 in its bias corrections
    iterations ← iterations + 1

``learning_rate`` is a number or a schedule of :mod:`minidl.optim.schedules` (step k,
counting from 0, uses ``schedule(k)``, as Keras's ``optimizer.iterations``).
"""
import math
import re
import struct
import warnings

from minidl.autograd.grad_mode import enable_grad, no_grad
from minidl.autograd.tensor import Tensor, constant
from minidl.optim import Optimizer as _LoopOptimizer
from minidl.optim import schedules

_name_counts = {}
_UNSUPPORTED = {"use_ema": False, "gradient_accumulation_steps": None}


def _auto_name(cls_name):
    """Keras's default names: 'adam', then 'adam_1', ... (Keras's snake_case of the class: 'rm_sprop')."""
    base = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", cls_name))
    base = re.sub(r"([a-z])([A-Z])", r"\1_\2", base).lower()
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def hyperparameter(name, doc=None):
    """A property that reads and writes the option ``name`` of every parameter group."""
    def get(self):
        return self.defaults[name]

    def set(self, value):
        self.defaults[name] = value
        for group in self.param_groups:
            group[name] = value

    return property(get, set, doc=doc or f"The option ``{name}`` (read and written in place).")


class Optimizer(_LoopOptimizer):
    """Base class of the Keras optimizers (``minidl.keras.optimizers.SGD``, ``Adam``, ...).

    Args:
        learning_rate: a number, or a schedule (``schedule(step) -> float``).
        weight_decay: λ of the decoupled weight decay θ ← θ − θ·λ·lr (None: none).
        clipnorm, clipvalue, global_clipnorm: clip the gradients (at most one of them).
        loss_scale_factor: ``minimize`` multiplies the loss by it, the gradients are
            divided by it before the update.
        use_ema, ema_momentum, ema_overwrite_frequency, gradient_accumulation_steps: Keras's
            arguments, accepted with their defaults; other values raise NotImplementedError.
        name: the optimizer's name (default: snake_case of the class, numbered).
        options: the algorithm's options (from the subclass).

    Attributes:
        gradient_aggregator: None, or ``fn(grads, variables) -> grads`` that ``apply`` runs
            first (set by a data-parallel ``fit``: the gradients of the whole batch).
        iterations: the number of steps applied so far (an int).
        built: whether ``build`` has run (``apply``/``minimize`` build on first use).

    Example:
        >>> import minidl as mdl
        >>> from minidl.keras import optimizers
        >>> w = mdl.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = optimizers.SGD(learning_rate=0.1)
        >>> _ = opt.apply_gradients([(mdl.tensor([1.0, 1.0]), w)])
        >>> w.tolist(), opt.iterations
        ([0.8999999761581421, 1.899999976158142], 1)
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, options=None, **kwargs):
        who = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=3)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        for arg, value in (("use_ema", use_ema),
                           ("gradient_accumulation_steps", gradient_accumulation_steps)):
            if value != _UNSUPPORTED[arg]:
                raise NotImplementedError(f"{who}: {arg}={value!r} is not supported by minidl's "
                                          f"Keras optimizers (leave it at {_UNSUPPORTED[arg]})")
        if ema_overwrite_frequency is not None:
            raise NotImplementedError(f"{who}: ema_overwrite_frequency needs use_ema, which "
                                      "minidl's Keras optimizers do not support")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        _check_learning_rate(learning_rate)
        if weight_decay is not None and not weight_decay >= 0:
            raise ValueError(f"{who}: weight_decay must be >= 0 or None, got {weight_decay}")
        defaults = {"lr": learning_rate, "weight_decay": weight_decay}
        defaults.update(options or {})
        super().__init__(None, defaults)
        self.name = name if name is not None else _auto_name(who)
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._index = {}  # id(variable) -> its position in the built list

    weight_decay = hyperparameter("weight_decay", "λ of the decoupled weight decay, or None.")

    #: ``aggregator(grads, variables) -> grads``, run by ``apply`` before anything else: a
    #: data-parallel ``fit`` sets it to the sum of the ranks' gradients for its duration.
    gradient_aggregator = None

    # -- what each algorithm says: its state slots, in Keras's order --------------------------
    def slot_names(self):
        """The algorithm's per-variable state, as Keras creates it: a list of tuples of slot
        names, each tuple one ``add_optimizer_variables`` call (its names interleaved per
        variable). ``variables`` lists them in this order after ``iterations`` and
        ``learning_rate``."""
        return []

    # -- the learning rate ----------------------------------------------------------------------
    @property
    def learning_rate(self):
        """The current learning rate, a float (a schedule is evaluated at ``iterations``).

        Set it to a number (callbacks do) or to a schedule. An optimizer made with a schedule
        refuses a number, as Keras's does.
        """
        lr = self.defaults["lr"]
        return float(lr(self.iterations)) if callable(lr) else float(lr)

    @learning_rate.setter
    def learning_rate(self, value):
        _check_learning_rate(value)
        if not callable(value) and callable(self.defaults["lr"]):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable. If you need the learning rate to be settable, you "
                            "should instantiate the optimizer with a float `learning_rate` "
                            "argument.")
        if not callable(value):
            value = float(value)
        self.defaults["lr"] = value
        for group in self.param_groups:
            group["lr"] = value

    # -- building -----------------------------------------------------------------------------
    def build(self, var_list):
        """Make the state of every variable of ``var_list`` (once; later calls do nothing).

        Args:
            var_list: the model's trainable variables (leaf Tensors, e.g. Parameters).
        """
        if self.built:
            return
        var_list = list(var_list)
        if var_list:
            self.add_param_group({"params": var_list})
            group = self.param_groups[0]
            with no_grad():
                for p in var_list:
                    self.state[p] = self.init_state(p, group)
        self._index = {id(p): i for i, p in enumerate(var_list)}
        self.built = True

    def all_variables(self):
        """Every variable of every parameter group (Keras optimizers have one group)."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def trainable_variables(self):
        """The variables the optimizer was built with, in order."""
        return list(self.param_groups[0]["params"]) if self.param_groups else []

    # -- applying gradients ---------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Update each variable from its gradient: ``[(grad, variable), ...]``.

        Returns:
            ``iterations`` after the update (an int).
        """
        pairs = list(grads_and_vars)
        if not pairs:
            return self.iterations
        grads, variables = zip(*pairs)
        self.apply(grads, variables)
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        """Update ``trainable_variables`` from ``grads`` (one each; None skips a variable).

        Args:
            grads: minidl Tensors or arrays, shaped like their variables.
            trainable_variables: the variables; on the first call they build the optimizer.
                Omitted: the variables the optimizer was built with, in order.

        The variables' ``.grad`` are left as they were before the call.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first.")
            variables = self.trainable_variables
            if len(grads) != len(variables):
                raise ValueError(f"{type(self).__name__}.apply: got {len(grads)} gradients, but "
                                 f"the optimizer is tracking {len(variables)} variables")
        else:
            variables = list(trainable_variables)
            if len(grads) != len(variables):
                raise ValueError(f"{type(self).__name__}.apply: got {len(grads)} gradients for "
                                 f"{len(variables)} variables")
            if not self.built:
                self.build(variables)
            for v in variables:
                if id(v) not in self._index:
                    raise ValueError(f"Unknown variable: {_describe(v)}. This optimizer can only "
                                     "be called for the variables it was originally built with. "
                                     "When working with a new set of variables, you should "
                                     "recreate a new optimizer instance.")
        if self.gradient_aggregator is not None:  # data-parallel fit: the global gradients
            grads = self.gradient_aggregator(grads, variables)
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if len(pairs) < len(variables):
            missing = [_describe(v) for g, v in zip(grads, variables) if g is None]
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss.", stacklevel=2)
        held = [(p, p.grad) for p in self.all_variables()]
        try:
            for p, _ in held:
                p.grad = None
            for g, v in pairs:
                v.grad = _as_gradient(g, v, type(self).__name__)
            self.step()
        finally:
            for p, g in held:
                p.grad = g

    def step(self, closure=None):
        """One update of every variable that has a ``.grad`` (PyTorch style; ``apply`` and
        ``minimize`` come here): Keras's gradient scaling and clipping, then the loop."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._prepare_gradients()
        if any(p.grad is not None for p in self.all_variables()):
            self.begin_step()
        super().step()
        return loss

    def begin_step(self):
        """Called once per step before the variables are updated (Nadam's running product)."""

    def minimize(self, loss, var_list=None):
        """Compute the gradients of ``loss`` with respect to ``var_list`` and apply them.

        Args:
            loss: a function of no arguments returning the scalar loss Tensor, or the loss
                Tensor itself (still holding its graph).
            var_list: the variables (or a function returning them); omitted: the ones the
                optimizer was built with.

        Returns:
            The loss Tensor (computed before the update).
        """
        who = type(self).__name__
        if callable(var_list):
            var_list = var_list()
        if var_list is None:
            if not self.built:
                raise ValueError(f"{who}.minimize: pass var_list=[...] (the optimizer has not "
                                 "been built on any variables yet)")
            var_list = self.trainable_variables
        var_list = [var_list] if isinstance(var_list, Tensor) else list(var_list)
        for v in var_list:
            v.grad = None
        if callable(loss) and not isinstance(loss, Tensor):
            with enable_grad():
                loss = loss()
        if not isinstance(loss, Tensor):
            raise TypeError(f"{who}.minimize: loss must be a Tensor or a function returning "
                            f"one, got {type(loss).__name__}")
        self.scale_loss(loss).backward()
        self.apply([v.grad for v in var_list], var_list)
        return loss

    def scale_loss(self, loss):
        """``loss · loss_scale_factor`` (the loss itself when no factor is set)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def _prepare_gradients(self):
        """Unscale and clip the gradients in ``.grad`` (new arrays; the old ones may be shared)."""
        params = [p for p in self.all_variables() if p.grad is not None]
        if not params:
            return
        scale = self.loss_scale_factor
        if scale is not None:
            for p in params:
                p.grad = constant(p.grad.data / scale, p.grad)
        if self.clipnorm and self.clipnorm > 0:
            c = self.clipnorm
            for p in params:
                g = p.grad.data
                norm = float(p.xp.sqrt(p.xp.sum(g * g)))
                p.grad = constant(g * (c / max(norm, c)), p.grad)
        elif self.global_clipnorm and self.global_clipnorm > 0:
            c = self.global_clipnorm
            total = sum(float(p.xp.sum(p.grad.data * p.grad.data)) for p in params)
            norm = math.sqrt(total)
            factor = c * min(1.0 / norm, 1.0 / c) if norm != 0 else 1.0
            if not math.isfinite(norm):
                factor = math.nan
            for p in params:
                p.grad = constant(p.grad.data * factor, p.grad)
        elif self.clipvalue and self.clipvalue > 0:
            c = self.clipvalue
            for p in params:
                p.grad = constant(p.xp.clip(p.grad.data, -c, c), p.grad)

    def decay_weights(self, theta, lr, weight_decay):
        """Keras's decoupled weight decay, θ ← θ·(1 − λ·lr), in place (nothing when λ is None).

        (Keras's torch backend computes this product form; its formula is θ − θ·λ·lr.)
        """
        if weight_decay:
            theta *= 1.0 - weight_decay * lr

    def in_dtype(self, value, theta):
        """The Python number ``value`` rounded to ``theta``'s floating dtype.

        Keras casts β₁, β₂ (and Nadam's 0.96) to the variable's dtype before raising them to
        the power t: in float32, 1 − β₂ for β₂ = 0.999 is then 0.000999987, not 0.001, which
        moves Adam's bias correction by 6e-6. Rounding them the same way reproduces it.
        """
        if theta.dtype.itemsize == 4:
            return struct.unpack("f", struct.pack("f", value))[0]
        if theta.dtype.itemsize == 2:
            return struct.unpack("e", struct.pack("e", value))[0]
        return value

    def step_count(self):
        """t of the bias corrections in the step being applied: ``iterations + 1``."""
        return self.iterations + 1

    # -- the state as Keras's variables ---------------------------------------------------------
    def _slot_arrays(self):
        """``(slot name, variable, array)`` for every slot, in Keras's ``variables`` order."""
        out = []
        variables = self.trainable_variables
        for names in self.slot_names():
            for p in variables:
                state = self.state.get(p)
                if state is None:
                    continue
                for name in names:
                    out.append((name, p, state[name]))
        return out

    def _scalar_values(self):
        """Keras's scalar variables: ``iteration`` and ``learning_rate`` (not for a schedule),
        then the algorithm's own (``extra_scalars``)."""
        values = [("iteration", self.iterations, "int64")]
        if not callable(self.defaults["lr"]):
            values.append(("learning_rate", self.defaults["lr"], "float32"))
        return values

    def extra_scalars(self):
        """Scalar variables Keras tracks after the slots (Nadam's ``u_product``)."""
        return []

    @property
    def variables(self):
        """Keras's ``optimizer.variables``: Tensors for ``iteration``, ``learning_rate`` (not
        with a schedule), every slot of every variable (sharing memory with the state, so they
        follow the updates) and the algorithm's scalars, in Keras's order. The scalars are
        copies: set them with :meth:`set_weights` or :meth:`load_own_variables`."""
        out = []
        like = self.trainable_variables[0] if self.param_groups else None
        for _, value, dtype in self._scalar_values():
            out.append(_scalar_tensor(value, dtype, like))
        for _, p, array in self._slot_arrays():
            out.append(constant(array, p))
        for _, value in self.extra_scalars():
            out.append(_scalar_tensor(value, "float32", like))
        return out

    def set_weights(self, weights):
        """Set every variable (in the order of ``variables``) from arrays or Tensors."""
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet "
                             "been built. Please call `optimizer.build(trainable_variables)` to "
                             "create the optimizer weights before calling `set_weights()`.")
        weights = list(weights)
        expected = len(self.variables)
        if len(weights) != expected:
            raise ValueError(f"{type(self).__name__}.set_weights: expected {expected} arrays "
                             f"(one per optimizer variable), got {len(weights)}")
        values = iter(weights)
        for name, _, _ in self._scalar_values():
            value = _to_python(next(values))
            if name == "iteration":
                self.iterations = int(value)
            else:
                self.learning_rate = float(value)
        for name, p, array in self._slot_arrays():
            value = next(values)
            value = value.data if isinstance(value, Tensor) else value
            if tuple(value.shape) != tuple(array.shape):
                raise ValueError(f"Optimizer variable {name} of {_describe(p)} has shape "
                                 f"{tuple(array.shape)} not compatible with provided weight "
                                 f"shape {tuple(value.shape)}.")
            array[...] = _onto_device(value, p)
        for name, _ in self.extra_scalars():
            self.set_extra_scalar(name, float(_to_python(next(values))))

    def set_extra_scalar(self, name, value):
        raise ValueError(f"{type(self).__name__} has no scalar variable {name!r}")

    def state_dict(self):
        """:meth:`minidl.optim.Optimizer.state_dict`, plus the algorithm's scalars."""
        state = super().state_dict()
        state["scalars"] = dict(self.extra_scalars())
        return state

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for name, value in state_dict.get("scalars", {}).items():
            self.set_extra_scalar(name, float(value))
        if self.param_groups:
            self._index = {id(p): i for i, p in enumerate(self.param_groups[0]["params"])}
            self.built = True

    def save_own_variables(self, store):
        """Write ``variables`` into ``store`` as NumPy arrays under '0', '1', ... (Keras's
        layout of ``optimizer/vars`` in a ``.keras`` file)."""
        for i, v in enumerate(self.variables):
            store[str(i)] = v.numpy().copy()

    def load_own_variables(self, store):
        """Read what :meth:`save_own_variables` wrote (a count mismatch warns and skips, as
        Keras does)."""
        count = len(self.variables)
        if len(store.keys()) != count:
            warnings.warn(f"Skipping variable loading for optimizer '{self.name}', because it "
                          f"has {count} variables whereas the saved optimizer has "
                          f"{len(store.keys())} variables.", stacklevel=2)
            return
        self.set_weights([store[str(i)] for i in range(count)])

    # -- config ---------------------------------------------------------------------------------
    def get_config(self):
        """Keras's config: the base keys, then the algorithm's options."""
        lr = self.defaults["lr"]
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = {"module": "minidl.optim.schedules", "class_name": type(lr).__name__,
                  "config": lr.get_config(), "registered_name": None}
        elif callable(lr):
            raise ValueError(f"{type(self).__name__}.get_config: the learning rate {lr!r} is a "
                             "function, which a config cannot hold; use a schedule of "
                             "minidl.optim.schedules")
        config = {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                  "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                  "ema_momentum": self.ema_momentum,
                  "ema_overwrite_frequency": self.ema_overwrite_frequency,
                  "loss_scale_factor": self.loss_scale_factor,
                  "gradient_accumulation_steps": self.gradient_accumulation_steps}
        config.update(self.algorithm_config())
        return config

    def algorithm_config(self):
        """The algorithm's own entries of ``get_config`` (override)."""
        return {}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The optimizer that ``get_config()`` describes (a schedule given by its config is
        rebuilt from :mod:`minidl.optim.schedules`; nothing else is looked up)."""
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = schedule_from_config(lr)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, learning_rate={self.learning_rate}>"


def schedule_from_config(config):
    """A schedule of :mod:`minidl.optim.schedules` from ``{'class_name': ..., 'config': ...}``
    (as minidl or Keras write it)."""
    name = config.get("class_name")
    cls = getattr(schedules, str(name), None)
    if not (isinstance(cls, type) and issubclass(cls, schedules.LearningRateSchedule)):
        known = sorted(n for n in dir(schedules) if isinstance(getattr(schedules, n), type)
                       and issubclass(getattr(schedules, n), schedules.LearningRateSchedule)
                       and n != "LearningRateSchedule")
        raise ValueError(f"unknown learning rate schedule {name!r}; known: {known}")
    return cls.from_config(config.get("config", {}))


def _check_learning_rate(lr):
    if callable(lr):
        return
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) and not hasattr(lr, "__float__"):
        raise ValueError("Argument `learning_rate` should be float, or an instance of "
                         "LearningRateSchedule, or a callable (that takes in the current "
                         f"iteration value and returns the corresponding learning rate value). "
                         f"Received instead: learning_rate={lr}")
    if not float(lr) >= 0:
        raise ValueError(f"Invalid learning rate: {lr}")


def _describe(v):
    name = getattr(v, "name", None) or getattr(v, "path", None)
    return f"{name} (shape {tuple(v.shape)})" if name else f"<variable of shape {tuple(v.shape)}>"


def _as_gradient(g, v, who):
    """``g`` as a gradient Tensor for ``v``: on its device, in its dtype, of its shape."""
    if isinstance(g, Tensor):
        if g.backend is v.backend and g.shape == v.shape and g.dtype == v.dtype:
            return g     # already a gradient of v (fit passes the .grad it computed)
        if g.device != v.device:
            raise ValueError(f"{who}: the gradient of {_describe(v)} is on {g.device}, the "
                             f"variable on {v.device}")
        array = g.data
    else:
        array = _onto_device(g, v)
    if tuple(array.shape) != tuple(v.shape):
        raise ValueError(f"{who}: the gradient of shape {tuple(array.shape)} does not match "
                         f"the variable {_describe(v)}")
    if array.dtype != v.dtype:
        array = array.astype(v.dtype)
    return constant(array, v)


def _onto_device(value, like):
    """An array (NumPy, a number, or already on ``like``'s device) as an array on it."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, like.backend.array_types):
        return value
    return Tensor(value, dtype=like.dtype, device=like.device).data


def _to_python(value):
    if isinstance(value, Tensor):
        return value.item()
    return value.item() if hasattr(value, "item") else value


def _scalar_tensor(value, dtype, like):
    return Tensor(value, dtype=dtype, device=None if like is None else like.device)
