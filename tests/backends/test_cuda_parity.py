"""Parity: every op, layer, loss and optimizer step gives on 'cuda' what it gives on 'cpu'.

Each case runs twice from the same float32 inputs (and, for layers, the same initial
weights, drawn on the CPU): once on 'cpu', once on the parity device; values, input
gradients, parameter gradients and buffers must agree to float32 tolerances. The cases are
tables: a new op, layer, loss or optimizer joins with one line. A line may name in ``needs``
something minidl does not have yet (as the conv/pool and Keras lines did while those were
being written): it is skipped with that reason and joins by itself once the name exists;
drop its ``needs`` then, so that losing the name later fails instead of skipping.

The parity device is ``$MINIDL_PARITY_DEVICE``, 'cuda' by default; without a GPU the module
is skipped (reason: the backend's own message). ``MINIDL_PARITY_DEVICE=strict`` runs every
case against the strict backend instead, a stand-in with CuPy's refusals but NumPy's numbers
(so it proves the cases run, not that CuPy computes the same): the suite does that in
``test_parity_standin.py`` so that this module cannot rot without a GPU. Naming a device
that cannot run here, explicitly, is an error, never a skip.
"""
import math
import os
from dataclasses import dataclass

import numpy as np
import pytest

import minidl as mdl
import minidl.nn as nn
import minidl.nn.functional as F
import minidl.optim as optim
from minidl import backends

ENV_VAR = "MINIDL_PARITY_DEVICE"
STAND_INS = ("strict",)  # devices allowed in place of 'cuda' (NumPy underneath)
TOLERANCE = dict(rtol=2e-4, atol=2e-5)  # float32; CuPy's kernels sum in other orders


def _parity_device():
    name = os.environ.get(ENV_VAR, "").strip().lower()
    explicit = bool(name)
    name = name or "cuda"
    if name not in ("cuda",) + STAND_INS:
        raise RuntimeError(f"${ENV_VAR}={name!r}: the parity device must be 'cuda' or a "
                           f"stand-in ({', '.join(STAND_INS)})")
    try:
        backends.get_backend(name)
    except RuntimeError as exc:
        if explicit:
            raise RuntimeError(f"${ENV_VAR}={name!r} cannot run here: {exc}") from exc
        return name, str(exc)
    return name, None


DEVICE, UNAVAILABLE = _parity_device()
pytestmark = pytest.mark.skipif(UNAVAILABLE is not None,
                                reason=f"no CUDA device for the parity tests: {UNAVAILABLE}")


def _lookup(path):
    """The object at a dotted path under ``minidl`` (``'nn.functional.conv2d'``), or None."""
    obj = mdl
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except (AttributeError, ImportError):
            return None
    return obj


def _present(need):
    return _lookup(need) is not None


def _table(cases):
    """pytest params, one per case; a case whose ``needs`` are missing is skipped, saying so."""
    params = []
    for case in cases:
        missing = [n for n in case.needs if not _present(n)]
        marks = [pytest.mark.skip(reason=f"minidl has no {', '.join(missing)} yet")] if \
            missing else []
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


# -- inputs: specs -> the same NumPy arrays for both devices --------------------------------
def real(*shape):
    return ("real", shape)


def positive(*shape):
    return ("positive", shape)


def unit(*shape):
    return ("unit", shape)  # in (0, 1): probabilities, soft targets


def labels(*shape, classes=4):
    return ("labels", shape, classes)


def _draw(spec, rng):
    kind, shape = spec[0], spec[1]
    if kind == "real":
        return rng.standard_normal(shape).astype(np.float32)
    if kind == "positive":
        return rng.uniform(0.5, 2.0, shape).astype(np.float32)
    if kind == "unit":
        return rng.uniform(0.05, 0.95, shape).astype(np.float32)
    if kind == "labels":
        return rng.integers(0, spec[2], shape).astype(np.int64)
    raise ValueError(f"unknown input spec {spec!r}")


def _arrays(specs, seed=0):
    rng = np.random.default_rng(seed)
    return [_draw(s, rng) for s in specs]


def _close(actual, expected, what):
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if actual.dtype.kind in "fc":
        np.testing.assert_allclose(actual, expected, err_msg=what, **TOLERANCE)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _backward(outputs, cotangents, device):
    """d/d(inputs) of sum(output · cotangent): a fixed, non-uniform upstream gradient."""
    total = None
    for out, w in zip(outputs, cotangents):
        if out.requires_grad:
            term = (out * mdl.tensor(w, device=device)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()


def _cotangents(outputs, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape).astype(o.dtype) if o.dtype.kind == "f" else None
            for o in outputs]


# -- ops -------------------------------------------------------------------------------------
@dataclass
class Op:
    name: str
    fn: object            # fn(*tensors) -> Tensor or tuple of Tensors
    inputs: tuple         # input specs (real, positive, unit, labels)
    needs: tuple = ()     # dotted names under minidl that must exist


C = mdl.autograd.ops
OPS = [
    Op("add_broadcast", lambda a, b: a + b, (real(3, 4), real(4))),
    Op("sub", lambda a, b: a - b, (real(3, 4), real(3, 1))),
    Op("mul", lambda a, b: a * b, (real(2, 3, 4), real(3, 4))),
    Op("div", lambda a, b: a / b, (real(3, 4), positive(3, 4))),
    Op("scalar_arithmetic", lambda a: (2.0 - a) * 0.5 / 3.0 + 1.0, (real(5),)),
    Op("neg", lambda a: -a, (real(3, 4),)),
    Op("pow_scalar", lambda a: a ** 3, (real(3, 4),)),
    Op("pow_tensor", lambda a, b: a ** b, (positive(3, 4), real(3, 4))),
    Op("exp", lambda a: a.exp(), (real(3, 4),)),
    Op("log", lambda a: a.log(), (positive(3, 4),)),
    Op("sqrt", lambda a: a.sqrt(), (positive(3, 4),)),
    Op("abs", lambda a: abs(a), (real(3, 4),)),
    Op("tanh", lambda a: a.tanh(), (real(3, 4),)),
    Op("sigmoid", lambda a: a.sigmoid(), (real(3, 4),)),
    Op("relu", lambda a: a.relu(), (real(3, 4),)),
    Op("clip", lambda a: a.clip(-0.5, 0.5), (real(3, 4),)),
    Op("maximum", lambda a, b: C.maximum(a, b), (real(3, 4), real(4))),
    Op("minimum", lambda a, b: C.minimum(a, b), (real(3, 4), real(3, 4))),
    Op("where", lambda a, b: C.where(a > b, a, b), (real(3, 4), real(3, 4))),
    Op("compare", lambda a, b: ((a < b), (a >= 0.0), (a == a)), (real(3, 4), real(3, 4))),
    Op("astype_float64", lambda a: a.astype("float64"), (real(3, 4),)),
    Op("sum_all", lambda a: a.sum(), (real(3, 4),)),
    Op("sum_axis_keepdims", lambda a: a.sum(axis=1, keepdims=True), (real(3, 4, 2),)),
    Op("mean", lambda a: a.mean(axis=(0, 2)), (real(3, 4, 2),)),
    Op("var", lambda a: a.var(axis=0, ddof=1), (real(5, 3),)),
    Op("std", lambda a: a.std(axis=1), (real(5, 3),)),
    Op("max", lambda a: a.max(axis=1), (real(5, 3),)),
    Op("min_all", lambda a: a.min(), (real(5, 3),)),
    Op("argmax_argmin", lambda a: (a.argmax(axis=1), a.argmin()), (real(5, 3),)),
    Op("logsumexp", lambda a: a.logsumexp(axis=-1), (real(5, 3),)),
    Op("softmax", lambda a: a.softmax(axis=-1), (real(5, 3),)),
    Op("log_softmax", lambda a: a.log_softmax(axis=0), (real(5, 3),)),
    Op("matmul", lambda a, b: a @ b, (real(5, 3), real(3, 4))),
    Op("matmul_batched", lambda a, b: a @ b, (real(2, 5, 3), real(3, 4))),
    Op("matmul_vector", lambda a, b: a @ b, (real(5, 3), real(3))),
    Op("linear", lambda x, w, b: C.linear(x, w, b), (real(6, 3), real(4, 3), real(4))),
    Op("linear_relu", lambda x, w, b: C.linear_relu(x, w, b), (real(6, 3), real(4, 3), real(4))),
    Op("reshape", lambda a: a.reshape(4, 3), (real(3, 4),)),
    Op("transpose", lambda a: a.transpose(2, 0, 1), (real(2, 3, 4),)),
    Op("T", lambda a: a.T, (real(3, 4),)),
    Op("swapaxes", lambda a: a.swapaxes(0, 2), (real(2, 3, 4),)),
    Op("flatten", lambda a: a.flatten(1), (real(2, 3, 4),)),
    Op("expand_squeeze", lambda a: a.expand_dims(1).squeeze(1), (real(3, 4),)),
    Op("broadcast_to", lambda a: a.broadcast_to(2, 3, 4), (real(3, 1),)),
    Op("concatenate", lambda a, b: C.concatenate([a, b], axis=1), (real(3, 2), real(3, 4))),
    Op("stack", lambda a, b: C.stack([a, b], axis=0), (real(3, 4), real(3, 4))),
    Op("getitem_basic", lambda a: a[1:, ::2], (real(4, 5),)),
    Op("getitem_repeated_indices", lambda a: a[[0, 2, 2, 0]], (real(4, 5),)),
    Op("getitem_tensor_index", lambda a, i: a[i], (real(4, 5), labels(6))),
    Op("getitem_pairs", lambda a, i: a[mdl.tensor(np.arange(6), device=a.device), i],
       (real(6, 4), labels(6))),
    # nn.functional
    Op("F.linear", lambda x, w, b: F.linear(x, w, b), (real(6, 3), real(4, 3), real(4))),
    Op("F.relu6", lambda a: F.relu6(a * 4.0), (real(3, 4),)),
    Op("F.leaky_relu", lambda a: F.leaky_relu(a, 0.2), (real(3, 4),)),
    Op("F.elu", lambda a: F.elu(a, 0.7), (real(3, 4),)),
    Op("F.prelu", lambda a, w: F.prelu(a, w), (real(3, 4), positive(4))),
    Op("F.softplus", lambda a: F.softplus(a * 10.0, beta=2.0, threshold=5.0), (real(3, 4),)),
    Op("F.softsign", lambda a: F.softsign(a), (real(3, 4),)),
    Op("F.gelu", lambda a: F.gelu(a), (real(3, 4),)),
    Op("F.gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), (real(3, 4),)),
    Op("F.softmax", lambda a: F.softmax(a, dim=1), (real(3, 4),)),
    Op("F.log_softmax", lambda a: F.log_softmax(a, axis=-1), (real(3, 4),)),
    Op("F.dropout_eval", lambda a: F.dropout(a, 0.5, training=False), (real(3, 4),)),
    Op("F.batch_norm_train", lambda x, g, b: F.batch_norm(
        x, None, None, g, b, training=True), (real(8, 3), positive(3), real(3))),
    # convolutions and pooling (NCHW); join once minidl has them
    Op("F.conv2d", lambda x, w, b: F.conv2d(x, w, b, padding=1), (real(2, 3, 6, 6),
       real(4, 3, 3, 3), real(4))),
    Op("F.conv2d_stride_dilation_groups", lambda x, w: F.conv2d(
        x, w, stride=2, dilation=2, groups=2), (real(2, 4, 9, 9), real(6, 2, 3, 3))),
    Op("F.conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2), (real(2, 3, 9), real(4, 3, 3),
       real(4))),
    Op("F.conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1),
       (real(2, 3, 4, 4), real(3, 5, 3, 3), real(5))),
    Op("F.max_pool2d", lambda x: F.max_pool2d(x, 2), (real(2, 3, 6, 6),)),
    Op("F.max_pool2d_overlapping_padded", lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
       (real(2, 3, 7, 7),)),
    Op("F.max_pool1d", lambda x: F.max_pool1d(x, 2), (real(2, 3, 8),)),
    Op("F.avg_pool2d", lambda x: F.avg_pool2d(x, 2, padding=1, count_include_pad=False),
       (real(2, 3, 6, 6),)),
    Op("F.avg_pool1d", lambda x: F.avg_pool1d(x, 3, stride=2), (real(2, 3, 9),)),
    Op("F.adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)), (real(2, 3, 7, 6),)),
    Op("F.unfold", lambda x: F.unfold(x, 3, padding=1, stride=2), (real(2, 3, 6, 6),)),
    Op("F.fold", lambda x: F.fold(x, (4, 4), 2, stride=2), (real(2, 12, 4),)),
    Op("F.pad_constant", lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), (real(2, 3, 4, 4),)),
    Op("F.pad_reflect", lambda x: F.pad(x, (1, 1, 2, 2), mode="reflect"), (real(2, 3, 4, 4),)),
    Op("F.max_pool2d_dilated_ceil", lambda x: F.max_pool2d(x, 2, stride=2, dilation=2,
                                                          ceil_mode=True), (real(2, 3, 7, 7),)),
    Op("F.max_pool2d_indices", lambda x: F.max_pool2d(x, 2, return_indices=True),
       (real(2, 3, 6, 6),)),
    Op("F.avg_pool2d_divisor", lambda x: F.avg_pool2d(x, 3, stride=2, ceil_mode=True,
                                                       divisor_override=4), (real(2, 3, 7, 7),)),
    Op("F.pad_replicate_circular", lambda x: F.pad(F.pad(x, (1, 1, 1, 1), mode="replicate"),
                                                   (2, 0, 0, 2), mode="circular"),
       (real(2, 3, 4, 4),)),
    Op("F.batch_norm_NCHW", lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
       (real(4, 3, 5, 5), positive(3), real(3))),
    Op("F.dropout2d_eval", lambda x: F.dropout2d(x, 0.5, training=False), (real(2, 3, 4, 4),)),
]


def _run_op(case, arrays, device, cotangents=None):
    tensors = [mdl.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in arrays]
    outputs = _outputs(case.fn(*tensors))
    for out in outputs:
        assert out.device == device, f"{case.name}: output on {out.device}, not {device}"
    if cotangents is None:
        cotangents = _cotangents(outputs)
    _backward(outputs, cotangents, device)
    values = [o.numpy() for o in outputs]
    grads = [None if t.grad is None else t.grad.numpy() for t in tensors]
    return values, grads, cotangents


@pytest.mark.parametrize("case", _table(OPS))
def test_op_matches_cpu(case):
    arrays = _arrays(case.inputs)
    ref_values, ref_grads, cotangents = _run_op(case, arrays, "cpu")
    values, grads, _ = _run_op(case, arrays, DEVICE, cotangents)
    for i, (v, r) in enumerate(zip(values, ref_values)):
        _close(v, r, f"{case.name}: output {i}")
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        assert (g is None) == (r is None), f"{case.name}: gradient of input {i} on one side only"
        if r is not None:
            _close(g, r, f"{case.name}: gradient of input {i}")


def test_second_derivative_matches_cpu():
    """create_graph=True on the device: d²/dx² of sum(tanh(x)·x²)."""
    (a,) = _arrays((real(3, 4),))
    results = []
    for device in ("cpu", DEVICE):
        x = mdl.tensor(a, device=device, requires_grad=True)
        (gx,) = mdl.autograd.grad((x.tanh() * x * x).sum(), [x], create_graph=True)
        (ggx,) = mdl.autograd.grad(gx.sum(), [x])
        results.append((gx.numpy(), ggx.numpy()))
    _close(results[1][0], results[0][0], "first derivative")
    _close(results[1][1], results[0][1], "second derivative")


# -- layers ----------------------------------------------------------------------------------
@dataclass
class Layer:
    name: str
    make: object          # make() -> Module, built on the CPU
    input: tuple          # the input spec
    train: bool = True    # forward in training mode (BatchNorm: batch statistics)
    lazy: bool = False    # weights appear at the first call (Keras): call once on the CPU first
    needs: tuple = ()


def _keras(name, *args, **kwargs):
    return lambda: getattr(mdl.keras.layers, name)(*args, **kwargs)


LAYERS = [
    Layer("Linear", lambda: nn.Linear(3, 4), real(5, 3)),
    Layer("Linear_no_bias_3d", lambda: nn.Linear(3, 4, bias=False), real(2, 5, 3)),
    Layer("ReLU", lambda: nn.ReLU(), real(5, 3)),
    Layer("ReLU6", lambda: nn.ReLU6(), real(5, 3)),
    Layer("LeakyReLU", lambda: nn.LeakyReLU(0.1), real(5, 3)),
    Layer("ELU", lambda: nn.ELU(), real(5, 3)),
    Layer("PReLU", lambda: nn.PReLU(3), real(5, 3)),
    Layer("Sigmoid", lambda: nn.Sigmoid(), real(5, 3)),
    Layer("Tanh", lambda: nn.Tanh(), real(5, 3)),
    Layer("Softplus", lambda: nn.Softplus(), real(5, 3)),
    Layer("Softsign", lambda: nn.Softsign(), real(5, 3)),
    Layer("GELU", lambda: nn.GELU(), real(5, 3)),
    Layer("Identity", lambda: nn.Identity(), real(5, 3)),
    Layer("Softmax", lambda: nn.Softmax(dim=1), real(5, 3)),
    Layer("LogSoftmax", lambda: nn.LogSoftmax(dim=1), real(5, 3)),
    Layer("Dropout_eval", lambda: nn.Dropout(0.5), real(5, 3), train=False),
    Layer("Flatten", lambda: nn.Flatten(), real(2, 3, 4)),
    Layer("BatchNorm1d_train", lambda: nn.BatchNorm1d(3), real(8, 3)),
    Layer("BatchNorm1d_eval", lambda: nn.BatchNorm1d(3), real(8, 3), train=False),
    Layer("BatchNorm1d_no_affine", lambda: nn.BatchNorm1d(3, affine=False), real(8, 3)),
    Layer("Sequential", lambda: nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 2)),
          real(5, 3)),
    Layer("MLP", lambda: nn.MLP(3, [8, 6], 4, activation="relu"), real(5, 3)),
    Layer("MLP_batchnorm", lambda: nn.MLP(3, [8], 4, batchnorm=True), real(6, 3)),
    # convolutions and pooling (NCHW)
    Layer("Conv2d", lambda: nn.Conv2d(3, 4, 3, padding=1), real(2, 3, 6, 6)),
    Layer("Conv2d_same_reflect", lambda: nn.Conv2d(2, 3, 3, padding="same",
                                                  padding_mode="reflect"),
          real(2, 2, 5, 5)),
    Layer("Conv1d", lambda: nn.Conv1d(3, 4, 3), real(2, 3, 8)),
    Layer("ConvTranspose2d", lambda: nn.ConvTranspose2d(3, 2, 3, stride=2), real(2, 3, 4, 4)),
    Layer("MaxPool2d", lambda: nn.MaxPool2d(2), real(2, 3, 6, 6)),
    Layer("AvgPool2d", lambda: nn.AvgPool2d(2), real(2, 3, 6, 6)),
    Layer("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d(1), real(2, 3, 5, 5)),
    Layer("BatchNorm2d_train", lambda: nn.BatchNorm2d(3), real(4, 3, 5, 5)),
    Layer("Dropout2d_eval", lambda: nn.Dropout2d(0.5), real(2, 3, 4, 4), train=False),
    Layer("MaxPool1d", lambda: nn.MaxPool1d(3, stride=2, padding=1), real(2, 3, 9)),
    Layer("AvgPool1d", lambda: nn.AvgPool1d(2), real(2, 3, 8)),
    Layer("BatchNorm2d_eval", lambda: nn.BatchNorm2d(3), real(4, 3, 5, 5), train=False),
    Layer("Unflatten", lambda: nn.Unflatten(1, (3, 4)), real(2, 12)),
    Layer("Unfold_Fold", lambda: nn.Sequential(nn.Unfold(2, stride=2),
                                               nn.Fold((4, 4), 2, stride=2)), real(2, 3, 4, 4)),
    Layer("LeNet_like", lambda: nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 3)), real(3, 1, 8, 8)),
    # the Keras face (channels last); built by a first call on the CPU
    Layer("keras.Dense", _keras("Dense", 4, activation="relu"), real(5, 3), lazy=True),
    Layer("keras.Conv2D", _keras("Conv2D", 4, 3, padding="same"), real(2, 6, 6, 3), lazy=True),
    Layer("keras.MaxPooling2D", _keras("MaxPooling2D"), real(2, 6, 6, 3), lazy=True),
    Layer("keras.AveragePooling2D", _keras("AveragePooling2D", 2), real(2, 6, 6, 3), lazy=True),
    Layer("keras.GlobalAveragePooling2D", _keras("GlobalAveragePooling2D"), real(2, 6, 6, 3),
          lazy=True),
    Layer("keras.BatchNormalization", _keras("BatchNormalization"), real(6, 3), lazy=True),
    Layer("keras.Flatten", _keras("Flatten"), real(2, 3, 4), lazy=True),
    Layer("keras.Reshape", _keras("Reshape", (4, 3)), real(2, 3, 4), lazy=True),
    Layer("keras.Activation", _keras("Activation", "gelu"), real(5, 3), lazy=True),
    Layer("keras.Dropout_eval", _keras("Dropout", 0.5), real(5, 3), train=False, lazy=True),
    Layer("keras.Embedding", _keras("Embedding", 4, 3), labels(2, 5), lazy=True),
]


def _build_layer(case, x_array):
    """The layer with the weights of a fixed seed, drawn on the CPU (the same for every run)."""
    mdl.manual_seed(0)
    layer = case.make()
    if case.lazy:
        with mdl.no_grad():
            layer(mdl.tensor(x_array))
    if not hasattr(layer, "to") or not hasattr(layer, "named_parameters"):
        pytest.fail(f"{case.name}: {type(layer).__name__} has no Module interface "
                    "(.to, .named_parameters): give it one, or teach this test its own")
    layer.train(case.train)
    return layer


def _run_layer(case, x_array, device, cotangents=None):
    layer = _build_layer(case, x_array).to(device)
    x = mdl.tensor(x_array, device=device, requires_grad=x_array.dtype.kind == "f")
    outputs = _outputs(layer(x))
    if cotangents is None:
        cotangents = _cotangents(outputs)
    _backward(outputs, cotangents, device)
    found = {"output": outputs[0].numpy(),
             "input grad": None if x.grad is None else x.grad.numpy()}
    for name, p in layer.named_parameters():
        assert p.device == device, f"{case.name}: parameter {name} on {p.device}"
        found[f"grad of {name}"] = None if p.grad is None else p.grad.numpy()
    for name, b in layer.named_buffers():
        found[f"buffer {name}"] = b.numpy()
    return found, cotangents


@pytest.mark.parametrize("case", _table(LAYERS))
def test_layer_matches_cpu(case):
    (x,) = _arrays((case.input,))
    expected, cotangents = _run_layer(case, x, "cpu")
    found, _ = _run_layer(case, x, DEVICE, cotangents)
    assert sorted(found) == sorted(expected)
    for what, ref in expected.items():
        assert (found[what] is None) == (ref is None), f"{case.name}: {what} on one side only"
        if ref is not None:
            _close(np.asarray(found[what]), np.asarray(ref), f"{case.name}: {what}")


# -- losses ----------------------------------------------------------------------------------
@dataclass
class Loss:
    name: str
    make: object          # make(device) -> the loss module (class weights on that device)
    input: tuple
    target: tuple
    needs: tuple = ()


CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 1.5], np.float32)


def _on(array, device):
    return mdl.tensor(array, device=device)


LOSSES = [
    Loss("CrossEntropyLoss", lambda d: nn.CrossEntropyLoss(), real(6, 4), labels(6)),
    Loss("CrossEntropyLoss_sum", lambda d: nn.CrossEntropyLoss(reduction="sum"), real(6, 4),
         labels(6)),
    Loss("CrossEntropyLoss_none", lambda d: nn.CrossEntropyLoss(reduction="none"), real(6, 4),
         labels(6)),
    Loss("CrossEntropyLoss_weight", lambda d: nn.CrossEntropyLoss(
        weight=_on(CLASS_WEIGHT, d)), real(6, 4), labels(6)),
    Loss("CrossEntropyLoss_ignore_index", lambda d: nn.CrossEntropyLoss(ignore_index=2),
         real(6, 4), labels(6)),
    Loss("CrossEntropyLoss_label_smoothing", lambda d: nn.CrossEntropyLoss(label_smoothing=0.1),
         real(6, 4), labels(6)),
    Loss("NLLLoss", lambda d: nn.NLLLoss(weight=_on(CLASS_WEIGHT, d)), real(6, 4), labels(6)),
    Loss("MSELoss", lambda d: nn.MSELoss(), real(6, 3), real(6, 3)),
    Loss("MSELoss_sum", lambda d: nn.MSELoss(reduction="sum"), real(6, 3), real(6, 3)),
    Loss("BCEWithLogitsLoss", lambda d: nn.BCEWithLogitsLoss(), real(6, 3), unit(6, 3)),
    Loss("BCEWithLogitsLoss_pos_weight", lambda d: nn.BCEWithLogitsLoss(
        pos_weight=_on(np.array([1.0, 2.0, 0.5], np.float32), d)), real(6, 3), unit(6, 3)),
    Loss("cross_entropy_soft_targets", lambda d: F.cross_entropy, real(6, 4), unit(6, 4)),
    Loss("cross_entropy_soft_smoothing", lambda d: nn.CrossEntropyLoss(label_smoothing=0.2),
         real(6, 4), unit(6, 4)),
    Loss("cross_entropy_NCHW", lambda d: F.cross_entropy, real(2, 4, 3, 3), labels(2, 3, 3)),
    Loss("CrossEntropyLoss_NCHW_weight_ignore", lambda d: nn.CrossEntropyLoss(
        weight=_on(CLASS_WEIGHT, d), ignore_index=1), real(2, 4, 3, 3), labels(2, 3, 3)),
]


@pytest.mark.parametrize("case", _table(LOSSES))
def test_loss_matches_cpu(case):
    x, y = _arrays((case.input, case.target))
    results = []
    for device in ("cpu", DEVICE):
        logits = mdl.tensor(x, device=device, requires_grad=True)
        loss = case.make(device)(logits, mdl.tensor(y, device=device))
        assert loss.device == device
        (loss * 1.0).sum().backward() if loss.ndim else loss.backward()
        results.append((loss.numpy(), logits.grad.numpy()))
    _close(results[1][0], results[0][0], f"{case.name}: loss")
    _close(results[1][1], results[0][1], f"{case.name}: gradient of the input")


# -- optimizers ------------------------------------------------------------------------------
@dataclass
class Opt:
    name: str
    make: object          # make(params) -> optimizer
    closure: bool = False  # step(closure) (L-BFGS)
    needs: tuple = ()


OPTIMIZERS = [
    Opt("SGD", lambda p: optim.SGD(p, lr=0.1)),
    Opt("SGD_momentum_nesterov_decay", lambda p: optim.SGD(p, lr=0.1, momentum=0.9,
                                                            nesterov=True, weight_decay=0.01)),
    Opt("SGD_dampening", lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5)),
    Opt("Adagrad", lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.01)),
    Opt("RMSprop", lambda p: optim.RMSprop(p, lr=0.01)),
    Opt("RMSprop_centered_momentum", lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9,
                                                             centered=True)),
    Opt("Adadelta", lambda p: optim.Adadelta(p, lr=1.0, weight_decay=0.01)),
    Opt("Adam", lambda p: optim.Adam(p, lr=0.01)),
    Opt("Adam_amsgrad_decay", lambda p: optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.1)),
    Opt("AdamW", lambda p: optim.AdamW(p, lr=0.01)),
    Opt("Adamax", lambda p: optim.Adamax(p, lr=0.01)),
    Opt("NAdam", lambda p: optim.NAdam(p, lr=0.01)),
    Opt("RAdam", lambda p: optim.RAdam(p, lr=0.01)),  # 7 steps: past RAdam's ρ > 5 switch
    Opt("LBFGS", lambda p: optim.LBFGS(p, lr=0.5, max_iter=4), closure=True),
]
STEPS = 7


def _trajectory(case, device):
    """Parameters after each of STEPS steps on a small least-squares-with-tanh problem."""
    rng = np.random.default_rng(3)
    x = mdl.tensor(rng.standard_normal((8, 3)).astype(np.float32), device=device)
    y = mdl.tensor(rng.standard_normal((8, 4)).astype(np.float32), device=device)
    w = nn.Parameter(mdl.tensor(rng.standard_normal((4, 3)).astype(np.float32), device=device))
    b = nn.Parameter(mdl.tensor(np.zeros(4, np.float32), device=device))
    opt = case.make([w, b])

    def closure():
        opt.zero_grad()
        loss = ((C.linear(x, w, b).tanh() - y) ** 2).mean()
        loss.backward()
        return loss

    path = []
    for _ in range(STEPS):
        if case.closure:
            opt.step(closure)
        else:
            closure()
            opt.step()
        path.append((w.numpy().copy(), b.numpy().copy()))
        assert w.device == device and b.device == device
    return path


@pytest.mark.parametrize("case", _table(OPTIMIZERS))
def test_optimizer_steps_match_cpu(case):
    expected = _trajectory(case, "cpu")
    found = _trajectory(case, DEVICE)
    for step, ((w, b), (w_ref, b_ref)) in enumerate(zip(found, expected), start=1):
        _close(w, w_ref, f"{case.name}: weight after step {step}")
        _close(b, b_ref, f"{case.name}: bias after step {step}")


# -- what cannot be compared number for number: random draws, and whole runs ----------------
def test_random_draws_on_the_device_have_the_right_law():
    """The device draws with its own generator: check the distribution, not the numbers."""
    n = 200_000
    u = mdl.rand(n, device=DEVICE)
    z = mdl.randn(n, device=DEVICE)
    assert u.device == DEVICE and u.dtype == np.float32 and z.dtype == np.float32
    u, z = u.numpy(), z.numpy()
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    w = nn.Linear(256, 128).to(DEVICE).weight  # re-initialise on the device, by its generator
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1.0 / math.sqrt(256)
    values = w.numpy()
    assert values.min() >= -bound and values.max() <= bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound


def test_dropout_in_training_mode_keeps_the_right_fraction_scaled():
    x = mdl.ones(400, 500, device=DEVICE, requires_grad=True)
    y = F.dropout(x, 0.3, training=True)
    y.sum().backward()
    values, grads = y.numpy(), x.grad.numpy()
    kept = values != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(values[kept], 1 / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(grads, values)  # the gradient goes through the same mask


def test_a_training_run_matches_cpu_step_by_step():
    """An MLP, cross-entropy and Adam, 10 steps from the same weights and batches."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((80, 12)).astype(np.float32)
    Y = rng.integers(0, 3, 80)
    losses = {}
    for device in ("cpu", DEVICE):
        mdl.manual_seed(0)
        model = nn.MLP(12, [16, 16], 3, batchnorm=True).to(device)
        opt = optim.Adam(model.parameters(), lr=0.01)
        loss_fn = nn.CrossEntropyLoss()
        x, y = mdl.tensor(X, device=device), mdl.tensor(Y, device=device)
        losses[device] = []
        for step in range(10):
            idx = np.arange(step * 8, step * 8 + 8)
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses[device].append(loss.item())
        model.eval()
        losses[device].append(float(loss_fn(model(x), y).item()))
    np.testing.assert_allclose(losses[DEVICE], losses["cpu"], rtol=1e-4)


def test_a_checkpoint_from_the_device_loads_on_the_cpu(tmp_path):
    mdl.manual_seed(0)
    model = nn.MLP(4, [8], 2).to(DEVICE)
    path = tmp_path / "model.npz"
    mdl.save(model.state_dict(), str(path))
    state = mdl.load(str(path), map_location="cpu")
    cpu = nn.MLP(4, [8], 2)
    cpu.load_state_dict(state)
    for (name, p), (_, q) in zip(model.named_parameters(), cpu.named_parameters()):
        assert q.device == "cpu"
        np.testing.assert_array_equal(q.numpy(), p.numpy(), err_msg=name)
