"""scikit-learn-style estimators built on minidl: ``MLPClassifier``.

They keep scikit-learn's parameters, defaults, methods and fitted attributes, so that code
written for ``sklearn.neural_network.MLPClassifier`` runs unchanged, and they work with or
without scikit-learn installed.
"""
from minidl.estimators.mlp_classifier import MLPClassifier
from minidl.estimators.sklearn_compat import ConvergenceWarning

__all__ = ["MLPClassifier", "ConvergenceWarning"]
