"""Values and gradients of every op against PyTorch, one line per op (skipped without torch).

Each line runs the op in float32 and float64 on the same inputs in both libraries, checks the
output shape and dtype, and backpropagates the same random upstream gradient.
"""
import numpy as np
import pytest

import minidl as mdl
from minidl.autograd.ops import linear, linear_relu
from tests.autograd.helpers import compare_torch, positive, values

torch = pytest.importorskip("torch")
F = torch.nn.functional

TIES = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 2.0], [0.5, -4.0, 0.5, -4.0]])
KINKS = np.array([-1.5, -1.0, 0.0, 0.0, 1.0, 2.5])


def away0(shape, seed):
    return values(shape, seed, away_from=(0.0,))


# arithmetic and its reflected forms
def test_add(device): compare_torch([(2, 3), (3,)], lambda a, b: a + b, lambda a, b: a + b, device)
def test_add_scalar_broadcast(device): compare_torch([(2, 1, 3), (4, 1)], torch.add, lambda a, b: a + b, device)
def test_radd(device): compare_torch([(2, 3)], lambda x: 1.5 + x, lambda x: 1.5 + x, device)
def test_sub(device): compare_torch([(2, 3), (2, 1)], lambda a, b: a - b, lambda a, b: a - b, device)
def test_rsub(device): compare_torch([(2, 3)], lambda x: 0.5 - x, lambda x: 0.5 - x, device)
def test_mul(device): compare_torch([(4, 1), (3,)], lambda a, b: a * b, lambda a, b: a * b, device)
def test_rmul(device): compare_torch([(3,)], lambda x: 2 * x, lambda x: 2 * x, device)
def test_div(device): compare_torch([(2, 3), (3,)], lambda a, b: a / b, lambda a, b: a / b, device, make=away0)
def test_rdiv(device): compare_torch([(2, 3)], lambda x: 3 / x, lambda x: 3 / x, device, make=away0)
def test_pow(device): compare_torch([(2, 3), (2, 3)], torch.pow, lambda a, b: a ** b, device, make=positive)
def test_pow_scalar(device): compare_torch([(2, 3)], lambda x: x ** 3, lambda x: x ** 3, device)
def test_pow_fraction(device): compare_torch([(2, 3)], lambda x: x ** -0.5, lambda x: x ** -0.5, device, make=positive)
def test_rpow(device): compare_torch([(2, 3)], lambda x: 2 ** x, lambda x: 2 ** x, device)
def test_pow_zero_exponent(device): compare_torch([KINKS], lambda x: x ** 0, lambda x: x ** 0, device)
def test_neg(device): compare_torch([(2, 3)], lambda x: -x, lambda x: -x, device)
def test_matmul_2d(device): compare_torch([(2, 3), (3, 4)], torch.matmul, lambda a, b: a @ b, device)
def test_matmul_batched(device): compare_torch([(2, 1, 2, 3), (3, 3, 2)], torch.matmul, mdl.matmul, device)
def test_matmul_vector_left(device): compare_torch([(3,), (2, 3, 4)], torch.matmul, lambda a, b: a @ b, device)
def test_matmul_vector_right(device): compare_torch([(2, 3, 4), (4,)], torch.matmul, lambda a, b: a @ b, device)
def test_matmul_dot(device): compare_torch([(3,), (3,)], torch.matmul, lambda a, b: a @ b, device)
def test_matmul_empty(device): compare_torch([(0, 3), (3, 2)], torch.matmul, lambda a, b: a @ b, device)
def test_linear(device): compare_torch([(5, 3), (4, 3), (4,)], F.linear, linear, device)
def test_linear_3d_no_bias(device): compare_torch([(2, 5, 3), (4, 3)], F.linear, linear, device)
def test_linear_relu(device):
    compare_torch([(5, 3), (4, 3), (4,)], lambda *a: F.relu(F.linear(*a)), linear_relu, device)


# comparisons: values only, no gradient
def test_lt(device): compare_torch([(2, 3), (3,)], lambda a, b: a < b, lambda a, b: a < b, device, grad=False)
def test_le(device): compare_torch([TIES, TIES.T[:1].T], lambda a, b: a <= b, lambda a, b: a <= b, device, grad=False)
def test_gt(device): compare_torch([(2, 3)], lambda x: x > 0.5, lambda x: x > 0.5, device, grad=False)
def test_ge(device): compare_torch([TIES], lambda x: x >= 2, lambda x: x >= 2, device, grad=False)
def test_eq(device): compare_torch([TIES, TIES[::-1]], lambda a, b: a == b, lambda a, b: a == b, device, grad=False)
def test_ne(device): compare_torch([TIES], lambda x: x != 2.0, lambda x: x != 2.0, device, grad=False)
def test_argmax(device): compare_torch([(3, 4)], lambda x: x.argmax(1), lambda x: x.argmax(1), device, grad=False)
def test_argmax_flat(device): compare_torch([(3, 4)], torch.argmax, mdl.argmax, device, grad=False)
def test_argmax_keepdims(device): compare_torch([(3, 4)], lambda x: x.argmax(0, keepdim=True), lambda x: x.argmax(0, keepdims=True), device, grad=False)


# indexing
def test_getitem_basic(device): compare_torch([(4, 3, 2)], lambda x: x[1:3, None, ..., -1], lambda x: x[1:3, None, ..., -1], device)
def test_getitem_int(device): compare_torch([(4, 3)], lambda x: x[2], lambda x: x[2], device)
def test_getitem_repeated(device): compare_torch([(4, 3)], lambda x: x[[0, 0, 3, 0]], lambda x: x[[0, 0, 3, 0]], device)
def test_getitem_pairs(device): compare_torch([(4, 3)], lambda x: x[[1, 1, 2], [0, 0, 2]], lambda x: x[[1, 1, 2], [0, 0, 2]], device)
def test_getitem_mask(device): compare_torch([(4, 3)], lambda x: x[x > 0], lambda x: x[x > 0], device)
def test_getitem_column(device): compare_torch([(4, 3)], lambda x: x[:, [2, 2]], lambda x: x[:, [2, 2]], device)


# reductions
def test_sum(device): compare_torch([(2, 3, 4)], torch.sum, mdl.sum, device)
def test_sum_axis(device): compare_torch([(2, 3, 4)], lambda x: x.sum(dim=(0, 2)), lambda x: x.sum(axis=(0, 2)), device)
def test_sum_keepdims(device): compare_torch([(2, 3, 4)], lambda x: x.sum(-1, keepdim=True), lambda x: x.sum(-1, keepdims=True), device)
def test_sum_empty(device): compare_torch([(0, 4)], lambda x: x.sum(0), lambda x: x.sum(0), device)
def test_mean(device): compare_torch([(2, 3, 4)], torch.mean, mdl.mean, device)
def test_mean_axis(device): compare_torch([(2, 3, 4)], lambda x: x.mean(1, keepdim=True), lambda x: x.mean(1, keepdims=True), device)
def test_max(device): compare_torch([TIES], torch.amax, mdl.max, device)
def test_max_axis(device): compare_torch([TIES], lambda x: torch.amax(x, 1), lambda x: x.max(axis=1), device)
def test_max_keepdims(device): compare_torch([TIES], lambda x: torch.amax(x, 0, keepdim=True), lambda x: x.max(0, keepdims=True), device)
def test_min(device): compare_torch([TIES], torch.amin, mdl.min, device)
def test_min_axis(device): compare_torch([TIES], lambda x: torch.amin(x, -1), lambda x: x.min(axis=-1), device)
def test_var(device): compare_torch([(3, 4)], lambda x: torch.var(x, correction=0), mdl.var, device)
def test_var_ddof(device): compare_torch([(3, 4)], lambda x: torch.var(x, 1, correction=1, keepdim=True), lambda x: x.var(1, True, 1), device)
def test_var_axes(device): compare_torch([(2, 3, 4)], lambda x: torch.var(x, (0, 2), correction=0), lambda x: x.var((0, 2)), device)
def test_std(device): compare_torch([(3, 4)], lambda x: torch.std(x, 0, correction=1), lambda x: x.std(0, ddof=1), device)
def test_logsumexp(device): compare_torch([(3, 4)], lambda x: torch.logsumexp(x, 1), lambda x: x.logsumexp(1), device)
def test_logsumexp_all(device): compare_torch([(3, 4)], lambda x: torch.logsumexp(x, (0, 1)), mdl.logsumexp, device)
def test_logsumexp_keepdims(device): compare_torch([(3, 4)], lambda x: torch.logsumexp(x, 0, keepdim=True), lambda x: mdl.logsumexp(x, 0, True), device)


# elementwise functions
def test_exp(device): compare_torch([(2, 3)], torch.exp, mdl.exp, device)
def test_log(device): compare_torch([(2, 3)], torch.log, mdl.log, device, make=positive)
def test_sqrt(device): compare_torch([(2, 3)], torch.sqrt, mdl.sqrt, device, make=positive)
def test_abs(device): compare_torch([KINKS], torch.abs, mdl.abs, device)
def test_tanh(device): compare_torch([(2, 3)], torch.tanh, mdl.tanh, device)
def test_sigmoid(device): compare_torch([(2, 3)], torch.sigmoid, mdl.sigmoid, device)
def test_relu(device): compare_torch([KINKS], torch.relu, mdl.relu, device)
def test_clip(device): compare_torch([KINKS], lambda x: x.clamp(-1.0, 1.0), lambda x: x.clip(-1.0, 1.0), device)
def test_clip_min(device): compare_torch([KINKS], lambda x: x.clamp(min=0.0), lambda x: mdl.clip(x, 0.0), device)
def test_clip_max(device): compare_torch([KINKS], lambda x: x.clamp(max=1.0), lambda x: mdl.clip(x, max=1.0), device)
def test_maximum(device): compare_torch([TIES, TIES[::-1]], torch.maximum, mdl.maximum, device)
def test_minimum(device): compare_torch([TIES, TIES[:, ::-1]], torch.minimum, mdl.minimum, device)
def test_maximum_broadcast(device): compare_torch([(2, 3), (3,)], torch.maximum, mdl.maximum, device)
def test_where(device): compare_torch([(2, 3), (3,)], lambda a, b: torch.where(a > b, a, b * 2), lambda a, b: mdl.where(a > b, a, b * 2), device)
def test_where_scalar(device): compare_torch([(2, 3)], lambda x: torch.where(x > 0, x, 0.5), lambda x: mdl.where(x > 0, x, 0.5), device)
def test_astype(device): compare_torch([(2, 3)], lambda x: x.to(torch.float64) * 2, lambda x: x.astype("float64") * 2, device)
def test_astype_down(device): compare_torch([(2, 3)], lambda x: x.to(torch.float32) * 2, lambda x: x.astype(mdl.float32) * 2, device)


# shapes
def test_reshape(device): compare_torch([(2, 3, 4)], lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1), device)
def test_transpose(device): compare_torch([(2, 3, 4)], lambda x: x.permute(2, 1, 0), lambda x: x.transpose(), device)
def test_transpose_axes(device): compare_torch([(2, 3, 4)], lambda x: x.permute(1, 2, 0), lambda x: mdl.transpose(x, (1, 2, 0)), device)
def test_T(device): compare_torch([(2, 3)], lambda x: x.T, lambda x: x.T, device)
def test_flatten(device): compare_torch([(2, 3, 4)], torch.flatten, mdl.flatten, device)
def test_flatten_start(device): compare_torch([(2, 3, 4)], lambda x: x.flatten(1), lambda x: x.flatten(1), device)
def test_expand_dims(device): compare_torch([(2, 3)], lambda x: x.unsqueeze(-1), lambda x: mdl.expand_dims(x, -1), device)
def test_squeeze(device): compare_torch([(2, 1, 3, 1)], torch.squeeze, mdl.squeeze, device)
def test_squeeze_axis(device): compare_torch([(2, 1, 3, 1)], lambda x: x.squeeze(1), lambda x: x.squeeze(1), device)
def test_concatenate(device): compare_torch([(2, 3), (1, 3)], lambda a, b: torch.cat([a, b, a]), lambda a, b: mdl.concatenate([a, b, a]), device)
def test_concatenate_axis(device): compare_torch([(2, 3), (2, 1)], lambda a, b: torch.cat([a, b], -1), lambda a, b: mdl.concatenate([a, b], axis=-1), device)
def test_stack(device): compare_torch([(2, 3), (2, 3)], lambda a, b: torch.stack([a, b], 1), lambda a, b: mdl.stack([a, b], axis=1), device)
def test_broadcast_to(device): compare_torch([(3, 1)], lambda x: x.broadcast_to(2, 3, 4), lambda x: x.broadcast_to(2, 3, 4), device)


# softmax family, including logits of ±1e4
def test_softmax(device): compare_torch([(3, 4)], lambda x: torch.softmax(x, -1), mdl.softmax, device)
def test_softmax_axis0(device): compare_torch([(3, 4)], lambda x: torch.softmax(x, 0), lambda x: x.softmax(0), device)
def test_log_softmax(device): compare_torch([(3, 4)], lambda x: torch.log_softmax(x, -1), mdl.log_softmax, device)
def test_log_softmax_axis0(device): compare_torch([(3, 4)], lambda x: torch.log_softmax(x, 0), lambda x: x.log_softmax(0), device)


LARGE = np.array([[1e4, -1e4, 0.0, 1e4 - 1.0], [-1e4, -1e4 + 2.0, -1e4, -1e4]])


# torch's float32 logsumexp gradient is exp(x - rounded result), 2e-4 off at 1e4; ours is exact
# to float32, so these compare with torch in float64
def test_logsumexp_large(device): compare_torch([LARGE], lambda x: torch.logsumexp(x, 1), lambda x: x.logsumexp(1), device, torch_float64=True)
def test_softmax_large(device): compare_torch([LARGE], lambda x: torch.softmax(x, 1), mdl.softmax, device, torch_float64=True)
def test_log_softmax_large(device): compare_torch([LARGE], lambda x: torch.log_softmax(x, 1), mdl.log_softmax, device, torch_float64=True)
def test_sigmoid_large(device): compare_torch([np.array([-1e4, -50.0, 0.0, 50.0, 1e4])], torch.sigmoid, mdl.sigmoid, device)
