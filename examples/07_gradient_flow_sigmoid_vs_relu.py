"""Lesson 7: gradient flow through depth, sigmoid against ReLU.

Backpropagation multiplies, layer after layer, by the activation's derivative. The sigmoid's
derivative is at most 1/4, so in a deep sigmoid network the gradient reaching the first
layers shrinks roughly geometrically with depth (vanishing gradients). ReLU's derivative is
1 where the unit is active: with He (Kaiming) initialisation, weights of variance 2/fan_in,
the gradient keeps its scale through many layers. PyTorch's default initialisation (also
minidl's) draws smaller weights (variance 1/(3·fan_in)), so even ReLU networks lose gradient
with depth, only far more slowly than sigmoid ones.

For MLPs of growing depth (hidden width 64, one batch of 64 random inputs, cross-entropy),
the table shows the gradient norm of the first and of the last Linear layer's weight, and
their ratio first/last: sigmoid and ReLU with the default initialisation, and ReLU with He
initialisation (nn.init.kaiming_normal_).

Run:  python examples/07_gradient_flow_sigmoid_vs_relu.py
      MINIDL_EXAMPLE_QUICK=1 python examples/07_gradient_flow_sigmoid_vs_relu.py  (depth ≤ 8)

Expected output:
    depth  activation  |grad W first|  |grad W last|  first/last
        1  sigmoid          9.080e-02     5.342e-01    1.70e-01
        1  relu             2.699e-01     3.730e-01    7.24e-01
        1  relu+He          7.339e-01     1.233e+00    5.95e-01
        2  sigmoid          1.296e-02     4.353e-01    2.98e-02
        2  relu             1.014e-01     1.391e-01    7.29e-01
        2  relu+He          6.885e-01     1.230e+00    5.60e-01
        4  sigmoid          2.711e-04     4.474e-01    6.06e-04
        4  relu             1.617e-02     4.436e-02    3.65e-01
        4  relu+He          9.173e-01     2.451e+00    3.74e-01
        8  sigmoid          1.173e-07     5.132e-01    2.28e-07
        8  relu             4.483e-04     3.656e-02    1.23e-02
        8  relu+He          4.848e-01     7.148e-01    6.78e-01
       16  sigmoid          1.311e-14     2.577e-01    5.09e-14
       16  relu             2.893e-07     3.350e-02    8.64e-06
       16  relu+He          8.465e-01     1.795e+00    4.72e-01
"""
import os

import numpy as np

import minidl as mdl

QUICK = os.environ.get("MINIDL_EXAMPLE_QUICK") == "1"
DEPTHS = (1, 2, 4, 8) if QUICK else (1, 2, 4, 8, 16)


def gradient_norms(activation, depth, seed=0):
    mdl.manual_seed(seed)
    he = activation == "relu+He"
    model = mdl.nn.MLP(32, [64] * depth, 10, activation="relu" if he else activation)
    if he:
        for m in model.modules():
            if isinstance(m, mdl.nn.Linear):
                mdl.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    rng = np.random.default_rng(seed)
    x = mdl.tensor(rng.standard_normal((64, 32)).astype(np.float32))
    y = mdl.tensor(rng.integers(0, 10, 64))
    mdl.nn.CrossEntropyLoss()(model(x), y).backward()
    linears = [m for m in model.modules() if isinstance(m, mdl.nn.Linear)]
    norm = lambda p: float(np.linalg.norm(p.grad.numpy()))  # noqa: E731
    return norm(linears[0].weight), norm(linears[-1].weight)


def main():
    print("depth  activation  |grad W first|  |grad W last|  first/last")
    for depth in DEPTHS:
        for activation in ("sigmoid", "relu", "relu+He"):
            first, last = gradient_norms(activation, depth)
            print(f"{depth:>5}  {activation:<10}  {first:>14.3e}  {last:>12.3e}  "
                  f"{first / last:>10.2e}")


if __name__ == "__main__":
    main()
