"""Flat state for "foreach" updates: one buffer per state array for a whole parameter group.

An elementwise optimizer such as Adam makes 13 array operations per parameter and step; on a
small model NumPy's fixed cost per call (about 1 µs) is most of the step. When the state
arrays of all parameters of a group (Adam's m and v) live in one flat buffer each, the
operations that involve neither the parameter nor its gradient run once per group instead of
once per parameter. Each parameter's state holds *views* of the buffers, so ``state_dict``,
``load_state_dict`` and the per-parameter ``update`` keep seeing the same numbers.
"""


class FlatState:
    """The flat buffers ``arrays[name]`` (1-D, all parameters end to end) and, for parameter
    ``i``, ``views[name][i]`` (its slice, in its shape), plus one flat work array ``scratch``
    with its views ``scratch_views``.

    Build it with :meth:`pack`; check with :meth:`matches` before each use that nobody has
    replaced a parameter's state since (``load_state_dict`` does), else pack again.
    """

    __slots__ = ("params", "states", "names", "arrays", "views", "scratch", "scratch_views")

    @classmethod
    def pack(cls, params, state_of, names, init_state):
        """Flat buffers for the state arrays ``names`` of ``params``, or None when the group
        cannot be packed: arrays of different types, devices or dtypes, parameters with and
        without state, or different step counts.

        Args:
            params: the group's parameters (Tensors).
            state_of: the optimizer's ``state`` dict; entries are created or rewired to views.
            names: the state arrays to pack (e.g. ``("exp_avg", "exp_avg_sq")``).
            init_state: ``init_state(p)``, the algorithm's fresh state for a parameter.
        """
        first = params[0].data
        kind = (type(first), first.dtype, getattr(first, "device", None))
        if any((type(p.data), p.data.dtype, getattr(p.data, "device", None)) != kind
               for p in params):
            return None
        states = [state_of.get(p) for p in params]
        fresh = all(state is None for state in states)
        if not fresh:
            if any(state is None or any(name not in state for name in names)
                   for state in states):
                return None
            if len({state.get("step") for state in states}) != 1:
                return None
        xp = params[0].xp
        sizes = [p.data.size for p in params]
        total = sum(sizes)
        self = cls()
        self.params = tuple(params)
        self.names = tuple(names)
        self.arrays = {name: xp.zeros(total, dtype=first.dtype) for name in names}
        self.views = {name: _split(self.arrays[name], params, sizes) for name in names}
        self.scratch = xp.empty(total, dtype=first.dtype)
        self.scratch_views = _split(self.scratch, params, sizes)
        if fresh:
            states = [init_state(p) for p in params]
        for i, (p, state) in enumerate(zip(params, states)):
            for name in names:
                view = self.views[name][i]
                view[...] = state[name]  # the current values move into the buffer
                state[name] = view
            state_of[p] = state
        self.states = states
        return self

    def matches(self, params, state_of):
        """Whether this packing still describes ``params`` and their state in ``state_of``."""
        if len(params) != len(self.params):
            return False
        step = self.states[0].get("step")
        for i, (p, mine, state) in enumerate(zip(params, self.params, self.states)):
            if p is not mine or state_of.get(p) is not state or state.get("step") != step:
                return False
            for name in self.names:
                if state[name] is not self.views[name][i]:
                    return False
        return True


def _split(flat, params, sizes):
    views, offset = [], 0
    for p, size in zip(params, sizes):
        views.append(flat[offset:offset + size].reshape(p.data.shape))
        offset += size
    return views
