"""The data side's layers, checked on the source: leaf <- base <- stages <- CLI, no cycles.

Every import in the package is read with ``ast`` (imports inside functions count too: a lazy import
is still a dependency), mapped to the module it names, and checked against the layer rules in
docs/architecture.md. A new import that reaches up a layer, reaches into another stage's
internals, or closes a cycle fails here with the offending file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers.paths import REPO_ROOT

PACKAGE_ROOT = REPO_ROOT / "crossthink_data"

# Layer of every top-level module/package of crossthink_data (a new one must be placed here).
LEAF = {
    "record",
    "templates",
    "verl",
    "options",
    "filters",
    "columnar",
    "answers",
    "config",
    "storage",
    "ownership",
    "resume",
    "categories",
    "paper",
    "licenses",
    "endpoint",
    "serve",
}
BASE = {"rows", "executors", "steps", "inference", "interrupts"}
STAGES = {"sources", "mining", "curation", "hub"}
TOP = {"cli", "demo", "recipes"}
RANK = {
    **dict.fromkeys(LEAF, 0),
    **dict.fromkeys(BASE, 1),
    **dict.fromkeys(STAGES, 2),
    **dict.fromkeys(TOP, 3),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[str, int]]:
    """``crossthink_data.*`` modules imported by one file (relative imports resolved), with lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            # `from crossthink_data import storage` imports a submodule
            found += [(f"{target}.{a.name}", node.lineno) for a in node.names if target == "crossthink_data"]
    return [
        (name, line)
        for name, line in found
        if name == "crossthink_data" or name.startswith("crossthink_data.")
    ]


def unit(module: str) -> str | None:
    """The top-level part of crossthink_data a module belongs to (``crossthink_data.hub.export`` -> ``hub``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def all_edges() -> list[tuple[str, str, str, int]]:
    """(importing unit, imported module, file, line) for every import between different units."""
    edges = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        source = unit(module_name(path))
        for target, line in imports_of(path):
            if unit(target) and unit(target) != source:
                edges.append((source, target, str(path.relative_to(PACKAGE_ROOT.parent)), line))
    return edges


def test_every_unit_has_a_layer():
    units = {p.stem if p.is_file() else p.name for p in PACKAGE_ROOT.iterdir()}
    units = {u for u in units if not u.startswith(("_", ".")) and u not in ("demo_data",)}
    units = {
        u for u in units if (PACKAGE_ROOT / f"{u}.py").exists() or (PACKAGE_ROOT / u / "__init__.py").exists()
    }
    assert units - set(RANK) == set(), "place new modules in a layer in tests/test_architecture.py"


def test_no_import_reaches_up_a_layer():
    violations = [
        f"{file}:{line} ({source}) imports {target}"
        for source, target, file, line in all_edges()
        if source in RANK and RANK[unit(target)] > RANK[source]
    ]
    assert violations == []


def test_stages_use_each_others_public_api_only():
    """A stage may call another stage's package API (``crossthink_data.hub``), never its modules."""
    violations = [
        f"{file}:{line} ({source}) imports {target}"
        for source, target, file, line in all_edges()
        if source in STAGES and unit(target) in STAGES and target != f"crossthink_data.{unit(target)}"
    ]
    assert violations == []


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_between_units():
    graph: dict[str, set[str]] = {}
    for source, target, _file, _line in all_edges():
        graph.setdefault(source, set()).add(unit(target))
    assert find_cycle(graph) is None


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"hub": {"curation"}, "curation": {"hub"}}, ["curation", "hub", "curation"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ],
)
def test_the_cycle_finder_finds_the_cycle_the_old_code_had(graph, cycle):
    """hub/export once imported curation while curation imported hub: that shape must be caught."""
    assert find_cycle(graph) == cycle


def module_level_imports(path: Path, package: str) -> list[int]:
    """Lines where ``path`` imports ``package`` at module level (not inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in tree.body:  # top-level statements only: an import inside a def is lazy
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        if any(name == package or name.startswith(package + ".") for name in names):
            lines.append(node.lineno)
    return lines


def test_data_stages_read_the_evaluation_side_only_through_a_call():
    """Decontamination reads benchmarks through ``crossthink_eval.benchmarks`` (one reader), called
    from inside a function: importing ``crossthink_data`` never imports the evaluation package."""
    violations = [
        f"{path.relative_to(PACKAGE_ROOT.parent)}:{line}"
        for path in sorted(PACKAGE_ROOT.rglob("*.py"))
        if unit(module_name(path)) in LEAF | BASE | STAGES
        for line in module_level_imports(path, "crossthink_eval")
    ]
    assert violations == []
