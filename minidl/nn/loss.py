"""Loss modules (``reduction='mean' | 'sum' | 'none'``), thin wrappers of the functional
losses with PyTorch's arguments. Class weights are buffers, as in PyTorch."""
from minidl.autograd.tensor import Tensor
from minidl.nn import functional as F
from minidl.nn.module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(weight)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits (N, C) and integer labels (N,): one fused, stable node.

    ℓᵢ = w_yᵢ·(log Σ_c e^(xᵢ,c) − xᵢ,yᵢ) (w = 1 without ``weight``); see
    :func:`minidl.nn.functional.cross_entropy` for ``ignore_index`` and ``label_smoothing``.

    Example:
        >>> import minidl as mdl
        >>> loss = mdl.nn.CrossEntropyLoss()(mdl.zeros(4, 10), [1, 2, 3, 4])
        >>> round(loss.item(), 4)  # log(10)
        2.3026
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (N, C) and integer labels (N,):
    ℓᵢ = −w_yᵢ·inputᵢ,yᵢ (use after ``LogSoftmax``)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(_Loss):
    """Mean squared error: ℓ = (input − target)²."""

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, stable for any logit:
    ℓ = (1 − y)·x + (1 + (pos_weight − 1)·y)·log(1 + e⁻ˣ) (times ``weight``)."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(weight)
        if pos_weight is not None and not isinstance(pos_weight, Tensor):
            pos_weight = Tensor(pos_weight)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)


# name -> class: the one table of losses (the Trainer, the Keras face); Keras's names too
LOSSES = {"cross_entropy": CrossEntropyLoss, "sparse_categorical_crossentropy": CrossEntropyLoss,
          "nll": NLLLoss, "mse": MSELoss, "bce_with_logits": BCEWithLogitsLoss}
