"""The architecture, held by tests: layers that import only downwards, no cycles, no hidden
staircases.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and are checked by
import-linter, which reads imports inside functions and under ``TYPE_CHECKING`` too. Each
contract is also shown to fail: a copy of the tree with one wrong arrow planted must be refused,
naming the arrow. What import-linter cannot say is checked here with grimp (its import graph):
nothing inside the SDK imports the package facade, modules form no cycle, and every import of a
project module inside a function says why it is there (start-up cost or an optional extra).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ltx2sdk", "builders")
LAZY_REASONS = ("# start-up:", "# extra:")
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True))")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter's verdict on the tree at ``root`` (its own packages first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-c", LINT], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def contract_layers() -> list[str]:
    """The modules the layers contract names, each ``a | b`` layer split."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [layers] = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [name.strip() for layer in layers["layers"] for name in layer.split("|")]


def test_the_contracts_hold() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


PLANTED = {
    "a lower layer importing a higher one, inside a function": (
        "ltx2sdk/graph/schema.py",
        "\n\ndef _planted() -> None:\n    from ltx2sdk.app import generate  # noqa: F401\n",
        "ltx2sdk.graph is not allowed to import ltx2sdk.app"),
    "a layer importing its independent sibling": (
        "ltx2sdk/media/images.py", "\nfrom ltx2sdk.graph import core  # noqa: F401\n",
        "ltx2sdk.media is not allowed to import ltx2sdk.graph"),
    "a type-only import going up": (
        "ltx2sdk/request.py",
        "\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import builders  # noqa\n",
        "ltx2sdk.request is not allowed to import builders"),
    "one backend importing the other": (
        "ltx2sdk/backends/comfyui/client.py",
        "\nfrom ltx2sdk.backends.comfy_api_v2 import backend  # noqa: F401\n",
        "ltx2sdk.backends.comfyui is not allowed to import ltx2sdk.backends.comfy_api_v2"),
    "the builders reaching a server": (
        "builders/stages.py", "\nfrom ltx2sdk.backends import connect  # noqa: F401\n",
        "builders is not allowed to import ltx2sdk.backends"),
    "a cycle between two modules of a package": (
        "ltx2sdk/app/batch/jobs.py", "\nfrom ltx2sdk.app.batch import scheduler  # noqa: F401\n",
        "No cycles are allowed in ltx2sdk.app.batch"),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_planted_wrong_arrow_is_refused(case: str, tmp_path: Path) -> None:
    module, code, message = PLANTED[case]
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.json"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / module).open("a") as planted:
        planted.write(code)
    done = lint(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert message in " ".join(done.stdout.split())


@pytest.fixture(scope="module")
def runtime_graph() -> grimp.ImportGraph:
    """The project's imports that run (``TYPE_CHECKING`` blocks left out)."""
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)


def test_nothing_inside_imports_the_facade(runtime_graph: grimp.ImportGraph) -> None:
    # ``ltx2sdk/__init__.py`` loads names from every layer: a module that imports it would
    # depend on all of them
    assert runtime_graph.find_modules_that_directly_import("ltx2sdk") == set()


def strongly_connected(imports: dict[str, set[str]]) -> list[set[str]]:
    """The cycles of ``imports`` (module -> the modules it imports): its strongly connected
    groups of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm; the graph is small
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(imports.get(module, ())):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return groups


def test_no_module_imports_itself_through_others(runtime_graph: grimp.ImportGraph) -> None:
    imports = {module: runtime_graph.find_modules_directly_imported_by(module)
               for module in runtime_graph.modules}
    assert strongly_connected(imports) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a"}}
    assert strongly_connected(imports) == [{"a", "b", "c"}]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def lazy_project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each import of a project module inside a function of ``path``."""
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = ["." if node.level else node.module or ""]
            else:
                continue
            if any(name == "." or name.split(".")[0] in PACKAGES for name in names):
                found.append((node.lineno, lines[node.lineno - 1]))
    return found


def test_every_lazy_project_import_says_why() -> None:
    sources = [ROOT / "runpod_handler.py"]
    sources += [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    unexplained = [f"{path.relative_to(ROOT)}:{line}: {text.strip()}"
                   for path in sources for line, text in lazy_project_imports(path)
                   if not any(reason in text for reason in LAZY_REASONS)]
    assert unexplained == []


def test_the_lazy_import_finder_finds_one(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from ltx2sdk import errors\n"
                      "    from . import sibling  # start-up: the reason\n    import json\n")
    assert lazy_project_imports(module) == [
        (4, "    from ltx2sdk import errors"),
        (5, "    from . import sibling  # start-up: the reason")]


def test_every_part_of_the_sdk_is_in_a_layer() -> None:
    named = set(contract_layers())
    parts = {f"ltx2sdk.{path.stem}" for path in (ROOT / "ltx2sdk").iterdir()
             if (path.suffix == ".py" and path.stem not in ("__init__", "__main__"))
             or (path / "__init__.py").is_file()}
    assert parts - named == set()
