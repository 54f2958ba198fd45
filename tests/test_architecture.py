"""The package's layers, enforced by walking the imports of every file under ``minidl/``.

    backends ← autograd ← nn ← optim ← data ← training ← {estimators, teaching, cli, keras,
    distributed, capture}

A module imports only from its own layer or below (function-level imports included), and
never another package's ``_private`` names, nor the private attributes of Tensor and
Function outside ``autograd`` and ``backends``.
"""
import ast
import os

import minidl
from minidl.autograd.function import Function
from minidl.autograd.tensor import Tensor

PACKAGE = os.path.dirname(minidl.__file__)

# Lower numbers are lower layers. Shared leaf modules (dtypes, random, files) sit low; the
# facade ``minidl/__init__.py`` and ``__main__`` may import anything.
LAYERS = {
    "backends": 0, "dtypes": 0, "files": 0, "cuda": 1, "random": 1,
    "autograd": 2,
    "nn": 3, "serialization": 3,
    "optim": 4,
    "data": 5,
    "training": 6,
    "estimators": 7, "teaching": 7, "cli": 7, "keras": 7, "distributed": 7, "capture": 7,
}
FACADE = {"__init__", "__main__"}
TOP = 7
# Tensor's and Function's private attributes: autograd's (and the backends') own business.
PRIVATE_ATTRIBUTES = {name for cls in (Tensor, Function)
                      for name in list(getattr(cls, "__slots__", ())) + list(vars(cls))
                      if name.startswith("_") and not name.startswith("__")}


def _modules():
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, PACKAGE)
                yield rel.split(os.sep)[0].removesuffix(".py"), rel, ast.parse(open(path).read())


def _imports(tree):
    """(line, imported module, imported names) for every import of a minidl module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "minidl":
            yield node.lineno, node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "minidl":
                    yield node.lineno, a.name, []


def _target_package(module, names):
    parts = module.split(".")
    if len(parts) > 1:
        return [parts[1]]
    return names  # from minidl import nn, optim


def test_imports_follow_the_layers():
    problems = []
    for package, rel, tree in _modules():
        if package in FACADE:
            continue
        assert package in LAYERS, f"{rel}: package {package!r} has no layer in LAYERS"
        for line, module, names in _imports(tree):
            for target in _target_package(module, names):
                if target == package:
                    continue
                if target in FACADE or target not in LAYERS:
                    if LAYERS[package] < TOP:
                        problems.append(f"{rel}:{line} imports the facade ({module})")
                    continue
                if LAYERS[target] > LAYERS[package]:
                    problems.append(f"{rel}:{line}: {package} (layer {LAYERS[package]}) imports "
                                    f"{module} (layer {LAYERS[target]})")
    assert not problems, "\n".join(problems)


def test_no_private_names_of_other_packages():
    problems = []
    for package, rel, tree in _modules():
        for line, module, names in _imports(tree):
            parts = module.split(".")
            other = len(parts) > 1 and parts[1] != package
            for name in names:
                if other and name.startswith("_"):
                    problems.append(f"{rel}:{line} imports {name} from {module}")
        if package in ("autograd", "backends"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE_ATTRIBUTES:
                owner = node.value
                if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                    continue  # a subclass's own attribute
                problems.append(f"{rel}:{node.lineno} uses .{node.attr}")
    assert not problems, "\n".join(problems)
