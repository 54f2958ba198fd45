"""Keras's learning-rate schedules (``minidl.keras.optimizers.schedules``): the ones of
:mod:`minidl.optim.schedules`, which follow Keras's formulas, under Keras's import path."""
from minidl.optim.schedules import (CosineDecay, ExponentialDecay, InverseTimeDecay,
                                    LearningRateSchedule, PiecewiseConstantDecay,
                                    PolynomialDecay)

__all__ = ["LearningRateSchedule", "PiecewiseConstantDecay", "ExponentialDecay",
           "InverseTimeDecay", "CosineDecay", "PolynomialDecay"]
