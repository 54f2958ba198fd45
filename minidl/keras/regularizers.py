"""Weight penalties added to the training loss (``keras.regularizers``), Keras 3's defaults.

    L1(l1=0.01):            l1 · Σ|w|
    L2(l2=0.01):            l2 · Σ w²          (no factor ½, as Keras)
    L1L2(l1=0.0, l2=0.0):   l1 · Σ|w| + l2 · Σ w²
"""


class Regularizer:
    """Base class: ``regularizer(weight) -> scalar Tensor``."""

    def __call__(self, x):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 · Σ|w| + l2 · Σ w²."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, x):
        total = None
        if self.l1:
            total = x.abs().sum() * self.l1
        if self.l2:
            term = (x * x).sum() * self.l2
            total = term if total is None else total + term
        return total if total is not None else (x * 0.0).sum()

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1 · Σ|w|."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """l2 · Σ w²."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


ALL = {"L1": L1, "L2": L2, "L1L2": L1L2}
_ALIASES = {"l1": "L1", "l2": "L2", "l1_l2": "L1L2"}


def get(identifier):
    """A regularizer from a name (``'l2'``), a config dict, an instance or a callable."""
    if identifier is None or isinstance(identifier, Regularizer) or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        if name not in ALL:
            raise ValueError(f"Unknown regularizer {name!r}; known: {sorted(ALL)}")
        return ALL[name].from_config(identifier.get("config") or {})
    if isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name not in ALL:
            raise ValueError(f"Unknown regularizer {identifier!r}; known: {sorted(_ALIASES)}")
        return ALL[name]()
    raise TypeError(f"Could not interpret regularizer identifier: {identifier!r}")


def serialize(regularizer):
    if regularizer is None:
        return None
    if not isinstance(regularizer, Regularizer):
        raise TypeError(f"cannot serialize regularizer {regularizer!r}")
    return {"module": "keras.regularizers", "class_name": type(regularizer).__name__,
            "config": regularizer.get_config(), "registered_name": None}
