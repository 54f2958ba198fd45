"""minidl's MLPClassifier against scikit-learn's: accuracy and fit time, solver × dataset.

    python benchmarks/estimator_vs_sklearn.py [--data ROOT] [--device cpu] [--threads 1]

Both estimators get the same hyperparameters and random_state and are timed in the same run,
one after the other. Datasets: scikit-learn's digits (1,257 train / 540 test, stratified) and
an MNIST subset (the first 10,000 training images / the first 2,000 test images, from the
data root, default $MINIDL_DATA). Prints a Markdown table.
"""
import argparse
import os
import time
import warnings

import numpy as np

HIDDEN = (100,)
SOLVERS = {
    "adam": dict(solver="adam", max_iter=50),
    "sgd": dict(solver="sgd", learning_rate_init=0.1, max_iter=50),
    "lbfgs": dict(solver="lbfgs", max_iter=200),
}


def load_datasets(root):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    X, y = load_digits(return_X_y=True)
    sets = {"digits": train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=0)}
    if root:
        from minidl.data import mnist
        X, y = mnist.load("train", root=root, download=False)
        X_test, y_test = mnist.load("test", root=root, download=False)
        sets["mnist 10k/2k"] = (X[:10000].reshape(10000, -1) / 255.0,
                                X_test[:2000].reshape(2000, -1) / 255.0, y[:10000], y_test[:2000])
    return sets


def run(estimator, data):
    X_train, X_test, y_train, y_test = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter, for both
        start = time.perf_counter()
        estimator.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    return 100 * estimator.score(X_test, y_test), seconds, estimator.n_iter_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MINIDL_DATA"),
                        help="data root holding mnist/ (default $MINIDL_DATA; none: digits only)")
    parser.add_argument("--device", default="cpu", help="minidl device (cpu or cuda)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for both libraries (default 1; 0: library default)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import minidl as mdl
    from sklearn.neural_network import MLPClassifier as SkMLP

    from minidl.estimators import MLPClassifier
    mdl.set_default_device(args.device)
    limit = None
    if args.threads:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(limits=args.threads, user_api="blas")

    rows = []
    for name, data in load_datasets(args.data).items():
        for solver, params in SOLVERS.items():
            params = dict(params, hidden_layer_sizes=HIDDEN, random_state=args.seed)
            ours = run(MLPClassifier(**params), data)
            theirs = run(SkMLP(**params), data)
            rows.append((solver, name, ours, theirs))
            print(f"  {solver:5s} {name:12s} minidl {ours[0]:.2f}% {ours[1]:.2f}s "
                  f"({ours[2]} it) | sklearn {theirs[0]:.2f}% {theirs[1]:.2f}s ({theirs[2]} it)",
                  flush=True)
    if limit is not None:
        limit.restore_original_limits()

    print(f"\nhidden_layer_sizes={HIDDEN}, random_state={args.seed}, device={args.device}, "
          f"BLAS threads={args.threads or 'default'}; "
          + "; ".join(f"{s}: {', '.join(f'{k}={v}' for k, v in p.items() if k != 'solver')}"
                      for s, p in SOLVERS.items()))
    print("\n| solver | dataset | minidl acc. (%) | sklearn acc. (%) | n_iter_ minidl / sklearn "
          "| fit time minidl / sklearn (s) | ratio |")
    print("|---|---|---|---|---|---|---|")
    for solver, name, ours, theirs in rows:
        print(f"| {solver} | {name} | {ours[0]:.2f} | {theirs[0]:.2f} | {ours[2]} / {theirs[2]} "
              f"| {ours[1]:.2f} / {theirs[1]:.2f} | {ours[1] / theirs[1]:.2f} |")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
