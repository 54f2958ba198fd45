"""``SyncBatchNorm``: batch normalisation whose statistics are taken over the global batch.

With plain BatchNorm each rank normalises with the mean and variance of its own shard, so
data-parallel training differs from one process on the whole batch. SyncBatchNorm sums the
per-channel statistics over the ranks (two small collectives per forward, two more in
backward), so its output, its gradients and its running statistics equal those of one
``BatchNorm`` over the concatenated batch.
"""
from minidl.autograd.creation import tensor
from minidl.autograd.grad_mode import no_grad
from minidl.autograd.ops import concatenate
from minidl.autograd.ops.collective import sum_over_ranks
from minidl.distributed import transport
from minidl.distributed.world import init
from minidl.nn.batchnorm import BatchNorm1d


class SyncBatchNorm(BatchNorm1d):
    """y = γ·(x − μ)/√(σ² + eps) + β per channel (axis 1), μ and σ² over every rank's batch.

    For input (N, C, *) on each of P ranks, with n = Σ_r N_r·(values per channel per sample):

        μ  = (1/n) · Σ_r Σ x            σ² = (1/n) · Σ_r Σ (x − μ)²      (biased)
        running_mean ← (1 − m)·running_mean + m·μ
        running_var  ← (1 − m)·running_var + m·σ²·n/(n − 1)             (unbiased)

    Both sums over the ranks are differentiable collectives (the gradient is summed over the
    ranks too). Evaluation uses the running statistics, as BatchNorm does; in a world of one
    it *is* BatchNorm. Arguments as :class:`minidl.nn.BatchNorm1d`; any number of trailing
    axes is accepted.

    Example:
        >>> import minidl as mdl
        >>> from minidl.distributed import SyncBatchNorm
        >>> bn = SyncBatchNorm(2)
        >>> y = bn(mdl.tensor([[1.0, 10.0], [3.0, 30.0]]))
        >>> [round(v, 3) for v in y[:, 0].tolist()], [round(v, 3) for v in bn.running_mean.tolist()]
        ([-1.0, 1.0], [0.2, 2.0])
    """

    def forward(self, x):
        c = self.num_features
        if x.ndim < 2 or x.shape[1] != c:
            raise ValueError(f"SyncBatchNorm: expected input of shape (N, {c}, ...), got "
                             f"{x.shape}")
        shape = (1, c) + (1,) * (x.ndim - 2)  # a per-channel vector, broadcast against x
        use_batch_stats = self.training or self.running_mean is None
        if not use_batch_stats:
            var = self.running_var.detach()
            centred = x - self.running_mean.detach().reshape(shape)
        else:
            mean, var, n, centred = self._global_stats(x, shape)
            if self.training and self.track_running_stats:
                self._update_running_stats(mean, var, n)
        y = centred / (var.reshape(shape) + self.eps).sqrt()
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        return y

    def _global_stats(self, x, shape):
        """μ, σ² over every rank's batch, n (the values per channel, all ranks) and x − μ."""
        world = init()
        backend = x.backend

        def reduce(array):
            transport.start_all_reduce(world, array, backend, "sum", "SyncBatchNorm").wait()

        c = self.num_features
        axes = (0,) + tuple(range(2, x.ndim))
        # one collective for Σx and the count: [Σx per channel..., values per channel]
        count = tensor([float(x.size // c)], dtype=x.dtype, device=x.device)
        sums = sum_over_ranks(concatenate([x.sum(axis=axes), count]), reduce)
        n = float(sums[c].item())
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {x.shape} (summed over {world.size} ranks)")
        mean = sums[:c] / n
        centred = x - mean.reshape(shape)
        var = sum_over_ranks((centred * centred).sum(axis=axes), reduce) / n
        return mean, var, n, centred

    def _update_running_stats(self, mean, var, n):
        self.num_batches_tracked.data += 1
        self.num_batches_tracked.bump_version()
        if self.momentum is None:  # cumulative moving average
            m = 1.0 / float(self.num_batches_tracked.item())
        else:
            m = self.momentum
        with no_grad():
            for buffer, value in ((self.running_mean, mean.data),
                                  (self.running_var, var.data * (n / (n - 1.0)))):
                data = buffer.data
                data *= 1.0 - m
                data += value * m
                buffer.bump_version()

    @classmethod
    def convert_sync_batchnorm(cls, module):
        """``module`` with every BatchNorm (1d, 2d, ...) replaced by a SyncBatchNorm that shares
        its parameters and buffers (and its train/eval mode); other modules are kept as they
        are. Returns the new top module (the same object unless it is itself a BatchNorm).

        Example:
            >>> import minidl as mdl
            >>> from minidl.distributed import SyncBatchNorm
            >>> model = mdl.nn.MLP(4, [8], 2, batchnorm=True)
            >>> model = SyncBatchNorm.convert_sync_batchnorm(model)
            >>> type(model.layers[1]).__name__
            'SyncBatchNorm'
        """
        if isinstance(module, BatchNorm1d) and not isinstance(module, SyncBatchNorm):
            sync = cls(module.num_features, module.eps, module.momentum, module.affine,
                       module.track_running_stats, device=_device_of(module),
                       dtype=_dtype_of(module))
            for name in ("weight", "bias"):
                value = getattr(module, name)
                if value is not None:
                    setattr(sync, name, value)
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(sync, name, getattr(module, name))
            sync.train(module.training)
            return sync
        children = list(module.named_children())
        converted = [(name, cls.convert_sync_batchnorm(child)) for name, child in children]
        if any(new is not old for (_, old), (_, new) in zip(children, converted)):
            for name, child in converted:  # re-assign all, in order, so that the order stays
                setattr(module, name, child)
        return module


def _device_of(module):
    for t in list(module.parameters()) + list(module.buffers()):
        return t.device
    return None


def _dtype_of(module):
    for t in list(module.parameters()) + [module.running_mean]:
        if t is not None:
            return t.dtype
    return None
