"""Lesson 9: custom Keras layers — weights made in ``build``, and a non-trainable weight.

``SimpleDense`` makes its kernel and bias in ``build(input_shape)``, so it learns its input size
on the first call (Keras's deferred build). ``ComputeSum`` keeps a running total in a weight
with ``trainable=False``: state that is saved with the model but never trained. Both are
ordinary minidl Modules: ``simple.w`` is a minidl Parameter, its gradient comes from minidl's
autograd.

Run:  python examples/09_keras_custom_layers.py

Expected output:
    SimpleDense(4) on a (2, 3) batch: built=False before the call, True after
    weights: ['simple_dense/w (3, 4) trainable', 'simple_dense/b (4,) trainable']
    output shape (2, 4); gradient of sum(y) w.r.t. b: [2.0, 2.0, 2.0, 2.0]
    ComputeSum: [2.0, 2.0] -> [4.0, 4.0] -> [6.0, 6.0]
    weights: 1, trainable weights: 0, non-trainable weights: 1
    in a model: Sequential(SimpleDense(8), ReLU, SimpleDense(1)) has 25 parameters
    after 200 steps of SGD on y = 2x - 1: loss below 0.01: True, prediction at x=0.75: 0.5
"""
import numpy as np

import minidl as mdl
from minidl import keras


class SimpleDense(keras.layers.Layer):
    """y = x @ w + b, with w and b created once the input size is known."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs):
        return inputs @ self.w + self.b


class ComputeSum(keras.layers.Layer):
    """Adds up every input it sees, in a weight that training does not change."""

    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(shape=(input_dim,), initializer="zeros", trainable=False,
                                     name="total")

    def call(self, inputs):
        self.total.assign(self.total + inputs.sum(axis=0).detach())
        return self.total


def main():
    mdl.manual_seed(0)
    simple = SimpleDense(4)
    before = simple.built
    y = simple(np.ones((2, 3), np.float32))
    print(f"SimpleDense(4) on a (2, 3) batch: built={before} before the call, "
          f"{simple.built} after")
    print("weights:", [f"{w.path} {w.shape} {'trainable' if w.trainable else 'frozen'}"
                       for w in simple.weights])
    y.sum().backward()
    print(f"output shape {y.shape}; gradient of sum(y) w.r.t. b: {simple.b.grad.tolist()}")

    summer = ComputeSum(2)
    totals = [summer(np.ones((2, 2), np.float32)).tolist() for _ in range(3)]
    print("ComputeSum: " + " -> ".join(str(t) for t in totals))
    print(f"weights: {len(summer.weights)}, trainable weights: {len(summer.trainable_weights)}, "
          f"non-trainable weights: {len(summer.non_trainable_weights)}")

    model = keras.Sequential([keras.Input((1,)), SimpleDense(8), keras.layers.Activation("relu"),
                              SimpleDense(1)])
    print(f"in a model: Sequential(SimpleDense(8), ReLU, SimpleDense(1)) has "
          f"{model.count_params()} parameters")
    x = np.linspace(-1, 1, 64, dtype=np.float32)[:, None]
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    for _ in range(200):  # a hand-written training loop: forward, loss, backward, update
        loss = ((model(x, training=True) - (2 * x - 1)) ** 2).mean()
        for w in model.trainable_weights:
            w.grad = None
        loss.backward()
        optimizer.apply_gradients([(w.grad, w) for w in model.trainable_weights])
    prediction = model(np.array([[0.75]], np.float32)).item()
    print(f"after 200 steps of SGD on y = 2x - 1: loss below 0.01: {loss.item() < 0.01}, "
          f"prediction at x=0.75: {prediction:.1f}")


if __name__ == "__main__":
    main()
