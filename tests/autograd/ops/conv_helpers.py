"""Helpers of the convolution tests: second-order comparisons with PyTorch."""
import numpy as np
import pytest

import minidl as mdl


def second_order_torch(mdl_fn, torch_fn, arrays, seed=0, atol=1e-10, rtol=1e-9):
    """Compare values, gradients and second derivatives (create_graph=True) with PyTorch.

    With y = f(inputs) and a random upstream gy (itself a leaf), s = Σᵢ ⟨∂⟨y, gy⟩/∂xᵢ, vᵢ⟩
    for random vᵢ; then ∂s/∂xᵢ and ∂s/∂gy (the Hessian-vector products) must agree.
    Returns the largest deviation seen.
    """
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed + 7)
    ms = [mdl.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    my, ty = mdl_fn(*ms), torch_fn(*ts)
    gy = rng.standard_normal(my.shape)
    mg, tg = mdl.tensor(gy, requires_grad=True), torch.tensor(gy, requires_grad=True)
    m_grads = mdl.autograd.grad(my, ms, mg, create_graph=True)
    t_grads = torch.autograd.grad(ty, ts, tg, create_graph=True)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    ms_ = sum(((g * mdl.tensor(v)).sum() for g, v in zip(m_grads, vs)), mdl.tensor(0.0, dtype="float64"))
    ts_ = sum((g * torch.tensor(v)).sum() for g, v in zip(t_grads, vs))
    m_hvp = mdl.autograd.grad(ms_, ms + [mg], allow_unused=True)
    t_hvp = torch.autograd.grad(ts_, ts + [tg], allow_unused=True)
    worst = float(np.max(np.abs(my.numpy() - ty.detach().numpy())))
    for m, t in list(zip(m_grads, t_grads)) + list(zip(m_hvp, t_hvp)):
        if m is None and t is None:
            continue
        t = np.zeros(m.shape) if t is None else t.detach().numpy()
        m = np.zeros(t.shape) if m is None else m.numpy()
        np.testing.assert_allclose(m, t, atol=atol, rtol=rtol)
        worst = max(worst, float(np.max(np.abs(m - t), initial=0.0)))
    return worst
