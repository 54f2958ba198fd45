"""Print how far minidl.keras is from Keras 3 (torch backend) on every compared case, as
Markdown tables (the numbers of the issue's note):

    KERAS_BACKEND=torch python -m tests.keras.deviation_table

Optimizers: the 20-step trajectories of tests/keras/test_optimizers.py (largest absolute
parameter difference over all steps, and the parameters' total movement for scale).
Losses: value and gradient of each case of test_losses.py. Metrics: the results after each
update of test_metrics.py's sequences.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

import minidl as mdl  # noqa: E402
from minidl.keras import losses, metrics  # noqa: E402
from tests.keras import test_losses, test_metrics, test_optimizers as opt  # noqa: E402


def _case_id(name, options):
    parts = []
    for k, v in options.items():
        parts.append(f"{k}={v[0] if isinstance(v, tuple) else v}")
    return f"{name}({', '.join(parts)})"


def main():
    print("| optimizer case | max abs deviation over 20 steps | parameters moved |")
    print("|---|---|---|")
    for name, options in opt.CASES:
        theirs, _ = opt._keras_trajectory(name, options)
        ours, _ = opt._minidl_trajectory(name, options)
        moved = max(float(np.max(np.abs(x - y))) for x, y in zip(theirs[-1], opt._initial()))
        print(f"| {_case_id(name, options)} | {opt.max_deviation(ours, theirs):.2e} | "
              f"{moved:.3f} |")
    print()
    print("| loss case | value deviation | gradient deviation |")
    print("|---|---|---|")
    for case_id, name, options, y_true, y_pred, sw in test_losses.CASES:
        expected, expected_grad = test_losses.keras_loss(name, options, y_true, y_pred, sw)
        pred = mdl.Tensor(y_pred, requires_grad=True)
        value = getattr(losses, name)(**options)(y_true, pred, sample_weight=sw)
        value.sum().backward()
        dv = float(np.max(np.abs(value.numpy() - expected)))
        dg = float(np.max(np.abs(pred.grad.numpy() - expected_grad)))
        print(f"| {case_id}: {name}{options or ''} | {dv:.2e} | {dg:.2e} |")
    print()
    print("| metric sequence | max abs deviation of result() |")
    print("|---|---|")
    for case_id, name, options, batches, weights in test_metrics.SEQUENCES:
        expected = test_metrics._keras_results(name, options, batches, weights)
        metric = getattr(metrics, name)(**options)
        actual = []
        for i, (y_true, y_pred) in enumerate(batches):
            metric.update_state(y_true, y_pred,
                                sample_weight=None if weights is None else weights[i])
            actual.append(metric.result())
        metric.reset_state()
        actual.append(metric.result())
        print(f"| {case_id}: {name} | {float(np.max(np.abs(np.subtract(actual, expected)))):.2e} |")


if __name__ == "__main__":
    main()
