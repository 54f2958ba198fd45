"""``Dropout``: inverted dropout (Srivastava et al., 2014), a regulariser active in training."""
from minidl.nn import functional as F
from minidl.nn.module import Module


class Dropout(Module):
    """In training, zero each value with probability p and scale the kept ones by 1/(1 − p), so
    the expected output equals the input; in evaluation, the identity.

    The mask comes from minidl's seeded generator on the input's device. p = 1 gives zeros
    (as PyTorch); p outside [0, 1] is a ValueError.

    Example:
        >>> import minidl as mdl
        >>> drop = mdl.nn.Dropout(0.25)
        >>> drop.eval()(mdl.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """

    def __init__(self, p=0.5):
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Dropout2d(Dropout):
    """Channel dropout: in training, zero each whole channel x[n, c] of (N, C, H, W) input
    with probability p and scale the kept channels by 1/(1 − p); the identity in evaluation.
    Neighbouring pixels of a feature map are correlated, so dropping whole maps regularises
    convolutions where per-pixel dropout would not (Tompson et al., 2015).

    Example:
        >>> import minidl as mdl
        >>> y = mdl.nn.Dropout2d(0.5)(mdl.ones(1, 6, 2, 2))
        >>> sorted(set(y.tolist()[0][0][0]) | set(y.tolist()[0][5][0]))[-1] <= 2.0
        True
    """

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)
