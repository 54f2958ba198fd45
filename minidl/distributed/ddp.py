"""``DistributedDataParallel``: the same model on every rank, gradients averaged in buckets.

Each rank runs forward and backward on its own shard of the batch. When the model is
wrapped, rank 0's parameters and buffers are copied to every rank, so all replicas start
equal; after every ``backward()`` each parameter's gradient is the mean over the ranks,

    g = (1/P) · Σ_r ∇θ L_r,

which for equal shards and a mean loss is exactly the gradient of the whole (concatenated)
batch. Every rank then takes the same optimizer step and the replicas stay equal.

How the averaging overlaps the backward pass (PyTorch's reducer, in small):

- The parameters are grouped, in *reverse* registration order (the order their gradients
  tend to become ready), into buckets of at most ``bucket_cap_mb`` megabytes.
- Each parameter's gradient buffer is its slice of the bucket (``Tensor.use_grad_buffer``),
  so backward writes dense gradients straight into the bucket. Each parameter has a
  post-accumulate gradient hook. When the last gradient of a bucket is ready, any gradient
  that is not in its slice yet is copied there and a non-blocking ``Iallreduce`` starts on
  the bucket, while backward carries on with the layers below.
- Buckets are started strictly in bucket order, so every rank issues the same collectives in
  the same order whatever order its hooks fire in.
- A callback queued on the engine runs when backward ends: it starts the buckets still
  waiting (a parameter with no gradient on this rank contributes zeros), waits for all of
  them, divides by P, and sets each ``.grad`` to its slice of the bucket. A parameter that no
  rank produced a gradient for keeps ``grad = None`` (a count per parameter is summed beside
  the bucket), so optimizers skip it as they would in one process.
- The buckets of a (dtype, device) are stretches of one array in registration order, and an
  optimizer over the same parameters takes it as its flat gradient: the gradients are
  written once, reduced in place and read by the update where they are.
- When every rank runs on this machine, that array of a host (dtype, device) is a
  ``transport.SharedArray``: each rank can read the others' copies, and a bucket is summed
  in shared memory when the pass finishes (each rank adds up its stretch of all copies and
  writes the sum into every copy, between two barriers) instead of by MPI messages, which
  copy every byte through MPI's own buffers (and, without a progress thread, move only
  inside MPI calls, so little overlapped backward anyway). ``$MINIDL_DIST_SHARED_MEMORY=0``
  keeps the messages.
"""
import contextlib
import numbers

from minidl.autograd import grad_buffer
from minidl.autograd.creation import tensor
from minidl.autograd.engine import queue_callback
from minidl.autograd.tensor import constant
from minidl.distributed import transport
from minidl.distributed.collectives import all_gather
from minidl.distributed.world import init
from minidl.nn.module import Module

_MB = 1024 * 1024


class DistributedDataParallel(Module):
    """Data-parallel training of ``module``: gradients averaged over the ranks in ``backward()``.

    Args:
        module: the model (the same architecture on every rank).
        bucket_cap_mb: the largest bucket of gradients reduced in one collective, in MiB.
        broadcast_buffers: copy rank 0's buffers (BatchNorm running statistics) to every rank
            at the start of each training forward, as PyTorch does; with ``SyncBatchNorm``
            they are equal anyway.

    ``forward`` calls the module; ``state_dict`` keys carry the ``module.`` prefix (as
    PyTorch's). Use :meth:`no_sync` to accumulate gradients locally over several backward
    passes; the first backward outside it averages the accumulated sum.

    Example:
        >>> import minidl as mdl
        >>> from minidl.distributed import DistributedDataParallel
        >>> model = DistributedDataParallel(mdl.nn.Linear(3, 2))  # a world of one here
        >>> model(mdl.ones(4, 3)).sum().backward()
        >>> model.module.weight.grad.shape
        (2, 3)
    """

    def __init__(self, module, bucket_cap_mb=25, broadcast_buffers=True):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a minidl.nn.Module, got "
                            f"{type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, numbers.Real) \
                or not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive number "
                             f"of MiB, got {bucket_cap_mb!r}")
        self.module = module
        self.world = init()
        self.bucket_cap_mb = bucket_cap_mb
        self.broadcast_buffers = bool(broadcast_buffers)
        self.require_backward_grad_sync = True
        params = [p for p in module.parameters() if p.requires_grad]
        self._check_same_model(params)
        self._broadcast(list(module.parameters()) + list(module.buffers()))
        self.buckets = _bucket_layout(params, bucket_cap_mb * _MB, self.world)
        self._slot = {id(p): b for b, bucket in enumerate(self.buckets) for p in bucket.params}
        self._pass = None  # the reduction of the backward pass in progress
        self._grad_hooks = [p.register_post_accumulate_grad_hook(self._on_grad_ready)
                            for p in params]

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.training and self.world.size > 1:
            self._broadcast(list(self.module.buffers()))
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, ``backward()`` accumulates gradients locally without communicating.

        Example:
            >>> import minidl as mdl
            >>> from minidl.distributed import DistributedDataParallel
            >>> model = DistributedDataParallel(mdl.nn.Linear(2, 1))
            >>> with model.no_sync():
            ...     model(mdl.ones(1, 2)).sum().backward()   # local only
            >>> model(mdl.ones(1, 2)).sum().backward()       # averages the sum of both
            >>> model.module.bias.grad
            tensor([2.])
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self):
        return (f"world_size={self.world.size}, buckets={len(self.buckets)}, "
                f"bucket_cap_mb={self.bucket_cap_mb}")

    # -- during backward ------------------------------------------------------------------
    def _on_grad_ready(self, param):
        if not self.require_backward_grad_sync or self.world.size == 1:
            return
        if self._pass is None:
            self._pass = _Reduction(self.buckets, self.world)
            queue_callback(self._finish_pass)
        self._pass.ready(self._slot[id(param)])

    def _finish_pass(self):
        reduction, self._pass = self._pass, None
        reduction.finish()

    # -- setup -----------------------------------------------------------------------------
    def _check_same_model(self, params):
        """Every rank must wrap the same architecture: compare counts and sizes first."""
        if self.world.size == 1:
            return
        mine = [len(params), sum(p.size for p in params)]
        ranks = [t.tolist() for t in all_gather(tensor(mine, dtype="int64"))]
        if any(r != mine for r in ranks):
            found = ", ".join(f"rank {i}: {r[0]} parameters, {r[1]} values"
                              for i, r in enumerate(ranks))
            raise ValueError("DistributedDataParallel: the ranks wrap different models ("
                             f"{found}); every rank must build the same model")

    def _broadcast(self, tensors):
        """Rank 0's values into ``tensors`` on every rank (all started, then all awaited)."""
        if self.world.size == 1:
            return
        started = []
        for t in tensors:
            array = t.data
            flags = getattr(array, "flags", None)
            if flags is not None and not flags.c_contiguous:
                raise ValueError(f"DistributedDataParallel: a parameter or buffer of shape "
                                 f"{t.shape} is not contiguous")
            started.append(transport.start_broadcast(self.world, array, t.backend, 0,
                                                     "DistributedDataParallel broadcast"))
        for pending, t in zip(started, tensors):
            pending.wait()
            t.bump_version()


class Bucket:
    """Parameters whose gradients are reduced together: one dtype, one device, one stretch
    ``flat[start:stop]`` of their gradient array, where each parameter's gradient buffer is."""

    __slots__ = ("params", "flat", "shared", "start", "stop", "views", "counts")

    def __init__(self, params, flat, start, stop, shared=None):
        self.params = params          # in reverse registration order (as gradients get ready)
        self.flat = flat
        self.shared = shared          # the transport.SharedArray that flat is, if any
        self.start = start
        self.stop = stop
        self.views = [grad_buffer.buffer_of(p) for p in params]
        self.counts = None            # made per pass: 1 per gradient on this rank

    @property
    def numel(self):
        return self.stop - self.start


def _bucket_layout(params, cap_bytes, world):
    """Buckets of at most ``cap_bytes`` (a larger parameter gets one of its own), filled in
    reverse parameter order, one open bucket per (dtype, device).

    The gradients of each (dtype, device) live in one flat array in registration order, and
    each parameter gets its slice as gradient buffer (``Tensor.use_grad_buffer``): backward
    writes dense gradients straight into the buckets, and an optimizer over the same
    parameters takes that array as its flat gradient, so nothing is copied per step. When
    the ranks share one machine, a host array is a ``transport.SharedArray``: the buckets
    are then summed through shared memory rather than by MPI messages."""
    groups = {}
    for p in params:
        groups.setdefault((p.dtype, p.device), []).append(p)
    flats, shared = {}, {}
    for key, members in groups.items():
        numel = sum(p.size for p in members)
        if members[0].backend.name == "cpu":  # (a collective: the same groups on every rank)
            shared[key] = transport.SharedArray.allocate(world, numel, members[0].dtype)
        if shared.get(key) is not None:
            flat = shared[key].array
        else:
            flat = members[0].xp.zeros(numel, dtype=members[0].dtype)
        offset = 0
        for p in members:
            p.use_grad_buffer(flat, offset)
            offset += p.size
        flats[key] = flat
    buckets, open_buckets = [], {}  # key -> [params in reverse order, stop, bytes]
    for p in reversed(params):
        key = (p.dtype, p.device)
        start = grad_buffer.region([p])[1]
        bucket = open_buckets.get(key)
        if bucket is not None and (bucket[2] + p.size) * p.dtype.itemsize > cap_bytes:
            bucket = None
        if bucket is None:
            bucket = open_buckets[key] = [[], start + p.size, 0]
            buckets.append((key, bucket))
        bucket[0].append(p)
        bucket[2] += p.size
    made = []
    for key, (members, stop, numel) in buckets:
        made.append(Bucket(members, flats[key], stop - numel, stop, shared.get(key)))
    return made


class _Reduction:
    """The gradient reduction of one backward pass."""

    def __init__(self, buckets, world):
        self.buckets = buckets
        self.world = world
        self.waiting = [len(b.params) for b in buckets]  # gradients each bucket still needs
        self.next = 0           # buckets start in order: the next one to start
        self.pending = []       # each started bucket's collectives

    def ready(self, b):
        self.waiting[b] -= 1
        while self.next < len(self.buckets) and self.waiting[self.next] == 0:
            self._start(self.next)
        for pending in self.pending:  # let MPI progress the ones in flight
            pending[0].test()

    def _start(self, b):
        """Put the bucket's gradients in its stretch of the flat array (backward has written
        most of them there already; zeros where none) with a 1 per gradient in a small count
        array, and start summing both over the ranks."""
        bucket = self.buckets[b]
        first = bucket.params[0]
        xp = first.xp
        counts = xp.ones(len(bucket.params), dtype=first.dtype)
        for i, (p, view) in enumerate(zip(bucket.params, bucket.views)):
            if p.grad is None:
                view[...] = 0
                counts[i] = 0
            elif p.grad.data is not view:
                view[...] = p.grad.data
        bucket.counts = counts
        what = "DistributedDataParallel gradients"
        region = bucket.flat[bucket.start:bucket.stop]
        if bucket.shared is not None:
            grads = transport.start_shared_all_reduce(bucket.shared, bucket.start, bucket.stop,
                                                      what)
        else:
            grads = transport.start_all_reduce(self.world, region, first.backend, "sum", what)
        self.pending.append((
            grads,
            transport.start_all_reduce(self.world, counts, first.backend, "sum", what),
            region))
        self.next = b + 1

    def finish(self):
        """Start what is left (parameters without gradients here), wait, average, hand out."""
        while self.next < len(self.buckets):
            self._start(self.next)
        size = self.world.size
        # for P a power of two, g·(1/P) is g/P to the last bit (both are g/P rounded once,
        # 1/P being exact), and a product costs half a division
        reciprocal = 1.0 / size if size & (size - 1) == 0 else None
        for bucket, (grads, counts, region) in zip(self.buckets, self.pending):
            grads.wait()
            counts.wait()
            if reciprocal is None:
                region /= size
            else:
                region *= reciprocal
            had_grad = bucket.params[0].backend.to_numpy(bucket.counts)  # (one transfer)
            for i, (p, view) in enumerate(zip(bucket.params, bucket.views)):
                if had_grad[i] == 0:  # no rank had a gradient for it
                    p.grad = None
                elif p.grad is None or p.grad.data is not view:
                    p.grad = constant(view, p)
                    grad_buffer.handed_out(p)
