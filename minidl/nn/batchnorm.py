"""``BatchNorm1d`` (Ioffe & Szegedy, 2015): normalise each channel over the batch."""
from minidl import backends, dtypes
from minidl.autograd.tensor import constant
from minidl.nn import functional as F
from minidl.nn.checks import check_input_dtype
from minidl.nn.module import Module
from minidl.nn.parameter import Parameter


class BatchNorm1d(Module):
    """y = γ·(x − μ)/√(σ² + eps) + β per channel, for input (N, C) or (N, C, L).

    Training: μ, σ² are the batch mean and biased variance (one fused node), and the buffers
    are updated in place:  running_mean ← (1 − m)·running_mean + m·μ,
    running_var ← (1 − m)·running_var + m·σ²·n/(n − 1)  (unbiased; n values per channel),
    with m = ``momentum``, or m = 1/num_batches_tracked (a cumulative average) when momentum is
    None. Evaluation: μ, σ² are the running statistics (so a batch of one works). Without
    ``track_running_stats`` there are no buffers and batch statistics are always used.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for numerical stability.
        momentum: the weight of the new batch in the running statistics (None: cumulative).
        affine: learn γ (``weight``, init 1) and β (``bias``, init 0).
        track_running_stats: keep ``running_mean`` (init 0), ``running_var`` (init 1) and
            ``num_batches_tracked`` as buffers (saved in ``state_dict``).

    Example:
        >>> import minidl as mdl
        >>> bn = mdl.nn.BatchNorm1d(2)
        >>> y = bn(mdl.tensor([[1.0, 10.0], [3.0, 30.0]]))
        >>> [round(v, 3) for v in y[:, 0].tolist()], [round(v, 3) for v in bn.running_mean.tolist()]
        ([-1.0, 1.0], [0.2, 2.0])
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None):
        super().__init__()
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1] or None, got {momentum}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        backend = backends.get_backend(device)
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
        xp = backend.xp

        def make(array):
            return constant(array, backend)

        if affine:
            self.weight = Parameter(make(xp.ones((num_features,), dtype=dtype)))
            self.bias = Parameter(make(xp.zeros((num_features,), dtype=dtype)))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", make(xp.zeros((num_features,), dtype=dtype)))
            self.register_buffer("running_var", make(xp.ones((num_features,), dtype=dtype)))
            self.register_buffer("num_batches_tracked", make(xp.zeros((), dtype="int64")))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data.fill(0)
            self.running_var.data.fill(1)
            self.num_batches_tracked.data.fill(0)
            for t in (self.running_mean, self.running_var, self.num_batches_tracked):
                t.bump_version()

    def forward(self, x):
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d: expected input of shape (N, {self.num_features}) or "
                             f"(N, {self.num_features}, L), got {x.shape}")
        check_input_dtype(self, x, self.weight if self.weight is not None else self.running_mean)
        use_batch_stats = self.training or self.running_mean is None
        if use_batch_stats and x.size // max(self.num_features, 1) <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {x.shape}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            self.num_batches_tracked.bump_version()
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        track = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm2d(BatchNorm1d):
    """y = γ·(x − μ)/√(σ² + eps) + β per channel of (N, C, H, W) input, statistics over N, H
    and W (the same fused node as :class:`BatchNorm1d` on the (N, C, H·W) view); running
    statistics, momentum and evaluation exactly as there.

    Example:
        >>> import minidl as mdl
        >>> bn = mdl.nn.BatchNorm2d(3)
        >>> bn(mdl.randn(4, 3, 5, 5)).shape, bn.running_mean.shape
        ((4, 3, 5, 5), (3,))
    """

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d: expected input of shape (N, {self.num_features}, H, W) "
                             f"(4-D), got {x.shape}")
        return super().forward(x.reshape(x.shape[:2] + (x.shape[2] * x.shape[3],))).reshape(
            x.shape)
