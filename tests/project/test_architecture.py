"""Every shipped package in its house: data and training and evaluation side by side, the demo above.

``tests/crossthink_data/test_architecture.py`` checks the layers inside the data package; this test
checks the packages against each other, reading every import with ``ast`` (imports inside functions
count: a lazy import is still a dependency):

* ``crossthink_train`` and ``crossthink_eval`` import only the data package's leaf layer (records,
  templates, the answer checker, endpoint settings, the local server): an install for training or
  evaluation never needs the data stack, and neither imports the other;
* ``crossthink_data`` imports no training or demo code; it may read the evaluation's benchmark
  definitions, inside a function (one reader of benchmarks, see the data test);
* ``crossthink_demo`` drives all three; nothing imports it.

And no shipped code reads ``tests/``: a wheel has no ``tests`` folder (the real-model demo once
read its benchmark rows from ``tests/data``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.crossthink_data.test_architecture import LEAF
from tests.helpers.paths import REPO_ROOT

# import name -> folder (eval/ installs as crossthink_eval, see setup.py)
PACKAGES = {
    "crossthink_data": REPO_ROOT / "crossthink_data",
    "crossthink_train": REPO_ROOT / "crossthink_train",
    "crossthink_eval": REPO_ROOT / "eval",
    "crossthink_demo": REPO_ROOT / "crossthink_demo",
}
LEAF_MODULES = {f"crossthink_data.{name}" for name in LEAF}


def allowed(importer: str, target: str) -> bool:
    """May package ``importer`` import module ``target`` (another package's)?"""
    package = target.split(".")[0]
    if importer == "crossthink_demo":
        return True
    if package == "crossthink_demo":
        return False
    if importer in ("crossthink_train", "crossthink_eval"):
        return package == "crossthink_data" and (
            target in LEAF_MODULES or any(target.startswith(leaf + ".") for leaf in LEAF_MODULES)
        )
    if importer == "crossthink_data":
        return package == "crossthink_eval"  # benchmark definitions, lazily (checked in the data test)
    return False


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """Absolute module names imported by one file (``from crossthink_data import serve`` counts as
    ``crossthink_data.serve``), with their lines. Relative imports stay inside a package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.module, node.lineno))
            if node.module in PACKAGES:
                found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def shipped_files() -> list[tuple[str, Path]]:
    return [(name, path) for name, folder in PACKAGES.items() for path in sorted(folder.rglob("*.py"))]


def test_every_shipped_package_is_covered():
    """The top-level packages setup.py ships are exactly the ones this test reads."""
    setup = (REPO_ROOT / "setup.py").read_text(encoding="utf-8")
    named = set(re.findall(r'"(crossthink_\w+)\*"', setup))
    renamed = set(re.findall(r'"(crossthink_\w+)": "', setup))
    assert named | renamed == set(PACKAGES)


def test_packages_import_each_other_only_downwards():
    violations = [
        f"{path.relative_to(REPO_ROOT)}:{line} ({importer}) imports {target}"
        for importer, path in shipped_files()
        for target, line in imported_modules(path)
        if target.split(".")[0] in PACKAGES
        and target.split(".")[0] != importer
        and not allowed(importer, target)
    ]
    assert violations == []


@pytest.mark.parametrize(
    ("importer", "target", "ok"),
    [
        ("crossthink_data", "crossthink_train.real_model", False),  # what demo_real did
        ("crossthink_data", "crossthink_demo.real", False),
        ("crossthink_train", "crossthink_data.serve", True),
        ("crossthink_train", "crossthink_data.curation", False),  # a stage: the data stack
        ("crossthink_eval", "crossthink_data.endpoint", True),
        ("crossthink_eval", "crossthink_data.inference", False),  # datatrove
        ("crossthink_eval", "crossthink_train.rewards", False),
        ("crossthink_demo", "crossthink_train.real_model", True),
    ],
)
def test_the_rule_itself(importer, target, ok):
    assert allowed(importer, target) is ok


def reads_tests_folder(node: ast.AST) -> bool:
    """A string that names the repository's ``tests`` folder as a path (``"tests"``, ``"tests/data"``)."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return False
    value = node.value.strip()
    return value == "tests" or value.startswith(("tests/", "./tests/")) or "/tests/" in value


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants (prose may mention tests/; code may not read it)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_no_shipped_code_reads_the_tests_folder():
    offenders = []
    for _package, path in shipped_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = docstrings(tree)
        offenders += [
            f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if id(node) not in skip and reads_tests_folder(node)
        ]
    assert offenders == []


@pytest.mark.parametrize(
    ("code", "reads"),
    [
        ('EVAL = ROOT / "tests" / "data" / "benchmarks"', True),  # what demo_real did
        ('open("tests/data/x.jsonl")', True),
        ('Path(__file__).parent / "benchmarks"', False),
    ],
)
def test_the_tests_folder_check_itself(code, reads):
    assert any(reads_tests_folder(node) for node in ast.walk(ast.parse(code))) is reads


# The command-line apps: one typer module per command (group), each with register(app), looped over
# by the app's package (helpers such as crossthink_data/cli/common.py register nothing).
CLI_FOLDERS = {
    "crossthink-data": REPO_ROOT / "crossthink_data" / "cli",
    "crossthink-train": REPO_ROOT / "crossthink_train" / "cli",
    "crossthink-eval": REPO_ROOT / "eval" / "cli",
}
CLI_HELPERS = {"__init__.py", "__main__.py", "common.py", "generation_options.py"}


def command_decorators(tree: ast.AST) -> list[int]:
    """Lines of ``@app.command(...)`` decorators and of ``COMMANDS = {...}`` tables (the other two styles)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            lines += [d.lineno for d in node.decorator_list if "command" in ast.unparse(d)]
        if isinstance(node, ast.Assign) and any(ast.unparse(t) == "COMMANDS" for t in node.targets):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("cli", sorted(CLI_FOLDERS))
def test_every_cli_registers_its_commands_the_same_way(cli):
    folder = CLI_FOLDERS[cli]
    modules = sorted(p for p in folder.glob("*.py") if p.name not in CLI_HELPERS)
    assert modules, f"{cli}: no command modules under {folder}"
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        registers = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "register"]
        assert registers, f"{path.relative_to(REPO_ROOT)} has no register(app)"
        assert command_decorators(tree) == [], f"{path.relative_to(REPO_ROOT)} registers another way"
    init = (folder / "__init__.py").read_text(encoding="utf-8")
    assert command_decorators(ast.parse(init)) == []
    for path in modules:  # the app's package registers every command module
        assert re.search(rf"\b{path.stem}\b", init), f"{cli}: {path.stem} is not registered"
    assert ".register(app)" in init
