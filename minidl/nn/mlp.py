"""``MLP``: a multi-layer perceptron built from Linear, BatchNorm1d, an activation and Dropout."""
from minidl.nn.activation import ACTIVATIONS
from minidl.nn.batchnorm import BatchNorm1d
from minidl.nn.container import Sequential
from minidl.nn.dropout import Dropout
from minidl.nn.linear import Linear
from minidl.nn.module import Module
from minidl.nn.registry import register_model



class MLP(Module):
    """A stack of fully connected layers: each hidden block is
    Linear → BatchNorm1d (if ``batchnorm``) → activation → Dropout (if ``dropout`` > 0),
    and the output layer is a plain Linear (no activation: it gives logits).

    All layers sit in one flat ``Sequential`` named ``layers``, so ``state_dict`` keys are
    ``'layers.<index>.<name>'``: with ``MLP(784, [128], 10, batchnorm=True, dropout=0.2)`` they
    are ``layers.0.weight/bias`` (Linear), ``layers.1.weight/bias/running_mean/running_var/
    num_batches_tracked`` (BatchNorm1d), then ReLU at 2 and Dropout at 3 (no state) and
    ``layers.4.weight/bias`` (the output Linear).

    Args:
        in_features: input size.
        hidden_sizes: the sizes of the hidden layers (a sequence of ints; may be empty).
        out_features: output size.
        activation: ``'relu'``, ``'tanh'``, ``'sigmoid'``, ``'leaky_relu'``, ``'elu'``,
            ``'identity'`` (also ``'gelu'``, ``'softplus'``, ``'relu6'``, ``'softsign'``,
            ``'prelu'``), or a Module class to instantiate per block.
        dropout: the drop probability after each hidden activation (0 for none).
        batchnorm: whether to add BatchNorm1d after each hidden Linear.

    Example:
        >>> import minidl as mdl
        >>> model = mdl.nn.MLP(4, [8, 8], 3, activation='tanh')
        >>> model(mdl.zeros(5, 4)).shape, len(model.layers)
        ((5, 3), 5)
    """

    def __init__(self, in_features, hidden_sizes, out_features, activation="relu", dropout=0.0,
                 batchnorm=False):
        super().__init__()
        if isinstance(hidden_sizes, int):
            hidden_sizes = [hidden_sizes]
        hidden_sizes = list(hidden_sizes)
        if isinstance(activation, str):
            if activation not in ACTIVATIONS:
                raise ValueError(f"MLP: unknown activation {activation!r}; choose one of "
                                 f"{sorted(ACTIVATIONS)} or pass a Module class")
            make_activation = ACTIVATIONS[activation]
        elif callable(activation):
            make_activation = activation
        else:
            raise TypeError(f"MLP: activation must be a name or a Module class, got {activation!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        self.in_features = in_features
        self.hidden_sizes = tuple(hidden_sizes)
        self.out_features = out_features
        self.activation = activation if isinstance(activation, str) else activation.__name__
        self.dropout = dropout
        self.batchnorm = batchnorm
        layers = Sequential()
        size = in_features
        for width in hidden_sizes:
            layers.add(Linear(size, width))
            if batchnorm:
                layers.add(BatchNorm1d(width))
            layers.add(make_activation())
            if dropout > 0:
                layers.add(Dropout(dropout))
            size = width
        layers.add(Linear(size, out_features))
        self.layers = layers

    def forward(self, x):
        return self.layers(x)  # (Sequential fuses each Linear → ReLU pair into one node)


register_model("mlp", MLP)  # checkpoints record {"name": "mlp", "args": {...}} (nn.registry)
