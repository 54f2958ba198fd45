"""Values shared between the ranks of a data-parallel job, differentiably.

The op does not know how the ranks talk: the caller (``minidl.distributed``) passes
``reduce(array)``, which sums an array over the ranks in place. autograd stays free of any
communication layer.
"""
from minidl.autograd.function import Function


class SumOverRanks(Function):
    """y = Σ_r x_r (the same on every rank);   gx = Σ_r gy_r

    The objective of data-parallel training is Σ_r L_r, and every rank's L_r depends on y,
    hence on every rank's x: ∂(Σ_s L_s)/∂x_r = Σ_s ∂L_s/∂y. So the gradient is summed over
    the ranks as well. (SyncBatchNorm sums its batch statistics with it.)
    """

    def forward(self, x, reduce):
        self.reduce = reduce
        y = x.copy()  # a fresh C-contiguous array the collective may overwrite
        reduce(y)
        return y

    def backward(self, gy):
        return sum_over_ranks(gy, self.reduce)


def sum_over_ranks(x, reduce):
    """``x`` summed over all ranks with ``reduce(array)`` (in place), with its gradient."""
    return SumOverRanks.apply(x, reduce=reduce)
