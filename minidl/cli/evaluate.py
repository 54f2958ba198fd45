"""``python -m minidl evaluate RUN``: the test accuracy of a trained run, from its folder.

    python -m minidl evaluate runs/mnist-mlp

rebuilds the model from ``RUN/checkpoint.npz`` (architecture and preprocessing are recorded
there: see ``minidl.load_run``), loads the run's dataset and prints loss and accuracy.
"""
import sys


def add_parser(subparsers):
    p = subparsers.add_parser(
        "evaluate", help="loss and accuracy of a trained run on its dataset's test set",
        description="Rebuild the model of a run folder written by `python -m minidl train` "
                    "and evaluate it on its dataset (the test split by default), with the "
                    "preprocessing it was trained with.")
    p.add_argument("run_dir", metavar="RUN", help="the run folder (or its checkpoint.npz)")
    p.add_argument("--split", choices=["test", "train"], default="test",
                   help="which split to evaluate on (default: test)")
    p.add_argument("--data", metavar="DIR", default=None,
                   help="data root holding mnist/ or fashion-mnist/ (default: $MINIDL_DATA, "
                        "else ~/.cache/minidl)")
    p.add_argument("--device", default=None, help="device: cpu or cuda (default: cpu)")
    p.set_defaults(run=run)
    return p


def load_trained_run(path, device, command):
    """The run at ``path``, or None after printing why not (for the CLI commands)."""
    import minidl as mdl
    try:
        return mdl.load_run(path, device=device)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"minidl {command}: {exc}", file=sys.stderr)
        return None


def run(args):
    from minidl.data import DataUnavailableError, fashion_mnist, mnist
    from minidl.data.idx import IDXFormatError
    trained = load_trained_run(args.run_dir, args.device, "evaluate")
    if trained is None:
        return 2
    modules = {"mnist": mnist, "fashion-mnist": fashion_mnist}
    module = modules.get(trained.dataset)
    if module is None:
        print(f"minidl evaluate: the run was trained on {trained.dataset!r}, which this command "
              f"cannot load (known: {', '.join(modules)})", file=sys.stderr)
        return 2
    try:
        images, labels = module.load(args.split, root=args.data)
    except (DataUnavailableError, IDXFormatError) as exc:
        print(f"minidl evaluate: {exc}", file=sys.stderr)
        return 1
    result = trained.evaluate(images, labels)
    print(f"{args.split} accuracy {100 * result['accuracy']:.2f}% (loss {result['loss']:.4f}) "
          f"on {len(labels)} {trained.dataset} {args.split} images, {trained.path}")
    return 0
