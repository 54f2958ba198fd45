"""``ZeroRedundancyOptimizer``: each rank updates its shard of the parameters, then they swap.

After data-parallel ``backward()`` every rank holds the same averaged gradient, and a plain
optimizer makes every rank compute the same update of every parameter: P times the work.
ZeRO stage 1 (Rajbhandari et al., 2020) splits the optimizer step instead. A parameter
group's θ, g and state live in flat buffers (``minidl/optim/flat.py``); cut them into P
stretches, one per rank:

    flat θ, g, state  =  [ part 0 | part 1 | … | part P−1 ]
    rank r:   update(θ[r], g[r], state[r])          its part only: 1/P of the work
    then:     θ ← all_gather(θ[0], …, θ[P−1])       every rank gets every updated part

For an elementwise algorithm (SGD, Adam, RMSprop, ...) the new value of an element depends
only on that element's θ, g and state, so the gathered θ is bit for bit the θ of a whole
update, on every rank. The gather moves as many bytes as the gradient all-reduce did once more
(an all-reduce is a reduce-scatter plus an all-gather); when the ranks share one machine it
goes through a shared-memory window (``transport.SharedArray``): each rank copies its part
in once and the others' parts out once. PyTorch's class of this name hands whole parameters
to ranks instead; cutting the flat buffers gives equal parts (and the same numbers).

Each rank keeps only its part of the state (``exp_avg``, ...) up to date.
:meth:`~ZeroRedundancyOptimizer.consolidate_state_dict` (a collective: every rank calls it)
gathers the parts, after which ``state_dict()`` describes the whole optimizer on every rank;
the Trainer does this at the end of every epoch, before checkpoints are written.

Groups that cannot be packed flat (parameters of several dtypes or devices) are updated whole
on every rank, as a plain optimizer would: slower, never different.
"""
from minidl.autograd.grad_mode import enable_grad, no_grad
from minidl.distributed import transport
from minidl.distributed.world import init
from minidl.optim.optimizer import Optimizer


class ZeroRedundancyOptimizer(Optimizer):
    """``optimizer_class(params, **defaults)`` with its step split over the ranks.

    Args:
        params: the parameters (or parameter groups), as for any optimizer.
        optimizer_class: an elementwise minidl optimizer class (``minidl.optim.Adam``, ...).
        **defaults: its options (``lr=1e-3``, ...).

    ``param_groups``, ``state`` and ``iterations`` are the wrapped optimizer's (``.optim``), so
    learning-rate schedulers work on it as on any optimizer.

    Example:
        >>> import minidl as mdl
        >>> from minidl.distributed import ZeroRedundancyOptimizer
        >>> model = mdl.nn.Linear(3, 2)
        >>> opt = ZeroRedundancyOptimizer(model.parameters(), mdl.optim.Adam, lr=1e-2)
        >>> model(mdl.ones(4, 3)).sum().backward()
        >>> opt.step()   # a world of one here: the plain Adam step
    """

    def __init__(self, params, optimizer_class, **defaults):
        if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, Optimizer)):
            raise TypeError("ZeroRedundancyOptimizer: optimizer_class must be a minidl "
                            f"optimizer class such as minidl.optim.Adam, got {optimizer_class!r}")
        if not optimizer_class.flat_groups:
            raise TypeError(f"ZeroRedundancyOptimizer: {optimizer_class.__name__}'s update mixes "
                            "the elements of the parameters, so it cannot be split into parts; "
                            "use an elementwise optimizer (SGD, Adam, ...)")
        self.optim = optimizer_class(params, **defaults)
        self.world = init()
        self._consolidated = True  # the state is whole until a sharded step
        self._shared = {}  # (dtype, size) -> transport.SharedArray the host parts go through

    # The wrapped optimizer's groups, state and step count are this optimizer's.
    @property
    def param_groups(self):
        return self.optim.param_groups

    @property
    def state(self):
        return self.optim.state

    @property
    def defaults(self):
        return self.optim.defaults

    @property
    def iterations(self):
        return self.optim.iterations

    @iterations.setter
    def iterations(self, value):
        self.optim.iterations = value

    def add_param_group(self, param_group):
        self.optim.add_param_group(param_group)

    def zero_grad(self, set_to_none=True):
        self.optim.zero_grad(set_to_none)

    def step(self, closure=None):
        """One step: each rank updates its part of every flat group, then all parts are
        gathered on every rank (a collective: every rank must call it)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        optim, world = self.optim, self.world
        with no_grad():
            for group in optim.param_groups:
                options = optim.options(group)
                if world.size > 1 and optim.update_group(group, options,
                                                         part=(world.rank, world.size)):
                    self._gather(optim.flat_group(group), ["theta"])
                    self._consolidated = False
                else:
                    optim.step_group(group, options)
        optim.iterations += 1
        return loss

    def consolidate_state_dict(self, to=0):
        """Gather every rank's part of the optimizer state, so that :meth:`state_dict` is the
        whole state (a collective: call it on every rank; every rank then has the whole state,
        ``to`` is accepted for PyTorch's signature)."""
        if self.world.size > 1 and not self._consolidated:
            for group in self.optim.param_groups:
                flat = self.optim.flat_group(group)
                if flat is not None:
                    names = [name for name, value in flat.state.items()
                             if isinstance(value, flat.array_types)]
                    self._gather(flat, names)
        self._consolidated = True

    def state_dict(self):
        """The wrapped optimizer's ``state_dict``; after a sharded step, call
        :meth:`consolidate_state_dict` on every rank first."""
        if not self._consolidated:
            raise RuntimeError("ZeroRedundancyOptimizer.state_dict: each rank holds only its "
                               "part of the optimizer state; call consolidate_state_dict() on "
                               "every rank first")
        return self.optim.state_dict()

    def load_state_dict(self, state_dict):
        """Load a whole state (as :meth:`state_dict` gives it) on every rank."""
        self.optim.load_state_dict(state_dict)
        self._consolidated = True

    def __repr__(self):
        return (f"ZeroRedundancyOptimizer({type(self.optim).__name__}, "
                f"world_size={self.world.size})")

    def _shared_array(self, array):
        """A shared array of the host ``array``'s dtype and size, made on first use (a
        collective: every rank gathers the same groups in the same order), or None when the
        ranks do not share one machine."""
        key = (array.dtype, array.size)
        if key not in self._shared:
            self._shared[key] = transport.SharedArray.allocate(self.world, array.size,
                                                               array.dtype)
        return self._shared[key]

    def _gather(self, flat, names):
        """Every rank's part of each named flat array (``'theta'`` or a state entry), gathered
        in place on every rank."""
        size = self.world.size
        bounds = [flat.part_bounds(r, size)[0] for r in range(size)] + [flat.theta.size]
        backend = flat.params[0].backend
        arrays = [flat.theta if name == "theta" else flat.state[name] for name in names]
        what = "ZeroRedundancyOptimizer all_gather"
        shared = [self._shared_array(a) for a in arrays] if backend.name == "cpu" else [None]
        if None not in shared:  # the ranks share this machine: through shared memory
            pending = [transport.start_shared_all_gather_parts(through, array, bounds, what)
                       for array, through in zip(arrays, shared)]
        else:
            pending = [transport.start_all_gather_parts(self.world, array, bounds, backend, what)
                       for array in arrays]
        for started in pending:
            started.wait()
        if "theta" in names:
            for p in flat.params:
                p.bump_version()
