"""Data-parallel ``fit``: one Keras model per rank of an MPI job, each on its part of every batch.

When ``minidl.distributed.init()`` has joined a job of more than one rank (a script launched
with ``mpiexec -n N python -m mpi4py train.py``), ``Model.fit``

- copies rank 0's weights to every rank before training, and draws the shuffled order of each
  epoch on rank 0 (all ranks take the same global batches of ``batch_size`` samples);
- has rank r compute on its stretch of each batch (n_r samples, sizes within one of each
  other) and the optimizer apply the gradient of the whole batch,

      g = Σ_r n_r · g_r / Σ_r n_r        (g_r: the gradient of rank r's mean loss),

  the same on every rank, so the replicas stay equal; for a model without dropout or batch
  statistics this is the single-process fit to rounding;
- sums the epoch's loss and metric states over the ranks, so that the epoch logs (and so
  ``History``, ``EarlyStopping``, ``ModelCheckpoint``'s monitor) describe all the data; the
  per-batch values of the progress bar are rank 0's own;
- evaluates the validation data whole on every rank (the replicas are equal), and after
  each epoch copies rank 0's non-trainable weights (BatchNormalization's moving statistics,
  which each rank updates from its own part) to all;
- prints only on rank 0, and runs the callbacks that write files (``ModelCheckpoint``,
  ``CSVLogger``, ``TensorBoard``) only there. Save the model yourself on rank 0 only
  (``if dist.is_main_process(): model.save(...)``).
"""
import numpy as np

from minidl.autograd.tensor import Tensor

class DataParallelFit:
    """The ranks of one ``fit`` (see the module's docstring)."""

    def __init__(self, world):
        self.world = world
        self.part = 0      # this rank's samples in the current batch
        self.batch = 0     # the batch's samples over all ranks

    @classmethod
    def of_job(cls):
        """A DataParallelFit when this process is one of several ranks that joined with
        ``minidl.distributed.init()``, else None (one process: the ordinary fit)."""
        from minidl import distributed
        if not distributed.is_initialized() or distributed.get_world_size() == 1:
            return None
        return cls(distributed.get_world())

    @property
    def is_main(self):
        return self.world.rank == 0

    # -- before training ------------------------------------------------------------------
    def check_sizes(self, n, batch_size):
        """Every batch must give each rank a sample at least, or there is nothing to split."""
        size = self.world.size
        if batch_size < size or n < size:
            raise ValueError(f"fit: a data-parallel fit over {size} ranks needs batch_size and "
                             f"the number of samples to be at least {size} (got batch_size="
                             f"{batch_size}, {n} samples)")

    def callbacks(self, callbacks):
        """The callbacks this rank runs: all of them on rank 0; elsewhere all but writers."""
        from minidl.keras.callbacks import CSVLogger, ModelCheckpoint, TensorBoard
        callbacks = list(callbacks or [])
        if self.is_main:
            return callbacks
        writers = (ModelCheckpoint, CSVLogger, TensorBoard)
        return [cb for cb in callbacks if not isinstance(cb, writers)]

    def share_weights(self, weights):
        """Rank 0's values of ``weights`` (Tensors) on every rank."""
        from minidl.distributed import transport
        started = [transport.start_broadcast(self.world, w.data, w.backend, 0,
                                             "keras fit: the weights of rank 0")
                   for w in weights]
        for pending, w in zip(started, weights):
            pending.wait()
            w.bump_version()

    # -- every epoch ------------------------------------------------------------------------
    def batches(self, n, batch_size, shuffle, rng, batch_slices):
        """Rank 0's batches of the epoch, the same index arrays on every rank."""
        from mpi4py import MPI
        order = np.concatenate(batch_slices(n, batch_size, shuffle, rng)) if self.is_main \
            else np.empty(n, dtype=np.int64)
        order = np.ascontiguousarray(order, dtype=np.int64)
        self.world.comm.Bcast([order, MPI.INT64_T], root=0)
        return [order[start:start + batch_size] for start in range(0, n, batch_size)]

    def my_part(self, index):
        """This rank's stretch of the batch ``index`` (possibly empty)."""
        size, rank = self.world.size, self.world.rank
        n = len(index)
        start, stop = n * rank // size, n * (rank + 1) // size
        self.part, self.batch = stop - start, n
        return index[start:stop]

    def aggregate(self, grads, variables):
        """The gradients of the whole batch from each rank's (None: no gradient there): one
        all-reduce of n_r · g_r per dtype, a count per variable riding along."""
        from minidl.autograd import constant
        from minidl.distributed import transport
        out = list(grads)
        groups = {}
        for i, v in enumerate(variables):
            groups.setdefault((v.dtype, v.device), []).append(i)
        for members in groups.values():
            first = variables[members[0]]
            xp = first.xp
            sizes = [variables[i].size for i in members]
            flat = xp.zeros(sum(sizes) + len(members), dtype=first.dtype)
            offset = 0
            for k, (i, size) in enumerate(zip(members, sizes)):
                g = grads[i]
                if g is not None:
                    g = g.data if isinstance(g, Tensor) else g
                    xp.multiply(g.reshape(-1), self.part, out=flat[offset:offset + size])
                    flat[len(flat) - len(members) + k] = 1
                offset += size
            transport.start_all_reduce(self.world, flat, first.backend, "sum",
                                       "keras fit: gradients").wait()
            flat[:offset] /= self.batch
            had = first.backend.to_numpy(flat[offset:])
            offset = 0
            for k, (i, size) in enumerate(zip(members, sizes)):
                v = variables[i]
                out[i] = (constant(flat[offset:offset + size].reshape(v.shape), v)
                          if had[k] else None)
                offset += size
        return out

    def totals(self, loss_sum, seen, metrics):
        """The epoch's loss sum and sample count over all ranks; the metrics' states summed
        over the ranks in place (their results then describe all the data)."""
        states = [m.state_values() for m in metrics]
        flat = [loss_sum, seen] + [v for state in states for v in state]
        summed = self.world.all_sum(flat)
        offset = 2
        for m, state in zip(metrics, states):
            m.set_state_values(summed[offset:offset + len(state)])
            offset += len(state)
        return summed[0], summed[1]
