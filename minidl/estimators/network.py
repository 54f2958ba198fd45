"""The MLP of ``MLPClassifier`` as minidl ops: forward pass, scikit-learn's loss, its gradient.

Weights are stored as scikit-learn stores them, W of shape (n_in, n_out), so a layer is
``h @ W + b`` and ``coefs_`` are the weights themselves. Gradients come from minidl's autograd.

The loss is scikit-learn's, value and gradient (``_multilayer_perceptron._backprop``):

    L = −(1/S) Σ_i s_i Σ_k [t_ik · log p_ik]  +  α/(2S) · Σ_layers ‖W‖²      (S = Σ_i s_i)

with p = softmax(z) over classes (multiclass), or, for binary and multilabel targets, one
logistic unit per output, whose two outcomes (t, 1 − t) and (σ(z), 1 − σ(z)) are paired on a
last axis. s_i are sample weights (1 when none are given, so S = batch size). Intercepts are
not penalised. scikit-learn evaluates log p with p clipped to [eps, 1 − eps] (eps of the dtype)
while its gradient, p − t, ignores the clip; ``clip_value`` does the same here.
"""
import math

import numpy as np

from minidl.autograd import constant, ops

HIDDEN_ACTIVATIONS = {
    "identity": lambda h: h,
    "logistic": ops.sigmoid,
    "tanh": ops.tanh,
    "relu": ops.relu,
}


def forward(x, coefs, intercepts, activation):
    """Output-layer pre-activations z: h ← act(h @ W + b) for hidden layers, then h @ W + b."""
    act = HIDDEN_ACTIVATIONS[activation]
    h = x
    last = len(coefs) - 1
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        h = ops.linear(h, ops.transpose(W), b)  # h @ W + b as one node (no gradient for x)
        if i != last:
            h = act(h)
    return h


def output_log_probs(z, out_activation):
    """log p with the outcomes on the last axis: (n, K) for softmax, (n, K, 2) for logistic."""
    if out_activation == "softmax":
        return ops.log_softmax(z, axis=1)
    # [−z/2, z/2] has softmax [1 − σ(z), σ(z)]: one stable log-softmax gives both log-terms
    half = constant(z.xp.asarray([-0.5, 0.5], dtype=z.dtype), z)
    return ops.log_softmax(ops.expand_dims(z, -1) * half, axis=-1)


def paired_targets(Y, out_activation, xp):
    """Targets laid out as ``output_log_probs``: Y itself, or stack(1 − Y, Y) for logistic."""
    return Y if out_activation == "softmax" else xp.stack([1 - Y, Y], axis=-1)


def loss(params, x, targets, weight_sum, out_activation, activation, alpha):
    """scikit-learn's regularised log-loss (see the module docstring) as a minidl scalar.

    Args:
        params: coefs then intercepts, as Tensors that require grad.
        x: a batch of inputs, a Tensor of shape (n, n_features).
        targets: ``paired_targets`` of the batch, already multiplied by the sample weights.
        weight_sum: S, the sum of the batch's sample weights (a Python float).
    """
    n_layers = len(params) // 2
    coefs, intercepts = params[:n_layers], params[n_layers:]
    logp = output_log_probs(forward(x, coefs, intercepts, activation), out_activation)
    eps = float(np.finfo(logp.dtype).eps)
    logp = ops.clip_value(logp, math.log(eps), math.log1p(-eps))
    data_loss = (targets * logp).sum() * (-1.0 / weight_sum)
    if alpha == 0:
        return data_loss
    squares = (coefs[0] * coefs[0]).sum()
    for W in coefs[1:]:
        squares = squares + (W * W).sum()
    return data_loss + squares * (0.5 * alpha / weight_sum)


def predict_proba(params, x, out_activation, activation):
    """Output probabilities (softmax or logistic) as a Tensor, without recording a graph."""
    n_layers = len(params) // 2
    z = forward(x, params[:n_layers], params[n_layers:], activation)
    return ops.softmax(z, axis=1) if out_activation == "softmax" else ops.sigmoid(z)
