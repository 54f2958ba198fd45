"""im2col / col2im (F.unfold / F.fold): PyTorch's layout, the adjoint identity, gradients."""
import numpy as np
import pytest

import minidl as mdl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from tests.autograd.helpers import compare_torch, leaf, values

UNFOLD = [
    ((2, 3, 5, 5), 2, dict()),
    ((1, 2, 7, 6), (3, 2), dict(dilation=(1, 2), padding=1, stride=(2, 3))),
    ((2, 6, 5), 3, dict(stride=2, padding=1)),                          # unbatched
]


@pytest.mark.parametrize("xs, k, kwargs", UNFOLD)
def test_unfold_fold_gradcheck(xs, k, kwargs, device):
    x = leaf(values(xs), device)
    assert gradcheck(lambda x: F.unfold(x, k, **kwargs), (x,))
    cols = F.unfold(x.detach(), k, **kwargs)
    c = leaf(values(cols.shape, 1), device)
    assert gradcheck(lambda c: F.fold(c, xs[-2:], k, **kwargs), (c,))


@pytest.mark.parametrize("xs, k, kwargs", UNFOLD)
def test_unfold_fold_match_torch(xs, k, kwargs):
    torch = pytest.importorskip("torch")
    compare_torch([xs], lambda x: torch.nn.functional.unfold(x, k, **kwargs),
                  lambda x: F.unfold(x, k, **kwargs))
    cols_shape = F.unfold(mdl.zeros(*xs), k, **kwargs).shape
    compare_torch([cols_shape], lambda c: torch.nn.functional.fold(c, xs[-2:], k, **kwargs),
                  lambda c: F.fold(c, xs[-2:], k, **kwargs))


@pytest.mark.parametrize("xs, k, kwargs", UNFOLD)
def test_im2col_col2im_adjoint(xs, k, kwargs):
    """⟨unfold x, c⟩ = ⟨x, fold c⟩ for random x and c: col2im is exactly im2col's adjoint."""
    x = mdl.tensor(values(xs, 0))
    cols = F.unfold(x, k, **kwargs)
    c = mdl.tensor(values(cols.shape, 1))
    lhs = (cols * c).sum().item()
    rhs = (x * F.fold(c, xs[-2:], k, **kwargs)).sum().item()
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_fold_errors():
    with pytest.raises(ValueError, match="blocks"):
        F.fold(mdl.zeros(1, 4, 5), (3, 3), 2)
    with pytest.raises(ValueError, match="divisible"):
        F.fold(mdl.zeros(1, 5, 4), (3, 3), 2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.unfold(mdl.zeros(1, 1, 2, 2), 3)
