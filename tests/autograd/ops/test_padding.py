"""F.pad in its four modes: values and gradients against PyTorch, gradient checks, errors."""
import pytest

import minidl as mdl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from tests.autograd.helpers import compare_torch, leaf, values

CASES = [((2, 3, 4, 5), (2, 1, 3, 0)), ((2, 3, 5), (1, 4)), ((1, 2, 3, 4, 4), (1, 1, 2, 0, 1, 1))]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("xs, pad", CASES)
def test_pad(xs, pad, mode, device):
    if mode == "reflect" and len(pad) == 6:
        pad = (1, 1, 2, 0, 1, 1)
    x = leaf(values(xs), device)
    assert gradcheck(lambda x: F.pad(x, pad, mode), (x,))
    if device == "cpu":
        torch = pytest.importorskip("torch")
        compare_torch([xs], lambda x: torch.nn.functional.pad(x, pad, mode),
                      lambda x: F.pad(x, pad, mode))


def test_constant_pad_value_and_negative_pads(device):
    torch = pytest.importorskip("torch")
    x = leaf(values((2, 3, 5, 4)), device)
    assert gradcheck(lambda x: F.pad(x, (-1, 2, 1, -2), value=1.5), (x,))
    compare_torch([(2, 3, 5, 4)], lambda x: torch.nn.functional.pad(x, (-1, 2, 1, -2), value=1.5),
                  lambda x: F.pad(x, (-1, 2, 1, -2), value=1.5))


@pytest.mark.parametrize("args, message", [
    (((1, 2, 3), (1,)), "even"),
    (((1, 2, 3), (3, 0), "reflect"), "smaller than"),
    (((1, 2, 3), (4, 0), "circular"), "exceed"),
    (((3,), (1, 1), "reflect"), "more axes"),
    (((1, 2, 3), (-1, 0), "replicate"), "negative"),
    (((1, 2, 3), (1, 0), "wrap"), "mode"),
])
def test_pad_errors(args, message):
    shape, pad, *mode = args
    with pytest.raises(ValueError, match=message):
        F.pad(mdl.zeros(*shape), pad, *mode)
