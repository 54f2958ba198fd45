"""``BatchNormalization`` with Keras's conventions (axis=−1, momentum 0.99, epsilon 1e-3)."""
from minidl.autograd.grad_mode import no_grad
from minidl.keras import initializers, regularizers
from minidl.keras.layers.base import InputSpec, Layer
from minidl.nn import functional as F


class BatchNormalization(Layer):
    """y = γ·(x − μ)/√(σ² + ε) + β per feature of ``axis``, statistics over every other axis.

    Training (``fit``, or a call with training=True): μ, σ² are the batch mean and *biased*
    variance, and the moving statistics follow them:

        moving_mean     ← momentum·moving_mean     + (1 − momentum)·μ
        moving_variance ← momentum·moving_variance + (1 − momentum)·σ²

    Keras's ``momentum`` is the weight of the *old* value (0.99): PyTorch's ``momentum`` is the
    weight of the new one (0.1), and PyTorch stores the unbiased variance. Inference uses
    the moving statistics. A frozen layer (``trainable = False``) always runs in inference
    mode, as in Keras (fine-tuning keeps the statistics it learned).

    Weights, in Keras's order: gamma (if ``scale``), beta (if ``center``), moving_mean,
    moving_variance (the last two not trainable).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if beta_constraint is not None or gamma_constraint is not None:
            raise NotImplementedError("BatchNormalization: weight constraints are not supported")
        if not isinstance(axis, int):
            raise NotImplementedError(f"BatchNormalization: axis must be one int, got {axis!r}")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.synchronized = synchronized
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        axis = self.axis % len(input_shape)
        features = input_shape[axis]
        if features is None:
            raise ValueError(f"BatchNormalization '{self.name}': axis {self.axis} of the input "
                             f"shape {input_shape} must be known")
        shape = (features,)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma",
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta",
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean", trainable=False,
                                           initializer=self.moving_mean_initializer)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               trainable=False,
                                               initializer=self.moving_variance_initializer)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: features})

    def call(self, inputs, training=None):
        axis = self.axis % inputs.ndim
        x = inputs
        if axis != inputs.ndim - 1:  # bring the feature axis last
            order = [a for a in range(inputs.ndim) if a != axis] + [axis]
            x = x.transpose(order)
        moved_shape = x.shape
        x = x.reshape((-1, moved_shape[-1]))  # (values per feature, features)
        if training and self.trainable:
            y = self._normalize_with_batch_statistics(x)
        else:
            y = F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                             training=False, eps=self.epsilon)
        y = y.reshape(moved_shape)
        if axis != inputs.ndim - 1:
            inverse = [0] * inputs.ndim
            for position, a in enumerate(order):
                inverse[a] = position
            y = y.transpose(inverse)
        return y

    def _normalize_with_batch_statistics(self, x):
        n = x.shape[0]
        if n > 1:  # the fused node of minidl.nn (running statistics are kept here instead)
            y = F.batch_norm(x, None, None, self.gamma, self.beta, training=True,
                             eps=self.epsilon)
        else:  # a batch of one: σ² = 0, as Keras allows (PyTorch refuses it)
            mean = x.mean(axis=0)
            y = (x - mean) / ((x - mean) * (x - mean) + self.epsilon).sqrt()
            if self.gamma is not None:
                y = y * self.gamma
            if self.beta is not None:
                y = y + self.beta
        with no_grad():
            data = x.data
            mean = data.mean(axis=0)
            variance = data.var(axis=0)
            m = self.momentum
            self.moving_mean.data[...] = self.moving_mean.data * m + mean * (1.0 - m)
            self.moving_variance.data[...] = self.moving_variance.data * m + variance * (1.0 - m)
            self.moving_mean.bump_version()
            self.moving_variance.bump_version()
        return y

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": None, "gamma_constraint": None,
            "synchronized": self.synchronized})
        return config


