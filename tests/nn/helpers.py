"""Shared helpers of the nn tests: random inputs on a device, and PyTorch comparisons."""
import numpy as np

import minidl as mdl


def randn(rng, *shape, device="cpu", dtype="float64", requires_grad=False, scale=1.0):
    """A Tensor of standard normal values (times ``scale``) from a NumPy generator."""
    data = (rng.standard_normal(shape) * scale).astype(dtype)
    return mdl.tensor(data, requires_grad=requires_grad, device=device)


def torch_of(t, requires_grad=None):
    """A float64 torch tensor with ``t``'s values (a leaf that requires grad if ``t`` does)."""
    import torch
    rg = t.requires_grad if requires_grad is None else requires_grad
    return torch.tensor(t.numpy().astype(np.float64), requires_grad=rg)


def copy_weights(module, torch_module):
    """Load a torch module's state into a minidl module (float64 values)."""
    module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})


def assert_close(actual, expected, rtol=1e-10, atol=1e-12):
    """Compare a minidl Tensor (or array) with a torch tensor (or array)."""
    a = actual if isinstance(actual, np.ndarray) else actual.numpy()
    e = expected.detach().numpy() if hasattr(expected, "detach") else expected
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(e, dtype=np.float64),
                               rtol=rtol, atol=atol)
