"""Flat parameter groups: a group's parameters, gradients and state as views of flat buffers.

An elementwise optimizer (SGD, Adam, ...) makes about a dozen array operations per parameter
and step; on a small model NumPy's fixed cost per call (about 1 µs) is most of the step. When
the parameters of a group are views of one flat array ``theta``, and their gradients and state
arrays views of flat arrays too, the optimizer's ordinary ``update(theta, g, state)`` runs
once per group on the flat arrays: the same operations in the same order on the same numbers
(elementwise, so bit for bit the per-parameter result), in one call each.

The per-parameter view of everything stays true: ``p.data`` and ``p.grad.data`` are views of
the group's buffers, and ``optimizer.state[p]`` holds views of the flat state arrays (and the
group's scalars, e.g. ``step``), so ``state_dict``, ``load_state_dict``, checkpoints and user
code see the usual per-parameter layout.

The flat gradient buffer ``FlatGroup.grad`` is what data-parallel training all-reduces. Each
parameter's view of it is its gradient buffer (``Tensor.use_grad_buffer``): ops that can
write a leaf's gradient there do (a dense layer's ``gyᵀ @ x``, see
:mod:`minidl.autograd.grad_buffer`), and ``gather_grads()`` copies in the others (and makes
each ``p.grad`` a view of it), after which ``step`` uses it as it is.
"""
from minidl.autograd import grad_buffer
from minidl.autograd.tensor import constant


class FlatGroup:
    """One parameter group packed into flat buffers.

    Attributes:
        params: the group's parameters, in order.
        theta: the flat parameter array; ``p.data`` is ``theta_views[i]``.
        grad: the flat gradient array (content valid after ``gather_grads``).
        state: the group's flat state, as ``update`` reads it: flat arrays for array-valued
            entries (``exp_avg``, ...), the shared value for scalars (``step``, ...).
    """

    __slots__ = ("params", "theta", "theta_views", "grad", "grad_views", "state",
                 "state_views", "param_states", "array_types")

    @classmethod
    def pack(cls, params, state_of, init_state):
        """Pack ``params`` (and their state in ``state_of``, made by ``init_state(p)`` where
        missing) into flat buffers, or return None when the group cannot be packed: arrays of
        different types, devices or dtypes, or states that differ in anything but their
        array values (their step counts, say)."""
        first = params[0].data
        kind = (type(first), first.dtype, getattr(first, "device", None))
        if any((type(p.data), p.data.dtype, getattr(p.data, "device", None)) != kind
               for p in params):
            return None
        states = [state_of.get(p) for p in params]
        if all(state is None for state in states):
            states = [init_state(p) for p in params]
        elif any(state is None for state in states):
            return None
        array_types = params[0].backend.array_types
        shared = _shared_state(states, params, array_types)
        if shared is None:
            return None
        xp = params[0].xp
        self = cls()
        self.array_types = array_types
        self.params = tuple(params)
        self.theta = _concatenate(xp, [p.data for p in params])
        self.theta_views = _split(self.theta, params)
        for p, view in zip(params, self.theta_views):
            p.set_(view)  # the parameter now lives in the group's buffer (same values)
        self._adopt_grad_buffer()
        self.state = {name: _concatenate(xp, [state[name] for state in states])
                      if value is _ARRAYS else value for name, value in shared.items()}
        self.state_views = {}  # name -> (flat array, its per-parameter views)
        self.param_states = states
        for p, state in zip(params, states):
            state_of[p] = state
        self.scatter_state()
        return self

    @property
    def views(self):
        """``{name: [each parameter's view of the flat state array name]}``."""
        return {name: views for name, (_, views) in self.state_views.items()}

    def matches(self, params, state_of):
        """Whether this packing still describes ``params``, their arrays and their state (a
        parameter moved to another device, or ``load_state_dict``, undoes it)."""
        if len(params) != len(self.params):
            return False
        for i, p in enumerate(params):
            if p is not self.params[i] or p.data is not self.theta_views[i] \
                    or state_of.get(p) is not self.param_states[i]:
                return False
        for name, value in self.state.items():
            views = self.state_views.get(name)
            for i, state in enumerate(self.param_states):
                mine = value if views is None else views[1][i]
                if state.get(name) is not mine:
                    return False
        return True

    def gather_grads(self):
        """Copy each parameter's gradient into ``grad`` (unless it already is its view) and
        make ``p.grad`` that view. Returns the flat gradient, or None if a parameter has none."""
        params, views = self.params, self.grad_views
        for p in params:
            if p.grad is None:
                return None
        copy = [p for p, view in zip(params, views) if p.grad.data is not view]
        if not copy:
            return self.grad  # (backward wrote every gradient into its view: nothing to do)
        for p in copy:
            if grad_buffer.held_elsewhere(p):
                # A gradient of an earlier step that someone kept lives in the buffer: leave
                # it to them and take new memory (the other gradients are copied over below).
                self._new_grad_buffer()
                views = self.grad_views
                break
        for p, view in zip(params, views):
            if p.grad.data is not view:  # (backward wrote it elsewhere: copy it in)
                view[...] = p.grad.data
                p.grad = constant(view, p)
                grad_buffer.handed_out(p)
        return self.grad

    def _new_grad_buffer(self):
        first = self.params[0]
        self.grad = first.xp.zeros(self.theta.size, dtype=first.dtype)
        offset = 0
        for p in self.params:  # backward may write each gradient there (no copy then)
            p.use_grad_buffer(self.grad, offset)
            offset += p.data.size
        self.grad_views = [grad_buffer.buffer_of(p) for p in self.params]

    def _adopt_grad_buffer(self):
        """Take the parameters' gradient buffers as the flat gradient when they already lie
        end to end in one array (``DistributedDataParallel``'s buckets), else make one."""
        found = grad_buffer.region(self.params)
        if found is None or found[0].dtype != self.theta.dtype:
            self._new_grad_buffer()
            return
        flat, start, stop = found
        self.grad = flat[start:stop]
        self.grad_views = [grad_buffer.buffer_of(p) for p in self.params]

    def part_bounds(self, index, count):
        """``(start, stop)`` of the index-th of ``count`` stretches of the flat buffers (equal
        up to one element)."""
        n = self.theta.size
        return n * index // count, n * (index + 1) // count

    def update_part(self, update, options, index, count):
        """``update`` on one stretch of the flat buffers only (see ``part_bounds``). Elementwise,
        so that stretch ends exactly as a whole update would leave it; a state array that
        ``update`` makes anew (SGD's first momentum buffer) gets the group's full size, its
        other stretches zero, and scalars (``step``) are kept as the update leaves them."""
        start, stop = self.part_bounds(index, count)
        array_types = self.array_types
        parts = {name: value[start:stop] if isinstance(value, array_types) else value
                 for name, value in self.state.items()}
        state = dict(parts)
        update(self.theta[start:stop], self.grad[start:stop], state, **options)
        for name, value in state.items():
            if not isinstance(value, array_types):
                self.state[name] = value
            elif value is not parts.get(name):  # made or replaced by update, not in place
                full = self.state.get(name)
                if not isinstance(full, array_types):
                    full = self.params[0].xp.zeros(self.theta.size, dtype=value.dtype)
                full[start:stop] = value
                self.state[name] = full

    def scatter_state(self):
        """After ``update``: hand every parameter its views of the flat state arrays (new ones
        too, e.g. SGD's first momentum buffer) and the group's scalars."""
        for name, value in self.state.items():
            if isinstance(value, self.array_types):
                known = self.state_views.get(name)
                if known is not None and known[0] is value:
                    continue  # updated in place: every parameter already holds its view
                known = self.state_views[name] = (value, _split(value, self.params))
                for state, view in zip(self.param_states, known[1]):
                    state[name] = view
            else:
                self.state_views.pop(name, None)
                for state in self.param_states:
                    state[name] = value


_ARRAYS = object()  # marks a state entry that holds one array per parameter


def _shared_state(states, params, array_types):
    """``{name: shared scalar or _ARRAYS}`` if every state has the same entries, equal scalars
    and arrays shaped like their parameters; else None."""
    names = list(states[0])
    if any(set(state) != set(names) for state in states):
        return None
    result = {}
    for name in names:
        values = [state[name] for state in states]
        arrays = [isinstance(v, array_types) for v in values]
        if all(arrays):
            if any(v.shape != p.data.shape or v.dtype != p.data.dtype
                   for v, p in zip(values, params)):
                return None
            result[name] = _ARRAYS
        elif any(arrays) or any(v != values[0] for v in values[1:]):
            return None
        else:
            result[name] = values[0]
    return result


def _concatenate(xp, arrays):
    """One flat array holding ``arrays`` end to end (a copy)."""
    flat = xp.empty(sum(a.size for a in arrays), dtype=arrays[0].dtype)
    offset = 0
    for array in arrays:
        flat[offset:offset + array.size] = array.reshape(-1)
        offset += array.size
    return flat


def _split(flat, params):
    """Views of ``flat``, one per parameter, in the parameters' shapes."""
    views, offset = [], 0
    for p in params:
        size = p.data.size
        views.append(flat[offset:offset + size].reshape(p.data.shape))
        offset += size
    return views
