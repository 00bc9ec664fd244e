"""The tree keeps the shape docs/architecture.md describes.

The layers themselves are import-linter's contracts (.importlinter, run by
`make lint`); these tests hold what it does not: no import cycle among modules
at import time, no import hidden inside a function to dodge one (but a task
body's), modules of a readable size, and a field table the model agrees with.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from approvals import fields
from approvals.models import ModelVersion

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "approvals"
MAX_LINES = 320  # "about 300": past this a module wants splitting by concern
# Where a function may import the dashboard's own modules, and why.
FUNCTION_IMPORTS_ALLOWED = {
    "approvals.tasks": "a task body imports its service; services enqueue tasks at module level",
    "approvals.apps": "AppConfig.ready() connects signal receivers once the app registry is ready",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[dotted.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imported(module: str, node: ast.stmt) -> set[str]:
    """The project modules one import statement loads (a package's __init__ included)."""
    is_package = MODULES[module].name == "__init__.py"
    targets: set[str] = set()
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        source = _absolute(module, is_package, node)
        names = [source] + [f"{source}.{alias.name}" for alias in node.names]
    else:
        return targets
    for name in names:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            candidate = ".".join(parts[:end])
            # A module's own packages are loaded before it, never because of it.
            if candidate in MODULES and candidate != module and not module.startswith(candidate + "."):
                targets.add(candidate)
    return targets


def _top_level_imports(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue  # for type checkers only, never executed
        for inner in ast.walk(node) if isinstance(node, ast.If | ast.Try) else [node]:
            found |= _imported(module, inner)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_itself_back_at_import_time():
    graph = {module: _top_level_imports(module) for module in MODULES}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_only_task_bodies_import_the_dashboard_inside_a_function():
    offenders = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if _imported(module, node) and module not in FUNCTION_IMPORTS_ALLOWED:
                    offenders.append(f"{module}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_much_over_300_lines(module):
    assert len(MODULES[module].read_text().splitlines()) <= MAX_LINES


def test_every_field_of_the_table_is_a_field_of_the_model():
    model_fields = {f.name for f in ModelVersion._meta.get_fields()}
    assert {f.attr for f in fields.VERSION_FIELDS} <= model_fields
    assert set(fields.WRITABLE_ATTRS) == set(ModelVersion().pai_values())


def test_import_linter_keeps_the_layers():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]
