"""``python -m minidl COMMAND``: the command line.

Each command lives in its own module of this package, which defines ``add_parser(subparsers)``
(registering its options and ``set_defaults(run=...)``); ``COMMANDS`` lists them in help order.
"""
import argparse
import importlib
import sys

COMMANDS = ["train", "evaluate", "predict", "graph", "compare_optimizers"]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m minidl",
        description="minidl: a from-scratch deep-learning framework you can read.")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"minidl.cli.{name}")
        except ImportError as exc:  # a command whose module is missing is left out, not fatal
            if exc.name != f"minidl.cli.{name}":
                raise
            continue
        module.add_parser(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
