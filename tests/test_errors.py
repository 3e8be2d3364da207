"""One exception tree: every exception class the SDK defines lives in ``ltx2sdk.errors``,
derives from ``LTX2Error``, and is drawn in that module's docstring where it sits.

The walk imports every module of ``ltx2sdk``, ``builders`` and the worker's entry point and
collects the exception classes each defines (private ones, whose name starts with ``_``, are
control flow that never leaves their module).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import types
from collections.abc import Iterable

import ltx2sdk
from ltx2sdk import errors
from ltx2sdk.errors import LTX2Error

ROOTS = ("ltx2sdk", "builders")
DRAWN = re.compile(r"^(?P<indent>[ |]*)\+-- (?P<name>\w+)(?: \((?P<builtins>[\w, ]+)\))?")


def sdk_modules() -> list[types.ModuleType]:
    """Every module of the SDK, imported."""
    names = ["runpod_handler"]
    for root in ROOTS:
        package = importlib.import_module(root)
        names.append(root)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, f"{root}.")]
    return [importlib.import_module(name) for name in names]


def defined_exceptions(modules: Iterable[types.ModuleType]) -> dict[str, type[BaseException]]:
    """``module.Class`` -> class, for each public exception class a module defines itself."""
    found = {}
    for module in modules:
        for name, value in vars(module).items():
            if (isinstance(value, type) and issubclass(value, BaseException)
                    and value.__module__ == module.__name__ and not name.startswith("_")):
                found[f"{module.__name__}.{name}"] = value
    return found


def drawn_tree(doc: str) -> dict[str, tuple[str, set[str]]]:
    """class name -> (its parent in the drawing, the built-ins named beside it)."""
    tree: dict[str, tuple[str, set[str]]] = {}
    parents = ["LTX2Error"]  # by depth
    for line in doc.splitlines():
        match = DRAWN.match(line.removeprefix("    "))  # the drawing is a literal block
        if match is None:
            continue
        depth = len(match["indent"]) // 4
        del parents[depth + 1:]
        builtins = {b.strip() for b in (match["builtins"] or "").split(",") if b.strip()}
        tree[match["name"]] = (parents[depth], builtins)
        parents.append(match["name"])
    return tree


def test_every_exception_lives_in_errors() -> None:
    outside = sorted(name for name, cls in defined_exceptions(sdk_modules()).items()
                     if cls.__module__ != errors.__name__)
    assert outside == []


def test_every_exception_is_an_ltx2error() -> None:
    assert sorted(name for name, cls in defined_exceptions([errors]).items()
                  if not issubclass(cls, LTX2Error) and cls is not LTX2Error) == []


def test_the_drawing_is_the_tree() -> None:
    drawn = drawn_tree(errors.__doc__ or "")
    actual = {}
    for cls in defined_exceptions([errors]).values():
        if cls is LTX2Error:
            continue
        [parent] = [base for base in cls.__bases__ if issubclass(base, LTX2Error)]
        builtins = {base.__name__ for base in cls.__bases__ if not issubclass(base, LTX2Error)}
        actual[cls.__name__] = (parent.__name__, builtins)
    assert drawn == actual


def test_the_walk_finds_an_exception_defined_elsewhere() -> None:
    stray = types.ModuleType("ltx2sdk.somewhere")
    exec("class Oops(ValueError): pass\nclass _Private(Exception): pass", vars(stray))
    assert list(defined_exceptions([stray])) == ["ltx2sdk.somewhere.Oops"]


def test_the_drawing_reader_sees_depth_and_builtins() -> None:
    doc = ("    LTX2Error\n    +-- A (ValueError)   words\n    |   +-- B   more\n"
           "    +-- C (RuntimeError, KeyError)\n")
    assert drawn_tree(doc) == {"A": ("LTX2Error", {"ValueError"}), "B": ("A", set()),
                               "C": ("LTX2Error", {"RuntimeError", "KeyError"})}


def test_the_facade_exports_the_base_class() -> None:
    assert ltx2sdk.LTX2Error is LTX2Error
