"""Softmax cross-entropy as one fused node, beside its composite twin (the readable reference).

The node runs forward and backward on raw arrays: one node instead of ~10, fewer temporaries,
and the gradient (softmax − onehot) never forms log(0). Under ``create_graph=True`` its
backward is the vector-Jacobian product of the twin (see ``FusedFunction``).
"""
from minidl.autograd.ops.fused import FusedFunction
from minidl.autograd.ops.reduce import logsumexp
from minidl.autograd.tensor import constant
from minidl.backends import fast_scalars


# -- softmax cross-entropy ---------------------------------------------------------------------
class SoftmaxCrossEntropy(FusedFunction):
    """ℓᵢ = (1 − ε)·wᵢ·(lseᵢ − xᵢ,ᵧᵢ) + (ε/C)·vᵢ·Σ_c w_c·(lseᵢ − xᵢ,c),  lseᵢ = log Σ_c e^(xᵢ,c)
    gxᵢ = [(1 − ε)·wᵢ·(pᵢ − onehot(yᵢ)) + (ε/C)·vᵢ·(W·pᵢ − w)] · gyᵢ,   p = softmax(x)

    x: logits (N, C); y: labels (N,) (ignored rows hold 0); wᵢ = w[yᵢ]·vᵢ the sample weights
    (v = 1 where the label is not ``ignore_index``), w the class weights (all 1 if None),
    W = Σ_c w_c, ε the label smoothing. 'mean' divides Σℓᵢ by Σwᵢ (PyTorch's weighted mean),
    so gyᵢ = gy / Σwᵢ; 'sum': gyᵢ = gy; 'none': gy is a vector.
    """
    def forward(self, x, labels=None, sample_weight=None, class_weight=None, valid=None,
                label_smoothing=0.0, reduction="mean", denominator=None):
        xp = self.xp
        self.save_inputs(0)
        self.labels, self.sample_weight, self.class_weight = labels, sample_weight, class_weight
        self.valid, self.eps, self.reduction = valid, label_smoothing, reduction
        n, c = x.shape
        rows = xp.arange(n)
        self.rows = rows
        # subtract the row max so exp cannot overflow (±1e4 logits stay finite)
        shifted = x - x.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_total = xp.log(total)
        loss = log_total[:, 0] - shifted[rows, labels]    # −log pᵧ = lse − xᵧ (shifted)
        e /= total
        self.p = e  # softmax, kept for backward
        if sample_weight is not None:
            loss *= sample_weight
        if label_smoothing > 0:
            log_p = shifted - log_total
            smooth = -(log_p.sum(axis=1) if class_weight is None else log_p @ class_weight)
            if valid is not None:
                smooth *= valid
            loss *= 1.0 - label_smoothing
            loss += smooth * (label_smoothing / c)
        if reduction == "none":
            return loss
        total_loss = loss.sum()
        if reduction == "mean":
            self.denominator = denominator
            total_loss = total_loss / denominator
        return xp.asarray(total_loss, dtype=x.dtype)

    def backward_arrays(self, gy):
        g = self.p.copy()
        one, = fast_scalars(g, 1.0)
        g[self.rows, self.labels] -= one
        eps = self.eps
        if self.sample_weight is not None:
            g *= self.sample_weight[:, None]
        if eps > 0:
            g *= 1.0 - eps
            c = g.shape[1]
            w = self.class_weight
            smooth = self.p * (float(c) if w is None else w.sum()) - (1.0 if w is None else w)
            if self.valid is not None:
                smooth *= self.valid[:, None]
            g += smooth * (eps / c)
        if self.reduction == "none":
            g *= gy[:, None]
        elif self.reduction == "mean":
            denominator = self.denominator
            if isinstance(denominator, int):  # (N, as a 0-d array: same number, faster op)
                denominator, = fast_scalars(g, denominator)
            g *= gy / denominator
        else:
            g *= gy
        return g

    def release(self):
        super().release()
        self.p = None  # the softmax is not needed once the backward pass is done

    def twin(self, x):
        def const(array):
            return None if array is None else constant(array, x)
        denominator = self.denominator if self.reduction == "mean" else None
        if denominator is not None:
            denominator = constant(self.xp.asarray(denominator, dtype=x.dtype), x)
        return softmax_cross_entropy_composite(
            x, self.labels, const(self.sample_weight), const(self.class_weight),
            const(self.valid), self.eps, self.reduction, denominator)


def softmax_cross_entropy_composite(x, labels, sample_weight=None, class_weight=None,
                                    valid=None, label_smoothing=0.0, reduction="mean",
                                    denominator=None):
    """The readable reference of :class:`SoftmaxCrossEntropy`, from primitive ops
    (the same arguments, as Tensors; ``labels`` an integer array)."""
    n, c = x.shape
    log_p = x - logsumexp(x, axis=1, keepdims=True)
    loss = -log_p[x.xp.arange(n), labels]
    if sample_weight is not None:
        loss = loss * sample_weight
    if label_smoothing > 0:
        weighted = log_p if class_weight is None else log_p * class_weight
        smooth = -weighted.sum(axis=1)
        if valid is not None:
            smooth = smooth * valid
        loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / c)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.sum() / denominator
    return loss.sum()


