"""Optimizers (``minidl.optim.SGD``, ``Adam``, ...), learning-rate schedulers
(``minidl.optim.lr_scheduler``) and schedules (``minidl.optim.schedules``).

Each optimizer is one file whose class docstring is its algorithm; they share the loop,
the parameter groups and the state handling of :class:`Optimizer` (optimizer.py).
"""
from minidl.optim import lr_scheduler, schedules
from minidl.optim.adadelta import Adadelta
from minidl.optim.adagrad import Adagrad
from minidl.optim.adam import Adam
from minidl.optim.adamax import Adamax
from minidl.optim.adamw import AdamW
from minidl.optim.lbfgs import LBFGS
from minidl.optim.nadam import NAdam
from minidl.optim.optimizer import Optimizer
from minidl.optim.radam import RAdam
from minidl.optim.rmsprop import RMSprop
from minidl.optim.sgd import SGD

# name -> class: the one table the CLI, the Trainer, the teaching tools (and the Keras face)
# look optimizers up in
OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adadelta": Adadelta,
              "adam": Adam, "adamw": AdamW, "adamax": Adamax, "nadam": NAdam, "radam": RAdam,
              "lbfgs": LBFGS}

__all__ = ["OPTIMIZERS", "Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax",
           "NAdam", "RAdam", "LBFGS", "lr_scheduler", "schedules"]
