"""The dependency rule (README, "Layout"): engines and geo load no database or web framework."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "package", ["core", "geo", "matching", "recruitment", "outcomes", "replay"]
)
def test_engines_do_not_import_the_database_or_the_web(package: str) -> None:
    """Importing an engine package loads neither sqlmodel, sqlalchemy nor fastapi, nor data/api."""
    code = (
        f"import sys, {package}; "
        "bad = sorted(m for m in ('sqlmodel', 'sqlalchemy', 'fastapi', 'data', 'api') if m in sys.modules); "
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


PACKAGES = ("api", "core", "data", "geo", "matching", "outcomes", "recruitment", "replay")


def _import_graph() -> dict[str, set[str]]:
    """First-party module -> the first-party modules it imports (also inside functions)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            files[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from m import f`: the submodule m.f when there is one, else the module m
                targets = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in files else node.module
                    for a in node.names
                ]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            graph[name] |= {t for t in targets if t in files and t != name}
    return graph


def test_no_import_cycle() -> None:
    """No first-party module imports itself through others (a cycle hides a design knot and
    makes import order matter)."""
    graph = _import_graph()
    assert len(graph) > 50 and "matching.plan" in graph  # the walk found the code
    assert graph["matching.plan"] >= {"matching.greedy"}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_core_imports_nothing_of_the_project() -> None:
    """core/ is the leaf below every package: it may be imported by all, and imports none."""
    graph = _import_graph()
    leaf = {module: targets for module, targets in graph.items() if module.startswith("core")}
    assert leaf, "core/ not found"
    assert all(target.startswith("core") for targets in leaf.values() for target in targets)


def test_test_modules_import_only_the_helpers() -> None:
    """A test module or conftest imports nothing from another test module: what several tests
    share lives in tests/helpers/, so moving or deleting a test never breaks another."""
    import ast
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    modules = [p for p in tests.rglob("*.py") if "helpers" not in p.relative_to(tests).parts]
    assert len(modules) > 50  # the walk found the tests
    crossings: list[str] = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):  # relative ones keep their dots
                names = ["." * node.level + (node.module or "")]
            else:
                continue
            crossings += [
                f"{path.relative_to(tests.parent)}:{node.lineno}: imports {name}"
                for name in names
                if (name == "tests" or name.startswith((".", "tests.")))
                and not name.startswith("tests.helpers")
            ]
    assert crossings == [], "\n".join(crossings)


def test_nothing_sends_a_reader_outside_the_repository() -> None:
    """Code, help texts, docs and notebooks cite the README, docs/ or a public source, never
    the team's design notes, which readers of the project do not have."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        pytest.skip("needs a git checkout to list the project's files")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    notes = ("DESIGN" + ".md", "REFERENCE" + ".md")  # spelled apart: this file is tracked too
    offenders = [
        name
        for name in tracked
        if (root / name).is_file()
        and any(n in (root / name).read_text(encoding="utf-8", errors="replace") for n in notes)
    ]
    assert offenders == []
